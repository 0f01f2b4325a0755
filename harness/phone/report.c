/**
 * @file report.c  The report of a phone run (session.h): one entry per
 * step for the usual writers (../../reports/report.h), and the
 * configuration guide (../../reports/guide.h) from the P-* rows.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "scenario.h"
#include "report.h"
#include "guide.h"
#include "phone/capture.h"
#include "phone/pack.h"
#include "phone/session.h"
#include "phone/protocol.h"

struct report_bits {
	struct scenario *scv;
	struct sc_phone *phonev;      /* two per scenario                  */
	char **rulevv;                /* one rule per scenario            */
	struct run_result **resv;
	struct report_entry *entv;
	struct report_guide_rule *grv;
	struct report_guide_fact factv[24];
	char factbuf[24][256];
	size_t factc;
	char summary[256];
	char aor[300];
};


/* the registrar's rule for a response it sent */
static void msg_rule(struct pm *pm, struct run_msg *m)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb;
	const char *rule;
	char callid[128];

	if (m->from_phone || !m->summary || !m->text ||
	    strncmp(m->text, "SIP/2.0", 7))
		return;

	mb = mbuf_alloc(strlen(m->text));
	if (!mb)
		return;
	(void)mbuf_write_str(mb, m->text);
	mb->pos = 0;

	if (!sip_msg_decode(&msg, mb)) {
		(void)pl_strcpy(&msg->callid, callid, sizeof(callid));
		rule = sim_registrar_decision(pm->sr, callid, msg->cseq.num,
					      NULL);
		if (rule)
			str_ncpy(m->rule, rule, sizeof(m->rule));
	}

	mem_deref(msg);
	mem_deref(mb);
}


/*
 * A step's calls' media as for scenarios (reports/media.c): the service's
 * leg to the phone, rx what it heard from the phone (its tone, digits and
 * audio), tx what it sent (the tone it played).
 */
static int media_for(const struct pm_result *pr, struct run_result *res)
{
	if (!pr->mediac)
		return 0;

	res->mediav = mem_zalloc(pr->mediac * sizeof(*res->mediav), NULL);
	if (!res->mediav)
		return ENOMEM;

	for (size_t k = 0; k < pr->mediac; k++) {
		const struct pm_media *pm = &pr->mediav[k];
		const struct media_rx_figs *rx = &pm->leg.rx;
		const struct media_tx_figs *tx = &pm->leg.tx;
		struct run_media *m = &res->mediav[res->mediac++];

		m->phone = pm->label;
		str_ncpy(m->callid, pm->callid, sizeof(m->callid));
		m->pt = tx->pt;
		m->rx.packets = rx->packets;
		m->rx.bytes = rx->bytes;
		m->rx.first_ms = rx->first_ms;
		m->rx.lost = rx->lost;
		m->rx.jitter_ms = rx->jitter_ms;
		m->rx.tone_hz = rx->tone_hz;
		str_ncpy(m->rx.digits, rx->digits, sizeof(m->rx.digits));
		m->rx.one_way = rx->one_way || !rx->packets;
		m->rx.silent = rx->packets && !rx->tone_hz &&
			rx->blocks && rx->silent_blocks == rx->blocks;
		m->tx.packets = tx->packets;
		m->tx.bytes = tx->bytes;
		m->tx.first_ms = tx->first_ms;
		m->tx.tone_hz = pm->tone_hz;
		str_ncpy(m->tx.digits, tx->digits, sizeof(m->tx.digits));
		m->tx.one_way = !tx->packets;
		m->pcm = mem_ref(pm->pcm);   /* the result frees its own */
		m->pcmc = pm->pcm ? pm->leg.pcmc : 0;
	}

	return 0;
}


static int result_for(struct pm *pm, const struct pm_result *pr,
		      struct run_result **resp)
{
	struct run_result *res;
	size_t n = pr->msg_to - pr->msg_from;
	enum verdict vd;
	int err = 0;

	res = run_result_alloc();
	if (!res)
		return ENOMEM;

	switch (pr->v.level) {

	case JV_FAIL: vd = VERDICT_FAIL; break;
	case JV_SKIP: vd = VERDICT_SKIP; break;
	default:      vd = VERDICT_PASS; break;
	}

	res->verdict = vd;
	res->real_ms = pr->real_ms;
	res->wall_start_us = pr->wall_start_us;
	res->steps = 1;
	res->line = vd == VERDICT_FAIL ? 1 : 0;
	if (vd != VERDICT_PASS)
		err |= re_sdprintf(&res->why, "%s%s%s", pr->v.why,
				   pr->v.observed[0] ? " — observed: " : "",
				   pr->v.observed);
	if (vd == VERDICT_FAIL)
		err |= str_dup(&res->rule, pr->v.rule);

	res->stepv = mem_zalloc(sizeof(*res->stepv), NULL);
	if (res->stepv) {
		res->stepv[0].line = 1;
		res->stepv[0].kind = "phone";
		res->stepv[0].verdict = vd;
		res->stepv[0].real_ms = pr->real_ms;
		res->stepc = 1;
	}

	if (n) {
		res->msgv = mem_zalloc(n * sizeof(*res->msgv), NULL);
		if (!res->msgv)
			err = ENOMEM;
	}
	for (size_t i = 0; res->msgv && i < n; i++) {
		struct run_msg *m = &res->msgv[i];

		*m = pm->msgv[pr->msg_from + i];
		m->text = mem_ref(m->text);
		m->summary = mem_ref(m->summary);
		res->msgc++;
	}
	for (size_t i = 0; i < res->msgc; i++)
		res->messages += res->msgv[i].from_phone;

	err |= media_for(pr, res);

	if (err) {
		mem_deref(res);
		return err;
	}

	*resp = res;

	return 0;
}


static const struct jverdict *verdict_of(const struct pm *pm,
					 const char *rule)
{
	for (size_t i = 0; i < pm->resc; i++) {
		if (!strcmp(pm->resv[i].v.rule, rule))
			return &pm->resv[i].v;
	}

	return NULL;
}


static void fact(struct report_bits *b, const char *name, const char *fmt,
		 ...)
{
	va_list ap;

	if (b->factc >= ARRAY_SIZE(b->factv))
		return;

	va_start(ap, fmt);
	(void)re_vsnprintf(b->factbuf[b->factc], sizeof(b->factbuf[0]), fmt,
			   ap);
	va_end(ap);

	b->factv[b->factc].name = name;
	b->factv[b->factc].value = b->factbuf[b->factc];
	b->factc++;
}


/* the guide's media settings: codecs of its own calls, DTMF mode,
 * symmetric RTP, media encryption (from the P-MEDIA-* verdicts and the
 * phone's SDP) */
static void media_facts(struct pm *pm, struct report_bits *b)
{
	const struct jmreq *offer = NULL;
	const struct jverdict *v;
	bool savp = false;

	for (size_t i = 0; i < capture_mreqc(pm->capture); i++) {
		const struct jmreq *q = capture_mreq(pm->capture, i);

		if (q->sdp && !q->in_call && !offer)
			offer = q;
		savp |= q->sdp && q->savp;
	}
	/* its answers too: a phone that only answers may still do SRTP */
	for (size_t i = 0; i < capture_callc(pm->capture); i++)
		savp |= !strcmp(capture_call(pm->capture, i)->proto,
				"RTP/SAVP");
	fact(b, "Codecs offered (its own calls)", "%s", offer ?
	     offer->codecs : "not seen (it placed no call)");

	v = verdict_of(pm, "P-MEDIA-DTMF");
	fact(b, "DTMF mode", "%s", !v || v->level == JV_SKIP ?
	     "not tested (needs a person)" : v->level == JV_PASS ?
	     "RFC 4733 (telephone-event)" : strstr(v->why, "in-band") ?
	     "in-band (audio)" : strstr(v->why, "INFO") ? "SIP INFO" :
	     "none reached the service");

	v = verdict_of(pm, "P-MEDIA-SYM");
	fact(b, "Symmetric RTP", "%s", !v || v->level == JV_SKIP ?
	     "not tested (no RTP from the phone)" : v->level == JV_PASS ?
	     "yes (RTP sent from the port it receives on)" : "no (RTP "
	     "from another port than its SDP names)");

	fact(b, "Media encryption", "%s", savp ? "SRTP (RTP/SAVP)" :
	     offer || capture_callc(pm->capture) ? "none (RTP/AVP)" :
	     "not seen");
}


static void facts(struct pm *pm, struct report_bits *b)
{
	const struct jreg *r = capture_first_ok(pm->capture);
	const struct jreg *any = capture_first(pm->capture);
	const struct jverdict *v;
	struct uri uri;
	struct pl pl;
	const char *codecs = NULL;

	if (!r)
		r = any;

	if (!r) {
		fact(b, "REGISTER", "none received");
		return;
	}

	pl_set_str(&pl, r->ruri);
	if (!uri_decode(&uri, &pl))
		fact(b, "Registrar host used", "%r (Request-URI %s), sent to "
		     "%J", &uri.host, r->ruri, &pm->o.listen);
	else
		fact(b, "Registrar host used", "%s", r->ruri);
	fact(b, "Transport", "%s", sip_transp_name((enum sip_transp)r->tp));
	if (pm->o.transport == SIP_TRANSP_TLS) {
		fact(b, "Server certificate", "%s, SHA-256 %s",
		     pm->o.tls_cert ? pm->o.tls_cert : pm->o.domain,
		     pm->tls_fp);
		v = verdict_of(pm, "P-TLS");
		fact(b, "Certificate verification", "%s", !v ? "not tested" :
		     v->level == JV_PASS ? "on: refused a certificate for "
		     "another name" : v->level == JV_WARN ? "off: accepted "
		     "a certificate for another name" : v->why);
	}
	fact(b, "Username (AOR)", "%s", r->to);
	for (size_t i = 0; i < capture_regc(pm->capture); i++) {
		const struct jreg *q = capture_reg(pm->capture, i);

		if (q->creds) {
			fact(b, "Auth ID (digest username)", "%s",
			     q->username);
			break;
		}
	}
	if (r->asked >= 0)
		fact(b, "Expiry asked", "%lld s", (long long)r->asked);
	else
		fact(b, "Expiry asked", "none (the registrar chooses)");
	v = verdict_of(pm, "P-REG-REFRESH");
	if (v && v->observed[0])
		fact(b, "Refresh interval", "%s", v->observed);
	fact(b, "rport", "%s", r->rport ? "yes (Via ;rport)" : "no");
	fact(b, "Source address", "%J (Contact %s)", &r->src, r->contact);
	fact(b, "User-Agent", "%s", r->user_agent[0] ? r->user_agent :
	     "(none)");

	for (size_t i = 0; i < capture_callc(pm->capture); i++) {
		if (capture_call(pm->capture, i)->codecs[0]) {
			codecs = capture_call(pm->capture, i)->codecs;
			break;
		}
	}
	fact(b, "Codecs offered (its SDP answer)", "%s", codecs ? codecs :
	     "not seen (no answered call)");
	fact(b, "Auto-answer", "%s", pm->o.auto_answer ? "expected "
	     "(--auto-answer)" : "not expected");
	media_facts(pm, b);
}


int pm_write_report(struct pm *pm, uint64_t started_us)
{
	struct report_bits b;
	struct report_guide g;
	struct report_run rr;
	unsigned fails = 0, warns = 0;
	const struct jreg *first;
	int err = 0;

	memset(&b, 0, sizeof(b));
	b.scv = calloc(pm->resc + 1, sizeof(*b.scv));
	b.phonev = calloc(2 * pm->resc + 2, sizeof(*b.phonev));
	b.rulevv = calloc(pm->resc + 1, sizeof(*b.rulevv));
	b.resv = calloc(pm->resc + 1, sizeof(*b.resv));
	b.entv = calloc(pm->resc + 1, sizeof(*b.entv));
	b.grv = calloc(pm->resc + 1, sizeof(*b.grv));
	if (!b.scv || !b.phonev || !b.rulevv || !b.resv || !b.entv ||
	    !b.grv) {
		err = ENOMEM;
		goto out;
	}

	for (size_t i = 0; i < pm->msgc; i++)
		msg_rule(pm, &pm->msgv[i]);

	for (size_t i = 0; i < pm->resc; i++) {
		const struct pm_result *pr = &pm->resv[i];
		struct scenario *sc = &b.scv[i];
		const struct judge_row *pru = judges_find(pr->v.rule);

		b.rulevv[i] = (char *)pr->v.rule;
		sc->file = pr->st->file;
		sc->name = pr->st->name;
		sc->description = pr->st->description;
		sc->rulev = &b.rulevv[i];
		sc->rulec = 1;
		sc->phonev = &b.phonev[2 * i];
		sc->phonec = 2;
		b.phonev[2 * i].name = "phone";
		b.phonev[2 * i + 1].name = "second-phone";
		for (int k = 0; k < 2; k++) {
			struct sc_phone *p = &b.phonev[2 * i + k];

			p->group = p->name;
			p->conf.name = p->name;
			p->conf.user = pm->o.user;
			p->conf.domain = pm->o.domain;
			p->conf.tp = SIP_TRANSP_UDP;
		}

		err = result_for(pm, pr, &b.resv[i]);
		if (!err)
			err = pm_protocol_result(pm, i, b.resv[i]);
		if (err)
			goto out;

		b.entv[i].sc = sc;
		b.entv[i].res = b.resv[i];

		b.grv[i].rule = pr->v.rule;
		b.grv[i].level = jlevel_name(pr->v.level);
		b.grv[i].what = pru ? pru->what : "";
		b.grv[i].observed = pr->v.observed;
		b.grv[i].why = pr->v.why;
		b.grv[i].setting = pru ? pru->setting : NULL;
		b.grv[i].advice = pr->v.advice;
		b.grv[i].entry = i;
		b.grv[i].person = pr->person;

		fails += pr->v.level == JV_FAIL;
		warns += pr->v.level == JV_WARN;
	}

	facts(pm, &b);

	first = capture_first(pm->capture);
	(void)re_snprintf(b.aor, sizeof(b.aor), "%s@%s", pm->o.user,
			  pm->o.domain);
	if (fails)
		(void)re_snprintf(b.summary, sizeof(b.summary), "does not "
				  "work with the service as configured: %u "
				  "rule(s) FAIL, %u WARN", fails, warns);
	else
		(void)re_snprintf(b.summary, sizeof(b.summary), "works with "
				  "the service as configured (%u WARN)",
				  warns);

	memset(&g, 0, sizeof(g));
	g.aor = b.aor;
	g.phone = first && first->user_agent[0] ? first->user_agent :
		"unknown (no User-Agent)";
	g.summary = b.summary;
	g.factv = b.factv;
	g.factc = b.factc;
	g.rulev = b.grv;
	g.rulec = pm->resc;

	memset(&rr, 0, sizeof(rr));
	rr.version = SIPCONFORM_VERSION;
	rr.profile = "phone under test";
	rr.target = g.phone;
	rr.started_us = started_us;
	rr.finished_us = pm_wall_us();
	rr.entryv = b.entv;
	rr.entryc = pm->resc;
	rr.guide = &g;

	err = report_write(pm->o.report_dir, &rr);

 out:
	for (size_t i = 0; b.resv && i < pm->resc; i++)
		mem_deref(b.resv[i]);
	free(b.scv);
	free(b.phonev);
	free(b.rulevv);
	free(b.resv);
	free(b.entv);
	free(b.grv);

	return err;
}


