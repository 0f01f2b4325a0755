/**
 * @file judges_sec.c  The security rows of phone-rules.md ("Media and
 * security"): P-TLS.  Its step (tls.c) offers only TLS when the run asks
 * for it (--transport tls), then presents a certificate for another name.
 */

#include <re.h>
#include "phone/capture.h"
#include "phone/judges.h"


static void tls_judge(const struct jctx *x, struct jverdict *v)
{
	const struct jreg *first = capture_first_ok(x->cap);
	const struct jreg *wrong;

	if (!x->tls) {
		jverdict_set(v, "P-TLS", JV_SKIP, "the run offered no TLS "
			     "(harness phone --transport tls)");
		return;
	}
	if (!first) {
		jverdict_set(v, "P-TLS", JV_FAIL, "the phone never registered "
			     "over TLS");
		return;
	}
	if (first->tp != SIP_TRANSP_TLS) {
		jverdict_observed(v, "registered over %s",
				  sip_transp_name(first->tp));
		jverdict_set(v, "P-TLS", JV_FAIL, "registered over %s, not "
			     "TLS", sip_transp_name(first->tp));
		return;
	}

	wrong = x->next >= 0 ? capture_reg(x->cap, (size_t)x->next) : NULL;
	jverdict_observed(v, "registered over TLS; with a certificate for "
			  "%s: %s; with the right one again: %s",
			  x->tls_wrong_cn, wrong ? "a REGISTER came" :
			  "no REGISTER", x->tls_back ? "registered" :
			  "not back in time");

	if (wrong) {
		jverdict_set(v, "P-TLS", JV_WARN, "it registered through a "
			     "certificate that names %s, not the domain",
			     x->tls_wrong_cn);
		return;
	}

	jverdict_set(v, "P-TLS", JV_PASS, "registers over TLS; no REGISTER "
		     "through the wrong-name certificate within %llu s",
		     (unsigned long long)(x->window_ms / 1000));
}


const struct judge_row judges_sec[] = {
	{"P-TLS", "registers over TLS (port 5061 habit), and refuses a "
	 "server certificate whose name is not the domain's", "FAIL (no "
	 "TLS) / WARN (accepts a wrong certificate)", JN_TLS, 0, tls_judge,
	 "transport, certificate verification", "verify the server's "
	 "certificate: trust the service's CA and check that the name is "
	 "the domain's"},
};

const size_t judges_sec_count = ARRAY_SIZE(judges_sec);
