/**
 * @file common.c  The request paths the fuzz targets drive (fuzz.h)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "config.h"
#include "guard.h"
#include "sim_registrar.h"
#include "decision.h"
#include "digest.h"
#include "fuzz.h"

#define USER   "alice"
#define REALM  "sip.twilio.com"
#define PASS   "Conform-Pass-1"
#define URI    "sip:example.sip.us1.twilio.com"
#define CNONCE "0a4f113b"

static struct fuzz_reg reg;
static bool ready;


static bool verbose;           /* FUZZ_VERBOSE set: decisions on stderr */


static void quiet_decision(const struct decision *d, void *arg)
{
	(void)arg;

	if (verbose)
		(void)re_fprintf(stderr, "%H\n", decision_print, d);
}


static void quiet_guard(uint16_t scode, const char *reason,
			const char *detail, const struct sa *src,
			const char *transport, const char *method, void *arg)
{
	(void)scode;
	(void)reason;
	(void)detail;
	(void)src;
	(void)transport;
	(void)method;
	(void)arg;
}


bool fuzz_keep_transports;


/* replies and calls leave the process: only where nothing but loopback is */
static void isolation_check(void)
{
	char line[256];
	FILE *f = fopen("/proc/net/dev", "r");
	unsigned n = 0;
	bool other = false;

	if (!f)
		abort();

	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *name = line;

		if (!colon)
			continue;      /* the two title lines */
		*colon = '\0';
		while (*name == ' ')
			++name;
		other |= strcmp(name, "lo") != 0;
		++n;
	}
	fclose(f);

	if (other || !n) {
		(void)re_fprintf(stderr, "fuzz: this target sends SIP on "
				 "loopback; run it in a network namespace with "
				 "loopback alone (tests/fuzz/run.sh does)\n");
		abort();
	}
}


struct fuzz_reg *fuzz_reg_get(void)
{
	struct sim_registrar_opts opts;
	struct reg_config *cfg = NULL;
	struct sa laddr;
	int err;

	if (ready)
		return &reg;

	verbose = getenv("FUZZ_VERBOSE") != NULL;

	err = libre_init();
	if (!err)
		err = reg_config_default(&cfg);
	if (err) {
		(void)re_fprintf(stderr, "fuzz: libre_init or the default "
				 "configuration: %m\n", err);
		abort();
	}

	/* loopback, any port; the transports go right after */
	(void)sa_set_str(&laddr, "127.0.0.1", 0);
	memset(&opts, 0, sizeof(opts));
	opts.listen = &laddr;
	opts.dh = quiet_decision;
	opts.dh_calls = true;      /* a call's own decisions too */
	opts.guardh = quiet_guard;

	err = sim_registrar_alloc(&reg.sr, cfg, &opts);
	if (err) {
		(void)re_fprintf(stderr, "fuzz: sim_registrar_alloc: %m\n",
				 err);
		abort();
	}
	mem_deref(cfg);

	reg.sip = fuzz_server_sip(reg.sr);
	if (fuzz_keep_transports)
		isolation_check();
	else
		sip_transp_flush(reg.sip);

	if (guard_alloc(&reg.guard, quiet_guard, NULL))
		abort();

	ready = true;

	return &reg;
}


/* what libre's sip_recv() does once its own layers passed the request */
static void dispatch(struct fuzz_reg *fr, const struct sip_msg *msg)
{
	if (!msg->req)
		return;      /* a response: no client transaction here */

	if (fuzz_server_request(fr->sr, msg))
		return;

	if (!pl_strcmp(&msg->met, "CANCEL"))
		(void)sip_reply(fr->sip, msg, 481, "Transaction Does Not Exist");
	else
		(void)sip_reply(fr->sip, msg, 501, "Not Implemented");
}


void fuzz_udp_datagram(struct fuzz_reg *fr, const uint8_t *p, size_t len)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb;
	struct sa src;

	mb = mbuf_alloc(len + 1);
	if (!mb)
		return;
	(void)mbuf_write_mem(mb, p, len);
	mb->pos = 0;
	(void)sa_set_str(&src, "127.0.0.1", 5060);

	/* the guard's helper runs first on the socket */
	if (fuzz_guard_udp(fr->guard, &src, mb))
		goto out;

	/* then libre's udp_recv_handler (STUN aside) */
	if (mb->end <= 4 || sip_msg_decode(&msg, mb))
		goto out;

	msg->src = src;
	msg->dst = src;
	msg->tp = SIP_TRANSP_UDP;
	dispatch(fr, msg);

 out:
	mem_deref(msg);
	mem_deref(mb);
}


/* one connection: what the guard passes on, framed as libre does */
struct stream {
	struct fuzz_reg *fr;
	struct mbuf *buf;
	struct sa peer;
	bool guard_closed;
	bool stack_closed;
};


static void stream_close(int err, void *arg)
{
	struct stream *s = arg;
	(void)err;

	s->guard_closed = true;
}


/* libre 1.1.0's tcp_recv_handler (src/sip/transp.c), replicated */
static void stream_recv(struct mbuf *mb, void *arg)
{
	struct stream *s = arg;

	if (s->stack_closed)
		return;

	if (!s->buf) {
		s->buf = mbuf_alloc(mbuf_get_left(mb) + 1);
		if (!s->buf)
			return;
	}
	{
		size_t pos = s->buf->pos;
		s->buf->pos = s->buf->end;
		(void)mbuf_write_mem(s->buf, mbuf_buf(mb), mbuf_get_left(mb));
		s->buf->pos = pos;
	}

	for (;;) {
		struct sip_msg *msg;
		uint32_t clen;
		size_t pos, end;
		struct mbuf *rest;
		int err;

		if (mbuf_get_left(s->buf) < 2)
			break;

		if (!memcmp(mbuf_buf(s->buf), "\r\n", 2)) {
			s->buf->pos += 2;
			if (mbuf_get_left(s->buf) >= 2 &&
			    !memcmp(mbuf_buf(s->buf), "\r\n", 2))
				s->buf->pos += 2;      /* a pong would go out */
			if (mbuf_get_left(s->buf))
				continue;
			s->buf = mem_deref(s->buf);
			break;
		}

		pos = s->buf->pos;
		err = sip_msg_decode(&msg, s->buf);
		if (err) {
			if (err != ENODATA)
				s->stack_closed = true;
			break;
		}

		if (!msg->clen.p) {
			mem_deref(msg);
			s->stack_closed = true;
			break;
		}

		clen = pl_u32(&msg->clen);
		if (mbuf_get_left(s->buf) < clen) {
			s->buf->pos = pos;
			mem_deref(msg);
			break;
		}

		end = s->buf->end;
		msg->mb->end = msg->mb->pos + clen;
		msg->src = s->peer;
		msg->dst = s->peer;
		msg->tp = SIP_TRANSP_TCP;
		dispatch(s->fr, msg);
		mem_deref(msg);

		if (end <= s->buf->end) {
			s->buf = mem_deref(s->buf);
			break;
		}

		rest = mbuf_alloc(end - s->buf->end);
		if (!rest) {
			s->stack_closed = true;
			break;
		}
		(void)mbuf_write_mem(rest, &s->buf->buf[s->buf->end],
				     end - s->buf->end);
		rest->pos = 0;
		mem_deref(s->buf);
		s->buf = rest;
	}

	if (s->stack_closed)
		s->buf = mem_deref(s->buf);
}


void fuzz_tcp_stream(struct fuzz_reg *fr, const uint8_t *p, size_t len,
		     const size_t *chunkv, size_t chunkc)
{
	struct guard_conn *gc = NULL;
	struct stream s;
	size_t off = 0;

	memset(&s, 0, sizeof(s));
	s.fr = fr;

	/* the peer has no address family: with no connection object behind
	 * msg->sock, libre would open a new TCP connection to msg->src for
	 * every reply; to an unspecified address that fails at once (no
	 * packet, nothing left behind).  Only the log lines see the source */
	sa_init(&s.peer, AF_UNSPEC);

	if (fuzz_guard_conn_alloc(&gc, fr->guard, &s.peer, stream_recv,
				  stream_close, &s))
		return;

	for (size_t i = 0; off < len && !s.guard_closed && !s.stack_closed;
	     i++) {
		size_t n = chunkc ? chunkv[i % chunkc] : len;
		struct mbuf *mb;

		if (!n || n > len - off)
			n = len - off;

		mb = mbuf_alloc(n);
		if (!mb)
			break;
		(void)mbuf_write_mem(mb, p + off, n);
		mb->pos = 0;
		fuzz_guard_conn_recv(gc, mb);
		mem_deref(mb);
		off += n;
	}

	/* the guard frees its side itself when it closes */
	if (!s.guard_closed)
		mem_deref(gc);
	mem_deref(s.buf);
}


/* an MD5 (md5_printf's) as 32 hex digits */
static int hex_of(char out[33], const uint8_t md[16])
{
	return re_snprintf(out, 33, "%w", md, (size_t)16) < 0 ? ENOMEM : 0;
}


int fuzz_with_credentials(struct fuzz_reg *fr, const uint8_t *p, size_t len,
			  struct mbuf **mbp)
{
	struct digest_auth *da;
	struct pl nonce, opaque, method;
	char ha1[33], ha2[33], resp[33];
	uint8_t md[16];
	struct mbuf *chall = NULL, *req = NULL;
	const uint8_t *eol;
	size_t head;
	int err = ENOENT;

	eol = len ? memchr(p, '\n', len) : NULL;
	if (!eol)
		return ENOENT;
	head = (size_t)(eol - p) + 1;

	if (re_regex((const char *)p, head, "[^ \t\r\n]+", &method) ||
	    method.p != (const char *)p)
		return ENOENT;

	/* an INVITE is challenged by the calls (CALL-OUT-1), the rest by the
	 * registrar */
	da = pl_strcmp(&method, "INVITE") ?
		fuzz_registrar_auth(fuzz_server_registrar(fr->sr)) :
		fuzz_calls_auth(sim_registrar_calls(fr->sr));

	chall = mbuf_alloc(256);
	req = mbuf_alloc(len + 512);
	if (!chall || !req) {
		err = ENOMEM;
		goto out;
	}

	if (digest_challenge_print(chall, da, 407, false) ||
	    re_regex((const char *)chall->buf, chall->end,
		     "nonce=\"[^\"]*\"", &nonce) ||
	    re_regex((const char *)chall->buf, chall->end,
		     "opaque=\"[^\"]*\"", &opaque))
		goto out;

	if (md5_printf(md, "%s:%s:%s", USER, REALM, PASS) || hex_of(ha1, md) ||
	    md5_printf(md, "%r:%s", &method, URI) || hex_of(ha2, md) ||
	    md5_printf(md, "%s:%r:00000001:%s:auth:%s", ha1, &nonce, CNONCE,
		       ha2) || hex_of(resp, md))
		goto out;

	(void)mbuf_write_mem(req, p, head);
	(void)mbuf_printf(req, "Proxy-Authorization: Digest username=\"%s\","
			  "realm=\"%s\",nonce=\"%r\",uri=\"%s\","
			  "response=\"%s\",algorithm=MD5,cnonce=\"%s\","
			  "qop=auth,nc=00000001,opaque=\"%r\"\r\n",
			  USER, REALM, &nonce, URI, resp, CNONCE, &opaque);
	(void)mbuf_write_mem(req, p + head, len - head);
	err = 0;

 out:
	mem_deref(chall);
	if (err)
		mem_deref(req);
	else
		*mbp = req;

	return err;
}
