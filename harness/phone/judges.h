/**
 * @file judges.h  The P-* rules of docs/rules/phone.md as rows:
 * one struct judge_row per rule, with its ID, what it judges, its verdict
 * levels, what it needs from the capture (capture.h), its verdict
 * function, and the configuration-guide setting and advice for a FAIL or
 * WARN.  The pack loader (pack.h: a *.phone file names a row), the run
 * loop (which step a row needs), the report and the guide all read this
 * one table; a new rule is a new row and a new function.
 *
 * The rows live with their functions: judges_reg.c (registration),
 * judges_call.c (calls, requests, transfer), judges_sec.c (TLS, SRTP),
 * judges_media.c (media: codecs, RTP, DTMF, hold); judges.c joins them.
 */

#ifndef SIPCONFORM_PHONE_JUDGES_H
#define SIPCONFORM_PHONE_JUDGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture;
struct jcall;
struct call_leg_media;

enum jlevel {
	JV_PASS,
	JV_INFO,
	JV_WARN,
	JV_FAIL,
	JV_SKIP,
};

const char *jlevel_name(enum jlevel v);

struct jverdict {
	const char *rule;         /* the row's id (static)                 */
	enum jlevel level;
	char observed[512];       /* what the phone did                    */
	char why[512];            /* the judgement                         */
	char advice[256];         /* FAIL/WARN: the setting to change; ""  */
};

/*
 * What a rule needs from the capture, which is what its step of the pack
 * does before the verdict (../phone_mode.c runs it).
 */
enum jneed {
	JN_FIRST_REG,    /* the first registration, nothing to wait for     */
	JN_REGISTERS,    /* every REGISTER so far                           */
	JN_REFRESH,      /* the step's reply to a refresh (a grant), and the
			    phone's next REGISTER                           */
	JN_RETRY,        /* the step's reply (row.answer), and the retry    */
	JN_HELD,         /* the REGISTERs while the step's reply is held    */
	JN_RETRY_AFTER,  /* 503 + Retry-After, and the retry after it       */
	JN_REFUSED,      /* 403 to every attempt of a window: the attempts  */
	JN_CALL,         /* a call the registrar placed to the phone        */
	JN_PROBES,       /* the phone's answers to the harness's requests   */
	JN_SHUTDOWN,     /* a person shuts the phone down                   */
	JN_DIAL,         /* a person dials a number on the phone            */
	JN_TRANSFER,     /* a call, and a person presses transfer           */
	JN_TLS,          /* the first registration's transport, and a pass
			    with a wrong-name certificate (tls.c)          */
	JN_MEDIA,        /* the media of a call the service places to the
			    phone (a tone played to it) and, with a person,
			    of the phone's call to the test application
			    (media.c): the service's figures of each      */
	JN_DTMF,         /* a person calls the test application and presses
			    digits                                         */
	JN_HOLD,         /* a call to the phone; a person presses hold,
			    then resume                                    */
};

/*
 * One call's media as the service measured it on its leg to the phone
 * (sim-registrar/calls.h: rx what came from the phone, tx what the
 * service sent it); not re-measured here.
 */
struct jmedia {
	const struct call_leg_media *leg; /* NULL: no such call            */
	char callid[128];         /* the SIP Call-ID of the phone's leg    */
	uint32_t tone_hz;         /* the tone the service played to it     */
};

/* what a verdict function is given (fields a row does not need: 0/-1) */
struct jctx {
	const struct capture *cap;
	uint64_t now;             /* ms (tmr_jiffies)                      */
	size_t from, to;          /* the REGISTERs of the step [from, to);
				     JN_DIAL: the phone's requests from    */
	long ok;                  /* JN_REFRESH: the 2xx it refreshes      */
	long i;                   /* the REGISTER the step's reply answered
				     (423, stale 407, 503, 403); -1 none  */
	long next;                /* the phone's next REGISTER; -1: none
				     (the judge looks for it)              */
	uint64_t window_ms;       /* JN_REFUSED: the attempts counted      */
	const struct jcall *call; /* JN_CALL, JN_TRANSFER; NULL: none      */
	bool auto_answer;         /* --auto-answer                         */
	bool other_answered;      /* the call was answered elsewhere       */
	bool tls;                 /* JN_TLS: the run listened on TLS       */
	bool tls_back;            /* it registered again with the right
				     certificate                           */
	char tls_wrong_cn[64];    /* the wrong-name pass's name; `next`:
				     a REGISTER through it (-1 none)      */
	/* JN_MEDIA, JN_DTMF, JN_HOLD */
	struct jmedia in;         /* the service called the phone          */
	struct jmedia out;        /* the phone called the test application */
	bool asked;               /* a person was asked and did not decline */
	char digits[16];          /* JN_DTMF: the digits asked for         */
	size_t mfrom;             /* JN_HOLD: the phone's media requests
				     (capture_mreq) from this index        */
	uint32_t held_rx;         /* JN_HOLD: RTP packets from the phone in
				     the seconds after its hold ...        */
	uint32_t resumed_rx;      /* ... and after its resume              */
	bool secure_media;        /* JN_MEDIA: the run asked for SDES SRTP
				     (--secure-media); `call`: the service's
				     call to the phone (its answer)        */
};

/* x zeroed, for cap, indices -1 (none), now the current time */
void jctx_init(struct jctx *x, const struct capture *cap);

typedef void (judge_fn)(const struct jctx *x, struct jverdict *v);

/* a row of phone-rules.md */
struct judge_row {
	const char *id;           /* "P-REG-REFRESH"                       */
	const char *what;         /* what is judged                        */
	const char *levels;       /* "FAIL (lapse) / WARN (late)"          */
	enum jneed need;
	uint16_t answer;          /* JN_RETRY..JN_REFUSED: the registrar's
				     answer the step looks for (407: the
				     stale challenge)                      */
	judge_fn *judge;
	const char *setting;      /* the guide setting; NULL: none ("—")   */
	const char *advice;       /* FAIL/WARN when the function gave no
				     advice of its own; NULL: none         */
};

/* the rows of each theme (the order of phone-rules.md) */
extern const struct judge_row judges_reg[];
extern const size_t judges_reg_count;
extern const struct judge_row judges_call[];
extern const size_t judges_call_count;
extern const struct judge_row judges_sec[];
extern const size_t judges_sec_count;
extern const struct judge_row judges_media[];
extern const size_t judges_media_count;

const struct judge_row *judges_find(const char *id);
const struct judge_row *judges_at(size_t i);   /* NULL past the end    */
size_t judges_count(void);

/*
 * The row's verdict on x into v (zeroed first): its function, then the
 * row's advice for a FAIL or WARN that has none; SKIP "not judged" when
 * the function gave no verdict.
 */
void judges_run(const struct judge_row *row, const struct jctx *x,
		struct jverdict *v);

/*
 * A SKIP for want of a person: a step that needs one (shut down, dial,
 * transfer), or a call that only a phone set to ring can be judged on
 * (CANCEL, fork) when it did not ring.  The guide lists them.
 */
bool judges_for_person(const struct judge_row *row,
		       const struct jverdict *v);

/* verdict helpers, for the rows' functions */
void jverdict_set(struct jverdict *v, const char *rule, enum jlevel level,
		  const char *why_fmt, ...);
void jverdict_observed(struct jverdict *v, const char *fmt, ...);
void jverdict_advice(struct jverdict *v, const char *fmt, ...);

#endif
