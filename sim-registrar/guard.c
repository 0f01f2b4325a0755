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
	unsigned ka;                 /* bytes of a CRLFCRLF ping seen     */
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


/* a response on its way out: an RFC 2543 request's Via as it came */
static bool udp_send_h(int *err, struct sa *dst, struct mbuf *mb, void *arg)
{
	(void)err;
	(void)dst;
	(void)arg;

	(void)sipcheck_unbranch(mb);

	return false;
}


static bool udp_recv(struct sa *src, struct mbuf *mb, void *arg)
{
	struct guard_udp *gu = arg;
	struct sipcheck res;
	struct mbuf *reply, *copy = NULL;
	const uint8_t *p = mbuf_buf(mb);
	size_t len = mbuf_get_left(mb);
	int r;

	sipdecode_drop();

	/* keep-alives and STUN are the stack's */
	if (len < 4 || (p[0] & 0xc0) == 0 || p[0] == '\r' || p[0] == '\n')
		return false;

	/* RFC 2543 (no Via branch): judged, and handed on, as a copy libre
	 * can decode */
	(void)sipcheck_branchless(p, len, &copy);

	sipdecode_keep_begin();
	r = copy ? sipcheck_raw(mbuf_buf(copy), mbuf_get_left(copy), false,
				&res)
		 : sipcheck_raw(p, len, false, &res);

	if (!r) {
		if (copy) {
			size_t start = mb->pos;

			mb->end = start;
			if (mbuf_write_mem(mb, mbuf_buf(copy),
					   mbuf_get_left(copy)))
				r = ENOMEM;
			mb->pos = start;
			mem_deref(copy);
		}
		/* exactly one decode, of these bytes: the stack's to have */
		(void)sipdecode_keep_end(r ? NULL : mb);
		return false;
	}

	mem_deref(copy);
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

	if (udp_register_helper(&gu->uh, us, -1000, udp_send_h, udp_recv,
				gu)) {
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


/* whole messages so far to libre, in order with the guard's own
 * replies; a fresh buffer after: what libre decoded keeps a reference */
static struct mbuf *pass_on(struct guard_conn *gc, struct mbuf *out)
{
	out->pos = 0;
	if (mbuf_get_left(out) && gc->rh)
		gc->rh(out, gc->arg);

	mem_deref(out);

	return mbuf_alloc(512);
}


/*
 * CRLFs before a start line are ignored (RFC 3261 7.5), and each CRLFCRLF
 * ping gets a CRLF pong (RFC 5626 4.4.1), in whatever segments it came.
 * libre pongs only a ping within one read: it is given one CRLF per run
 * (which restarts its idle timer) and the guard pongs.  Returns the bytes
 * taken, and how many pongs are due.
 */
static size_t keepalive(struct guard_conn *gc, const uint8_t *p, size_t left,
			unsigned *pongs)
{
	static const char ping[] = "\r\n\r\n";
	size_t i;

	for (i = 0; i < left && (p[i] == '\r' || p[i] == '\n'); i++) {
		if (p[i] == (uint8_t)ping[gc->ka]) {
			if (++gc->ka == 4) {
				++*pongs;
				gc->ka = 0;
			}
		}
		else {
			gc->ka = p[i] == '\r' ? 1 : 0;
		}
	}

	return i;
}


/* a start line and nothing else: stray octets, not a request */
static bool has_header(const uint8_t *p, size_t len)
{
	size_t hlen = sipcheck_head_len(p, len);
	const uint8_t *nl = memchr(p, '\n', hlen ? hlen : len);

	if (!nl)
		return false;

	nl++;
	return memchr(nl, ':', (size_t)(p + (hlen ? hlen : len) - nl)) != NULL;
}


/*
 * Frame the stream ourselves: whole, well-formed messages go on to
 * libre; a malformed one is answered and dropped; when its length cannot
 * be known the framing is lost and the connection closes after the reply.
 * Answers leave in the order of the stream.
 */
static void conn_recv(struct mbuf *mb, void *arg)
{
	static const uint8_t pong[] = "\r\n";
	struct guard_conn *gc = arg;
	struct tcp_conn *tc;
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

	/* libre may let go of the connection while it reads what we pass */
	tc = mem_ref(gc->tc);

	while (out && mbuf_get_left(gc->buf) && !lost) {
		const uint8_t *p = mbuf_buf(gc->buf);
		size_t left = mbuf_get_left(gc->buf), hlen, total;
		struct mbuf *copy = NULL;
		struct sipcheck res;
		unsigned pongs = 0;
		uint32_t clen = 0;
		int cerr;

		if (p[0] == '\r' || p[0] == '\n') {
			/* the run was taken whole: libre sees one CRLF */
			gc->buf->pos += keepalive(gc, p, left, &pongs);
			(void)mbuf_write_mem(out, pong, 2);
			if (pongs)
				out = pass_on(gc, out);
			while (pongs--) {
				struct mbuf mbr = {.buf = (uint8_t *)pong,
						   .size = 2, .end = 2};
				(void)tcp_send(gc->tc, &mbr);
			}
			continue;
		}

		gc->ka = 0;

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

		if (!lost)
			(void)sipcheck_branchless(p, total, &copy);

		if (lost || (copy ? sipcheck_raw(mbuf_buf(copy),
						 mbuf_get_left(copy), true,
						 &res)
				  : sipcheck_raw(p, total, true, &res))) {
			struct mbuf *reply;

			if (lost) {
				res.scode = 400;
				res.reason = "Bad Request";
				res.detail = "malformed Content-Length";
				total = left;
			}

			out = pass_on(gc, out);

			/* stray octets on the stream (RFC 4475 dblreq's
			 * over TCP): nothing to answer, ignored as CRLFs
			 * before a start line are (RFC 3261 7.5) */
			if (!lost && !has_header(p, total)) {
				res.detail = "stray octets, no header: "
					"ignored";
				report(gc->g, &res, &gc->peer, "TCP", p, total);
			}
			else {
				report(gc->g, &res, &gc->peer, "TCP", p, total);
				reply = reply_build(p, total, &res);
				if (reply) {
					(void)tcp_send(gc->tc, reply);
					mem_deref(reply);
				}
			}
		}
		else if (copy) {
			(void)mbuf_write_mem(out, mbuf_buf(copy),
					     mbuf_get_left(copy));
		}
		else {
			(void)mbuf_write_mem(out, p, total);
		}

		mem_deref(copy);
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

	if (lost) {
		mem_deref(out);
		conn_close(EBADMSG, gc);
	}
	else if (out) {
		out->pos = 0;
		if (mbuf_get_left(out) && gc->rh)
			gc->rh(out, gc->arg);
		mem_deref(out);
	}

	mem_deref(tc);
}


/* a response on its way out: an RFC 2543 request's Via as it came */
static bool conn_send_h(int *err, struct mbuf *mb, void *arg)
{
	(void)err;
	(void)arg;

	(void)sipcheck_unbranch(mb);

	return false;
}


static bool conn_estab_h(int *err, bool active, void *arg)
{
	(void)err;
	(void)active;
	(void)arg;

	return false;
}


static bool conn_pass_h(int *err, struct mbuf *mb, bool *estab, void *arg)
{
	(void)err;
	(void)mb;
	(void)estab;
	(void)arg;

	return false;
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

	/* owned by the connection (freed with it), stateless: no arg */
	{
		struct tcp_helper *th;

		(void)tcp_register_helper(&th, gc->tc, -1000, conn_estab_h,
					  conn_send_h, conn_pass_h, NULL);
	}

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
