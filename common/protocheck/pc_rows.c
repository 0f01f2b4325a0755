/**
 * @file pc_rows.c  The protocol checker's rows: one invariant each.
 *
 * The IDs are rows of the RFC checklist (docs/rules/rfc-checklist.md,
 * section "Transactions and dialogs"); reports and docs read this table.
 */

#include <string.h>
#include "protocheck/protocheck.h"


static const struct pc_row rows[] = {
	{"T-PARSE-01", "RFC 3261 25", PC_MUST,
	 "every message follows the SIP grammar (start line, headers, "
	 "a single To, From, Call-ID and CSeq)"},
	{"T-VIA-01", "RFC 3261 8.1.1.7", PC_MUST,
	 "a request's top Via has a branch that begins with the magic "
	 "cookie z9hG4bK"},
	{"T-VIA-02", "RFC 3261 8.1.1.7, 17.2.3", PC_MUST,
	 "a new request (not a retransmission: another CSeq) never "
	 "reuses the branch of an earlier one"},
	{"T-MF-01", "RFC 3261 8.1.1.6, 20.22", PC_MUST,
	 "a request carries exactly one Max-Forwards, a number from 0 to "
	 "255"},
	{"T-CLEN-01", "RFC 3261 18.3, 20.14", PC_MUST,
	 "Content-Length equals the length of the body (and is present "
	 "on stream transports)"},
	{"T-TAG-01", "RFC 3261 8.2.6.2", PC_MUST,
	 "every response but 100 carries a To-tag, the same on every "
	 "response to one request"},
	{"T-CONTACT-01", "RFC 3261 12.1.1, 13.3.1.4", PC_MUST,
	 "a 2xx to an INVITE carries a Contact"},
	{"T-CSEQ-01", "RFC 3261 12.2.1.1", PC_MUST,
	 "inside a dialog each new request (ACK and CANCEL aside) has a "
	 "CSeq above the sender's previous one"},
	{"T-RTX-01", "RFC 3261 17.1.1.2, 17.2.1", PC_MUST,
	 "a retransmitted request or final response is byte-identical to "
	 "the first"},
	{"T-ACK-01", "RFC 3261 17.1.1.3", PC_MUST,
	 "every final non-2xx response to an INVITE is ACKed with the "
	 "INVITE's branch"},
	{"T-ACK-02", "RFC 3261 13.2.2.4", PC_MUST,
	 "every 2xx response to an INVITE is ACKed"},
	{"T-CANCEL-01", "RFC 3261 9.1", PC_MUST,
	 "a CANCEL is sent only after a provisional response to its "
	 "INVITE"},
	{"T-CANCEL-02", "RFC 3261 9.2", PC_MUST,
	 "a CANCEL is answered (200), and the INVITE it cancels gets a "
	 "final response (487)"},
};


const struct pc_row *protocheck_rows(size_t *n)
{
	if (n)
		*n = sizeof(rows) / sizeof(rows[0]);

	return rows;
}


const struct pc_row *protocheck_row(const char *id)
{
	size_t i;

	for (i = 0; id && i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!strcmp(rows[i].id, id))
			return &rows[i];
	}

	return NULL;
}


const char *protocheck_role_name(enum pc_role role)
{
	static const char *names[PC_ROLE_COUNT] = {
		[PC_ROLE_SERVICE]    = "reference service",
		[PC_ROLE_SIMPHONE]   = "simulated phone",
		[PC_ROLE_UNDER_TEST] = "element under test",
		[PC_ROLE_PEER]       = "peer",
	};

	return (unsigned)role < PC_ROLE_COUNT ? names[role] : "?";
}
