/**
 * @file reply_cache.c  Stateless replies that absorb retransmissions
 *                      (see reply_cache.h)
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "reply_cache.h"

/* RFC 3261 17.2.2 Timer J: 64*T1 over UDP; T1 = 500 ms as libre uses.
 * Counted on the virtual clock (real time plus every advance): after a
 * jump past it no retransmission of those requests can still come */
enum { TIMER_J_MS = 64 * 500, HASH_SIZE = 16384 };

struct reply_cache {
	struct sip *sip;
	struct hash *ht;          /* struct cached, by the merge key       */
	struct list fifo;         /* the same, oldest first                */
	struct tmr tmr;           /* the oldest one's expiry               */
	uint32_t count;
	uint32_t max;             /* entries at most (the oldest go first) */
	uint64_t bytes;           /* the entries' allocations              */
	uint64_t evicted;         /* entries dropped before Timer J        */
};

/* one answered request: what a retransmission of it gets again */
struct cached {
	struct le he;
	struct le le;
	uint64_t expires;         /* vclock_now()                          */
	uint64_t mkey;            /* Call-ID, From-tag, CSeq               */
	uint64_t bkey;            /* Via branch and sent-by, method        */
	uint64_t totag;           /* the To-tag libre made up for it       */
	uint32_t taillen;
	uint32_t size;            /* this allocation, for the stats        */
	uint16_t scode;
	char data[];              /* reason, NUL, then the tail            */
};


/* 64 bits, eight bytes a step (the byte-wise FNV-1a it replaces was 2 %
 * of the registrar's CPU): two different requests with one key are
 * negligible, and a collision costs a retransmitted answer, not state */
static uint64_t mix_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t w;

	for (; n >= 8; n -= 8, b += 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}

	w = 0;
	if (n)               /* an absent pl's pointer is NULL */
		memcpy(&w, b, n);
	h = (h ^ w ^ ((uint64_t)n << 56)) * 0x9e3779b97f4a7c15ULL;

	return h ^ (h >> 32);
}


static uint64_t mix_pl(uint64_t h, const struct pl *pl)
{
	/* the separator keeps "ab"+"c" and "a"+"bc" apart */
	h = mix_bytes(h, pl->p, pl->p ? pl->l : 0);
	return mix_bytes(h, "\n", 1);
}


static uint64_t merge_key(const struct sip_msg *msg)
{
	uint64_t h = 0x243f6a8885a308d3ULL;

	h = mix_pl(h, &msg->callid);
	h = mix_pl(h, &msg->from.tag);
	h = mix_bytes(h, &msg->cseq.num, sizeof(msg->cseq.num));
	return mix_pl(h, &msg->cseq.met);
}


static uint64_t branch_key(const struct sip_msg *msg)
{
	uint64_t h = 0x243f6a8885a308d3ULL;

	h = mix_pl(h, &msg->via.branch);
	h = mix_pl(h, &msg->via.sentby);
	return mix_pl(h, &msg->met);
}


static void cached_destructor(void *data)
{
	struct cached *c = data;

	hash_unlink(&c->he);
	list_unlink(&c->le);
}


static void cache_destructor(void *data)
{
	struct reply_cache *rc = data;

	tmr_cancel(&rc->tmr);
	reply_cache_flush(rc);
	mem_deref(rc->ht);
}


int reply_cache_alloc(struct reply_cache **rcp, struct sip *sip)
{
	struct reply_cache *rc;
	int err;

	if (!rcp || !sip)
		return EINVAL;

	rc = mem_zalloc(sizeof(*rc), cache_destructor);
	if (!rc)
		return ENOMEM;

	rc->sip = sip;
	rc->max = REPLY_CACHE_DEFAULT;
	tmr_init(&rc->tmr);
	err = hash_alloc(&rc->ht, HASH_SIZE);
	if (err)
		mem_deref(rc);
	else
		*rcp = rc;

	return err;
}


void reply_cache_flush(struct reply_cache *rc)
{
	if (!rc)
		return;

	tmr_cancel(&rc->tmr);
	list_flush(&rc->fifo);
	rc->count = 0;
	rc->bytes = 0;
}


uint32_t reply_cache_count(const struct reply_cache *rc)
{
	return rc ? rc->count : 0;
}


int reply_cache_set_max(struct reply_cache *rc, uint32_t max)
{
	if (!rc || !max)
		return EINVAL;

	rc->max = max;

	return 0;
}


void reply_cache_stats(const struct reply_cache *rc,
		       struct reply_cache_stats *st)
{
	if (!st)
		return;

	memset(st, 0, sizeof(*st));
	if (!rc)
		return;

	st->entries = rc->count;
	st->max = rc->max;
	st->bytes = rc->bytes;
	st->evicted = rc->evicted;
}


static void drop_oldest(struct reply_cache *rc)
{
	struct le *le = list_head(&rc->fifo);
	struct cached *c;

	if (!le)
		return;

	c = le->data;
	rc->bytes -= c->size;
	rc->count--;
	mem_deref(c);
}


/* every entry has the same lifetime: the oldest expire first */
static void expire(struct reply_cache *rc, uint64_t now)
{
	struct le *le;

	while ((le = list_head(&rc->fifo)) != NULL) {
		struct cached *c = le->data;

		if (c->expires > now)
			break;
		drop_oldest(rc);
	}
}


/* an idle registrar gives the memory back too, not at the next request */
static void tmr_handler(void *arg)
{
	struct reply_cache *rc = arg;
	uint64_t now = vclock_now();
	struct le *le;

	expire(rc, now);
	le = list_head(&rc->fifo);
	if (le)
		tmr_start(&rc->tmr,
			  ((struct cached *)le->data)->expires - now + 1,
			  tmr_handler, rc);
}


/* INVITE keeps libre's transaction; ACK is never answered */
static bool stateless(const struct sip_msg *msg)
{
	return pl_strcmp(&msg->met, "INVITE") && pl_strcmp(&msg->met, "ACK");
}


bool reply_cache_replay(struct reply_cache *rc, const struct sip_msg *msg)
{
	uint64_t mkey, bkey;
	struct le *le;

	if (!rc || !msg || msg->tp != SIP_TRANSP_UDP || !stateless(msg))
		return false;

	expire(rc, vclock_now());
	if (!rc->count)
		return false;

	mkey = merge_key(msg);
	bkey = branch_key(msg);

	le = list_head(hash_list(rc->ht, (uint32_t)mkey));
	for (; le; le = le->next) {
		struct cached *c = le->data;

		if (c->mkey != mkey)
			continue;

		if (c->bkey == bkey) {
			/* the same answer: libre takes the To-tag from the
			 * message it decoded, a fresh one for this copy */
			((struct sip_msg *)msg)->tag = c->totag;
			(void)sip_replyf(rc->sip, msg, c->scode, c->data,
					 "%b", c->data + strlen(c->data) + 1,
					 (size_t)c->taillen);
			return true;
		}

		if (!pl_isset(&msg->to.tag)) {
			(void)sip_reply(rc->sip, msg, 482, "Loop Detected");
			return true;
		}
	}

	return false;
}


int reply_cache_reply(struct reply_cache *rc, const struct sip_msg *msg,
		      uint16_t scode, const char *reason,
		      const struct mbuf *tail)
{
	struct cached *c;
	const uint8_t *tb;
	size_t rl, tl;
	int err;

	if (!rc || !msg || !reason || !tail)
		return EINVAL;

	tb = tail->buf;
	tl = tail->end;

	if (!stateless(msg))
		return sip_treplyf(NULL, NULL, rc->sip, msg, false, scode,
				   reason, "%b", tb, tl);

	err = sip_replyf(rc->sip, msg, scode, reason, "%b", tb, tl);
	if (err || msg->tp != SIP_TRANSP_UDP || scode < 200)
		return err;

	rl = strlen(reason);
	c = mem_alloc(sizeof(*c) + rl + 1 + tl, cached_destructor);
	if (!c)
		return 0;    /* answered; a retransmission is decided anew */

	memset(c, 0, sizeof(*c));
	c->size = (uint32_t)(sizeof(*c) + rl + 1 + tl);
	c->expires = vclock_now() + TIMER_J_MS;
	c->mkey = merge_key(msg);
	c->bkey = branch_key(msg);
	c->totag = msg->tag;
	c->scode = scode;
	c->taillen = (uint32_t)tl;
	memcpy(c->data, reason, rl + 1);
	memcpy(c->data + rl + 1, tb, tl);

	expire(rc, vclock_now());

	/* full: the oldest answer goes early; a retransmission of its
	 * request is then decided anew, as after a failed allocation */
	while (rc->count >= rc->max) {
		drop_oldest(rc);
		rc->evicted++;
	}

	hash_append(rc->ht, (uint32_t)c->mkey, &c->he, c);
	list_append(&rc->fifo, &c->le, c);
	rc->count++;
	rc->bytes += c->size;

	if (!tmr_isrunning(&rc->tmr))
		tmr_start(&rc->tmr, TIMER_J_MS + 1, tmr_handler, rc);

	return 0;
}
