/**
 * @file main.c  harness: replays YAML scenarios and judges the results
 *
 *   harness run  [--target HOST:PORT] [--control HOST:PORT]
 *                [--filter RULE|NAME] [--report DIR] [--shard K/N]
 *                [--repeat N] [-v] [PATH...]
 *   harness lint PATH...
 *   harness merge OUT DIR...
 *   harness rules [--phone]
 *
 * Exit status: 0 every scenario passed (or was skipped), 1 some failed,
 * 2 bad usage or a bad scenario, 3 the infrastructure failed, 4 some
 * scenario was flaky (--repeat).
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "reshim/tmrheap.h"
#include "reshim/fastrand.h"
#include "ytree.h"
#include "phone.h"
#include "scenario.h"
#include "lint.h"
#include "probe.h"
#include "runner.h"
#include "protocheck/protocheck.h"
#include "ctlclient.h"
#include "report.h"
#include "phone_mode.h"   /* harness phone (issue 6) */
#include "datadir.h"      /* installed packs, --shard, --repeat, merge, */
#include "shard.h"        /* rules (issue 16)                           */
#include "repeat.h"
#include "rules_cmd.h"
#include "merge.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INFRA = 3, EXIT_FLAKY = 4 };

static const char usage[] =
	"usage: harness run  [--target HOST:PORT] [--control HOST:PORT]\n"
	"                    [--filter RULE|NAME] [--report DIR] [--shard K/N]\n"
	"                    [--repeat N] [-v] [PATH...]\n"
	"       harness lint PATH...\n"
	"       harness schema [--markdown]\n"
	"       harness merge OUT DIR...\n"
	"       harness rules [--phone|--protocol]\n"
	"       harness --version\n"
	"       harness phone --aor USER@DOMAIN --password PW [--listen "
	"IP:PORT]\n"
	"                     [--report DIR] [--auto-answer] [PACK...]\n"
	"\n"
	"  run    replay scenario files (or folders of them) and judge them;\n"
	"         by default each gets a fresh in-process sim-registrar with\n"
	"         a virtual clock\n"
	"  lint   check scenario files: file:line:col: message\n"
	"  schema the JSON schema of a step (--markdown: the step reference\n"
	"         of scenarios/README.md), from the step table\n"
	"  merge  join the --report folders of --shard runs into OUT, as if\n"
	"         one run wrote it\n"
	"  rules  print the rules table (--phone: the P-* rules, --protocol:\n"
	"         the protocol checker's T-* rows)\n"
	"  phone  play the service for a real phone and judge it by the\n"
	"         P-* rules (harness phone --help)\n"
	"\n"
	"  --target HOST:PORT   run against an external registrar, real time\n"
	"  --control HOST:PORT  the target's control API (a sim-registrar)\n"
	"  --filter RULE|NAME   only scenarios covering RULE, or whose name\n"
	"                       or file contains NAME\n"
	"  --report DIR         write junit.xml, results.json, report.html,\n"
	"                       report.md and trace.pcap into DIR\n"
	"  --shard K/N          only every Nth scenario file, from the Kth\n"
	"                       (parallel CI jobs; harness merge joins them)\n"
	"  --repeat N           run each scenario N times; one whose verdict\n"
	"                       or decisions differ is FLAKY\n"
	"  -v                   every step, phone event and decision\n"
	"  PATH                 default: the installed scenario packs\n"
	"\n"
	"exit status: 0 all passed, 1 some failed, 2 bad usage or scenario,\n"
	"             3 the infrastructure failed, 4 some scenario was FLAKY\n";


/* load every file; print every error; EINVAL when any was bad */
static int load_all(struct scenario ***scvp, char **filev, size_t filec,
		    unsigned *bad)
{
	struct scenario **scv = calloc(filec + 1, sizeof(*scv));

	if (!scv)
		return ENOMEM;

	*bad = 0;
	for (size_t i = 0; i < filec; i++) {
		struct ydoc *doc = NULL;

		if (scenario_load(&scv[i], &doc, filev[i])) {
			unsigned n = ydoc_errorc(doc);

			for (unsigned j = 0; j < n; j++)
				fprintf(stderr, "%s\n", ydoc_error(doc, j));
			if (!n)
				fprintf(stderr, "%s: cannot load\n", filev[i]);
			(*bad)++;
		}
		mem_deref(doc);
	}

	*scvp = scv;

	return *bad ? EINVAL : 0;
}


static bool filter_match(const struct scenario *sc, const char *filter)
{
	if (!filter)
		return true;

	for (size_t i = 0; i < sc->rulec; i++) {
		if (!strcasecmp(sc->rulev[i], filter))
			return true;
	}

	return strstr(sc->name, filter) || strstr(sc->file, filter);
}


static int cmd_lint(int argc, char *argv[])
{
	size_t checked = 0;
	int bad;

	if (argc < 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}

	bad = lint_run((const char *const *)argv, (size_t)argc, stderr,
		       &checked);
	if (!bad)
		printf("%zu scenario(s) OK\n", checked);
	else
		printf("%d of %zu scenario file(s) have errors\n", bad,
		       checked);

	return bad ? EXIT_USAGE : 0;
}


static int parse_addr(struct sa *sa, const char *s, const char *opt)
{
	if (sa_decode(sa, s, strlen(s))) {
		fprintf(stderr, "harness: %s: '%s' is not IP:PORT\n", opt, s);
		return EINVAL;
	}

	return 0;
}


static void progress(bool tty, size_t i, size_t n, unsigned pass,
		     unsigned fail, const char *name)
{
	if (!tty)
		return;

	fprintf(stderr, "\r\033[K[%zu/%zu] %u passed, %u failed  %s", i, n,
		pass, fail, name);
	fflush(stderr);
}


/* the registrar profile a report names: the target's, through its
 * control API, else the embedded default's */
static void report_profile(char *buf, size_t sz, const struct run_opts *ro)
{
	char body[1024];
	struct pl p;

	if (!ro->target) {
		(void)re_snprintf(buf, sz, "default");
		return;
	}

	if (ro->control &&
	    ctlclient_request(ro->control, "GET", "/health", body,
			      sizeof(body)) == 200 &&
	    !re_regex(body, strlen(body), "\"profile\":\"[^\"]*\"", &p)) {
		(void)re_snprintf(buf, sz, "%r", &p);
		return;
	}

	(void)re_snprintf(buf, sz, "unknown (the target's own)");
}


/* --repeat: runs sc again; a FLAKY line when a run differed; nonzero
 * when a rerun could not run (printed) */
static int repeat_once(unsigned *flaky, const struct scenario *sc,
		       const struct run_opts *ro, const struct run_result *res,
		       unsigned n)
{
	char why[512];
	bool differs;
	int err;

	err = repeat_check(&differs, why, sizeof(why), sc, ro, res, n);
	if (err) {
		printf("ERROR %s: %s\n    infrastructure: a repeated run "
		       "could not run: %s\n", sc->file, sc->name,
		       strerror(err));
		return err;
	}

	if (differs) {
		(*flaky)++;
		printf("FLAKY %s: %s\n    %s\n", sc->file, sc->name, why);
	}

	return 0;
}


static int cmd_run(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"target",  required_argument, NULL, 't'},
		{"control", required_argument, NULL, 'c'},
		{"filter",  required_argument, NULL, 'f'},
		{"report",  required_argument, NULL, 'r'},
		{"verbose", no_argument,       NULL, 'v'},
		{"help",    no_argument,       NULL, 'h'},
		{"shard",   required_argument, NULL, 'S'},
		{"repeat",  required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0}
	};
	struct shard shard = {0, 0};
	unsigned repeat = 1, flaky = 0;
	char defpath[1024], shard_err[128];
	const char *defpathv[1] = {defpath};
	char **filev = NULL;
	size_t filec = 0;
	struct scenario **scv = NULL;
	struct run_opts ro;
	struct sa target, control;
	const char *filter = NULL;
	const char *report_dir = NULL;
	struct report_entry *entv = NULL;
	size_t entc = 0;
	uint64_t started_us = report_now_us();
	unsigned bad = 0, pass = 0, fail = 0, skip = 0, errors = 0;
	size_t checker_msgs = 0, checker_findings = 0;
	size_t max_phones = 0, selected = 0, done = 0;
	bool tty = isatty(STDERR_FILENO);
	int c, err, status;

	memset(&ro, 0, sizeof(ro));
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:c:f:r:vh", longopts, NULL))
	       != -1) {
		switch (c) {

		case 't':
			if (parse_addr(&target, optarg, "--target"))
				return EXIT_USAGE;
			ro.target = &target;
			break;

		case 'c':
			if (parse_addr(&control, optarg, "--control"))
				return EXIT_USAGE;
			ro.control = &control;
			break;

		case 'f': filter = optarg; break;
		case 'r': report_dir = optarg; ro.record = true; break;
		case 'v': ro.verbose = true; break;
		case 'h': fputs(usage, stdout); return 0;

		case 'S':
			if (shard_parse(&shard, optarg, shard_err,
					sizeof(shard_err))) {
				fprintf(stderr, "harness: %s, not '%s'\n",
					shard_err, optarg);
				return EXIT_USAGE;
			}
			break;

		case 'n':
			repeat = (unsigned)strtoul(optarg, NULL, 10);
			if (repeat < 1 || repeat > REPEAT_MAX ||
			    strspn(optarg, "0123456789") != strlen(optarg)) {
				fprintf(stderr, "harness: --repeat wants 1..%d, "
					"not '%s'\n", REPEAT_MAX, optarg);
				return EXIT_USAGE;
			}
			/* decisions are compared from the recorded replies */
			ro.record = repeat > 1 || ro.record;
			break;

		default:  fputs(usage, stderr); return EXIT_USAGE;
		}
	}

	if (ro.target && !ro.control)
		fprintf(stderr, "harness: no --control: `rule:` and "
			"`bindings:` checks are not evaluated; `advance` of up "
			"to 5 s is waited for, scenarios that advance further "
			"are skipped\n");

	if (ro.control && !ro.target) {
		fprintf(stderr, "harness: --control needs --target\n");
		return EXIT_USAGE;
	}

	/* no PATH: the packs of this copy (installed or the clone) */
	if (optind >= argc && datadir_path(defpath, sizeof(defpath),
					   "scenarios")) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}

	err = optind >= argc ?
		scenario_collect(defpathv, 1, &filev, &filec) :
		scenario_collect((const char *const *)argv + optind,
				 (size_t)(argc - optind), &filev, &filec);
	if (err) {
		fprintf(stderr, "harness: cannot list the scenarios: %s\n",
			strerror(err));
		return EXIT_USAGE;
	}

	/* --shard: this job's files only (the list is sorted) */
	if (shard.n) {
		size_t kept = 0;

		for (size_t i = 0; i < filec; i++) {
			if (shard_has(&shard, i))
				filev[kept++] = filev[i];
			else
				mem_deref(filev[i]);
		}
		filev[kept] = NULL;
		filec = kept;
	}

	if (load_all(&scv, filev, filec, &bad)) {
		fprintf(stderr, "harness: %u scenario file(s) with errors; "
			"nothing was run\n", bad);
		status = EXIT_USAGE;
		goto out;
	}

	for (size_t i = 0; i < filec; i++) {
		if (!filter_match(scv[i], filter))
			continue;
		selected++;
		if (runner_sockets_needed(scv[i]) > max_phones)
			max_phones = runner_sockets_needed(scv[i]);
	}

	err = libre_init();
	if (!err)
		err = tmrheap_check();      /* libre's timers on our heap */
	if (!err)
		err = fastrand_check();   /* rand_u64 without OpenSSL per call */
	if (!err)
		err = phone_global_init((unsigned)max_phones);
	if (err == EMFILE)
		fprintf(stderr, "harness: warning: this process may open too "
			"few files for %zu phone sockets (raise the hard limit "
			"of `ulimit -n`, or let phones share sockets: "
			"`share: N`)\n", max_phones);
	else if (err) {
		fprintf(stderr, "harness: cannot start: %s\n", strerror(err));
		status = EXIT_INFRA;
		goto out;
	}

	/* a target that answers nothing is an infrastructure failure, not
	 * every scenario's */
	if (ro.target) {
		err = probe_target(ro.target, "example.sip.us1.twilio.com",
				   2000);
		if (err) {
			(void)re_fprintf(stderr, "harness: target %J does not "
					 "answer OPTIONS: %m\n", ro.target,
					 err);
			status = EXIT_INFRA;
			libre_close();
			goto out;
		}
	}

	/* --report: every result is kept for the writers */
	if (report_dir) {
		entv = calloc(filec + 1, sizeof(*entv));
		if (!entv) {
			fprintf(stderr, "harness: out of memory\n");
			status = EXIT_INFRA;
			libre_close();
			goto out;
		}
	}

	for (size_t i = 0; i < filec; i++) {
		struct run_result *res = NULL;
		const struct scenario *sc = scv[i];

		if (!filter_match(sc, filter))
			continue;

		progress(tty, ++done, selected, pass, fail, sc->file);

		if (runner_run(&res, sc, &ro) || !res) {
			errors++;
			if (entv)
				entv[entc++].sc = sc;
			continue;
		}

		if (tty)
			fprintf(stderr, "\r\033[K");

		if (repeat > 1 &&
		    repeat_once(&flaky, sc, &ro, res, repeat)) {
			errors++;
			if (entv) {
				entv[entc].sc = sc;
				entv[entc++].res = res;
			}
			else
				mem_deref(res);
			continue;
		}

		printf("%s %s: %s (%.2fs", verdict_name(res->verdict),
		       sc->file, sc->name, (double)res->real_ms / 1000);
		if (res->virtual_ms > res->real_ms + 1000)
			printf(", %.0fs virtual",
			       (double)res->virtual_ms / 1000);
		if (res->unchecked)
			printf(", %u state check(s) not evaluated",
			       res->unchecked);
		printf(")\n");

		switch (res->verdict) {

		case VERDICT_PASS:
			pass++;
			break;

		case VERDICT_SKIP:
			skip++;
			printf("    skipped: %s\n", res->why);
			break;

		case VERDICT_FAIL:
			fail++;
			printf("    %s:%u: %s\n", sc->file, res->line,
			       res->why);
			if (res->rule)
				printf("    breaks %s\n", res->rule);
			break;

		default:
			errors++;
			printf("    infrastructure: %s\n", res->why);
			break;
		}

		/* what the protocol checker found without failing the
		 * scenario (a phone told to misbehave, a peer, a SHOULD of
		 * the element under test) */
		for (size_t k = 0; k < res->findingc; k++) {
			const struct run_finding *rf = &res->findingv[k];

			checker_findings++;
			if (rf->fails || (!ro.verbose && rf->role !=
					  PC_ROLE_UNDER_TEST))
				continue;
			printf("    protocol %s: %s %s at %s: expected %s, "
			       "got %s\n", rf->row ? rf->row->id : "?",
			       protocheck_role_name((enum pc_role)rf->role),
			       rf->element, rf->where, rf->expected,
			       rf->actual);
		}
		checker_msgs += res->wire_msgs;
		fflush(stdout);

		if (entv) {
			entv[entc].sc = sc;
			entv[entc++].res = res;
		}
		else
			mem_deref(res);
	}

	if (tty)
		fprintf(stderr, "\r\033[K");

	printf("protocol checker: %zu SIP messages on the wire, %zu "
	       "finding(s)\n", checker_msgs, checker_findings);
	printf("%u passed, %u failed, %u skipped", pass, fail + errors, skip);
	if (repeat > 1)
		printf(", %u flaky (each run %u times)", flaky, repeat);
	printf("\n");

	status = errors ? EXIT_INFRA : flaky ? EXIT_FLAKY :
		fail ? EXIT_FAILED : 0;

	if (report_dir) {
		struct report_run rr;
		char target_s[128], profile[64];

		if (ro.control)
			(void)re_snprintf(target_s, sizeof(target_s),
					  "%J (control API %J)", ro.target,
					  ro.control);
		else if (ro.target)
			(void)re_snprintf(target_s, sizeof(target_s), "%J",
					  ro.target);
		else
			(void)re_snprintf(target_s, sizeof(target_s),
					  "in-process sim-registrar");
		report_profile(profile, sizeof(profile), &ro);

		memset(&rr, 0, sizeof(rr));
		rr.version = SIPCONFORM_VERSION;
		rr.profile = profile;
		rr.target = target_s;
		rr.filter = filter;
		rr.external = ro.target != NULL;
		rr.started_us = started_us;
		rr.finished_us = report_now_us();
		rr.entryv = entv;
		rr.entryc = entc;

		err = report_write(report_dir, &rr);
		if (err) {
			fprintf(stderr, "harness: cannot write the report into "
				"%s: %s\n", report_dir, strerror(err));
			status = EXIT_INFRA;
		}
		else
			printf("report: %s/report.html (junit.xml, "
			       "results.json, report.md, trace.pcap)\n",
			       report_dir);

		for (size_t i = 0; i < entc; i++)
			mem_deref((struct run_result *)entv[i].res);
	}

	libre_close();

 out:
	free(entv);
	for (size_t i = 0; scv && i < filec; i++)
		mem_deref(scv[i]);
	free(scv);
	mem_deref(filev);

	return status;
}


int main(int argc, char *argv[])
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}

	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "lint"))
		return cmd_lint(argc - 2, argv + 2);
	if (!strcmp(argv[1], "schema"))
		return lint_schema(argc - 2, argv + 2);
	if (!strcmp(argv[1], "merge"))
		return report_merge_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rules"))
		return rules_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version")) {
		printf("harness (sipconform) %s\n", SIPCONFORM_VERSION);
		return 0;
	}
	/* a real phone under test (phone_mode.c) */
	if (!strcmp(argv[1], "phone"))
		return phone_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return 0;
	}

	fprintf(stderr, "harness: unknown command '%s'\n%s", argv[1], usage);

	return EXIT_USAGE;
}
