/**
 * @file runner.c  Runs one scenario (runner.h)
 *
 * Single-threaded: phones and the in-process registrar share one libre
 * loop.  The runner drives the loop itself, step by step: an operation
 * step starts the phones' REGISTERs (a bounded window at a time, so 20,000
 * phones do not flood the registrar) and runs the loop until each has
 * ended; event handlers only record and wake the loop (re_cancel).
 */

#include <ctype.h>
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
#include "runner.h"

enum {
	OP_WINDOW        = 256,     /* phones with a REGISTER in flight  */
	OP_TIMEOUT_MS    = 5000,    /* per operation step, plus per phone */
	BUSY_TIMEOUT_MS  = 40000,   /* a phone's own pending REGISTER     */
	DECISION_HSIZE   = 4096,
	REAL_ADVANCE_MAX_MS = 5000, /* advance against a plain target     */
	CLOSE_WAIT_MS    = 500,     /* CANCELled branches end at the close */
	PHONE_OPS        = 5,
};

struct rphone {
	struct runner *run;
	const struct sc_phone *sp;
	struct phone *phone;
	bool pending;               /* an operation we started is running */
	struct msgkeep *final;      /* its last final response, as bytes  */
	int err;                    /* its last DONE error                */
	enum phone_op op;
	unsigned unconsumed[PHONE_OPS]; /* DONE events not yet awaited     */
	unsigned sent;              /* requests sent (not retransmissions) */
	unsigned sent_op[PHONE_OPS];
	/* calls: the latest call and what happened to it */
	struct phone_call *call;    /* referenced                         */
	struct sip_msg *invite;     /* the latest INVITE that arrived     */
	unsigned calls_in;          /* INVITEs not yet awaited            */
	struct sip_msg *cancel;     /* the latest CANCEL                  */
	unsigned cancels;
	unsigned byes;
	struct sip_msg *call_final; /* final response to our INVITE       */
	bool call_final_seen;
	struct sip_msg *refer_final;
	bool refer_done;
};

struct decision_entry {
	struct le he;
	uint64_t key;               /* Call-ID and CSeq (decision_key)     */
	const char *rule;           /* the rules table's name: static      */
};

struct runner {
	const struct scenario *sc;
	const struct run_opts *opts;
	struct reg_config *cfg;
	struct sim_registrar *sr;
	struct sa reg_addr[3];      /* UDP, TCP, TLS next hop             */
	char domain[256];           /* the phones' default domain         */
	struct rphone *phonev;
	size_t phonec;
	struct hash *decisions;
	struct tmr tmr;
	bool timed_out;
	unsigned inflight;
	struct rphone **queue;      /* phones waiting to start an op      */
	size_t queuen;
	size_t queuepos;
	const struct sc_step *qstep;
	const struct sc_step *last_op;  /* expect's default phones         */
	struct run_result *res;
	size_t msgcap;
	size_t stepcap;
	unsigned cur_line;          /* the step running now               */
	char dial_sid[48];          /* the outside call dialled last      */
	uint64_t t0;                /* tmr_jiffies() at the start          */
	struct linkfaults *lf;      /* the phones' link faults, or NULL   */
	char state_dir[64];         /* restart: the registrar's state file
				       lives here ("": none)             */
	char state_path[96];
	bool need_tls;
};


static void result_destructor(void *data)
{
	struct run_result *res = data;

	for (size_t i = 0; i < res->msgc; i++) {
		mem_deref(res->msgv[i].text);
		mem_deref(res->msgv[i].summary);
	}

	mem_deref(res->msgv);
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


static int set_verdict(struct runner *r, enum verdict v, unsigned line,
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


/* ------------------------------------------------------------ decisions */

static void decision_destructor(void *data)
{
	struct decision_entry *de = data;

	hash_unlink(&de->he);
}


/* 64 bits of Call-ID and CSeq: a label for reports, kept for every
 * request of a run (80,000 in the benchmark), so no strings */
static uint64_t decision_key(const struct pl *callid, uint32_t cseq)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < callid->l; i++) {
		h ^= (uint8_t)callid->p[i];
		h *= 0x100000001b3ULL;
	}
	for (int i = 0; i < 4; i++) {
		h ^= (cseq >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}

	return h;
}


static struct decision_entry *decision_find(struct runner *r, uint64_t key)
{
	struct le *le = list_head(hash_list(r->decisions, (uint32_t)key));

	for (; le; le = le->next) {
		struct decision_entry *de = le->data;

		if (de->key == key)
			return de;
	}

	return NULL;
}


static void decision_handler(const struct decision *d, void *arg)
{
	struct runner *r = arg;
	const struct rule *rule = rule_get(d->rule);
	uint64_t key = decision_key(&d->msg->callid, d->msg->cseq.num);
	struct decision_entry *de;

	/* a retransmitted request is decided once; a new one replaces */
	de = decision_find(r, key);
	if (!de) {
		de = mem_zalloc(sizeof(*de), decision_destructor);
		if (!de)
			return;
		de->key = key;
		hash_append(r->decisions, (uint32_t)key, &de->he, de);
	}
	de->rule = rule ? rule->name : "RFC3261";

	if (r->opts->verbose)
		(void)re_fprintf(stderr, "    registrar: %H\n", decision_print,
				 d);
}


/* an outside call changed: the loop wakes for expect_dial */
static void call_handler(const struct call_info *ci, void *arg)
{
	(void)ci;
	(void)arg;

	re_cancel();
}


static void guard_handler(uint16_t scode, const char *reason,
			  const char *detail, const struct sa *src,
			  const char *transport, const char *method, void *arg)
{
	struct runner *r = arg;
	(void)reason;

	if (r->opts->verbose)
		(void)re_fprintf(stderr, "    registrar: REG-MSG-2 %u %s from "
				 "%J/%s: %s\n", scode, method, src, transport,
				 detail);
}


/* the rule that answered a response's request, NULL: unknown */
static const char *decision_of(struct runner *r, const struct sip_msg *msg,
			       char *buf, size_t sz)
{
	char body[256];
	struct pl rule;

	if (!msg)
		return NULL;

	if (r->sr) {
		const struct decision_entry *de =
			decision_find(r, decision_key(&msg->callid,
						      msg->cseq.num));
		if (!de)
			return NULL;
		(void)re_snprintf(buf, sz, "%s", de->rule);
		return buf;
	}

	if (r->opts->control) {
		char path[300];

		(void)re_snprintf(path, sizeof(path),
				  "/decisions?call_id=%r&cseq=%u",
				  &msg->callid, msg->cseq.num);
		if (ctlclient_request(r->opts->control, "GET", path, body,
				      sizeof(body)) == 200 &&
		    !re_regex(body, strlen(body), "\"rule\":\"[^\"]+\"",
			      &rule)) {
			(void)re_snprintf(buf, sz, "%r", &rule);
			return buf;
		}
	}

	return NULL;
}


/* ----------------------------------------------------------- recording */

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);

	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}


static void *grow(void *v, size_t *cap, size_t n, size_t elem)
{
	size_t c = *cap ? *cap * 2 : 64;
	void *nv;

	if (n < *cap)
		return v;

	/* libre 1.1.0's mem_realloc(NULL, n) returns NULL */
	nv = v ? mem_realloc(v, c * elem) : mem_alloc(c * elem, NULL);
	if (nv)
		*cap = c;

	return nv;
}


static void record_msg(struct runner *r, struct rphone *rp,
		       const struct phone_event *ev)
{
	struct run_result *res = r->res;
	const struct sip_msg *m = ev->msg;
	struct run_msg *rm;
	void *v;

	if (!m || !m->mb || !r->opts->record)
		return;

	if (res->msgc >= RUN_MSG_MAX) {
		res->msgs_dropped++;
		return;
	}

	v = grow(res->msgv, &r->msgcap, res->msgc, sizeof(*res->msgv));
	if (!v)
		return;
	res->msgv = v;

	rm = &res->msgv[res->msgc];
	memset(rm, 0, sizeof(*rm));
	rm->wall_us = wall_us();
	rm->virtual_ms = vclock_offset();
	rm->phone = rp->sp->name;
	rm->from_phone = ev->type == PHONE_EV_SENT;   /* else received */
	rm->retrans = ev->retrans;
	rm->src = m->src;
	rm->dst = m->dst;
	rm->tp = m->tp;
	rm->line = r->cur_line;

	if (re_sdprintf(&rm->text, "%b", m->mb->buf, m->mb->end))
		return;

	if (m->req)
		(void)re_sdprintf(&rm->summary, "%r", &m->met);
	else {
		char rb[24];

		(void)re_sdprintf(&rm->summary, "%u %r", m->scode,
				  &m->reason);
		/* in-process only: a control API call per message is dear */
		if (r->sr && decision_of(r, m, rb, sizeof(rb)))
			(void)re_snprintf(rm->rule, sizeof(rm->rule), "%s",
					  rb);
	}

	res->msgc++;
}


/* ---------------------------------------------------------------- loop */

static void timeout_handler(void *arg)
{
	struct runner *r = arg;

	r->timed_out = true;
	re_cancel();
}


typedef bool (pred_h)(struct runner *r, void *arg);

/* run the loop until pred holds or ms of real time pass */
static bool wait_until(struct runner *r, pred_h *pred, void *arg,
		       uint64_t ms)
{
	if (pred(r, arg))
		return true;

	r->timed_out = false;
	tmr_start(&r->tmr, ms, timeout_handler, r);

	while (!r->timed_out && !pred(r, arg))
		(void)re_main(NULL);

	tmr_cancel(&r->tmr);

	return pred(r, arg);
}


static bool calls_closed(struct runner *r, void *arg)
{
	(void)arg;

	return !calls_closing(sim_registrar_calls(r->sr));
}


static bool never(struct runner *r, void *arg)
{
	(void)r;
	(void)arg;

	return false;
}


/* -------------------------------------------------------------- phones */

static int start_op(struct rphone *rp, const struct sc_step *st);


static void start_queued(struct runner *r)
{
	while (r->inflight < OP_WINDOW && r->queuepos < r->queuen) {
		struct rphone *rp = r->queue[r->queuepos++];

		if (start_op(rp, r->qstep)) {
			rp->pending = false;
			continue;
		}
	}
}


static void keep_msg(struct sip_msg **slot, const struct sip_msg *msg)
{
	mem_deref(*slot);
	*slot = msg ? mem_ref((void *)msg) : NULL;
}


static void call_event(struct rphone *rp, const struct phone_event *ev)
{
	switch (ev->type) {

	case PHONE_EV_CALL_INCOMING:
		mem_deref(rp->call);
		rp->call = mem_ref(ev->call);
		keep_msg(&rp->invite, ev->msg);
		rp->calls_in++;
		break;

	/* a challenge is answered by the phone: not the call's outcome */
	case PHONE_EV_CALL_RESPONSE:
		if (ev->scode >= 200 && ev->scode != 401 && ev->scode != 407 &&
		    ev->call == rp->call) {
			keep_msg(&rp->call_final, ev->msg);
			rp->call_final_seen = true;
		}
		break;

	case PHONE_EV_CALL_CLOSED:
		if (ev->call == rp->call && !rp->call_final_seen &&
		    !phone_call_incoming(ev->call)) {
			keep_msg(&rp->call_final, ev->msg);
			rp->call_final_seen = true;
		}
		break;

	case PHONE_EV_CALL_CANCELLED:
		keep_msg(&rp->cancel, ev->msg);
		rp->cancels++;
		break;

	case PHONE_EV_CALL_BYE:
		rp->byes++;
		break;

	case PHONE_EV_CALL_REFER_DONE:
		keep_msg(&rp->refer_final, ev->msg);
		rp->refer_done = true;
		break;

	default:
		break;
	}
}


static void phone_event(struct phone *phone, const struct phone_event *ev,
			void *arg)
{
	struct rphone *rp = arg;
	struct runner *r = rp->run;
	(void)phone;

	if (ev->type == PHONE_EV_SENT || ev->type == PHONE_EV_RESPONSE ||
	    (ev->type == PHONE_EV_RECEIVED && ev->op == PHONE_OP_CALL))
		record_msg(r, rp, ev);

	if (ev->op == PHONE_OP_CALL)
		call_event(rp, ev);

	switch (ev->type) {

	case PHONE_EV_SENT:
		if (!ev->retrans) {
			rp->sent++;
			if ((unsigned)ev->op < PHONE_OPS)
				rp->sent_op[ev->op]++;
			r->res->messages++;
		}
		break;

	case PHONE_EV_DONE:
		if (ev->msg) {
			/* bytes, decoded when checked (msgkeep.h) */
			rp->final = mem_deref(rp->final);
			(void)msgkeep_alloc(&rp->final, ev->msg);
		}
		rp->err = ev->err;
		rp->op = ev->op;
		if ((unsigned)ev->op < PHONE_OPS)
			rp->unconsumed[ev->op]++;
		if (rp->pending) {
			rp->pending = false;
			r->inflight--;
			start_queued(r);
		}
		break;

	default:
		break;
	}

	if (r->opts->verbose && ev->type != PHONE_EV_SENT)
		(void)re_fprintf(stderr, "    %s: %s %s %u%s%r\n",
				 phone_name(phone), phone_event_name(ev->type),
				 phone_op_name(ev->op), ev->scode,
				 ev->reason.l ? " " : "", &ev->reason);

	re_cancel();
}


static int start_op(struct rphone *rp, const struct sc_step *st)
{
	struct runner *r = rp->run;
	int err;

	switch (st->type) {

	case SC_REGISTER:
		err = st->has_req ? phone_send(rp->phone, &st->req) :
			phone_register(rp->phone);
		break;

	case SC_REFRESH:
		err = phone_register(rp->phone);
		break;

	case SC_UNREGISTER:
		err = phone_unregister(rp->phone, st->wildcard);
		break;

	case SC_FETCH:
		err = phone_fetch(rp->phone);
		break;

	default:
		return EINVAL;
	}

	if (err) {
		set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
			    "%s: the phone could not send: %m",
			    rp->sp->name, err);
		return err;
	}

	rp->pending = true;
	r->inflight++;

	return 0;
}


static struct rphone *rphone_find(struct runner *r, const char *name)
{
	const struct sc_phone *sp = scenario_phone(r->sc, name);
	size_t i = sp ? (size_t)(sp - r->sc->phonev) : r->phonec;

	return i < r->phonec ? &r->phonev[i] : NULL;
}


static bool none_busy(struct runner *r, void *arg)
{
	const struct sc_step *st = arg;

	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rphone_find(r, st->phonev[i]);
		if (rp && phone_busy(rp->phone))
			return false;
	}

	return true;
}


static bool ops_done(struct runner *r, void *arg)
{
	(void)arg;

	return r->inflight == 0 && r->queuepos >= r->queuen;
}


/* queue the operation for every phone of the step (no waiting) */
static int queue_ops(struct runner *r, const struct sc_step *st)
{
	struct rphone **q;

	if (!wait_until(r, none_busy, (void *)st, BUSY_TIMEOUT_MS))
		return set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
				   "a phone was still busy with its own "
				   "REGISTER after %u s", BUSY_TIMEOUT_MS /
				   1000);

	q = mem_zalloc((r->queuen - r->queuepos + st->phonec) * sizeof(*q) +
		       1, NULL);
	if (!q)
		return ENOMEM;

	/* keep what is still waiting from an earlier step of a parallel */
	for (size_t i = r->queuepos; i < r->queuen; i++)
		q[i - r->queuepos] = r->queue[i];
	r->queuen -= r->queuepos;
	r->queuepos = 0;

	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rphone_find(r, st->phonev[i]);

		if (rp)
			q[r->queuen++] = rp;
	}

	mem_deref(r->queue);
	r->queue = q;
	r->qstep = st;
	r->last_op = st;

	/* phones of this step are told apart from the expect's baseline */
	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rphone_find(r, st->phonev[i]);
		if (rp)
			memset(rp->unconsumed, 0, sizeof(rp->unconsumed));
	}

	start_queued(r);

	return r->res->verdict == VERDICT_PASS ? 0 : EPROTO;
}


static int wait_ops(struct runner *r, const struct sc_step *st,
		    size_t phonec)
{
	uint64_t ms = st->within_ms ? st->within_ms :
		OP_TIMEOUT_MS + 2 * (uint64_t)phonec;

	if (!wait_until(r, ops_done, NULL, ms))
		return set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
				   "%u phone(s) had no final response after "
				   "%llu ms", r->inflight + (unsigned)(r->queuen -
				   r->queuepos), (unsigned long long)ms);

	return 0;
}


/* ------------------------------------------------------------- expects */

static bool header_matches(const struct sip_msg *msg, const char *name,
			   const regex_t *re, bool *present)
{
	bool hit = false;

	*present = false;

	for (struct le *le = msg->hdrl.head; le; le = le->next) {
		const struct sip_hdr *h = le->data;
		char val[1024];

		if (pl_strcasecmp(&h->name, name))
			continue;

		*present = true;
		(void)pl_strcpy(&h->val, val, sizeof(val));
		if (re && !regexec(re, val, 0, NULL, 0))
			hit = true;
	}

	return hit;
}


/* Contact values, whether in one header line or several */
static unsigned contact_count(const struct sip_msg *msg)
{
	return sip_msg_hdr_count(msg, SIP_HDR_CONTACT);
}


static const char *state_word(enum sc_state_check s)
{
	switch (s) {

	case SC_STATE_REGISTERED: return "registered";
	case SC_STATE_FAILED:     return "failed";
	case SC_STATE_EXPIRED:    return "expired";
	case SC_STATE_IDLE:       return "idle";
	default:                  return "any";
	}
}


static bool state_holds(enum sc_state_check want, enum phone_state st)
{
	switch (want) {

	case SC_STATE_REGISTERED: return st == PHONE_ST_REGISTERED;
	case SC_STATE_FAILED:     return st == PHONE_ST_FAILED;
	case SC_STATE_EXPIRED:    return st == PHONE_ST_EXPIRED;
	case SC_STATE_IDLE:       return st == PHONE_ST_IDLE;
	default:                  return true;
	}
}


struct op_wait {
	struct rphone *rp;
	enum phone_op op;
};


static bool op_seen(struct runner *r, void *arg)
{
	struct op_wait *ow = arg;
	(void)r;

	return ow->rp->unconsumed[ow->op] > 0 && !ow->rp->pending &&
		!phone_busy(ow->rp->phone);
}


static bool phone_idle(struct runner *r, void *arg)
{
	struct rphone *rp = arg;
	(void)r;

	return !rp->pending && !phone_busy(rp->phone);
}


/*
 * The rule a failed check stands for: the expect's when the scenario is
 * about it, else the scenario's own (a 200 expected by REG-EXP-1 in a
 * REG-AUTH-6 scenario breaks REG-AUTH-6).
 */
static const char *rule_for(const struct runner *r, const struct sc_expect *e)
{
	for (size_t i = 0; e->rule && i < r->sc->rulec; i++) {
		if (!strcmp(r->sc->rulev[i], e->rule))
			return e->rule;
	}

	return r->sc->rulec ? r->sc->rulev[0] : e->rule;
}


/* what the link faults did to the phone's datagrams, as counted */
static int check_link(struct runner *r, const struct sc_step *st,
		      const struct sc_expect *e, struct rphone *rp)
{
	struct linkfault_stats ls;
	const struct sc_link_check *c = &e->link;
	const struct {
		const char *name;
		const struct sc_count *want;
	} v[] = {
		{"packets",    &c->packets},
		{"dropped",    &c->dropped},
		{"duplicated", &c->duplicated},
		{"delayed",    &c->delayed},
		{"reordered",  &c->reordered},
	};
	unsigned got[5];
	char want[24];

	(void)linkfaults_stats(r->lf, phone_laddr(rp->phone), &ls);
	got[0] = ls.packets;
	got[1] = ls.dropped;
	got[2] = ls.duplicated;
	got[3] = ls.delayed;
	got[4] = ls.reordered;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (sc_count_holds(v[i].want, got[i]))
			continue;
		return set_verdict(r, VERDICT_FAIL, st->pos.line,
				   rule_for(r, e), "%s: expected %s datagram(s) "
				   "%s on its link, got %u (of %u: %u dropped, "
				   "%u duplicated, %u delayed, %u reordered)",
				   rp->sp->name, sc_count_str(v[i].want, want,
							      sizeof(want)),
				   v[i].name, got[i], ls.packets, ls.dropped,
				   ls.duplicated, ls.delayed, ls.reordered);
	}

	return 0;
}


static int check_final(struct runner *r, const struct sc_step *st,
		       const struct sc_expect *e, struct rphone *rp,
		       const struct sip_msg *m);


static int check_phone(struct runner *r, const struct sc_step *st,
		       const struct sc_expect *e, struct rphone *rp)
{
	const char *name = rp->sp->name;
	unsigned line = st->pos.line;
	uint64_t within = st->within_ms ? st->within_ms : OP_TIMEOUT_MS;
	struct sip_msg *m;
	int err;

	if (e->has_op) {
		struct op_wait ow = {rp, e->op};

		if (!wait_until(r, op_seen, &ow, within))
			return set_verdict(r, VERDICT_FAIL, line,
					   rule_for(r, e),
					   "%s: expected a %s to end within "
					   "%llu ms; none did", name,
					   phone_op_name(e->op),
					   (unsigned long long)within);
		rp->unconsumed[e->op] = 0;
	}
	else if (!wait_until(r, phone_idle, rp, within)) {
		return set_verdict(r, VERDICT_FAIL, line, rule_for(r, e),
				   "%s: still waiting for a final response "
				   "after %llu ms", name,
				   (unsigned long long)within);
	}

	m = msgkeep_decode(rp->final);
	err = check_final(r, st, e, rp, m);
	mem_deref(m);

	return err;
}


/* what the phone's last operation ended with, m (NULL: no response) */
static int check_final(struct runner *r, const struct sc_step *st,
		       const struct sc_expect *e, struct rphone *rp,
		       const struct sip_msg *m)
{
	const char *name = rp->sp->name;
	unsigned line = st->pos.line;
	char got[160] = "", rulebuf[32];
	const char *rule;
	int err;

	rule = decision_of(r, m, rulebuf, sizeof(rulebuf));
	if (m)
		(void)re_snprintf(got, sizeof(got), "%u %r%s%s%s", m->scode,
				  &m->reason, rule ? " (registrar: " : "",
				  rule ? rule : "", rule ? ")" : "");
	else
		(void)re_snprintf(got, sizeof(got), "no response (%m)",
				  rp->err);

	if (e->status && (!m || m->scode != e->status))
		return set_verdict(r, VERDICT_FAIL, line, rule_for(r, e),
				   "%s: expected status %u%s%s, got %s", name,
				   e->status, e->rule ? " " : "",
				   e->rule ? e->rule : "", got);

	if (e->reason) {
		regex_t re;
		char reason[256] = "";

		if (m)
			(void)pl_strcpy(&m->reason, reason, sizeof(reason));
		if (regcomp(&re, e->reason, REG_EXTENDED | REG_NOSUB))
			return set_verdict(r, VERDICT_FAIL, line, NULL,
					   "bad reason regex");
		if (!m || regexec(&re, reason, 0, NULL, 0)) {
			regfree(&re);
			return set_verdict(r, VERDICT_FAIL, line,
					   rule_for(r, e),
					   "%s: expected a reason matching "
					   "/%s/, got %s", name, e->reason,
					   got);
		}
		regfree(&re);
	}

	for (size_t i = 0; i < e->hdrc; i++) {
		const struct sc_header_check *hc = &e->hdrv[i];
		bool present = false, hit = false;
		regex_t re;

		if (!m)
			return set_verdict(r, VERDICT_FAIL, line,
					   rule_for(r, e), "%s: expected "
					   "header %s, got %s", name,
					   hc->name, got);

		if (hc->regex) {
			if (regcomp(&re, hc->regex, REG_EXTENDED | REG_NOSUB))
				return set_verdict(r, VERDICT_FAIL, line,
						   NULL, "bad header regex");
			hit = header_matches(m, hc->name, &re, &present);
			regfree(&re);
			if (!hit) {
				const struct sip_hdr *h =
					sip_msg_xhdr(m, hc->name);
				return set_verdict(r, VERDICT_FAIL, line,
					rule_for(r, e), "%s: expected %s "
					"matching /%s/, got %s%r%s in %s",
					name, hc->name, hc->regex,
					h ? "'" : "", h ? &h->val : NULL,
					h ? "'" : "no such header", got);
			}
		}
		else {
			(void)header_matches(m, hc->name, NULL, &present);
			if (present)
				return set_verdict(r, VERDICT_FAIL, line,
						   rule_for(r, e),
						   "%s: expected no %s "
						   "header in %s", name,
						   hc->name, got);
		}
	}

	if (e->granted >= 0 &&
	    (!m || m->scode >= 300 ||
	     (int64_t)phone_granted(rp->phone) != e->granted))
		return set_verdict(r, VERDICT_FAIL, line, rule_for(r, e),
				   "%s: expected %lld s granted to its "
				   "contact, got %u s in %s", name,
				   (long long)e->granted,
				   phone_granted(rp->phone), got);

	if (e->contacts >= 0 && (!m || contact_count(m) != e->contacts))
		return set_verdict(r, VERDICT_FAIL, line, rule_for(r, e),
				   "%s: expected %lld Contact header(s), got "
				   "%u in %s", name, (long long)e->contacts,
				   m ? contact_count(m) : 0, got);

	if (e->rule) {
		if (!r->sr && !r->opts->control) {
			r->res->unchecked++;   /* known where state is */
			return 0;
		}
		if (!rule || strcmp(rule, e->rule))
			return set_verdict(r, VERDICT_FAIL, line, e->rule,
					   "%s: expected the registrar to "
					   "decide by %s, got %s", name,
					   e->rule, got);
	}

	if (e->has_link) {
		err = check_link(r, st, e, rp);
		if (err)
			return err;
	}

	if (e->state != SC_STATE_ANY &&
	    !state_holds(e->state, phone_state(rp->phone)))
		return set_verdict(r, VERDICT_FAIL, line, rule_for(r, e),
				   "%s: expected state %s, got %s (last: %s)",
				   name, state_word(e->state),
				   phone_state_name(phone_state(rp->phone)),
				   got);

	return 0;
}


/* "alice" -> "alice@domain"; the host lower-case as the registrar keys */
static void aor_full(const struct runner *r, const char *aor, char *buf,
		     size_t sz)
{
	const char *at = strchr(aor, '@');
	size_t i;

	(void)re_snprintf(buf, sz, "%s%s%s", aor, at ? "" : "@",
			  at ? "" : r->domain);

	at = strchr(buf, '@');
	for (i = at ? (size_t)(at - buf) : 0; at && buf[i]; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
}


static int check_bindings(struct runner *r, const struct sc_step *st,
			  const struct sc_expect *e)
{
	char aor[300], path[400], body[16384];
	long long count = -1;
	struct pl n;

	aor_full(r, e->aor, aor, sizeof(aor));

	if (!r->sr && !r->opts->control) {
		r->res->unchecked++;
		return 0;
	}

	if (r->sr) {
		count = location_count_aor(sim_registrar_location(r->sr),
					   aor);
	}
	else if (r->opts->control) {
		(void)re_snprintf(path, sizeof(path), "/bindings?aor=%s", aor);
		if (ctlclient_request(r->opts->control, "GET", path, body,
				      sizeof(body)) == 200 &&
		    !re_regex(body, strlen(body), "\"count\":[0-9]+", &n))
			count = pl_u32(&n);
		else
			return set_verdict(r, VERDICT_ERROR, st->pos.line,
					   NULL, "the control API did not "
					   "list the bindings of %s", aor);
	}

	if (e->binding_count >= 0 && count != e->binding_count)
		return set_verdict(r, VERDICT_FAIL, st->pos.line,
				   rule_for(r, e), "bindings of %s: expected "
				   "%lld, the registrar has %lld", aor,
				   (long long)e->binding_count, count);

	return 0;
}


static int run_expect(struct runner *r, const struct sc_step *st,
		      char *const *phonev, size_t phonec)
{
	const struct sc_expect *e = &st->expect;
	int err = 0;

	for (size_t i = 0; i < phonec && !err; i++) {
		struct rphone *rp = rphone_find(r, phonev[i]);

		if (rp)
			err = check_phone(r, st, e, rp);
	}

	if (!err && e->has_bindings)
		err = check_bindings(r, st, e);

	return err;
}


struct sent_snapshot {
	struct runner *r;
	const struct sc_step *st;
	unsigned *before;
};


static unsigned sent_of(const struct rphone *rp, const struct sc_step *st)
{
	if (st->has_expect && st->expect.has_op &&
	    (unsigned)st->expect.op < PHONE_OPS)
		return rp->sent_op[st->expect.op];

	return rp->sent;
}


static int run_expect_no(struct runner *r, const struct sc_step *st)
{
	unsigned *before = mem_zalloc((st->phonec + 1) * sizeof(unsigned),
				      NULL);
	uint64_t within = st->within_ms ? st->within_ms : 1000;
	int err = 0;

	if (!before)
		return ENOMEM;

	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rphone_find(r, st->phonev[i]);
		before[i] = rp ? sent_of(rp, st) : 0;
	}

	(void)wait_until(r, never, NULL, within);

	for (size_t i = 0; i < st->phonec && !err; i++) {
		struct rphone *rp = rphone_find(r, st->phonev[i]);

		if (rp && sent_of(rp, st) != before[i])
			err = set_verdict(r, VERDICT_FAIL, st->pos.line,
					  r->sc->rulec ? r->sc->rulev[0] :
					  NULL, "%s: expected no request "
					  "within %llu ms, it sent %u",
					  rp->sp->name,
					  (unsigned long long)within,
					  sent_of(rp, st) - before[i]);
	}

	mem_deref(before);

	return err;
}


static int run_advance(struct runner *r, const struct sc_step *st)
{
	char path[64], body[256];

	if (!r->sr && r->opts->control) {
		(void)re_snprintf(path, sizeof(path), "/clock/advance?ms=%llu",
				  (unsigned long long)st->ms);
		if (ctlclient_request(r->opts->control, "POST", path, body,
				      sizeof(body)) != 200)
			return set_verdict(r, VERDICT_ERROR, st->pos.line,
					   NULL, "the control API did not "
					   "advance the target's clock");
	}

	/* a registrar we do not drive: short spans pass in real time */
	if (!r->sr && !r->opts->control) {
		(void)wait_until(r, never, NULL, st->ms);
		return 0;
	}

	vclock_advance(st->ms);
	vtimer_poll();

	/* libre's own timers too: a transaction that times out within the
	 * span does, and Timer K's lingering ones end (20,000 phones' kept
	 * ~65 MB through a refresh storm) */
	tmrheap_advance(st->ms);

	/* one turn of the loop: what came due fires now (expiries, the
	 * first request of each due refresh) */
	(void)wait_until(r, never, NULL, 1);

	return 0;
}


/* ------------------------------------------------ outside calls (dial) */

static bool dial_reached(struct runner *r, void *arg)
{
	const struct sc_step *st = arg;
	struct call_info ci;

	if (sim_registrar_call_info(r->sr, r->dial_sid, &ci))
		return true;              /* forgotten: nothing to wait for */

	if (ci.state == CALL_ENDED)
		return true;

	switch (st->dial_state) {

	case 1:  return ci.state >= CALL_RINGING;
	case 2:  return ci.state >= CALL_ANSWERED;
	case 3:  return false;
	default: return ci.state >= CALL_ANSWERED;
	}
}


static int run_dial_step(struct runner *r, const struct sc_step *st)
{
	static const enum call_state states[] = {CALL_TRYING, CALL_RINGING,
						 CALL_ANSWERED, CALL_ENDED};
	unsigned line = st->pos.line;
	const char *rule = st->expect.rule ? st->expect.rule :
		(r->sc->rulec ? r->sc->rulev[0] : NULL);
	struct call_info ci;
	char got[256];
	int err;

	switch (st->type) {

	case SC_DIAL:
		err = sim_registrar_call(r->sr, st->from, st->to, NULL, NULL,
					 r->dial_sid, sizeof(r->dial_sid));
		if (err)
			return set_verdict(r, VERDICT_FAIL, line, rule,
					   "could not dial %s from %s: %m",
					   st->to, st->from, err);
		return 0;

	case SC_DIAL_HANGUP:
		err = sim_registrar_hangup(r->sr, r->dial_sid);
		if (err)
			return set_verdict(r, VERDICT_FAIL, line, rule,
					   "the outside caller could not hang "
					   "up: %m", err);
		(void)wait_until(r, never, NULL, 1);
		return 0;

	default:
		break;
	}

	if (!r->dial_sid[0])
		return set_verdict(r, VERDICT_FAIL, line, NULL, "expect_dial "
				   "before any dial");

	(void)wait_until(r, dial_reached, (void *)st, st->within_ms);

	if (sim_registrar_call_info(r->sr, r->dial_sid, &ci))
		return set_verdict(r, VERDICT_FAIL, line, rule, "the call "
				   "%s is not known", r->dial_sid);

	(void)re_snprintf(got, sizeof(got), "%s, status %u%s%s%s%s, %u "
			  "branch(es), %u CANCEL(s)%s%s",
			  call_state_name(ci.state), ci.scode,
			  ci.rule && ci.rule[0] ? " (" : "",
			  ci.rule ? ci.rule : "",
			  ci.rule && ci.rule[0] ? ")" : "",
			  ci.answered_by ? ci.answered_by : "",
			  ci.branches, ci.cancels,
			  ci.ended_by ? ", ended by " : "",
			  ci.ended_by ? ci.ended_by : "");

	if (st->dial_state && ci.state != states[st->dial_state])
		return set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected %s, got %s",
				   call_state_name(states[st->dial_state]),
				   got);

	if (st->expect.status && ci.scode != st->expect.status)
		return set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected status %u, got %s",
				   st->expect.status, got);

	if (st->expect.rule && (!ci.rule || strcmp(ci.rule, st->expect.rule)))
		return set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected the registrar to decide by %s, "
				   "got %s", st->expect.rule, got);

	if (st->answered_by) {
		regex_t re;
		bool hit;

		if (regcomp(&re, st->answered_by, REG_EXTENDED | REG_NOSUB))
			return set_verdict(r, VERDICT_FAIL, line, NULL,
					   "bad answered_by regex");
		hit = ci.answered_by &&
			!regexec(&re, ci.answered_by, 0, NULL, 0);
		regfree(&re);
		if (!hit)
			return set_verdict(r, VERDICT_FAIL, line, rule,
					   "the call: expected an answer by "
					   "/%s/, got %s", st->answered_by,
					   got);
	}

	if (st->branches >= 0 && ci.branches != st->branches)
		return set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected %lld branch(es), got %s",
				   (long long)st->branches, got);

	if (st->cancels >= 0 && ci.cancels != st->cancels)
		return set_verdict(r, VERDICT_FAIL, line, rule, "the call: "
				   "expected %lld CANCEL(s), got %s",
				   (long long)st->cancels, got);

	return 0;
}


/* --------------------------------------------------------------- calls */

static const char *step_kind(enum sc_step_type t);

struct call_wait {
	const struct sc_step *st;
	enum sc_step_type what;
};


static bool call_cond(struct rphone *rp, enum sc_step_type what)
{
	switch (what) {

	case SC_CALL:          return rp->call_final_seen;
	case SC_REFER:         return rp->refer_done;
	case SC_EXPECT_CALL:   return rp->calls_in > 0;
	case SC_EXPECT_CANCEL: return rp->cancels > 0;
	case SC_EXPECT_BYE:    return rp->byes > 0;
	default:               return true;
	}
}


static bool calls_ready(struct runner *r, void *arg)
{
	const struct call_wait *cw = arg;

	for (size_t i = 0; i < cw->st->phonec; i++) {
		struct rphone *rp = rphone_find(r, cw->st->phonev[i]);
		if (rp && !call_cond(rp, cw->what))
			return false;
	}

	return true;
}


static const char *call_what(enum sc_step_type t)
{
	switch (t) {

	case SC_CALL:          return "a final response to its INVITE";
	case SC_REFER:         return "a final response to its REFER";
	case SC_EXPECT_CALL:   return "an INVITE";
	case SC_EXPECT_CANCEL: return "a CANCEL";
	default:               return "a BYE";
	}
}


/* status, reason and headers of one message, as an expect says */
static int check_call_msg(struct runner *r, const struct sc_step *st,
			  const char *name, const struct sip_msg *m,
			  const char *what)
{
	const struct sc_expect *e = &st->expect;
	unsigned line = st->pos.line;
	char got[160] = "";

	if (m && m->req)
		(void)re_snprintf(got, sizeof(got), "%r", &m->met);
	else if (m)
		(void)re_snprintf(got, sizeof(got), "%u %r", m->scode,
				  &m->reason);
	else
		(void)re_snprintf(got, sizeof(got), "no %s", what);

	if (e->status && (!m || m->req || m->scode != e->status))
		return set_verdict(r, VERDICT_FAIL, line, rule_for(r, e),
				   "%s: expected %u to %s, got %s", name,
				   e->status, what, got);

	for (size_t i = 0; i < e->hdrc; i++) {
		const struct sc_header_check *hc = &e->hdrv[i];
		bool present = false, hit = false;
		regex_t re;

		if (!m)
			return set_verdict(r, VERDICT_FAIL, line,
					   rule_for(r, e), "%s: expected %s, "
					   "got %s", name, what, got);
		if (!hc->regex) {
			(void)header_matches(m, hc->name, NULL, &present);
			if (present)
				return set_verdict(r, VERDICT_FAIL, line,
						   rule_for(r, e), "%s: "
						   "expected no %s header in "
						   "%s", name, hc->name, got);
			continue;
		}
		if (regcomp(&re, hc->regex, REG_EXTENDED | REG_NOSUB))
			return set_verdict(r, VERDICT_FAIL, line, NULL,
					   "bad header regex");
		hit = header_matches(m, hc->name, &re, &present);
		regfree(&re);
		if (!hit) {
			const struct sip_hdr *h = sip_msg_xhdr(m, hc->name);
			return set_verdict(r, VERDICT_FAIL, line,
					   rule_for(r, e), "%s: expected %s "
					   "matching /%s/ in %s, got %s%r%s",
					   name, hc->name, hc->regex, got,
					   h ? "'" : "", h ? &h->val : NULL,
					   h ? "'" : "no such header");
		}
	}

	return 0;
}


/* "+14155551234" -> sip:+14155551234@domain; a URI is taken as it is */
static void call_target(const struct runner *r, const struct rphone *rp,
			const char *to, char *buf, size_t sz)
{
	if (!strncmp(to, "sip:", 4) || !strncmp(to, "sips:", 5))
		(void)re_snprintf(buf, sz, "%s", to);
	else if (strchr(to, '@'))
		(void)re_snprintf(buf, sz, "sip:%s", to);
	else
		(void)re_snprintf(buf, sz, "sip:%s@%s", to,
				  rp->sp->has_domain && rp->sp->conf.domain ?
				  rp->sp->conf.domain : r->domain);
}


static int call_act(struct runner *r, const struct sc_step *st,
		    struct rphone *rp)
{
	const char *name = rp->sp->name;
	struct phone_call *call = NULL;
	char uri[512];
	int err = 0;

	if (st->type != SC_CALL && st->type != SC_IGNORE && !rp->call)
		return set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
				   "%s: no call to act on", name);

	switch (st->type) {

	case SC_CALL:
		call_target(r, rp, st->to, uri, sizeof(uri));
		rp->call_final_seen = false;
		rp->call_final = mem_deref(rp->call_final);
		err = phone_call_start(&call, rp->phone, uri, st->extra);
		if (!err) {
			mem_deref(rp->call);
			rp->call = mem_ref(call);
		}
		break;

	case SC_RING:    err = phone_call_ring(rp->call); break;
	case SC_ANSWER:  err = phone_call_answer(rp->call,
						 (uint32_t)st->ms); break;
	case SC_REJECT:  err = phone_call_reject(rp->call, st->code); break;
	case SC_CANCEL:  err = phone_call_cancel(rp->call); break;
	case SC_HANGUP:  err = phone_call_hangup(rp->call); break;
	case SC_IGNORE:  break;

	case SC_REFER:
		call_target(r, rp, st->to, uri, sizeof(uri));
		rp->refer_done = false;
		rp->refer_final = mem_deref(rp->refer_final);
		err = phone_call_refer(rp->call, uri);
		break;

	default:
		break;
	}

	if (err)
		return set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
				   "%s: could not %s the call: %m", name,
				   step_kind(st->type), err);

	return 0;
}


static int run_call_step(struct runner *r, const struct sc_step *st)
{
	struct call_wait cw = {st, st->type};
	bool waits = st->type == SC_EXPECT_CALL ||
		st->type == SC_EXPECT_CANCEL || st->type == SC_EXPECT_BYE ||
		((st->type == SC_CALL || st->type == SC_REFER) &&
		 st->has_expect);
	uint64_t within = st->within_ms ? st->within_ms : OP_TIMEOUT_MS;
	int err = 0;

	for (size_t i = 0; i < st->phonec && !err; i++) {
		struct rphone *rp = rphone_find(r, st->phonev[i]);

		if (rp && st->type != SC_EXPECT_CALL &&
		    st->type != SC_EXPECT_CANCEL && st->type != SC_EXPECT_BYE)
			err = call_act(r, st, rp);
	}

	if (err || !waits)
		return err;

	(void)wait_until(r, calls_ready, &cw, within);

	for (size_t i = 0; i < st->phonec && !err; i++) {
		struct rphone *rp = rphone_find(r, st->phonev[i]);
		const struct sip_msg *m = NULL;

		if (!rp)
			continue;

		if (!call_cond(rp, st->type))
			return set_verdict(r, VERDICT_FAIL, st->pos.line,
					   rule_for(r, &st->expect),
					   "%s: expected %s within %llu ms; "
					   "none came", rp->sp->name,
					   call_what(st->type),
					   (unsigned long long)within);

		switch (st->type) {

		case SC_CALL:          m = rp->call_final;  break;
		case SC_REFER:         m = rp->refer_final; break;
		case SC_EXPECT_CALL:   m = rp->invite; rp->calls_in--; break;
		case SC_EXPECT_CANCEL: m = rp->cancel; rp->cancels--; break;
		default:               rp->byes--; break;
		}

		if (st->has_expect)
			err = check_call_msg(r, st, rp->sp->name, m,
					     call_what(st->type));
	}

	return err;
}


/* -------------------------------------------------------------- faults */

static int start_registrar(struct runner *r, bool again);


/* the phone's index in the scenario: its link's PRNG streams */
static uint32_t phone_id(const struct runner *r, const struct rphone *rp)
{
	return (uint32_t)(rp - r->phonev);
}


static int run_link(struct runner *r, const struct sc_step *st)
{
	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rphone_find(r, st->phonev[i]);
		int err;

		if (!rp)
			continue;

		if (st->link_clear) {
			linkfaults_clear(r->lf, phone_laddr(rp->phone));
			continue;
		}

		err = linkfaults_set(r->lf, phone_laddr(rp->phone),
				     phone_id(r, rp), &st->link);
		if (err)
			return set_verdict(r, VERDICT_ERROR, st->pos.line,
					   NULL, "%s: link faults could not be "
					   "set: %m", rp->sp->name, err);
	}

	return 0;
}


/*
 * The registrar goes and comes back on the same address and ports, from
 * its state file.  Graceful: it writes the state whole first.  Kill: it
 * is destroyed as it stands, as kill -9 would leave it: only what its
 * journal already holds survives (and the datagrams it had queued on a
 * phone's link go with it).  The phones are not told.
 */
static int run_restart(struct runner *r, const struct sc_step *st)
{
	uint32_t before, after;
	int err;

	if (!r->sr)
		return set_verdict(r, VERDICT_SKIP, st->pos.line, NULL,
				   "restart needs the in-process registrar");

	before = location_count_account(sim_registrar_location(r->sr));

	if (!st->restart_kill) {
		err = sim_registrar_shutdown(r->sr);
		if (err)
			return set_verdict(r, VERDICT_ERROR, st->pos.line,
					   NULL, "the registrar could not write "
					   "its state file %s: %m",
					   r->state_path, err);
	}

	linkfaults_forget_socket(r->lf, &r->reg_addr[0]);
	r->sr = mem_deref(r->sr);

	if (start_registrar(r, true))
		return EPROTO;

	after = location_count_account(sim_registrar_location(r->sr));

	if (r->opts->verbose)
		(void)re_fprintf(stderr, "    registrar restarted (%s): %u "
				 "binding(s) before, %u restored\n",
				 st->restart_kill ? "kill" : "graceful",
				 before, after);

	return 0;
}


/* --------------------------------------------------------------- steps */

static bool is_op(enum sc_step_type t)
{
	return t == SC_REGISTER || t == SC_REFRESH || t == SC_UNREGISTER ||
		t == SC_FETCH;
}


static int run_steps(struct runner *r, const struct sc_step *stepv,
		     size_t stepc);


static const char *step_kind(enum sc_step_type t)
{
	switch (t) {

	case SC_REGISTER:   return "register";
	case SC_REFRESH:    return "refresh";
	case SC_UNREGISTER: return "unregister";
	case SC_FETCH:      return "fetch";
	case SC_EXPECT:     return "expect";
	case SC_EXPECT_NO:  return "expect_no";
	case SC_ADVANCE:    return "advance";
	case SC_WAIT:       return "wait";
	case SC_PARALLEL:   return "parallel";
	case SC_REPEAT:     return "repeat";
	case SC_CALL:       return "call";
	case SC_EXPECT_CALL: return "expect_call";
	case SC_RING:       return "ring";
	case SC_ANSWER:     return "answer";
	case SC_REJECT:     return "reject";
	case SC_IGNORE:     return "ignore";
	case SC_CANCEL:     return "cancel";
	case SC_HANGUP:     return "hangup";
	case SC_REFER:      return "refer";
	case SC_EXPECT_CANCEL: return "expect_cancel";
	case SC_EXPECT_BYE: return "expect_bye";
	case SC_DIAL:       return "dial";
	case SC_DIAL_HANGUP: return "dial_hangup";
	case SC_LINK:       return "link";
	case SC_RESTART:    return "restart";
	default:            return "expect_dial";
	}
}


static int run_step_body(struct runner *r, const struct sc_step *st);


static int run_step(struct runner *r, const struct sc_step *st)
{
	struct run_result *res = r->res;
	unsigned outer = r->cur_line;
	size_t idx = res->stepc;
	uint64_t t = tmr_jiffies();
	int err;

	if (res->stepc < RUN_STEP_MAX) {
		void *v = grow(res->stepv, &r->stepcap, res->stepc,
			       sizeof(*res->stepv));
		if (v) {
			struct run_step *rs;

			res->stepv = v;
			rs = &res->stepv[res->stepc++];
			memset(rs, 0, sizeof(*rs));
			rs->line = st->pos.line;
			rs->kind = step_kind(st->type);
			rs->start_ms = t - r->t0;
			rs->virtual_ms = vclock_offset();
		}
	}

	r->cur_line = st->pos.line;
	err = run_step_body(r, st);
	r->cur_line = outer;

	if (idx < res->stepc) {
		res->stepv[idx].real_ms = tmr_jiffies() - t;
		res->stepv[idx].verdict = err ? (res->verdict ==
						 VERDICT_PASS ? VERDICT_FAIL :
						 res->verdict) : VERDICT_PASS;
	}

	return err;
}


static int run_step_body(struct runner *r, const struct sc_step *st)
{
	int err = 0;

	r->res->steps++;

	if (r->opts->verbose)
		(void)re_fprintf(stderr, "  step at line %u\n", st->pos.line);

	switch (st->type) {

	case SC_REGISTER:
	case SC_REFRESH:
	case SC_UNREGISTER:
	case SC_FETCH:
		err = queue_ops(r, st);
		if (!err)
			err = wait_ops(r, st, st->phonec);
		if (!err && st->has_expect)
			err = run_expect(r, st, st->phonev, st->phonec);
		break;

	case SC_EXPECT:
		if (st->phonec)
			err = run_expect(r, st, st->phonev, st->phonec);
		else if (r->last_op)
			err = run_expect(r, st, r->last_op->phonev,
					 r->last_op->phonec);
		else
			err = run_expect(r, st, NULL, 0);
		break;

	case SC_EXPECT_NO:
		err = run_expect_no(r, st);
		break;

	case SC_ADVANCE:
		err = run_advance(r, st);
		break;

	case SC_WAIT:
		(void)wait_until(r, never, NULL, st->ms);
		break;

	case SC_PARALLEL: {
		size_t phones = 0;

		/* operations start together; the other steps run in order
		 * while they are in flight (an advance past a timeout, a
		 * restart under a REGISTER); then the operations' ends and
		 * their inline expects */
		for (size_t i = 0; i < st->stepc && !err; i++) {
			if (is_op(st->stepv[i].type)) {
				err = queue_ops(r, &st->stepv[i]);
				phones += st->stepv[i].phonec;
			}
		}
		for (size_t i = 0; i < st->stepc && !err; i++) {
			if (!is_op(st->stepv[i].type))
				err = run_step(r, &st->stepv[i]);
		}
		if (!err)
			err = wait_ops(r, st, phones);
		for (size_t i = 0; i < st->stepc && !err; i++) {
			const struct sc_step *c = &st->stepv[i];

			if (is_op(c->type) && c->has_expect)
				err = run_expect(r, c, c->phonev, c->phonec);
		}
		break;
	}

	case SC_REPEAT:
		for (uint32_t i = 0; i < st->count && !err; i++)
			err = run_steps(r, st->stepv, st->stepc);
		break;

	case SC_DIAL:
	case SC_DIAL_HANGUP:
	case SC_EXPECT_DIAL:
		err = run_dial_step(r, st);
		break;

	case SC_LINK:
		err = run_link(r, st);
		break;

	case SC_RESTART:
		err = run_restart(r, st);
		break;

	default:
		err = run_call_step(r, st);
		break;
	}

	return err;
}


static int run_steps(struct runner *r, const struct sc_step *stepv,
		     size_t stepc)
{
	int err = 0;

	for (size_t i = 0; i < stepc && !err; i++)
		err = run_step(r, &stepv[i]);

	return err;
}


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
		return set_verdict(r, VERDICT_ERROR, 0, NULL, "no folder for "
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
static int start_registrar(struct runner *r, bool again)
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
	o.dh = decision_handler;
	o.guardh = guard_handler;
	o.callh = call_handler;
	o.arg = r;

	err = sim_registrar_alloc(&r->sr, r->cfg, &o);
	if (err)
		return set_verdict(r, VERDICT_ERROR, r->cur_line, NULL,
				   "the registrar could not start on %J: %m",
				   &listen, err);

	(void)sim_registrar_laddr(r->sr, SIP_TRANSP_UDP, &r->reg_addr[0]);
	(void)sim_registrar_laddr(r->sr, SIP_TRANSP_TCP, &r->reg_addr[1]);
	if (need_tls)
		(void)sim_registrar_laddr(r->sr, SIP_TRANSP_TLS,
					  &r->reg_addr[2]);

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


static int start_phones(struct runner *r)
{
	struct phone_stack *stack = NULL;
	size_t fill = 0;
	int err = 0;

	r->phonev = mem_zalloc((r->sc->phonec + 1) * sizeof(*r->phonev),
			       NULL);
	if (!r->phonev)
		return ENOMEM;

	for (size_t i = 0; i < r->sc->phonec; i++) {
		const struct sc_phone *sp = &r->sc->phonev[i];
		struct rphone *rp = &r->phonev[i];
		struct phone_conf conf = sp->conf;

		rp->run = r;
		rp->sp = sp;
		r->phonec++;

		if (!sp->has_domain || !conf.domain)
			conf.domain = r->domain;
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

		err = phone_alloc(&rp->phone, &conf, phone_event, rp);
		if (err)
			break;

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
		return set_verdict(r, VERDICT_ERROR,
				   r->phonec ? r->phonev[r->phonec - 1].sp->pos.line
				   : 0, NULL, "phone %s could not start: %m",
				   r->phonec ? r->phonev[r->phonec - 1].sp->name
				   : "?", err);

	return 0;
}


static void runner_close(struct runner *r)
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
	if (r->decisions)
		hash_flush(r->decisions);
	mem_deref(r->decisions);
	mem_deref(r->cfg);
	state_dir_remove(r);
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

	/* outside calls are placed through the in-process registrar */
	if (opts->target && sc->needs_calls) {
		set_verdict(&r, VERDICT_SKIP, 0, NULL, "dials from the outside "
			    "network: needs the in-process registrar");
		goto out;
	}

	/* a target we do not run cannot be restarted (its control API has
	 * no restart), and what it sends to the phones cannot be faulted */
	if (opts->target && sc->needs_restart) {
		set_verdict(&r, VERDICT_SKIP, 0, NULL, "restarts the "
			    "registrar: needs the in-process one (a target's "
			    "control API cannot restart it)");
		goto out;
	}

	if (opts->target && sc->needs_rx_faults) {
		set_verdict(&r, VERDICT_SKIP, 0, NULL, "faults on what the "
			    "phones receive are made where the in-process "
			    "registrar sends; against a target only "
			    "`direction: send` works");
		goto out;
	}

	/* a target has the configuration it has */
	if (opts->target && sc->config) {
		set_verdict(&r, VERDICT_SKIP, 0, NULL, "needs a registrar "
			    "configured as its `registrar: config:` says; the "
			    "target runs its own");
		goto out;
	}

	/* virtual time cannot be had from a registrar we do not drive;
	 * a few seconds can be waited for */
	if (opts->target && !opts->control &&
	    max_advance(sc->stepv, sc->stepc) > REAL_ADVANCE_MAX_MS) {
		set_verdict(&r, VERDICT_SKIP, 0, NULL, "needs the registrar's "
			    "clock (advance %llus): give the control API of a "
			    "sim-registrar target (--control)",
			    (unsigned long long)max_advance(sc->stepv,
							    sc->stepc) / 1000);
		goto out;
	}

	err = sc->config ? 0 : reg_config_default(&r.cfg);
	if (sc->config)
		r.cfg = mem_ref(sc->config);
	if (err || !r.cfg || !r.cfg->domainc) {
		set_verdict(&r, VERDICT_ERROR, 0, NULL, "no configuration");
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
		if (opts->control) {
			char body[256];
			if (ctlclient_request(opts->control, "POST", "/reset",
					      body, sizeof(body)) != 200) {
				set_verdict(&r, VERDICT_ERROR, 0, NULL,
					    "the control API did not answer");
				goto out;
			}
		}
	}
	else if (start_registrar(&r, false)) {
		goto out;
	}

	if (sc->needs_faults) {
		err = linkfaults_alloc(&r.lf, sc->seed);
		if (err) {
			set_verdict(&r, VERDICT_ERROR, 0, NULL, "link faults: "
				    "%m", err);
			goto out;
		}
	}

	if (start_phones(&r))
		goto out;

	(void)run_steps(&r, sc->stepv, sc->stepc);

	/* CANCELled branches wait for their 487: it is ACKed before the
	 * registrar goes (RING-2; their phones answer within a loop turn) */
	if (r.sr)
		(void)wait_until(&r, calls_closed, NULL, CLOSE_WAIT_MS);

 out:
	runner_close(&r);
	res->real_ms = tmr_jiffies() - t0;
	res->virtual_ms = vclock_offset() + res->real_ms;
	*resp = res;

	return 0;
}
