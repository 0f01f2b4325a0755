/**
 * @file protocheck.h  A protocol checker that watches every SIP message.
 *
 * Scenarios check what they name; the checker checks everything else that
 * crosses the wire: RFC 3261 transaction and dialog invariants (every final
 * response to an INVITE ACKed, CANCEL only after a provisional, one
 * Max-Forwards, the branch cookie, a constant To-tag, rising CSeq,
 * Content-Length equal to the body, Contact in a 2xx to INVITE,
 * byte-identical retransmissions).  It is fed the messages as they were
 * sent or received on a socket (wire-true), in order, each with who sent it
 * and who it went to; what it finds is a list of findings, each naming its
 * row (the ID of docs/rules/rfc-checklist.md), the element at fault, the
 * scenario step that caused the message, what was expected and what came.
 *
 * The rows are a table (protocheck_rows()): reports, docs and tests read it.
 */

#ifndef SIPCONFORM_PROTOCHECK_H
#define SIPCONFORM_PROTOCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct protocheck;
struct sa;
struct sip_msg;

/* how strict a row is: a MUST of the RFC, or a SHOULD */
enum pc_level {
	PC_MUST = 0,
	PC_SHOULD,
};

/* what kind of element sent (or should have sent) a message: a finding
 * against the reference service is a bug of ours, against a simulated
 * phone it is one only where the scenario did not ask for misbehaviour,
 * against the element under test it is a verdict */
enum pc_role {
	PC_ROLE_SERVICE = 0,   /* the reference service (sim-registrar)   */
	PC_ROLE_SIMPHONE,      /* a simulated phone                       */
	PC_ROLE_UNDER_TEST,    /* the phone or registrar being judged     */
	PC_ROLE_PEER,          /* anything else (a replay tool, a peer)   */
	PC_ROLE_COUNT
};

/* one row of the checker: an invariant with its RFC reference */
struct pc_row {
	const char *id;        /* "T-ACK-01", as in the RFC checklist  */
	const char *ref;       /* "RFC 3261 17.1.1.3"                   */
	enum pc_level level;
	const char *text;      /* the requirement, one sentence          */
};

/* one end of a message */
struct pc_party {
	enum pc_role role;
	const char *name;      /* "service", "desk-1", "phone under test" */
	bool misbehaves;       /* asked by the scenario to break rules    */
};

/* one message as it crossed a socket */
struct pc_msg {
	const uint8_t *buf;    /* the whole message, as on the wire       */
	size_t len;
	bool stream;           /* TCP/TLS: Content-Length is mandatory    */
	uint64_t ts;           /* milliseconds (any monotonic origin)     */
	struct pc_party from;
	struct pc_party to;
	const char *where;     /* file:line of the step that caused it    */
};

/* what the checker found */
struct pc_finding {
	const struct pc_row *row;
	enum pc_role role;     /* the element at fault                    */
	const char *element;   /* its name                                */
	bool misbehaves;       /* that element was asked to break rules   */
	const char *where;     /* file:line of the step, or ""            */
	const char *expected;
	const char *actual;
	uint64_t ts;
};

typedef void (pc_finding_h)(const struct pc_finding *f, void *arg);

const struct pc_row *protocheck_rows(size_t *n);
const struct pc_row *protocheck_row(const char *id);
const char *protocheck_role_name(enum pc_role role);

int  protocheck_alloc(struct protocheck **pcp);
int  protocheck_feed(struct protocheck *pc, const struct pc_msg *m);
/* the same, with the message already decoded from m->buf (NULL: it could
 * not be: the checker says why) */
int  protocheck_feed_msg(struct protocheck *pc, const struct pc_msg *m,
			 const struct sip_msg *msg);
/* the checks that need the end of the conversation: unACKed final
 * responses, CANCELs and cancelled INVITEs left unanswered */
void protocheck_finish(struct protocheck *pc);

size_t protocheck_count(const struct protocheck *pc);
size_t protocheck_count_role(const struct protocheck *pc,
			     enum pc_role role);
size_t protocheck_messages(const struct protocheck *pc);
/* requests and final responses seen again (retransmissions) */
size_t protocheck_retransmissions(const struct protocheck *pc);
/* transactions, 2xx and dialogs held now (bounded: pruned as they end) */
size_t protocheck_entries(const struct protocheck *pc);
/* visit every finding, oldest first */
void protocheck_apply(const struct protocheck *pc, pc_finding_h *h,
		      void *arg);
/* the first finding of a row, or NULL (for tests) */
const struct pc_finding *protocheck_find(const struct protocheck *pc,
					 const char *id);

#endif
