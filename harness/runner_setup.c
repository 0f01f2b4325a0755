/**
 * @file runner_setup.c  A run's world: the in-process registrar (with a
 * state file when the scenario restarts it), the phones on their sockets
 * (shared N to one with `share:`), and closing it all
 */

#include <ctype.h>
#include <errno.h>
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

/* --------------------------------------------------------------- setup */

/* a scenario that restarts the registrar gives it a state file */
static int state_dir_make(struct runner *r)
{
	const char *tmp = getenv("TMPDIR");

	(void)re_snprintf(r->state_dir, sizeof(r->state_dir),
			  "%s/sipconform-state-XXXXXX",
			  tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(r->state_dir)) {
		int err = errno;

		r->state_dir[0] = '\0';
		return rn_set_verdict(r, VERDICT_ERROR, 0, NULL, "no folder for "
				   "the registrar's state file: %m", err);
	}

	(void)re_snprintf(r->state_path, sizeof(r->state_path), "%s/state",
			  r->state_dir);

	return 0;
}


static void state_dir_remove(struct runner *r)
{
	static const char *const ext[] = {"", ".journal", ".tmp"};
	char path[128];

	if (!r->state_dir[0])
		return;

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		(void)re_snprintf(path, sizeof(path), "%s%s", r->state_path,
				  ext[i]);
		(void)unlink(path);
	}
	(void)rmdir(r->state_dir);
	r->state_dir[0] = '\0';
}


/* again: a restart, on the address and ports it had */
int rn_start_registrar(struct runner *r, bool again)
{
	struct sim_registrar_opts o;
	struct sa listen, tls;
	bool need_tls = false;
	int err;

	for (size_t i = 0; i < r->sc->phonec; i++) {
		if (r->sc->phonev[i].conf.tp == SIP_TRANSP_TLS)
			need_tls = true;
	}

	if (again) {
		listen = r->reg_addr[0];
		tls = r->reg_addr[2];
	}
	else {
		(void)sa_set_str(&listen, "127.0.0.1", 0);
		(void)sa_set_str(&tls, "127.0.0.1", 0);
	}

	if (!again && r->sc->needs_restart && state_dir_make(r))
		return EPROTO;

	memset(&o, 0, sizeof(o));
	o.listen = &listen;
	o.tls = need_tls ? &tls : NULL;
	o.state = r->state_dir[0] ? r->state_path : NULL;
	o.dh = rn_decision_handler;
	o.guardh = rn_guard_handler;
	o.callh = rn_call_handler;
	/* TLS is ciphertext to the wire tap: the service's own trace gives
	 * the checker its messages (every TLS phone talks to it) */
	o.traceh = need_tls ? rn_wire_tls : NULL;
	o.arg = r;

	err = sim_registrar_alloc(&r->sr, r->cfg, &o);
	if (err)
		return rn_set_verdict(r, VERDICT_ERROR, r->cur_line, NULL,
				   "the registrar could not start on %J: %m",
				   &listen, err);

	(void)sim_registrar_laddr(r->sr, SIP_TRANSP_UDP, &r->reg_addr[0]);
	(void)sim_registrar_laddr(r->sr, SIP_TRANSP_TCP, &r->reg_addr[1]);
	if (need_tls)
		(void)sim_registrar_laddr(r->sr, SIP_TRANSP_TLS,
					  &r->reg_addr[2]);

	rn_wire_name_service(r);

	return 0;
}


/* phones of one entry with `share: N` go N to a socket, in order */
static bool same_socket_group(const struct sc_phone *a,
			      const struct sc_phone *b)
{
	return a && b && a->share && a->share == b->share &&
		!strcmp(a->group, b->group) && a->conf.tp == b->conf.tp;
}


size_t runner_sockets_needed(const struct scenario *sc)
{
	size_t n = 0, fill = 0;

	for (size_t i = 0; sc && i < sc->phonec; i++) {
		const struct sc_phone *sp = &sc->phonev[i];

		if (!sp->share) {
			n++;
			continue;
		}

		if (!i || !same_socket_group(&sc->phonev[i - 1], sp) ||
		    fill == sp->share) {
			n++;
			fill = 0;
		}
		fill++;
	}

	return n;
}


int rn_start_phones(struct runner *r)
{
	struct phone_stack *stack = NULL;
	size_t fill = 0;
	int err = 0;

	r->phonev = mem_zalloc((r->sc->phonec + 1) * sizeof(*r->phonev),
			       NULL);
	if (!r->phonev)
		return ENOMEM;

	/* the phones' own refreshes keep the window the runner keeps for
	 * the steps' operations: a clock jump making thousands due at once
	 * is then not a retransmission storm of the harness's own making
	 * (sim-phone/phone_pace.c) */
	phone_pace_set(OP_WINDOW);

	for (size_t i = 0; i < r->sc->phonec; i++) {
		const struct sc_phone *sp = &r->sc->phonev[i];
		struct rphone *rp = &r->phonev[i];
		struct phone_conf conf = sp->conf;

		rp->run = r;
		rp->sp = sp;
		r->phonec++;

		if (!sp->has_domain || !conf.domain)
			conf.domain = r->domain;
		if (r->opts->record)
			conf.media.capture_ms = RUN_MEDIA_PCM_MS;
		/* SENT events are counted, not read (TLS: recorded) */
		conf.sent_lean = true;
		conf.registrar = r->reg_addr[conf.tp == SIP_TRANSP_TLS ? 2 :
					     conf.tp == SIP_TRANSP_TCP ? 1 : 0];

		if (sp->share) {
			if (!stack || fill == sp->share ||
			    !same_socket_group(&r->sc->phonev[i - 1], sp)) {
				stack = mem_deref(stack);
				fill = 0;
				err = phone_stack_alloc(&stack, conf.tp, NULL);
				if (err)
					break;
			}
			conf.stack = stack;
			fill++;
		}
		else {
			stack = mem_deref(stack);
		}

		err = phone_alloc(&rp->phone, &conf, rn_phone_event, rp);
		if (err)
			break;

		rn_wire_name_phone(r, rp);

		if (sp->has_link) {
			err = linkfaults_set(r->lf, phone_laddr(rp->phone),
					     (uint32_t)i, &sp->link);
			if (err)
				break;
		}
	}

	/* the phones hold the stacks now */
	mem_deref(stack);

	if (err)
		return rn_set_verdict(r, VERDICT_ERROR,
				   r->phonec ? r->phonev[r->phonec - 1].sp->pos.line
				   : 0, NULL, "phone %s could not start: %m",
				   r->phonec ? r->phonev[r->phonec - 1].sp->name
				   : "?", err);

	return 0;
}


void rn_close(struct runner *r)
{
	tmr_cancel(&r->tmr);

	/* queued datagrams hold the phones' and registrar's sockets */
	r->lf = mem_deref(r->lf);

	for (size_t i = 0; i < r->phonec; i++) {
		struct rphone *rp = &r->phonev[i];

		mem_deref(rp->phone);
		mem_deref(rp->final);
		mem_deref(rp->call);
		mem_deref(rp->invite);
		mem_deref(rp->cancel);
		mem_deref(rp->call_final);
		mem_deref(rp->refer_final);
	}

	mem_deref(r->phonev);
	mem_deref(r->queue);
	mem_deref(r->sr);
	r->wire = mem_deref(r->wire);
	if (r->decisions)
		hash_flush(r->decisions);
	mem_deref(r->decisions);
	mem_deref(r->cfg);
	state_dir_remove(r);
}


