/**
 * @file guard.c  Replies to undecodable requests (see guard.h)
 */

#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <re.h>
#include "sipcheck.h"
#include "guard.h"
#include "reshim/sipdecode.h"
#include "reshim/sockhook.h"
#include "reshim/udp_batch.h"

#define SOFTWARE "sipconform-sim-registrar/" SIPCONFORM_VERSION

/* UDP_RCVBUF: SO_RCVBUF, capped by net.core.rmem_max; UDP_RCVBUF_FORCE:
 * SO_RCVBUFFORCE, for a process that may exceed that cap (CAP_NET_ADMIN):
 * the harness's refresh storm queues 20,000 REGISTERs, ~100 MB of kernel
 * buffers, before the registrar reads one (bench/results.md) */
enum { STREAM_MAX = 65536, UDP_RCVBUF = 4 * 1024 * 1024,
       UDP_RCVBUF_FORCE = 64 * 1024 * 1024 };

struct guard {
	struct le le;             /* in guards                            */
	struct list udpl;         /* struct guard_udp                    */
	struct list tcpsl;        /* struct guard_tcps: listening sockets */
	struct list connl;        /* struct guard_conn                   */
	guard_h *h;
	void *arg;
};

struct guard_udp {
	struct le le;
	struct guard *g;
	struct udp_sock *us;
	struct udp_helper *uh;
};

struct guard_tcps {
	struct le le;
	const struct tcp_sock *ts;   /* weak: the stack owns it          */
};

/* one accepted connection: our framing in front of libre's */
struct guard_conn {
	struct le le;
	struct guard *g;
	struct tcp_conn *tc;         /* weak                              */
	struct sa peer;
	struct mbuf *buf;            /* bytes not yet a whole message     */
	tcp_estab_h *eh;
	tcp_recv_h *rh;
	tcp_close_h *ch;
	void *arg;
};

static struct guard *attaching;
static struct list guards;   /* one per registrar in the process    */
static const struct sockhook hooks;   /* below                       */

/*
 * One decode per datagram.  To judge a request the guard has libre decode
 * it (sipcheck_raw); the stack, called next with the same buffer, would
 * decode it all over again: the shim keeps that decode and hands it over
 * (reshim/sipdecode.h).
 */


static void udp_destructor(void *data)
{
	struct guard_udp *gu = data;

	list_unlink(&gu->le);
	mem_deref(gu->uh);
	mem_deref(gu->us);
}


static void conn_destructor(void *data)
{
	struct guard_conn *gc = data;

	list_unlink(&gc->le);
	mem_deref(gc->buf);
}


static void destructor(void *data)
{
	struct guard *g = data;

	if (attaching == g)
		attaching = NULL;

	sipdecode_drop();

	list_unlink(&g->le);
	list_flush(&g->udpl);
	list_flush(&g->tcpsl);
	list_flush(&g->connl);
}


int guard_alloc(struct guard **gp, guard_h *h, void *arg)
{
	struct guard *g;

	if (!gp)
		return EINVAL;

	g = mem_zalloc(sizeof(*g), destructor);
	if (!g)
		return ENOMEM;

	g->h = h;
	g->arg = arg;
	list_append(&guards, &g->le, g);
	/* process-wide, and harmless without a guard (nothing matches) */
	sockhook_set(&hooks, NULL);
	*gp = g;

	return 0;
}


void guard_attach_begin(struct guard *g)
{
	attaching = g;
}


void guard_attach_end(void)
{
	attaching = NULL;
}


unsigned guard_socket_count(const struct guard *g)
{
	return g ? list_count(&g->udpl) + list_count(&g->tcpsl) : 0;
}


/* copy a header line of the request into the reply, by (compact) name */
static void copy_header(struct mbuf *out, const uint8_t *p, size_t hlen,
			const char *name, char compact, bool add_tag)
{
	const char *s = (const char *)p, *end = s + hlen;
	const char *line = memchr(s, '\n', hlen);

	for (line = line ? line + 1 : end; line < end; ) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *colon;
		size_t nl;

		if (!eol)
			eol = end;

		colon = memchr(line, ':', (size_t)(eol - line));
		if (colon) {
			nl = (size_t)(colon - line);
			while (nl && (line[nl - 1] == ' ' ||
				      line[nl - 1] == '\t'))
				nl--;
			if ((nl == strlen(name) &&
			     !strncasecmp(line, name, nl)) ||
			    (nl == 1 && (line[0] | 0x20) == compact)) {
				size_t l = (size_t)(eol - line);
				if (l && line[l - 1] == '\r')
					l--;
				(void)mbuf_write_mem(out,
						     (const uint8_t *)line, l);
				if (add_tag && !memmem(line, l, "tag=", 4))
					(void)mbuf_printf(out,
						";tag=%016llx", rand_u64());
				(void)mbuf_write_str(out, "\r\n");
			}
		}

		line = eol + 1;
	}
}


static struct mbuf *reply_build(const uint8_t *p, size_t len,
				const struct sipcheck *res)
{
	size_t hlen = sipcheck_head_len(p, len);
	struct mbuf *mb = mbuf_alloc(512);

	if (!mb)
		return NULL;

	if (!hlen)
		hlen = len;

	(void)mbuf_printf(mb, "SIP/2.0 %u %s\r\n", res->scode, res->reason);
	copy_header(mb, p, hlen, "Via", 'v', false);
	copy_header(mb, p, hlen, "From", 'f', false);
	copy_header(mb, p, hlen, "To", 't', true);
	copy_header(mb, p, hlen, "Call-ID", 'i', false);
	copy_header(mb, p, hlen, "CSeq", 0, false);
	(void)mbuf_printf(mb, "Server: %s\r\n"
			  "Warning: 399 sim-registrar \"%s\"\r\n"
			  "Content-Length: 0\r\n\r\n", SOFTWARE, res->detail);
	mb->pos = 0;

	return mb;
}


static void report(struct guard *g, const struct sipcheck *res,
		   const struct sa *src, const char *tp, const uint8_t *p,
		   size_t len)
{
	char method[32] = "?";
	size_t i;

	for (i = 0; i < len && i + 1 < sizeof(method) && p[i] != ' ' &&
		     p[i] != '\r' && p[i] != '\n'; i++)
		method[i] = (char)p[i];
	if (i)
		method[i] = '\0';

	if (g->h)
		g->h(res->scode, res->reason, res->detail, src, tp, method,
		     g->arg);
}


static bool udp_recv(struct sa *src, struct mbuf *mb, void *arg)
{
	struct guard_udp *gu = arg;
	struct sipcheck res;
	struct mbuf *reply;
	const uint8_t *p = mbuf_buf(mb);
	size_t len = mbuf_get_left(mb);
	int r;

	sipdecode_drop();

	/* keep-alives and STUN are the stack's */
	if (len < 4 || (p[0] & 0xc0) == 0 || p[0] == '\r' || p[0] == '\n')
		return false;

	sipdecode_keep_begin();
	r = sipcheck_raw(p, len, false, &res);

	if (!r) {
		/* exactly one decode, of these bytes: the stack's to have */
		(void)sipdecode_keep_end(mb);
		return false;
	}

	(void)sipdecode_keep_end(NULL);

	report(gu->g, &res, src, "UDP", p, len);

	reply = reply_build(p, len, &res);
	if (reply) {
		(void)udp_send(gu->us, src, reply);
		mem_deref(reply);
	}

	return true;
}


static void attach_udp(struct guard *g, struct udp_sock *us)
{
	struct guard_udp *gu = mem_zalloc(sizeof(*gu), udp_destructor);

	if (!gu)
		return;

	gu->g = g;
	gu->us = mem_ref(us);

	/* a clock jump makes every phone refresh at once (libre-notes) */
	(void)udp_sockbuf_set(us, UDP_RCVBUF);
	{
		int sz = UDP_RCVBUF_FORCE;

		/* fails without the privilege: UDP_RCVBUF stays */
		(void)udp_setsockopt(us, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
				     sizeof(sz));
	}

	if (udp_register_helper(&gu->uh, us, -1000, NULL, udp_recv, gu)) {
		mem_deref(gu);
		return;
	}

	list_append(&g->udpl, &gu->le, gu);
}


/* the registrar's sockets read a batch per wake-up (reshim/udp_batch.h) */
static void udp_listen_before(void *arg)
{
	(void)arg;

	if (attaching)
		udp_batch_capture(true);
}


static void udp_listen_after(int err, struct udp_sock *us, void *arg)
{
	(void)arg;

	if (!attaching)
		return;

	udp_batch_capture(false);
	if (!err && us) {
		(void)udp_batch_attach();
		attach_udp(attaching, us);
	}
}


static void tcp_listen_after(int err, struct tcp_sock *ts, void *arg)
{
	struct guard_tcps *gt;

	(void)arg;

	if (err || !attaching || !ts)
		return;

	gt = mem_zalloc(sizeof(*gt), NULL);
	if (gt) {
		gt->ts = ts;
		list_append(&attaching->tcpsl, &gt->le, gt);
	}
}


static struct guard *guard_of_listener(const struct tcp_sock *ts);


static void conn_estab(void *arg)
{
	struct guard_conn *gc = arg;

	if (gc->eh)
		gc->eh(gc->arg);
}


static void conn_close(int err, void *arg)
{
	struct guard_conn *gc = arg;
	tcp_close_h *ch = gc->ch;
	void *carg = gc->arg;

	/* the connection is gone: so is our framing state */
	mem_deref(gc);

	if (ch)
		ch(err, carg);
}


/*
 * Frame the stream ourselves: whole, well-formed messages go on to
 * libre; a malformed one is answered and dropped; when its length cannot
 * be known the framing is lost and the connection closes after the reply.
 */
static void conn_recv(struct mbuf *mb, void *arg)
{
	struct guard_conn *gc = arg;
	struct mbuf *out = NULL;
	bool lost = false;

	if (!gc->buf)
		gc->buf = mbuf_alloc(mbuf_get_left(mb) + 256);
	if (!gc->buf)
		return;

	gc->buf->pos = gc->buf->end;
	(void)mbuf_write_mem(gc->buf, mbuf_buf(mb), mbuf_get_left(mb));
	gc->buf->pos = 0;

	out = mbuf_alloc(mbuf_get_left(gc->buf));
	if (!out)
		return;

	while (mbuf_get_left(gc->buf) && !lost) {
		const uint8_t *p = mbuf_buf(gc->buf);
		size_t left = mbuf_get_left(gc->buf), hlen, total;
		struct sipcheck res;
		uint32_t clen = 0;
		int cerr;

		/* keep-alive CRLFs are the stack's to answer */
		if (p[0] == '\r' || p[0] == '\n') {
			(void)mbuf_write_mem(out, p, 1);
			gc->buf->pos++;
			continue;
		}

		hlen = sipcheck_head_len(p, left);
		if (!hlen) {
			if (left > STREAM_MAX)
				lost = true;
			break;
		}

		cerr = sipcheck_clen(p, hlen, &clen);
		if (cerr == EBADMSG)
			lost = true;
		total = hlen + (cerr ? 0 : clen);
		if (!lost && total > left)
			break;          /* the body is still on its way */

		if (lost || sipcheck_raw(p, lost ? left : total, true, &res)) {
			struct mbuf *reply;

			if (lost) {
				res.scode = 400;
				res.reason = "Bad Request";
				res.detail = "malformed Content-Length";
				total = left;
			}

			report(gc->g, &res, &gc->peer, "TCP", p, total);
			reply = reply_build(p, total, &res);
			if (reply) {
				(void)tcp_send(gc->tc, reply);
				mem_deref(reply);
			}
		}
		else {
			(void)mbuf_write_mem(out, p, total);
		}

		gc->buf->pos += total;
	}

	/* keep only what is not yet whole */
	if (mbuf_get_left(gc->buf)) {
		struct mbuf *rest = mbuf_alloc(mbuf_get_left(gc->buf) + 256);
		if (rest) {
			(void)mbuf_write_mem(rest, mbuf_buf(gc->buf),
					     mbuf_get_left(gc->buf));
			rest->pos = 0;
		}
		mem_deref(gc->buf);
		gc->buf = rest;
	}
	else {
		gc->buf = mem_deref(gc->buf);
	}

	out->pos = 0;
	if (lost) {
		mem_deref(out);
		conn_close(EBADMSG, gc);
		return;
	}

	if (mbuf_get_left(out) && gc->rh)
		gc->rh(out, gc->arg);

	mem_deref(out);
}


/* a connection on a guarded listener: our framing in front of libre's */
static bool accept_conn(int *errp, struct tcp_conn **tcp, struct tcp_sock *ts,
			tcp_estab_h *eh, tcp_recv_h *rh, tcp_close_h *ch,
			void *arg, void *harg)
{
	struct guard_conn *gc;
	struct guard *g;
	int err;

	(void)harg;

	g = guard_of_listener(ts);
	if (!g)
		return false;

	gc = mem_zalloc(sizeof(*gc), conn_destructor);
	if (!gc) {
		*errp = ENOMEM;
		return true;
	}

	gc->g = g;
	gc->eh = eh;
	gc->rh = rh;
	gc->ch = ch;
	gc->arg = arg;

	err = sockhook_tcp_accept(tcp, ts, conn_estab, conn_recv, conn_close,
				  gc);
	if (err) {
		mem_deref(gc);
		*errp = err;
		return true;
	}

	gc->tc = *tcp;
	(void)tcp_conn_peer_get(gc->tc, &gc->peer);

	/* a connection object at the address of one we knew: that one is
	 * gone without a close event (libre frees idle ones silently) */
	for (struct le *le = g->connl.head; le; ) {
		struct guard_conn *old = le->data;
		le = le->next;
		if (old->tc == gc->tc)
			mem_deref(old);
	}

	list_append(&g->connl, &gc->le, gc);
	*errp = 0;

	return true;
}


static struct guard *find_listener_in(struct guard *g,
				      const struct tcp_sock *ts)
{
	for (struct le *le = g->tcpsl.head; le; le = le->next) {
		const struct guard_tcps *gt = le->data;
		if (gt->ts == ts)
			return g;
	}

	return NULL;
}


static struct guard *guard_of_listener(const struct tcp_sock *ts)
{
	for (struct le *le = guards.head; le; le = le->next) {
		struct guard *g = find_listener_in(le->data, ts);
		if (g)
			return g;
	}

	return NULL;
}


static const struct sockhook hooks = {
	.udp_listen_before = udp_listen_before,
	.udp_listen_after  = udp_listen_after,
	.tcp_listen_after  = tcp_listen_after,
	.tcp_accept        = accept_conn,
};
