/**
 * @file wire.c  Packets off the wire tap, once each, named, framed,
 *               checked (wire.h)
 */

#include <string.h>
#include <sys/time.h>
#include <re.h>
#include "vclock.h"
#include "reshim/wiretap.h"
#include "msgkeep.h"
#include "protocheck/protocheck.h"
#include "protocheck/pc_parse.h"
#include "protocheck/wire.h"

enum {
	HASH_SIZE  = 4096,
	STREAM_MAX = 65536,     /* a stream's unframed bytes, at most */
	WHERE_MAX  = 512,
};

struct elem {
	struct le he;
	struct sa addr;
	struct pc_party party;
	char *name;
	const void *tag;
};

/* one direction of a TCP connection, being framed */
struct stream {
	struct le le;
	struct sa src;
	struct sa dst;
	struct mbuf *mb;
	bool opaque;            /* TLS: ciphertext, nothing to frame    */
	bool started;
};

struct wire {
	struct protocheck *pc;
	struct hash *elems;      /* named addresses (listening, or learned) */
	struct hash *locals;     /* addresses of this process's sockets   */
	struct list streams;
	wire_sip_h *sh;
	wire_pkt_h *ph;
	void *arg;
	char where[WHERE_MAX];
	size_t nsip;
	bool decode;             /* hand decoded messages to sh          */
	struct pc_party others;  /* ends not named and not of this process */
	char *others_name;
};

struct local {
	struct le he;
	struct sa addr;
};

static struct wire *active;


/* libre's sa_hash(SA_ALL) leaves the port out for most of its bits: on
 * loopback every phone would share a chain */
static uint32_t addr_hash(const struct sa *sa)
{
	uint32_t h = (uint32_t)sa_port(sa) * 2654435761u;

	if (sa_af(sa) == AF_INET)
		h ^= sa_in(sa);
	else
		h ^= sa_hash(sa, SA_ADDR);

	return h ^ (h >> 15);
}


static void elem_destructor(void *data)
{
	struct elem *e = data;

	hash_unlink(&e->he);
	mem_deref(e->name);
}


static void local_destructor(void *data)
{
	struct local *l = data;

	hash_unlink(&l->he);
}


static void stream_destructor(void *data)
{
	struct stream *s = data;

	list_unlink(&s->le);
	mem_deref(s->mb);
}


static void wire_destructor(void *data)
{
	struct wire *w = data;

	if (active == w) {
		wiretap_set(NULL, NULL);
		active = NULL;
	}

	hash_flush(w->elems);
	hash_flush(w->locals);
	mem_deref(w->elems);
	mem_deref(w->locals);
	list_flush(&w->streams);
	mem_deref(w->pc);
	mem_deref(w->others_name);
}


static bool elem_cmp(struct le *le, void *arg)
{
	const struct elem *e = le->data;

	return sa_cmp(&e->addr, arg, SA_ALL);
}


static bool local_cmp(struct le *le, void *arg)
{
	const struct local *l = le->data;

	return sa_cmp(&l->addr, arg, SA_ALL);
}


static struct elem *elem_find(const struct wire *w, const struct sa *sa)
{
	struct le *le = hash_lookup(w->elems, addr_hash(sa), elem_cmp,
				    (void *)sa);

	return le ? le->data : NULL;
}


static int elem_add(struct wire *w, const struct sa *addr,
		    const struct pc_party *p, const void *tag)
{
	struct elem *e;

	e = elem_find(w, addr);
	if (e)
		return 0;

	e = mem_zalloc(sizeof(*e), elem_destructor);
	if (!e)
		return ENOMEM;

	e->addr = *addr;
	if (str_dup(&e->name, p->name ? p->name : "?")) {
		mem_deref(e);
		return ENOMEM;
	}
	e->party = *p;
	e->party.name = e->name;
	e->tag = tag;

	hash_append(w->elems, addr_hash(addr), &e->he, e);

	return 0;
}


int wire_name(struct wire *w, const struct sa *addr, const char *name,
	      enum pc_role role, bool misbehaves, const void *tag)
{
	struct pc_party p = {role, name, misbehaves};

	if (!w || !addr || !sa_isset(addr, SA_ALL))
		return EINVAL;

	return elem_add(w, addr, &p, tag);
}


static bool is_local(const struct wire *w, const struct sa *sa)
{
	return hash_lookup(w->locals, addr_hash(sa), local_cmp,
			   (void *)sa) != NULL;
}


static void local_add(struct wire *w, const struct sa *sa)
{
	struct local *l;

	if (is_local(w, sa))
		return;

	l = mem_zalloc(sizeof(*l), local_destructor);
	if (!l)
		return;

	l->addr = *sa;
	hash_append(w->locals, addr_hash(sa), &l->he, l);
}


/* who is at an address: named, else learned from a Via, else a peer */
static const void *party_of(struct wire *w, const struct sa *sa, char *buf,
			    size_t sz, struct pc_party *p)
{
	const struct elem *e = elem_find(w, sa);

	if (e) {
		*p = e->party;
		return e->tag;
	}

	if (w->others_name && !is_local(w, sa)) {
		*p = w->others;
		return NULL;
	}

	(void)re_snprintf(buf, sz, "%J", sa);
	p->role = PC_ROLE_PEER;
	p->name = buf;
	p->misbehaves = false;

	return NULL;
}


/*
 * A TCP connection's ends are ephemeral ports, not the addresses the
 * elements were named by: the client of a request names itself in its
 * top Via (sent-by), so the connection's end is learned from it.
 */
static void learn_from_via(struct wire *w, const uint8_t *buf, size_t len,
			   const struct sip_msg *msg, const struct sa *src,
			   const struct sa *dst)
{
	struct pc_info mi;
	struct sa via;
	const struct sa *client_end;
	const struct elem *e;

	if (msg)
		pc_info_from_msg(&mi, msg);
	else if (pc_info_parse(&mi, buf, len))
		return;

	client_end = mi.req ? src : dst;
	if (elem_find(w, client_end) ||
	    sa_decode(&via, mi.sentby.p, mi.sentby.l))
		return;

	e = elem_find(w, &via);
	if (e)
		(void)elem_add(w, client_end, &e->party, e->tag);
}


static bool looks_like_sip(const uint8_t *p, size_t n)
{
	/* a response, or a request: a token, a space */
	if (n >= 8 && !memcmp(p, "SIP/2.0 ", 8))
		return true;

	for (size_t i = 0; i < n && i < 32; i++) {
		if (p[i] == ' ')
			return i > 0;
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	}

	return false;
}


static void sip_message(struct wire *w, const uint8_t *buf, size_t len,
			bool tcp, const struct sa *src, const struct sa *dst,
			uint64_t real_us, bool decrypted)
{
	char fbuf[64], tbuf[64];
	struct pc_party from, to;
	const void *from_tag, *to_tag;
	struct sip_msg *msg = NULL;
	struct pc_msg pm;
	struct wire_sip ws;
	size_t before;

	/* libre's full decode only for a user that reads the message; the
	 * checker reads its few fields itself (pc_parse.c) */
	if (w->decode && msgkeep_decode_bytes(&msg, buf, len))
		msg = NULL;

	if (tcp)
		learn_from_via(w, buf, len, msg, src, dst);

	from_tag = party_of(w, src, fbuf, sizeof(fbuf), &from);
	to_tag = party_of(w, dst, tbuf, sizeof(tbuf), &to);

	memset(&pm, 0, sizeof(pm));
	pm.buf = buf;
	pm.len = len;
	pm.stream = tcp;
	/* message time on the elements' own clock: virtual in the harness,
	 * so a retransmission window (64*T1) is measured as they measure it
	 * and an advance lets finished transactions go */
	pm.ts = vclock_now();
	pm.from = from;
	pm.to = to;
	pm.where = w->where;

	before = protocheck_retransmissions(w->pc);
	(void)protocheck_feed_msg(w->pc, &pm, msg);

	++w->nsip;

	if (w->sh) {
		ws.msg = msg;
		ws.buf = buf;
		ws.len = len;
		ws.tcp = tcp;
		ws.src = src;
		ws.dst = dst;
		ws.real_us = real_us;
		ws.from = &from;
		ws.to = &to;
		ws.from_tag = from_tag;
		ws.to_tag = to_tag;
		ws.retrans = protocheck_retransmissions(w->pc) > before;
		ws.decrypted = decrypted;
		w->sh(&ws, w->arg);
	}

	mem_deref(msg);
}


static struct stream *stream_get(struct wire *w, const struct sa *src,
				 const struct sa *dst)
{
	struct stream *s;
	struct le *le;

	for (le = w->streams.head; le; le = le->next) {
		s = le->data;
		if (sa_cmp(&s->src, src, SA_ALL) &&
		    sa_cmp(&s->dst, dst, SA_ALL))
			return s;
	}

	s = mem_zalloc(sizeof(*s), stream_destructor);
	if (!s)
		return NULL;

	s->src = *src;
	s->dst = *dst;
	s->mb = mbuf_alloc(1024);
	if (!s->mb) {
		mem_deref(s);
		return NULL;
	}
	list_append(&w->streams, &s->le, s);

	return s;
}


/* the length of the whole message at the start of p, 0: not all there */
static size_t frame_len(const uint8_t *p, size_t n)
{
	struct pl hdrs, clen;
	const uint8_t *end = NULL;
	size_t i, hl;

	for (i = 0; i + 4 <= n; i++) {
		if (!memcmp(p + i, "\r\n\r\n", 4)) {
			end = p + i + 4;
			break;
		}
	}
	if (!end)
		return 0;

	hl = (size_t)(end - p);
	hdrs.p = (const char *)p;
	hdrs.l = hl;

	if (!re_regex(hdrs.p, hdrs.l, "\r\n[Cc]ontent-[Ll]ength[ \t]*:[ \t]*"
		      "[0-9]+", NULL, NULL, NULL, NULL, &clen) ||
	    !re_regex(hdrs.p, hdrs.l, "\r\nl[ \t]*:[ \t]*[0-9]+", NULL, NULL,
		      &clen)) {
		size_t bl = pl_u32(&clen);

		return hl + bl <= n ? hl + bl : 0;
	}

	return hl;   /* no Content-Length: the checker says so */
}


static void stream_data(struct wire *w, const struct wiretap_pkt *p,
			const struct sa *src, const struct sa *dst)
{
	struct stream *s = stream_get(w, src, dst);
	size_t n;

	if (!s)
		return;

	/* a TLS record first (content types 20-23): SIP is inside, where
	 * the tap cannot read it */
	if (!s->started) {
		s->started = true;
		s->opaque = p->buf[0] >= 0x14 && p->buf[0] <= 0x17;
	}
	if (s->opaque)
		return;

	if (mbuf_get_left(s->mb) + p->len > STREAM_MAX) {
		/* not SIP, or broken beyond framing: start afresh */
		mbuf_reset(s->mb);
	}

	s->mb->pos = s->mb->end;
	(void)mbuf_write_mem(s->mb, p->buf, p->len);
	s->mb->pos = 0;

	for (;;) {
		const uint8_t *b = mbuf_buf(s->mb);

		n = mbuf_get_left(s->mb);

		/* keep-alive CRLFs before a start line (RFC 5626 4.4.1) */
		while (n && (*b == '\r' || *b == '\n')) {
			++b;
			--n;
			++s->mb->pos;
		}
		if (!n)
			break;

		n = frame_len(b, n);
		if (!n)
			break;

		sip_message(w, b, n, true, src, dst, p->real_us, false);
		s->mb->pos += n;
	}

	/* keep what is left, at the start */
	n = mbuf_get_left(s->mb);
	memmove(s->mb->buf, mbuf_buf(s->mb), n);
	s->mb->pos = 0;
	s->mb->end = n;
}


static void tap_handler(const struct wiretap_pkt *p, void *arg)
{
	struct wire *w = arg;
	const struct sa *src = p->out ? p->local : p->peer;
	const struct sa *dst = p->out ? p->peer : p->local;

	local_add(w, p->local);

	/* between two sockets of ours: the sender's copy is the one kept */
	if (!p->out && is_local(w, p->peer))
		return;

	if (p->tcp) {
		stream_data(w, p, src, dst);
		return;
	}

	if (looks_like_sip(p->buf, p->len)) {
		sip_message(w, p->buf, p->len, false, src, dst, p->real_us,
			    false);
		return;
	}

	/* a keep-alive CRLF datagram is neither SIP nor media */
	if (p->len <= 4 && (p->buf[0] == '\r' || p->buf[0] == '\n'))
		return;

	if (w->ph) {
		struct wire_pkt wp = {p->buf, p->len, false, src, dst,
				      p->real_us};

		w->ph(&wp, w->arg);
	}
}


int wire_alloc(struct wire **wp, wire_sip_h *sh, wire_pkt_h *ph, void *arg)
{
	struct wire *w;
	int err;

	if (!wp)
		return EINVAL;

	w = mem_zalloc(sizeof(*w), wire_destructor);
	if (!w)
		return ENOMEM;

	err  = hash_alloc(&w->elems, HASH_SIZE);
	err |= hash_alloc(&w->locals, HASH_SIZE);
	err |= protocheck_alloc(&w->pc);
	if (err) {
		mem_deref(w);
		return ENOMEM;
	}

	w->sh = sh;
	w->ph = ph;
	w->arg = arg;
	w->decode = sh != NULL;

	active = w;
	wiretap_set(tap_handler, w);

	*wp = w;
	return 0;
}


int wire_others(struct wire *w, const char *name, enum pc_role role)
{
	if (!w || !name)
		return EINVAL;

	w->others_name = mem_deref(w->others_name);
	if (str_dup(&w->others_name, name))
		return ENOMEM;

	w->others.role = role;
	w->others.name = w->others_name;
	w->others.misbehaves = false;

	return 0;
}


void wire_feed_sip(struct wire *w, const uint8_t *buf, size_t len,
		   const struct sa *src, const struct sa *dst)
{
	struct timeval tv;

	if (!w || !buf || !len || !src || !dst)
		return;

	/* its connection's ends were seen by the tap (ciphertext) */
	(void)gettimeofday(&tv, NULL);
	sip_message(w, buf, len, true, src, dst,
		    (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec,
		    true);
}


void wire_where(struct wire *w, const char *file, unsigned line)
{
	if (!w)
		return;

	if (file && line)
		(void)re_snprintf(w->where, sizeof(w->where), "%s:%u", file,
				  line);
	else
		(void)re_snprintf(w->where, sizeof(w->where), "%s",
				  file ? file : "");
}


void wire_set_decode(struct wire *w, bool decode)
{
	if (w)
		w->decode = decode && w->sh;
}


void wire_finish(struct wire *w)
{
	if (w)
		protocheck_finish(w->pc);
}


struct protocheck *wire_checker(const struct wire *w)
{
	return w ? w->pc : NULL;
}


size_t wire_sip_count(const struct wire *w)
{
	return w ? w->nsip : 0;
}
