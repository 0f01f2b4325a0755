/**
 * @file reply_cache.c  Stateless replies that absorb retransmissions
 *                      (see reply_cache.h)
 *
 * The answers live in one byte ring, back to back, oldest first: no
 * allocation (nor allocator header) per answer, and the memory is the
 * ring's, fixed when the cache is made.  An answer's header lines are
 * kept as a difference from a template, an earlier answer with the same
 * status and reason (a 407 differs from the previous one in its nonce's
 * MAC and a few digits, a 200 in its Contact's user and the Date):
 * copies from the template and literal runs, hexadecimal ones two digits
 * a byte.  The replay decodes them to the very same bytes.
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "reply_cache.h"

/* RFC 3261 17.2.2 Timer J: 64*T1 over UDP; T1 = 500 ms as libre uses.
 * Counted on the virtual clock (real time plus every advance): after a
 * jump past it no retransmission of those requests can still come */
enum { TIMER_J_MS = 64 * 500 };

enum {
	RING_PER_ENTRY = 64,      /* ring bytes per answer of the bound    */
	RING_MIN = 8192,          /* a small bound's: the pad at the end   */
	TMPL_MAX = 16,            /* templates (status + reason) at most   */
	TMPL_LEN_MAX = 4096,      /* a longer tail is no template          */
	GRAMS = 512,              /* a template's 4-byte sequence index    */
	NO_TMPL = 0xff,
	REASON_MAX = 256,         /* a longer reason phrase: not kept      */
	MIN_COPY = 4,
	PAD = 0,                  /* scode 0: the rest of the ring unused  */
};

/* a record's header, stored unaligned (memcpy) ahead of its code */
struct rec {
	uint32_t size;            /* header and code                       */
	uint16_t scode;           /* PAD: nothing here up to the ring end  */
	uint8_t tmpl;             /* NO_TMPL: reason, NUL, all literal     */
	uint32_t next;            /* same bucket, older: a link (link_pos) */
	uint32_t bkey;            /* Via branch and sent-by, method        */
	uint64_t mkey;            /* Call-ID, From-tag, CSeq               */
	uint32_t expires;         /* vclock_now(), low 32 bits            */
};

enum { REC_HDR = 4 + 2 + 1 + 4 + 4 + 8 + 4, PAD_HDR = 4 + 2 };

struct tmpl {
	uint16_t scode;
	char *reason;
	uint8_t *text;
	uint16_t len;
	uint16_t gram[GRAMS];     /* offset + 1 of a 4-byte sequence       */
};

struct reply_cache {
	struct sip *sip;
	uint8_t *ring;
	uint32_t ringsz;
	uint64_t head;            /* where the next record goes            */
	uint64_t tail;            /* the oldest live record                */
	uint32_t *bucket;         /* newest record's position + 1, 0: none */
	uint32_t nbucket;         /* a power of two                        */
	struct tmpl *tmpl[TMPL_MAX];
	uint32_t ntmpl;
	uint64_t tmpl_bytes;
	uint64_t secret;          /* for the To-tags                       */
	uint64_t last_put;        /* vclock_now() of the newest record     */
	struct tmr tmr;
	uint32_t count;
	uint32_t max;             /* entries at most (the oldest go first) */
	uint64_t bytes;           /* the live records' bytes               */
	uint64_t evicted;         /* entries dropped before Timer J        */
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


static uint32_t branch_key(const struct sip_msg *msg)
{
	uint64_t h = 0x243f6a8885a308d3ULL;

	h = mix_pl(h, &msg->via.branch);
	h = mix_pl(h, &msg->via.sentby);
	return (uint32_t)mix_pl(h, &msg->met);
}


/* The To-tag libre puts in an answer is msg->tag: made from the record's
 * keys and place with a secret instead of kept, the same for every
 * retransmission, another for a request decided anew */
static uint64_t to_tag(const struct reply_cache *rc, uint64_t mkey,
		       uint32_t bkey, uint64_t pos)
{
	uint64_t v[3] = {mkey, bkey, pos};

	return mix_bytes(rc->secret, v, sizeof(v));
}


/* the ring */

static uint8_t *at(const struct reply_cache *rc, uint64_t pos)
{
	return rc->ring + pos % rc->ringsz;
}


static void rec_get(struct rec *r, const uint8_t *p)
{
	memset(r, 0, sizeof(*r));  /* a pad at the ring's end has 6 bytes */
	memcpy(&r->size, p, 4);
	memcpy(&r->scode, p + 4, 2);
	if (r->scode == PAD)
		return;
	r->tmpl = p[6];
	memcpy(&r->next, p + 7, 4);
	memcpy(&r->bkey, p + 11, 4);
	memcpy(&r->mkey, p + 15, 8);
	memcpy(&r->expires, p + 23, 4);
}


static void rec_put(uint8_t *p, const struct rec *r)
{
	memcpy(p, &r->size, 4);
	memcpy(p + 4, &r->scode, 2);
	p[6] = r->tmpl;
	memcpy(p + 7, &r->next, 4);
	memcpy(p + 11, &r->bkey, 4);
	memcpy(p + 15, &r->mkey, 8);
	memcpy(p + 23, &r->expires, 4);
}


/* bucket links: the position's low 32 bits + 1, 0 none; a link is to a
 * live record when its position, completed from head, is not behind tail
 * (the ring is far smaller than 4 GB, so the completion is unambiguous).
 * A record at a position whose low 32 bits are all ones (one in 4 GB of
 * answers) gets link 0: its retransmission is decided anew */
static bool link_pos(const struct reply_cache *rc, uint32_t link,
		     uint64_t *pos)
{
	uint64_t p;

	if (!link)
		return false;

	p = (rc->head & ~(uint64_t)UINT32_MAX) | (uint32_t)(link - 1);
	if (p >= rc->head) {
		if (p < ((uint64_t)1 << 32))
			return false;
		p -= (uint64_t)1 << 32;
	}

	/* a record fits before the ring's end: its header at least */
	if (rc->ringsz - (uint32_t)(p % rc->ringsz) < REC_HDR)
		return false;

	*pos = p;
	return p >= rc->tail;
}


/* at pos there is no room for a pad header: the ring's end */
static uint64_t skip_end(const struct reply_cache *rc, uint64_t pos)
{
	uint32_t left = rc->ringsz - (uint32_t)(pos % rc->ringsz);

	return left < PAD_HDR ? pos + left : pos;
}


/* tail past the pads at the ring's end */
static void skip_pads(struct reply_cache *rc)
{
	struct rec r;

	while (rc->tail < rc->head) {
		rec_get(&r, at(rc, rc->tail));
		if (r.scode != PAD)
			return;
		rc->tail = skip_end(rc, rc->tail + r.size);
	}
}


/* false: nothing to drop */
static bool drop_oldest(struct reply_cache *rc)
{
	struct rec r;

	skip_pads(rc);
	if (!rc->count || rc->tail >= rc->head)
		return false;

	rec_get(&r, at(rc, rc->tail));
	rc->tail = skip_end(rc, rc->tail + r.size);
	rc->count--;
	rc->bytes -= r.size;
	skip_pads(rc);

	return true;
}


static bool expired(uint32_t expires, uint64_t now)
{
	return (int32_t)(expires - (uint32_t)now) <= 0;
}


/* every entry has the same lifetime: the oldest expire first.  Expiry
 * times are kept in 32 bits (ms): after a virtual clock jump of Timer J
 * or more since the newest record all have expired, which is decided
 * here on 64 bits (a jump of 2^31 ms would fool the 32-bit test) */
static void expire(struct reply_cache *rc, uint64_t now)
{
	struct rec r;

	if (rc->count && now - rc->last_put >= TIMER_J_MS) {
		rc->tail = rc->head;
		rc->count = 0;
		rc->bytes = 0;
		return;
	}

	skip_pads(rc);
	while (rc->count) {
		rec_get(&r, at(rc, rc->tail));
		if (!expired(r.expires, now))
			break;
		(void)drop_oldest(rc);
	}
	if (!rc->count)
		rc->tail = rc->head;
}


/* templates */

static uint32_t gram_hash(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return (w * 2654435761u) >> (32 - 9);
}


static void tmpl_destructor(void *data)
{
	struct tmpl *t = data;

	mem_deref(t->reason);
	mem_deref(t->text);
}


static struct tmpl *tmpl_add(struct reply_cache *rc, uint16_t scode,
			     const char *reason, const uint8_t *tb,
			     size_t tl)
{
	struct tmpl *t;

	if (rc->ntmpl >= TMPL_MAX || tl > TMPL_LEN_MAX)
		return NULL;

	t = mem_zalloc(sizeof(*t), tmpl_destructor);
	if (!t)
		return NULL;

	t->scode = scode;
	t->len = (uint16_t)tl;
	t->text = mem_alloc(tl ? tl : 1, NULL);
	if (!t->text || str_dup(&t->reason, reason)) {
		mem_deref(t);
		return NULL;
	}
	memcpy(t->text, tb, tl);
	for (size_t i = 0; i + 4 <= tl; i++) {
		uint32_t g = gram_hash(tb + i);

		if (!t->gram[g])
			t->gram[g] = (uint16_t)(i + 1);
	}

	rc->tmpl[rc->ntmpl++] = t;
	rc->tmpl_bytes += sizeof(*t) + tl + strlen(reason) + 1;

	return t;
}


static size_t match_len(const uint8_t *a, size_t an, const uint8_t *b,
			size_t bn)
{
	size_t n = 0;

	while (n < an && n < bn && a[n] == b[n])
		n++;

	return n;
}


static bool is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}


static uint8_t hex_val(uint8_t c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}


/*
 * Code: 0x00-0x3f: (n+1) literal bytes follow; 0x40-0x7f: (n+1)
 * lowercase hex digits follow, two a byte; 0x80-0xff: copy (n-0x80+4)
 * bytes of the template from the 16-bit offset that follows.
 */
static size_t put_literal(uint8_t *out, const uint8_t *s, size_t n)
{
	size_t o = 0;

	while (n) {
		size_t h = 0, k;

		while (h < n && h < 64 && is_hex(s[h]))
			h++;

		if (h >= 6) {
			out[o++] = (uint8_t)(0x40 + h - 1);
			for (k = 0; k < h; k += 2)
				out[o++] = (uint8_t)(hex_val(s[k]) << 4 |
					(k + 1 < h ? hex_val(s[k + 1]) : 0));
		}
		else {
			/* a raw run stops where a long hex run begins */
			for (h = 0; h < n && h < 64; h++) {
				size_t x = 0;

				while (h + x < n && x < 6 && is_hex(s[h + x]))
					x++;
				if (x >= 6)
					break;
			}
			if (!h)
				continue;
			out[o++] = (uint8_t)(h - 1);
			memcpy(out + o, s, h);
			o += h;
		}
		s += h;
		n -= h;
	}

	return o;
}


/* out: at least tl + tl / 32 + 8 bytes */
static size_t encode(uint8_t *out, const struct tmpl *t, const uint8_t *s,
		     size_t n)
{
	size_t o = 0, i = 0, lit = 0, expect = 0;

	while (i < n) {
		size_t best = 0, from = 0;

		if (t && expect < t->len)
			best = match_len(s + i, n - i, t->text + expect,
					 t->len - expect), from = expect;

		if (t && best < MIN_COPY && i + 4 <= n) {
			uint16_t g = t->gram[gram_hash(s + i)];

			if (g) {
				size_t m = match_len(s + i, n - i,
						     t->text + g - 1,
						     t->len - (g - 1));
				if (m > best)
					best = m, from = g - 1;
			}
		}

		if (best < MIN_COPY) {
			i++;
			lit++;
			expect++;
			continue;
		}

		o += put_literal(out + o, s + i - lit, lit);
		lit = 0;
		expect = from + best;
		i += best;
		while (best >= MIN_COPY) {
			size_t k = best > 127 + MIN_COPY ? 127 + MIN_COPY :
				best;

			if (best - k && best - k < MIN_COPY)
				k = best - MIN_COPY;
			out[o++] = (uint8_t)(0x80 + k - MIN_COPY);
			out[o++] = (uint8_t)(from >> 8);
			out[o++] = (uint8_t)from;
			from += k;
			best -= k;
		}
	}

	return o + put_literal(out + o, s + n - lit, lit);
}


static const char hexd[] = "0123456789abcdef";

/* the ring's bytes from pos (wrapping) decoded into mb */
static int decode(struct mbuf *mb, const struct tmpl *t,
		  const struct reply_cache *rc, uint64_t pos, size_t n)
{
	uint8_t buf[4];
	size_t i = 0;
	int err = 0;

#define BYTE(k) (*at(rc, pos + (k)))
	while (i < n && !err) {
		uint8_t op = BYTE(i++);

		if (op < 0x40) {
			for (size_t k = 0; k <= op && !err; k++)
				err = mbuf_write_u8(mb, BYTE(i++));
		}
		else if (op < 0x80) {
			size_t digits = op - 0x40 + 1;

			for (size_t k = 0; k < digits && !err; k += 2) {
				uint8_t b = BYTE(i++);

				buf[0] = (uint8_t)hexd[b >> 4];
				buf[1] = (uint8_t)hexd[b & 15];
				err = mbuf_write_mem(mb, buf,
						     k + 1 < digits ? 2 : 1);
			}
		}
		else {
			size_t len = op - 0x80 + MIN_COPY;
			size_t from = (size_t)BYTE(i) << 8 | BYTE(i + 1);

			i += 2;
			if (!t || from + len > t->len)
				return EBADMSG;
			err = mbuf_write_mem(mb, t->text + from, len);
		}
	}
#undef BYTE

	return err;
}


static void cache_destructor(void *data)
{
	struct reply_cache *rc = data;

	tmr_cancel(&rc->tmr);
	reply_cache_flush(rc);
	mem_deref(rc->ring);
	mem_deref(rc->bucket);
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
	rc->secret = rand_u64();
	tmr_init(&rc->tmr);
	err = reply_cache_set_max(rc, REPLY_CACHE_DEFAULT);
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
	if (rc->bucket)
		memset(rc->bucket, 0, rc->nbucket * sizeof(*rc->bucket));
	rc->tail = rc->head;
	rc->count = 0;
	rc->bytes = 0;
	for (uint32_t i = 0; i < rc->ntmpl; i++)
		rc->tmpl[i] = mem_deref(rc->tmpl[i]);
	rc->ntmpl = 0;
	rc->tmpl_bytes = 0;
}


uint32_t reply_cache_count(const struct reply_cache *rc)
{
	return rc ? rc->count : 0;
}


/* the ring and the buckets are made anew for the bound: what was kept
 * goes (a retransmission of it is decided anew) */
int reply_cache_set_max(struct reply_cache *rc, uint32_t max)
{
	uint32_t nb = 16, ringsz;
	uint32_t *bucket;
	uint8_t *ring;

	if (!rc || !max || max > REPLY_CACHE_LIMIT)
		return EINVAL;

	while (nb < max / 4)
		nb <<= 1;

	ringsz = max > RING_MIN / RING_PER_ENTRY ? max * RING_PER_ENTRY :
		RING_MIN;
	ring = mem_alloc(ringsz, NULL);
	bucket = mem_zalloc(nb * sizeof(*bucket), NULL);
	if (!ring || !bucket) {
		mem_deref(ring);
		mem_deref(bucket);
		return ENOMEM;
	}

	reply_cache_flush(rc);
	mem_deref(rc->ring);
	mem_deref(rc->bucket);
	rc->ring = ring;
	rc->ringsz = ringsz;
	rc->bucket = bucket;
	rc->nbucket = nb;
	rc->max = max;
	rc->head = rc->tail = 0;

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
	st->bytes = (uint64_t)rc->ringsz + rc->nbucket * sizeof(uint32_t) +
		rc->tmpl_bytes;
	st->used = rc->bytes;
	st->evicted = rc->evicted;
}


/* an idle registrar's cache is emptied too, not at the next request */
static void tmr_handler(void *arg)
{
	struct reply_cache *rc = arg;
	uint64_t now = vclock_now();
	struct rec r;

	expire(rc, now);
	if (!rc->count)
		return;

	rec_get(&r, at(rc, rc->tail));
	tmr_start(&rc->tmr, (uint32_t)(r.expires - (uint32_t)now) + 1,
		  tmr_handler, rc);
}


/* INVITE keeps libre's transaction; ACK is never answered */
static bool stateless(const struct sip_msg *msg)
{
	return pl_strcmp(&msg->met, "INVITE") && pl_strcmp(&msg->met, "ACK");
}


static int replay(struct reply_cache *rc, const struct sip_msg *msg,
		  const struct rec *r, uint64_t pos)
{
	const struct tmpl *t = r->tmpl == NO_TMPL ? NULL : rc->tmpl[r->tmpl];
	uint64_t code = pos + REC_HDR;
	size_t n = r->size - REC_HDR;
	char reason[REASON_MAX];
	struct mbuf *mb;
	size_t rl = 0;
	int err;

	if (!t) {
		while (rl < n && rl < sizeof(reason) - 1 &&
		       *at(rc, code + rl))
			reason[rl] = (char)*at(rc, code + rl), rl++;
		reason[rl] = '\0';
		code += rl + 1;
		n -= rl + 1;
	}

	mb = mbuf_alloc(256);
	if (!mb)
		return ENOMEM;

	err = decode(mb, t, rc, code, n);
	if (!err) {
		((struct sip_msg *)msg)->tag = to_tag(rc, r->mkey, r->bkey,
						      pos);
		err = sip_replyf(rc->sip, msg, r->scode, t ? t->reason : reason,
				 "%b", mb->buf, mb->end);
	}
	mem_deref(mb);

	return err;
}


bool reply_cache_replay(struct reply_cache *rc, const struct sip_msg *msg)
{
	uint64_t mkey, pos;
	uint32_t bkey, link;

	if (!rc || !msg || msg->tp != SIP_TRANSP_UDP || !stateless(msg))
		return false;

	expire(rc, vclock_now());
	if (!rc->count)
		return false;

	mkey = merge_key(msg);
	bkey = branch_key(msg);

	/* older and older: a link that does not go back (one the 32-bit
	 * completion misread) ends the walk */
	link = rc->bucket[mkey & (rc->nbucket - 1)];
	for (uint64_t prev = rc->head; link_pos(rc, link, &pos) && pos < prev;
	     prev = pos) {
		struct rec r;

		rec_get(&r, at(rc, pos));
		link = r.next;
		if (r.mkey != mkey)
			continue;

		if (r.bkey == bkey) {
			/* the same answer, the same To-tag */
			(void)replay(rc, msg, &r, pos);
			return true;
		}

		if (!pl_isset(&msg->to.tag)) {
			(void)sip_reply(rc->sip, msg, 482, "Loop Detected");
			return true;
		}
	}

	return false;
}


static const struct tmpl *tmpl_find(const struct reply_cache *rc,
				    uint16_t scode, const char *reason,
				    uint8_t *idx)
{
	const struct tmpl *t = NULL;

	/* the newest of the status's templates: the most like this one */
	for (uint32_t i = 0; i < rc->ntmpl; i++) {
		if (rc->tmpl[i]->scode == scode &&
		    !strcmp(rc->tmpl[i]->reason, reason))
			t = rc->tmpl[i], *idx = (uint8_t)i;
	}

	return t;
}


/* the record's code in out (tl + tl / 32 + rl + 16 bytes): against the
 * status's template, or a new template when the one there differs by
 * more than half, or none (reason and literals) when the table is full */
static size_t record_code(struct reply_cache *rc, uint8_t *out,
			  uint8_t *tmpl, uint16_t scode, const char *reason,
			  const uint8_t *tb, size_t tl)
{
	const struct tmpl *t = tmpl_find(rc, scode, reason, tmpl);
	size_t n, rl;

	n = t ? encode(out, t, tb, tl) : SIZE_MAX;
	if (n > tl / 2 && tmpl_add(rc, scode, reason, tb, tl)) {
		*tmpl = (uint8_t)(rc->ntmpl - 1);
		return encode(out, rc->tmpl[*tmpl], tb, tl);
	}
	if (t)
		return n;

	*tmpl = NO_TMPL;
	rl = strlen(reason);
	memcpy(out, reason, rl + 1);

	return rl + 1 + encode(out + rl + 1, NULL, tb, tl);
}


/* room for size bytes at head: the oldest go, and a pad to the ring's
 * end when the record would not fit before it; false: no room at all */
static bool make_room(struct reply_cache *rc, uint32_t size)
{
	uint32_t left;

	if (size > rc->ringsz / 4)
		return false;

	left = rc->ringsz - (uint32_t)(rc->head % rc->ringsz);
	if (left < size) {
		struct rec pad = {.size = left, .scode = PAD};

		while (rc->head + left - rc->tail > rc->ringsz &&
		       drop_oldest(rc))
			rc->evicted++;
		memcpy(at(rc, rc->head), &pad.size, 4);
		memcpy(at(rc, rc->head) + 4, &pad.scode, 2);
		rc->head += left;
		if (!rc->count)
			rc->tail = rc->head;
	}

	while ((rc->count >= rc->max ||
		rc->head + size - rc->tail > rc->ringsz) && drop_oldest(rc))
		rc->evicted++;

	return true;
}


int reply_cache_reply(struct reply_cache *rc, const struct sip_msg *msg,
		      uint16_t scode, const char *reason,
		      const struct mbuf *tail)
{
	const uint8_t *tb;
	uint8_t *code, *p;
	uint32_t *bucket;
	struct rec r;
	size_t tl, n;
	uint64_t now;
	int err;

	if (!rc || !msg || !reason || !tail)
		return EINVAL;

	tb = tail->buf;
	tl = tail->end;

	if (!stateless(msg))
		return sip_treplyf(NULL, NULL, rc->sip, msg, false, scode,
				   reason, "%b", tb, tl);

	if (msg->tp != SIP_TRANSP_UDP || scode < 200 ||
	    strlen(reason) >= REASON_MAX)
		return sip_replyf(rc->sip, msg, scode, reason, "%b", tb, tl);

	now = vclock_now();
	expire(rc, now);

	code = mem_alloc(REC_HDR + tl + tl / 32 + strlen(reason) + 16, NULL);
	if (!code)
		return sip_replyf(rc->sip, msg, scode, reason, "%b", tb, tl);

	memset(&r, 0, sizeof(r));
	n = record_code(rc, code + REC_HDR, &r.tmpl, scode, reason, tb, tl);
	r.size = (uint32_t)(REC_HDR + n);
	r.scode = scode;
	r.mkey = merge_key(msg);
	r.bkey = branch_key(msg);
	r.expires = (uint32_t)(now + TIMER_J_MS);

	/* the To-tag is made from the record's place: taken before the
	 * answer leaves; no room: answered, a retransmission decided anew */
	if (!make_room(rc, r.size)) {
		mem_deref(code);
		return sip_replyf(rc->sip, msg, scode, reason, "%b", tb, tl);
	}

	((struct sip_msg *)msg)->tag = to_tag(rc, r.mkey, r.bkey, rc->head);
	err = sip_replyf(rc->sip, msg, scode, reason, "%b", tb, tl);
	if (err) {
		mem_deref(code);
		return err;
	}

	bucket = &rc->bucket[r.mkey & (rc->nbucket - 1)];
	r.next = *bucket;
	rec_put(code, &r);
	p = at(rc, rc->head);
	memcpy(p, code, r.size);  /* make_room: it fits before the end */
	mem_deref(code);

	*bucket = (uint32_t)rc->head + 1;
	rc->last_put = now;
	rc->head = skip_end(rc, rc->head + r.size);
	rc->count++;
	rc->bytes += r.size;

	if (!tmr_isrunning(&rc->tmr))
		tmr_start(&rc->tmr, TIMER_J_MS + 1, tmr_handler, rc);

	return 0;
}
