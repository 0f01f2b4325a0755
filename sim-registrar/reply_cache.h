/**
 * @file reply_cache.h  Stateless replies that still absorb retransmissions
 *
 * A libre server transaction keeps the whole request (and the 8 KB buffer
 * it arrived in) for Timer J, 32 s over UDP: 20,000 registrations held
 * ~220 MB (bench/results.md).  The registrar replies statelessly instead
 * and keeps, per UDP request answered, only what RFC 3261 17.2.3 needs to
 * recognise a retransmission and to send the same answer again: the
 * transaction's keys, the To-tag, the status line and the header lines
 * the registrar added.  The request's own Via/From/To/Call-ID/CSeq come
 * back with the retransmission itself.  The answers are kept in one ring
 * of bytes, each as its difference from an earlier answer with the same
 * status (reply_cache.c), and the To-tag is made again from the keys.
 *
 * A request with the From-tag, Call-ID and CSeq of a cached one but
 * another branch, and no To-tag, is a merged request: 482 (RFC 3261
 * 8.2.2.2), as libre's transactions answered before.
 *
 * INVITE keeps libre's transaction (its ACK and retransmitted non-2xx
 * need one); reliable transports keep nothing (Timer J is 0 there).
 *
 * Bounded: at most `max` answers (config limits.reply_cache_max) in a
 * ring of max x 64 bytes, allocated when the bound is set; when either
 * is full, the oldest goes before its Timer J ends and a retransmission
 * of its request is decided anew.  Under a steady load the cache holds
 * min(max, ring / answer size, answers/s x 32 s) entries.
 */

#ifndef SIPCONFORM_REPLY_CACHE_H
#define SIPCONFORM_REPLY_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct sip;
struct sip_msg;
struct mbuf;

struct reply_cache;

enum { REPLY_CACHE_DEFAULT = 65536, REPLY_CACHE_LIMIT = 16777216 };

struct reply_cache_stats {
	uint32_t entries;
	uint32_t max;
	uint64_t bytes;           /* held: the ring, its index, templates  */
	uint64_t used;            /* of the ring, by the entries kept      */
	uint64_t evicted;         /* dropped before Timer J: cache full    */
};

int  reply_cache_alloc(struct reply_cache **rcp, struct sip *sip);
void reply_cache_flush(struct reply_cache *rc);

/*
 * A request seen before: true when it was answered here (the cached
 * answer sent again, or 482 for a merged request); false: a new request.
 */
bool reply_cache_replay(struct reply_cache *rc, const struct sip_msg *msg);

/*
 * Answer msg with "scode reason" and the header lines, blank line and
 * body in `tail` (libre adds Via ... CSeq and Server), and remember the answer when msg may come again.
 */
int  reply_cache_reply(struct reply_cache *rc, const struct sip_msg *msg,
		       uint16_t scode, const char *reason,
		       const struct mbuf *tail);

uint32_t reply_cache_count(const struct reply_cache *rc);
int  reply_cache_set_max(struct reply_cache *rc, uint32_t max);
void reply_cache_stats(const struct reply_cache *rc,
		       struct reply_cache_stats *st);

#endif
