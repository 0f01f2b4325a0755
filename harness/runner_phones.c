/**
 * @file runner_phones.c  A run's loop and phones: the registrar's
 * decisions by Call-ID and CSeq, the SIP messages recorded for the
 * reports, the phones' events, and the operations (REGISTER...) started a
 * bounded window at a time, so 20,000 phones do not flood the registrar
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

/* ------------------------------------------------------------ decisions */

struct decision_entry {
	struct le he;
	uint64_t key;               /* Call-ID and CSeq (decision_key)     */
	const char *rule;           /* the rules table's name: static      */
};

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


void rn_decision_handler(const struct decision *d, void *arg)
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
void rn_call_handler(const struct call_info *ci, void *arg)
{
	(void)ci;
	(void)arg;

	re_cancel();
}


void rn_guard_handler(uint16_t scode, const char *reason,
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
const char *rn_decision_of(struct runner *r, const struct sip_msg *msg,
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


void *rn_grow(void *v, size_t *cap, size_t n, size_t elem)
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


/* a TLS phone's message, as the phone saw it (the wire sees ciphertext) */
static void record_msg(struct runner *r, struct rphone *rp,
		       const struct phone_event *ev)
{
	const struct sip_msg *m = ev->msg;
	struct rn_record rec;

	if (!m || !m->mb)
		return;

	memset(&rec, 0, sizeof(rec));
	rec.msg = m;
	rec.buf = m->mb->buf;
	rec.len = m->mb->end;
	rec.phone = rp->sp->name;
	rec.from_phone = ev->type == PHONE_EV_SENT;   /* else received */
	rec.retrans = ev->retrans;
	rec.src = &m->src;
	rec.dst = &m->dst;
	rec.tp = m->tp;
	rec.wall_us = wall_us();

	rn_record_msg(r, &rec);
}


/* ---------------------------------------------------------------- loop */

static void timeout_handler(void *arg)
{
	struct runner *r = arg;

	r->timed_out = true;
	re_cancel();
}


typedef bool (rn_pred_h)(struct runner *r, void *arg);

/* run the loop until pred holds or ms of real time pass */
bool rn_wait_until(struct runner *r, rn_pred_h *pred, void *arg,
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


bool rn_never(struct runner *r, void *arg)
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


void rn_phone_event(struct phone *phone, const struct phone_event *ev,
			void *arg)
{
	struct rphone *rp = arg;
	struct runner *r = rp->run;
	(void)phone;

	/* the wire records what crosses it (runner_wire.c); TLS is opaque
	 * there, so a TLS phone's messages are kept as the phone saw them
	 * (the checker reads them from the in-process service's trace) */
	if (rp->sp->conf.tp == SIP_TRANSP_TLS &&
	    (ev->type == PHONE_EV_SENT || ev->type == PHONE_EV_RESPONSE ||
	     (ev->type == PHONE_EV_RECEIVED && ev->op == PHONE_OP_CALL)))
		record_msg(r, rp, ev);

	if (ev->op == PHONE_OP_CALL)
		call_event(rp, ev);
	if (ev->type == PHONE_EV_CALL_CLOSED)
		rn_media_keep(r, rp, ev->call);

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
		rn_set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
			    "%s: the phone could not send: %m",
			    rp->sp->name, err);
		return err;
	}

	rp->pending = true;
	r->inflight++;

	return 0;
}


struct rphone *rn_rphone_find(struct runner *r, const char *name)
{
	const struct sc_phone *sp = scenario_phone(r->sc, name);
	size_t i = sp ? (size_t)(sp - r->sc->phonev) : r->phonec;

	return i < r->phonec ? &r->phonev[i] : NULL;
}


static bool none_busy(struct runner *r, void *arg)
{
	const struct sc_step *st = arg;

	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rn_rphone_find(r, st->phonev[i]);
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
int rn_queue_ops(struct runner *r, const struct sc_step *st)
{
	struct rphone **q;

	if (!rn_wait_until(r, none_busy, (void *)st, BUSY_TIMEOUT_MS))
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
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
		struct rphone *rp = rn_rphone_find(r, st->phonev[i]);

		if (rp)
			q[r->queuen++] = rp;
	}

	mem_deref(r->queue);
	r->queue = q;
	r->qstep = st;
	r->last_op = st;

	/* phones of this step are told apart from the expect's baseline */
	for (size_t i = 0; i < st->phonec; i++) {
		struct rphone *rp = rn_rphone_find(r, st->phonev[i]);
		if (rp)
			memset(rp->unconsumed, 0, sizeof(rp->unconsumed));
	}

	start_queued(r);

	return r->res->verdict == VERDICT_PASS ? 0 : EPROTO;
}


int rn_wait_ops(struct runner *r, const struct sc_step *st,
		    size_t phonec)
{
	uint64_t ms = st->within_ms ? st->within_ms :
		OP_TIMEOUT_MS + 2 * (uint64_t)phonec;

	if (!rn_wait_until(r, ops_done, NULL, ms))
		return rn_set_verdict(r, VERDICT_FAIL, st->pos.line, NULL,
				   "%u phone(s) had no final response after "
				   "%llu ms", r->inflight + (unsigned)(r->queuen -
				   r->queuepos), (unsigned long long)ms);

	return 0;
}




/* ---------------------------------------------------------------- media */

static void media_dir(struct run_media_dir *d, const struct media_rx_figs *rx,
		      const struct media_tx_figs *tx, uint32_t tone_tx)
{
	if (rx) {
		d->packets  = rx->packets;
		d->bytes    = rx->bytes;
		d->first_ms = rx->first_ms;
		d->lost     = rx->lost;
		d->jitter_ms = rx->jitter_ms;
		d->tone_hz  = rx->tone_hz;
		str_ncpy(d->digits, rx->digits, sizeof(d->digits));
		d->one_way  = rx->one_way;
		d->silent   = rx->blocks && rx->silent_blocks == rx->blocks;
		return;
	}

	d->packets  = tx->packets;
	d->bytes    = tx->bytes;
	d->first_ms = tx->first_ms;
	d->tone_hz  = tx->packets ? tone_tx : 0;
	d->one_way  = !tx->packets;     /* kept calls have started */
	str_ncpy(d->digits, tx->digits, sizeof(d->digits));
}


/* calls without RTP started (rejected, cancelled, no codec) have none */
void rn_media_keep(struct runner *r, const struct rphone *rp,
		   const struct phone_call *call)
{
	struct run_result *res = r->res;
	struct phone_media_figs f;
	struct run_media *m;
	const int16_t *pcm;
	size_t pcmc = 0;

	if (!call || phone_call_media(call, &f) || !f.started ||
	    res->mediac >= RUN_MEDIA_MAX)
		return;

	/* the first call's: a scenario has a few (the bench none) */
	if (!res->mediav)
		res->mediav = mem_zalloc(RUN_MEDIA_MAX * sizeof(*m), NULL);
	if (!res->mediav)
		return;

	m = &res->mediav[res->mediac++];
	memset(m, 0, sizeof(*m));
	m->phone = rp->sp->name;
	str_ncpy(m->callid, phone_call_callid(call), sizeof(m->callid));
	m->pt = f.pt;
	media_dir(&m->rx, &f.rx, NULL, 0);
	media_dir(&m->tx, NULL, &f.tx, f.tone_hz);

	pcm = r->opts->record ? phone_call_capture(call, &pcmc) : NULL;
	if (pcm && pcmc) {
		m->pcm = mem_alloc(pcmc * sizeof(*pcm), NULL);
		if (m->pcm) {
			memcpy(m->pcm, pcm, pcmc * sizeof(*pcm));
			m->pcmc = pcmc;
		}
	}
}


void rn_media_keep_open(struct runner *r)
{
	for (size_t i = 0; i < r->phonec; i++) {
		const struct rphone *rp = &r->phonev[i];
		const struct phone_call *call = rp->phone ?
			phone_call_latest(rp->phone) : NULL;

		if (call && phone_call_state(call) != PHONE_CALL_CLOSED)
			rn_media_keep(r, rp, call);
	}
}
