/**
 * @file main.c  sim-registrar: the reference registrar as a program
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "reshim/tmrheap.h"
#include "reshim/fastrand.h"
#include "config.h"
#include "sim_registrar.h"
#include "rules_print.h"

static const char usage[] =
	"usage: sim-registrar [--config FILE] [--listen IP:PORT] "
	"[--tls IP:PORT]\n"
	"                     [--control IP:PORT] [--state FILE] [-v]\n"
	"                     [--print-config] [--config-schema]\n"
	"\n"
	"  --config FILE     YAML configuration (default: the embedded one,\n"
	"                    see --print-config)\n"
	"  --listen IP:PORT  UDP and TCP (default 127.0.0.1:5060; port 0 "
	"picks one)\n"
	"  --tls IP:PORT     also TLS, with a self-signed certificate\n"
	"  --control IP:PORT HTTP+JSON control API (off unless given)\n"
	"  --control-token T the control API asks `Authorization: Bearer T`\n"
	"                    (required when --control is not on loopback;\n"
	"                    or set SIM_REGISTRAR_CONTROL_TOKEN)\n"
	"  --state FILE      keep the bindings in FILE (and FILE.journal):\n"
	"                    they survive a restart, kill -9 included\n"
	"  -v                log full SIP messages too\n"
	"  --print-config    print the effective configuration (--config's,\n"
	"                    or the embedded one): every key, its value\n"
	"                    and its doc, as YAML that loads back the same\n"
	"  --config-schema   print the configuration's keys as a Markdown\n"
	"                    table (the one in sim-registrar/README.md)\n"
	"  --rules           print the rules table (ID, reply, error, basis,\n"
	"                    condition; docs/rules/registrar.md)\n"
	"  --version         print the version\n";


static void signal_handler(int sig)
{
	(void)sig;
	re_cancel();
}


static int parse_addr(struct sa *sa, const char *s, const char *opt)
{
	if (sa_decode(sa, s, strlen(s))) {
		fprintf(stderr, "sim-registrar: %s: '%s' is not IP:PORT\n",
			opt, s);
		return EINVAL;
	}

	return 0;
}


int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"config",       required_argument, NULL, 'c'},
		{"listen",       required_argument, NULL, 'l'},
		{"tls",          required_argument, NULL, 't'},
		{"control",      required_argument, NULL, 'C'},
		{"state",        required_argument, NULL, 's'},
		{"control-token", required_argument, NULL, 'T'},
		{"verbose",      no_argument,       NULL, 'v'},
		{"print-config", no_argument,       NULL, 'p'},
		{"config-schema", no_argument,      NULL, 'S'},
		{"help",         no_argument,       NULL, 'h'},
		{"rules",        no_argument,       NULL, 'R'},
		{"version",      no_argument,       NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct sim_registrar_opts opts;
	struct sim_registrar *sr = NULL;
	struct reg_config *cfg = NULL;
	struct sa listen, tls, control, a;
	const char *config = NULL;
	bool print_config = false;
	char errbuf[512];
	int c, err;

	memset(&opts, 0, sizeof(opts));
	(void)sa_set_str(&listen, "127.0.0.1", 5060);
	opts.listen = &listen;

	while ((c = getopt_long(argc, argv, "c:l:t:C:s:T:vph", longopts,
				NULL)) != -1) {
		switch (c) {

		case 'c': config = optarg; break;
		case 's': opts.state = optarg; break;
		case 'T': opts.control_token = optarg; break;
		case 'v': opts.verbose = true; break;

		case 'l':
			if (parse_addr(&listen, optarg, "--listen"))
				return 2;
			break;

		case 't':
			if (parse_addr(&tls, optarg, "--tls"))
				return 2;
			opts.tls = &tls;
			break;

		case 'C':
			if (parse_addr(&control, optarg, "--control"))
				return 2;
			opts.control = &control;
			break;

		case 'p':
			print_config = true;
			break;

		case 'S':
			/* re_printf gives the count printed, or < 0 */
			return re_printf("%H", reg_config_schema_print,
					 NULL) < 0 ? 3 : 0;

		case 'h':
			fputs(usage, stdout);
			return 0;

		case 'R':
			return rules_print(stdout) ? 1 : 0;

		case 'V':
			printf("sim-registrar (sipconform) %s\n",
			       SIPCONFORM_VERSION);
			return 0;

		default:
			fputs(usage, stderr);
			return 2;
		}
	}

	if (optind < argc) {
		fprintf(stderr, "sim-registrar: unexpected argument '%s'\n%s",
			argv[optind], usage);
		return 2;
	}

	if (!opts.control_token)
		opts.control_token = getenv("SIM_REGISTRAR_CONTROL_TOKEN");

	/* the control API moves the clock and forgets state: not open to
	 * all without a token */
	if (opts.control && !sa_is_loopback(opts.control) &&
	    (!opts.control_token || !*opts.control_token)) {
		fprintf(stderr, "sim-registrar: --control off loopback needs "
			"--control-token (or SIM_REGISTRAR_CONTROL_TOKEN)\n");
		return 2;
	}

	errbuf[0] = '\0';
	err = config ? reg_config_load_file(&cfg, config, errbuf,
					    sizeof(errbuf)) :
		reg_config_default(&cfg);
	if (err) {
		fprintf(stderr, "%s\n", errbuf[0] ? errbuf :
			"sim-registrar: cannot load the configuration");
		return 2;
	}

	if (print_config) {
		err = re_printf("%H", reg_config_print, cfg) < 0;
		mem_deref(cfg);
		return err ? 3 : 0;
	}

	/* libre's timers on our heap (tmrheap.h): thousands of transactions
	 * would make its sorted list the bottleneck */
	err = libre_init();
	if (!err)
		err = tmrheap_check();
	if (!err)
		err = fastrand_check();   /* rand_u64 without OpenSSL per call */
	if (err) {
		fprintf(stderr, "sim-registrar: libre_init: %s\n",
			strerror(err));
		mem_deref(cfg);
		return 3;
	}

	err = sim_registrar_alloc(&sr, cfg, &opts);
	if (err) {
		(void)re_fprintf(stderr, "sim-registrar: cannot start on "
				 "%J: %m\n", &listen, err);
		goto out;
	}

	(void)sim_registrar_laddr(sr, SIP_TRANSP_UDP, &a);
	(void)re_fprintf(stderr, "sim-registrar %s: listening on %J "
			 "(UDP, TCP)", SIPCONFORM_VERSION, &a);
	if (opts.tls && !sim_registrar_laddr(sr, SIP_TRANSP_TLS, &a))
		(void)re_fprintf(stderr, ", %J (TLS)", &a);
	if (!sim_registrar_control_laddr(sr, &a))
		(void)re_fprintf(stderr, ", control http://%J/", &a);
	(void)re_fprintf(stderr, "; config %s, %u domain(s)", cfg->source,
			 cfg->domainc);
	if (opts.state)
		(void)re_fprintf(stderr, "; state %s, %u binding(s) restored",
				 opts.state, sim_registrar_restored(sr));
	(void)re_fprintf(stderr, "\n");

	err = re_main(signal_handler);
	(void)sim_registrar_shutdown(sr);

 out:
	mem_deref(sr);
	mem_deref(cfg);
	libre_close();

	return err ? 3 : 0;
}
