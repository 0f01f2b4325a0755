/**
 * @file scenario_phones.c  The `phones:` of a scenario: two passes (names
 * and counts first, so that every array is sized once), `count:` entries
 * expanded, and the name index selectors resolve against
 */

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"
#include "textfile.h"
#include "config.h"


static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}

	return h;
}


struct sym *ld_sym_find(const struct scen *s, const char *name)
{
	size_t mask, i;

	if (!s->slotc || !name)
		return NULL;

	mask = s->slotc - 1;

	for (i = name_hash(name) & mask; s->slotv[i]; i = (i + 1) & mask) {
		struct sym *y = &s->symv[s->slotv[i] - 1];

		if (!strcmp(y->name, name))
			return y;
	}

	return NULL;
}


/* the caller checked that name is new */
static struct sym *ld_sym_add(struct scen *s, const char *name)
{
	size_t mask = s->slotc - 1, i;
	struct sym *y;

	if (s->symc >= s->sym_cap)
		return NULL;

	for (i = name_hash(name) & mask; s->slotv[i]; i = (i + 1) & mask)
		;

	y = &s->symv[s->symc++];
	memset(y, 0, sizeof(*y));
	y->name = name;
	s->slotv[i] = (uint32_t)s->symc;

	return y;
}


static int ld_index_init(struct scen *s, size_t cap)
{
	size_t slots = 16;

	while (slots < 2 * cap)
		slots *= 2;

	s->symv  = mem_zalloc(cap * sizeof(*s->symv) + 1, NULL);
	s->slotv = mem_zalloc(slots * sizeof(*s->slotv), NULL);
	if (!s->symv || !s->slotv)
		return ENOMEM;

	s->sym_cap = cap;
	s->slotc   = slots;

	return 0;
}


/* ---- freeing ------------------------------------------------------------- */

/* ---- phones -------------------------------------------------------------- */

static const char *const phone_keys[] = {
	"name", "count", "user", "domain", "password", "auth_user",
	"transport", "expires", "expires_in", "contacts", "callid", "cseq",
	"cseq_start", "auth", "auth_fresh", "auth_replay", "auth_header",
	"refresh", "refresh_at", "retry_wait", "headers", "share", "answer",
	"answer_delay", "reject_code", "link", "media", NULL
};


static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > MAX_NAME)
		return false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}

	return true;
}


/* first pass: name and count of each entry; the total */
static int phones_plan(struct loader *ld, const struct ynode *n,
		       size_t *totalp)
{
	size_t total = 0;
	int err = 0;

	ld->entv = mem_zalloc(n->count * sizeof(*ld->entv) + 1, NULL);
	ld->brokenv = ld_strv_alloc(n->count);
	if (!ld->entv || !ld->brokenv) {
		ld->nomem = true;
		return ENOMEM;
	}
	ld->entc = n->count;

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *it = ynode_item(n, i), *nm, *cn;
		struct entry *e = &ld->entv[i];
		const char *name = NULL;
		uint32_t count = 1;
		bool ok = true;

		e->node = it;

		/* an entry without a usable name: selectors cannot be
		   told from typos, so undefined phones are not reported */
		if (it->type != YNODE_MAP || !(nm = ynode_get(it, "name")) ||
		    nm->type != YNODE_SCALAR || !name_ok(nm->val) ||
		    !strcmp(nm->val, "all"))
			ld->phones_broken = true;

		if (it->type != YNODE_MAP) {
			err = ydoc_errorf(ld->doc, it, "a phone must be a "
					  "mapping such as {name: desk, "
					  "user: alice}, not %s",
					  ld_type_word(it));
			continue;
		}

		if (ynode_check_keys(ld->doc, it, phone_keys))
			err = EINVAL;

		nm = ynode_get(it, "name");
		if (!nm) {
			err = ld_missing(ld, it, "a phone", "name");
			continue;
		}
		if (ynode_str(ld->doc, nm, &name)) {
			err = EINVAL;
			continue;
		}
		if (!name_ok(name)) {
			err = ydoc_errorf(ld->doc, nm, "phone name '%s' must "
					  "be 1 to %d letters, digits, '-', "
					  "'_' or '.'", name, MAX_NAME);
			continue;
		}
		if (!strcmp(name, "all")) {
			err = ydoc_errorf(ld->doc, nm, "'all' selects every "
					  "phone: it cannot be a phone name");
			continue;
		}

		cn = ynode_get(it, "count");
		if (cn) {
			if (ld_get_u32_range(ld, cn, "count", 1, SC_MAX_COUNT,
					  &count))
				ok = false;
			else if (total + count > SC_MAX_PHONES) {
				(void)ydoc_errorf(ld->doc, cn, "too many "
						  "phones: at most %d in all",
						  SC_MAX_PHONES);
				ok = false;
			}
		}

		if (!ok) {
			err = EINVAL;
			if (ld_nomem(ld, str_dup(&ld->brokenv[ld->brokenc],
					      name)))
				return ENOMEM;
			++ld->brokenc;
			continue;
		}

		e->name    = name;
		e->count   = count;
		e->counted = cn != NULL;
		total += count;
	}

	*totalp = total;

	return err;
}


/* the fields shared by the phones of one entry; {n} kept in patterns */
struct tmpl {
	struct phone_conf conf;      /* domain, password, extra owned      */
	const char *user;            /* patterns, borrowed from the tree   */
	const char *auth_user;
	const struct ynode *contacts;  /* when {n} is in contacts          */
	char **contactv;             /* else, shared by the phones         */
	size_t contactc;
	uint32_t share;
	bool has_domain;
	bool has_link;               /* `link:` faults from the start      */
	struct linkfault_conf link;
};


static void tmpl_reset(struct tmpl *t)
{
	mem_deref((void *)t->conf.domain);
	mem_deref((void *)t->conf.password);
	mem_deref((void *)t->conf.extra);
	mem_deref(t->contactv);
	sc_media_conf_free(&t->conf.media);
	memset(t, 0, sizeof(*t));
}


/*
 * Link faults work on a phone's own UDP socket (linkfault.h): a phone on
 * TCP or TLS, or sharing its socket, cannot have them
 */
int ld_link_phone_ok(struct loader *ld, const struct ynode *at,
			 const char *name, enum sip_transp tp, uint32_t share)
{
	if (tp != SIP_TRANSP_UDP)
		return ydoc_errorf(ld->doc, at, "link faults need a UDP phone; "
				   "%s is on %s", name,
				   tp == SIP_TRANSP_TCP ? "tcp" : "tls");
	if (share)
		return ydoc_errorf(ld->doc, at, "link faults need a phone "
				   "with its own socket; %s shares one "
				   "(share: %u)", name, share);
	return 0;
}


/* a phone's `link: {drop: 30%, ...}`: its faults from the start */
static int load_phone_link(struct loader *ld, const struct ynode *n,
			   const struct phone_conf *c, struct tmpl *t)
{
	unsigned nkeys = 0;
	int err = 0;

	if (ld_expect_map(ld, n, "link"))
		return EINVAL;

	if (ld_link_phone_ok(ld, n, "this phone", c->tp, t->share))
		err = EINVAL;

	if (ynode_check_keys(ld->doc, n, sc_fault_keys))
		err = EINVAL;

	if (sc_faults_conf(ld->doc, n, &t->link, &nkeys))
		err = EINVAL;
	else if (!nkeys)
		err = ydoc_errorf(ld->doc, n, "link sets no fault: give drop, "
				  "duplicate, delay, reorder (and "
				  "direction)");

	t->has_link = true;
	ld->s->pub.needs_faults = true;
	if (t->link.dir != LINKFAULT_SEND)
		ld->s->pub.needs_rx_faults = true;

	return err;
}


static int phone_fields(struct loader *ld, const struct ynode *n,
			struct tmpl *t)
{
	static const char *const transports[] = {"udp", "tcp", "tls", NULL};
	static const char *const where[] = {"header", "param", "both", "none",
					    NULL};
	static const char *const callids[] = {"keep", "per-registration",
					      "per-request", NULL};
	static const char *const cseqs[] = {"increment", "repeat",
					    "decrement", NULL};
	static const char *const auths[] = {"answer", "wrong", "ignore",
					    NULL};
	static const char *const auth_headers[] = {"as-challenged",
		"authorization", "proxy-authorization", NULL};
	static const char *const refreshes[] = {"auto", "exact", "none",
						NULL};
	struct phone_conf *c = &t->conf;
	const struct ynode *v;
	int x, err = 0;

	v = ynode_get(n, "user");
	if (!v)
		err = ld_missing(ld, n, "a phone", "user");
	else if (ld_get_text(ld, v, "user", &t->user))
		err = EINVAL;

	v = ynode_get(n, "auth_user");
	if (v && ld_get_text(ld, v, "auth_user", &t->auth_user))
		err = EINVAL;

	v = ynode_get(n, "domain");
	if (v) {
		if (ld_dup_text(ld, v, "domain", (char **)&c->domain))
			err = EINVAL;
		else
			t->has_domain = true;
	}

	v = ynode_get(n, "password");
	if (v && ld_dup_text(ld, v, "password", (char **)&c->password))
		err = EINVAL;

	v = ynode_get(n, "transport");
	if (v) {
		if (ld_get_enum(ld, v, "transport", transports, &x))
			err = EINVAL;
		else
			c->tp = x == 0 ? SIP_TRANSP_UDP : x == 1 ?
				SIP_TRANSP_TCP : SIP_TRANSP_TLS;
	}

	v = ynode_get(n, "expires");
	if (v && ld_get_seconds(ld, v, "expires", 1, &c->expires))
		err = EINVAL;

	v = ynode_get(n, "expires_in");
	if (v) {
		if (ld_get_enum(ld, v, "expires_in", where, &x))
			err = EINVAL;
		else
			c->exp_where = (enum phone_exp_where)x;
	}

	v = ynode_get(n, "contacts");
	if (v) {
		if (ld_check_contacts(ld, v, "contacts"))
			err = EINVAL;
		else if (ld_seq_has_n(v))
			t->contacts = v;
		else if (ld_nomem(ld, ld_strv_from_seq(&t->contactv, v, 0)))
			return ENOMEM;
		else
			t->contactc = v->count;
	}

	v = ynode_get(n, "callid");
	if (v) {
		if (ld_get_enum(ld, v, "callid", callids, &x))
			err = EINVAL;
		else
			c->callid = (enum phone_callid_policy)x;
	}

	v = ynode_get(n, "cseq");
	if (v) {
		if (ld_get_enum(ld, v, "cseq", cseqs, &x))
			err = EINVAL;
		else
			c->cseq = (enum phone_cseq_policy)x;
	}

	v = ynode_get(n, "cseq_start");
	if (v && ld_get_u32_range(ld, v, "cseq_start", 1, 0x7fffffff,
			       &c->cseq_start))
		err = EINVAL;

	v = ynode_get(n, "auth");
	if (v) {
		if (ld_get_enum(ld, v, "auth", auths, &x))
			err = EINVAL;
		else
			c->auth = (enum phone_auth_policy)x;
	}

	v = ynode_get(n, "auth_fresh");
	if (v && ld_get_bool(ld, v, &c->auth_fresh))
		err = EINVAL;

	v = ynode_get(n, "auth_replay");
	if (v && ld_get_bool(ld, v, &c->auth_replay))
		err = EINVAL;

	v = ynode_get(n, "auth_header");
	if (v) {
		if (ld_get_enum(ld, v, "auth_header", auth_headers, &x))
			err = EINVAL;
		else
			c->auth_header = (enum phone_auth_header)x;
	}

	v = ynode_get(n, "refresh");
	if (v) {
		if (ld_get_enum(ld, v, "refresh", refreshes, &x))
			err = EINVAL;
		else
			c->refresh = (enum phone_refresh_policy)x;
	}

	v = ynode_get(n, "refresh_at");
	if (v) {
		double f = 0;
		char *e = NULL;

		if (v->type == YNODE_SCALAR && !v->quoted && v->val[0])
			f = strtod(v->val, &e);

		if (!e || *e || !isfinite(f) || f <= 0 || f > 10)
			err = ydoc_errorf(ld->doc, v, "refresh_at must be a "
					  "fraction of the granted expiry "
					  "above 0 and at most 10, such as "
					  "0.5, not '%s'",
					  v->type == YNODE_SCALAR ? v->val :
					  ld_type_word(v));
		else
			c->refresh_frac = f;
	}

	v = ynode_get(n, "retry_wait");
	if (v && ld_get_seconds(ld, v, "retry_wait", 1, &c->retry_wait))
		err = EINVAL;

	/* incoming calls */
	v = ynode_get(n, "answer");
	if (v) {
		static const char *const answers[] = {"manual", "auto",
						      "reject", "ignore",
						      NULL};
		if (ld_get_enum(ld, v, "answer", answers, &x))
			err = EINVAL;
		else
			c->answer = (enum phone_answer_policy)x;
	}

	v = ynode_get(n, "answer_delay");
	if (v) {
		uint64_t ms;
		if (ld_get_duration(ld, v, "answer_delay", true, &ms) ||
		    ms > UINT32_MAX)
			err = EINVAL;
		else
			c->answer_delay = (uint32_t)ms;
	}

	v = ynode_get(n, "reject_code");
	if (v) {
		uint32_t code;
		if (ld_get_u32_range(ld, v, "reject_code", 300, 699, &code))
			err = EINVAL;
		else
			c->reject_code = (uint16_t)code;
	}

	v = ynode_get(n, "headers");
	if (v && ld_header_lines(ld, v, "headers", (char **)&c->extra))
		err = EINVAL;

	v = ynode_get(n, "share");
	if (v && ld_get_u32_range(ld, v, "share", 1, SC_MAX_COUNT, &t->share))
		err = EINVAL;

	v = ynode_get(n, "link");
	if (v && load_phone_link(ld, v, c, t))
		err = EINVAL;

	v = ynode_get(n, "media");
	if (v && sc_media_conf(ld, v, &c->media))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


static int phone_make(struct loader *ld, struct sc_phone *p,
		      const struct tmpl *t, const char *name,
		      const char *group, unsigned index,
		      const struct ynode *n)
{
	unsigned nidx = index ? index : 1;
	int err = 0;

	p->conf = t->conf;
	p->conf.domain   = mem_ref((void *)t->conf.domain);
	p->conf.password = mem_ref((void *)t->conf.password);
	p->conf.extra    = mem_ref((void *)t->conf.extra);
	sc_media_conf_ref(&p->conf.media);
	p->conf.auth_user = NULL;
	p->conf.contactv  = NULL;
	p->conf.user      = NULL;
	p->has_domain = t->has_domain;
	p->share = t->share;
	p->has_link = t->has_link;
	p->link = t->link;
	p->faulted = t->has_link;
	p->conf.virtual_timeout = t->has_link;
	p->index = index;
	p->pos.line = n->line;
	p->pos.col  = n->col;

	if (index)
		err |= re_sdprintf(&p->name, "%s-%u", name, index);
	else
		err |= str_dup(&p->name, name);
	err |= str_dup(&p->group, group);
	if (t->user)
		err |= ld_subst_n((char **)&p->conf.user, t->user, nidx);
	if (t->auth_user)
		err |= ld_subst_n((char **)&p->conf.auth_user, t->auth_user,
			       nidx);
	if (t->contactv) {
		p->conf.contactv = mem_ref(t->contactv);
		p->conf.contactc = t->contactc;
	}
	else if (t->contacts) {
		err |= ld_strv_from_seq((char ***)&p->conf.contactv, t->contacts,
				     nidx);
		p->conf.contactc = t->contacts->count;
	}

	p->conf.name = p->name;

	if (err) {
		ld->nomem = true;
		return ENOMEM;
	}

	return 0;
}


static struct sym *sym_taken(struct loader *ld, const struct ynode *at,
			     const char *name)
{
	struct sym *y = ld_sym_find(ld->s, name);

	if (y)
		(void)ydoc_errorf(ld->doc, at, "phone name '%s' is already "
				  "used (line %u)", name, y->line);

	return y;
}


/* second pass: fields, then the entry's phones */
static int phones_make(struct loader *ld)
{
	struct scen *s = ld->s;
	struct scenario *sc = &s->pub;
	int err = 0;

	for (size_t i = 0; i < ld->entc; i++) {
		const struct entry *e = &ld->entv[i];
		const struct ynode *nm;
		struct sym *grp = NULL;
		struct tmpl t;
		uint32_t first;
		bool dup = false;

		if (!e->node || e->node->type != YNODE_MAP)
			continue;

		memset(&t, 0, sizeof(t));
		if (phone_fields(ld, e->node, &t))
			err = EINVAL;
		if (ld->nomem) {
			tmpl_reset(&t);
			return ENOMEM;
		}

		if (!e->name) {
			tmpl_reset(&t);
			continue;
		}

		nm = ynode_get(e->node, "name");

		if (e->counted) {
			if (sym_taken(ld, nm, e->name)) {
				err = EINVAL;
				tmpl_reset(&t);
				continue;
			}
			grp = ld_sym_add(s, e->name);
			if (!grp) {
				tmpl_reset(&t);
				return ENOMEM;
			}
			grp->group = true;
			grp->line  = nm->line;
		}

		first = (uint32_t)sc->phonec;

		for (uint32_t k = 1; k <= e->count; k++) {
			struct sc_phone *p = &sc->phonev[sc->phonec];
			struct sym *y;

			if (phone_make(ld, p, &t, e->name, e->name,
				       e->counted ? k : 0, e->node)) {
				tmpl_reset(&t);
				return ENOMEM;
			}

			if (ld_sym_find(s, p->name)) {
				if (!dup)
					(void)sym_taken(ld, nm, p->name);
				dup = true;
				err = EINVAL;
				ld_phone_free(p);
				memset(p, 0, sizeof(*p));
				continue;
			}

			y = ld_sym_add(s, p->name);
			if (!y) {
				tmpl_reset(&t);
				return ENOMEM;
			}
			y->first = (uint32_t)sc->phonec;
			y->count = 1;
			y->line  = nm->line;
			++sc->phonec;
		}

		if (grp) {
			/* the name now points at a phone's copy */
			grp->name  = sc->phonec > first ?
				sc->phonev[first].group : e->name;
			grp->first = first;
			grp->count = (uint32_t)sc->phonec - first;
		}

		tmpl_reset(&t);
	}

	return err;
}


int ld_phones(struct loader *ld, const struct ynode *n)
{
	struct scen *s = ld->s;
	size_t total = 0;
	int err;

	if (n->type != YNODE_SEQ || !n->count) {
		ld->phones_broken = true;
		return ydoc_errorf(ld->doc, n, "phones must be a non-empty "
				   "list of phones such as [{name: desk, "
				   "user: alice}]");
	}

	err = phones_plan(ld, n, &total);
	if (ld->nomem)
		return ENOMEM;

	s->pub.phonev = mem_zalloc(total * sizeof(*s->pub.phonev) + 1, NULL);
	if (!s->pub.phonev || ld_index_init(s, total + ld->entc)) {
		ld->nomem = true;
		return ENOMEM;
	}
	s->phone_cap = total;

	if (phones_make(ld))
		err = EINVAL;

	if (ld->nomem)
		return ENOMEM;

	ld->markv = mem_zalloc(s->pub.phonec * sizeof(*ld->markv) + 1, NULL);
	ld->selv  = mem_zalloc(s->pub.phonec * sizeof(*ld->selv) + 1, NULL);
	if (!ld->markv || !ld->selv) {
		ld->nomem = true;
		return ENOMEM;
	}

	return err;
}


/* the config's first domain for phones that name none */
int ld_phones_default_domain(struct loader *ld)
{
	struct scenario *sc = &ld->s->pub;
	struct reg_config *cfg = NULL;
	const char *dom;
	char *d = NULL;
	int err;

	if (sc->config)
		cfg = mem_ref(sc->config);
	else if (reg_config_default(&cfg))
		return 0;

	if (!cfg->domainc) {
		mem_deref(cfg);
		return 0;
	}

	dom = cfg->domainv[0].name;
	err = str_dup(&d, dom);

	for (size_t i = 0; !err && i < sc->phonec; i++) {
		struct sc_phone *p = &sc->phonev[i];

		if (!p->has_domain && !p->conf.domain)
			p->conf.domain = mem_ref(d);
	}

	mem_deref(d);
	mem_deref(cfg);

	if (err)
		ld->nomem = true;

	return err;
}
