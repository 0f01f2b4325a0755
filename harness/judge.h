/**
 * @file judge.h  Judges a real phone by the rules of
 * docs/rules/phone.md (P-*), from the SIP messages the reference
 * registrar exchanged with it (its trace handler, sim_registrar_opts.traceh).
 *
 * judge_trace() is fed every message, both ways; the judge keeps what the
 * rules need: every REGISTER (with its retransmissions, credentials, asked
 * expiry, Via, Contact, User-Agent) and the final response the registrar
 * gave it (status, granted expiry, nonce, stale, Min-Expires,
 * Retry-After); every INVITE the registrar sent the phone with the
 * phone's responses, the CANCEL/BYE around it; the phone's own requests
 * (INVITE, REFER, BYE) and the answers to the harness's probes.  Messages
 * from or to an address set aside (judge_ignore(): the simulated second
 * phone) are left out.
 *
 * The judge_* evaluators then give each rule a verdict (struct jverdict):
 * FAIL, WARN, INFO, PASS or SKIP, with what was observed and, for a FAIL
 * or WARN, the setting of the phone's configuration guide to change.
 */

#ifndef SIPCONFORM_JUDGE_H
#define SIPCONFORM_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>

enum jlevel {
	JV_PASS,
	JV_INFO,
	JV_WARN,
	JV_FAIL,
	JV_SKIP,
};

const char *jlevel_name(enum jlevel v);

/* a row of phone-rules.md */
struct prule {
	const char *id;           /* "P-REG-REFRESH"                       */
	const char *what;         /* what is judged                        */
	const char *levels;       /* "FAIL (lapse) / WARN (late)"          */
	const char *setting;      /* the guide setting; NULL: none ("—")   */
};

const struct prule *prule_find(const char *id);
const struct prule *prule_at(size_t i);    /* NULL past the end       */
size_t prule_count(void);

struct jverdict {
	const char *rule;         /* the row's id (static)                 */
	enum jlevel level;
	char observed[512];       /* what the phone did                    */
	char why[512];            /* the judgement                         */
	char advice[256];         /* FAIL/WARN: the setting to change; ""  */
};

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

struct judge;

int  judge_alloc(struct judge **jp, const char *aor_user,
		 const char *aor_domain);
/* feed every message the registrar sent or received */
void judge_trace(struct judge *j, bool tx, int tp, const struct sa *src,
		 const struct sa *dst, const uint8_t *pkt, size_t len);
/* messages from or to this address are not the phone under test's */
void judge_ignore(struct judge *j, const struct sa *addr);
bool judge_ignored(const struct judge *j, const struct sa *addr);
/* a probe the harness sent (its Call-ID) */
int  judge_probe_add(struct judge *j, const char *method, const char *label,
		     const char *callid);

size_t judge_regc(const struct judge *j);
const struct jreg *judge_reg(const struct judge *j, size_t i);
size_t judge_callc(const struct judge *j);
const struct jcall *judge_call(const struct judge *j, size_t i);
const struct jcall *judge_call_by_id(const struct judge *j,
				     const char *callid);
size_t judge_probec(const struct judge *j);
const struct jprobe *judge_probe(const struct judge *j, size_t i);
size_t judge_reqc(const struct judge *j);
const struct jreq *judge_req(const struct judge *j, size_t i);

/* the first REGISTER with credentials that got a 2xx; NULL: none yet */
const struct jreg *judge_first_ok(const struct judge *j);
/* index of the last REGISTER answered 2xx before index `before`, or -1 */
long judge_last_ok(const struct judge *j, size_t before);
/* the phone's first REGISTER (any); NULL: none yet */
const struct jreg *judge_first(const struct judge *j);
/* the phone's signalling address as first seen */
bool judge_phone_addr(const struct judge *j, struct sa *sa);

/* ------------------------------------------------------- evaluators */

/* rules judged on the first registration (capture) */
void judge_reg_uri(const struct judge *j, struct jverdict *v);
void judge_reg_host(const struct judge *j, struct jverdict *v);
void judge_reg_authid(const struct judge *j, struct jverdict *v);
void judge_reg_expiry(const struct judge *j, struct jverdict *v);
void judge_reg_nat(const struct judge *j, struct jverdict *v);
/* every REGISTER so far */
void judge_reg_callid(const struct judge *j, struct jverdict *v);
void judge_reg_overlap(const struct judge *j, size_t from, size_t to,
		       struct jverdict *v);

/*
 * The refresh after the 2xx at index `ok`: the first REGISTER that came
 * after it (index next, or -1: none by now, `now` ms).  shortened: judge
 * P-REG-SHORTENED (was the grant shorter than asked, and honoured?),
 * else P-REG-REFRESH (on time?).
 */
void judge_reg_refresh(const struct judge *j, long ok, long next,
		       uint64_t now, bool shortened, struct jverdict *v);
/* the REGISTER answered 423 at index i, and the phone's next one */
void judge_reg_423(const struct judge *j, long i, long next,
		   struct jverdict *v);
void judge_reg_stale(const struct judge *j, long i, long next,
		     struct jverdict *v);
/* 403 at index i: the REGISTERs in [i+1, end) within window_ms */
void judge_reg_403(const struct judge *j, long i, uint64_t window_ms,
		   uint64_t now, struct jverdict *v);
void judge_reg_503(const struct judge *j, long i, uint64_t now,
		   struct jverdict *v);
void judge_reg_unreg(const struct judge *j, size_t from,
		     struct jverdict *v);

/* the call the registrar placed to the phone (NULL: none) */
void judge_call_ring(const struct jcall *c, struct jverdict *v);
void judge_call_answer(const struct jcall *c, bool auto_answer,
		       struct jverdict *v);
void judge_call_bye(const struct jcall *c, struct jverdict *v);
void judge_call_cancel(const struct jcall *c, struct jverdict *v);
void judge_call_forked(const struct jcall *c, bool other_answered,
		       struct jverdict *v);
void judge_refer_keep(const struct jcall *c, uint64_t now,
		      struct jverdict *v);
void judge_call_e164(const struct judge *j, size_t from,
		     struct jverdict *v);
void judge_method(const struct judge *j, struct jverdict *v);

/* verdict helpers */
void jverdict_set(struct jverdict *v, const char *rule, enum jlevel level,
		  const char *why_fmt, ...);
void jverdict_observed(struct jverdict *v, const char *fmt, ...);
void jverdict_advice(struct jverdict *v, const char *fmt, ...);

#endif
