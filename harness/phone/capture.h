/**
 * @file capture.h  What a real phone did, from the SIP messages the
 * reference registrar exchanged with it (its trace handler,
 * sim_registrar_opts.traceh): the capture the P-* judges (judges.h) read.
 *
 * capture_trace() is fed every message, both ways; the capture keeps what
 * the rules need: every REGISTER (with its retransmissions, credentials,
 * asked expiry, Via, Contact, User-Agent) and the final response the
 * registrar gave it (status, granted expiry, nonce, stale, Min-Expires,
 * Retry-After); every INVITE the registrar sent the phone with the
 * phone's responses, the CANCEL/BYE around it; the phone's own requests
 * (INVITE, REFER, BYE), its SDP offers and DTMF INFOs (struct jmreq), and
 * the answers to the harness's probes.  Messages
 * from or to an address set aside (capture_ignore(): the simulated second
 * phone) are left out.
 */

#ifndef SIPCONFORM_PHONE_CAPTURE_H
#define SIPCONFORM_PHONE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>

/* ----------------------------------------------------------- records */

/* one REGISTER (its retransmissions folded in) and its final response */
struct jreg {
	uint64_t t;               /* ms (tmr_jiffies) it first arrived     */
	uint64_t wall_us;
	char callid[128];
	uint32_t cseq;
	char branch[96];
	unsigned retrans;
	char ruri[256];
	char to[256];
	char from[256];
	int64_t asked;            /* Expires header / contact param; -1   */
	bool has_contact;
	bool removal;             /* every contact expires 0 (or '*')     */
	bool creds;               /* Authorization / Proxy-Authorization  */
	char username[96];
	char nonce[160];
	bool rport;               /* Via has rport                        */
	struct sa src;
	int tp;                   /* enum sip_transp                      */
	char contact[256];        /* first Contact URI                    */
	struct sa contact_addr;   /* its host:port when an IP literal     */
	bool contact_ip;
	char user_agent[160];
	/* the registrar's final answer */
	uint16_t scode;           /* 0: none yet                          */
	uint64_t final_t;
	int64_t granted;          /* 2xx: the phone's contact's expiry; -1 */
	char chal_nonce[160];     /* 401/407: the nonce issued            */
	bool stale;
	uint32_t min_expires;
	uint32_t retry_after;
	uint64_t overlap_t;       /* another REGISTER came before the final
				     response: when (0: none)             */
};

/* the phone's side of one INVITE the registrar sent it */
struct jcall {
	uint64_t invite_t;
	char callid[128];
	char branch[96];
	struct sa dst;
	uint64_t first_prov_t;    /* first 1xx (0: none)                  */
	uint64_t ringing_t;       /* first 180/183                        */
	uint16_t final;
	uint64_t final_t;
	unsigned final_count;     /* 2xx seen (retransmissions included)  */
	char totag[96];           /* the first To tag                     */
	bool totag_changed;
	bool totag_missing;       /* a response other than 100 without one */
	bool sdp;                 /* the 2xx has an SDP answer            */
	char codecs[160];         /* from it: "PCMU/8000 PCMA/8000 ..."   */
	char proto[16];           /* its m=audio transport: "RTP/SAVP"    */
	char crypto[96];          /* its a=crypto suites (codecs.h)       */
	uint64_t ack_t;
	uint64_t cancel_t;        /* the registrar's CANCEL               */
	char cancel_reason[128];
	uint16_t cancel_scode;    /* the phone's answer to it             */
	uint64_t after_cancel_2xx;/* a 2xx after the CANCEL (0: none)     */
	uint64_t bye_t;           /* the registrar's BYE                  */
	uint16_t bye_scode;
	uint64_t bye_answer_t;
	uint64_t phone_bye_t;     /* the phone's own BYE                  */
	unsigned phone_refers;    /* REFERs from the phone in this dialog */
	uint64_t phone_refer_t;
	uint16_t refer_scode;     /* the registrar's answer to the first  */
};

/* a request of the harness's own (P-METHOD) and the phone's answer */
struct jprobe {
	char method[32];
	char label[64];           /* "unknown method", ...                */
	char callid[128];
	uint16_t scode;           /* 0: no answer                         */
	char allow[256];
	char unsupported[128];
};

/* a request the phone sent outside REGISTER (an outgoing call, ...) */
struct jreq {
	uint64_t t;
	char method[32];
	char ruri[256];
	char to[256];
	char callid[128];
};

/* a request of the phone's that carries media: its SDP offer (an INVITE,
 * a re-INVITE, an UPDATE) or a DTMF INFO; retransmissions folded in */
struct jmreq {
	uint64_t t;
	char method[16];
	char callid[128];
	uint32_t cseq;
	bool in_call;             /* in a call the registrar placed to it  */
	bool sdp;                 /* it carries an SDP body               */
	char codecs[160];         /* its m=audio's codecs (codecs.h)      */
	bool savp;                /* m=audio ... RTP/SAVP (SRTP)          */
	char proto[16];           /* its m=audio transport: "RTP/SAVP"    */
	char crypto[96];          /* its a=crypto suites (codecs.h)       */
	char dir[12];             /* sendrecv, sendonly, recvonly, inactive
				     (c=0.0.0.0: inactive)                */
	char ctype[64];           /* INFO: its Content-Type               */
};

struct capture;

/* aor_user@aor_domain: the account the phone registers */
int  capture_alloc(struct capture **cp, const char *aor_user,
		   const char *aor_domain);
const char *capture_user(const struct capture *c);
const char *capture_domain(const struct capture *c);

/* feed every message the registrar sent or received */
void capture_trace(struct capture *c, bool tx, int tp,
		   const struct sa *src, const struct sa *dst,
		   const uint8_t *pkt, size_t len);
/* messages from or to this address are not the phone under test's */
void capture_ignore(struct capture *c, const struct sa *addr);
bool capture_ignored(const struct capture *c, const struct sa *addr);
/* a probe the harness sent (its Call-ID) */
int  capture_probe_add(struct capture *c, const char *method,
		       const char *label, const char *callid);

size_t capture_regc(const struct capture *c);
const struct jreg *capture_reg(const struct capture *c, size_t i);
size_t capture_callc(const struct capture *c);
const struct jcall *capture_call(const struct capture *c, size_t i);
const struct jcall *capture_call_by_id(const struct capture *c,
				       const char *callid);
size_t capture_probec(const struct capture *c);
const struct jprobe *capture_probe(const struct capture *c, size_t i);
size_t capture_reqc(const struct capture *c);
size_t capture_mreqc(const struct capture *c);
const struct jmreq *capture_mreq(const struct capture *c, size_t i);
const struct jreq *capture_req(const struct capture *c, size_t i);

/* the first REGISTER with credentials that got a 2xx; NULL: none yet */
const struct jreg *capture_first_ok(const struct capture *c);
/* index of the last REGISTER answered 2xx before index `before`, or -1 */
long capture_last_ok(const struct capture *c, size_t before);
/* the phone's first REGISTER (any); NULL: none yet */
const struct jreg *capture_first(const struct capture *c);
/* the phone's signalling address as first seen */
bool capture_phone_addr(const struct capture *c, struct sa *sa);

#endif
