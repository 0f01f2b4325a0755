/**
 * @file runner.c  Runs one scenario (runner.h)
 *
 * Single-threaded: phones and the in-process registrar share one libre
 * loop.  The runner drives the loop itself, step by step: an operation
 * step starts the phones' REGISTERs (a bounded window at a time, so 20,000
 * phones do not flood the registrar) and runs the loop until each has
 * ended; event handlers only record and wake the loop (re_cancel).
 *
 * This file holds a run's life: why it is skipped against a target, its
 * set-up, each step run by its row of the step table (steps/steps.h), the
 * result.  The loop and phones are in runner_phones.c, the registrar and
 * sockets in runner_setup.c.
 */

#include <ctype.h>
#include <stddef.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <re.h>
#include "vclock.h"
#include "reshim/tmrheap.h"
#include "msgkeep.h"
#include "vtimer.h"
#include "config.h"
#include "location.h"
#include "sim_registrar.h"
#include "calls.h"
#include "phone.h"
#include "scenario.h"
#include "ctlclient.h"
#include "linkfault.h"
#include "runner_int.h"
#include "steps/steps.h"


static void result_destructor(void *data)
{
	struct run_result *res = data;

	for (size_t i = 0; i < res->msgc; i++) {
		mem_deref(res->msgv[i].text);
		mem_deref(res->msgv[i].summary);
	}

	for (size_t i = 0; i < res->pktc; i++)
		mem_deref(res->pktv[i].data);

	for (size_t i = 0; i < res->findingc; i++) {
		mem_deref(res->findingv[i].element);
		mem_deref(res->findingv[i].where);
		mem_deref(res->findingv[i].expected);
		mem_deref(res->findingv[i].actual);
	}

	for (size_t i = 0; i < res->mediac; i++)
		mem_deref(res->mediav[i].pcm);

	mem_deref(res->mediav);
	mem_deref(res->msgv);
	mem_deref(res->pktv);
	mem_deref(res->findingv);
	mem_deref(res->stepv);
	mem_deref(res->why);
	mem_deref(res->rule);
}


struct run_result *run_result_alloc(void)
{
	return mem_zalloc(sizeof(struct run_result), result_destructor);
}


const char *verdict_name(enum verdict v)
{
	switch (v) {

	case VERDICT_PASS:  return "PASS";
	case VERDICT_FAIL:  return "FAIL";
	case VERDICT_SKIP:  return "SKIP";
	default:            return "ERROR";
	}
}


int rn_set_verdict(struct runner *r, enum verdict v, unsigned line,
		       const char *rule, const char *fmt, ...)
{
	va_list ap;

	if (r->res->verdict != VERDICT_PASS)
		return EPROTO;      /* the first failure is the one told */

	r->res->verdict = v;
	r->res->line = line;
	if (rule)
		(void)str_dup(&r->res->rule, rule);

	va_start(ap, fmt);
	(void)re_vsdprintf(&r->res->why, fmt, ap);
	va_end(ap);

	return EPROTO;
}


/* --------------------------------------------------------------- steps */

static int run_step_body(struct runner *r, const struct sc_step *st)
{
	const struct step_kind *k = steps_kind(st);

	r->res->steps++;

	if (r->opts->verbose)
		(void)re_fprintf(stderr, "  step at line %u\n", st->pos.line);

	if (!k || !k->run)
		return rn_set_verdict(r, VERDICT_ERROR, st->pos.line, NULL,
				      "a step of no known kind");

	return k->run(r, st);
}


int rn_run_step(struct runner *r, const struct sc_step *st)
{
	const struct step_kind *k = steps_kind(st);
	struct run_result *res = r->res;
	unsigned outer = r->cur_line;
	size_t idx = res->stepc;
	uint64_t t = tmr_jiffies();
	int err;

	if (res->stepc < RUN_STEP_MAX) {
		void *v = rn_grow(res->stepv, &r->stepcap, res->stepc,
				  sizeof(*res->stepv));
		if (v) {
			struct run_step *rs;

			res->stepv = v;
			rs = &res->stepv[res->stepc++];
			memset(rs, 0, sizeof(*rs));
			rs->line = st->pos.line;
			rs->kind = k ? k->name : "step";
			rs->start_ms = t - r->t0;
			rs->virtual_ms = vclock_offset();
		}
	}

	r->cur_line = st->pos.line;
	rn_wire_where(r);
	err = run_step_body(r, st);
	r->cur_line = outer;
	rn_wire_where(r);

	if (idx < res->stepc) {
		res->stepv[idx].real_ms = tmr_jiffies() - t;
		res->stepv[idx].verdict = err ? (res->verdict ==
						 VERDICT_PASS ? VERDICT_FAIL :
						 res->verdict) : VERDICT_PASS;
	}

	return err;
}


int rn_run_steps(struct runner *r, const struct sc_step *stepv,
		 size_t stepc)
{
	int err = 0;

	for (size_t i = 0; i < stepc && !err; i++)
		err = rn_run_step(r, &stepv[i]);

	return err;
}


static uint32_t hash_size_for(size_t n)
{
	uint32_t sz = DECISION_HSIZE;

	while (sz < n && sz < (1u << 20))
		sz <<= 1;

	return sz;
}


/* the longest single advance, anywhere in the steps */
static uint64_t max_advance(const struct sc_step *stepv, size_t stepc)
{
	uint64_t m = 0;

	for (size_t i = 0; i < stepc; i++) {
		uint64_t x = stepv[i].type == SC_ADVANCE ? stepv[i].ms :
			max_advance(stepv[i].stepv, stepv[i].stepc);
		if (x > m)
			m = x;
	}

	return m;
}


/* ------------------------------------------------- against a --target */

static unsigned long long needs_config(const struct scenario *sc,
				       const struct run_opts *o)
{
	uint8_t md[MD5_SIZE];
	char body[1024], want[64];

	if (!sc->config)
		return 0;

	/* a sim-registrar target started with the same configuration
	 * (--config FILE) says so: its digest as printed */
	if (!o->control || md5_printf(md, "%H", reg_config_print, sc->config))
		return 1;

	(void)re_snprintf(want, sizeof(want), "\"config_md5\":\"%w\"", md,
			  sizeof(md));

	return !(ctlclient_request(o->control, "GET", "/health", body,
				   sizeof(body)) == 200 && strstr(body, want));
}


static unsigned long long needs_calls(const struct scenario *sc,
				      const struct run_opts *o)
{
	return sc->needs_calls && !o->control;
}


/* the longest advance, in s, if more than can be waited for */
static unsigned long long needs_clock(const struct scenario *sc,
				      const struct run_opts *o)
{
	uint64_t ms = max_advance(sc->stepv, sc->stepc);

	if (o->control || ms <= REAL_ADVANCE_MAX_MS)
		return 0;

	return ms / 1000;
}


#define NEEDS(flag) offsetof(struct scenario, flag), NULL

/*
 * Why a scenario is skipped against --target, a row per reason, in the
 * order they are told: a bool of the scenario that says so, or applies(),
 * which gives 0 (it does not) or the number that why's %llu prints.
 */
static const struct skip_reason {
	size_t needs;                /* offsetof a bool of the scenario   */
	unsigned long long (*applies)(const struct scenario *sc,
				      const struct run_opts *o);
	const char *why;
} skip_reasons[] = {
	/* outside calls are placed by the in-process registrar, or by a
	 * target's control API (POST /calls) */
	{0, needs_calls, "dials from the outside network: needs the "
	 "in-process registrar or the control API of a sim-registrar target "
	 "(--control)"},
	/* a target we do not run cannot be restarted (its control API
	 * has no restart) */
	{NEEDS(needs_restart), "restarts the registrar: needs the "
	 "in-process one (a target's control API cannot restart it)"},
	/* what a target sends to the phones cannot be faulted */
	{NEEDS(needs_rx_faults), "faults on what the phones receive are "
	 "made where the in-process registrar sends; against a target only "
	 "`direction: send` works"},
	/* a target has the configuration it has */
	{0, needs_config, "needs a registrar configured as its `registrar: "
	 "config:` says; the target runs its own (a sim-registrar target "
	 "started with that --config is told by its control API)"},
	/* virtual time cannot be had from a registrar we do not drive; a
	 * few seconds can be waited for */
	{0, needs_clock, "needs the registrar's clock (advance %llus): give "
	 "the control API of a sim-registrar target (--control)"},
};


static bool calls_closed(struct runner *r, void *arg)
{
	(void)arg;

	return !calls_closing(sim_registrar_calls(r->sr));
}


int runner_run(struct run_result **resp, const struct scenario *sc,
	       const struct run_opts *opts)
{
	static const struct run_opts no_opts;
	struct run_result *res;
	struct runner r;
	uint64_t t0 = tmr_jiffies();
	int err;

	if (!resp || !sc)
		return EINVAL;

	if (!opts)
		opts = &no_opts;

	res = run_result_alloc();
	if (!res)
		return ENOMEM;

	res->wall_start_us = vclock_wall_ms() * 1000;

	memset(&r, 0, sizeof(r));
	tmr_init(&r.tmr);
	r.sc = sc;
	r.opts = opts;
	r.res = res;
	r.t0 = t0;

	vclock_reset();

	/* before any socket opens: the wire sees every one */
	if (rn_wire_start(&r)) {
		rn_set_verdict(&r, VERDICT_ERROR, 0, NULL, "the wire tap could "
			       "not start");
		goto out;
	}

	/* what a target cannot do: the first reason that applies */
	if (opts->target) {
		for (size_t i = 0; i < ARRAY_SIZE(skip_reasons); i++) {
			const struct skip_reason *sr = &skip_reasons[i];
			unsigned long long x = sr->applies ?
				sr->applies(sc, opts) :
				*(const bool *)((const char *)sc + sr->needs);

			if (x) {
				rn_set_verdict(&r, VERDICT_SKIP, 0, NULL, sr->why,
					      x);
				goto out;
			}
		}
	}

	err = sc->config ? 0 : reg_config_default(&r.cfg);
	if (sc->config)
		r.cfg = mem_ref(sc->config);
	if (err || !r.cfg || !r.cfg->domainc) {
		rn_set_verdict(&r, VERDICT_ERROR, 0, NULL, "no configuration");
		goto out;
	}
	(void)re_snprintf(r.domain, sizeof(r.domain), "%s",
			  r.cfg->domainv[0].name);

	/* about two decisions per phone and operation: keep chains short */
	err = hash_alloc(&r.decisions, hash_size_for(sc->phonec * 4));
	if (err)
		goto out;

	if (opts->target) {
		r.reg_addr[0] = *opts->target;
		r.reg_addr[1] = *opts->target;
		r.reg_addr[2] = *opts->target;
		rn_wire_name_service(&r);
		if (opts->control) {
			char body[256];
			if (ctlclient_request(opts->control, "POST", "/reset",
					      body, sizeof(body)) != 200) {
				rn_set_verdict(&r, VERDICT_ERROR, 0, NULL,
					    "the control API did not answer");
				goto out;
			}
		}
	}
	else if (rn_start_registrar(&r, false)) {
		goto out;
	}

	if (sc->needs_faults) {
		err = linkfaults_alloc(&r.lf, sc->seed);
		if (err) {
			rn_set_verdict(&r, VERDICT_ERROR, 0, NULL, "link faults: "
				    "%m", err);
			goto out;
		}
	}

	if (rn_start_phones(&r))
		goto out;

	(void)rn_run_steps(&r, sc->stepv, sc->stepc);

	/* CANCELled branches wait for their 487: it is ACKed before the
	 * registrar goes (RING-2; their phones answer within a loop turn) */
	if (r.sr)
		(void)rn_wait_until(&r, calls_closed, NULL, CLOSE_WAIT_MS);

	/* every message on the wire, checked: a finding against the
	 * reference service (or a phone told to behave) is a bug of ours */
	rn_wire_finish(&r);
	rn_media_keep_open(&r);

 out:
	rn_close(&r);
	res->real_ms = tmr_jiffies() - t0;
	res->virtual_ms = vclock_offset() + res->real_ms - vclock_lag();
	*resp = res;

	return 0;
}
