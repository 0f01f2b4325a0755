/**
 * @file control.c  Control API: HTTP+JSON (libre's HTTP server)
 *
 *   GET  /health                      status, version, virtual clock,
 *                                    bindings, the bounded per-request
 *                                    tables (nonce pool, reply cache):
 *                                    entries, bound, bytes; config_md5:
 *                                    of the configuration as printed
 *                                    (--print-config), to tell it apart
 *   GET  /bindings[?domain=D][&aor=A] bindings with remaining expiry
 *   POST /clock/advance?ms=N  (or s=N)   move the virtual clock forward
 *   POST /reset                       forget every binding and nonce
 *   GET  /rules                       the rules table
 *   GET  /decisions?call_id=X&cseq=N  the rule that answered a request
 *   POST /calls?from=F&to=T          the outside network calls T (one of
 *                                    the account's numbers) from F
 *   GET  /calls[?sid=S]              calls: state, who answered, status,
 *                                    the rule behind it
 *   POST /calls/hangup?sid=S         the outside caller hangs up
 *   GET  /pstn                       what the outside network got
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "vclock.h"
#include "vtimer.h"
#include "jsonw.h"
#include "config.h"
#include "location.h"
#include "calls.h"
#include "registrar.h"
#include "pstn.h"
#include "sim_registrar.h"
#include "control.h"

struct control {
	char *token;                  /* NULL: none asked (loopback)     */
	struct http_sock *sock;
	struct sim_registrar *sr;     /* owner */
};


static void destructor(void *data)
{
	struct control *ctl = data;

	mem_deref(ctl->sock);
	mem_deref(ctl->token);
}


static int reply_json(struct http_conn *conn, uint16_t scode,
		      const char *reason, struct mbuf *mb)
{
	return http_creply(conn, scode, reason, "application/json",
			   "%b\n", mb->buf, mb->end);
}


static void reply_error(struct http_conn *conn, uint16_t scode,
			const char *reason, const char *what)
{
	(void)http_creply(conn, scode, reason, "application/json",
			  "{\"error\":%H}\n", jsonw_str, what);
}


/* %XX escapes decoded; anything else kept as it is */
static void pct_decode(char *buf, size_t sz, const char *p, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < sz; i++) {
		if (p[i] == '%' && i + 2 < len && isxdigit((unsigned char)p[i+1])
		    && isxdigit((unsigned char)p[i+2])) {
			buf[o++] = (char)((ch_hex(p[i+1]) << 4) |
					  ch_hex(p[i+2]));
			i += 2;
		}
		else {
			buf[o++] = p[i];
		}
	}

	buf[o] = '\0';
}


/* a query parameter as text, "" when absent */
static void query_get(const struct http_msg *msg, const char *name,
		      char *buf, size_t sz)
{
	struct pl rest = msg->prm;
	size_t nlen = strlen(name);

	buf[0] = '\0';

	if (rest.l && rest.p[0] == '?')
		pl_advance(&rest, 1);

	while (rest.l) {
		const char *amp = pl_strchr(&rest, '&');
		struct pl item = {rest.p, amp ? (size_t)(amp - rest.p) :
				  rest.l};

		if (item.l > nlen && item.p[nlen] == '=' &&
		    !strncmp(item.p, name, nlen)) {
			pct_decode(buf, sz, item.p + nlen + 1,
				   item.l - nlen - 1);
			return;
		}

		pl_advance(&rest, (ssize_t)item.l + (amp ? 1 : 0));
	}
}


struct list_ctx {
	struct mbuf *mb;
	const struct reg_config *cfg;
	uint32_t n;
};


static bool binding_json(const struct binding *b, uint32_t domain, void *arg)
{
	struct list_ctx *lc = arg;
	uint64_t now = vclock_now();
	uint64_t left = b->expires_at > now ? b->expires_at - now : 0;

	(void)mbuf_printf(lc->mb, "%s{\"aor\":%H,\"domain\":%H,"
			  "\"contact\":%H,\"expires_in\":%llu,"
			  "\"granted\":%u,\"call_id\":%H,\"cseq\":%u,"
			  "\"transport\":%H,\"source\":%H,"
			  "\"user_agent\":%H}",
			  lc->n ? "," : "", jsonw_str, b->aor,
			  jsonw_str, lc->cfg->domainv[domain].name,
			  jsonw_str, b->uri,
			  (unsigned long long)((left + 999) / 1000),
			  b->granted, jsonw_str, b->callid, b->cseq,
			  jsonw_str, b->transport, jsonw_str, b->source,
			  jsonw_str, b->user_agent);
	lc->n++;

	return false;
}


static void get_bindings(struct control *ctl, struct http_conn *conn,
			 const struct http_msg *msg)
{
	const struct reg_config *cfg = sim_registrar_config(ctl->sr);
	struct location *loc = sim_registrar_location(ctl->sr);
	struct list_ctx lc = {NULL, cfg, 0};
	uint32_t domain = UINT32_MAX;
	char dname[256], aor[512];

	query_get(msg, "domain", dname, sizeof(dname));
	query_get(msg, "aor", aor, sizeof(aor));

	if (dname[0]) {
		const struct domain_conf *d =
			reg_config_domain(cfg, dname, strlen(dname));
		if (!d) {
			reply_error(conn, 404, "Not Found", "no such domain");
			return;
		}
		domain = (uint32_t)(d - cfg->domainv);
	}

	lc.mb = mbuf_alloc(4096);
	if (!lc.mb) {
		reply_error(conn, 500, "Internal Server Error", "no memory");
		return;
	}

	(void)mbuf_printf(lc.mb, "{\"bindings\":[");
	location_apply(loc, domain, aor[0] ? aor : NULL, binding_json, &lc);
	(void)mbuf_printf(lc.mb, "],\"count\":%u}", lc.n);

	reply_json(conn, 200, "OK", lc.mb);
	mem_deref(lc.mb);
}


static void get_health(struct control *ctl, struct http_conn *conn)
{
	struct location *loc = sim_registrar_location(ctl->sr);
	const struct reg_config *cfg = sim_registrar_config(ctl->sr);
	struct registrar_mem m;
	uint8_t md[MD5_SIZE];

	registrar_mem(sim_registrar_registrar(ctl->sr), &m);

	/* a harness runs a scenario with a config of its own against us
	 * when ours is the same (harness/runner.c) */
	if (md5_printf(md, "%H", reg_config_print, cfg))
		memset(md, 0, sizeof(md));

	(void)http_creply(conn, 200, "OK", "application/json",
			  "{\"status\":\"ok\",\"version\":%H,"
			  "\"profile\":%H,\"virtual_ms\":%llu,"
			  "\"offset_ms\":%llu,\"bindings\":%u,"
			  "\"nonce_pool\":{\"entries\":%u,\"max\":%u,"
			  "\"bytes\":%llu,\"taken_over\":%llu},"
			  "\"reply_cache\":{\"entries\":%u,\"max\":%u,"
			  "\"bytes\":%llu,\"used\":%llu,\"evicted\":%llu},"
			  "\"config_md5\":\"%w\"}\n",
			  jsonw_str, SIPCONFORM_VERSION,
			  jsonw_str, cfg->profile.name,
			  (unsigned long long)vclock_now(),
			  (unsigned long long)vclock_offset(),
			  location_count_account(loc),
			  m.nonces.used, m.nonces.slots,
			  (unsigned long long)m.nonces.bytes,
			  (unsigned long long)m.nonces.taken_over,
			  m.replies.entries, m.replies.max,
			  (unsigned long long)m.replies.bytes,
			  (unsigned long long)m.replies.used,
			  (unsigned long long)m.replies.evicted,
			  md, sizeof(md));
}


static void post_advance(struct http_conn *conn, const struct http_msg *msg)
{
	char ms[32], s[32];
	uint64_t by;
	struct pl pl;

	query_get(msg, "ms", ms, sizeof(ms));
	query_get(msg, "s", s, sizeof(s));

	pl_set_str(&pl, ms[0] ? ms : s);
	if (!pl.l || re_regex(pl.p, pl.l, "[0-9]+", NULL) ||
	    strspn(ms[0] ? ms : s, "0123456789") != pl.l || pl.l > 12) {
		reply_error(conn, 400, "Bad Request",
			    "give ms=N or s=N, a whole number");
		return;
	}

	by = pl_u64(&pl) * (ms[0] ? 1 : 1000);
	vclock_advance(by);
	/* what came due fires now (a Dial timeout: RING-5), not when the
	 * wall clock reaches it */
	vtimer_poll();

	(void)http_creply(conn, 200, "OK", "application/json",
			  "{\"advanced_ms\":%llu,\"offset_ms\":%llu,"
			  "\"virtual_ms\":%llu}\n", (unsigned long long)by,
			  (unsigned long long)vclock_offset(),
			  (unsigned long long)vclock_now());
}


static void get_rules(struct http_conn *conn)
{
	struct mbuf *mb = mbuf_alloc(8192);

	if (!mb)
		return;

	(void)mbuf_printf(mb, "{\"rules\":[");
	for (unsigned i = 0; i < RULE_COUNT; i++) {
		const struct rule *r = rule_get((enum rule_id)i);

		(void)mbuf_printf(mb, "%s{\"id\":%H,\"condition\":%H,"
				  "\"scode\":%u,\"basis\":%H}", i ? "," : "",
				  jsonw_str, r->name, jsonw_str, r->condition,
				  r->scode, jsonw_str, r->basis);
	}
	(void)mbuf_printf(mb, "]}");

	reply_json(conn, 200, "OK", mb);
	mem_deref(mb);
}


static void get_decision(struct control *ctl, struct http_conn *conn,
			 const struct http_msg *msg)
{
	char callid[128], cseq[16];
	const char *rule;
	uint16_t scode = 0;

	query_get(msg, "call_id", callid, sizeof(callid));
	query_get(msg, "cseq", cseq, sizeof(cseq));
	if (!callid[0] || !cseq[0]) {
		reply_error(conn, 400, "Bad Request", "give call_id and cseq");
		return;
	}

	rule = sim_registrar_decision(ctl->sr, callid,
				      (uint32_t)strtoul(cseq, NULL, 10),
				      &scode);
	if (!rule) {
		reply_error(conn, 404, "Not Found", "no recent decision on "
			    "that request");
		return;
	}

	(void)http_creply(conn, 200, "OK", "application/json",
			  "{\"rule\":%H,\"scode\":%u}\n", jsonw_str, rule,
			  scode);
}


static int call_json(struct mbuf *mb, const struct call_info *ci)
{
	return mbuf_printf(mb, "{\"sid\":%H,\"from\":%H,\"to\":%H,"
			   "\"outside\":%s,\"state\":%H,"
			   "\"answered_by\":%H,\"scode\":%u,\"rule\":%H,"
			   "\"twilio_error\":%u,\"ended_by\":%H,"
			   "\"branches\":%u,\"cancels\":%u,"
			   "\"created_ms\":%llu,\"answered_ms\":%llu,"
			   "\"ended_ms\":%llu,\"media\":%H}",
			   jsonw_str, ci->sid, jsonw_str, ci->from,
			   jsonw_str, ci->to, ci->outside ? "true" : "false",
			   jsonw_str, call_state_name(ci->state),
			   jsonw_str, ci->answered_by, ci->scode,
			   jsonw_str, ci->rule, ci->twilio_error,
			   jsonw_str, ci->ended_by, ci->branches, ci->cancels,
			   (unsigned long long)ci->created,
			   (unsigned long long)ci->answered,
			   (unsigned long long)ci->ended,
			   call_media_json, ci);
}


static void reply_call(struct control *ctl, struct http_conn *conn,
		       uint16_t scode, const char *reason, const char *sid)
{
	struct call_info ci;
	struct mbuf *mb;

	if (sim_registrar_call_info(ctl->sr, sid, &ci)) {
		reply_error(conn, 404, "Not Found", "no such call");
		return;
	}

	mb = mbuf_alloc(512);
	if (!mb)
		return;

	(void)call_json(mb, &ci);
	reply_json(conn, scode, reason, mb);
	mem_deref(mb);
}


static void post_call(struct control *ctl, struct http_conn *conn,
		      const struct http_msg *msg)
{
	char from[128], to[128], sid[40];
	int err;

	query_get(msg, "from", from, sizeof(from));
	query_get(msg, "to", to, sizeof(to));
	if (!from[0] || !to[0]) {
		reply_error(conn, 400, "Bad Request", "give from=CALLER and "
			    "to=NUMBER (one of the account's numbers); "
			    "+ is %2B in a query");
		return;
	}

	err = sim_registrar_call(ctl->sr, from, to, NULL, NULL, sid,
				 sizeof(sid));
	if (err == ENOENT) {
		reply_error(conn, 404, "Not Found", "'to' is not a number "
			    "of the account (see numbers: in the config)");
		return;
	}
	if (err) {
		reply_error(conn, 400, "Bad Request", "'from' must be a "
			    "caller ID: no spaces, quotes, <, >, @ or ;");
		return;
	}

	reply_call(ctl, conn, 201, "Created", sid);
}


struct calls_ctx {
	struct mbuf *mb;
	uint32_t n;
};


static void call_list_h(const struct call_info *ci, void *arg)
{
	struct calls_ctx *cc = arg;

	if (cc->n++)
		(void)mbuf_write_u8(cc->mb, ',');
	(void)call_json(cc->mb, ci);
}


static void get_calls(struct control *ctl, struct http_conn *conn,
		      const struct http_msg *msg)
{
	struct calls_ctx cc = {NULL, 0};
	char sid[64];

	query_get(msg, "sid", sid, sizeof(sid));
	if (sid[0]) {
		reply_call(ctl, conn, 200, "OK", sid);
		return;
	}

	cc.mb = mbuf_alloc(4096);
	if (!cc.mb)
		return;

	(void)mbuf_printf(cc.mb, "{\"calls\":[");
	calls_apply(sim_registrar_calls(ctl->sr), call_list_h, &cc);
	(void)mbuf_printf(cc.mb, "],\"count\":%u}", cc.n);

	reply_json(conn, 200, "OK", cc.mb);
	mem_deref(cc.mb);
}


static void post_hangup(struct control *ctl, struct http_conn *conn,
			const struct http_msg *msg)
{
	char sid[64];
	int err;

	query_get(msg, "sid", sid, sizeof(sid));
	if (!sid[0]) {
		reply_error(conn, 400, "Bad Request", "give sid=CA...");
		return;
	}

	err = sim_registrar_hangup(ctl->sr, sid);
	if (err == EPROTO) {
		reply_error(conn, 409, "Conflict", "the caller of that call "
			    "is a phone: it hangs up itself");
		return;
	}
	if (err) {
		reply_error(conn, 404, "Not Found", "no such call up");
		return;
	}

	reply_call(ctl, conn, 200, "OK", sid);
}


static bool pstn_json(const struct pstn_record *r, void *arg)
{
	struct calls_ctx *cc = arg;

	(void)mbuf_printf(cc->mb, "%s{\"call\":%H,\"to\":%H,\"from\":%H,"
			  "\"behaviour\":%H,\"state\":%H,"
			  "\"started_ms\":%llu,\"answered_ms\":%llu,"
			  "\"ended_ms\":%llu,\"ended_by\":%H}",
			  cc->n++ ? "," : "", jsonw_str, r->call,
			  jsonw_str, r->to, jsonw_str, r->from,
			  jsonw_str, pstn_behaviour_name(r->behaviour),
			  jsonw_str, pstn_state_name(r->state),
			  (unsigned long long)r->started,
			  (unsigned long long)r->answered,
			  (unsigned long long)r->ended,
			  jsonw_str, r->ended_by);

	return false;
}


static void get_pstn(struct control *ctl, struct http_conn *conn)
{
	struct calls_ctx cc = {NULL, 0};

	cc.mb = mbuf_alloc(4096);
	if (!cc.mb)
		return;

	(void)mbuf_printf(cc.mb, "{\"pstn\":[");
	pstn_apply(sim_registrar_pstn(ctl->sr), pstn_json, &cc);
	(void)mbuf_printf(cc.mb, "],\"count\":%u}", cc.n);

	reply_json(conn, 200, "OK", cc.mb);
	mem_deref(cc.mb);
}


/* `Authorization: Bearer TOKEN`, compared in constant time */
static bool token_ok(const struct control *ctl, const struct http_msg *msg)
{
	const struct http_hdr *h;
	struct pl tok;
	size_t n;
	unsigned diff;

	if (!ctl->token)
		return true;

	h = http_msg_hdr(msg, HTTP_HDR_AUTHORIZATION);
	if (!h || re_regex(h->val.p, h->val.l, "Bearer[ ]+[^ ]+", NULL,
			   &tok))
		return false;

	n = strlen(ctl->token);
	diff = (unsigned)(tok.l ^ n);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned)(ctl->token[i] ^
				   (i < tok.l ? tok.p[i] : 0));

	return diff == 0;
}


static void http_req_handler(struct http_conn *conn,
			     const struct http_msg *msg, void *arg)
{
	struct control *ctl = arg;
	bool get = !pl_strcmp(&msg->met, "GET");
	bool post = !pl_strcmp(&msg->met, "POST");

	if (!token_ok(ctl, msg)) {
		(void)http_creply(conn, 401, "Unauthorized",
				  "application/json", "{\"error\":"
				  "\"give Authorization: Bearer TOKEN\"}\n");
		return;
	}

	if (!pl_strcmp(&msg->path, "/health") && get)
		get_health(ctl, conn);
	else if (!pl_strcmp(&msg->path, "/bindings") && get)
		get_bindings(ctl, conn, msg);
	else if (!pl_strcmp(&msg->path, "/clock/advance") && post)
		post_advance(conn, msg);
	else if (!pl_strcmp(&msg->path, "/reset") && post) {
		sim_registrar_reset(ctl->sr);
		(void)http_creply(conn, 200, "OK", "application/json",
				  "{\"status\":\"reset\"}\n");
	}
	else if (!pl_strcmp(&msg->path, "/rules") && get)
		get_rules(conn);
	else if (!pl_strcmp(&msg->path, "/decisions") && get)
		get_decision(ctl, conn, msg);
	else if (!pl_strcmp(&msg->path, "/calls") && post)
		post_call(ctl, conn, msg);
	else if (!pl_strcmp(&msg->path, "/calls") && get)
		get_calls(ctl, conn, msg);
	else if (!pl_strcmp(&msg->path, "/calls/hangup") && post)
		post_hangup(ctl, conn, msg);
	else if (!pl_strcmp(&msg->path, "/pstn") && get)
		get_pstn(ctl, conn);
	else
		reply_error(conn, 404, "Not Found", "unknown call: see the "
			    "README (GET /health, GET /bindings, POST "
			    "/clock/advance, POST /reset, GET /rules, "
			    "GET /decisions, POST /calls, GET /calls, "
			    "POST /calls/hangup, GET /pstn)");
}


int control_alloc(struct control **ctlp, struct sim_registrar *sr,
		  const struct sa *laddr, const char *token)
{
	struct control *ctl;
	int err;

	if (!ctlp || !sr || !laddr)
		return EINVAL;

	/* anywhere but loopback, only with a token */
	if (!sa_is_loopback(laddr) && (!token || !*token))
		return EACCES;

	ctl = mem_zalloc(sizeof(*ctl), destructor);
	if (!ctl)
		return ENOMEM;

	ctl->sr = sr;
	if (token && *token && str_dup(&ctl->token, token)) {
		mem_deref(ctl);
		return ENOMEM;
	}

	err = http_listen(&ctl->sock, laddr, http_req_handler, ctl);
	if (err) {
		mem_deref(ctl);
		return err;
	}

	*ctlp = ctl;

	return 0;
}


int control_laddr(const struct control *ctl, struct sa *laddr)
{
	if (!ctl || !laddr)
		return EINVAL;

	return tcp_sock_local_get(http_sock_tcp(ctl->sock), laddr);
}
