/**
 * @file sipcheck.h  Is a request well formed enough to be processed?
 * (REG-MSG-2, RFC 3261 8.2 and 18.3, the RFC 4475 torture cases.)
 *
 * sipcheck_raw judges bytes that libre may not even decode (start line,
 * version, header syntax, a stream message without Content-Length) and
 * passes whatever libre can decode; sipcheck_msg judges a decoded
 * request.  Both
 * return 0 for "process it", else the status to answer (400, 416, 505),
 * with a few words of why.
 */

#ifndef SIPCONFORM_SIPCHECK_H
#define SIPCONFORM_SIPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sip_msg;
struct pl;

struct sipcheck {
	uint16_t scode;
	const char *reason;
	const char *detail;
};

int sipcheck_raw(const uint8_t *p, size_t len, bool stream,
		 struct sipcheck *res);
int sipcheck_msg(const struct sip_msg *msg, bool stream,
		 struct sipcheck *res);

/* length of the header block up to and with its empty line; 0: not yet */
size_t sipcheck_head_len(const uint8_t *p, size_t len);
/* Content-Length from raw headers: 0 ok, ENOENT none, EBADMSG bad */
int sipcheck_clen(const uint8_t *p, size_t hlen, uint32_t *clen);

/*
 * RFC 2543 requests: a top Via without a branch, which libre 1.1.0 cannot
 * decode (sip_via_decode wants one).  sipcheck_branchless() makes a
 * decodable copy whose top Via ends in ";branch=" SIPCHECK_BRANCH_2543
 * and 16 hex digits, a hash of RFC 3261 17.2.3's keys for such requests
 * (Request-URI, From tag, Call-ID, CSeq number, top Via; see the .c for
 * why not the To tag and the method): a retransmission gets the same
 * branch, so libre's transactions and the reply cache recognise it.
 * 0 and *copyp set: use the copy; ENOENT: not such a request (a response,
 * no Via, or a branch already); ENOMEM.
 *
 * sipcheck_unbranch() takes that branch out of a response about to be
 * sent (its top Via is then the request's, RFC 3261 8.2.6.2): true when
 * it did.
 */
#define SIPCHECK_BRANCH_2543 "sipconform-2543-"

struct mbuf;
int  sipcheck_branchless(const uint8_t *p, size_t len, struct mbuf **copyp);
bool sipcheck_unbranch(struct mbuf *mb);

/* the first value of the first header named name (or its compact form,
 * 0: none), as raw text: false when there is none */
bool sipcheck_raw_header(const uint8_t *p, size_t hlen, const char *name,
			 char compact, struct pl *val);

#endif
