/**
 * @file judges_reg.c  The registration rows of the P-* table (judges.h):
 * P-REG-* and their verdict functions, on the capture's REGISTERs.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "phone/capture.h"
#include "phone/judges.h"

enum {
	STALE_AT_ONCE_MS = 5000,   /* P-REG-STALE: "at once"                */
	LOOP_COUNT       = 4,      /* P-REG-403: this many tries in 60 s    */
	BACKOFF_MS       = 20000,  /* P-REG-403: a first retry sooner warns */
};


static double secs(uint64_t ms)
{
	return (double)ms / 1000.0;
}


static const struct jreg *first_with_contact(const struct capture *j)
{
	for (size_t i = 0; i < capture_regc(j); i++) {
		if (capture_reg(j, i)->has_contact && !capture_reg(j, i)->removal)
			return capture_reg(j, i);
	}

	return NULL;
}


/* "sip:alice@example..." of an AOR */
static bool uri_is_aor(const char *text, const char *user,
		       const char *domain)
{
	struct pl pl;
	struct uri uri;

	pl_set_str(&pl, text);
	if (uri_decode(&uri, &pl))
		return false;

	return !pl_strcasecmp(&uri.scheme, "sip") &&
		!pl_strcmp(&uri.user, user) &&
		!pl_strcasecmp(&uri.host, domain);
}


static void reg_uri(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	const struct jreg *r = first_with_contact(j);
	struct uri uri;
	struct pl pl;
	const char *bad = NULL;

	if (!r) {
		jverdict_set(v, "P-REG-URI", JV_SKIP, "the phone sent no "
			     "REGISTER");
		return;
	}

	jverdict_observed(v, "Request-URI %s, To %s, From %s", r->ruri,
			  r->to, r->from);

	pl_set_str(&pl, r->ruri);
	if (uri_decode(&uri, &pl))
		bad = "the Request-URI is not a SIP URI";
	else if (pl_isset(&uri.user))
		bad = "the Request-URI has a user part";
	else if (pl_strcasecmp(&uri.host, capture_domain(j)))
		bad = "the Request-URI does not name the domain";
	else if (!uri_is_aor(r->to, capture_user(j), capture_domain(j)))
		bad = "To is not the AOR";
	else if (!uri_is_aor(r->from, capture_user(j), capture_domain(j)))
		bad = "From is not the AOR";

	if (bad) {
		jverdict_set(v, "P-REG-URI", JV_FAIL, "%s (expected "
			     "Request-URI sip:%s, To = From = sip:%s@%s)", bad,
			     capture_domain(j), capture_user(j), capture_domain(j));
		jverdict_advice(v, "registrar / domain: set the domain (SIP "
				"server, registrar) to %s and the user to %s; "
				"put the service's address in the outbound "
				"proxy, not in the registrar", capture_domain(j),
				capture_user(j));
		return;
	}

	jverdict_set(v, "P-REG-URI", JV_PASS, "Request-URI sip:%s, To = From "
		     "= the AOR", capture_domain(j));
}


static void reg_host(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	const struct jreg *r = first_with_contact(j);
	struct uri uri;
	struct pl pl, letters, digits;

	if (!r) {
		jverdict_set(v, "P-REG-HOST", JV_SKIP, "the phone sent no "
			     "REGISTER");
		return;
	}

	pl_set_str(&pl, r->ruri);
	if (uri_decode(&uri, &pl)) {
		jverdict_observed(v, "Request-URI %s", r->ruri);
		jverdict_set(v, "P-REG-HOST", JV_FAIL, "the Request-URI is "
			     "not a SIP URI");
		jverdict_advice(v, "registrar host: use the regional domain, "
				"e.g. %s", capture_domain(j));
		return;
	}

	jverdict_observed(v, "registrar host %r", &uri.host);

	/* libre's regex: every [] is a capture; '.' is a plain dot */
	if (re_regex(uri.host.p, uri.host.l, "[^.]+.sip.[a-z]+[0-9]+.", NULL,
		     &letters, &digits)) {
		jverdict_set(v, "P-REG-HOST", JV_FAIL, "%r names no region "
			     "({label}.sip.{region}.{suffix})", &uri.host);
		jverdict_advice(v, "registrar host: use the regional host "
				"name, e.g. %s (not the legacy one without a "
				"region)", capture_domain(j));
		return;
	}

	jverdict_set(v, "P-REG-HOST", JV_PASS, "the host names region %r%r",
		     &letters, &digits);
}


static void reg_authid(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	const struct jreg *r = NULL;

	for (size_t i = 0; i < capture_regc(j); i++) {
		if (capture_reg(j, i)->creds) {
			r = capture_reg(j, i);
			break;
		}
	}

	if (!r) {
		jverdict_set(v, "P-REG-AUTHID", capture_regc(j) ? JV_FAIL : JV_SKIP,
			     capture_regc(j) ? "the phone never answered the "
			     "challenge" : "the phone sent no REGISTER");
		if (capture_regc(j))
			jverdict_advice(v, "username / auth ID: enter the "
					"password and set the authentication "
					"ID to %s", capture_user(j));
		return;
	}

	jverdict_observed(v, "digest username \"%s\"", r->username);

	if (strcmp(r->username, capture_user(j))) {
		jverdict_set(v, "P-REG-AUTHID", JV_FAIL, "the digest "
			     "username is not the AOR user %s", capture_user(j));
		jverdict_advice(v, "username / auth ID: set the "
				"authentication ID (auth user) to %s, the "
				"same as the user", capture_user(j));
		return;
	}

	jverdict_set(v, "P-REG-AUTHID", JV_PASS, "digest username = AOR user");
}


static void reg_expiry(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	const struct jreg *r = first_with_contact(j);

	if (!r) {
		jverdict_set(v, "P-REG-EXPIRY", JV_SKIP, "the phone sent no "
			     "REGISTER");
		return;
	}

	if (r->asked < 0) {
		jverdict_observed(v, "no expiry asked");
		jverdict_set(v, "P-REG-EXPIRY", JV_INFO, "the registrar "
			     "chooses (3600 s, clamped to 600)");
		return;
	}

	jverdict_observed(v, "asked %lld s", (long long)r->asked);

	if (r->asked > 600) {
		jverdict_set(v, "P-REG-EXPIRY", JV_WARN, "more than 600 s: "
			     "the service clamps it to 600");
		return;
	}

	jverdict_set(v, "P-REG-EXPIRY", JV_PASS, "600 s or less");
}


static void reg_nat(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	const struct jreg *r = first_with_contact(j);
	char cport[16] = "?";
	bool same;

	if (!r) {
		jverdict_set(v, "P-REG-NAT", JV_SKIP, "the phone sent no "
			     "REGISTER");
		return;
	}

	if (r->contact_ip || r->contact[0]) {
		struct pl pl;
		struct sip_addr a;

		pl_set_str(&pl, r->contact);
		if (!uri_decode(&a.uri, &pl))
			(void)re_snprintf(cport, sizeof(cport), "%u",
					  a.uri.port ? a.uri.port : 5060);
	}

	/* over TCP/TLS the phone's connection has a port of its own: only
	 * a datagram can come from the port it listens on */
	same = !strcmp(cport, "?") || r->tp != SIP_TRANSP_UDP ||
		(unsigned)atoi(cport) == sa_port(&r->src);

	jverdict_observed(v, "Via rport: %s; sent from %J, Contact port %s",
			  r->rport ? "yes" : "no", &r->src, cport);

	if (!r->rport || !same) {
		jverdict_set(v, "P-REG-NAT", JV_WARN, "%s%s%s",
			     r->rport ? "" : "no rport in Via",
			     !r->rport && !same ? "; " : "",
			     same ? "" : "sent from another port than the "
			     "Contact's");
		return;
	}

	jverdict_set(v, "P-REG-NAT", JV_PASS, "rport, and sent from the "
		     "Contact's port");
}


/* is b the auth retry of a (a challenged, b right after with creds)? */
static bool auth_retry(const struct jreg *a, const struct jreg *b)
{
	return (a->scode == 401 || a->scode == 407) && b->creds &&
		b->t - a->final_t < 5000;
}


static void reg_callid(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	unsigned changed = 0, badcseq = 0, pairs = 0;
	char first_bad[160] = "";

	for (size_t i = 1; i < capture_regc(j); i++) {
		const struct jreg *a = capture_reg(j, i - 1), *b = capture_reg(j, i);

		/* a new registration may start a new Call-ID */
		if (a->removal || (!b->creds && !auth_retry(a, b) &&
				   a->scode >= 300 && a->scode != 401 &&
				   a->scode != 407 && a->scode != 423))
			continue;

		pairs++;

		if (strcmp(a->callid, b->callid)) {
			changed++;
			continue;
		}

		if (b->cseq != a->cseq + 1) {
			if (!badcseq)
				(void)re_snprintf(first_bad,
						  sizeof(first_bad),
						  "CSeq %u after %u", b->cseq,
						  a->cseq);
			badcseq++;
		}
	}

	jverdict_observed(v, "%zu REGISTERs; Call-ID changed %u time(s); "
			  "CSeq not +1 %u time(s)%s%s", capture_regc(j), changed,
			  badcseq, first_bad[0] ? ": " : "", first_bad);

	if (!pairs) {
		jverdict_set(v, "P-REG-CALLID", JV_SKIP, "fewer than two "
			     "REGISTERs of one registration");
		return;
	}

	if (badcseq) {
		jverdict_set(v, "P-REG-CALLID", JV_FAIL, "CSeq must grow by "
			     "one with each REGISTER of a Call-ID "
			     "(RFC 3261 10.2)");
		return;
	}

	if (changed) {
		jverdict_set(v, "P-REG-CALLID", JV_WARN, "a new Call-ID for a "
			     "refresh or an auth retry (RFC 3261 10.2: "
			     "SHOULD keep one)");
		return;
	}

	jverdict_set(v, "P-REG-CALLID", JV_PASS, "one Call-ID, CSeq +1 each "
		     "time");
}


static void reg_overlap(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	size_t from = x->from, to = x->to;
	unsigned held = 0, retrans = 0, overlaps = 0;
	uint64_t longest = 0;

	for (size_t i = from; i < to && i < capture_regc(j); i++) {
		const struct jreg *r = capture_reg(j, i);

		if (r->overlap_t)
			overlaps++;
		if (r->final_t > r->t && r->final_t - r->t >= 1000) {
			held++;
			retrans += r->retrans;
			if (r->final_t - r->t > longest)
				longest = r->final_t - r->t;
		}
	}

	jverdict_observed(v, "%u REGISTER(s) answered after 1 s or more "
			  "(longest %.1f s), %u retransmission(s) meanwhile; "
			  "%u new REGISTER(s) before a final response",
			  held, secs(longest), retrans, overlaps);

	if (overlaps) {
		jverdict_set(v, "P-REG-OVERLAP", JV_FAIL, "a new REGISTER went "
			     "out while the previous one had no final "
			     "response (RFC 3261 10.2)");
		return;
	}

	if (!held) {
		jverdict_set(v, "P-REG-OVERLAP", JV_PASS, "no overlap (no "
			     "reply was held back)");
		return;
	}

	jverdict_set(v, "P-REG-OVERLAP", JV_PASS, "waited for the final "
		     "response%s", retrans ? " (retransmitting the same "
		     "request)" : "");
}


static void refresh(const struct jctx *x, bool shortened, struct jverdict *v)
{
	const struct capture *j = x->cap;
	long ok = x->ok, next = x->next;
	uint64_t now = x->now;
	const char *rule = shortened ? "P-REG-SHORTENED" : "P-REG-REFRESH";
	const struct jreg *g = capture_reg(j, ok >= 0 ? (size_t)ok : SIZE_MAX);
	const struct jreg *n = capture_reg(j, next >= 0 ? (size_t)next :
					 SIZE_MAX);
	uint64_t granted_ms, due_ms, tol_ms, took;

	if (!g || g->granted <= 0) {
		jverdict_set(v, rule, JV_SKIP, "no registration was granted");
		return;
	}

	if (shortened && (g->asked < 0 || g->granted >= g->asked)) {
		jverdict_observed(v, "asked %lld s, granted %lld s",
				  (long long)g->asked,
				  (long long)g->granted);
		jverdict_set(v, rule, JV_SKIP, "the grant was not shorter than "
			     "asked");
		return;
	}

	granted_ms = (uint64_t)g->granted * 1000;
	due_ms = g->granted > 64 ? granted_ms - 32000 : granted_ms / 2;
	tol_ms = g->granted > 64 ? 2000 : granted_ms / 10 + 1000;

	if (!n) {
		took = now - g->final_t;
		jverdict_observed(v, "asked %lld s, granted %lld s; no "
				  "refresh after %.1f s",
				  (long long)g->asked, (long long)g->granted,
				  secs(took));
		if (took <= granted_ms) {
			jverdict_set(v, rule, JV_SKIP, "not seen yet");
			return;
		}
		jverdict_set(v, rule, JV_FAIL, "the binding lapsed: no "
			     "refresh within the granted %lld s%s",
			     (long long)g->granted, shortened ?
			     " (it seems to follow its own asked expiry)" :
			     "");
		if (!shortened)
			jverdict_advice(v, "registration expiry: "
					"re-register before the granted "
					"expiry runs out (no later than "
					"expiry - 32 s, half of it when 64 s "
					"or less)");
		return;
	}

	took = n->t - g->final_t;
	jverdict_observed(v, "asked %lld s, granted %lld s; refreshed after "
			  "%.1f s (%u%% of the grant)",
			  (long long)g->asked, (long long)g->granted,
			  secs(took), (unsigned)(100 * took / granted_ms));

	if (took > granted_ms) {
		jverdict_set(v, rule, JV_FAIL, "the binding lapsed %.1f s "
			     "before the refresh%s",
			     secs(took - granted_ms), shortened ?
			     " (it seems to follow its own asked expiry)" :
			     "");
		if (!shortened)
			jverdict_advice(v, "registration expiry: "
					"re-register before the granted "
					"expiry runs out");
		return;
	}

	if (shortened) {
		jverdict_set(v, rule, JV_PASS, "refreshed within the shorter "
			     "grant");
		return;
	}

	if (took > due_ms + tol_ms) {
		jverdict_set(v, rule, JV_WARN, "late: due by %u s (%s)",
			     (unsigned)(due_ms / 1000), g->granted > 64 ?
			     "expiry - 32 s" : "about half of the expiry");
		jverdict_advice(v, "registration expiry: re-register at "
				"about half of the granted expiry, and no "
				"later than 32 s before it runs out (often "
				"\"re-registration before expiry\" or "
				"\"refresh percentage\")");
		return;
	}

	jverdict_set(v, rule, JV_PASS, "on time (due by %u s)",
		     (unsigned)(due_ms / 1000));
}


/* the first REGISTER (not a retransmission) after the final of i */
static long next_after(const struct capture *j, long i)
{
	const struct jreg *r = capture_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);

	if (!r)
		return -1;

	for (size_t k = (size_t)i + 1; k < capture_regc(j); k++) {
		if (capture_reg(j, k)->t >= r->final_t)
			return (long)k;
	}

	return -1;
}


static void reg_423(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	long i = x->i, next = x->next;
	const struct jreg *r = capture_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);
	const struct jreg *n;

	if (!r || r->scode != 423) {
		jverdict_set(v, "P-REG-423", JV_SKIP, "no REGISTER was "
			     "answered 423");
		return;
	}

	if (next < 0)
		next = next_after(j, i);
	n = capture_reg(j, next >= 0 ? (size_t)next : SIZE_MAX);

	if (!n) {
		jverdict_observed(v, "asked %lld s; 423 Min-Expires: %u; no "
				  "retry", (long long)r->asked,
				  r->min_expires);
		jverdict_set(v, "P-REG-423", JV_FAIL, "it gave up: no retry "
			     "with Min-Expires");
		return;
	}

	jverdict_observed(v, "asked %lld s; 423 Min-Expires: %u; retried "
			  "after %.2f s asking %lld s", (long long)r->asked,
			  r->min_expires, secs(n->t - r->final_t),
			  (long long)n->asked);

	if (n->asked < (int64_t)r->min_expires) {
		jverdict_set(v, "P-REG-423", JV_FAIL, "the retry asks less "
			     "than Min-Expires");
		return;
	}

	jverdict_set(v, "P-REG-423", JV_PASS, "retried with at least "
		     "Min-Expires");
}


static void reg_stale(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	long i = x->i, next = x->next;
	const struct jreg *r = capture_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);
	const struct jreg *n;

	if (!r || !r->stale) {
		jverdict_set(v, "P-REG-STALE", JV_SKIP, "no challenge with "
			     "stale=true was sent");
		return;
	}

	if (next < 0)
		next = next_after(j, i);
	n = capture_reg(j, next >= 0 ? (size_t)next : SIZE_MAX);

	if (!n) {
		jverdict_observed(v, "stale=true challenge; no retry");
		jverdict_set(v, "P-REG-STALE", JV_FAIL, "no retry after "
			     "stale=true");
		return;
	}

	jverdict_observed(v, "stale=true challenge; retried after %.2f s "
			  "%s", secs(n->t - r->final_t), !n->creds ?
			  "without credentials" :
			  strcmp(n->nonce, r->chal_nonce) ?
			  "with another nonce" : "with the new nonce");

	if (!n->creds || strcmp(n->nonce, r->chal_nonce)) {
		jverdict_set(v, "P-REG-STALE", JV_FAIL, "the retry does not "
			     "use the new nonce");
		return;
	}

	if (n->t - r->final_t > STALE_AT_ONCE_MS) {
		jverdict_set(v, "P-REG-STALE", JV_FAIL, "not at once (after "
			     "more than %u s)", STALE_AT_ONCE_MS / 1000);
		return;
	}

	jverdict_set(v, "P-REG-STALE", JV_PASS, "retried at once with the "
		     "new nonce");
}


static void reg_403(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	long i = x->i;
	uint64_t window_ms = x->window_ms, now = x->now;
	const struct jreg *r = capture_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);
	unsigned tries = 0;
	uint64_t first = 0, end;

	if (!r || r->scode != 403) {
		jverdict_set(v, "P-REG-403", JV_SKIP, "no REGISTER was "
			     "answered 403");
		return;
	}

	end = r->final_t + window_ms;

	for (size_t k = (size_t)i + 1; k < capture_regc(j); k++) {
		const struct jreg *n = capture_reg(j, k);

		if (n->t < r->final_t || n->t > end)
			continue;
		/* an attempt: not merely the answer to a challenge */
		if (n->scode == 401 || n->scode == 407)
			continue;
		if (!first)
			first = n->t - r->final_t;
		tries++;
	}

	if (now < end && tries < LOOP_COUNT) {
		jverdict_set(v, "P-REG-403", JV_SKIP, "the window has not "
			     "ended");
		return;
	}

	if (tries)
		jverdict_observed(v, "%u new attempt(s) in %u s after the "
				  "403, the first after %.1f s", tries,
				  (unsigned)(window_ms / 1000), secs(first));
	else
		jverdict_observed(v, "no new attempt in %u s after the 403",
				  (unsigned)(window_ms / 1000));

	if (tries >= LOOP_COUNT) {
		jverdict_set(v, "P-REG-403", JV_FAIL, "a retry loop (%u or "
			     "more tries in %u s)", LOOP_COUNT,
			     (unsigned)(window_ms / 1000));
		return;
	}

	if (tries && first < BACKOFF_MS) {
		jverdict_set(v, "P-REG-403", JV_WARN, "retried within %u s of "
			     "a 403", BACKOFF_MS / 1000);
		return;
	}

	jverdict_set(v, "P-REG-403", JV_PASS, "no retry loop");
}


static void reg_503(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	long i = x->i;
	uint64_t now = x->now;
	const struct jreg *r = capture_reg(j, i >= 0 ? (size_t)i : SIZE_MAX);
	const struct jreg *n;
	long next;

	if (!r || r->scode != 503) {
		jverdict_set(v, "P-REG-503", JV_SKIP, "no REGISTER was "
			     "answered 503");
		return;
	}

	next = next_after(j, i);
	n = capture_reg(j, next >= 0 ? (size_t)next : SIZE_MAX);

	if (!n) {
		jverdict_observed(v, "503 Retry-After: %u; no retry in "
				  "%u s", r->retry_after,
				  (unsigned)((now - r->final_t) / 1000));
		jverdict_set(v, "P-REG-503", now - r->final_t >=
			     (uint64_t)r->retry_after * 1000 ? JV_PASS :
			     JV_SKIP, "waited at least Retry-After");
		return;
	}

	jverdict_observed(v, "503 Retry-After: %u; retried after %.1f s",
			  r->retry_after, secs(n->t - r->final_t));

	if (n->t - r->final_t < (uint64_t)r->retry_after * 1000) {
		jverdict_set(v, "P-REG-503", JV_FAIL, "retried before "
			     "Retry-After ran out");
		return;
	}

	jverdict_set(v, "P-REG-503", JV_PASS, "waited at least Retry-After");
}


static void reg_unreg(const struct jctx *x, struct jverdict *v)
{
	const struct capture *j = x->cap;
	size_t from = x->from;
	const struct jreg *first = NULL, *last = NULL;
	unsigned n = 0;

	for (size_t k = from; k < capture_regc(j); k++) {
		const struct jreg *r = capture_reg(j, k);

		if (!r->removal)
			continue;
		if (!first)
			first = r;
		last = r;
		n++;
	}

	if (!first) {
		jverdict_observed(v, "no REGISTER with expires 0");
		jverdict_set(v, "P-REG-UNREG", JV_INFO, "does not unregister "
			     "on shutdown: its binding stays until it "
			     "expires");
		return;
	}

	if (n > 1)
		jverdict_observed(v, "REGISTER with expires 0%s, answered "
				  "%u; %u in all, the last answered %u",
				  first->contact[0] ? "" : " (Contact: *)",
				  first->scode, n, last->scode);
	else
		jverdict_observed(v, "REGISTER with expires 0%s, answered %u",
				  first->contact[0] ? "" : " (Contact: *)",
				  first->scode);

	if (last->scode < 200 || last->scode >= 300) {
		jverdict_set(v, "P-REG-UNREG", JV_INFO, "tries to unregister "
			     "on shutdown, but the binding stays (no 2xx)");
		return;
	}

	jverdict_set(v, "P-REG-UNREG", JV_INFO, "unregisters on shutdown");
}


/* ------------------------------------------------------------- calls */



static void reg_refresh(const struct jctx *x, struct jverdict *v)
{
	refresh(x, false, v);
}


static void reg_shortened(const struct jctx *x, struct jverdict *v)
{
	refresh(x, true, v);
}


const struct judge_row judges_reg[] = {
	{"P-REG-URI", "REGISTER Request-URI is sip:domain with no user "
	 "part; To = From = the AOR", "FAIL", JN_FIRST_REG, 0, reg_uri,
	 "registrar / domain", NULL},
	{"P-REG-HOST", "the domain host names the region "
	 "(....sip.us1....)", "FAIL", JN_FIRST_REG, 0, reg_host,
	 "registrar host", NULL},
	{"P-REG-AUTHID", "digest username equals the AOR user", "FAIL",
	 JN_FIRST_REG, 0, reg_authid, "username / auth ID", NULL},
	{"P-REG-EXPIRY", "asked expiry <= 600", "WARN", JN_FIRST_REG, 0,
	 reg_expiry, "registration expiry",
	 "registration expiry: set it to 600 s or less (300 is common)"},
	{"P-REG-REFRESH", "refresh arrives before the granted expiry runs "
	 "out; sent no later than expiry - 32 s, or at about half when "
	 "expiry <= 64 s", "FAIL (lapse) / WARN (late)", JN_REFRESH, 0,
	 reg_refresh, "registration expiry", NULL},
	{"P-REG-SHORTENED", "honours a shorter expiry granted in the 200 "
	 "than asked", "FAIL", JN_REFRESH, 0, reg_shortened, NULL, NULL},
	{"P-REG-CALLID", "same Call-ID across refreshes and auth retries; "
	 "CSeq +1 each time", "WARN / FAIL (CSeq)", JN_REGISTERS, 0,
	 reg_callid, NULL, NULL},
	{"P-REG-OVERLAP", "no new REGISTER before the previous has a final "
	 "response (UDP retransmissions excepted)", "FAIL", JN_HELD, 0,
	 reg_overlap, NULL, NULL},
	{"P-REG-423", "after 423 + Min-Expires, retries with at least "
	 "Min-Expires", "FAIL", JN_RETRY, 423, reg_423, NULL, NULL},
	{"P-REG-STALE", "after 407 stale=true, retries with the new nonce "
	 "at once", "FAIL", JN_RETRY, 407, reg_stale, NULL, NULL},
	{"P-REG-403", "after 403, no tight retry loop",
	 "FAIL (loop) / WARN", JN_REFUSED, 403, reg_403, NULL, NULL},
	{"P-REG-503", "after 503 + Retry-After: T, waits at least T",
	 "FAIL", JN_RETRY_AFTER, 503, reg_503, NULL, NULL},
	{"P-REG-NAT", "Via has rport; sends from the port it listens on",
	 "WARN", JN_FIRST_REG, 0, reg_nat, "NAT / rport",
	 "NAT / rport: turn on rport (RFC 3581, often \"NAT traversal\" or "
	 "\"use rport\") and send from the SIP listening port (symmetric "
	 "signalling)"},
	{"P-REG-UNREG", "unregisters (expires 0) on orderly shutdown",
	 "INFO", JN_SHUTDOWN, 0, reg_unreg, NULL, NULL},
};

const size_t judges_reg_count = ARRAY_SIZE(judges_reg);
