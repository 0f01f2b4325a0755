/**
 * @file protocheck.c  The checker's state: transactions, 2xx, dialogs.
 *
 * Messages are read by pc_parse.c (libre's sip_msg_decode, on a copy,
 * where that cannot: the caller's bytes stay untouched).  A transaction is keyed as RFC 3261 17.2.3 keys
 * it (top Via branch and sent-by, CSeq method; ACK and CANCEL find their
 * INVITE by the branch), a 2xx by Call-ID, CSeq and both tags, a dialog's
 * CSeq by Call-ID and the sender's tag.  Completed entries are pruned 64 s
 * (message time) after their last message, so a run of days stays small.
 */

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "protocheck/protocheck.h"
#include "protocheck/pc_parse.h"


enum {
	HASH_SIZE  = 16384,     /* 20,000 phones: chains of one or two */
	LINGER_MS  = 64000,    /* 64*T1: no retransmission after this   */
	DIALOG_MS  = 3600000,  /* a dialog's CSeq kept an hour idle      */
	PRUNE_EVERY_MS = 1000,  /* message time between two prunings */
};

struct party {
	enum pc_role role;
	char *name;
	bool misbehaves;
};

struct txn {
	struct le he;
	struct le le;
	char *branch;
	char *sentby;
	char *method;          /* the CSeq method */
	char *callid;
	uint32_t cseq;
	struct party client;   /* who sent the request */
	struct party server;   /* who it went to       */
	char *where;
	uint32_t req_hash;
	size_t req_len;
	uint64_t ts_last;
	bool prov;             /* a provisional response was sent          */
	uint16_t final;
	char *to_tag;
	uint32_t final_hash;
	size_t final_len;
	bool acked;            /* non-2xx: ACK with this branch            */
	bool cancelled;        /* a CANCEL came while no final was sent    */
	bool stray_ack;        /* an ACK of this call with another branch  */
	bool reported;
};

struct ok2xx {
	struct le he;
	struct le le;
	char *key;             /* Call-ID, CSeq, From-tag, To-tag */
	struct party client;
	char *where;
	uint64_t ts_last;
	bool acked;
	uint32_t hash;
	size_t len;
};

struct dlg {
	struct le he;
	struct le le;
	char *key;             /* Call-ID, sender's tag */
	uint32_t last;
	uint64_t ts_last;
};

struct finding {
	struct le le;
	struct pc_finding f;
};

struct protocheck {
	struct hash *txns;
	struct hash *oks;
	struct hash *dlgs;
	struct list txnl;
	struct list okl;
	struct list dlgl;
	struct list findings;
	size_t count[PC_ROLE_COUNT];
	size_t nfind;
	size_t nmsg;
	size_t nrtx;
	uint64_t pruned;        /* message time of the last pruning */
	uint64_t now;
};


static void party_set(struct party *p, const struct pc_party *src)
{
	p->role = src->role;
	p->name = mem_deref(p->name);
	(void)str_dup(&p->name, src->name ? src->name : "?");
	p->misbehaves = src->misbehaves;
}


static void txn_destructor(void *data)
{
	struct txn *t = data;

	hash_unlink(&t->he);
	list_unlink(&t->le);
	mem_deref(t->branch);
	mem_deref(t->sentby);
	mem_deref(t->method);
	mem_deref(t->callid);
	mem_deref(t->client.name);
	mem_deref(t->server.name);
	mem_deref(t->where);
	mem_deref(t->to_tag);
}


static void ok_destructor(void *data)
{
	struct ok2xx *o = data;

	hash_unlink(&o->he);
	list_unlink(&o->le);
	mem_deref(o->key);
	mem_deref(o->client.name);
	mem_deref(o->where);
}


static void dlg_destructor(void *data)
{
	struct dlg *d = data;

	hash_unlink(&d->he);
	list_unlink(&d->le);
	mem_deref(d->key);
}


static void finding_destructor(void *data)
{
	struct finding *fd = data;

	list_unlink(&fd->le);
	mem_deref((char *)fd->f.element);
	mem_deref((char *)fd->f.where);
	mem_deref((char *)fd->f.expected);
	mem_deref((char *)fd->f.actual);
}


static void pc_destructor(void *data)
{
	struct protocheck *pc = data;

	list_flush(&pc->txnl);
	list_flush(&pc->okl);
	list_flush(&pc->dlgl);
	list_flush(&pc->findings);
	mem_deref(pc->txns);
	mem_deref(pc->oks);
	mem_deref(pc->dlgs);
}


int protocheck_alloc(struct protocheck **pcp)
{
	struct protocheck *pc;
	int err;

	if (!pcp)
		return EINVAL;

	pc = mem_zalloc(sizeof(*pc), pc_destructor);
	if (!pc)
		return ENOMEM;

	err  = hash_alloc(&pc->txns, HASH_SIZE);
	err |= hash_alloc(&pc->oks, HASH_SIZE);
	err |= hash_alloc(&pc->dlgs, HASH_SIZE);
	if (err) {
		mem_deref(pc);
		return ENOMEM;
	}

	*pcp = pc;
	return 0;
}


static void report(struct protocheck *pc, const char *id,
		   const struct party *at, const char *where,
		   const char *expected, const char *actual)
{
	struct finding *fd;

	fd = mem_zalloc(sizeof(*fd), finding_destructor);
	if (!fd)
		return;

	fd->f.row = protocheck_row(id);
	fd->f.role = at->role;
	fd->f.misbehaves = at->misbehaves;
	fd->f.ts = pc->now;
	(void)str_dup((char **)&fd->f.element, at->name ? at->name : "?");
	(void)str_dup((char **)&fd->f.where, where ? where : "");
	(void)str_dup((char **)&fd->f.expected, expected);
	(void)str_dup((char **)&fd->f.actual, actual);

	list_append(&pc->findings, &fd->le, fd);
	if ((unsigned)at->role < PC_ROLE_COUNT)
		++pc->count[at->role];
	++pc->nfind;
}


static void reportf(struct protocheck *pc, const char *id,
		    const struct pc_party *at, const char *where,
		    const char *expected, const char *fmt, ...)
{
	struct party p = {at->role, (char *)at->name, at->misbehaves};
	char actual[256];
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(actual, sizeof(actual), fmt, ap);
	va_end(ap);

	report(pc, id, &p, where, expected, actual);
}


static uint32_t bytes_hash(const uint8_t *buf, size_t len)
{
	return hash_joaat(buf, len);
}


/* the transaction a message belongs to (method: the CSeq method, or
 * INVITE for an ACK/CANCEL looking for its INVITE) */
static struct txn *txn_find(const struct protocheck *pc,
			    const struct pc_info *msg, const char *method)
{
	struct le *le;

	le = list_head(hash_list(pc->txns, hash_joaat_pl(&msg->branch)));
	for (; le; le = le->next) {
		struct txn *t = le->data;

		if (pl_strcmp(&msg->branch, t->branch) ||
		    pl_strcasecmp(&msg->sentby, t->sentby) ||
		    strcmp(t->method, method))
			continue;

		return t;
	}

	return NULL;
}


static char *pl_dup_or_empty(const struct pl *pl)
{
	char *s = NULL;

	if (pl_isset(pl))
		(void)pl_strdup(&s, pl);
	else
		(void)str_dup(&s, "");

	return s;
}


static struct txn *txn_new(struct protocheck *pc, const struct pc_info *msg,
			   const struct pc_msg *m)
{
	struct txn *t;

	t = mem_zalloc(sizeof(*t), txn_destructor);
	if (!t)
		return NULL;

	t->branch = pl_dup_or_empty(&msg->branch);
	t->sentby = pl_dup_or_empty(&msg->sentby);
	t->method = pl_dup_or_empty(&msg->cseq_met);
	t->callid = pl_dup_or_empty(&msg->callid);
	t->cseq = msg->cseq;
	party_set(&t->client, &m->from);
	party_set(&t->server, &m->to);
	(void)str_dup(&t->where, m->where ? m->where : "");
	t->req_hash = bytes_hash(m->buf, m->len);
	t->req_len = m->len;
	t->ts_last = m->ts;

	hash_append(pc->txns, hash_joaat_pl(&msg->branch), &t->he, t);
	list_append(&pc->txnl, &t->le, t);

	return t;
}


static int ok_key(char **keyp, const struct pc_info *msg)
{
	return re_sdprintf(keyp, "%r|%u|%r|%r", &msg->callid, msg->cseq,
			   &msg->from_tag, &msg->to_tag);
}


static struct ok2xx *ok_find(const struct protocheck *pc, const char *key)
{
	struct le *le;

	le = list_head(hash_list(pc->oks, hash_joaat_str(key)));
	for (; le; le = le->next) {
		struct ok2xx *o = le->data;

		if (!strcmp(o->key, key))
			return o;
	}

	return NULL;
}


static struct dlg *dlg_get(struct protocheck *pc, const struct pc_info *msg)
{
	struct dlg *d;
	struct le *le;
	char *key = NULL;

	if (re_sdprintf(&key, "%r|%r", &msg->callid, &msg->from_tag))
		return NULL;

	le = list_head(hash_list(pc->dlgs, hash_joaat_str(key)));
	for (; le; le = le->next) {
		d = le->data;
		if (!strcmp(d->key, key)) {
			mem_deref(key);
			return d;
		}
	}

	d = mem_zalloc(sizeof(*d), dlg_destructor);
	if (!d) {
		mem_deref(key);
		return NULL;
	}

	d->key = key;
	hash_append(pc->dlgs, hash_joaat_str(key), &d->he, d);
	list_append(&pc->dlgl, &d->le, d);

	return d;
}


static bool pl_digits(const struct pl *pl)
{
	if (!pl->l || pl->l > 3)
		return false;

	for (size_t i = 0; i < pl->l; i++) {
		if (pl->p[i] < '0' || pl->p[i] > '9')
			return false;
	}

	return true;
}


/* checks on every message, whatever its transaction */
static void check_common(struct protocheck *pc, const struct pc_info *msg,
			 const struct pc_msg *m)
{
	static const struct pl cookie = PL("z9hG4bK");
	size_t body = msg->body;
	uint32_t n;

	if (!msg->has_clen) {
		if (m->stream)
			reportf(pc, "T-CLEN-01", &m->from, m->where,
				"a Content-Length header (stream transport)",
				"none, %zu bytes of body", body);
	}
	else if (pl_u32(&msg->clen) != body) {
		reportf(pc, "T-CLEN-01", &m->from, m->where,
			"Content-Length equal to the body",
			"Content-Length %r with %zu bytes of body",
			&msg->clen, body);
	}

	if (!msg->req)
		return;

	if (!msg->has_branch)
		reportf(pc, "T-VIA-01", &m->from, m->where,
			"a Via branch beginning with z9hG4bK",
			"a Via without branch (RFC 2543 style)");
	else if (msg->branch.l < cookie.l ||
		 memcmp(msg->branch.p, cookie.p, cookie.l))
		reportf(pc, "T-VIA-01", &m->from, m->where,
			"a Via branch beginning with z9hG4bK",
			"%r request with branch \"%r\"", &msg->met,
			&msg->branch);

	n = msg->maxfwd_n;
	if (n != 1)
		reportf(pc, "T-MF-01", &m->from, m->where,
			"one Max-Forwards", "%r request with %u Max-Forwards",
			&msg->met, n);
	else if (!pl_digits(&msg->maxfwd) || pl_u32(&msg->maxfwd) > 255)
		reportf(pc, "T-MF-01", &m->from, m->where,
			"Max-Forwards a number from 0 to 255",
			"Max-Forwards: %r", &msg->maxfwd);
}


static void request_ack(struct protocheck *pc, const struct pc_info *msg)
{
	struct txn *inv = txn_find(pc, msg, "INVITE");
	struct ok2xx *o;
	char *key = NULL;

	if (inv && inv->final >= 300) {
		inv->acked = true;
		inv->ts_last = pc->now;
		return;
	}

	if (ok_key(&key, msg))
		return;

	o = ok_find(pc, key);
	mem_deref(key);
	if (o) {
		o->acked = true;
		o->ts_last = pc->now;
		return;
	}

	/* an ACK that finds nothing: note it on its call's INVITE, for the
	 * finding that says which ACK did come */
	{
		struct le *le;

		for (le = pc->txnl.head; le; le = le->next) {
			struct txn *t = le->data;

			if (!strcmp(t->method, "INVITE") &&
			    t->cseq == msg->cseq &&
			    !pl_strcmp(&msg->callid, t->callid))
				t->stray_ack = true;
		}
	}
}


static void request_cancel(struct protocheck *pc, const struct pc_info *msg,
			   const struct pc_msg *m)
{
	struct txn *inv = txn_find(pc, msg, "INVITE");

	if (!inv)
		return;

	if (!inv->prov && !inv->final)
		reportf(pc, "T-CANCEL-01", &m->from, m->where,
			"a provisional response to the INVITE before CANCEL",
			"CANCEL with no provisional response to the INVITE");

	if (!inv->final)
		inv->cancelled = true;
}


static void on_request(struct protocheck *pc, const struct pc_info *msg,
		       const struct pc_msg *m)
{
	char method[32];
	struct txn *t;

	(void)pl_strcpy(&msg->cseq_met, method, sizeof(method));

	t = txn_find(pc, msg, method);
	if (t && t->cseq != msg->cseq) {
		/* another request on an old branch: the sender's fault; its
		 * answers belong to the new one, so it replaces the old */
		reportf(pc, "T-VIA-02", &m->from, m->where,
			"a branch of its own for a new request",
			"%s request (CSeq %u) on the branch of CSeq %u",
			method, msg->cseq, t->cseq);
		mem_deref(t);
		t = NULL;
	}
	if (t) {
		/* the same request again: a retransmission */
		++pc->nrtx;
		if (t->req_len != m->len ||
		    t->req_hash != bytes_hash(m->buf, m->len))
			reportf(pc, "T-RTX-01", &m->from, m->where,
				"a retransmission byte-identical to the first",
				"%s request resent with other bytes "
				"(%zu, first %zu)", method, m->len,
				t->req_len);
		t->ts_last = m->ts;
		return;
	}

	if (!pl_strcmp(&msg->met, "ACK"))
		request_ack(pc, msg);
	else if (!pl_strcmp(&msg->met, "CANCEL"))
		request_cancel(pc, msg, m);

	if (pl_strcmp(&msg->met, "ACK")) {
		if (!txn_new(pc, msg, m))
			return;
	}

	/* CSeq order inside a dialog, per sender */
	if (pl_strcmp(&msg->met, "ACK") && pl_strcmp(&msg->met, "CANCEL")) {
		struct dlg *d = dlg_get(pc, msg);

		if (!d)
			return;

		if (pl_isset(&msg->to_tag) && d->last &&
		    msg->cseq <= d->last)
			reportf(pc, "T-CSEQ-01", &m->from, m->where,
				"a CSeq above the previous one in the dialog",
				"%r with CSeq %u after CSeq %u", &msg->met,
				msg->cseq, d->last);

		if (msg->cseq > d->last)
			d->last = msg->cseq;
		d->ts_last = m->ts;
	}
}


static void response_2xx_invite(struct protocheck *pc,
				const struct pc_info *msg,
				const struct pc_msg *m, struct txn *t)
{
	struct ok2xx *o;
	char *key = NULL;

	if (!msg->has_contact)
		reportf(pc, "T-CONTACT-01", &m->from, m->where,
			"a Contact in the 2xx to INVITE",
			"%u %r without Contact", msg->scode, &msg->reason);

	if (ok_key(&key, msg))
		return;

	o = ok_find(pc, key);
	if (o) {
		/* the UAS core's retransmission of its 2xx */
		++pc->nrtx;
		if (o->len != m->len || o->hash != bytes_hash(m->buf, m->len))
			reportf(pc, "T-RTX-01", &m->from, m->where,
				"a retransmission byte-identical to the first",
				"%u response resent with other bytes",
				msg->scode);
		o->ts_last = m->ts;
		mem_deref(key);
		return;
	}

	o = mem_zalloc(sizeof(*o), ok_destructor);
	if (!o) {
		mem_deref(key);
		return;
	}

	o->key = key;
	o->client.role = t->client.role;
	o->client.misbehaves = t->client.misbehaves;
	(void)str_dup(&o->client.name, t->client.name);
	(void)str_dup(&o->where, t->where);
	o->ts_last = m->ts;
	o->hash = bytes_hash(m->buf, m->len);
	o->len = m->len;
	hash_append(pc->oks, hash_joaat_str(key), &o->he, o);
	list_append(&pc->okl, &o->le, o);
}


static void on_response(struct protocheck *pc, const struct pc_info *msg,
			const struct pc_msg *m)
{
	char method[32];
	struct txn *t;

	(void)pl_strcpy(&msg->cseq_met, method, sizeof(method));

	t = txn_find(pc, msg, method);
	if (!t)
		return;   /* its request was not seen: nothing to hold it to */

	t->ts_last = m->ts;

	if (msg->scode > 100) {
		if (!pl_isset(&msg->to_tag))
			reportf(pc, "T-TAG-01", &m->from, m->where,
				"a To-tag on every response but 100",
				"%u %r to %s without a To-tag", msg->scode,
				&msg->reason, method);
		else if (!t->to_tag)
			(void)pl_strdup(&t->to_tag, &msg->to_tag);
		else if (pl_strcmp(&msg->to_tag, t->to_tag))
			reportf(pc, "T-TAG-01", &m->from, m->where,
				"the same To-tag on every response to one "
				"request",
				"%u with To-tag \"%r\" after \"%s\"",
				msg->scode, &msg->to_tag, t->to_tag);
	}

	if (msg->scode < 200) {
		t->prov = true;
		return;
	}

	if (!strcmp(method, "INVITE") && msg->scode < 300) {
		if (!t->final || t->final < 300)
			t->final = msg->scode;
		response_2xx_invite(pc, msg, m, t);
		return;
	}

	if (t->final) {
		/* a retransmitted final response must be the same bytes */
		if (t->final == msg->scode)
			++pc->nrtx;
		if (t->final == msg->scode &&
		    (t->final_len != m->len ||
		     t->final_hash != bytes_hash(m->buf, m->len)))
			reportf(pc, "T-RTX-01", &m->from, m->where,
				"a retransmission byte-identical to the first",
				"%u to %s resent with other bytes", msg->scode,
				method);
		return;
	}

	t->final = msg->scode;
	t->final_hash = bytes_hash(m->buf, m->len);
	t->final_len = m->len;
}


/* the top Via of an undecodable message, to tell an RFC 2543 Via without
 * branch (legal from old elements, but not RFC 3261) from broken grammar */
static bool via_without_branch(const uint8_t *buf, size_t len)
{
	const char *p = (const char *)buf, *end = p + len, *eol;

	/* the first header line named Via (or its compact form v) */
	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', end - p);
		if (!eol)
			return false;
		if ((eol - p > 4 && !strncasecmp(p, "Via", 3)) ||
		    (eol - p > 2 && (*p == 'v' || *p == 'V') &&
		     (p[1] == ':' || p[1] == ' ' || p[1] == '\t')))
			break;
	}
	if (p >= end)
		return false;

	for (; p + 7 <= eol; p++) {
		if (!strncasecmp(p, "branch=", 7))
			return false;
	}

	return true;
}


static void prune(struct protocheck *pc)
{
	struct le *le;

	for (le = pc->txnl.head; le;) {
		struct txn *t = le->data;
		bool done;

		le = le->next;
		done = t->final && (t->final < 300 || t->acked ||
				    strcmp(t->method, "INVITE"));
		if (done && pc->now > t->ts_last + LINGER_MS)
			mem_deref(t);
	}

	for (le = pc->okl.head; le;) {
		struct ok2xx *o = le->data;

		le = le->next;
		if (o->acked && pc->now > o->ts_last + LINGER_MS)
			mem_deref(o);
	}

	for (le = pc->dlgl.head; le;) {
		struct dlg *d = le->data;

		le = le->next;
		if (pc->now > d->ts_last + DIALOG_MS)
			mem_deref(d);
	}
}


static void feed_info(struct protocheck *pc, const struct pc_msg *m,
		      const struct pc_info *msg)
{
	check_common(pc, msg, m);

	/* no branch, no transaction to hold it to (T-VIA-01 said so) */
	if (msg->has_branch) {
		if (msg->req)
			on_request(pc, msg, m);
		else
			on_response(pc, msg, m);
	}

	/* by time, not by count: a burst of thousands in one second is
	 * walked once, after it */
	if (pc->now >= pc->pruned + PRUNE_EVERY_MS) {
		pc->pruned = pc->now;
		prune(pc);
	}
}


static void feed_undecodable(struct protocheck *pc, const struct pc_msg *m,
			     int err)
{
	if (via_without_branch(m->buf, m->len))
		reportf(pc, "T-VIA-01", &m->from, m->where,
			"a Via branch beginning with z9hG4bK",
			"a Via without branch (RFC 2543 style)");
	else
		reportf(pc, "T-PARSE-01", &m->from, m->where,
			"a message in SIP grammar",
			"%zu bytes the SIP parser refuses (%m)", m->len, err);
}


/* keep-alive CRLFs (RFC 5626) are not messages */
static bool is_keepalive(const struct pc_msg *m)
{
	return m->len <= 4 &&
		strspn((const char *)m->buf, "\r\n") >= m->len;
}


/* a message's time and count; false: nothing to check in it */
static bool feed_start(struct protocheck *pc, const struct pc_msg *m)
{
	if (m->ts > pc->now)
		pc->now = m->ts;

	if (is_keepalive(m))
		return false;

	++pc->nmsg;

	return true;
}


int protocheck_feed_msg(struct protocheck *pc, const struct pc_msg *m,
			const struct sip_msg *msg)
{
	struct pc_info mi;

	if (!pc || !m || !m->buf)
		return EINVAL;

	if (!msg)
		return protocheck_feed(pc, m);

	if (feed_start(pc, m)) {
		pc_info_from_msg(&mi, msg);
		feed_info(pc, m, &mi);
	}

	return 0;
}


int protocheck_feed(struct protocheck *pc, const struct pc_msg *m)
{
	struct sip_msg *msg = NULL;
	struct pc_info mi;
	struct mbuf *mb;
	int err;

	if (!pc || !m || !m->buf)
		return EINVAL;

	if (!feed_start(pc, m))
		return 0;

	/* the few fields, in one pass (pc_parse.c) */
	if (!pc_info_parse(&mi, m->buf, m->len)) {
		feed_info(pc, m, &mi);
		return 0;
	}

	/* beyond the quick reader: libre's decoder judges the grammar */
	mb = mbuf_alloc(m->len);
	if (!mb)
		return ENOMEM;
	(void)mbuf_write_mem(mb, m->buf, m->len);
	mb->pos = 0;

	err = sip_msg_decode(&msg, mb);
	if (err) {
		feed_undecodable(pc, m, err);
	}
	else {
		pc_info_from_msg(&mi, msg);
		feed_info(pc, m, &mi);
	}

	mem_deref(msg);
	mem_deref(mb);

	return 0;
}


void protocheck_finish(struct protocheck *pc)
{
	struct le *le;

	if (!pc)
		return;

	for (le = pc->txnl.head; le; le = le->next) {
		struct txn *t = le->data;
		char actual[160];

		if (t->reported)
			continue;

		if (!strcmp(t->method, "INVITE") && t->final >= 300 &&
		    !t->acked) {
			(void)re_snprintf(actual, sizeof(actual),
					  "%u to the INVITE (CSeq %u) never "
					  "ACKed%s", t->final, t->cseq,
					  t->stray_ack ? "; an ACK came with "
					  "another branch" : "");
			report(pc, "T-ACK-01", &t->client, t->where,
			       "an ACK with the INVITE's branch", actual);
			t->reported = true;
		}

		if (!strcmp(t->method, "CANCEL") && !t->final) {
			report(pc, "T-CANCEL-02", &t->server, t->where,
			       "200 to the CANCEL", "no response to the "
			       "CANCEL");
			t->reported = true;
		}

		if (!strcmp(t->method, "INVITE") && t->cancelled &&
		    !t->final) {
			report(pc, "T-CANCEL-02", &t->server, t->where,
			       "487 to the cancelled INVITE",
			       "no final response to the INVITE");
			t->reported = true;
		}
	}

	for (le = pc->okl.head; le; le = le->next) {
		struct ok2xx *o = le->data;

		if (o->acked)
			continue;

		report(pc, "T-ACK-02", &o->client, o->where,
		       "an ACK to the 2xx", "2xx to the INVITE never ACKed");
		o->acked = true;
	}
}


size_t protocheck_count(const struct protocheck *pc)
{
	return pc ? pc->nfind : 0;
}


size_t protocheck_count_role(const struct protocheck *pc, enum pc_role role)
{
	return pc && (unsigned)role < PC_ROLE_COUNT ? pc->count[role] : 0;
}


size_t protocheck_messages(const struct protocheck *pc)
{
	return pc ? pc->nmsg : 0;
}


size_t protocheck_retransmissions(const struct protocheck *pc)
{
	return pc ? pc->nrtx : 0;
}


size_t protocheck_entries(const struct protocheck *pc)
{
	return pc ? list_count(&pc->txnl) + list_count(&pc->okl) +
		list_count(&pc->dlgl) : 0;
}


void protocheck_apply(const struct protocheck *pc, pc_finding_h *h,
		      void *arg)
{
	struct le *le;

	if (!pc || !h)
		return;

	for (le = pc->findings.head; le; le = le->next) {
		const struct finding *fd = le->data;

		h(&fd->f, arg);
	}
}


const struct pc_finding *protocheck_find(const struct protocheck *pc,
					 const char *id)
{
	struct le *le;

	for (le = pc ? pc->findings.head : NULL; le; le = le->next) {
		const struct finding *fd = le->data;

		if (fd->f.row && !strcmp(fd->f.row->id, id))
			return &fd->f;
	}

	return NULL;
}
