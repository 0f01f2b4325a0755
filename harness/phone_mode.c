/**
 * @file phone_mode.c  `harness phone`: judge a real phone against the
 * service's rules (phone_mode.h, ../scenarios/phone/README.md).
 *
 * One in-process sim-registrar plays the service on --listen; its trace
 * handler feeds every SIP message to the judge (judge.h) and to the
 * report's message list; its actions (actions.h) shape the answers to the
 * phone's REGISTERs; its B2BUA dials the phone.  Everything runs in real
 * time: the registrar grants at most --grant-cap seconds (60), so every
 * refresh comes round within a minute.
 */

#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <re.h>
#include "tmrheap.h"
#include "ytree.h"
#include "textfile.h"
#include "config.h"
#include "location.h"
#include "actions.h"
#include "sim_registrar.h"
#include "phone.h"
#include "scenario.h"
#include "runner.h"
#include "report.h"
#include "guide.h"
#include "judge.h"
#include "phone_mode.h"
#include "datadir.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INFRA = 3 };

enum {
	DEFAULT_REGISTER_S = 120,
	DEFAULT_GRANT_CAP  = 60,
	DEFAULT_OPERATOR_S = 60,
	QUICK_MS           = 10000,   /* an immediate retry may take this   */
	CALL_ANSWER_MS     = 10000,   /* auto-answer: the 2xx comes by then */
	CALL_END_MS        = 5000,
	PROBE_MS           = 5000,
	REFER_WATCH_MS     = 10000,
};

static const char usage[] =
	"usage: harness phone --aor USER@DOMAIN --password PW\n"
	"                     [--listen IP:PORT] [--report DIR] [--auto-answer]"
	"\n"
	"                     [--register-timeout S] [--operator-timeout S]\n"
	"                     [--grant-cap S] [--config FILE] [-v] [PACK...]\n"
	"\n"
	"  plays the hosted service for a real phone and judges it by the\n"
	"  P-* rules (docs/rules/phone.md), one step of the phone\n"
	"  pack (default scenarios/phone/) per rule, in real time\n"
	"\n"
	"  --aor USER@DOMAIN       the account the phone registers\n"
	"  --password PW           its password\n"
	"  --listen IP:PORT        where the registrar listens (UDP and TCP;\n"
	"                          default 127.0.0.1:5060)\n"
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
	"exit status: 0 no rule failed, 1 some rule failed, 2 bad usage or\n"
	"             pack, 3 the infrastructure failed or no phone came\n";

struct pm_opts {
	char user[96];
	char domain[160];
	const char *password;
	struct sa listen;
	const char *report_dir;
	const char *config;
	bool auto_answer;
	bool verbose;
	uint64_t register_ms;
	uint64_t operator_ms;
	uint32_t grant_cap;
};

/* what one step ended with, for the summary and the report */
struct pm_result {
	const struct pstep *st;
	struct jverdict v;
	uint64_t wall_start_us;
	uint64_t real_ms;
	size_t msg_from, msg_to;
};

struct pm {
	struct pm_opts o;
	struct sim_registrar *sr;
	struct reg_actions *ra;
	struct judge *judge;
	struct tmr wake;
	bool interrupted;
	bool enter;                 /* the operator pressed Enter         */
	bool stdin_watch;
	/* messages for the report */
	struct run_msg *msgv;
	size_t msgc, msgcap;
	/* the simulated second phone */
	struct phone *second;
	struct sa second_addr;
	bool second_done;
	uint16_t second_scode;
	/* the registrar's call to the phone */
	char sid[48];
	enum call_state call_state;
	bool call_seen;
	char answered_by[256];
	long last_call;             /* judge call index; -1 none          */
	/* probes */
	unsigned probes_pending;
	/* the grant cap, and a reply armed ahead for the next step */
	uint32_t cap_id;
	uint32_t cap;
	const struct pstep *next;
	const struct pstep *prearmed;
	uint32_t prearmed_id;
	size_t prearmed_start;
	/* results */
	struct pm_result *resv;
	size_t resc;
};


/* ------------------------------------------------------------ pack */

static void pstep_destructor(void *data)
{
	struct pstep *st = data;

	mem_deref(st->file);
	mem_deref(st->name);
	mem_deref(st->description);
	mem_deref(st->rule);
	mem_deref(st->from);
	mem_deref(st->to);
	mem_deref(st->prompt);
}


static int dup_str(struct ydoc *doc, const struct ynode *n, char **out)
{
	const char *s;
	int err;

	if (!n)
		return 0;

	err = ynode_str(doc, n, &s);
	if (err)
		return err;

	return str_dup(out, s);
}


static int load_reply(struct ydoc *doc, const struct ynode *n,
		      struct pstep *st)
{
	static const char *const keys[] = {"grant", "code", "min_expires",
					   "retry_after", "stale", "hold",
					   NULL};
	const struct ynode *k;
	int err = 0;

	if (ynode_expect(doc, n, YNODE_MAP, "reply"))
		return EINVAL;

	err |= ynode_check_keys(doc, n, keys);
	st->has_reply = true;

	k = ynode_get(n, "grant");
	if (k && k->type == YNODE_SCALAR && k->val &&
	    !strcmp(k->val, "half"))
		st->grant_half = true;
	else if (k && ynode_u32(doc, k, &st->grant))
		err |= EINVAL;
	else if (k && !st->grant)
		err |= ydoc_errorf(doc, k, "grant: a number of seconds "
				   "above 0, or half");

	k = ynode_get(n, "code");
	if (k) {
		uint32_t c = 0;

		if (ynode_u32(doc, k, &c))
			err |= EINVAL;
		else if (c != 403 && c != 423 && c != 503)
			err |= ydoc_errorf(doc, k, "code: 403, 423 or 503");
		st->code = (uint16_t)c;
	}

	k = ynode_get(n, "min_expires");
	if (k && ynode_u32(doc, k, &st->min_expires))
		err |= EINVAL;
	k = ynode_get(n, "retry_after");
	if (k && ynode_u32(doc, k, &st->retry_after))
		err |= EINVAL;
	k = ynode_get(n, "stale");
	if (k && ynode_bool(doc, k, &st->stale))
		err |= EINVAL;
	k = ynode_get(n, "hold");
	if (k && ynode_duration_ms(doc, k, &st->hold_ms))
		err |= EINVAL;

	if (st->code == 423 && !st->min_expires)
		err |= ydoc_errorf(doc, n, "code 423 needs min_expires");

	return err ? EINVAL : 0;
}


static int load_call(struct ydoc *doc, const struct ynode *n,
		     struct pstep *st)
{
	static const char *const keys[] = {"from", "to", "fork", "talk",
					   "previous", NULL};
	const struct ynode *k;
	int err = 0;

	if (ynode_expect(doc, n, YNODE_MAP, "call"))
		return EINVAL;

	err |= ynode_check_keys(doc, n, keys);
	st->call = true;
	err |= dup_str(doc, ynode_get(n, "from"), &st->from);
	err |= dup_str(doc, ynode_get(n, "to"), &st->to);
	k = ynode_get(n, "fork");
	if (k && ynode_bool(doc, k, &st->fork))
		err |= EINVAL;
	k = ynode_get(n, "previous");
	if (k && ynode_bool(doc, k, &st->call_previous))
		err |= EINVAL;
	k = ynode_get(n, "talk");
	if (k && ynode_duration_ms(doc, k, &st->talk_ms))
		err |= EINVAL;

	return err ? EINVAL : 0;
}


static int load_send(struct ydoc *doc, const struct ynode *n,
		     struct pstep *st)
{
	int err = 0;

	if (ynode_expect(doc, n, YNODE_SEQ, "send"))
		return EINVAL;

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *it = ynode_item(n, i);
		const char *s;

		if (ynode_str(doc, it, &s)) {
			err = EINVAL;
			continue;
		}

		if (!strcmp(s, "unknown"))
			st->send_unknown = true;
		else if (!strcmp(s, "unsupported"))
			st->send_unsupported = true;
		else if (!strcmp(s, "require"))
			st->send_require = true;
		else
			err |= ydoc_errorf(doc, it, "send: unknown, "
					   "unsupported or require");
	}

	return err ? EINVAL : 0;
}


int pstep_load(struct pstep **stp, struct ydoc **docp, const char *path)
{
	static const char *const keys[] = {"rule", "name", "description",
					   "reply", "within", "window",
					   "grant_cap", "call", "send",
					   "operator", NULL};
	const struct ynode *root, *k;
	struct ydoc *doc = NULL;
	struct pstep *st;
	int err;

	if (!stp || !docp || !path)
		return EINVAL;

	err = ydoc_load_file(&doc, path);
	*docp = doc;
	if (err)
		return err;

	root = ydoc_root(doc);
	if (!root || ynode_expect(doc, root, YNODE_MAP, "a phone step"))
		return EINVAL;

	st = mem_zalloc(sizeof(*st), pstep_destructor);
	if (!st)
		return ENOMEM;

	err = ynode_check_keys(doc, root, keys);
	err |= str_dup(&st->file, path);

	k = ynode_get(root, "rule");
	if (!k)
		err |= ydoc_errorf(doc, root, "rule: required (a P-* ID)");
	else if (!dup_str(doc, k, &st->rule) && !prule_find(st->rule))
		err |= ydoc_errorf(doc, k, "unknown rule '%s' (phone-rules.md"
				   " P-* IDs)", st->rule);

	k = ynode_get(root, "name");
	if (!k)
		err |= ydoc_errorf(doc, root, "name: required");
	else
		err |= dup_str(doc, k, &st->name);
	err |= dup_str(doc, ynode_get(root, "description"),
		       &st->description);
	err |= dup_str(doc, ynode_get(root, "operator"), &st->prompt);

	k = ynode_get(root, "reply");
	if (k)
		err |= load_reply(doc, k, st);
	k = ynode_get(root, "call");
	if (k)
		err |= load_call(doc, k, st);
	k = ynode_get(root, "send");
	if (k)
		err |= load_send(doc, k, st);
	k = ynode_get(root, "within");
	if (k && ynode_duration_ms(doc, k, &st->within_ms))
		err |= EINVAL;
	k = ynode_get(root, "window");
	if (k && ynode_duration_ms(doc, k, &st->window_ms))
		err |= EINVAL;
	k = ynode_get(root, "grant_cap");
	if (k && ynode_u32(doc, k, &st->grant_cap))
		err |= EINVAL;
	else if (k && st->grant_cap < 20)
		err |= ydoc_errorf(doc, k, "grant_cap: at least 20 seconds");

	if (err || ydoc_errorc(doc)) {
		mem_deref(st);
		return EINVAL;
	}

	*stp = st;

	return 0;
}


static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}


static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}


static void filev_destructor(void *data)
{
	char **v = data;

	for (size_t i = 0; v[i]; i++)
		mem_deref(v[i]);
}


int phone_pack_collect(const char *const *paths, size_t n, char ***filevp,
		       size_t *filecp)
{
	char **v = NULL;
	size_t c = 0, cap = 0;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		DIR *d = opendir(paths[i]);
		size_t first = c;
		struct dirent *de;

		if (!d) {
			/* a file as given */
			char *s = NULL;

			if (c + 2 > cap) {
				cap = cap ? cap * 2 : 32;
				v = realloc(v, cap * sizeof(*v));
				if (!v)
					return ENOMEM;
			}
			err = str_dup(&s, paths[i]);
			v[c++] = s;
			continue;
		}

		while ((de = readdir(d)) && !err) {
			char *s = NULL;

			if (de->d_name[0] == '.' ||
			    !ends_with(de->d_name, ".phone"))
				continue;
			if (c + 2 > cap) {
				cap = cap ? cap * 2 : 32;
				v = realloc(v, cap * sizeof(*v));
				if (!v) {
					closedir(d);
					return ENOMEM;
				}
			}
			err = re_sdprintf(&s, "%s%s%s", paths[i],
					  ends_with(paths[i], "/") ? "" : "/",
					  de->d_name);
			v[c++] = s;
		}
		closedir(d);

		qsort(v + first, c - first, sizeof(*v), path_cmp);
	}

	if (!err) {
		char **mv = mem_zalloc((c + 1) * sizeof(*mv),
				       filev_destructor);

		if (!mv)
			err = ENOMEM;
		else {
			for (size_t i = 0; i < c; i++)
				mv[i] = v[i];
			*filevp = mv;
			*filecp = c;
			free(v);
			return 0;
		}
	}

	for (size_t i = 0; i < c; i++)
		mem_deref(v[i]);
	free(v);

	return err;
}


/* ------------------------------------------------------------ the loop */

static void wake_h(void *arg)
{
	(void)arg;
	re_cancel();
}


typedef bool (pm_pred)(struct pm *pm, void *arg);

/* runs the loop until pred holds (true) or ms pass (false) */
static bool wait_until(struct pm *pm, pm_pred *pred, void *arg, uint64_t ms)
{
	uint64_t end = tmr_jiffies() + ms;

	for (;;) {
		uint64_t now;

		if (pred && pred(pm, arg))
			return true;
		if (pm->interrupted || pm->enter)
			return false;

		now = tmr_jiffies();
		if (now >= end)
			return false;

		tmr_start(&pm->wake, end - now, wake_h, pm);
		re_main(NULL);
		tmr_cancel(&pm->wake);
	}
}


static void pause_ms(struct pm *pm, uint64_t ms)
{
	bool enter = pm->enter;

	pm->enter = false;
	(void)wait_until(pm, NULL, NULL, ms);
	pm->enter = enter;
}


static void stdin_h(int flags, void *arg)
{
	struct pm *pm = arg;
	char buf[256];
	ssize_t n;
	(void)flags;

	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n <= 0) {
		fd_close(STDIN_FILENO);
		pm->stdin_watch = false;
		return;
	}

	if (memchr(buf, '\n', (size_t)n)) {
		pm->enter = true;
		re_cancel();
	}
}


static struct pm *g_pm;

static void on_signal(int sig)
{
	(void)sig;

	if (g_pm)
		g_pm->interrupted = true;
	re_cancel();
}


/* ------------------------------------------------------------ events */

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);

	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}


static void record(struct pm *pm, bool tx, int tp, const struct sa *src,
		   const struct sa *dst, const uint8_t *pkt, size_t len)
{
	struct run_msg *m;
	const uint8_t *eol;
	bool second;

	if (pm->msgc >= RUN_MSG_MAX)
		return;

	if (pm->msgc >= pm->msgcap) {
		size_t c = pm->msgcap ? pm->msgcap * 2 : 256;
		/* libre 1.1.0's mem_realloc(NULL, n) returns NULL */
		void *nv = pm->msgv ? mem_realloc(pm->msgv, c * sizeof(*m)) :
			mem_alloc(c * sizeof(*m), NULL);

		if (!nv)
			return;
		pm->msgv = nv;
		pm->msgcap = c;
	}

	second = sa_isset(&pm->second_addr, SA_ALL) &&
		sa_cmp(&pm->second_addr, tx ? dst : src, SA_ALL);

	m = &pm->msgv[pm->msgc];
	memset(m, 0, sizeof(*m));
	m->wall_us = wall_us();
	m->phone = second ? "second-phone" : "phone";
	m->from_phone = !tx;
	m->src = *src;
	m->dst = *dst;
	m->tp = tp;
	m->line = 1;

	if (re_sdprintf(&m->text, "%b", pkt, len))
		return;

	eol = memchr(pkt, '\r', len);
	if (!eol)
		eol = pkt + len;

	if (len > 8 && !memcmp(pkt, "SIP/2.0 ", 8))
		(void)re_sdprintf(&m->summary, "%b", pkt + 8,
				  (size_t)(eol - pkt) - 8);
	else {
		const uint8_t *sp = memchr(pkt, ' ', (size_t)(eol - pkt));

		(void)re_sdprintf(&m->summary, "%b", pkt,
				  (size_t)((sp ? sp : eol) - pkt));
	}

	pm->msgc++;
}


static void trace_h(bool tx, int tp, const struct sa *src,
		    const struct sa *dst, const uint8_t *pkt, size_t len,
		    void *arg)
{
	struct pm *pm = arg;

	judge_trace(pm->judge, tx, tp, src, dst, pkt, len);
	record(pm, tx, tp, src, dst, pkt, len);

	if (pm->o.verbose)
		(void)re_fprintf(stderr, "---- %s %J -> %J\n%b\n", tx ?
				 "sent" : "received", src, dst, pkt, len);

	re_cancel();
}


static void on_decision(const struct decision *d, void *arg)
{
	struct pm *pm = arg;

	if (pm->o.verbose)
		(void)re_fprintf(stderr, "    registrar: %H\n", decision_print,
				 d);
}


static void on_guard(uint16_t scode, const char *reason, const char *detail,
		    const struct sa *src, const char *transport,
		    const char *method, void *arg)
{
	struct pm *pm = arg;
	(void)reason;

	if (pm->o.verbose)
		(void)re_fprintf(stderr, "    registrar: %u %s from %J/%s: "
				 "%s\n", scode, method, src, transport,
				 detail);
}


static void call_h(const struct call_info *ci, void *arg)
{
	struct pm *pm = arg;

	if (!ci || strcmp(ci->sid, pm->sid))
		return;

	pm->call_state = ci->state;
	pm->call_seen = true;
	if (ci->answered_by)
		str_ncpy(pm->answered_by, ci->answered_by,
			 sizeof(pm->answered_by));

	re_cancel();
}


static void second_h(struct phone *phone, const struct phone_event *ev,
		     void *arg)
{
	struct pm *pm = arg;
	(void)phone;

	if (ev->type == PHONE_EV_DONE) {
		pm->second_done = true;
		pm->second_scode = ev->scode;
		re_cancel();
	}
}


/* ------------------------------------------------------------ helpers */

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)re_vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
}


static bool first_ok(struct pm *pm, void *arg)
{
	(void)arg;

	return judge_first_ok(pm->judge) != NULL;
}


/* an authenticated REGISTER at index >= *start got its final response */
static long trigger_index(struct pm *pm, size_t start)
{
	for (size_t k = start; k < judge_regc(pm->judge); k++) {
		const struct jreg *r = judge_reg(pm->judge, k);

		if (r->creds && r->scode && r->has_contact && !r->removal)
			return (long)k;
	}

	return -1;
}


static bool triggered(struct pm *pm, void *arg)
{
	return trigger_index(pm, *(size_t *)arg) >= 0;
}


/* the latest REGISTER before index `before` that matches */
static long last_with(struct pm *pm, size_t before, uint16_t scode,
		      bool stale)
{
	for (size_t k = before; k-- > 0;) {
		const struct jreg *r = judge_reg(pm->judge, k);

		if (stale ? r->stale : r->scode == scode)
			return (long)k;
	}

	return -1;
}


static long first_with(struct pm *pm, size_t from, uint16_t scode)
{
	for (size_t k = from; k < judge_regc(pm->judge); k++) {
		if (judge_reg(pm->judge, k)->scode == scode)
			return (long)k;
	}

	return -1;
}


/* seconds the last 2xx granted (the cap when none yet) */
static uint32_t last_granted(struct pm *pm)
{
	long ok = judge_last_ok(pm->judge, judge_regc(pm->judge));
	const struct jreg *r = judge_reg(pm->judge, ok >= 0 ? (size_t)ok :
					 SIZE_MAX);

	return r && r->granted > 0 ? (uint32_t)r->granted : pm->cap;
}


static bool registered(struct pm *pm)
{
	char aor[300];

	(void)re_snprintf(aor, sizeof(aor), "%s@%s", pm->o.user,
			  pm->o.domain);
	for (char *p = aor; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	location_purge(sim_registrar_location(pm->sr));

	return location_count_aor(sim_registrar_location(pm->sr), aor) > 0;
}


static int arm(struct pm *pm, const struct pstep *st, uint32_t *idp)
{
	struct reg_action a;
	const struct jreg *first = judge_first_ok(pm->judge);

	memset(&a, 0, sizeof(a));
	(void)re_snprintf(a.aor, sizeof(a.aor), "%s@%s", pm->o.user,
			  pm->o.domain);
	a.count = 1;

	if (st->stale) {
		a.type = REG_ACTION_STALE;
	}
	else if (st->code) {
		a.type = REG_ACTION_REPLY;
		a.code = st->code;
		a.value = st->code == 423 ? st->min_expires :
			st->code == 503 ? st->retry_after : 0;
		/* a 423 asks for more than the phone asked */
		if (st->code == 423 && first && first->asked >= 0 &&
		    a.value <= (uint32_t)first->asked)
			a.value = (uint32_t)first->asked * 2;
		if (st->code == 403)
			a.count = 0;        /* every attempt in the window */
	}
	else if (st->hold_ms) {
		a.type = REG_ACTION_HOLD;
		a.value = (uint32_t)st->hold_ms;
	}
	else if (st->grant || st->grant_half) {
		uint32_t base = pm->cap;

		if (first && first->asked > 0 &&
		    (uint32_t)first->asked < base)
			base = (uint32_t)first->asked;
		a.type = REG_ACTION_GRANT;
		a.value = st->grant_half ? base / 2 : st->grant;
		if (a.value < 10)
			a.value = 10;
	}
	else
		return 0;

	return reg_actions_add(pm->ra, &a, idp);
}


static void disarm(struct pm *pm, uint32_t id)
{
	if (id)
		(void)reg_actions_remove(pm->ra, id);
}


/* ------------------------------------------------------- registration */

static void step_capture(struct pm *pm, const struct pstep *st,
			 struct jverdict *v)
{
	const char *r = st->rule;

	if (!strcmp(r, "P-REG-URI"))
		judge_reg_uri(pm->judge, v);
	else if (!strcmp(r, "P-REG-HOST"))
		judge_reg_host(pm->judge, v);
	else if (!strcmp(r, "P-REG-AUTHID"))
		judge_reg_authid(pm->judge, v);
	else if (!strcmp(r, "P-REG-EXPIRY"))
		judge_reg_expiry(pm->judge, v);
	else if (!strcmp(r, "P-REG-NAT"))
		judge_reg_nat(pm->judge, v);
	else if (!strcmp(r, "P-REG-CALLID"))
		judge_reg_callid(pm->judge, v);
}


struct after {
	long i;
	uint64_t until;
};


/* a REGISTER after the final response of index i got its own final */
static bool answered_after(struct pm *pm, void *arg)
{
	const struct after *a = arg;
	const struct jreg *r = judge_reg(pm->judge, (size_t)a->i);

	for (size_t k = (size_t)a->i + 1; r && k < judge_regc(pm->judge);
	     k++) {
		const struct jreg *n = judge_reg(pm->judge, k);

		if (n->t >= r->final_t && n->scode)
			return true;
	}

	return false;
}


struct tries {
	long i;
	unsigned max;
};


static bool many_tries(struct pm *pm, void *arg)
{
	const struct tries *t = arg;
	const struct jreg *r = judge_reg(pm->judge, (size_t)t->i);
	unsigned n = 0;

	for (size_t k = (size_t)t->i + 1; r && k < judge_regc(pm->judge);
	     k++) {
		const struct jreg *q = judge_reg(pm->judge, k);

		if (q->t >= r->final_t && q->scode != 401 && q->scode != 407)
			n++;
	}

	return n >= t->max;
}


static void step_register(struct pm *pm, const struct pstep *st,
			  struct jverdict *v)
{
	const char *rule = st->rule;
	size_t start = judge_regc(pm->judge);
	uint64_t within = st->within_ms;
	uint32_t id = 0;
	long ok, next;
	int err;

	if (!within) {
		if (!strcmp(rule, "P-REG-423") ||
		    !strcmp(rule, "P-REG-STALE"))
			within = QUICK_MS;
		else
			within = (uint64_t)last_granted(pm) * 1000 + 15000 +
				st->hold_ms;
	}

	/* the previous step may have armed this one's reply already */
	if (pm->prearmed == st) {
		start = pm->prearmed_start;
		id = pm->prearmed_id;
		err = 0;
		pm->prearmed = NULL;
	}
	else
		err = arm(pm, st, &id);

	ok = judge_last_ok(pm->judge, start);

	if (err) {
		jverdict_set(v, rule, JV_SKIP, "could not arm the registrar: "
			     "%m", err);
		return;
	}

	(void)wait_until(pm, triggered, &start, within);

	if (!strcmp(rule, "P-REG-REFRESH") ||
	    !strcmp(rule, "P-REG-SHORTENED")) {
		next = -1;
		for (size_t k = start; k < judge_regc(pm->judge); k++) {
			next = (long)k;
			break;
		}
		disarm(pm, id);
		judge_reg_refresh(pm->judge, ok, next, tmr_jiffies(),
				  !strcmp(rule, "P-REG-SHORTENED"), v);
		return;
	}

	if (!strcmp(rule, "P-REG-423")) {
		disarm(pm, id);
		judge_reg_423(pm->judge, last_with(pm, start, 423, false), -1,
			      v);
		return;
	}

	if (!strcmp(rule, "P-REG-STALE")) {
		disarm(pm, id);
		judge_reg_stale(pm->judge, last_with(pm, start, 0, true), -1,
				v);
		return;
	}

	if (!strcmp(rule, "P-REG-OVERLAP")) {
		disarm(pm, id);
		pause_ms(pm, 1000);      /* a late second REGISTER */
		judge_reg_overlap(pm->judge, start, judge_regc(pm->judge), v);
		return;
	}

	if (!strcmp(rule, "P-REG-503")) {
		struct after a;
		uint64_t window;

		disarm(pm, id);
		a.i = first_with(pm, start, 503);

		/* the retry is what the next step's reply is for (say a 403):
		 * arm it now, so that the retry after Retry-After gets it */
		if (a.i >= 0 && pm->next && pm->next->has_reply &&
		    !strncmp(pm->next->rule, "P-REG-", 6)) {
			pm->prearmed_start = judge_regc(pm->judge);
			if (!arm(pm, pm->next, &pm->prearmed_id))
				pm->prearmed = pm->next;
		}

		if (a.i < 0) {
			judge_reg_503(pm->judge, -1, tmr_jiffies(), v);
			return;
		}
		window = (uint64_t)judge_reg(pm->judge, (size_t)a.i)->
			retry_after * 1000 +
			(st->window_ms ? st->window_ms : 30000);
		say("    503 sent; watching %u s for the retry\n",
		    (unsigned)(window / 1000));
		(void)wait_until(pm, answered_after, &a, window);
		judge_reg_503(pm->judge, a.i, tmr_jiffies(), v);
		return;
	}

	if (!strcmp(rule, "P-REG-403")) {
		struct tries t;
		uint64_t window = st->window_ms ? st->window_ms : 60000;

		t.i = first_with(pm, start, 403);
		if (t.i < 0) {
			disarm(pm, id);
			judge_reg_403(pm->judge, -1, window, tmr_jiffies(), v);
			return;
		}
		t.max = 4;
		say("    403 sent; counting the retries for %u s\n",
		    (unsigned)(window / 1000));
		(void)wait_until(pm, many_tries, &t, window);
		disarm(pm, id);
		judge_reg_403(pm->judge, t.i, window,
			      judge_reg(pm->judge, (size_t)t.i)->final_t +
			      window, v);
		return;
	}

	disarm(pm, id);
	jverdict_set(v, rule, JV_SKIP, "no judge for this rule in a "
		     "registration step");
}


/* ------------------------------------------------------------ calls */

static bool call_settled(struct pm *pm, void *arg)
{
	(void)arg;

	return pm->call_seen && pm->call_state >= CALL_ANSWERED;
}


static bool call_ended(struct pm *pm, void *arg)
{
	(void)arg;

	return pm->call_seen && pm->call_state == CALL_ENDED;
}


static bool second_done(struct pm *pm, void *arg)
{
	(void)arg;

	return pm->second_done;
}


static int second_start(struct pm *pm)
{
	struct phone_conf conf;
	int err;

	memset(&conf, 0, sizeof(conf));
	conf.name = "second-phone";
	conf.user = pm->o.user;
	conf.domain = pm->o.domain;
	conf.password = pm->o.password;
	conf.registrar = pm->o.listen;
	conf.tp = SIP_TRANSP_UDP;
	conf.expires = 60;
	conf.refresh = PHONE_REFRESH_NONE;
	conf.answer = PHONE_ANSWER_AUTO;
	conf.answer_delay = 0;

	err = phone_alloc(&pm->second, &conf, second_h, pm);
	if (err)
		return err;

	pm->second_addr = *phone_laddr(pm->second);
	judge_ignore(pm->judge, &pm->second_addr);

	pm->second_done = false;
	err = phone_register(pm->second);
	if (err)
		return err;

	if (!wait_until(pm, second_done, NULL, 5000) ||
	    pm->second_scode != 200)
		return EPROTO;

	return 0;
}


static void second_stop(struct pm *pm)
{
	if (!pm->second)
		return;

	pm->second_done = false;
	if (!phone_unregister(pm->second, false))
		(void)wait_until(pm, second_done, NULL, 3000);

	pm->second = mem_deref(pm->second);
}


/* the registrar dials the phone: returns the judge's call index, -1 */
static long place_call(struct pm *pm, const struct pstep *st, bool keep_up,
		       const char **skip)
{
	const char *from = st->from ? st->from : "+14155550100";
	const char *to = st->to ? st->to : "+14155550199";
	size_t callc0 = judge_callc(pm->judge);
	uint64_t answer_ms;
	int err;

	*skip = NULL;

	if (!registered(pm)) {
		*skip = "the phone is not registered";
		return -1;
	}

	if (st->fork) {
		err = second_start(pm);
		if (err) {
			second_stop(pm);
			*skip = "the simulated second phone could not "
				"register";
			return -1;
		}
	}

	/* an auto-answering phone must ring this time: ask for it */
	if (st->fork && st->prompt && pm->o.auto_answer &&
	    pm->o.operator_ms) {
		say(">>> OPERATOR: %s (Enter: done; 5 s)\n", st->prompt);
		pm->enter = false;
		(void)wait_until(pm, NULL, NULL, 5000);
		pm->enter = false;
	}

	pm->call_seen = false;
	pm->call_state = CALL_TRYING;
	pm->answered_by[0] = '\0';
	err = sim_registrar_call(pm->sr, from, to, call_h, pm, pm->sid,
				 sizeof(pm->sid));
	if (err) {
		second_stop(pm);
		*skip = "the registrar could not place the call (is `to` one "
			"of its numbers?)";
		return -1;
	}

	if (pm->o.auto_answer || st->fork)
		answer_ms = CALL_ANSWER_MS;
	else if (pm->o.operator_ms) {
		say(">>> OPERATOR: answer the call ringing on the phone "
		    "(Enter: it cannot; %u s)\n",
		    (unsigned)(pm->o.operator_ms / 1000));
		answer_ms = pm->o.operator_ms;
	}
	else
		answer_ms = 5000;   /* let it ring, then hang up: CANCEL */

	pm->enter = false;
	(void)wait_until(pm, call_settled, NULL, answer_ms);
	pm->enter = false;

	if (pm->call_state == CALL_ANSWERED && !keep_up) {
		pause_ms(pm, st->talk_ms ? st->talk_ms : 2000);
		(void)sim_registrar_hangup(pm->sr, pm->sid);
	}
	else if (pm->call_state < CALL_ANSWERED)
		(void)sim_registrar_hangup(pm->sr, pm->sid);

	if (!keep_up || pm->call_state != CALL_ANSWERED) {
		(void)wait_until(pm, call_ended, NULL, CALL_END_MS);
		pause_ms(pm, 1000);     /* the phone's last answers */
	}

	if (st->fork)
		second_stop(pm);

	return judge_callc(pm->judge) > callc0 ? (long)callc0 : -1;
}


static void step_call(struct pm *pm, const struct pstep *st,
		      struct jverdict *v)
{
	const char *rule = st->rule;
	const struct jcall *c;
	const char *skip = NULL;
	bool other;

	if (st->call && !st->call_previous)
		pm->last_call = place_call(pm, st, false, &skip);

	c = pm->last_call >= 0 ? judge_call(pm->judge,
					    (size_t)pm->last_call) : NULL;

	if (!c && skip) {
		jverdict_set(v, rule, JV_SKIP, "%s", skip);
		return;
	}

	other = pm->answered_by[0] && !strstr(pm->answered_by, "second");
	if (st->fork || (c && c->cancel_t))
		other = pm->answered_by[0] != '\0';

	if (!strcmp(rule, "P-CALL-RING"))
		judge_call_ring(c, v);
	else if (!strcmp(rule, "P-CALL-ANSWER"))
		judge_call_answer(c, pm->o.auto_answer, v);
	else if (!strcmp(rule, "P-CALL-BYE"))
		judge_call_bye(c, v);
	else if (!strcmp(rule, "P-CALL-CANCEL"))
		judge_call_cancel(c, v);
	else if (!strcmp(rule, "P-CALL-FORKED"))
		judge_call_forked(c, other, v);
	else
		jverdict_set(v, rule, JV_SKIP, "no judge for this rule in a "
			     "call step");
}


/* ------------------------------------------------------------ probes */

static void probe_resp(int err, const struct sip_msg *msg, void *arg)
{
	struct pm *pm = arg;
	(void)err;

	if (msg && msg->scode < 200)
		return;

	if (pm->probes_pending)
		pm->probes_pending--;
	re_cancel();
}


static bool probes_done(struct pm *pm, void *arg)
{
	(void)arg;

	return !pm->probes_pending;
}


static int probe(struct pm *pm, struct sip_request **reqp, const char *uri,
		 const char *met, const char *label, const char *extra)
{
	char callid[40], tag[20];
	int err;

	rand_str(callid, sizeof(callid));
	rand_str(tag, sizeof(tag));

	err = judge_probe_add(pm->judge, met, label, callid);
	if (err)
		return err;

	err = sip_requestf(reqp, sim_registrar_sip(pm->sr), true, met, uri,
			   NULL, NULL, NULL, probe_resp, pm,
			   "To: <sip:%s@%s>\r\n"
			   "From: <sip:sipconform@%s>;tag=%s\r\n"
			   "Call-ID: %s\r\n"
			   "CSeq: 1 %s\r\n"
			   "Max-Forwards: 70\r\n"
			   "%s"
			   "Content-Length: 0\r\n\r\n",
			   pm->o.user, pm->o.domain, pm->o.domain, tag,
			   callid, met, extra);
	if (!err)
		pm->probes_pending++;

	return err;
}


static void step_method(struct pm *pm, const struct pstep *st,
			struct jverdict *v)
{
	long ok = judge_last_ok(pm->judge, judge_regc(pm->judge));
	const struct jreg *r = judge_reg(pm->judge, ok >= 0 ? (size_t)ok :
					 SIZE_MAX);
	struct sip_request *reqv[3] = {NULL, NULL, NULL};
	int err = 0;

	if (!r || !r->contact[0]) {
		jverdict_set(v, st->rule, JV_SKIP, "no registered contact to "
			     "send to");
		return;
	}

	pm->probes_pending = 0;
	if (st->send_unknown)
		err |= probe(pm, &reqv[0], r->contact, "FOOBAR",
			     "unknown method", "");
	if (st->send_unsupported)
		err |= probe(pm, &reqv[1], r->contact, "PUBLISH",
			     "unsupported method", "Event: presence\r\n"
			     "Expires: 60\r\n");
	if (st->send_require)
		err |= probe(pm, &reqv[2], r->contact, "OPTIONS",
			     "unknown Require", "Require: "
			     "sipconform-no-such-extension\r\n"
			     "Accept: application/sdp\r\n");

	if (err && !pm->probes_pending) {
		jverdict_set(v, st->rule, JV_SKIP, "could not send: %m", err);
		return;
	}

	(void)wait_until(pm, probes_done, NULL, st->within_ms ?
			 st->within_ms : PROBE_MS);
	for (size_t i = 0; i < ARRAY_SIZE(reqv); i++)
		mem_deref(reqv[i]);

	judge_method(pm->judge, v);
}


/* ---------------------------------------------------------- operator */

static bool operator_ok(struct pm *pm, const struct pstep *st,
			struct jverdict *v)
{
	if (pm->o.operator_ms)
		return true;

	jverdict_set(v, st->rule, JV_SKIP, "needs a person (no operator: "
		     "stdin is not a terminal, or --operator-timeout 0)");
	return false;
}


static void prompt(struct pm *pm, const char *text)
{
	say(">>> OPERATOR: %s (Enter: skip; %u s)\n", text,
	    (unsigned)(pm->o.operator_ms / 1000));
	pm->enter = false;
}


static bool removal_since(struct pm *pm, void *arg)
{
	size_t from = *(size_t *)arg;

	for (size_t k = from; k < judge_regc(pm->judge); k++) {
		if (judge_reg(pm->judge, k)->removal)
			return true;
	}

	return false;
}


static bool registered_since(struct pm *pm, void *arg)
{
	size_t from = *(size_t *)arg;

	for (size_t k = from; k < judge_regc(pm->judge); k++) {
		const struct jreg *r = judge_reg(pm->judge, k);

		if (r->scode >= 200 && r->scode < 300 && !r->removal &&
		    r->has_contact)
			return true;
	}

	return false;
}


static bool invite_since(struct pm *pm, void *arg)
{
	size_t from = *(size_t *)arg;

	for (size_t k = from; k < judge_reqc(pm->judge); k++) {
		if (!strcmp(judge_req(pm->judge, k)->method, "INVITE"))
			return true;
	}

	return false;
}


static bool refer_seen(struct pm *pm, void *arg)
{
	const struct jcall *c = judge_call(pm->judge, *(size_t *)arg);

	return c && c->phone_refers;
}


static void step_operator(struct pm *pm, const struct pstep *st,
			  struct jverdict *v)
{
	const char *rule = st->rule;

	if (!operator_ok(pm, st, v))
		return;

	if (!strcmp(rule, "P-REG-UNREG")) {
		size_t from = judge_regc(pm->judge);
		bool seen;

		if (!registered(pm)) {
			jverdict_set(v, rule, JV_SKIP, "the phone is not "
				     "registered now");
			return;
		}

		prompt(pm, st->prompt ? st->prompt : "shut the phone down "
		       "(or disable the account) now; press Enter once it "
		       "is off");
		seen = wait_until(pm, removal_since, &from,
				  pm->o.operator_ms);
		if (!seen && !pm->enter) {
			jverdict_set(v, rule, JV_SKIP, "no shutdown seen "
				     "within %u s",
				     (unsigned)(pm->o.operator_ms / 1000));
			return;
		}
		pm->enter = false;
		if (!seen)
			(void)wait_until(pm, removal_since, &from, 3000);
		judge_reg_unreg(pm->judge, from, v);

		/* more steps: the phone is to be started again; its first
		 * REGISTER is what the next step's reply is for (say a 503) */
		if (pm->next) {
			size_t after = judge_regc(pm->judge);
			uint64_t ms = pm->o.operator_ms > 30000 ?
				pm->o.operator_ms : 30000;

			if (pm->next->has_reply &&
			    !strncmp(pm->next->rule, "P-REG-", 6) &&
			    !arm(pm, pm->next, &pm->prearmed_id)) {
				pm->prearmed = pm->next;
				pm->prearmed_start = after;
			}

			say("    waiting up to %u s for the phone to register "
			    "again\n", (unsigned)(ms / 1000));
			(void)wait_until(pm, pm->prearmed ? triggered :
					 registered_since, &after, ms);
			pm->enter = false;
		}
		return;
	}

	if (!strcmp(rule, "P-CALL-E164")) {
		size_t from = judge_reqc(pm->judge);

		prompt(pm, st->prompt ? st->prompt : "on the phone, dial "
		       "4155550123 as a user would, then hang up once it is "
		       "answered");
		if (!wait_until(pm, invite_since, &from, pm->o.operator_ms)) {
			pm->enter = false;
			jverdict_set(v, rule, JV_SKIP, "the phone placed no "
				     "call");
			return;
		}
		pause_ms(pm, 3000);
		judge_call_e164(pm->judge, from, v);
		return;
	}

	if (!strcmp(rule, "P-REFER-KEEP")) {
		const char *skip = NULL;
		long ci = place_call(pm, st, true, &skip);
		size_t idx;

		if (ci < 0 || pm->call_state != CALL_ANSWERED) {
			if (pm->call_state < CALL_ENDED && pm->sid[0])
				(void)sim_registrar_hangup(pm->sr, pm->sid);
			(void)wait_until(pm, call_ended, NULL, CALL_END_MS);
			jverdict_set(v, rule, JV_SKIP, "%s", skip ? skip :
				     "the call was not answered");
			return;
		}

		idx = (size_t)ci;
		prompt(pm, st->prompt ? st->prompt : "press transfer on the "
		       "phone and transfer the call to bob (blind transfer)");
		if (wait_until(pm, refer_seen, &idx, pm->o.operator_ms))
			pause_ms(pm, REFER_WATCH_MS);
		pm->enter = false;

		if (pm->call_state == CALL_ANSWERED)
			(void)sim_registrar_hangup(pm->sr, pm->sid);
		(void)wait_until(pm, call_ended, NULL, CALL_END_MS);
		judge_refer_keep(judge_call(pm->judge, idx), tmr_jiffies(),
				 v);
		return;
	}

	jverdict_set(v, rule, JV_SKIP, "no judge for this rule in an operator "
		     "step");
}


/* ------------------------------------------------------------ a step */

static void run_step(struct pm *pm, const struct pstep *st,
		     struct jverdict *v)
{
	const char *r = st->rule;

	memset(v, 0, sizeof(*v));

	if (!strcmp(r, "P-REG-URI") || !strcmp(r, "P-REG-HOST") ||
	    !strcmp(r, "P-REG-AUTHID") || !strcmp(r, "P-REG-EXPIRY") ||
	    !strcmp(r, "P-REG-NAT") || !strcmp(r, "P-REG-CALLID"))
		step_capture(pm, st, v);
	else if (!strcmp(r, "P-REG-UNREG") || !strcmp(r, "P-CALL-E164") ||
		 !strcmp(r, "P-REFER-KEEP"))
		step_operator(pm, st, v);
	else if (!strncmp(r, "P-REG-", 6)) {
		if (!judge_first_ok(pm->judge))
			jverdict_set(v, r, JV_SKIP, "the phone never "
				     "registered");
		else
			step_register(pm, st, v);
	}
	else if (!strcmp(r, "P-METHOD"))
		step_method(pm, st, v);
	else
		step_call(pm, st, v);

	if (!v->rule)
		jverdict_set(v, r, JV_SKIP, "not judged");
}


/* ------------------------------------------------------------ report */

struct report_bits {
	struct scenario *scv;
	struct sc_phone *phonev;      /* two per scenario                  */
	char **rulevv;                /* one rule per scenario            */
	struct run_result **resv;
	struct report_entry *entv;
	struct report_guide_rule *grv;
	struct report_guide_fact factv[16];
	char factbuf[16][256];
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


static void facts(struct pm *pm, struct report_bits *b)
{
	const struct jreg *r = judge_first_ok(pm->judge);
	const struct jreg *any = judge_first(pm->judge);
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
	fact(b, "Username (AOR)", "%s", r->to);
	for (size_t i = 0; i < judge_regc(pm->judge); i++) {
		const struct jreg *q = judge_reg(pm->judge, i);

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

	for (size_t i = 0; i < judge_callc(pm->judge); i++) {
		if (judge_call(pm->judge, i)->codecs[0]) {
			codecs = judge_call(pm->judge, i)->codecs;
			break;
		}
	}
	fact(b, "Codecs offered (its SDP answer)", "%s", codecs ? codecs :
	     "not seen (no answered call)");
	fact(b, "Auto-answer", "%s", pm->o.auto_answer ? "expected "
	     "(--auto-answer)" : "not expected");
}


static int write_report(struct pm *pm, uint64_t started_us)
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
		const struct prule *pru = prule_find(pr->v.rule);

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

		fails += pr->v.level == JV_FAIL;
		warns += pr->v.level == JV_WARN;
	}

	facts(pm, &b);

	first = judge_first(pm->judge);
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
	rr.finished_us = wall_us();
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
			  "    voice_application: outbound\n"
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
			  "  outbound: <Response><Dial callerId="
			  "\"+14155550199\">{{#e164}}{{To}}{{/e164}}</Dial>"
			  "</Response>\n"
			  "pstn: {default: answer, after: 1}\n",
			  pm->o.domain, pm->o.user, pm->o.password,
			  pm->o.user, pm->o.domain);
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
		{"help",             no_argument,       NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *aor = NULL;
	bool op_set = false;
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
		case 'l':
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

	if (!op_set)
		o->operator_ms = isatty(STDIN_FILENO) ?
			DEFAULT_OPERATOR_S * 1000 : 0;

	return 0;
}


static void instructions(const struct pm *pm)
{
	say("sipconform phone mode: the reference registrar plays the "
	    "hosted service on %J (UDP and TCP).\n\n"
	    "Configure the phone:\n"
	    "  SIP server / registrar / domain:  %s\n"
	    "  Outbound proxy:                   %J\n"
	    "  Transport:                        UDP (TCP also works)\n"
	    "  Username and authentication ID:   %s\n"
	    "  Password:                         %s\n"
	    "  Registration expiry:              the phone's own "
	    "(the registrar grants at most %u s)\n"
	    "  Auto-answer:                      %s\n\n"
	    "Waiting up to %u s for the phone to register...\n",
	    &pm->o.listen, pm->o.domain, &pm->o.listen, pm->o.user,
	    pm->o.password, pm->o.grant_cap, pm->o.auto_answer ? "on" :
	    "off (a person answers when asked)",
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
	struct reg_config *cfg = NULL;
	struct pstep **stv = NULL;
	size_t stc = 0, filec = 0;
	char **filev = NULL;
	struct reg_action cap;
	struct pm pm;
	uint64_t started_us = wall_us();
	unsigned counts[JV_SKIP + 1] = {0};
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
	err = judge_alloc(&pm.judge, pm.o.user, pm.o.domain);
	if (!err)
		err = make_config(&pm, &cfg);
	if (err) {
		status = err == ENOMEM ? EXIT_INFRA : EXIT_USAGE;
		goto close;
	}

	memset(&so, 0, sizeof(so));
	so.listen = &pm.o.listen;
	so.dh = on_decision;
	so.guardh = on_guard;
	so.callh = NULL;
	so.arg = &pm;
	so.traceh = trace_h;
	err = sim_registrar_alloc(&pm.sr, cfg, &so);
	if (err) {
		(void)re_fprintf(stderr, "harness: phone: cannot listen on "
				 "%J: %m\n", &pm.o.listen, err);
		status = EXIT_INFRA;
		goto close;
	}
	pm.ra = sim_registrar_actions(pm.sr);

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

	g_pm = &pm;
	(void)signal(SIGINT, on_signal);
	(void)signal(SIGTERM, on_signal);

	if (isatty(STDIN_FILENO) && pm.o.operator_ms &&
	    !fd_listen(STDIN_FILENO, FD_READ, stdin_h, &pm))
		pm.stdin_watch = true;

	instructions(&pm);

	if (!wait_until(&pm, first_ok, NULL, pm.o.register_ms)) {
		if (pm.interrupted)
			say("interrupted\n");
		else if (judge_regc(pm.judge))
			say("the phone sent %zu REGISTER(s) but none was "
			    "accepted: judging what was seen\n",
			    judge_regc(pm.judge));
		else
			say("no REGISTER from the phone within %u s\n",
			    (unsigned)(pm.o.register_ms / 1000));
	}
	else {
		const struct jreg *r = judge_first_ok(pm.judge);

		say("registered: %s from %J (%s), asked %lld s\n\n",
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
		bool capture = !strcmp(st->rule, "P-REG-URI") ||
			!strcmp(st->rule, "P-REG-HOST") ||
			!strcmp(st->rule, "P-REG-AUTHID") ||
			!strcmp(st->rule, "P-REG-EXPIRY") ||
			!strcmp(st->rule, "P-REG-NAT");

		pr->st = st;
		pr->wall_start_us = wall_us();
		pm.next = i + 1 < stc ? stv[i + 1] : NULL;

		/* grant_cap: from this step on */
		if (st->grant_cap && st->grant_cap != pm.cap) {
			(void)reg_actions_remove(pm.ra, pm.cap_id);
			cap.value = st->grant_cap;
			pm.cap = st->grant_cap;
			(void)reg_actions_add(pm.ra, &cap, &pm.cap_id);
		}
		pr->msg_from = capture ? 0 : next_from;

		say("[%zu/%zu] %s: %s ...\n", i + 1, stc, st->rule,
		    st->name);

		if (pm.interrupted)
			jverdict_set(&pr->v, st->rule, JV_SKIP,
				     "interrupted");
		else if (!judge_regc(pm.judge))
			jverdict_set(&pr->v, st->rule, JV_SKIP, "the phone "
				     "never sent a REGISTER");
		else
			run_step(&pm, st, &pr->v);

		pr->real_ms = tmr_jiffies() - t0;
		pr->msg_to = capture ? reg_msgs : pm.msgc;
		if (!capture)
			next_from = pm.msgc;
		counts[pr->v.level]++;

		say("%s %s: %s\n", jlevel_name(pr->v.level), pr->v.rule,
		    pr->v.why);
		if (pr->v.observed[0])
			say("    observed: %s\n", pr->v.observed);
		if (pr->v.advice[0])
			say("    change: %s\n", pr->v.advice);
	}

	say("\nphone: %u PASS, %u WARN, %u INFO, %u FAIL, %u SKIP\n",
	    counts[JV_PASS], counts[JV_WARN], counts[JV_INFO],
	    counts[JV_FAIL], counts[JV_SKIP]);
	say("%u passed, %u failed, %u skipped\n",
	    counts[JV_PASS] + counts[JV_WARN] + counts[JV_INFO],
	    counts[JV_FAIL], counts[JV_SKIP]);

	if (counts[JV_FAIL])
		status = EXIT_FAILED;
	else if (!judge_first_ok(pm.judge))
		status = EXIT_INFRA;

	if (pm.o.report_dir) {
		err = write_report(&pm, started_us);
		if (err) {
			fprintf(stderr, "harness: phone: cannot write the "
				"report into %s: %s\n", pm.o.report_dir,
				strerror(err));
			status = EXIT_INFRA;
		}
		else
			say("report: %s/report.html (junit.xml, "
			    "results.json, report.md, trace.pcap)\n",
			    pm.o.report_dir);
	}

 close:
	if (pm.stdin_watch)
		fd_close(STDIN_FILENO);
	g_pm = NULL;
	second_stop(&pm);
	tmr_cancel(&pm.wake);
	pm.sr = mem_deref(pm.sr);
	mem_deref(cfg);
	mem_deref(pm.judge);
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
