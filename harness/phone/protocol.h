/**
 * @file protocol.h  The protocol checker in `harness phone` (session.h):
 * every SIP message between the reference service and the phone under
 * test is checked (common/protocheck/), as in `harness run`.
 *
 * The wire tap sees every UDP datagram and TCP segment; TLS records are
 * ciphertext to it, so TLS messages come from the registrar's SIP trace
 * (libre's, which sees each transport's plaintext).  A finding against
 * the phone under test is a WARN, or a FAIL when its row is a MUST; one
 * against the reference service is a bug of ours (the step's entry an
 * ERROR).  Findings go to the entry of the step they happened in.
 */

#ifndef SIPCONFORM_PHONE_PROTOCOL_H
#define SIPCONFORM_PHONE_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

struct pm;
struct sa;
struct run_result;

/* what the checker found, for the summary and the exit status */
struct pm_protocol_counts {
	size_t messages;
	size_t findings;
	size_t phone_fails;      /* MUST rows broken by the phone         */
	size_t phone_warns;      /* SHOULD rows broken by the phone       */
	size_t service;          /* against the reference service: ours   */
};

/* the tap on, before the registrar opens its sockets */
int  pm_protocol_start(struct pm *pm);
/* the registrar's addresses named (after sim_registrar_alloc) */
void pm_protocol_name_service(struct pm *pm);
/* a simulated phone of the run's own (the second phone) */
void pm_protocol_name_simphone(struct pm *pm, const struct sa *addr,
			       const char *name);
/* step i (pm->resv[i]) begins */
void pm_protocol_step(struct pm *pm, size_t i);
/* from the registrar's trace handler: a message on a TLS connection */
void pm_protocol_trace(struct pm *pm, int tp, const struct sa *src,
		       const struct sa *dst, const uint8_t *pkt, size_t len);
/* the closing checks; the findings printed, counted into *c */
void pm_protocol_finish(struct pm *pm, struct pm_protocol_counts *c);
/* step i's findings and messages into its report entry */
int  pm_protocol_result(struct pm *pm, size_t i, struct run_result *res);
void pm_protocol_stop(struct pm *pm);

#endif
