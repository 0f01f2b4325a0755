/**
 * @file phone_mode.c  `harness phone`: judge a real phone against the
 * service's rules (phone_mode.h, ../scenarios/phone/README.md).
 *
 * One in-process sim-registrar plays the service on --listen; its trace
 * handler feeds every SIP message to the capture (phone/capture.h) and to
 * the report's message list; its actions (actions.h) shape the answers to
 * the phone's REGISTERs; its B2BUA dials the phone.  Everything runs in
 * real time: the registrar grants at most --grant-cap seconds (60), so
 * every refresh comes round within a minute.
 *
 * This file is the run: the options, the registrar, the pack's steps in
 * order, each run as its P-* row (phone/judges.h) needs; the parts are in
 * phone/ (README.md there).
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "reshim/tmrheap.h"
#include "ytree.h"
#include "config.h"
#include "actions.h"
#include "sim_registrar.h"
#include "phone.h"
#include "phone/capture.h"
#include "phone/judges.h"
#include "phone/pack.h"
#include "phone/session.h"
#include "phone/protocol.h"
#include "phone/ua_advice.h"
#include "phone_mode.h"
#include "datadir.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INFRA = 3 };

enum {
	DEFAULT_REGISTER_S = 120,
	DEFAULT_GRANT_CAP  = 60,
	DEFAULT_OPERATOR_S = 60,
};

static const char usage[] =
	"usage: harness phone --aor USER@DOMAIN --password PW\n"
	"                     [--listen IP:PORT] [--report DIR] [--auto-answer]"
	"\n"
	"                     [--register-timeout S] [--operator-timeout S]\n"
	"                     [--grant-cap S] [--config FILE] [-v]\n"
	"                     [--transport udp|tcp|tls] [--tls-cert PEM "
	"--tls-key PEM]\n"
	"                     [--tls-pem FILE] [--secure-media] [PACK...]\n"
	"\n"
	"  plays the hosted service for a real phone and judges it by the\n"
	"  P-* rules (docs/rules/phone.md), one step of the phone\n"
	"  pack (default scenarios/phone/) per rule, in real time\n"
	"\n"
	"  --aor USER@DOMAIN       the account the phone registers\n"
	"  --password PW           its password\n"
	"  --listen IP:PORT        where the registrar listens (UDP and TCP;\n"
	"                          default 127.0.0.1:5060, 5061 for TLS)\n"
	"  --transport T           the phone's: udp or tcp (the default: both\n"
	"                          on --listen), or tls (TLS on --listen,\n"
	"                          UDP and TCP on a port of their own)\n"
	"  --tls-cert/--tls-key F  the certificate and key (PEM) instead of\n"
	"                          one made for the domain at start\n"
	"  --tls-pem FILE          write the certificate there (PEM), for the\n"
	"                          phone to trust\n"
	"  --secure-media          the domain's secure_media on: SDES SRTP\n"
	"                          (AES_CM_128_HMAC_SHA1_80) on every call,\n"
	"                          judged by P-SRTP (needs --transport tls)\n"
	"  --ua-advice             print the per-UA advice rows (UA, rule,\n"
	"                          advice; tab-separated) and exit\n"
	"  --report DIR            junit.xml, results.json, report.html,\n"
	"                          report.md (with the configuration guide)\n"
	"                          and trace.pcap\n"
	"  --auto-answer           the phone answers calls by itself\n"
	"  --register-timeout S    wait this long for the first REGISTER\n"
	"                          (default 120)\n"
	"  --operator-timeout S    how long a step that needs a person waits\n"
	"                          (default 60 on a terminal, else 0: skip)\n"
	"  --grant-cap S           never grant more than S seconds (default 60)"
	"\n"
	"  --config FILE           a sim-registrar configuration instead of\n"
	"                          the one made for --aor\n"
	"  -v                      every SIP message and decision\n"
	"\n"
	"  every SIP message is protocol-checked (the T-* rows of\n"
	"  docs/rules/rfc-checklist.md; TLS ones as decrypted): a MUST the\n"
	"  phone breaks fails its step, a finding against the service is ours\n"
	"\n"
	"exit status: 0 no rule failed, 1 some rule (or a MUST of the protocol\n"
	"             checker) failed, 2 bad usage or pack, 3 the infrastructure\n"
	"             failed, no phone came, or the service broke a T-* row\n";

/* ------------------------------------------------------------ a step */

/* the step, as its row needs (the pack loader checked the rule) */
static void run_step(struct pm *pm, const struct pstep *st,
		     struct pm_result *pr)
{
	struct jverdict *v = &pr->v;
	const struct judge_row *row = judges_find(st->rule);
	struct jctx x;

	memset(v, 0, sizeof(*v));
	jctx_init(&x, pm->capture);

	switch (row ? row->need : JN_FIRST_REG) {

	case JN_FIRST_REG:
	case JN_REGISTERS:
		judges_run(row, &x, v);
		break;

	case JN_SHUTDOWN:
	case JN_DIAL:
	case JN_TRANSFER:
		pm_step_operator(pm, st, row, v);
		break;

	case JN_REFRESH:
	case JN_RETRY:
	case JN_HELD:
	case JN_RETRY_AFTER:
	case JN_REFUSED:
		if (!capture_first_ok(pm->capture))
			jverdict_set(v, st->rule, JV_SKIP, "the phone never "
				     "registered");
		else
			pm_step_register(pm, st, row, v);
		break;

	case JN_PROBES:
		pm_step_method(pm, st, row, v);
		break;

	case JN_CALL:
		pm_step_call(pm, st, row, v);
		break;

	case JN_TLS:
		pm_step_tls(pm, st, row, v);
		break;

	case JN_MEDIA:
	case JN_DTMF:
	case JN_HOLD:
		pm_step_media(pm, st, row, v, pr);
		break;
	}

	if (!v->rule)
		jverdict_set(v, st->rule, JV_SKIP, "not judged");
}


/* ------------------------------------------------------------ main */

static int make_config(struct pm *pm, struct reg_config **cfgp)
{
	char errbuf[512] = "";
	char *yaml = NULL;
	int err;

	if (pm->o.config) {
		err = reg_config_load_file(cfgp, pm->o.config, errbuf,
					   sizeof(errbuf));
		if (err)
			fprintf(stderr, "%s\n", errbuf[0] ? errbuf :
				strerror(err));
		return err;
	}

	err = re_sdprintf(&yaml,
			  "account: {name: phone-under-test}\n"
			  "domains:\n"
			  "  - name: %s\n"
			  "    registration: true\n"
			  "    credential_lists: {registration: [phone], "
			  "calls: [phone]}\n"
			  "    voice_application: voice-test\n"
			  "    secure_media: %s\n"
			  "credential_lists:\n"
			  "  - name: phone\n"
			  "    credentials:\n"
			  "      - username: \"%s\"\n"
			  "        password: \"%s\"\n"
			  "numbers:\n"
			  "  - number: \"+14155550199\"\n"
			  "    voice_application: ring-phone\n"
			  "verified_caller_ids: [\"+14155550100\"]\n"
			  "applications:\n"
			  "  ring-phone: <Response><Dial><Sip>%s@%s</Sip>"
			  "</Dial></Response>\n"
			  "  voice-test: <Response><Say>Your phone is "
			  "connected.</Say><Gather input=\"dtmf\" "
			  "numDigits=\"3\" timeout=\"10\"></Gather>"
			  "<Pause length=\"5\"/></Response>\n"
			  "pstn: {default: answer, after: 1}\n",
			  pm->o.domain, pm->o.secure_media ? "true" : "false",
			  pm->o.user, pm->o.password, pm->o.user,
			  pm->o.domain);
	if (err)
		return err;

	err = reg_config_load_str(cfgp, "<phone mode>", yaml, strlen(yaml),
				  errbuf, sizeof(errbuf));
	if (err)
		fprintf(stderr, "harness: phone: the configuration made for "
			"--aor is not valid: %s\n", errbuf);
	mem_deref(yaml);

	return err;
}


static int parse_opts(struct pm_opts *o, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"aor",              required_argument, NULL, 'a'},
		{"password",         required_argument, NULL, 'p'},
		{"listen",           required_argument, NULL, 'l'},
		{"report",           required_argument, NULL, 'r'},
		{"auto-answer",      no_argument,       NULL, 'A'},
		{"register-timeout", required_argument, NULL, 'R'},
		{"operator-timeout", required_argument, NULL, 'O'},
		{"grant-cap",        required_argument, NULL, 'g'},
		{"config",           required_argument, NULL, 'c'},
		{"verbose",          no_argument,       NULL, 'v'},
		{"transport",        required_argument, NULL, 't'},
		{"tls-cert",         required_argument, NULL, 'C'},
		{"tls-key",          required_argument, NULL, 'K'},
		{"tls-pem",          required_argument, NULL, 'P'},
		{"secure-media",     no_argument,       NULL, 'S'},
		{"ua-advice",        no_argument,       NULL, 'U'},
		{"help",             no_argument,       NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *aor = NULL;
	bool op_set = false, listen_set = false;
	int c;

	memset(o, 0, sizeof(*o));
	(void)sa_set_str(&o->listen, "127.0.0.1", 5060);
	o->register_ms = DEFAULT_REGISTER_S * 1000;
	o->grant_cap = DEFAULT_GRANT_CAP;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {

		case 'a': aor = optarg; break;
		case 'p': o->password = optarg; break;
		case 'r': o->report_dir = optarg; break;
		case 'A': o->auto_answer = true; break;
		case 'c': o->config = optarg; break;
		case 'v': o->verbose = true; break;
		case 'C': o->tls_cert = optarg; break;
		case 'K': o->tls_key = optarg; break;
		case 'P': o->tls_pem = optarg; break;
		case 'S': o->secure_media = true; break;
		case 't':
			if (!str_casecmp(optarg, "udp"))
				o->transport = SIP_TRANSP_UDP;
			else if (!str_casecmp(optarg, "tcp"))
				o->transport = SIP_TRANSP_TCP;
			else if (!str_casecmp(optarg, "tls"))
				o->transport = SIP_TRANSP_TLS;
			else {
				fprintf(stderr, "harness: phone: --transport: "
					"'%s' is not udp, tcp or tls\n",
					optarg);
				return EINVAL;
			}
			break;
		case 'l':
			listen_set = true;
			if (sa_decode(&o->listen, optarg, strlen(optarg))) {
				fprintf(stderr, "harness: phone: --listen: "
					"'%s' is not IP:PORT\n", optarg);
				return EINVAL;
			}
			break;
		case 'R':
			o->register_ms = (uint64_t)strtoul(optarg, NULL, 10) *
				1000;
			break;
		case 'O':
			o->operator_ms = (uint64_t)strtoul(optarg, NULL, 10) *
				1000;
			op_set = true;
			break;
		case 'g':
			o->grant_cap = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			fputs(usage, stdout);
			return ECANCELED;
		case 'U':
			/* the per-UA advice rows, for docs/phones.md */
			for (size_t i = 0; ua_advice_at(i); i++)
				printf("%s\t%s\t%s\n", ua_advice_at(i)->ua,
				       ua_advice_at(i)->rule,
				       ua_advice_at(i)->advice);
			return ECANCELED;
		default:
			fputs(usage, stderr);
			return EINVAL;
		}
	}

	if (!aor || !o->password) {
		fprintf(stderr, "harness: phone: --aor and --password are "
			"required\n%s", usage);
		return EINVAL;
	}

	{
		const char *at = strchr(aor, '@');

		if (!at || at == aor || !at[1] ||
		    (size_t)(at - aor) >= sizeof(o->user)) {
			fprintf(stderr, "harness: phone: --aor: '%s' is not "
				"USER@DOMAIN\n", aor);
			return EINVAL;
		}
		memcpy(o->user, aor, (size_t)(at - aor));
		o->user[at - aor] = '\0';
		str_ncpy(o->domain, at + 1, sizeof(o->domain));
	}

	if (o->grant_cap < 20) {
		fprintf(stderr, "harness: phone: --grant-cap: at least 20\n");
		return EINVAL;
	}

	if (!o->tls_cert != !o->tls_key) {
		fprintf(stderr, "harness: phone: --tls-cert and --tls-key go "
			"together\n");
		return EINVAL;
	}
	if (o->transport != SIP_TRANSP_TLS &&
	    (o->tls_cert || o->tls_pem)) {
		fprintf(stderr, "harness: phone: --tls-cert/--tls-pem need "
			"--transport tls\n");
		return EINVAL;
	}
	/* MEDIA-SRTP-1: SDES keys travel in the SDP, so over TLS only */
	if (o->secure_media && o->transport != SIP_TRANSP_TLS) {
		fprintf(stderr, "harness: phone: --secure-media needs "
			"--transport tls (SDES keys travel in the SDP)\n");
		return EINVAL;
	}
	if (o->secure_media && o->config) {
		fprintf(stderr, "harness: phone: --secure-media: set "
			"domains[].secure_media in %s instead\n", o->config);
		return EINVAL;
	}
	if (o->transport == SIP_TRANSP_TLS && !listen_set)
		sa_set_port(&o->listen, SIP_PORT_TLS);

	if (!op_set)
		o->operator_ms = isatty(STDIN_FILENO) ?
			DEFAULT_OPERATOR_S * 1000 : 0;

	return 0;
}


static void instructions(const struct pm *pm)
{
	bool tls = pm->o.transport == SIP_TRANSP_TLS;

	pm_say("sipconform phone mode: the reference registrar plays the "
	    "hosted service on %J (%s).\n\n"
	    "Configure the phone:\n"
	    "  SIP server / registrar / domain:  %s\n"
	    "  Outbound proxy:                   %J%s\n"
	    "  Transport:                        %s\n",
	    &pm->o.listen, tls ? "TLS" : "UDP and TCP", pm->o.domain,
	    &pm->o.listen, tls ? ";transport=tls" : "",
	    tls ? "TLS" : pm->o.transport == SIP_TRANSP_TCP ? "TCP" :
	    "UDP (TCP also works)");
	if (tls)
		pm_say("  Server certificate:               %s (SHA-256 "
		    "fingerprint %s)%s%s\n"
		    "  Certificate verification:         on: %s\n",
		    pm->o.tls_cert ? pm->o.tls_cert : pm->o.domain,
		    pm->tls_fp, pm->o.tls_pem ? ", PEM in " : "",
		    pm->o.tls_pem ? pm->o.tls_pem : "", pm->o.tls_cert ?
		    "trust the CA that signed it" : "trust that certificate "
		    "(made at start, it is its own CA)");
	if (pm->o.secure_media)
		pm_say("  Media encryption:                 SRTP (SDES, "
		    "AES_CM_128_HMAC_SHA1_80), mandatory\n");
	pm_say("  Username and authentication ID:   %s\n"
	    "  Password:                         %s\n"
	    "  Registration expiry:              the phone's own "
	    "(the registrar grants at most %u s)\n"
	    "  Auto-answer:                      %s\n\n"
	    "Waiting up to %u s for the phone to register...\n",
	    pm->o.user, pm->o.password, pm->o.grant_cap, pm->o.auto_answer ?
	    "on" : "off (a person answers when asked)",
	    (unsigned)(pm->o.register_ms / 1000));
}


static int load_pack(struct pstep ***stvp, size_t *stcp, char **filev,
		     size_t filec)
{
	struct pstep **stv = calloc(filec + 1, sizeof(*stv));
	unsigned bad = 0;

	if (!stv)
		return ENOMEM;

	for (size_t i = 0; i < filec; i++) {
		struct ydoc *doc = NULL;

		if (pstep_load(&stv[i], &doc, filev[i])) {
			unsigned n = ydoc_errorc(doc);

			for (unsigned k = 0; k < n; k++)
				fprintf(stderr, "%s\n", ydoc_error(doc, k));
			if (!n)
				fprintf(stderr, "%s: cannot load\n",
					filev[i]);
			bad++;
		}
		mem_deref(doc);
	}

	*stvp = stv;
	*stcp = filec;

	return bad ? EINVAL : 0;
}


int phone_main(int argc, char *argv[])
{
	char defdir[1024];
	const char *defpack[] = {defdir};
	struct sim_registrar_opts so;
	struct sa plain;
	struct reg_config *cfg = NULL;
	struct pstep **stv = NULL;
	size_t stc = 0, filec = 0;
	char **filev = NULL;
	struct reg_action cap;
	struct pm pm;
	uint64_t started_us = pm_wall_us();
	unsigned counts[JV_SKIP + 1] = {0};
	struct pm_protocol_counts pc;
	size_t reg_msgs, next_from;
	int err, status = 0;

	memset(&pm, 0, sizeof(pm));
	pm.last_call = -1;
	(void)datadir_path(defdir, sizeof(defdir), "scenarios/phone");

	err = parse_opts(&pm.o, argc, argv);
	if (err)
		return err == ECANCELED ? 0 : EXIT_USAGE;

	err = argc > optind ?
		phone_pack_collect((const char *const *)argv + optind,
				   (size_t)(argc - optind), &filev, &filec) :
		phone_pack_collect(defpack, 1, &filev, &filec);
	if (err || !filec) {
		fprintf(stderr, "harness: phone: no *.phone files in the "
			"pack\n");
		mem_deref(filev);
		return EXIT_USAGE;
	}

	if (load_pack(&stv, &stc, filev, filec)) {
		fprintf(stderr, "harness: phone: the pack has errors; nothing "
			"was run\n");
		status = EXIT_USAGE;
		goto out;
	}

	err = libre_init();
	if (!err)
		err = tmrheap_check();
	if (!err)
		err = phone_global_init(8);
	if (err && err != EMFILE) {
		fprintf(stderr, "harness: phone: cannot start: %s\n",
			strerror(err));
		status = EXIT_INFRA;
		goto out;
	}

	tmr_init(&pm.wake);
	err = capture_alloc(&pm.capture, pm.o.user, pm.o.domain);
	if (!err)
		err = make_config(&pm, &cfg);
	if (err) {
		status = err == ENOMEM ? EXIT_INFRA : EXIT_USAGE;
		goto close;
	}

	err = pm_tls_load(&pm);
	if (err) {
		status = EXIT_USAGE;
		goto close;
	}

	/* TLS on --listen; UDP and TCP then on a port of their own */
	memset(&so, 0, sizeof(so));
	so.listen = &pm.o.listen;
	if (pm.o.transport == SIP_TRANSP_TLS) {
		plain = pm.o.listen;
		sa_set_port(&plain, 0);
		so.listen = &plain;
		so.tls = &pm.o.listen;
		so.tls_cn = pm.o.domain;
		so.tls_cert_pem = pm.cert_pem;
		so.tls_key_pem = pm.key_pem;
	}
	so.dh = pm_on_decision;
	so.guardh = pm_on_guard;
	so.callh = pm_call_h;      /* the phone's calls (media.c) */
	so.media_capture_ms = RUN_MEDIA_PCM_MS;
	so.arg = &pm;
	so.traceh = pm_trace_h;
	/* the checker's tap on first: it hooks sockets as they open */
	err = pm_protocol_start(&pm);
	if (err) {
		fprintf(stderr, "harness: phone: cannot start the protocol "
			"checker: %s\n", strerror(err));
		status = EXIT_INFRA;
		goto close;
	}
	err = sim_registrar_alloc(&pm.sr, cfg, &so);
	if (err) {
		(void)re_fprintf(stderr, "harness: phone: cannot listen on "
				 "%J: %m\n", &pm.o.listen, err);
		status = EXIT_INFRA;
		goto close;
	}
	pm.ra = sim_registrar_actions(pm.sr);
	pm_protocol_name_service(&pm);
	(void)sim_registrar_laddr(pm.sr, SIP_TRANSP_UDP, &pm.udp_laddr);
	(void)sim_registrar_laddr(pm.sr, SIP_TRANSP_TLS, &pm.tls_laddr);
	if (pm_tls_start(&pm)) {
		status = EXIT_INFRA;
		goto close;
	}

	/* every grant short, so that refreshes come round in real time */
	memset(&cap, 0, sizeof(cap));
	cap.type = REG_ACTION_GRANT;
	cap.value = pm.o.grant_cap;
	pm.cap = pm.o.grant_cap;
	(void)reg_actions_add(pm.ra, &cap, &pm.cap_id);

	pm.resv = calloc(stc + 1, sizeof(*pm.resv));
	if (!pm.resv) {
		status = EXIT_INFRA;
		goto close;
	}

	pm_signals(&pm);

	if (isatty(STDIN_FILENO) && pm.o.operator_ms &&
	    !fd_listen(STDIN_FILENO, FD_READ, pm_stdin_h, &pm))
		pm.stdin_watch = true;

	instructions(&pm);

	if (!pm_wait(&pm, pm_first_ok, NULL, pm.o.register_ms)) {
		if (pm.interrupted)
			pm_say("interrupted\n");
		else if (capture_regc(pm.capture))
			pm_say("the phone sent %zu REGISTER(s) but none was "
			    "accepted: judging what was seen\n",
			    capture_regc(pm.capture));
		else
			pm_say("no REGISTER from the phone within %u s\n",
			    (unsigned)(pm.o.register_ms / 1000));
	}
	else {
		const struct jreg *r = capture_first_ok(pm.capture);

		pm_say("registered: %s from %J (%s), asked %lld s\n\n",
		    r->user_agent[0] ? r->user_agent : "a phone", &r->src,
		    sip_transp_name((enum sip_transp)r->tp),
		    (long long)r->asked);
	}

	reg_msgs = pm.msgc;
	next_from = reg_msgs;

	for (size_t i = 0; i < stc; i++) {
		const struct pstep *st = stv[i];
		struct pm_result *pr = &pm.resv[pm.resc++];
		uint64_t t0 = tmr_jiffies();
		const struct judge_row *row = judges_find(st->rule);
		/* judged on the first registration: its messages */
		bool capture = row && row->need == JN_FIRST_REG;

		pr->st = st;
		pr->wall_start_us = pm_wall_us();
		pm_protocol_step(&pm, i);
		pm.next = i + 1 < stc ? stv[i + 1] : NULL;

		/* grant_cap: from this step on */
		if (st->grant_cap && st->grant_cap != pm.cap) {
			(void)reg_actions_remove(pm.ra, pm.cap_id);
			cap.value = st->grant_cap;
			pm.cap = st->grant_cap;
			(void)reg_actions_add(pm.ra, &cap, &pm.cap_id);
		}
		pr->msg_from = capture ? 0 : next_from;

		pm_say("[%zu/%zu] %s: %s ...\n", i + 1, stc, st->rule,
		    st->name);

		if (pm.interrupted)
			jverdict_set(&pr->v, st->rule, JV_SKIP,
				     "interrupted");
		else if (!capture_regc(pm.capture))
			jverdict_set(&pr->v, st->rule, JV_SKIP, "the phone "
				     "never sent a REGISTER");
		else
			run_step(&pm, st, pr);

		/* a known phone's own setting, or that it has none */
		if (capture_first(pm.capture))
			ua_advice_apply(capture_first(pm.capture)->user_agent,
					&pr->v);
		pr->person = judges_for_person(row, &pr->v);
		pr->real_ms = tmr_jiffies() - t0;
		pr->msg_to = capture ? reg_msgs : pm.msgc;
		if (!capture)
			next_from = pm.msgc;
		counts[pr->v.level]++;

		pm_say("%s %s: %s\n", jlevel_name(pr->v.level), pr->v.rule,
		    pr->v.why);
		if (pr->v.observed[0])
			pm_say("    observed: %s\n", pr->v.observed);
		if (pr->v.advice[0])
			pm_say("    change: %s\n", pr->v.advice);
	}

	pm_say("\nphone: %u PASS, %u WARN, %u INFO, %u FAIL, %u SKIP\n",
	    counts[JV_PASS], counts[JV_WARN], counts[JV_INFO],
	    counts[JV_FAIL], counts[JV_SKIP]);
	for (size_t i = 0, n = 0; i < pm.resc; i++) {
		if (pm.resv[i].person)
			pm_say("%s%s", n++ ? ", " : "still for a person "
			    "(--operator-timeout S): ", pm.resv[i].v.rule);
		if (i + 1 == pm.resc && n)
			pm_say("\n");
	}
	pm_say("%u passed, %u failed, %u skipped\n",
	    counts[JV_PASS] + counts[JV_WARN] + counts[JV_INFO],
	    counts[JV_FAIL], counts[JV_SKIP]);

	/* a MUST the phone broke fails the run; a finding against the
	 * reference service is a bug of ours */
	pm_protocol_finish(&pm, &pc);

	if (counts[JV_FAIL] || pc.phone_fails)
		status = EXIT_FAILED;
	else if (!capture_first_ok(pm.capture) || pc.service)
		status = EXIT_INFRA;

	if (pm.o.report_dir) {
		err = pm_write_report(&pm, started_us);
		if (err) {
			fprintf(stderr, "harness: phone: cannot write the "
				"report into %s: %s\n", pm.o.report_dir,
				strerror(err));
			status = EXIT_INFRA;
		}
		else
			pm_say("report: %s/report.html (junit.xml, "
			    "results.json, report.md, trace.pcap)\n",
			    pm.o.report_dir);
	}

 close:
	if (pm.stdin_watch)
		fd_close(STDIN_FILENO);
	pm_signals(NULL);
	pm_second_stop(&pm);
	pm_media_free(&pm);
	tmr_cancel(&pm.wake);
	pm.sr = mem_deref(pm.sr);
	pm_protocol_stop(&pm);
	mem_deref(cfg);
	mem_deref(pm.capture);
	mem_deref(pm.cert_pem);
	mem_deref(pm.key_pem);
	for (size_t i = 0; i < pm.msgc; i++) {
		mem_deref(pm.msgv[i].text);
		mem_deref(pm.msgv[i].summary);
	}
	mem_deref(pm.msgv);
	free(pm.resv);
	libre_close();

 out:
	for (size_t i = 0; stv && i < stc; i++)
		mem_deref(stv[i]);
	free(stv);
	mem_deref(filev);

	return status;
}

