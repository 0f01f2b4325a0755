/**
 * @file location.c  Location service (bindings, expiry heap, counts)
 */

#include <string.h>
#include <re.h>
#include "vclock.h"
#include "location.h"

/* RATE_INLINE: a REGISTER rate ring of up to that many times lives in
 * the AOR's record, not in an allocation of its own (~24 bytes of
 * headers an AOR, bench/soak-notes.md) */
enum { AOR_HASH_SIZE = 16384, IDLE_KEEP_MS = 2000, RATE_INLINE = 5 };

struct aor_rec {
	struct le he;
	struct le idle_le;
	struct location *loc;
	uint32_t domain;
	struct list bindl;        /* struct bnode                        */
	uint32_t bindc;
	uint64_t *ratev;          /* ring of the last REGISTER times:
				     rate_inline, or its own allocation */
	uint64_t rate_inline[RATE_INLINE];
	uint32_t ratecap;
	uint32_t raten;
	uint32_t ratepos;
	uint64_t last_activity;
	char key[];               /* the AOR, in the record's allocation  */
};

struct bnode {
	struct binding b;         /* the public view                      */
	struct le le;
	struct aor_rec *rec;
	size_t hidx;              /* place in the expiry heap             */
	char *strs;               /* the five strings of b, one
				     allocation: each its own cost ~40
				     bytes of headers (bench/soak-notes.md) */
};

struct location {
	location_change_h *changeh;   /* commits, for persistence        */
	void *change_arg;
	struct hash *aors;
	struct list idle;         /* AOR records without bindings         */
	uint32_t aorc;
	struct bnode **heap;
	size_t heapn;
	size_t heapcap;
	uint32_t *domain_count;
	uint32_t domainc;
	uint32_t account_count;
};


/* expiry heap, earliest first */

static void heap_swap(struct location *loc, size_t i, size_t j)
{
	struct bnode *t = loc->heap[i];

	loc->heap[i] = loc->heap[j];
	loc->heap[j] = t;
	loc->heap[i]->hidx = i;
	loc->heap[j]->hidx = j;
}


static void heap_up(struct location *loc, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (loc->heap[p]->b.expires_at <= loc->heap[i]->b.expires_at)
			break;
		heap_swap(loc, i, p);
		i = p;
	}
}


static void heap_down(struct location *loc, size_t i)
{
	for (;;) {
		size_t l = 2*i + 1, r = l + 1, m = i;

		if (l < loc->heapn &&
		    loc->heap[l]->b.expires_at < loc->heap[m]->b.expires_at)
			m = l;
		if (r < loc->heapn &&
		    loc->heap[r]->b.expires_at < loc->heap[m]->b.expires_at)
			m = r;
		if (m == i)
			break;
		heap_swap(loc, i, m);
		i = m;
	}
}


static int heap_push(struct location *loc, struct bnode *bn)
{
	if (loc->heapn == loc->heapcap) {
		size_t cap = loc->heapcap ? loc->heapcap * 2 : 1024;
		/* libre 1.1.0's mem_realloc(NULL, n) returns NULL */
		struct bnode **h = loc->heap ?
			mem_realloc(loc->heap, cap * sizeof(*h)) :
			mem_alloc(cap * sizeof(*h), NULL);

		if (!h)
			return ENOMEM;
		loc->heap = h;
		loc->heapcap = cap;
	}

	bn->hidx = loc->heapn;
	loc->heap[loc->heapn++] = bn;
	heap_up(loc, bn->hidx);

	return 0;
}


static void heap_remove(struct location *loc, struct bnode *bn)
{
	size_t i = bn->hidx;

	if (i >= loc->heapn || loc->heap[i] != bn)
		return;

	loc->heapn--;
	if (i != loc->heapn) {
		heap_swap(loc, i, loc->heapn);
		heap_up(loc, i);
		heap_down(loc, i);
	}
	bn->hidx = (size_t)-1;
}


static void bnode_destructor(void *data)
{
	struct bnode *bn = data;

	mem_deref(bn->strs);
}


static void rec_destructor(void *data)
{
	struct aor_rec *rec = data;

	hash_unlink(&rec->he);
	list_unlink(&rec->idle_le);
	list_flush(&rec->bindl);
	if (rec->ratev != rec->rate_inline)
		mem_deref(rec->ratev);
}


static void rec_idle(struct aor_rec *rec)
{
	list_unlink(&rec->idle_le);
	list_append(&rec->loc->idle, &rec->idle_le, rec);
}


/* unlink a binding everywhere and update the counts */
static void binding_drop(struct location *loc, struct bnode *bn)
{
	struct aor_rec *rec = bn->rec;

	heap_remove(loc, bn);
	list_unlink(&bn->le);
	rec->bindc--;
	loc->domain_count[rec->domain]--;
	loc->account_count--;
	mem_deref(bn);

	if (!rec->bindc)
		rec_idle(rec);
}


static void destructor(void *data)
{
	struct location *loc = data;

	location_reset(loc);
	mem_deref(loc->aors);
	mem_deref(loc->heap);
	mem_deref(loc->domain_count);
}


int location_alloc(struct location **locp, uint32_t domainc)
{
	struct location *loc;
	int err;

	if (!locp || !domainc)
		return EINVAL;

	loc = mem_zalloc(sizeof(*loc), destructor);
	if (!loc)
		return ENOMEM;

	loc->domainc = domainc;
	loc->domain_count = mem_zalloc(domainc * sizeof(uint32_t), NULL);
	err = hash_alloc(&loc->aors, AOR_HASH_SIZE);
	if (err || !loc->domain_count) {
		mem_deref(loc);
		return err ? err : ENOMEM;
	}

	*locp = loc;

	return 0;
}


static bool rec_flush(struct le *le, void *arg)
{
	struct aor_rec *rec = le->data;
	(void)arg;

	mem_deref(rec);

	return false;
}


void location_reset(struct location *loc)
{
	if (!loc)
		return;

	/* the heap holds no references: empty it before the records go */
	loc->heapn = 0;
	hash_apply(loc->aors, rec_flush, NULL);
	hash_flush(loc->aors);
	loc->aorc = 0;
	loc->account_count = 0;
	memset(loc->domain_count, 0, loc->domainc * sizeof(uint32_t));
}


static bool rec_cmp(struct le *le, void *arg)
{
	const struct aor_rec *rec = le->data;

	return 0 == strcmp(rec->key, arg);
}


static struct aor_rec *rec_find(struct location *loc, const char *aor)
{
	struct le *le;

	if (!aor)
		return NULL;

	le = hash_lookup(loc->aors, hash_joaat_str(aor), rec_cmp,
			 (void *)aor);

	return le ? le->data : NULL;
}


static int rec_get(struct aor_rec **recp, struct location *loc,
		   const char *aor, uint32_t domain)
{
	struct aor_rec *rec = rec_find(loc, aor);

	if (rec) {
		*recp = rec;
		return 0;
	}

	if (domain >= loc->domainc)
		return EINVAL;

	/* the key in the record: one allocation an AOR, not two */
	rec = mem_zalloc(sizeof(*rec) + strlen(aor) + 1, rec_destructor);
	if (!rec)
		return ENOMEM;

	memcpy(rec->key, aor, strlen(aor) + 1);

	rec->loc = loc;
	rec->domain = domain;
	rec->last_activity = vclock_now();
	hash_append(loc->aors, hash_joaat_str(aor), &rec->he, rec);
	loc->aorc++;
	rec_idle(rec);

	*recp = rec;

	return 0;
}


void location_purge(struct location *loc)
{
	uint64_t now;

	if (!loc)
		return;

	now = vclock_now();

	while (loc->heapn && loc->heap[0]->b.expires_at <= now)
		binding_drop(loc, loc->heap[0]);

	/* forget AORs with no bindings once their rate window is long gone */
	while (loc->idle.head) {
		struct aor_rec *rec = loc->idle.head->data;

		if (rec->bindc) {
			list_unlink(&rec->idle_le);
			continue;
		}

		if (now - rec->last_activity < IDLE_KEEP_MS)
			break;

		loc->aorc--;
		mem_deref(rec);
	}
}


uint32_t location_count_domain(struct location *loc, uint32_t domain)
{
	location_purge(loc);

	return (loc && domain < loc->domainc) ? loc->domain_count[domain] : 0;
}


uint32_t location_count_account(struct location *loc)
{
	location_purge(loc);

	return loc ? loc->account_count : 0;
}


uint32_t location_count_aor(struct location *loc, const char *aor)
{
	struct aor_rec *rec;

	location_purge(loc);
	rec = loc ? rec_find(loc, aor) : NULL;

	return rec ? rec->bindc : 0;
}


uint32_t location_aor_records(const struct location *loc)
{
	return loc ? loc->aorc : 0;
}


struct apply_ctx {
	uint32_t domain;
	location_binding_h *h;
	void *arg;
	bool stop;
};


static bool rec_visit(struct aor_rec *rec, struct apply_ctx *ctx)
{
	for (struct le *le = rec->bindl.head; le; le = le->next) {
		const struct bnode *bn = le->data;

		if (ctx->h(&bn->b, rec->domain, ctx->arg)) {
			ctx->stop = true;
			break;
		}
	}

	return ctx->stop;
}


static bool hash_visit(struct le *le, void *arg)
{
	struct apply_ctx *ctx = arg;
	struct aor_rec *rec = le->data;

	if (ctx->domain != UINT32_MAX && rec->domain != ctx->domain)
		return false;

	return rec_visit(rec, ctx);
}


void location_apply(struct location *loc, uint32_t domain, const char *aor,
		    location_binding_h *h, void *arg)
{
	struct apply_ctx ctx = {domain, h, arg, false};

	if (!loc || !h)
		return;

	location_purge(loc);

	if (aor) {
		struct aor_rec *rec = rec_find(loc, aor);
		if (rec)
			(void)rec_visit(rec, &ctx);
		return;
	}

	(void)hash_apply(loc->aors, hash_visit, &ctx);
}


static struct bnode *bnode_find(const struct aor_rec *rec, const char *key)
{
	for (struct le *le = rec->bindl.head; le; le = le->next) {
		struct bnode *bn = le->data;

		if (!strcmp(bn->b.key, key))
			return bn;
	}

	return NULL;
}


const struct binding *location_find(struct location *loc, const char *aor,
				    const char *key)
{
	struct aor_rec *rec;
	struct bnode *bn;

	location_purge(loc);
	rec = loc ? rec_find(loc, aor) : NULL;
	bn = (rec && key) ? bnode_find(rec, key) : NULL;

	return bn ? &bn->b : NULL;
}


bool location_rate_exceeded(struct location *loc, const char *aor,
			    uint32_t domain, uint32_t limit,
			    uint64_t window_ms)
{
	struct aor_rec *rec;
	uint64_t now = vclock_now();

	if (!loc || !aor || !limit)
		return false;

	location_purge(loc);

	if (rec_get(&rec, loc, aor, domain))
		return false;

	if (rec->ratecap != limit) {
		uint64_t *v = limit <= RATE_INLINE ? rec->rate_inline :
			mem_zalloc(limit * sizeof(*v), NULL);
		if (!v)
			return false;
		if (rec->ratev != rec->rate_inline)
			mem_deref(rec->ratev);
		rec->ratev = v;
		rec->ratecap = limit;
		rec->raten = rec->ratepos = 0;
	}

	rec->last_activity = now;
	if (!rec->bindc)
		rec_idle(rec);

	/* ratepos is the oldest of a full ring */
	if (rec->raten == limit && now - rec->ratev[rec->ratepos] < window_ms)
		return true;

	rec->ratev[rec->ratepos] = now;
	rec->ratepos = (rec->ratepos + 1) % limit;
	if (rec->raten < limit)
		rec->raten++;

	return false;
}


bool location_rate_full(struct location *loc, const char *aor,
			uint32_t limit, uint64_t window_ms)
{
	const struct aor_rec *rec;

	if (!loc || !aor || !limit)
		return false;

	rec = rec_find(loc, aor);
	if (!rec || rec->ratecap != limit || rec->raten < limit)
		return false;

	return vclock_now() - rec->ratev[rec->ratepos] < window_ms;
}


static bool is_out_of_order(const struct bnode *bn,
			    const struct binding_update *upd)
{
	return upd->callid && !strcmp(bn->b.callid, upd->callid) &&
		upd->cseq <= bn->b.cseq;
}


int location_plan(struct location *loc, const struct binding_update *upd,
		  struct update_effect *eff)
{
	struct aor_rec *rec;

	if (!loc || !upd || !eff)
		return EINVAL;

	memset(eff, 0, sizeof(*eff));
	location_purge(loc);

	rec = rec_find(loc, upd->aor);

	if (upd->remove_all) {
		for (struct le *le = rec ? rec->bindl.head : NULL; le;
		     le = le->next) {
			const struct bnode *bn = le->data;

			if (is_out_of_order(bn, upd)) {
				eff->out_of_order = true;
				eff->ooo_uri = bn->b.uri;
			}
		}
		eff->removed = rec ? rec->bindc : 0;
		return 0;
	}

	eff->aor_after = rec ? rec->bindc : 0;

	for (uint32_t i = 0; i < upd->changec; i++) {
		const struct binding_change *ch = &upd->changev[i];
		const struct bnode *bn = rec ? bnode_find(rec, ch->key) : NULL;
		bool earlier = false;

		/* a contact named twice in one request is one binding */
		for (uint32_t j = 0; j < i; j++) {
			if (!strcmp(upd->changev[j].key, ch->key))
				earlier = true;
		}
		if (earlier)
			continue;

		if (bn) {
			if (is_out_of_order(bn, upd)) {
				eff->out_of_order = true;
				eff->ooo_uri = bn->b.uri;
			}
			if (!ch->expires) {
				eff->removed++;
				eff->aor_after--;
			}
		}
		else if (ch->expires) {
			eff->added++;
			eff->aor_after++;
		}
	}

	return 0;
}


static int bnode_set(struct bnode *bn, const struct binding_update *upd,
		     const struct binding_change *ch, uint64_t now)
{
	const char *key = bn->b.key ? bn->b.key : ch->key;
	const char *callid = upd->callid ? upd->callid : "";
	const char *source = upd->source ? upd->source : "";
	size_t lk = strlen(key) + 1, lc = strlen(callid) + 1;
	size_t ls = strlen(source) + 1, lr = strlen(ch->uri) + 1;
	size_t lu = upd->user_agent ? strlen(upd->user_agent) + 1 : 0;
	char *s, *p;

	/* copied before the old ones go: the update may point into them */
	s = mem_alloc(lk + lc + ls + lr + lu, NULL);
	if (!s)
		return ENOMEM;

	p = s;
	memcpy(p, key, lk);
	bn->b.key = p;
	p += lk;
	memcpy(p, callid, lc);
	bn->b.callid = p;
	p += lc;
	memcpy(p, source, ls);
	bn->b.source = p;
	p += ls;
	memcpy(p, ch->uri, lr);
	bn->b.uri = p;
	p += lr;
	bn->b.user_agent = NULL;
	if (lu) {
		memcpy(p, upd->user_agent, lu);
		bn->b.user_agent = p;
	}

	mem_deref(bn->strs);
	bn->strs = s;

	bn->b.aor = bn->rec->key;
	bn->b.transport = upd->transport;
	bn->b.cseq = upd->cseq;
	bn->b.granted = ch->expires;
	bn->b.expires_at = now + (uint64_t)ch->expires * 1000;
	bn->b.updated_at = now;

	return 0;
}


static void notify(struct location *loc, const struct binding *b,
		   uint32_t domain, bool removed)
{
	if (loc->changeh)
		loc->changeh(b, domain, removed, loc->change_arg);
}


/* drop, telling the change handler first (expiry does not tell) */
static void binding_remove(struct location *loc, struct bnode *bn)
{
	notify(loc, &bn->b, bn->rec->domain, true);
	binding_drop(loc, bn);
}


void location_set_change_handler(struct location *loc, location_change_h *h,
				 void *arg)
{
	if (!loc)
		return;

	loc->changeh = h;
	loc->change_arg = arg;
}


int location_commit(struct location *loc, const struct binding_update *upd)
{
	struct aor_rec *rec;
	uint64_t now = vclock_now();
	int err;

	if (!loc || !upd || !upd->aor)
		return EINVAL;

	err = rec_get(&rec, loc, upd->aor, upd->domain);
	if (err)
		return err;

	rec->last_activity = now;

	if (upd->remove_all) {
		while (rec->bindl.head)
			binding_remove(loc, rec->bindl.head->data);
		return 0;
	}

	for (uint32_t i = 0; i < upd->changec; i++) {
		const struct binding_change *ch = &upd->changev[i];
		struct bnode *bn = bnode_find(rec, ch->key);

		if (!ch->expires) {
			if (bn)
				binding_remove(loc, bn);
			continue;
		}

		if (bn) {
			err = bnode_set(bn, upd, ch, now);
			heap_up(loc, bn->hidx);
			heap_down(loc, bn->hidx);
			if (err)
				return err;
			notify(loc, &bn->b, rec->domain, false);
			continue;
		}

		bn = mem_zalloc(sizeof(*bn), bnode_destructor);
		if (!bn)
			return ENOMEM;

		bn->rec = rec;
		err = bnode_set(bn, upd, ch, now);
		err |= heap_push(loc, bn);
		if (err) {
			heap_remove(loc, bn);
			mem_deref(bn);
			return ENOMEM;
		}

		list_append(&rec->bindl, &bn->le, bn);
		rec->bindc++;
		loc->domain_count[rec->domain]++;
		loc->account_count++;
		list_unlink(&rec->idle_le);
		notify(loc, &bn->b, rec->domain, false);
	}

	if (!rec->bindc)
		rec_idle(rec);

	return 0;
}


int location_restore(struct location *loc, const struct binding *b,
		     uint32_t domain)
{
	struct binding_change ch;
	struct binding_update upd;
	struct bnode *bn;
	struct aor_rec *rec;
	uint64_t now = vclock_now();
	int err;

	if (!loc || !b || !b->aor || !b->key || !b->uri ||
	    domain >= loc->domainc)
		return EINVAL;

	if (b->expires_at <= now)
		return 0;                 /* lapsed while we were away */

	memset(&upd, 0, sizeof(upd));
	upd.aor = b->aor;
	upd.domain = domain;
	upd.callid = b->callid;
	upd.cseq = b->cseq;
	upd.transport = b->transport;
	upd.source = b->source;
	upd.user_agent = b->user_agent;
	ch.uri = b->uri;
	ch.key = b->key;
	ch.expires = b->granted ? b->granted : 1;
	upd.changev = &ch;
	upd.changec = 1;

	/* a commit without telling the change handler: it is the source */
	location_change_h *h = loc->changeh;
	loc->changeh = NULL;
	err = location_commit(loc, &upd);
	loc->changeh = h;
	if (err)
		return err;

	rec = rec_find(loc, b->aor);
	bn = rec ? bnode_find(rec, b->key) : NULL;
	if (bn) {
		bn->b.expires_at = b->expires_at;
		bn->b.updated_at = b->updated_at;
		heap_up(loc, bn->hidx);
		heap_down(loc, bn->hidx);
	}

	return 0;
}
