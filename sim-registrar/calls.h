/**
 * @file calls.h  Calls: the service as a back-to-back user agent on the
 * registrar's SIP stack (CALL-OUT-*, RING-*, REFER-1).
 *
 * A call has the caller's leg and, once connected, one far leg; each is a
 * dialog of its own.  The caller is a registered phone (an INVITE to the
 * domain: CALL-OUT-*, it runs the domain's voice application) or the
 * simulated outside network dialling one of the account's numbers
 * (calls_outside(): it runs the number's application).  <Dial><Sip> rings
 * every binding of an AOR at once (RING-*), <Dial> with a number reaches
 * the simulated outside network (pstn.h, CALL-OUT-6).
 *
 * Transactions the registrar starts toward phones are its own (INVITE
 * with Timer A/B, CANCEL with a Reason, ACK), sent with sip_send(), since
 * libre's sip_request_cancel() cannot carry a Reason.  The Dial timeout
 * and Timer C run on the virtual clock (vtimer.h).
 *
 * Every outcome is a decision (decision.h) naming its rule; call events
 * (call_event_h) are delivered on a later loop turn than the change, so a
 * handler may call calls_hangup() and friends.
 */

#ifndef SIPCONFORM_CALLS_H
#define SIPCONFORM_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "decision.h"
#include "stream.h"

struct sip;
struct sip_msg;
struct location;
struct reg_config;
struct pstn;
struct re_printf;

enum call_state {
	CALL_TRYING,              /* the application runs, nothing rings   */
	CALL_RINGING,             /* a branch rings (180/183), or a number */
	CALL_ANSWERED,            /* connected: answered_by says to whom   */
	CALL_ENDED,               /* scode and rule say how                */
};

/* one leg's media as the service saw it (media/stream.h, stats.h) */
struct call_leg_media {
	bool set;                 /* the leg had a stream                  */
	bool latched;             /* MEDIA-RTP-2: sent where RTP came from */
	bool srtp;                /* MEDIA-SRTP-1: SDES SRTP on the leg    */
	struct media_tx_figs tx;  /* what the service sent to that phone   */
	struct media_rx_figs rx;  /* what it received from it              */
	const int16_t *pcm;       /* what it heard, 8 kHz (calls_set_capture;
				     NULL: none), kept as long as the call */
	size_t pcmc;
};

/* a call as the harness sees it; the strings live as long as the call
 * is kept (every live call, the last 256 ended ones) */
struct call_info {
	const char *sid;          /* "CA" + 32 hex digits                  */
	const char *from;         /* the caller: a number, or a SIP user   */
	const char *to;           /* the number, or the user, called       */
	bool outside;             /* the caller is the outside network     */
	enum call_state state;
	const char *answered_by;  /* the binding's contact URI, the number,
				     or "application" (<Say>); NULL       */
	uint16_t scode;           /* 200 once answered, else the failure;
				     0 while nothing is final             */
	const char *rule;         /* rule ID of the last decision ("")     */
	uint32_t twilio_error;    /* of a failure; 0: none                 */
	const char *ended_by;     /* "caller", "callee", "application",
				     "registrar"; NULL while up            */
	uint32_t branches;        /* INVITEs sent to bindings              */
	uint32_t cancels;         /* CANCELs sent                          */
	uint64_t created;         /* vclock ms                             */
	uint64_t answered;        /* vclock ms, 0: never                   */
	uint64_t ended;           /* vclock ms, 0: still up                */
	struct call_leg_media media[2];   /* [0] the caller's leg (a phone),
					     [1] the far leg (a phone)     */
};

typedef void (call_event_h)(const struct call_info *ci, void *arg);

struct calls;

int  calls_alloc(struct calls **csp, struct sip *sip,
		 const struct reg_config *cfg, struct location *loc,
		 decision_h *dh, void *arg);
/* every call's events (the per-call handler gets its own as well) */
void calls_set_handler(struct calls *cs, call_event_h *h, void *arg);
/* ends every call, forgets them, the outside network's records and the
 * call nonces */
void calls_reset(struct calls *cs);

/* a request for the calls: true when it was answered here */
bool calls_request(struct calls *cs, const struct sip_msg *msg);

/*
 * The outside network calls one of the account's numbers: `to` must be
 * one, E.164 or convertible to it (ENOENT otherwise), from is any caller
 * ID (E.164 expected; EINVAL: empty, or characters a URI user cannot
 * hold).  The
 * number's application starts on the next loop turn; the SID is written
 * into sid (35 bytes).  h (may be NULL) gets this call's events.
 */
int  calls_outside(struct calls *cs, const char *from, const char *to,
		   call_event_h *h, void *arg, char *sid, size_t sz);
/* the outside caller hangs up (RING-6 while ringing); ENOENT: no such
 * live call; EPROTO: its caller is a phone, not the outside network */
int  calls_hangup(struct calls *cs, const char *sid);
int  calls_info(const struct calls *cs, const char *sid,
		struct call_info *ci);
/* <Say>'s tone, and the outside network's for a number (1000 Hz and up:
 * rows of media_tonev[]) */
enum { CALLS_SAY_HZ = 2000 };
uint32_t calls_number_tone(const char *number);
/* keep the first ms of what each leg hears from its phone (0: none, the
 * default; phone mode's report plays it) */
void calls_set_capture(struct calls *cs, uint32_t ms);
/* every kept call, oldest first; the handler may not change calls */
void calls_apply(const struct calls *cs, call_event_h *h, void *arg);
uint32_t calls_count(const struct calls *cs, bool live_only);
/*
 * INVITE transactions to phones that were CANCELled and still wait for
 * their final answer; each ends by itself (the 487 and its ACK, or 64*T1
 * without one), whatever happened to its call.  Whoever stops the service
 * runs the loop until this is 0 first, so every 487 is ACKed (RING-2,
 * RFC 3261 17.1.1.3).
 */
uint32_t calls_closing(const struct calls *cs);
struct pstn *calls_pstn(const struct calls *cs);
const char *call_state_name(enum call_state st);
/* {"caller":{"tx":..,"rx":..},"callee":..} (null where no stream) */
int  call_media_json(struct re_printf *pf, const struct call_info *ci);

#endif
