/**
 * @file runner.h  Runs one scenario: a fresh in-process sim-registrar on
 * loopback with the virtual clock (or an external target in real time),
 * the scenario's phones, its steps, and a verdict that says which step
 * failed, what was expected, what arrived and which rule it breaks.
 */

#ifndef SIPCONFORM_RUNNER_H
#define SIPCONFORM_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>

struct scenario;
struct pc_row;

struct run_opts {
	const struct sa *target;    /* NULL: an in-process sim-registrar   */
	const struct sa *control;   /* the target's control API, or NULL   */
	bool verbose;               /* every step and phone event, stderr  */
	bool record;                /* keep every SIP message (reports)    */
};

enum verdict {
	VERDICT_PASS,
	VERDICT_FAIL,
	VERDICT_SKIP,
	VERDICT_ERROR,              /* the infrastructure failed           */
};

/* one SIP message between a phone and the registrar, for the reports */
struct run_msg {
	uint64_t wall_us;           /* wall clock, µs since the epoch      */
	uint64_t virtual_ms;        /* the scenario's virtual time offset  */
	const char *phone;          /* the phone's name (scenario-owned)   */
	bool from_phone;            /* phone -> registrar (a request)      */
	bool retrans;               /* a UDP retransmission                */
	struct sa src;
	struct sa dst;
	int tp;                     /* enum sip_transp                     */
	char *text;                 /* the whole message                   */
	char *summary;              /* "REGISTER" / "407 Proxy Auth..."    */
	char rule[24];              /* responses: the registrar's rule     */
	unsigned line;              /* the step it belongs to              */
};

/* a packet that is not SIP (RTP, RTCP), for the trace */
struct run_pkt {
	uint64_t wall_us;
	struct sa src;
	struct sa dst;
	uint8_t *data;
	size_t len;
};

/* what the protocol checker found on the wire (protocheck.h) */
struct run_finding {
	const struct pc_row *row;
	int role;                   /* enum pc_role: who is at fault       */
	char *element;              /* "service", "desk-1", ...            */
	char *where;                /* file:line of the step, or ""        */
	unsigned line;
	char *expected;
	char *actual;
	bool fails;                 /* it fails the scenario               */
};

/* one direction of a call's media, as one phone saw it */
struct run_media_dir {
	uint32_t packets;
	uint64_t bytes;
	int64_t first_ms;           /* after the answer/ACK; -1: none      */
	uint32_t lost;              /* rx only                             */
	double jitter_ms;           /* rx only                             */
	uint32_t tone_hz;           /* rx: heard; tx: sent; 0: none        */
	char digits[33];
	bool one_way;               /* MEDIA-RTP-3: rx, none came within
				       2 s of the answer; tx, none sent   */
	bool silent;                /* rx only: RTP came, all of it silence */
};

/* a phone's call's media, kept when the call ends or the scenario does */
struct run_media {
	const char *phone;          /* the phone's name (scenario-owned)   */
	char callid[64];
	int pt;                     /* 0 PCMU, 8 PCMA; -1: none agreed     */
	struct run_media_dir rx;    /* what the phone received             */
	struct run_media_dir tx;    /* what it sent                        */
	int16_t *pcm;               /* received audio, 8 kHz (--report)    */
	size_t pcmc;
};

/* one step as run (repeat and parallel bodies are steps too) */
struct run_step {
	unsigned line;
	const char *kind;           /* "register", "expect", "advance", ... */
	enum verdict verdict;       /* PASS, or FAIL for the failing one   */
	uint64_t start_ms;          /* real ms since the scenario began    */
	uint64_t real_ms;
	uint64_t virtual_ms;        /* virtual offset when it began        */
};

struct run_result {
	enum verdict verdict;
	char *why;                  /* FAIL/SKIP/ERROR: what happened      */
	unsigned line;              /* FAIL: the failing step's line       */
	char *rule;                 /* FAIL: the rule the check stands for */
	uint64_t real_ms;
	uint64_t virtual_ms;        /* virtual time the scenario covered   */
	unsigned steps;             /* steps run                           */
	unsigned messages;          /* SIP requests the phones sent        */
	unsigned unchecked;         /* checks of registrar state (rule,
				       bindings) a target without control
				       API could not answer               */
	uint64_t wall_start_us;     /* when it began, µs since the epoch   */
	struct run_msg *msgv;       /* SIP messages (at most RUN_MSG_MAX)  */
	size_t msgc;
	size_t msgs_dropped;        /* beyond RUN_MSG_MAX                  */
	struct run_step *stepv;
	size_t stepc;
	struct run_pkt *pktv;       /* other packets (at most RUN_PKT_MAX) */
	size_t pktc;
	size_t pkts_dropped;
	struct run_finding *findingv; /* the protocol checker's findings  */
	size_t findingc;
	size_t wire_msgs;           /* SIP messages the checker read       */
	struct run_media *mediav;   /* calls' media (at most RUN_MEDIA_MAX) */
	size_t mediac;
};

enum { RUN_MSG_MAX = 200000, RUN_STEP_MAX = 100000, RUN_PKT_MAX = 50000,
       RUN_FINDING_MAX = 1000, RUN_MEDIA_MAX = 64,
       RUN_MEDIA_PCM_MS = 3000 };

/* an empty result (a mem object: its messages and steps freed with it) */
struct run_result *run_result_alloc(void);

struct pc_finding;
/* whether a protocol checker finding fails its scenario: against the
 * reference service always (a bug of ours), against a simulated phone
 * unless it was told to misbehave, against the element under test when
 * the row is a MUST */
bool run_finding_fails(const struct pc_finding *f);
/* the finding appended to res->findingv (NULL: full, or no memory) */
struct run_finding *run_finding_add(struct run_result *res,
				    const struct pc_finding *f);

int runner_run(struct run_result **resp, const struct scenario *sc,
	       const struct run_opts *opts);
const char *verdict_name(enum verdict v);

/* sockets the scenario's phones open (own ones, plus shared stacks) */
size_t runner_sockets_needed(const struct scenario *sc);

#endif
