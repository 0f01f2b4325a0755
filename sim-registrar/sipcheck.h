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

#endif
