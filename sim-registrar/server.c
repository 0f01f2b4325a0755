/**
 * @file server.c  The reference registrar as one object (sim_registrar.h)
 */

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <re.h>
#include "config.h"
#include "location.h"
#include "registrar.h"
#include "control.h"
#include "persist.h"
#include "guard.h"
#include "reshim/udp_batch.h"
#include "sipcheck.h"
#include "calls.h"
#include "actions.h"      /* phone-mode hook */
#include "sim_registrar.h"

#define SOFTWARE "sipconform-sim-registrar/" SIPCONFORM_VERSION

/* recent decisions, for the control API's GET /decisions */
enum { DECISION_RING = 4096, LOGBUF_FLUSH = 32768 };

/* buckets of the server transaction tables (a power of 2): 20,000
 * registrations leave 40,000 transactions for 32 s (bench/results.md) */
enum { STRANS_HASH_SIZE = 65536 };

struct decision_rec {
	char callid[96];
	uint32_t cseq;
	enum rule_id rule;
	uint16_t scode;
};

struct sim_registrar {
	struct reg_config *cfg;
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct tls *tls;
	struct location *loc;
	struct registrar *reg;
	struct calls *calls;
	struct control *ctl;
	struct guard *guard;
	struct persist *persist;
	struct decision_rec *ring;
	uint32_t ringpos;
	struct mbuf *logbuf;      /* decision lines of the current batch  */
	bool verbose;
	bool dh_calls;
	decision_h *dh;
	guard_h *guardh;
	void *arg;
	/* phone-mode hooks */
	struct reg_actions *actions;
	void (*traceh)(bool tx, int tp, const struct sa *src,
		       const struct sa *dst, const uint8_t *pkt, size_t len,
		       void *arg);
};


static void log_flush(struct sim_registrar *sr);


static void destructor(void *data)
{
	struct sim_registrar *sr = data;

	log_flush(sr);
	if (sr->logbuf)
		udp_batch_end_handler(NULL, NULL);
	mem_deref(sr->logbuf);
	mem_deref(sr->ctl);
	mem_deref(sr->calls);
	mem_deref(sr->persist);
	mem_deref(sr->lsnr);
	mem_deref(sr->reg);
	mem_deref(sr->actions);
	mem_deref(sr->guard);
	sip_close(sr->sip, true);
	mem_deref(sr->sip);
	mem_deref(sr->tls);
	mem_deref(sr->loc);
	mem_deref(sr->ring);
	mem_deref(sr->cfg);
}


/* the decision lines a batch of datagrams logged, written at once */
static void log_flush(struct sim_registrar *sr)
{
	size_t off = 0;

	if (!sr->logbuf || !sr->logbuf->end)
		return;

	while (off < sr->logbuf->end) {
		ssize_t n = write(STDERR_FILENO, sr->logbuf->buf + off,
				  sr->logbuf->end - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}

	mbuf_rewind(sr->logbuf);
}


static void batch_end(void *arg)
{
	log_flush(arg);
}


static void log_line(struct sim_registrar *sr, const char *line)
{
	if (sr->logbuf && udp_batch_running()) {
		(void)mbuf_write_str(sr->logbuf, line);
		if (sr->logbuf->end >= LOGBUF_FLUSH)
			log_flush(sr);
		return;
	}

	log_flush(sr);
	(void)fputs(line, stderr);
}


static void log_decision(const struct decision *d, void *arg)
{
	struct sim_registrar *sr = arg;
	struct decision_rec *rec = &sr->ring[sr->ringpos++ % DECISION_RING];
	char line[1024];

	/* a call's own decision (no request): found by its SID, CSeq 0 */
	if (d->msg) {
		(void)pl_strcpy(&d->msg->callid, rec->callid,
				sizeof(rec->callid));
		rec->cseq = d->msg->cseq.num;
	}
	else {
		str_ncpy(rec->callid, d->call ? d->call : "",
			 sizeof(rec->callid));
		rec->cseq = 0;
	}
	rec->rule = d->rule;
	rec->scode = d->scode;

	/* a handler that did not ask for a call's own decisions (it reads
	 * d->msg) only has them recorded */
	if (sr->dh) {
		if (d->msg || sr->dh_calls)
			sr->dh(d, sr->arg);
		return;
	}

	/* one write per batch of datagrams (udp_batch.h), else per line:
	 * re_fprintf on the unbuffered stderr issues a write(2) for every
	 * piece of the format (bench/results.md) */
	if (re_snprintf(line, sizeof(line), "%H\n", decision_print, d) > 0) {
		log_line(sr, line);
		return;
	}

	log_flush(sr);
	(void)re_fprintf(stderr, "%H\n", decision_print, d);
}


static void guard_log(uint16_t scode, const char *reason, const char *detail,
		      const struct sa *src, const char *transport,
		      const char *method, void *arg)
{
	struct sim_registrar *sr = arg;
	char line[1024];
	(void)reason;

	if (sr->guardh) {
		sr->guardh(scode, reason, detail, src, transport, method,
			   sr->arg);
		return;
	}

	if (re_snprintf(line, sizeof(line), "%s %u %s from %J/%s: %s\n",
			scode == 416 ? "RFC3261" : "REG-MSG-2", scode, method,
			src, transport, detail) > 0) {
		log_line(sr, line);
		return;
	}

	log_flush(sr);
	(void)re_fprintf(stderr, "%s %u %s from %J/%s: %s\n",
			 scode == 416 ? "RFC3261" : "REG-MSG-2", scode,
			 method, src, transport, detail);
}


static bool request_handler(const struct sip_msg *msg, void *arg)
{
	struct sim_registrar *sr = arg;
	struct sipcheck res;

	/* a retransmission: what it got the first time */
	if (registrar_replay(sr->reg, msg))
		return true;

	/* what libre decoded may still break SIP's rules (REG-MSG-2) */
	if (sipcheck_msg(msg, msg->tp != SIP_TRANSP_UDP, &res) &&
	    pl_strcmp(&msg->met, "ACK")) {
		(void)registrar_reply(sr->reg, msg, res.scode == 416 ?
				      RULE_COUNT : RULE_REG_MSG_2, res.scode,
				      res.reason, NULL, res.detail, NULL);
		return true;
	}

	/* INVITE, and ACK/BYE/REFER/... in a call: the B2BUA's */
	if (calls_request(sr->calls, msg))
		return true;

	return registrar_request(sr->reg, msg);
}


static void trace_handler(bool tx, enum sip_transp tp, const struct sa *src,
			  const struct sa *dst, const uint8_t *pkt, size_t len,
			  void *arg)
{
	struct sim_registrar *sr = arg;

	/* phone-mode hook: the harness's trace handler */
	if (sr && sr->traceh) {
		sr->traceh(tx, (int)tp, src, dst, pkt, len, sr->arg);
		if (!sr->verbose)
			return;
	}

	(void)re_fprintf(stderr, "---- %s %s %J -> %J (%zu bytes)\n%b\n",
			 tx ? "sent" : "received", sip_transp_name(tp),
			 src, dst, len, pkt, len);
}


/* UDP and TCP on one port (RFC 3261 18.2.1); port 0: one free for both */
static int add_transports(struct sim_registrar *sr, const struct sa *listen)
{
	struct sa laddr = *listen;
	int err = 0;

	for (int attempt = 0; attempt < 20; attempt++) {
		err = sip_transp_add(sr->sip, SIP_TRANSP_UDP, &laddr);
		if (err)
			return err;

		err = sip_transp_laddr(sr->sip, &laddr, SIP_TRANSP_UDP, NULL);
		if (err)
			return err;

		err = sip_transp_add(sr->sip, SIP_TRANSP_TCP, &laddr);
		if (!err || sa_port(listen))
			return err;

		/* the TCP side of a picked port was taken: try another */
		sip_transp_flush(sr->sip);
		laddr = *listen;
	}

	return err;
}


int sim_registrar_alloc(struct sim_registrar **srp, struct reg_config *cfg,
			const struct sim_registrar_opts *opts)
{
	struct sim_registrar *sr;
	int err;

	if (!srp || !cfg || !opts || !opts->listen)
		return EINVAL;

	sr = mem_zalloc(sizeof(*sr), destructor);
	if (!sr)
		return ENOMEM;

	sr->cfg = mem_ref(cfg);
	sr->verbose = opts->verbose;
	sr->dh_calls = opts->dh_calls;
	sr->dh = opts->dh;
	sr->guardh = opts->guardh;
	sr->arg = opts->arg;
	sr->traceh = opts->traceh;

	/* the log on stderr: a batch's lines in one write (udp_batch.h);
	 * verbose traces come between lines, so those stay unbuffered */
	if (!sr->dh && !sr->verbose) {
		sr->logbuf = mbuf_alloc(LOGBUF_FLUSH + 1024);
		if (sr->logbuf)
			udp_batch_end_handler(batch_end, sr);
	}

	sr->ring = mem_zalloc(DECISION_RING * sizeof(*sr->ring), NULL);
	if (!sr->ring) {
		err = ENOMEM;
		goto out;
	}

	/* server transactions live 32 s after their reply (Timer J): at
	 * thousands of REGISTERs a second, 1024 buckets made every request's
	 * two lookups walk long chains (bench/results.md) */
	/* sr is the trace handler's argument (phone-mode hook) */
	err = sip_alloc(&sr->sip, NULL, 64, STRANS_HASH_SIZE, 64, SOFTWARE,
			NULL, sr);
	if (err)
		goto out;

	err = guard_alloc(&sr->guard, guard_log, sr);
	if (err)
		goto out;

	guard_attach_begin(sr->guard);
	err = add_transports(sr, opts->listen);
	guard_attach_end();
	if (err)
		goto out;

	if (opts->tls) {
		err = tls_alloc(&sr->tls, TLS_METHOD_SSLV23, NULL, NULL);
		if (!err && opts->tls_cert_pem && opts->tls_key_pem)
			err = tls_set_certificate_pem(sr->tls,
				opts->tls_cert_pem, strlen(opts->tls_cert_pem),
				opts->tls_key_pem, strlen(opts->tls_key_pem));
		else if (!err)
			err = tls_set_selfsigned_rsa(sr->tls, opts->tls_cn ?
						     opts->tls_cn :
						     "sim-registrar", 2048);
		if (!err) {
			guard_attach_begin(sr->guard);
			err = sip_transp_add(sr->sip, SIP_TRANSP_TLS,
					     opts->tls, sr->tls);
			guard_attach_end();
		}
		if (err)
			goto out;
	}

	if (opts->verbose || opts->traceh)
		sip_set_trace_handler(sr->sip, trace_handler);

	err = location_alloc(&sr->loc, cfg->domainc);
	if (err)
		goto out;

	if (opts->state) {
		err = persist_open(&sr->persist, opts->state, sr->loc, cfg);
		if (err)
			goto out;
	}

	err = registrar_alloc(&sr->reg, sr->sip, cfg, sr->loc, log_decision,
			      sr);
	if (err)
		goto out;

	/* phone-mode hook: actions, empty unless the harness arms some */
	err = reg_actions_alloc(&sr->actions);
	if (err)
		goto out;
	registrar_set_actions(sr->reg, sr->actions);

	err = calls_alloc(&sr->calls, sr->sip, cfg, sr->loc, log_decision,
			  sr);
	if (err)
		goto out;
	calls_set_handler(sr->calls, opts->callh, opts->arg);
	calls_set_capture(sr->calls, opts->media_capture_ms);

	err = sip_listen(&sr->lsnr, sr->sip, true, request_handler, sr);
	if (err)
		goto out;

	if (opts->control) {
		err = control_alloc(&sr->ctl, sr, opts->control,
				    opts->control_token);
		if (err)
			goto out;
	}

 out:
	if (err)
		mem_deref(sr);
	else
		*srp = sr;

	return err;
}


int sim_registrar_laddr(const struct sim_registrar *sr, int tp,
			struct sa *laddr)
{
	if (!sr || !laddr)
		return EINVAL;

	return sip_transp_laddr(sr->sip, laddr, (enum sip_transp)tp, NULL);
}


int sim_registrar_control_laddr(const struct sim_registrar *sr,
				struct sa *laddr)
{
	if (!sr || !sr->ctl)
		return ENOENT;

	return control_laddr(sr->ctl, laddr);
}


struct location *sim_registrar_location(const struct sim_registrar *sr)
{
	return sr ? sr->loc : NULL;
}


const struct registrar *sim_registrar_registrar(const struct sim_registrar *sr)
{
	return sr ? sr->reg : NULL;
}


const struct reg_config *sim_registrar_config(const struct sim_registrar *sr)
{
	return sr ? sr->cfg : NULL;
}


void sim_registrar_reset(struct sim_registrar *sr)
{
	if (!sr)
		return;

	reg_actions_clear(sr->actions);   /* phone-mode hook */
	registrar_reset(sr->reg);
	calls_reset(sr->calls);
	persist_reset(sr->persist);
}


unsigned sim_registrar_restored(const struct sim_registrar *sr)
{
	return sr ? persist_loaded(sr->persist) : 0;
}


int sim_registrar_shutdown(struct sim_registrar *sr)
{
	return sr ? persist_flush(sr->persist) : EINVAL;
}


const char *sim_registrar_decision(const struct sim_registrar *sr,
				   const char *callid, uint32_t cseq,
				   uint16_t *scode)
{
	if (!sr || !callid)
		return NULL;

	/* newest first */
	for (uint32_t i = 1; i <= DECISION_RING && i <= sr->ringpos; i++) {
		const struct decision_rec *rec =
			&sr->ring[(sr->ringpos - i) % DECISION_RING];

		if (rec->cseq == cseq && !strcmp(rec->callid, callid)) {
			const struct rule *r = rule_get(rec->rule);
			if (scode)
				*scode = rec->scode;
			return r ? r->name : "RFC3261";
		}
	}

	return NULL;
}


int sim_registrar_call(struct sim_registrar *sr, const char *from,
		       const char *to, call_event_h *h, void *arg,
		       char *sid, size_t sidsz)
{
	return sr ? calls_outside(sr->calls, from, to, h, arg, sid, sidsz) :
		EINVAL;
}


int sim_registrar_hangup(struct sim_registrar *sr, const char *sid)
{
	return sr ? calls_hangup(sr->calls, sid) : EINVAL;
}


int sim_registrar_call_info(const struct sim_registrar *sr, const char *sid,
			    struct call_info *ci)
{
	return sr ? calls_info(sr->calls, sid, ci) : EINVAL;
}


struct calls *sim_registrar_calls(const struct sim_registrar *sr)
{
	return sr ? sr->calls : NULL;
}


struct pstn *sim_registrar_pstn(const struct sim_registrar *sr)
{
	return sr ? calls_pstn(sr->calls) : NULL;
}


/* phone-mode hooks (sim_registrar.h) */
struct reg_actions *sim_registrar_actions(const struct sim_registrar *sr)
{
	return sr ? sr->actions : NULL;
}


struct sip *sim_registrar_sip(const struct sim_registrar *sr)
{
	return sr ? sr->sip : NULL;
}


struct tls *sim_registrar_tls(const struct sim_registrar *sr)
{
	return sr ? sr->tls : NULL;
}
