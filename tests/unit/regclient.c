/**
 * @file regclient.c  Raw SIP test client against an in-process registrar
 */

#include <stdarg.h>
#include <string.h>
#include <re.h>
#include "config.h"
#include "sipcheck.h"
#include "sim_registrar.h"
#include "regclient.h"

#define DEFAULT_DOMAIN "example.sip.us1.twilio.com"

struct regclient {
	struct sim_registrar *sr;
	struct reg_config *cfg;
	struct udp_sock *us;
	struct tcp_conn *tc;
	bool tc_up;
	struct mbuf *tcp_pending;  /* request waiting for the connection */
	struct mbuf *tcp_rx;
	struct sa raddr;
	struct sa laddr_udp;
	char raddr_str[64];
	struct tmr tmr;
	struct sip_msg *resp;
	char last_rule[32];
	bool waiting;
	struct sa ctl;
	struct tcp_conn *http;
	struct mbuf *http_req;
	struct mbuf *http_rx;
	bool http_done;
	struct mbuf *log;          /* every decision, one line each        */
};

static bool libre_ready;


static void timeout_handler(void *arg)
{
	struct regclient *rc = arg;

	rc->waiting = false;
	re_cancel();
}


static void destructor(void *data)
{
	struct regclient *rc = data;

	tmr_cancel(&rc->tmr);
	mem_deref(rc->http);
	mem_deref(rc->http_req);
	mem_deref(rc->http_rx);
	mem_deref(rc->tc);
	mem_deref(rc->tcp_pending);
	mem_deref(rc->tcp_rx);
	mem_deref(rc->us);
	mem_deref(rc->resp);
	mem_deref(rc->sr);
	mem_deref(rc->cfg);
	mem_deref(rc->log);
}


static void decision_handler(const struct decision *d, void *arg)
{
	struct regclient *rc = arg;
	const struct rule *r = rule_get(d->rule);

	re_snprintf(rc->last_rule, sizeof(rc->last_rule), "%s",
		    r ? r->name : "RFC3261");

	if (rc->log)
		(void)mbuf_printf(rc->log, "%H\n", decision_print, d);
}


static void guard_handler(uint16_t scode, const char *reason,
			  const char *detail, const struct sa *src,
			  const char *transport, const char *method, void *arg)
{
	struct regclient *rc = arg;
	(void)reason; (void)detail; (void)src; (void)transport; (void)method;

	re_snprintf(rc->last_rule, sizeof(rc->last_rule), "%s",
		    scode == 416 ? "RFC3261" : "REG-MSG-2");
}


/* a response arrived: keep it when final */
static void take_response(struct regclient *rc, struct mbuf *mb)
{
	struct sip_msg *msg;

	if (sip_msg_decode(&msg, mb))
		return;

	if (!msg->req && msg->scode >= 200 && rc->waiting) {
		mem_deref(rc->resp);
		rc->resp = msg;
		rc->waiting = false;
		tmr_cancel(&rc->tmr);
		re_cancel();
		return;
	}

	mem_deref(msg);
}


static void udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	(void)src;
	take_response(arg, mb);
}


static void tcp_estab(void *arg)
{
	struct regclient *rc = arg;

	rc->tc_up = true;
	if (rc->tcp_pending) {
		(void)tcp_send(rc->tc, rc->tcp_pending);
		rc->tcp_pending = mem_deref(rc->tcp_pending);
	}
}


static void tcp_recv(struct mbuf *mb, void *arg)
{
	struct regclient *rc = arg;

	if (!rc->tcp_rx)
		rc->tcp_rx = mbuf_alloc(1024);
	if (!rc->tcp_rx)
		return;

	rc->tcp_rx->pos = rc->tcp_rx->end;
	(void)mbuf_write_mem(rc->tcp_rx, mbuf_buf(mb), mbuf_get_left(mb));
	rc->tcp_rx->pos = 0;

	for (;;) {
		size_t hlen = sipcheck_head_len(mbuf_buf(rc->tcp_rx),
						mbuf_get_left(rc->tcp_rx));
		uint32_t clen = 0;
		struct mbuf *one;

		if (!hlen)
			break;
		(void)sipcheck_clen(mbuf_buf(rc->tcp_rx), hlen, &clen);
		if (hlen + clen > mbuf_get_left(rc->tcp_rx))
			break;

		one = mbuf_alloc(hlen + clen);
		if (!one)
			break;
		(void)mbuf_write_mem(one, mbuf_buf(rc->tcp_rx), hlen + clen);
		one->pos = 0;
		rc->tcp_rx->pos += hlen + clen;
		take_response(rc, one);
		mem_deref(one);
	}

	if (!mbuf_get_left(rc->tcp_rx))
		rc->tcp_rx = mem_deref(rc->tcp_rx);
}


static void tcp_close(int err, void *arg)
{
	struct regclient *rc = arg;
	(void)err;

	rc->tc = mem_deref(rc->tc);
	rc->tc_up = false;
}


int regclient_alloc(struct regclient **rcp, const char *yaml)
{
	struct sim_registrar_opts opts;
	struct regclient *rc;
	struct sa listen, ctl;
	char errbuf[256];
	int err;

	if (!libre_ready) {
		err = libre_init();
		if (err)
			return err;
		libre_ready = true;
	}

	rc = mem_zalloc(sizeof(*rc), destructor);
	if (!rc)
		return ENOMEM;

	err = yaml ? reg_config_load_str(&rc->cfg, "test.yaml", yaml,
					 strlen(yaml), errbuf, sizeof(errbuf))
		: reg_config_default(&rc->cfg);
	if (err) {
		re_fprintf(stderr, "regclient: config: %s\n", errbuf);
		goto out;
	}

	(void)sa_set_str(&listen, "127.0.0.1", 0);
	memset(&opts, 0, sizeof(opts));
	opts.listen = &listen;
	(void)sa_set_str(&ctl, "127.0.0.1", 0);
	opts.control = &ctl;
	opts.dh = decision_handler;
	opts.dh_calls = true;
	opts.guardh = guard_handler;
	opts.arg = rc;

	rc->log = mbuf_alloc(4096);
	if (!rc->log) {
		err = ENOMEM;
		goto out;
	}

	err = sim_registrar_alloc(&rc->sr, rc->cfg, &opts);
	if (err)
		goto out;

	err = sim_registrar_laddr(rc->sr, SIP_TRANSP_UDP, &rc->raddr);
	if (err)
		goto out;
	re_snprintf(rc->raddr_str, sizeof(rc->raddr_str), "%J", &rc->raddr);

	err = sim_registrar_control_laddr(rc->sr, &rc->ctl);
	if (err)
		goto out;

	(void)sa_set_str(&rc->laddr_udp, "127.0.0.1", 0);
	err = udp_listen(&rc->us, &rc->laddr_udp, udp_recv, rc);
	if (!err)
		err = udp_local_get(rc->us, &rc->laddr_udp);

 out:
	if (err)
		mem_deref(rc);
	else
		*rcp = rc;

	return err;
}


const char *regclient_raddr(const struct regclient *rc)
{
	return rc ? rc->raddr_str : "";
}


struct sim_registrar *regclient_registrar(const struct regclient *rc)
{
	return rc ? rc->sr : NULL;
}


const char *regclient_last_rule(const struct regclient *rc)
{
	return rc ? rc->last_rule : "";
}


const char *regclient_log(struct regclient *rc)
{
	if (!rc || !rc->log)
		return "";

	/* NUL-terminated, without counting the NUL */
	rc->log->pos = rc->log->end;
	(void)mbuf_write_u8(rc->log, 0);
	rc->log->end--;
	rc->log->pos = rc->log->end;

	return (const char *)rc->log->buf;
}


bool regclient_logged(struct regclient *rc, const char *text)
{
	return text && strstr(regclient_log(rc), text) != NULL;
}


int regclient_call_info(const struct regclient *rc, const char *sid,
			struct call_info *ci)
{
	return rc ? sim_registrar_call_info(rc->sr, sid, ci) : EINVAL;
}


void regclient_log_clear(struct regclient *rc)
{
	if (rc && rc->log)
		mbuf_reset(rc->log);
}




/* "$R" -> registrar address, "$L" -> ours */
static struct mbuf *expand(struct regclient *rc, const char *text,
			   const char *laddr)
{
	struct mbuf *mb = mbuf_alloc(strlen(text) + 128);

	if (!mb)
		return NULL;

	for (const char *p = text; *p; p++) {
		if (p[0] == '$' && p[1] == 'R') {
			(void)mbuf_write_str(mb, rc->raddr_str);
			p++;
		}
		else if (p[0] == '$' && p[1] == 'L') {
			(void)mbuf_write_str(mb, laddr);
			p++;
		}
		else {
			(void)mbuf_write_u8(mb, (uint8_t)*p);
		}
	}

	mb->pos = 0;

	return mb;
}


struct sip_msg *regclient_send(struct regclient *rc, bool tcp,
			       const char *fmt, ...)
{
	char *text = NULL, laddr[64];
	struct mbuf *mb;
	va_list ap;
	int err;

	if (!rc || !fmt)
		return NULL;

	va_start(ap, fmt);
	err = re_vsdprintf(&text, fmt, ap);
	va_end(ap);
	if (err)
		return NULL;

	if (tcp && !rc->tc) {
		rc->tc_up = false;
		if (tcp_connect(&rc->tc, &rc->raddr, tcp_estab, tcp_recv,
				tcp_close, rc)) {
			mem_deref(text);
			return NULL;
		}
	}

	if (tcp) {
		struct sa l;
		if (rc->tc_up && !tcp_conn_local_get(rc->tc, &l))
			re_snprintf(laddr, sizeof(laddr), "%J", &l);
		else
			re_snprintf(laddr, sizeof(laddr), "127.0.0.1:5999");
	}
	else {
		re_snprintf(laddr, sizeof(laddr), "%J", &rc->laddr_udp);
	}

	mb = expand(rc, text, laddr);
	mem_deref(text);
	if (!mb)
		return NULL;

	rc->resp = mem_deref(rc->resp);
	rc->last_rule[0] = '\0';
	rc->waiting = true;

	if (tcp) {
		if (rc->tc_up)
			(void)tcp_send(rc->tc, mb);
		else
			rc->tcp_pending = mem_ref(mb);
	}
	else {
		(void)udp_send(rc->us, &rc->raddr, mb);
	}
	mem_deref(mb);

	tmr_start(&rc->tmr, 2000, timeout_handler, rc);
	(void)re_main(NULL);

	return rc->resp ? mem_ref(rc->resp) : NULL;
}


const char *regclient_hdr(const struct sip_msg *msg, const char *name,
			  char *buf, size_t sz)
{
	const struct sip_hdr *hdr;

	buf[0] = '\0';
	if (!msg)
		return buf;

	hdr = sip_msg_xhdr(msg, name);
	if (hdr)
		(void)pl_strcpy(&hdr->val, buf, sz);

	return buf;
}


static bool count_handler(const struct sip_hdr *hdr, const struct sip_msg *msg,
			  void *arg)
{
	unsigned *n = arg;
	(void)hdr; (void)msg;

	(*n)++;

	return false;
}


unsigned regclient_contact_count(const struct sip_msg *msg)
{
	unsigned n = 0;

	if (msg)
		(void)sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT,
					count_handler, &n);

	return n;
}


static int send_register(struct regclient *rc, const struct reg_opts *o,
			 uint32_t cseq, const char *auth,
			 struct sip_msg **respp)
{
	const char *domain = o->domain ? o->domain : DEFAULT_DOMAIN;
	char expires[32] = "", callid[128];

	if (o->expires >= 0)
		re_snprintf(expires, sizeof(expires), "Expires: %d\r\n",
			    o->expires);
	re_snprintf(callid, sizeof(callid), "%s",
		    o->callid ? o->callid : "");
	if (!o->callid)
		re_snprintf(callid, sizeof(callid), "cid-%s", o->user);

	*respp = regclient_send(rc, o->tcp,
		"REGISTER sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/%s $L;branch=z9hG4bK%08x;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:%s@%s>;tag=%08x\r\n"
		"To: <sip:%s@%s>\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u REGISTER\r\n"
		"%s%s%s"
		"%s%s"
		"User-Agent: sipconform-unit-test\r\n"
		"Content-Length: 0\r\n\r\n",
		domain, o->tcp ? "TCP" : "UDP", rand_u32(),
		o->user, domain, rand_u32(), o->user, domain, callid, cseq,
		o->no_contact ? "" : o->contact ? "Contact: " :
		"Contact: <sip:",
		o->no_contact ? "" : o->contact ? o->contact : o->user,
		o->no_contact ? "" : o->contact ? "\r\n" : "@$L>\r\n",
		expires, auth ? auth : "");
	return *respp ? 0 : ETIMEDOUT;
}


struct sip_msg *regclient_register(struct regclient *rc,
				   const struct reg_opts *o)
{
	struct httpauth_digest_chall ch;
	const struct sip_hdr *hdr;
	struct sip_msg *resp = NULL;
	const char *domain;
	char auth[1024], extra_auth[1200];
	uint8_t ha1[16], ha2[16], digest[16];
	char ha1hex[33], ha2hex[33];
	uint32_t cseq;

	if (!rc || !o || !o->user)
		return NULL;

	domain = o->domain ? o->domain : DEFAULT_DOMAIN;
	cseq = o->cseq ? o->cseq : 1;

	re_snprintf(extra_auth, sizeof(extra_auth), "%s",
		    o->extra ? o->extra : "");
	if (send_register(rc, o, cseq, extra_auth, &resp))
		return NULL;

	if (resp->scode != 407 || !o->password)
		return resp;

	hdr = sip_msg_hdr(resp, SIP_HDR_PROXY_AUTHENTICATE);
	if (!hdr || httpauth_digest_challenge_decode(&ch, &hdr->val))
		return resp;

	(void)md5_printf(ha1, "%s:%r:%s", o->auth_user ? o->auth_user :
			 o->user, &ch.realm, o->password);
	re_snprintf(ha1hex, sizeof(ha1hex), "%w", ha1, sizeof(ha1));
	(void)md5_printf(ha2, "REGISTER:sip:%s", domain);
	re_snprintf(ha2hex, sizeof(ha2hex), "%w", ha2, sizeof(ha2));
	(void)md5_printf(digest, "%s:%r:00000001:0a4f113b:auth:%s", ha1hex,
			 &ch.nonce, ha2hex);

	re_snprintf(auth, sizeof(auth),
		    "%sProxy-Authorization: Digest username=\"%s\","
		    "realm=\"%r\",nonce=\"%r\",uri=\"sip:%s\","
		    "response=\"%w\",algorithm=MD5,cnonce=\"0a4f113b\","
		    "opaque=\"%r\",qop=auth,nc=00000001\r\n",
		    o->extra ? o->extra : "",
		    o->auth_user ? o->auth_user : o->user, &ch.realm,
		    &ch.nonce, domain, digest, sizeof(digest), &ch.opaque);

	mem_deref(resp);
	if (send_register(rc, o, cseq + 1, auth, &resp))
		return NULL;

	return resp;
}


static void http_estab(void *arg)
{
	struct regclient *rc = arg;

	(void)tcp_send(rc->http, rc->http_req);
}


static void http_recv(struct mbuf *mb, void *arg)
{
	struct regclient *rc = arg;

	struct pl clen;
	size_t hlen;

	rc->http_rx->pos = rc->http_rx->end;
	(void)mbuf_write_mem(rc->http_rx, mbuf_buf(mb), mbuf_get_left(mb));
	rc->http_rx->pos = 0;

	/* whole when the body's Content-Length has arrived */
	hlen = sipcheck_head_len(rc->http_rx->buf, rc->http_rx->end);
	if (hlen && !re_regex((char *)rc->http_rx->buf, hlen,
			      "Content-Length: [0-9]+", &clen) &&
	    rc->http_rx->end >= hlen + pl_u32(&clen) && !rc->http_done) {
		rc->http_done = true;
		tmr_cancel(&rc->tmr);
		re_cancel();
	}
}


static void http_close(int err, void *arg)
{
	struct regclient *rc = arg;
	(void)err;

	if (!rc->http_done) {
		rc->http_done = true;
		tmr_cancel(&rc->tmr);
		re_cancel();
	}
}


int regclient_http(struct regclient *rc, const char *met, const char *path,
		   char *body, size_t sz)
{
	struct pl code, text;
	int status = -1;

	if (!rc || !met || !path)
		return -1;

	body[0] = '\0';
	rc->http_req = mem_deref(rc->http_req);
	rc->http_rx = mem_deref(rc->http_rx);
	rc->http_req = mbuf_alloc(256);
	rc->http_rx = mbuf_alloc(4096);
	if (!rc->http_req || !rc->http_rx)
		return -1;

	(void)mbuf_printf(rc->http_req, "%s %s HTTP/1.0\r\nHost: test\r\n"
			  "Content-Length: 0\r\n\r\n", met, path);
	rc->http_req->pos = 0;
	rc->http_done = false;

	if (tcp_connect(&rc->http, &rc->ctl, http_estab, http_recv,
			http_close, rc))
		return -1;

	tmr_start(&rc->tmr, 2000, timeout_handler, rc);
	(void)re_main(NULL);
	tmr_cancel(&rc->tmr);
	rc->http = mem_deref(rc->http);

	if (!re_regex((char *)rc->http_rx->buf, rc->http_rx->end,
		      "HTTP/[0-9.]+ [0-9]+ [^\r\n]*", NULL, &code,
		      &text)) {
		size_t hlen = sipcheck_head_len(rc->http_rx->buf,
						rc->http_rx->end);
		status = (int)pl_u32(&code);
		if (hlen)
			re_snprintf(body, sz, "%b", rc->http_rx->buf + hlen,
				    rc->http_rx->end - hlen);
	}

	return status;
}
