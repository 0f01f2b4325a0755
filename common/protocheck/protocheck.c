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
#include "msgkeep.h"
#include "protocheck/protocheck.h"
#include "protocheck/pc_parse.h"


enum {
	HASH_SIZE  = 16384,     /* 20,000 phones: chains of one or two */
	LINGER_MS  = 64000,    /* 64*T1: no retransmission after this   */
	TXN_END_MS = 32000,    /* 64*T1 after its final response, a server
				  transaction has ended (Timer J; H for an
				  INVITE): what answers the request later
				  answers it anew (RFC 3261 17.2)         */
	DIALOG_MS  = 3600000,  /* a dialog's CSeq kept an hour idle      */
	PRUNE_EVERY_MS = 1000,  /* message time between two prunings */
};

/* names, methods and step places repeat across thousands of entries:
 * each is kept once, for the checker's life (pc->strs) */
struct party {
	enum pc_role role;
	const char *name;      /* interned */
	bool misbehaves;
};

struct istr {
	struct le he;
	char s[];
};

struct txn {
	struct le he;
	struct le le;
	uint64_t key;          /* branch and sent-by (key_of())            */
	const char *method;    /* the CSeq method, interned */
	uint32_t callid;       /* its hash                                 */
	uint32_t cseq;
	struct party client;   /* who sent the request */
	struct party server;   /* who it went to       */
	const char *where;     /* interned */
	uint32_t req_hash;
	size_t req_len;
	uint64_t ts_last;
	bool prov;             /* a provisional response was sent          */
	uint16_t final;
	bool has_to_tag;
	uint32_t to_tag_h;     /* the first response's To-tag: its hash,   */
	char to_tag[24];       /* and its start, for the finding's text     */
	uint32_t final_hash;
	size_t final_len;
	uint64_t final_ts;     /* when the first final response was seen  */
	bool acked;            /* non-2xx: ACK with this branch            */
	bool cancelled;        /* a CANCEL came while no final was sent    */
	bool stray_ack;        /* an ACK of this call with another branch  */
	bool reported;
};

struct ok2xx {
	struct le he;
	struct le le;
	uint64_t key;          /* Call-ID, CSeq, From-tag, To-tag */
	struct party client;
	const char *where;     /* interned */
	uint64_t ts_last;
	bool acked;
	uint32_t hash;
	size_t len;
};

struct dlg {
	struct le he;
	struct le le;
	uint64_t key;          /* Call-ID, sender's tag */
	uint32_t last;
	uint64_t ts_last;
};

struct finding {
	struct le le;
	struct pc_finding f;
};

struct protocheck {
	struct hash *strs;
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


static bool istr_cmp(struct le *le, void *arg)
{
	const struct istr *is = le->data;

	return !strcmp(is->s, arg);
}


static const char *intern(struct protocheck *pc, const char *s)
{
	struct istr *is;
	uint32_t h;
	size_t n;

	if (!s)
		s = "";

	h = hash_joaat_str(s);
	is = list_ledata(hash_lookup(pc->strs, h, istr_cmp, (void *)s));
	if (is)
		return is->s;

	n = strlen(s);
	is = mem_zalloc(sizeof(*is) + n + 1, NULL);
	if (!is)
		return "";
	memcpy(is->s, s, n + 1);
	hash_append(pc->strs, h, &is->he, is);

	return is->s;
}


static const char *intern_pl(struct protocheck *pc, const struct pl *pl)
{
	char buf[64];

	if (!pl_isset(pl))
		return "";

	(void)pl_strcpy(pl, buf, sizeof(buf));

	return intern(pc, buf);
}


static void party_set(struct protocheck *pc, struct party *p,
		      const struct pc_party *src)
{
	p->role = src->role;
	p->name = intern(pc, src->name ? src->name : "?");
	p->misbehaves = src->misbehaves;
}


static void txn_destructor(void *data)
{
	struct txn *t = data;

	hash_unlink(&t->he);
	list_unlink(&t->le);
}


static void ok_destructor(void *data)
{
	struct ok2xx *o = data;

	hash_unlink(&o->he);
	list_unlink(&o->le);
}


static void dlg_destructor(void *data)
{
	struct dlg *d = data;

	hash_unlink(&d->he);
	list_unlink(&d->le);
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
	hash_flush(pc->strs);
	mem_deref(pc->strs);
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

	err  = hash_alloc(&pc->strs, 1024);
	err |= hash_alloc(&pc->txns, HASH_SIZE);
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
	struct party p = {at->role, at->name, at->misbehaves};
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


/* a 64-bit FNV-1a of the parts, each ended by a NUL (so "ab"+"c" is not
 * "a"+"bc"); icase > 0: parts from index icase - 1 on case-insensitive.  Keys
 * are kept as this hash, not as strings: at 20,000 phones the strings
 * were most of the checker's memory, and a false match needs a 64-bit
 * collision */
static uint64_t key_of(const struct pl * const *v, size_t n, size_t icase)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++) {
		const struct pl *pl = v[i];
		bool ic = icase && i >= icase - 1;

		for (size_t k = 0; pl_isset(pl) && k < pl->l; k++) {
			unsigned char c = (unsigned char)pl->p[k];

			if (ic && c >= 'A' && c <= 'Z')
				c = (unsigned char)(c + 32);
			h = (h ^ c) * 1099511628211ull;
		}
		h = (h ^ 0) * 1099511628211ull;
	}

	return h;
}


/* the transaction a message belongs to (method: the CSeq method, or
 * INVITE for an ACK/CANCEL looking for its INVITE) */
static struct txn *txn_find(const struct protocheck *pc,
			    const struct pc_info *msg, const char *method)
{
	const struct pl *v[2] = {&msg->branch, &msg->sentby};
	uint64_t key = key_of(v, 2, 2);
	struct le *le;

	le = list_head(hash_list(pc->txns, (uint32_t)key));
	for (; le; le = le->next) {
		struct txn *t = le->data;

		if (t->key != key || strcmp(t->method, method))
			continue;

		return t;
	}

	return NULL;
}


static struct txn *txn_new(struct protocheck *pc, const struct pc_info *msg,
			   const struct pc_msg *m)
{
	const struct pl *v[2] = {&msg->branch, &msg->sentby};
	struct txn *t;

	t = mem_zalloc(sizeof(*t), txn_destructor);
	if (!t)
		return NULL;

	t->key = key_of(v, 2, 2);
	t->callid = hash_joaat_pl(&msg->callid);
	t->method = intern_pl(pc, &msg->cseq_met);
	t->cseq = msg->cseq;
	party_set(pc, &t->client, &m->from);
	party_set(pc, &t->server, &m->to);
	t->where = intern(pc, m->where);
	t->req_hash = bytes_hash(m->buf, m->len);
	t->req_len = m->len;
	t->ts_last = m->ts;

	hash_append(pc->txns, (uint32_t)t->key, &t->he, t);
	list_append(&pc->txnl, &t->le, t);

	return t;
}


static uint64_t ok_key(const struct pc_info *msg)
{
	char cseq[12];
	struct pl cs;
	const struct pl *v[4] = {&msg->callid, &cs, &msg->from_tag,
				 &msg->to_tag};

	cs.p = cseq;
	cs.l = (size_t)re_snprintf(cseq, sizeof(cseq), "%u", msg->cseq);

	return key_of(v, 4, 0);
}


static struct ok2xx *ok_find(const struct protocheck *pc, uint64_t key)
{
	struct le *le;

	le = list_head(hash_list(pc->oks, (uint32_t)key));
	for (; le; le = le->next) {
		struct ok2xx *o = le->data;

		if (o->key == key)
			return o;
	}

	return NULL;
}


static struct dlg *dlg_get(struct protocheck *pc, const struct pc_info *msg)
{
	const struct pl *v[2] = {&msg->callid, &msg->from_tag};
	uint64_t key = key_of(v, 2, 0);
	struct dlg *d;
	struct le *le;

	le = list_head(hash_list(pc->dlgs, (uint32_t)key));
	for (; le; le = le->next) {
		d = le->data;
		if (d->key == key)
			return d;
	}

	d = mem_zalloc(sizeof(*d), dlg_destructor);
	if (!d)
		return NULL;

	d->key = key;
	hash_append(pc->dlgs, (uint32_t)key, &d->he, d);
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

	if (inv && inv->final >= 300) {
		inv->acked = true;
		inv->ts_last = pc->now;
		return;
	}

	o = ok_find(pc, ok_key(msg));
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
			    hash_joaat_pl(&msg->callid) == t->callid)
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
	uint64_t key = ok_key(msg);

	if (!msg->has_contact)
		reportf(pc, "T-CONTACT-01", &m->from, m->where,
			"a Contact in the 2xx to INVITE",
			"%u %r without Contact", msg->scode, &msg->reason);

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
		return;
	}

	o = mem_zalloc(sizeof(*o), ok_destructor);
	if (!o)
		return;

	o->key = key;
	o->client.role = t->client.role;
	o->client.misbehaves = t->client.misbehaves;
	o->client.name = t->client.name;
	o->where = t->where;
	o->ts_last = m->ts;
	o->hash = bytes_hash(m->buf, m->len);
	o->len = m->len;
	hash_append(pc->oks, (uint32_t)key, &o->he, o);
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

	/* the server's transaction ended long ago: this request, which
	 * came again late (a slow link, a loaded element), is answered as a
	 * new one, with a new To-tag and other bytes, and rightly so */
	if (t->final && t->final_ts && msg->scode >= 200 &&
	    m->ts > t->final_ts + TXN_END_MS) {
		t->final = 0;
		t->has_to_tag = false;
	}

	if (msg->scode > 100) {
		if (!pl_isset(&msg->to_tag))
			reportf(pc, "T-TAG-01", &m->from, m->where,
				"a To-tag on every response but 100",
				"%u %r to %s without a To-tag", msg->scode,
				&msg->reason, method);
		else if (!t->has_to_tag) {
			t->has_to_tag = true;
			t->to_tag_h = hash_joaat_pl(&msg->to_tag);
			(void)pl_strcpy(&msg->to_tag, t->to_tag,
					sizeof(t->to_tag));
		}
		else if (hash_joaat_pl(&msg->to_tag) != t->to_tag_h)
			reportf(pc, "T-TAG-01", &m->from, m->where,
				"the same To-tag on every response to one "
				"request",
				"%u with To-tag \"%r\" after \"%s%s\"",
				msg->scode, &msg->to_tag, t->to_tag,
				strlen(t->to_tag) == sizeof(t->to_tag) - 1 ?
				"..." : "");
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
	t->final_ts = m->ts;
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
	err = msgkeep_decode_bytes(&msg, m->buf, m->len);
	if (err == ENOMEM)
		return err;
	if (err) {
		feed_undecodable(pc, m, err);
	}
	else {
		pc_info_from_msg(&mi, msg);
		feed_info(pc, m, &mi);
	}

	mem_deref(msg);

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
