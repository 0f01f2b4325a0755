/**
 * @file pstn.h  The simulated outside network (CALL-OUT-6): numbers that a
 * <Dial> reaches answer, are busy or ring forever, as `pstn:` in the
 * configuration says; every call it gets is recorded.
 *
 * No SIP: a call here is a state machine on the virtual clock.  Events
 * come from vtimers, never from inside pstn_dial() or pstn_hangup().
 */

#ifndef SIPCONFORM_PSTN_H
#define SIPCONFORM_PSTN_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"

enum pstn_event {
	PSTN_EV_RINGING,          /* the far phone rings                   */
	PSTN_EV_ANSWERED,         /* ... and is picked up                  */
	PSTN_EV_BUSY,             /* busy: the call failed (486)           */
	PSTN_EV_HANGUP,           /* the far end hung up after talking     */
};

enum pstn_state {
	PSTN_ST_DIALLING,
	PSTN_ST_RINGING,
	PSTN_ST_ANSWERED,
	PSTN_ST_BUSY,             /* ended: was busy                       */
	PSTN_ST_CANCELLED,        /* ended: the caller gave up ringing     */
	PSTN_ST_COMPLETED,        /* ended after an answer                 */
};

/* one call the outside network got */
struct pstn_record {
	const char *call;         /* SID of the call that dialled          */
	const char *to;           /* the number dialled                    */
	const char *from;         /* caller ID shown                       */
	enum pstn_behaviour behaviour;
	enum pstn_state state;
	uint64_t started;         /* vclock ms                             */
	uint64_t answered;        /* 0: never                              */
	uint64_t ended;           /* 0: still up                           */
	const char *ended_by;     /* "caller", "callee", NULL              */
};

struct pstn;
struct pstn_call;

typedef void (pstn_event_h)(enum pstn_event ev, void *arg);
typedef bool (pstn_record_h)(const struct pstn_record *rec, void *arg);

int  pstn_alloc(struct pstn **pp, const struct reg_config *cfg);
void pstn_reset(struct pstn *p);            /* forgets the records      */

/* place a call: events follow on later loop turns */
int  pstn_dial(struct pstn_call **pcp, struct pstn *p, const char *call,
	       const char *from, const char *to, pstn_event_h *h, void *arg);
/* the caller side ends it (cancel while ringing, hang up when answered);
 * no more events; frees pc (NULL is fine) */
void pstn_hangup(struct pstn_call *pc);
const struct pstn_record *pstn_call_record(const struct pstn_call *pc);

/* records, oldest first; the handler returns true to stop */
void pstn_apply(const struct pstn *p, pstn_record_h *h, void *arg);
uint32_t pstn_count(const struct pstn *p);
const char *pstn_state_name(enum pstn_state st);
const char *pstn_behaviour_name(enum pstn_behaviour b);

#endif
