/**
 * @file session.h  Inside `harness phone` (../phone_mode.c): one run's
 * state, shared by the files of harness/phone/ that run it and by no one
 * else.  listen.c hears the phone (the registrar's trace into the capture
 * and the report's message list) and waits; registrar.c shapes the
 * answers to its REGISTERs; calls.c calls it and sends it requests;
 * operator.c asks a person; report.c writes the report.
 */

#ifndef SIPCONFORM_PHONE_SESSION_H
#define SIPCONFORM_PHONE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>
#include "sim_registrar.h"
#include "runner.h"
#include "phone/judges.h"

struct pstep;
struct phone;
struct capture;
struct decision;
struct pm_proto;

enum {
	QUICK_MS           = 10000,   /* an immediate retry may take this   */
	CALL_ANSWER_MS     = 10000,   /* auto-answer: the 2xx comes by then */
	CALL_END_MS        = 5000,
	PROBE_MS           = 5000,
	REFER_WATCH_MS     = 10000,
};

struct pm_opts {
	char user[96];
	char domain[160];
	const char *password;
	struct sa listen;
	const char *report_dir;
	const char *config;
	bool auto_answer;
	bool verbose;
	uint64_t register_ms;
	uint64_t operator_ms;
	uint32_t grant_cap;
	enum sip_transp transport;  /* the phone's: --transport            */
	const char *tls_cert;       /* --tls-cert/--tls-key: PEM files     */
	const char *tls_key;
	const char *tls_pem;        /* --tls-pem: where the certificate is
				       written for the phone to trust     */
	bool secure_media;          /* --secure-media: the domain's SDES
				       SRTP (MEDIA-SRTP-1, P-SRTP)        */
};

/* one call's media as the service measured it on the phone's leg, with
 * the audio it heard (media.c) */
struct pm_media {
	struct call_leg_media leg;  /* leg.pcm: pcm below                 */
	char callid[128];
	uint32_t tone_hz;           /* the tone the service played to it   */
	int16_t *pcm;               /* mem, a copy of the service's        */
	const char *label;          /* the report's name of the call       */
	bool reported;              /* shown with a step already           */
};

/* what one step ended with, for the summary and the report */
struct pm_result {
	const struct pstep *st;
	struct jverdict v;
	uint64_t wall_start_us;
	uint64_t real_ms;
	size_t msg_from, msg_to;
	bool person;                /* SKIP for want of a person           */
	struct pm_media mediav[2];  /* the calls whose media it judged     */
	size_t mediac;
};

struct pm {
	struct pm_opts o;
	struct sim_registrar *sr;
	struct sa udp_laddr;        /* the registrar's UDP (second phone)  */
	/* TLS (tls.c): the certificate a phone trusts, to put back */
	struct sa tls_laddr;
	char *cert_pem, *key_pem;
	char tls_fp[96];            /* its SHA-256 fingerprint, hex        */
	struct reg_actions *ra;
	struct capture *capture;
	struct pm_proto *proto;     /* the protocol checker (protocol.h)   */
	struct tmr wake;
	bool interrupted;
	bool enter;                 /* the operator pressed Enter         */
	bool stdin_watch;
	/* messages for the report */
	struct run_msg *msgv;
	size_t msgc, msgcap;
	/* the simulated second phone */
	struct phone *second;
	struct sa second_addr;
	bool second_done;
	uint16_t second_scode;
	/* the registrar's call to the phone */
	char sid[48];
	enum call_state call_state;
	bool call_seen;
	char answered_by[256];
	long last_call;             /* capture call index; -1 none        */
	/* media (media.c): the phone's call to the test application, and
	 * the last calls' media each way */
	char out_sid[48];
	enum call_state out_state;
	struct pm_media min, mout;
	bool aa_off;                /* a person turned auto-answer off     */
	/* probes */
	unsigned probes_pending;
	/* the grant cap, and a reply armed ahead for the next step */
	uint32_t cap_id;
	uint32_t cap;
	const struct pstep *next;
	const struct pstep *prearmed;
	uint32_t prearmed_id;
	size_t prearmed_start;
	/* results */
	struct pm_result *resv;
	size_t resc;
};


/* listen.c: the phone's messages, and the loop's waiting */
typedef bool (pm_pred)(struct pm *pm, void *arg);

/* runs the loop until pred holds (true) or ms pass (false) */
bool pm_wait(struct pm *pm, pm_pred *pred, void *arg, uint64_t ms);
void pm_pause(struct pm *pm, uint64_t ms);
void pm_say(const char *fmt, ...);
uint64_t pm_wall_us(void);
void pm_trace_h(bool tx, int tp, const struct sa *src, const struct sa *dst,
		const uint8_t *pkt, size_t len, void *arg);
void pm_on_decision(const struct decision *d, void *arg);
void pm_on_guard(uint16_t scode, const char *reason, const char *detail,
		 const struct sa *src, const char *transport,
		 const char *method, void *arg);
void pm_stdin_h(int flags, void *arg);
/* SIGINT/SIGTERM interrupt pm's run (NULL: none's) */
void pm_signals(struct pm *pm);

/* registrar.c: the answers to the phone's REGISTERs */
bool pm_first_ok(struct pm *pm, void *arg);
long pm_trigger_index(struct pm *pm, size_t start);
bool pm_triggered(struct pm *pm, void *arg);       /* arg: size_t start */
bool pm_registered(struct pm *pm);
int  pm_arm(struct pm *pm, const struct pstep *st, uint32_t *idp);
void pm_disarm(struct pm *pm, uint32_t id);
void pm_step_register(struct pm *pm, const struct pstep *st,
		      const struct judge_row *row, struct jverdict *v);

/* calls.c: calls to the phone, the second phone, requests to it */
long pm_place_call(struct pm *pm, const struct pstep *st, bool keep_up,
		   const char **skip);
bool pm_call_ended(struct pm *pm, void *arg);
void pm_second_stop(struct pm *pm);
void pm_step_call(struct pm *pm, const struct pstep *st,
		  const struct judge_row *row, struct jverdict *v);
void pm_step_method(struct pm *pm, const struct pstep *st,
		    const struct judge_row *row, struct jverdict *v);

/* operator.c: steps that need a person */
void pm_step_operator(struct pm *pm, const struct pstep *st,
		      const struct judge_row *row, struct jverdict *v);

/* media.c: the P-MEDIA-* steps */
void pm_call_h(const struct call_info *ci, void *arg);
void pm_step_media(struct pm *pm, const struct pstep *st,
		   const struct judge_row *row, struct jverdict *v,
		   struct pm_result *pr);
void pm_media_free(struct pm *pm);

/* tls.c: --transport tls */
int  pm_tls_load(struct pm *pm);    /* --tls-cert/--tls-key, read      */
int  pm_tls_start(struct pm *pm);   /* the PEM written, fingerprint    */
void pm_step_tls(struct pm *pm, const struct pstep *st,
		 const struct judge_row *row, struct jverdict *v);

/* report.c */
int  pm_write_report(struct pm *pm, uint64_t started_us);

#endif
