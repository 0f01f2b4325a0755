/**
 * @file runner_int.h  The runner's inside, shared by its files (runner*.c)
 * and the step kinds' runners (steps/): the state of a run, its phones,
 * and the loop helpers every step uses.  Not for the loader or the
 * reports: they read struct run_result.
 */

#ifndef SIPCONFORM_RUNNER_INT_H
#define SIPCONFORM_RUNNER_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "phone.h"
#include "scenario.h"
#include "runner.h"

struct reg_config;
struct sim_registrar;
struct msgkeep;
struct linkfaults;

enum {
	OP_WINDOW        = 256,     /* phones with a REGISTER in flight  */
	OP_TIMEOUT_MS    = 5000,    /* per operation step, plus per phone */
	BUSY_TIMEOUT_MS  = 40000,   /* a phone's own pending REGISTER     */
	DECISION_HSIZE   = 4096,
	REAL_ADVANCE_MAX_MS = 5000, /* advance against a plain target     */
	CLOSE_WAIT_MS    = 500,     /* CANCELled branches end at the close */
	PHONE_OPS        = 5,
};

struct rphone {
	struct runner *run;
	const struct sc_phone *sp;
	struct phone *phone;
	bool pending;               /* an operation we started is running */
	struct msgkeep *final;      /* its last final response, as bytes  */
	int err;                    /* its last DONE error                */
	enum phone_op op;
	unsigned unconsumed[PHONE_OPS]; /* DONE events not yet awaited     */
	unsigned sent;              /* requests sent (not retransmissions) */
	unsigned sent_op[PHONE_OPS];
	/* calls: the latest call and what happened to it */
	struct phone_call *call;    /* referenced                         */
	struct sip_msg *invite;     /* the latest INVITE that arrived     */
	unsigned calls_in;          /* INVITEs not yet awaited            */
	struct sip_msg *cancel;     /* the latest CANCEL                  */
	unsigned cancels;
	unsigned byes;
	struct sip_msg *call_final; /* final response to our INVITE       */
	bool call_final_seen;
	struct sip_msg *refer_final;
	bool refer_done;
};

struct runner {
	const struct scenario *sc;
	const struct run_opts *opts;
	struct reg_config *cfg;
	struct sim_registrar *sr;
	struct sa reg_addr[3];      /* UDP, TCP, TLS next hop             */
	char domain[256];           /* the phones' default domain         */
	struct rphone *phonev;
	size_t phonec;
	struct hash *decisions;
	struct tmr tmr;
	bool timed_out;
	unsigned inflight;
	struct rphone **queue;      /* phones waiting to start an op      */
	size_t queuen;
	size_t queuepos;
	const struct sc_step *qstep;
	const struct sc_step *last_op;  /* expect's default phones         */
	struct run_result *res;
	size_t msgcap;
	size_t stepcap;
	unsigned cur_line;          /* the step running now               */
	char dial_sid[48];          /* the outside call dialled last      */
	uint64_t t0;                /* tmr_jiffies() at the start          */
	struct linkfaults *lf;      /* the phones' link faults, or NULL   */
	char state_dir[64];         /* restart: the registrar's state file
				       lives here ("": none)             */
	char state_path[96];
	bool need_tls;
	struct wire *wire;          /* what crossed the wire (wire.h)     */
	size_t pktcap;
};

/* the first failure is the one told; returns EPROTO (runner.c) */
int  rn_set_verdict(struct runner *r, enum verdict v, unsigned line,
		    const char *rule, const char *fmt, ...);
/* run a step by its row, with its entry in the result (runner.c) */
int  rn_run_step(struct runner *r, const struct sc_step *st);
int  rn_run_steps(struct runner *r, const struct sc_step *stepv,
		  size_t stepc);

/* the wire and the protocol checker (runner_wire.c) */
struct rn_record {               /* one SIP message for the reports   */
	const struct sip_msg *msg;  /* decoded, or NULL                  */
	const uint8_t *buf;
	size_t len;
	const char *phone;          /* the scenario's own name string    */
	bool from_phone;
	bool retrans;
	const struct sa *src;
	const struct sa *dst;
	int tp;
	uint64_t wall_us;
};
void rn_record_msg(struct runner *r, const struct rn_record *rec);
int  rn_wire_start(struct runner *r);
void rn_wire_name_service(struct runner *r);
void rn_wire_name_phone(struct runner *r, const struct rphone *rp);
void rn_wire_where(struct runner *r);
/* the in-process service's trace (sim_registrar_opts.traceh, arg: the
 * runner): its TLS messages, whole and decrypted, to the wire */
void rn_wire_tls(bool tx, int tp, const struct sa *src, const struct sa *dst,
		 const uint8_t *pkt, size_t len, void *arg);
void rn_wire_finish(struct runner *r);
bool rn_phone_misbehaves(const struct sc_phone *sp);

/* the loop and the phones (runner_phones.c) */
typedef bool (rn_pred_h)(struct runner *r, void *arg);
/* run the loop until pred holds or ms of real time pass */
bool rn_wait_until(struct runner *r, rn_pred_h *pred, void *arg,
		   uint64_t ms);
bool rn_never(struct runner *r, void *arg);
/* the rule the registrar decided a response by (buf), NULL: unknown */
const char *rn_decision_of(struct runner *r, const struct sip_msg *msg,
			   char *buf, size_t sz);
void *rn_grow(void *v, size_t *cap, size_t n, size_t elem);
struct rphone *rn_rphone_find(struct runner *r, const char *name);
/* queue the operation for every phone of the step (no waiting) */
int  rn_queue_ops(struct runner *r, const struct sc_step *st);
int  rn_wait_ops(struct runner *r, const struct sc_step *st,
		 size_t phonec);

/* the registrar's events and the phones' (runner_phones.c) */
struct decision;
struct call_info;
void rn_decision_handler(const struct decision *d, void *arg);
void rn_call_handler(const struct call_info *ci, void *arg);
void rn_guard_handler(uint16_t scode, const char *reason,
		      const char *detail, const struct sa *src,
		      const char *transport, const char *method, void *arg);
void rn_phone_event(struct phone *phone, const struct phone_event *ev,
		    void *arg);

/* a call's media into the result, when it ends; at the scenario's end
 * the calls still open (runner_phones.c) */
void rn_media_keep(struct runner *r, const struct rphone *rp,
		   const struct phone_call *call);
void rn_media_keep_open(struct runner *r);

/* set-up and close (runner_setup.c); the in-process registrar started
 * (again: a restart, from its state file) */
int  rn_start_registrar(struct runner *r, bool again);
int  rn_start_phones(struct runner *r);
void rn_close(struct runner *r);

/* checks shared by steps (steps/expect.c) */
int  rn_run_expect(struct runner *r, const struct sc_step *st,
		   char *const *phonev, size_t phonec);
bool rn_header_matches(const struct sip_msg *msg, const char *name,
		       const regex_t *re, bool *present);
int  rn_check_headers(struct runner *r, unsigned line,
		      const struct sc_expect *e, const struct sip_msg *m,
		      const char *name, const char *got);
/* the rule a failed check stands for */
const char *rn_rule_for(const struct runner *r, const struct sc_expect *e);

#endif
