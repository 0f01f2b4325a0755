/**
 * @file pc_parse.h  What the protocol checker reads of a message (inside
 * common/protocheck/ only).
 */

#ifndef SIPCONFORM_PC_PARSE_H
#define SIPCONFORM_PC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>

/* pointers into the message's own bytes */
struct pc_info {
	bool req;
	struct pl met;          /* request method                       */
	uint16_t scode;         /* response status                      */
	struct pl reason;
	struct pl sentby;       /* the top Via's sent-by                */
	struct pl branch;       /* its branch ("" when none)            */
	bool has_branch;
	struct pl callid;
	uint32_t cseq;
	struct pl cseq_met;
	struct pl from_tag;     /* "" when none                         */
	struct pl to_tag;
	struct pl maxfwd;       /* the last one's value                 */
	unsigned maxfwd_n;      /* how many Max-Forwards                */
	struct pl clen;
	bool has_clen;
	bool has_contact;
	size_t body;            /* bytes after the headers              */
};

/* 0, or EBADMSG when the few fields cannot be read (libre decides then) */
int  pc_info_parse(struct pc_info *mi, const uint8_t *buf, size_t len);
void pc_info_from_msg(struct pc_info *mi, const struct sip_msg *msg);

#endif
