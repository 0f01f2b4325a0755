/**
 * @file decodememo.c  uri_decode() and msg_param_decode() remembered by
 * the bytes they are given (see decodememo.h)
 */

#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "reshim/real.h"
#include "reshim/decodememo.h"

/* entries of each table (a power of 2) and the longest input kept: ~0.4
 * MB in all; 20,000 phones through a refresh storm find 4 URIs in 5 here
 * (a phone's URIs recur in each of its messages); longer inputs go to
 * libre every time */
enum { SLOTS = 2048, KEY_MAX = 72 };

/* where a field lies in the input: offset + 1 (0: p was NULL), length */
struct span {
	uint16_t off;
	uint16_t len;
};

struct uri_slot {
	uint8_t keylen;              /* 0: empty                            */
	char key[KEY_MAX];
	struct span scheme, user, password, host, path, params, headers;
	uint16_t port;
	int af;
};

struct param_slot {
	uint8_t keylen;              /* 0: empty                            */
	uint8_t namelen;
	char key[KEY_MAX];
	char name[24];
	bool found;
	struct span val;
};

static struct uri_slot *uri_tab;
static struct param_slot *param_tab;
static struct decodememo_stats stats;


static uint32_t hash_bytes(const char *p, size_t l, uint32_t h)
{
	/* FNV-1a */
	for (size_t i = 0; i < l; i++) {
		h ^= (uint8_t)p[i];
		h *= 16777619u;
	}

	return h;
}


static struct span span_of(const struct pl *f, const char *base)
{
	struct span s = {0, 0};

	if (f->p) {
		s.off = (uint16_t)(f->p - base + 1);
		s.len = (uint16_t)f->l;
	}

	return s;
}


static struct pl pl_of(struct span s, const char *base)
{
	struct pl pl = PL_INIT;

	if (s.off) {
		pl.p = base + s.off - 1;
		pl.l = s.len;
	}

	return pl;
}


/* every field inside the input (so that its offset says where) */
static bool inside(const struct pl *f, const struct pl *in)
{
	return !f->p || (f->p >= in->p && f->p + f->l <= in->p + in->l);
}


/* made at the first call, kept for the process (outside libre's memory
 * accounting, which tests compare across libre_init() and libre_close()) */
static void *table(void **tab, size_t size)
{
	if (!*tab)
		*tab = calloc(SLOTS, size);

	return *tab;
}


int uri_decode(struct uri *uri, const struct pl *pl)
{
	typedef int (real_f)(struct uri *, const struct pl *);
	static void *cache;
	real_f *real = (real_f *)reshim_real(&cache, "uri_decode");
	struct uri_slot *slot;
	int err;

	if (!real)
		return ENOSYS;

	if (!uri || !pl || !pl->p || !pl->l || pl->l > KEY_MAX ||
	    !table((void **)&uri_tab, sizeof(*uri_tab)))
		return real(uri, pl);

	slot = &uri_tab[hash_bytes(pl->p, pl->l, 2166136261u) & (SLOTS - 1)];

	if (slot->keylen == pl->l && !memcmp(slot->key, pl->p, pl->l)) {
		memset(uri, 0, sizeof(*uri));
		uri->scheme   = pl_of(slot->scheme, pl->p);
		uri->user     = pl_of(slot->user, pl->p);
		uri->password = pl_of(slot->password, pl->p);
		uri->host     = pl_of(slot->host, pl->p);
		uri->path     = pl_of(slot->path, pl->p);
		uri->params   = pl_of(slot->params, pl->p);
		uri->headers  = pl_of(slot->headers, pl->p);
		uri->port     = slot->port;
		uri->af       = slot->af;
		++stats.uri_hits;
		return 0;
	}

	++stats.uri_misses;
	err = real(uri, pl);

	/* only successes are kept: a failure leaves *uri as libre left it,
	 * which the next call then sees again from libre */
	if (err || !inside(&uri->scheme, pl) || !inside(&uri->user, pl) ||
	    !inside(&uri->password, pl) || !inside(&uri->host, pl) ||
	    !inside(&uri->path, pl) || !inside(&uri->params, pl) ||
	    !inside(&uri->headers, pl))
		return err;

	slot->keylen   = (uint8_t)pl->l;
	memcpy(slot->key, pl->p, pl->l);
	slot->scheme   = span_of(&uri->scheme, pl->p);
	slot->user     = span_of(&uri->user, pl->p);
	slot->password = span_of(&uri->password, pl->p);
	slot->host     = span_of(&uri->host, pl->p);
	slot->path     = span_of(&uri->path, pl->p);
	slot->params   = span_of(&uri->params, pl->p);
	slot->headers  = span_of(&uri->headers, pl->p);
	slot->port     = uri->port;
	slot->af       = uri->af;

	return 0;
}


int msg_param_decode(const struct pl *pl, const char *name, struct pl *val)
{
	typedef int (real_f)(const struct pl *, const char *, struct pl *);
	static void *cache;
	real_f *real = (real_f *)reshim_real(&cache, "msg_param_decode");
	struct param_slot *slot;
	size_t namelen;
	struct pl v;
	int err;

	if (!real)
		return ENOSYS;

	namelen = name ? strlen(name) : 0;

	if (!pl || !name || !val || !pl->p || !pl->l || pl->l > KEY_MAX ||
	    !namelen || namelen > sizeof(slot->name) ||
	    !table((void **)&param_tab, sizeof(*param_tab)))
		return real(pl, name, val);

	slot = &param_tab[hash_bytes(pl->p, pl->l,
				     hash_bytes(name, namelen, 2166136261u))
			  & (SLOTS - 1)];

	if (slot->keylen == pl->l && slot->namelen == namelen &&
	    !memcmp(slot->key, pl->p, pl->l) &&
	    !memcmp(slot->name, name, namelen)) {
		++stats.param_hits;
		if (!slot->found)
			return ENOENT;
		*val = pl_of(slot->val, pl->p);
		return 0;
	}

	++stats.param_misses;
	err = real(pl, name, &v);
	if (err && err != ENOENT)
		return err;
	if (!err && !inside(&v, pl))
		goto out;

	slot->keylen  = (uint8_t)pl->l;
	slot->namelen = (uint8_t)namelen;
	memcpy(slot->key, pl->p, pl->l);
	memcpy(slot->name, name, namelen);
	slot->found   = !err;
	slot->val     = err ? (struct span){0, 0} : span_of(&v, pl->p);

 out:
	if (!err)
		*val = v;

	return err;
}


void decodememo_stats(struct decodememo_stats *st)
{
	if (st)
		*st = stats;
}


void decodememo_flush(void)
{
	free(uri_tab);
	free(param_tab);
	uri_tab = NULL;
	param_tab = NULL;
}
