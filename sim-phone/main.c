/**
 * @file main.c  sim-phone: register one or many simulated phones and keep
 * them registered until SIGINT/SIGTERM (or register and unregister once)
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "reshim/tmrheap.h"
#include "reshim/fastrand.h"
#include "vtimer.h"
#include "phone.h"
#include "protocheck/protocheck.h"
#include "protocheck/wire.h"


enum {
	EXIT_USAGE     = 2,
	DEFAULT_WINDOW = 200,      /* registrations pending at once       */
	MAX_COUNT      = 100000,
	QUIT_WAIT_MS   = 5000,     /* for unregistrations at shutdown     */
	POLL_MS        = 50,
};

enum stage {
	STAGE_REGISTER,            /* starting and keeping registrations  */
	STAGE_UNREGISTER,          /* shutting down                       */
};

static struct app {
	struct phone **phonev;
	char **userv;
	size_t n;
	size_t started;            /* phones whose register was sent      */
	size_t pending;            /* operations waiting for their end    */
	size_t first_done;         /* first registrations ended           */
	size_t first_ok;
	size_t window;
	size_t share;              /* phones per socket (1: own each)     */
	bool once;
	bool verbose;
	struct wire *wire;          /* -v: every message checked          */
	size_t findings_told;
	enum stage stage;
	uint64_t quit_deadline;
	struct tmr tmr;
} app;


static void usage(FILE *f)
{
	(void)re_fprintf(f,
		"usage: sim-phone --registrar IP:PORT --domain DOMAIN"
		" --user USER [options]\n"
		"\n"
		"Registers simulated phones and keeps them registered"
		" (refreshing) until\n"
		"SIGINT/SIGTERM, then unregisters them.  One line per"
		" registration result.\n"
		"\n"
		"  --registrar IP:PORT   where REGISTERs are sent"
		" (IP literal)\n"
		"  --transport udp|tcp|tls   (default udp)\n"
		"  --domain DOMAIN       AOR host and Request-URI,"
		" e.g. example.sip.us1.twilio.com\n"
		"  --user USER           AOR user; 'ph{1..100}' makes"
		" ph1..ph100\n"
		"  --count N             N phones USER-1..USER-N\n"
		"  --auth-user NAME      digest username (default: the"
		" AOR user)\n"
		"  --password PW         digest password (none: challenges"
		" are not answered)\n"
		"  --expires S           asked expiry (default 600)\n"
		"  --local IP            local address to bind"
		" (default 127.0.0.1)\n"
		"  --window N            registrations pending at once,"
		" refreshes included\n                        (default %d)\n"
		"  --share N             N phones per socket, each with its"
		" own Contact user,\n"
		"                        Call-ID and CSeq (default 1: a"
		" socket each)\n"
		"  --answer POLICY       incoming INVITEs, after the 100:"
		" ignore (default:\n"
		"                        ring until CANCELled), auto[:MS]"
		" (180, then 200\n"
		"                        after MS ms), reject[:CODE]"
		" (default 486)\n"
		"  --tone HZ             the tone its calls send (350, 440,"
		" ... 2000)\n"
		"  --media K[=V],...     its calls' misbehaviours: no-rtp,"
		" nat, nat-addr=IP,\n"
		"                        no-codec, wrong-pt=N, send-on-hold,"
		" no-rtcp,\n"
		"                        dtmf=rfc4733|inband|info,"
		" dtmf-answer=DIGITS,\n"
		"                        delayed-offer, ack-no-answer, off,\n"
		"                        srtp (RTP/SAVP with SDES keys)\n"
		"  --once                register, unregister, exit"
		" (1 if any failed)\n"
		"  -v, --verbose         print every request and response\n"
		"  -h, --help            this text\n"
		"  --version             print the version\n"
		"\n"
		"exit status: 0 ok, 1 a registration failed (--once),"
		" 2 bad arguments\n",
		DEFAULT_WINDOW);
}


static int bad_usage(const char *what, const char *val)
{
	(void)re_fprintf(stderr, "sim-phone: %s%s%s\n"
			 "try 'sim-phone --help'\n", what,
			 val ? ": " : "", val ? val : "");
	return EXIT_USAGE;
}


static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;

	errno = 0;
	*v = strtoul(s, &end, 10);

	return !errno && !*end && *v <= max;
}


/* "ph{1..100}x" -> prefix "ph", from 1, to 100, suffix "x" */
static int brace_range(const char *user, struct pl *pre,
		       unsigned long *from, unsigned long *to, struct pl *suf)
{
	struct pl a, b;

	if (re_regex(user, strlen(user), "[^{]*{[0-9]+..[0-9]+}[^]*",
		     pre, &a, &b, suf))
		return ENOENT;

	*from = pl_u32(&a);
	*to   = pl_u32(&b);

	return *from <= *to ? 0 : EINVAL;
}


static int make_users(const char *user, unsigned long count)
{
	unsigned long from = 1, to = count, i;
	struct pl pre, suf;
	bool range;
	int err;

	err = brace_range(user, &pre, &from, &to, &suf);
	if (err == EINVAL)
		return bad_usage("bad --user range", user);

	range = err == 0;
	if (range && count && count != to - from + 1)
		return bad_usage("--count disagrees with the --user range",
				 user);

	if (!range && !count)
		from = to = 1;

	app.n = to - from + 1;
	if (app.n > MAX_COUNT)
		return bad_usage("too many phones", user);

	app.userv = mem_zalloc(app.n * sizeof(*app.userv), NULL);
	app.phonev = mem_zalloc(app.n * sizeof(*app.phonev), NULL);
	if (!app.userv || !app.phonev)
		return ENOMEM;

	for (i = 0; i < app.n; i++) {
		if (range)
			err = re_sdprintf(&app.userv[i], "%r%lu%r", &pre,
					  from + i, &suf);
		else if (count)
			err = re_sdprintf(&app.userv[i], "%s-%lu", user,
					  i + 1);
		else
			err = str_dup(&app.userv[i], user);
		if (err)
			return err;
	}

	return 0;
}


static void print_msg(const char *name, const char *dir,
		      const struct sa *peer, const struct sip_msg *msg)
{
	if (!msg || !msg->mb)
		return;

	(void)re_printf("%s %s %J\n%b", name, dir, peer,
			msg->mb->buf, msg->mb->end);
}


static void start_more(void);


static void op_done(struct phone *phone, const struct phone_event *ev)
{
	const char *name = phone_name(phone);
	const bool ok = !ev->err && ev->scode >= 200 && ev->scode < 300;

	if (ev->op == PHONE_OP_UNREGISTER)
		(void)re_printf("%s unregistered", name);
	else
		(void)re_printf("%s", name);

	if (ev->msg)
		(void)re_printf(" %u %r", ev->scode, &ev->msg->reason);

	if (ok && ev->op != PHONE_OP_UNREGISTER)
		(void)re_printf(" granted %us", ev->granted);
	else if (ev->err == EACCES)
		(void)re_printf(" (challenge not answered)");
	else if (ev->err)
		(void)re_printf(" error: %m", ev->err);

	(void)re_printf("\n");

	/* refreshes and retries are not counted: they end on their own */
	if ((ev->op == PHONE_OP_REGISTER || ev->op == PHONE_OP_UNREGISTER) &&
	    app.pending)
		--app.pending;

	if (ev->op == PHONE_OP_REGISTER) {
		++app.first_done;
		app.first_ok += ok;
	}

	if (app.stage == STAGE_REGISTER)
		start_more();
}


/* one line per step of a call */
static void call_event(struct phone *phone, const struct phone_event *ev)
{
	const char *name = phone_name(phone);
	struct phone_media_figs mf;
	const struct sip_hdr *hdr;

	switch (ev->type) {

	case PHONE_EV_CALL_INCOMING:
		(void)re_printf("%s call from %s (Call-ID %s)\n", name,
				phone_call_remote_uri(ev->call),
				phone_call_callid(ev->call));
		break;

	case PHONE_EV_CALL_ESTABLISHED:
		(void)re_printf("%s call established\n", name);
		break;

	case PHONE_EV_CALL_CANCELLED:
		hdr = ev->msg ? sip_msg_hdr(ev->msg, SIP_HDR_REASON) : NULL;
		(void)re_printf("%s call cancelled%s%r\n", name,
				hdr ? ", Reason: " : "",
				hdr ? &hdr->val : &pl_null);
		break;

	case PHONE_EV_CALL_CLOSED:
		(void)re_printf("%s call ended: %s", name,
				phone_call_end_name(ev->end));
		if (ev->scode)
			(void)re_printf(" %u", ev->scode);
		if (ev->err)
			(void)re_printf(" (%m)", ev->err);
		(void)re_printf("\n");
		if (!phone_media_last(phone, &mf))
			(void)re_printf("%s media %H\n", name,
					phone_media_figs_json, &mf);
		break;

	default:
		break;
	}
}


/* --media KEY[=VALUE],...: the phone's media misbehaviours, as rows */
static const struct media_opt {
	const char *key;
	bool value;          /* takes =VALUE */
} media_opts[] = {
	{"no-rtp", false}, {"nat", false}, {"nat-addr", true},
	{"no-codec", false}, {"wrong-pt", true}, {"send-on-hold", false},
	{"no-rtcp", false}, {"dtmf", true}, {"dtmf-answer", true},
	{"delayed-offer", false}, {"ack-no-answer", false},
	{"off", false}, {"srtp", false}, {NULL, false},
};


static int media_set(struct phone_media_conf *m, const char *key,
		     const char *val)
{
	static const char *const dtmf[] = {"rfc4733", "inband", "info"};
	unsigned long v;

	if (!strcmp(key, "no-rtp"))            m->no_rtp = true;
	else if (!strcmp(key, "nat"))          m->nat = true;
	else if (!strcmp(key, "nat-addr")) {
		m->nat = true;
		m->nat_addr = val;
	}
	else if (!strcmp(key, "no-codec"))     m->no_codec = true;
	else if (!strcmp(key, "send-on-hold")) m->send_on_hold = true;
	else if (!strcmp(key, "no-rtcp"))      m->no_rtcp = true;
	else if (!strcmp(key, "off"))          m->off = true;
	else if (!strcmp(key, "delayed-offer")) m->delayed_offer = true;
	else if (!strcmp(key, "ack-no-answer")) m->ack_no_answer = true;
	else if (!strcmp(key, "srtp"))         m->srtp = true;
	else if (!strcmp(key, "dtmf-answer"))  m->dtmf_answer = val;
	else if (!strcmp(key, "wrong-pt")) {
		if (!parse_uint(val, 127, &v) || !v)
			return EINVAL;
		m->wrong_pt = (int)v;
	}
	else if (!strcmp(key, "dtmf")) {
		for (v = 0; v < ARRAY_SIZE(dtmf); v++) {
			if (!strcmp(val, dtmf[v]))
				break;
		}
		if (v == ARRAY_SIZE(dtmf))
			return EINVAL;
		m->dtmf = (enum phone_dtmf_mode)v;
	}

	return 0;
}


/* "no-rtp,wrong-pt=96": the keys stay in argv (not copied) */
static int parse_media(char *s, struct phone_media_conf *m)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *val = strchr(tok, '=');
		const struct media_opt *o;

		if (val)
			*val++ = '\0';

		for (o = media_opts; o->key && strcmp(o->key, tok); o++)
			;
		if (!o->key || o->value != (val != NULL) ||
		    media_set(m, tok, val))
			return EINVAL;
	}

	return 0;
}


static int parse_answer(const char *s, struct phone_conf *conf)
{
	unsigned long v;

	if (!str_casecmp(s, "ignore") || !str_casecmp(s, "manual")) {
		conf->answer = PHONE_ANSWER_IGNORE;
	}
	else if (!str_casecmp(s, "auto")) {
		conf->answer = PHONE_ANSWER_AUTO;
	}
	else if (!strncmp(s, "auto:", 5)) {
		if (!parse_uint(s + 5, UINT32_MAX, &v))
			return EINVAL;
		conf->answer = PHONE_ANSWER_AUTO;
		conf->answer_delay = (uint32_t)v;
	}
	else if (!str_casecmp(s, "reject")) {
		conf->answer = PHONE_ANSWER_REJECT;
	}
	else if (!strncmp(s, "reject:", 7)) {
		if (!parse_uint(s + 7, 699, &v) || v < 300)
			return EINVAL;
		conf->answer = PHONE_ANSWER_REJECT;
		conf->reject_code = (uint16_t)v;
	}
	else {
		return EINVAL;
	}

	return 0;
}


/* TLS is ciphertext to the wire tap: the checker gets a TLS phone's
 * messages as the phone sent and read them */
static void wire_tls(const struct phone_event *ev)
{
	const struct sip_msg *m = ev->msg;

	if (!app.wire || !m || !m->mb || m->tp != SIP_TRANSP_TLS)
		return;

	if (ev->type == PHONE_EV_SENT || ev->type == PHONE_EV_RESPONSE ||
	    ev->type == PHONE_EV_RECEIVED)
		wire_feed_sip(app.wire, m->mb->buf, m->mb->end, &m->src,
			      &m->dst);
}


static void event_handler(struct phone *phone, const struct phone_event *ev,
			  void *arg)
{
	(void)arg;

	wire_tls(ev);

	switch (ev->type) {

	case PHONE_EV_SENT:
		if (app.verbose)
			print_msg(phone_name(phone), ev->retrans ?
				  "sent again to" : "sent to", &ev->msg->dst,
				  ev->msg);
		break;

	case PHONE_EV_RESPONSE:
		if (app.verbose)
			print_msg(phone_name(phone), "received from",
				  &ev->msg->src, ev->msg);
		break;

	case PHONE_EV_DONE:
		op_done(phone, ev);
		break;

	case PHONE_EV_RECEIVED:
		if (app.verbose)
			print_msg(phone_name(phone), "received from",
				  &ev->msg->src, ev->msg);
		break;

	default:
		call_event(phone, ev);
		break;
	}
}


static void start_more(void)
{
	while (app.started < app.n && app.pending < app.window) {
		struct phone *phone = app.phonev[app.started++];
		int err = phone_register(phone);

		if (err) {
			(void)re_printf("%s error: %m\n", phone_name(phone),
					err);
			++app.first_done;
			continue;
		}

		++app.pending;
	}
}


static void start_unregister(void)
{
	size_t i;

	app.stage = STAGE_UNREGISTER;
	app.quit_deadline = tmr_jiffies() + QUIT_WAIT_MS;

	for (i = 0; i < app.n; i++) {
		struct phone *phone = app.phonev[i];
		const enum phone_state st = phone_state(phone);
		int err;

		/* a pending register ends first, then the unregister goes */
		if (!phone_busy(phone) && st != PHONE_ST_REGISTERED)
			continue;

		err = phone_unregister(phone, false);
		if (err) {
			(void)re_printf("%s unregister error: %m\n",
					phone_name(phone), err);
			continue;
		}

		++app.pending;
	}
}


/* -v: what the protocol checker found since the last tick */
static void finding_print(const struct pc_finding *f, void *arg)
{
	size_t *i = arg;

	if ((*i)++ < app.findings_told)
		return;

	(void)re_fprintf(stderr, "sim-phone: protocol %s (%s): %s %s: "
			 "expected %s, got %s\n", f->row ? f->row->id : "?",
			 f->row ? f->row->ref : "?",
			 protocheck_role_name(f->role), f->element,
			 f->expected, f->actual);
	app.findings_told = *i;
}


static void findings_print(void)
{
	size_t i = 0;

	protocheck_apply(wire_checker(app.wire), finding_print, &i);
}


static void tick(void *arg)
{
	(void)arg;

	if (app.wire)
		findings_print();

	if (app.stage == STAGE_REGISTER && app.once &&
	    app.first_done == app.n && !app.pending)
		start_unregister();

	if (app.stage == STAGE_UNREGISTER &&
	    (!app.pending || tmr_jiffies() >= app.quit_deadline)) {
		re_cancel();
		return;
	}

	tmr_start(&app.tmr, POLL_MS, tick, NULL);
}


/* called from the loop (libre notes the signal, re_main calls this) */
static void signal_handler(int sig)
{
	(void)sig;

	/* a second signal: leave at once */
	if (app.stage == STAGE_UNREGISTER) {
		re_cancel();
		return;
	}

	start_unregister();
}


/* phones, app.share to a socket: the stacks live as long as their
 * phones (each holds a reference) */
static int phones_alloc(const struct phone_conf *base)
{
	struct phone_stack *ps = NULL;
	size_t i;
	int err = 0;

	for (i = 0; i < app.n; i++) {
		struct phone_conf conf = *base;

		if (app.share > 1 && i % app.share == 0) {
			ps = mem_deref(ps);
			err = phone_stack_alloc(&ps, base->tp, &base->laddr);
			if (err) {
				(void)re_fprintf(stderr, "sim-phone: socket for"
						 " %s: %m\n", app.userv[i],
						 err);
				break;
			}
		}

		conf.user  = app.userv[i];
		conf.stack = ps;
		err = phone_alloc(&app.phonev[i], &conf, event_handler, NULL);
		if (err) {
			(void)re_fprintf(stderr, "sim-phone: phone %s: %m\n",
					 conf.user, err);
			break;
		}
	}

	mem_deref(ps);

	return err;
}


static void app_close(void)
{
	size_t i;

	tmr_cancel(&app.tmr);

	for (i = 0; i < app.n; i++) {
		mem_deref(app.phonev ? app.phonev[i] : NULL);
		mem_deref(app.userv ? app.userv[i] : NULL);
	}

	mem_deref(app.phonev);
	mem_deref(app.userv);
}


static int parse_transport(const char *s, enum sip_transp *tp)
{
	if (!str_casecmp(s, "udp"))
		*tp = SIP_TRANSP_UDP;
	else if (!str_casecmp(s, "tcp"))
		*tp = SIP_TRANSP_TCP;
	else if (!str_casecmp(s, "tls"))
		*tp = SIP_TRANSP_TLS;
	else
		return EINVAL;

	return 0;
}


int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"registrar", required_argument, NULL, 'r'},
		{"transport", required_argument, NULL, 't'},
		{"domain",    required_argument, NULL, 'd'},
		{"user",      required_argument, NULL, 'u'},
		{"auth-user", required_argument, NULL, 'a'},
		{"password",  required_argument, NULL, 'p'},
		{"count",     required_argument, NULL, 'n'},
		{"expires",   required_argument, NULL, 'e'},
		{"local",     required_argument, NULL, 'l'},
		{"window",    required_argument, NULL, 'w'},
		{"share",     required_argument, NULL, 's'},
		{"answer",    required_argument, NULL, 'A'},
		{"tone",      required_argument, NULL, 'T'},
		{"media",     required_argument, NULL, 'M'},
		{"once",      no_argument,       NULL, 'o'},
		{"verbose",   no_argument,       NULL, 'v'},
		{"help",      no_argument,       NULL, 'h'},
		{"version",   no_argument,       NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *registrar = NULL, *user = NULL;
	struct phone_conf conf;
	unsigned long count = 0, v;
	int c, err, status;

	memset(&conf, 0, sizeof(conf));
	conf.answer = PHONE_ANSWER_IGNORE;
	app.window = DEFAULT_WINDOW;
	app.share  = 1;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {

		switch (c) {

		case 'r':
			registrar = optarg;
			break;

		case 't':
			if (parse_transport(optarg, &conf.tp))
				return bad_usage("bad --transport", optarg);
			break;

		case 'd':
			conf.domain = optarg;
			break;

		case 'u':
			user = optarg;
			break;

		case 'a':
			conf.auth_user = optarg;
			break;

		case 'p':
			conf.password = optarg;
			break;

		case 'n':
			if (!parse_uint(optarg, MAX_COUNT, &count) || !count)
				return bad_usage("bad --count", optarg);
			break;

		case 'e':
			if (!parse_uint(optarg, UINT32_MAX, &v) || !v)
				return bad_usage("bad --expires", optarg);
			conf.expires = (uint32_t)v;
			break;

		case 'l':
			if (sa_set_str(&conf.laddr, optarg, 0))
				return bad_usage("bad --local (an IP)",
						 optarg);
			break;

		case 'w':
			if (!parse_uint(optarg, MAX_COUNT, &v) || !v)
				return bad_usage("bad --window", optarg);
			app.window = v;
			break;

		case 's':
			if (!parse_uint(optarg, MAX_COUNT, &v) || !v)
				return bad_usage("bad --share", optarg);
			app.share = v;
			break;

		case 'A':
			if (parse_answer(optarg, &conf))
				return bad_usage("bad --answer (ignore, auto[:MS]"
						 ", reject[:CODE])", optarg);
			break;

		case 'T':
			if (!parse_uint(optarg, 3999, &v) || !v)
				return bad_usage("bad --tone (Hz)", optarg);
			conf.media.tone_hz = (uint32_t)v;
			break;

		case 'M':
			if (parse_media(optarg, &conf.media))
				return bad_usage("bad --media (no-rtp, nat, "
						 "nat-addr=IP, no-codec, "
						 "wrong-pt=N, send-on-hold, "
						 "no-rtcp, dtmf=rfc4733|inband|"
						 "info, dtmf-answer=DIGITS, "
						 "delayed-offer, ack-no-answer, "
						 "off, srtp)", optarg);
			break;

		case 'o':
			app.once = true;
			break;

		case 'v':
			app.verbose = true;
			break;

		case 'V':
			printf("sim-phone (sipconform) %s\n",
			       SIPCONFORM_VERSION);
			return 0;

		case 'h':
			usage(stdout);
			return 0;

		default:
			return bad_usage("bad arguments", NULL);
		}
	}

	if (optind < argc)
		return bad_usage("unexpected argument", argv[optind]);

	if (!registrar)
		return bad_usage("--registrar IP:PORT is required", NULL);

	if (sa_decode(&conf.registrar, registrar, strlen(registrar)) ||
	    !sa_port(&conf.registrar))
		return bad_usage("bad --registrar (IP:PORT)", registrar);

	if (!str_isset(conf.domain))
		return bad_usage("--domain is required", NULL);

	if (!str_isset(user))
		return bad_usage("--user is required", NULL);

	err = make_users(user, count);
	if (err) {
		app_close();
		return err == ENOMEM ? 1 : err;
	}

	err = libre_init();
	if (!err)
		err = tmrheap_check();      /* libre's timers on our heap */
	if (!err)
		err = fastrand_check();   /* rand_u64 without OpenSSL per call */
	if (err) {
		(void)re_fprintf(stderr, "sim-phone: libre_init: %m\n", err);
		app_close();
		return 1;
	}

	/* refreshes and retries keep the window of the first REGISTERs
	 * (phone_pace.c) */
	phone_pace_set((unsigned)app.window);

	/* before any socket: sizes libre's descriptor table */
	err = phone_global_init((unsigned)((app.n + app.share - 1) /
					   app.share));
	if (err) {
		(void)re_fprintf(stderr, "sim-phone: %zu phones, %zu to a "
				 "socket: %m (raise the open files limit, or"
				 " --share more)\n", app.n, app.share, err);
		status = 1;
		goto out;
	}

	/* -v: every message on the wire through the protocol checker;
	 * the registrar is the element under test */
	if (app.verbose) {
		err = wire_alloc(&app.wire, NULL, NULL, NULL);
		if (!err)
			err = wire_name(app.wire, &conf.registrar, "registrar",
					PC_ROLE_UNDER_TEST, false, NULL);
		if (err) {
			(void)re_fprintf(stderr, "sim-phone: wire: %m\n", err);
			status = 1;
			goto out;
		}
	}

	err = phones_alloc(&conf);
	if (err) {
		status = 1;
		goto out;
	}

	for (size_t i = 0; app.wire && i < app.n; i++) {
		const struct sa *la = phone_laddr(app.phonev[i]);

		if (la)
			(void)wire_name(app.wire, la, app.userv[i],
					PC_ROLE_SIMPHONE, false, NULL);
	}

	start_more();
	tmr_start(&app.tmr, POLL_MS, tick, NULL);

	err = re_main(signal_handler);
	if (err)
		(void)re_fprintf(stderr, "sim-phone: re_main: %m\n", err);

	if (app.once)
		status = app.first_ok == app.n ? 0 : 1;
	else
		status = err ? 1 : 0;

	if (app.wire) {
		wire_finish(app.wire);
		findings_print();
		(void)re_fprintf(stderr, "sim-phone: protocol checker: %zu SIP "
				 "messages, %zu finding(s)\n",
				 wire_sip_count(app.wire),
				 protocheck_count(wire_checker(app.wire)));
	}

 out:
	app.wire = mem_deref(app.wire);
	app_close();
	libre_close();

	return status;
}
