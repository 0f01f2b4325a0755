/**
 * @file linkfault.c  Faults on a phone's link (linkfault.h)
 */

#include <string.h>
#include <re.h>
#include "vtimer.h"
#include "reshim/udphook.h"
#include "linkfault.h"

/* one direction of a link: its dice and the datagrams it holds back */
struct ldir {
	uint64_t rng;
	struct list heldl;            /* struct lpkt, oldest first        */
};

struct link {
	struct le le;                 /* in linkfaults.linkl              */
	struct sa addr;
	struct linkfault_conf conf;
	struct ldir dirv[2];          /* 0: send, 1: receive              */
	struct linkfault_stats st;
};

/* a datagram in the network: delayed or held back */
struct lpkt {
	struct le le;                 /* in linkfaults.pktl               */
	struct le hle;                /* in ldir.heldl while held         */
	struct ldir *d;
	struct udp_sock *us;          /* referenced: it leaves from there */
	struct sa src;
	struct sa dst;
	struct mbuf *mb;
	struct vtimer vt;
	bool reorder;
};

struct linkfaults {
	struct list linkl;
	struct list pktl;
	uint64_t seed;
};

static struct linkfaults *active;


/* splitmix64: small, fast, and the same on every machine */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;

	return z ^ (z >> 31);
}


static bool roll(uint64_t *s, uint32_t rate)
{
	return (uint32_t)(rng_next(s) % LINKFAULT_MILLION) < rate;
}


uint64_t linkfault_stream(uint64_t seed, uint32_t id, bool receive)
{
	uint64_t s = seed ^ (((uint64_t)id * 2 + (receive ? 1 : 0) + 1) *
			     0xd1342543de82ef95ULL);

	(void)rng_next(&s);

	return s;
}


void linkfault_decide(uint64_t *state, const struct linkfault_conf *conf,
		      struct linkfault_fate *fate)
{
	/* three draws whatever the rates: one rate's change leaves the
	 * other decisions of the stream where they were */
	fate->drop      = roll(state, conf->drop);
	fate->duplicate = roll(state, conf->duplicate);
	fate->reorder   = roll(state, conf->reorder);

	if (fate->drop) {
		fate->duplicate = false;
		fate->reorder   = false;
	}
}


/* ------------------------------------------------------------ datagrams */

static void pkt_destructor(void *data)
{
	struct lpkt *p = data;

	vtimer_cancel(&p->vt);
	list_unlink(&p->le);
	list_unlink(&p->hle);
	mem_deref(p->us);
	mem_deref(p->mb);
}


static void pkt_send(struct lpkt *p)
{
	(void)udphook_send(p->us, &p->dst, p->mb);
	mem_deref(p);
}


/* everything the direction held back goes, right behind what just went */
static void release_held(struct ldir *d)
{
	struct le *le;

	while ((le = list_head(&d->heldl)))
		pkt_send(le->data);
}


static void pkt_go(struct lpkt *p)
{
	struct ldir *d = p->d;

	pkt_send(p);
	release_held(d);
}


static void hold_expired(void *arg)
{
	pkt_send(arg);        /* nothing overtook it: it goes alone */
}


static void pkt_hold(struct lpkt *p)
{
	list_append(&p->d->heldl, &p->hle, p);
	vtimer_start(&p->vt, LINKFAULT_HOLD_MS, hold_expired, p);
}


static void delay_expired(void *arg)
{
	struct lpkt *p = arg;

	if (p->reorder)
		pkt_hold(p);
	else
		pkt_go(p);
}


static int pkt_queue(struct linkfaults *lf, struct ldir *d,
		     struct udp_sock *us, const struct sa *src,
		     const struct sa *dst, const struct mbuf *mb,
		     bool reorder, uint64_t delay_ms)
{
	struct lpkt *p = mem_zalloc(sizeof(*p), pkt_destructor);
	size_t n = mbuf_get_left(mb);

	if (!p)
		return ENOMEM;

	vtimer_init(&p->vt);
	p->d = d;
	p->us = mem_ref(us);
	p->src = *src;
	p->dst = *dst;
	p->reorder = reorder;
	p->mb = mbuf_alloc(n ? n : 1);
	if (!p->mb) {
		mem_deref(p);
		return ENOMEM;
	}
	(void)mbuf_write_mem(p->mb, mbuf_buf(mb), n);
	p->mb->pos = 0;

	list_append(&lf->pktl, &p->le, p);

	if (delay_ms)
		vtimer_start(&p->vt, delay_ms, delay_expired, p);
	else
		pkt_hold(p);      /* reorder without delay */

	return 0;
}


/* ----------------------------------------------------------------- hook */

static struct link *link_find(const struct linkfaults *lf,
			      const struct sa *addr)
{
	for (struct le *le = lf->linkl.head; le; le = le->next) {
		struct link *l = le->data;

		if (sa_cmp(&l->addr, addr, SA_ALL))
			return l;
	}

	return NULL;
}


static bool applies(enum linkfault_dir dir, bool receive)
{
	return dir == LINKFAULT_BOTH ||
		(receive ? dir == LINKFAULT_RECEIVE : dir == LINKFAULT_SEND);
}


static bool send_hook(int *err, struct udp_sock *us, const struct sa *dst,
		      struct mbuf *mb, void *arg)
{
	struct linkfaults *lf = arg;
	struct linkfault_fate fate;
	struct link *l;
	struct ldir *d;
	struct sa src;
	bool receive = false;
	size_t pos;

	if (list_isempty(&lf->linkl) || udp_local_get(us, &src))
		return false;

	l = link_find(lf, &src);
	if (!l) {
		l = link_find(lf, dst);
		receive = true;
	}
	if (!l || !applies(l->conf.dir, receive))
		return false;

	d = &l->dirv[receive];
	l->st.packets++;
	linkfault_decide(&d->rng, &l->conf, &fate);

	*err = 0;

	if (fate.drop) {
		l->st.dropped++;
		return true;
	}

	if (fate.duplicate)
		l->st.duplicated++;
	if (fate.reorder)
		l->st.reordered++;
	if (l->conf.delay_ms)
		l->st.delayed++;

	if (!fate.reorder && !l->conf.delay_ms) {
		pos = mb->pos;
		*err = udphook_send(us, dst, mb);
		if (fate.duplicate) {
			mb->pos = pos;
			(void)udphook_send(us, dst, mb);
		}
		release_held(d);
		return true;
	}

	*err = pkt_queue(lf, d, us, &src, dst, mb, fate.reorder,
			 l->conf.delay_ms);
	if (!*err && fate.duplicate)
		(void)pkt_queue(lf, d, us, &src, dst, mb, fate.reorder,
				l->conf.delay_ms);

	return true;
}


/* ------------------------------------------------------------------ set */

static void destructor(void *data)
{
	struct linkfaults *lf = data;

	if (active == lf) {
		udphook_set(NULL, NULL);
		active = NULL;
	}

	list_flush(&lf->pktl);
	list_flush(&lf->linkl);
}


int linkfaults_alloc(struct linkfaults **lfp, uint64_t seed)
{
	struct linkfaults *lf;

	if (!lfp)
		return EINVAL;

	if (active)
		return EBUSY;

	lf = mem_zalloc(sizeof(*lf), destructor);
	if (!lf)
		return ENOMEM;

	lf->seed = seed;
	active = lf;
	udphook_set(send_hook, lf);

	*lfp = lf;

	return 0;
}


int linkfaults_set(struct linkfaults *lf, const struct sa *addr, uint32_t id,
		   const struct linkfault_conf *conf)
{
	struct link *l;

	if (!lf || !addr || !conf || conf->drop > LINKFAULT_MILLION ||
	    conf->duplicate > LINKFAULT_MILLION ||
	    conf->reorder > LINKFAULT_MILLION)
		return EINVAL;

	l = link_find(lf, addr);
	if (!l) {
		l = mem_zalloc(sizeof(*l), NULL);
		if (!l)
			return ENOMEM;
		l->addr = *addr;
		l->dirv[0].rng = linkfault_stream(lf->seed, id, false);
		l->dirv[1].rng = linkfault_stream(lf->seed, id, true);
		list_append(&lf->linkl, &l->le, l);
	}

	l->conf = *conf;

	return 0;
}


void linkfaults_clear(struct linkfaults *lf, const struct sa *addr)
{
	struct link *l = lf && addr ? link_find(lf, addr) : NULL;

	/* kept: its counts stay readable, its dice go on if set again */
	if (l) {
		memset(&l->conf, 0, sizeof(l->conf));
		l->conf.dir = LINKFAULT_BOTH;
	}
}


int linkfaults_stats(const struct linkfaults *lf, const struct sa *addr,
		     struct linkfault_stats *st)
{
	const struct link *l = lf && addr ? link_find(lf, addr) : NULL;

	if (!st)
		return EINVAL;

	if (!l) {
		memset(st, 0, sizeof(*st));
		return ENOENT;
	}

	*st = l->st;

	return 0;
}


void linkfaults_forget_socket(struct linkfaults *lf, const struct sa *laddr)
{
	struct le *le;

	if (!lf || !laddr)
		return;

	le = lf->pktl.head;
	while (le) {
		struct lpkt *p = le->data;

		le = le->next;
		if (sa_cmp(&p->src, laddr, SA_ALL))
			mem_deref(p);
	}
}


unsigned linkfaults_queued(const struct linkfaults *lf)
{
	return lf ? list_count(&lf->pktl) : 0;
}
