/**
 * @file scenario.c  Scenario loader: YAML (scenarios/README.md) to
 * struct scenario, with every problem reported as `file:line:col: message`
 *
 * The loader goes on after an error so that a linter sees them all; only a
 * lack of memory stops it.  Order of work: name, description, rules,
 * registrar, phones (two passes: names and counts first, so that every
 * array is sized once), then steps.
 *
 * An inline `registrar: {config: {...}}` is handed to the registrar's own
 * loader as text: ytree keeps no text, so the lines of the mapping are cut
 * from the file, with the lines and columns before it blanked out, so that
 * the config loader's `line:col` is the scenario file's.
 */

#include <errno.h>
#include <dirent.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <re.h>
#include "ytree.h"
#include "textfile.h"
#include "config.h"
#include "rules.h"
#include "scenario.h"

enum {
	MAX_FILE_SIZE  = 16 * 1024 * 1024,
	MAX_NAME       = 64,
	MAX_DIR_DEPTH  = 32,
	DEFAULT_WITHIN = 5000,
	DEFAULT_NO_WITHIN = 1000,
};

/* a folder of registrar configs, not scenarios: scenario_collect skips it */
#define CONFIG_DIR "configs"


/* a phone name or group in the scenario's name index */
struct sym {
	const char *name;            /* borrowed from the phone            */
	uint32_t first;              /* index into phonev                  */
	uint32_t count;              /* phones; 1 unless group             */
	bool group;
	unsigned line;
};

/* the scenario and what only this file sees */
struct scen {
	struct scenario pub;         /* first: the mem object's address    */
	size_t phone_cap;            /* slots of pub.phonev                */
	struct sym *symv;
	size_t symc;
	size_t sym_cap;
	uint32_t *slotv;             /* open addressing: sym index + 1     */
	size_t slotc;                /* power of two, 0: no index          */
};

/* a `phones:` entry as seen by the first pass */
struct entry {
	const struct ynode *node;
	const char *name;            /* NULL: unusable entry               */
	uint32_t count;
	bool counted;                /* `count:` given                     */
};

struct loader {
	struct ydoc *doc;
	struct scen *s;
	const char *path;
	const char *text;
	size_t len;
	bool nomem;

	/* phones */
	struct entry *entv;
	size_t entc;
	bool phones_broken;          /* undefined phones are not reported */
	char **brokenv;              /* entry names that could not be made */
	size_t brokenc;

	/* selector resolution */
	uint32_t *markv;             /* per phone: gen when selected       */
	uint32_t gen;
	uint32_t *selv;              /* selected phone indexes, in order   */
	size_t selc;

	/* the phones of the last operation step, for `expect` */
	char **last_phonev;
	size_t last_phonec;
	bool have_last;
};


/* ---- small helpers ------------------------------------------------------- */

static void strv_destructor(void *data)
{
	char **v = data;

	for (; *v; v++)
		mem_deref(*v);
}


/* n+1 zeroed slots, NULL-terminated; the destructor frees the strings */
static char **strv_alloc(size_t n)
{
	return mem_zalloc((n + 1) * sizeof(char *), strv_destructor);
}


static bool nomem(struct loader *ld, int err)
{
	if (err == ENOMEM)
		ld->nomem = true;

	return ld->nomem;
}


static int pos_errorf(struct ydoc *doc, unsigned line, unsigned col,
		      const char *msg)
{
	struct ynode pos;

	memset(&pos, 0, sizeof(pos));
	pos.line = line;
	pos.col  = col;

	return ydoc_errorf(doc, &pos, "%s", msg);
}


static const char *type_word(const struct ynode *n)
{
	switch (n->type) {

	case YNODE_MAP: return "a mapping";
	case YNODE_SEQ: return "a list";
	default:        return "a scalar";
	}
}


static int missing(struct loader *ld, const struct ynode *map,
		   const char *what, const char *key)
{
	return ydoc_errorf(ld->doc, map, "%s is missing required key '%s'",
			   what, key);
}


static int expect_map(struct loader *ld, const struct ynode *n,
		      const char *what)
{
	return ynode_expect(ld->doc, n, YNODE_MAP, what);
}


static bool is_null(const struct ynode *n)
{
	if (n->type != YNODE_SCALAR || n->quoted)
		return false;

	return !n->val[0] || !strcmp(n->val, "~") ||
		!strcasecmp(n->val, "null");
}


/* control characters (CR, LF, NUL...) would break a SIP message */
static bool text_clean(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}

	return true;
}


static int get_text(struct loader *ld, const struct ynode *n,
		    const char *what, const char **sp)
{
	const char *s;
	int err;

	err = ynode_str(ld->doc, n, &s);
	if (err)
		return err;

	if (!s[0])
		return ydoc_errorf(ld->doc, n, "%s must not be empty", what);

	if (!text_clean(s))
		return ydoc_errorf(ld->doc, n, "%s must not hold control "
				   "characters (line breaks...)", what);

	*sp = s;

	return 0;
}


static int dup_text(struct loader *ld, const struct ynode *n,
		    const char *what, char **dst)
{
	const char *s;
	int err;

	err = get_text(ld, n, what, &s);
	if (err)
		return err;

	err = str_dup(dst, s);
	nomem(ld, err);

	return err;
}


static int get_enum(struct loader *ld, const struct ynode *n,
		    const char *what, const char *const names[], int *v)
{
	char list[200] = "";
	size_t len = 0;
	const char *s;
	int err;

	err = ynode_str(ld->doc, n, &s);
	if (err)
		return err;

	for (int i = 0; names[i]; i++) {
		if (!strcmp(names[i], s)) {
			*v = i;
			return 0;
		}
		len += (size_t)snprintf(list + len, len < sizeof(list) ?
					sizeof(list) - len : 0, "%s%s",
					i ? ", " : "", names[i]);
	}

	return ydoc_errorf(ld->doc, n, "%s must be one of: %s (not '%s')",
			   what, list, s);
}


static int get_u32_range(struct loader *ld, const struct ynode *n,
			 const char *what, uint32_t min, uint32_t max,
			 uint32_t *v)
{
	uint32_t x;
	int err;

	err = ynode_u32(ld->doc, n, &x);
	if (err)
		return err;

	if (x < min || x > max)
		return ydoc_errorf(ld->doc, n, "%s must be between %u and %u, "
				   "not %u", what, min, max, x);

	*v = x;

	return 0;
}


static int get_duration(struct loader *ld, const struct ynode *n,
			const char *what, bool zero_ok, uint64_t *ms)
{
	uint64_t x;
	int err;

	err = ynode_duration_ms(ld->doc, n, &x);
	if (err)
		return err;

	if (!zero_ok && x == 0)
		return ydoc_errorf(ld->doc, n, "%s must be longer than 0",
				   what);

	*ms = x;

	return 0;
}


/* a number of seconds, or a duration of whole seconds */
static int get_seconds(struct loader *ld, const struct ynode *n,
		       const char *what, uint32_t min, uint32_t *v)
{
	uint64_t ms;
	int err;

	err = ynode_duration_ms(ld->doc, n, &ms);
	if (err)
		return err;

	if (ms % 1000)
		return ydoc_errorf(ld->doc, n, "%s must be whole seconds, "
				   "not '%s'", what, n->val);

	if (ms / 1000 < min || ms / 1000 > UINT32_MAX)
		return ydoc_errorf(ld->doc, n, "%s must be between %us and "
				   "%us, not '%s'", what, min, UINT32_MAX,
				   n->val);

	*v = (uint32_t)(ms / 1000);

	return 0;
}


static int get_bool(struct loader *ld, const struct ynode *n, bool *v)
{
	return ynode_bool(ld->doc, n, v);
}


/*
 * glibc's regcomp spells a quantified piece out ("x+" is "xx*", "x{3}" is
 * "xxx"), and copies those copies when quantifiers stack or nest: "I"
 * followed by 50 "+" took over 2 GB (a fuzz find).  This estimates the
 * size it would build, and a scenario asking for more gets an error.
 */
enum { REGEX_MAX_LEN = 1024, REGEX_MAX_NODES = 20000, REGEX_MAX_DEPTH = 32 };

static bool regex_too_big(const char *s)
{
	uint64_t size[REGEX_MAX_DEPTH + 1] = {0};
	uint64_t last = 0;          /* the piece a quantifier applies to */
	size_t depth = 0;

	if (strlen(s) > REGEX_MAX_LEN)
		return true;

	for (const char *p = s; *p; p++) {
		uint64_t factor = 0;

		switch (*p) {

		case '(':
			if (depth == REGEX_MAX_DEPTH)
				return true;
			size[++depth] = 0;
			last = 0;
			continue;

		case ')':
			if (depth) {
				last = size[depth--] + 1;
				size[depth] += last;
				break;
			}
			last = 1;             /* regcomp will refuse it */
			size[depth] += last;
			break;

		case '*':
		case '?':
			factor = 1;
			break;

		case '+':
			factor = 2;
			break;

		case '{': {
			char *end;
			unsigned long m = strtoul(p + 1, &end, 10), n = m;

			if (end == p + 1 || (*end != ',' && *end != '}')) {
				last = 1;     /* not an interval: a literal */
				size[depth] += last;
				break;
			}
			if (*end == ',') {
				const char *q = end + 1;
				n = *q == '}' ? m + 1 : strtoul(q, &end, 10);
			}
			if (*end != '}')
				return true;
			factor = (n > m ? n : m) + 1;
			if (factor > REGEX_MAX_NODES)
				return true;
			p = end;
			break;
		}

		case '[': {
			/* a bracket expression is one node */
			const char *q = p + 1;

			if (*q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']')
				q++;
			p = *q ? q : q - 1;
			last = 1;
			size[depth] += last;
			break;
		}

		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			last = 1;
			size[depth] += last;
			break;
		}

		if (factor) {
			size[depth] += last * (factor - 1);
			last *= factor;
		}

		if (last > REGEX_MAX_NODES || size[depth] > REGEX_MAX_NODES)
			return true;
	}

	return false;
}


static int regex_check(struct loader *ld, const struct ynode *n,
		       const char *what)
{
	regex_t re;
	char msg[160];
	int r;

	if (regex_too_big(n->val))
		return ydoc_errorf(ld->doc, n, "%s: regular expression too "
				   "large for the matcher (over %d characters, "
				   "or quantifiers stacked or nested so deep "
				   "that it would spell out more than %d "
				   "pieces)", what, REGEX_MAX_LEN,
				   REGEX_MAX_NODES);

	r = regcomp(&re, n->val, REG_EXTENDED | REG_NOSUB);
	if (r) {
		(void)regerror(r, &re, msg, sizeof(msg));
		return ydoc_errorf(ld->doc, n, "%s: bad regular expression "
				   "'%s': %s", what, n->val, msg);
	}

	regfree(&re);

	return 0;
}


static int dup_regex(struct loader *ld, const struct ynode *n,
		     const char *what, char **dst)
{
	const char *s;
	int err;

	err = ynode_str(ld->doc, n, &s);
	if (err)
		return err;

	err = regex_check(ld, n, what);
	if (err)
		return err;

	err = str_dup(dst, s);
	nomem(ld, err);

	return err;
}


static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') ||
		(c && strchr("!#$%&'*+-.^_`|~", c));
}


static bool token_ok(const char *s, size_t n)
{
	if (!n)
		return false;

	for (size_t i = 0; i < n; i++) {
		if (!tchar(s[i]))
			return false;
	}

	return true;
}


/* "Name: value" */
static int header_line_check(struct loader *ld, const struct ynode *n)
{
	const char *s, *colon;
	size_t nl;
	int err;

	err = get_text(ld, n, "a header line", &s);
	if (err)
		return err;

	colon = strchr(s, ':');
	nl = colon ? (size_t)(colon - s) : 0;
	while (nl && (s[nl - 1] == ' ' || s[nl - 1] == '\t'))
		--nl;

	if (!colon || !token_ok(s, nl))
		return ydoc_errorf(ld->doc, n, "a header line must read "
				   "'Name: value', not '%s'", s);

	return 0;
}


/* a list of header lines, joined with CRLF */
static int load_header_lines(struct loader *ld, const struct ynode *n,
			     const char *what, char **dst)
{
	size_t len = 0, off = 0;
	char *buf;
	int err = 0;

	if (ynode_expect(ld->doc, n, YNODE_SEQ, what))
		return EINVAL;

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *it = ynode_item(n, i);

		if (header_line_check(ld, it))
			err = EINVAL;
		else
			len += strlen(it->val) + 2;
	}

	if (err || !len)
		return err;

	buf = mem_alloc(len + 1, NULL);
	if (!buf) {
		ld->nomem = true;
		return ENOMEM;
	}

	for (size_t i = 0; i < n->count; i++) {
		const char *v = ynode_item(n, i)->val;
		size_t l = strlen(v);

		if (off) {
			memcpy(buf + off, "\r\n", 2);
			off += 2;
		}
		memcpy(buf + off, v, l);
		off += l;
	}

	buf[off] = '\0';
	*dst = buf;

	return 0;
}


/* a list of Contact values (patterns: {n} is not replaced here) */
static int check_contacts(struct loader *ld, const struct ynode *n,
			  const char *what)
{
	int err = 0;

	if (ynode_expect(ld->doc, n, YNODE_SEQ, what))
		return EINVAL;

	if (!n->count)
		return ydoc_errorf(ld->doc, n, "%s must list at least one "
				   "Contact value", what);

	for (size_t i = 0; i < n->count; i++) {
		const char *s;

		if (get_text(ld, ynode_item(n, i), "a Contact value", &s))
			err = EINVAL;
	}

	return err;
}


/* copy of s with every "{n}" replaced by idx */
static int subst_n(char **dst, const char *s, unsigned idx)
{
	char num[16];
	size_t nl, len = 0, off = 0;
	char *buf;

	if (!strstr(s, "{n}"))
		return str_dup(dst, s);

	nl = (size_t)snprintf(num, sizeof(num), "%u", idx);

	for (const char *p = s; *p; ) {
		if (!strncmp(p, "{n}", 3)) {
			len += nl;
			p += 3;
		}
		else {
			++len;
			++p;
		}
	}

	buf = mem_alloc(len + 1, NULL);
	if (!buf)
		return ENOMEM;

	for (const char *p = s; *p; ) {
		if (!strncmp(p, "{n}", 3)) {
			memcpy(buf + off, num, nl);
			off += nl;
			p += 3;
		}
		else {
			buf[off++] = *p++;
		}
	}

	buf[off] = '\0';
	*dst = buf;

	return 0;
}


/* the items of a (checked) list of scalars as a strv, {n} replaced */
static int strv_from_seq(char ***dst, const struct ynode *seq, unsigned idx)
{
	char **v = strv_alloc(seq->count);
	int err;

	if (!v)
		return ENOMEM;

	for (size_t i = 0; i < seq->count; i++) {
		err = subst_n(&v[i], ynode_item(seq, i)->val, idx);
		if (err) {
			mem_deref(v);
			return err;
		}
	}

	*dst = v;

	return 0;
}


static bool seq_has_n(const struct ynode *seq)
{
	for (size_t i = 0; i < seq->count; i++) {
		if (strstr(ynode_item(seq, i)->val, "{n}"))
			return true;
	}

	return false;
}


/* ---- the name index ------------------------------------------------------ */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}

	return h;
}


static struct sym *sym_find(const struct scen *s, const char *name)
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
static struct sym *sym_add(struct scen *s, const char *name)
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


static int index_init(struct scen *s, size_t cap)
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

static void phone_free(struct sc_phone *p)
{
	mem_deref(p->name);
	mem_deref(p->group);
	mem_deref((void *)p->conf.user);
	mem_deref((void *)p->conf.domain);
	mem_deref((void *)p->conf.auth_user);
	mem_deref((void *)p->conf.password);
	mem_deref((void *)p->conf.extra);
	mem_deref((void *)p->conf.contactv);
}


static void steps_free(struct sc_step *stepv, size_t stepc);

static void step_free(struct sc_step *st)
{
	struct sc_expect *e = &st->expect;

	mem_deref(st->phonev);
	mem_deref((void *)st->req.callid);
	mem_deref((void *)st->req.extra);
	mem_deref((void *)st->req.contactv);

	mem_deref(e->reason);
	for (size_t i = 0; i < e->hdrc; i++) {
		mem_deref(e->hdrv[i].name);
		mem_deref(e->hdrv[i].regex);
	}
	mem_deref(e->hdrv);
	mem_deref(e->rule);
	mem_deref(e->aor);
	mem_deref(st->to);
	mem_deref(st->extra);
	mem_deref(st->from);
	mem_deref(st->answered_by);

	steps_free(st->stepv, st->stepc);
	mem_deref(st->stepv);
}


static void steps_free(struct sc_step *stepv, size_t stepc)
{
	if (!stepv)
		return;

	for (size_t i = 0; i < stepc; i++)
		step_free(&stepv[i]);
}


static void scen_destructor(void *data)
{
	struct scen *s = data;
	struct scenario *sc = &s->pub;

	mem_deref(sc->file);
	mem_deref(sc->name);
	mem_deref(sc->description);
	mem_deref(sc->rulev);
	mem_deref(sc->config);

	if (sc->phonev) {
		for (size_t i = 0; i < s->phone_cap; i++)
			phone_free(&sc->phonev[i]);
		mem_deref(sc->phonev);
	}

	steps_free(sc->stepv, sc->stepc);
	mem_deref(sc->stepv);

	mem_deref(s->symv);
	mem_deref(s->slotv);
}


/* ---- name, rules, description -------------------------------------------- */

static int load_rules(struct loader *ld, const struct ynode *n)
{
	struct scenario *sc = &ld->s->pub;
	int err = 0;

	if (n->type != YNODE_SEQ || !n->count)
		return ydoc_errorf(ld->doc, n, "rules must be a non-empty list "
				   "of rule IDs such as [REG-AUTH-1]");

	sc->rulev = strv_alloc(n->count);
	if (!sc->rulev) {
		ld->nomem = true;
		return ENOMEM;
	}

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *it = ynode_item(n, i);
		const struct rule *r;
		const char *id;
		bool dup = false;

		if (ynode_str(ld->doc, it, &id)) {
			err = EINVAL;
			continue;
		}

		r = rule_find(id);
		if (!r) {
			err = ydoc_errorf(ld->doc, it, "unknown rule ID '%s' "
					  "(not in the rules table, "
					  "sim-registrar/rules.c)", id);
			continue;
		}

		for (size_t j = 0; j < sc->rulec; j++) {
			if (!strcmp(sc->rulev[j], r->name))
				dup = true;
		}
		if (dup) {
			err = ydoc_errorf(ld->doc, it, "rule ID '%s' is listed "
					  "twice", id);
			continue;
		}

		if (nomem(ld, str_dup(&sc->rulev[sc->rulec], r->name)))
			return ENOMEM;
		++sc->rulec;
	}

	return err;
}


/* ---- registrar: config --------------------------------------------------- */

/*
 * The length of the line break at p, 0 if none.  As libyaml: CR LF, CR,
 * LF, and in UTF-8 NEL, LS and PS.
 */
static size_t brk_len(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = (size_t)(end - p);

	if (!n)
		return 0;
	if (u[0] == '\r')
		return (n > 1 && u[1] == '\n') ? 2 : 1;
	if (u[0] == '\n')
		return 1;
	if (n > 1 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (n > 2 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;

	return 0;
}


/* start of line `line` (1-based), counting breaks as libyaml does */
static const char *line_start(const char *p, const char *end, unsigned line)
{
	unsigned l = 1;

	while (l < line && p < end) {
		size_t b = brk_len(p, end);

		if (b) {
			p += b;
			++l;
		}
		else {
			++p;
		}
	}

	return l == line ? p : NULL;
}


/* the start of the line after p's */
static const char *line_next(const char *p, const char *end)
{
	size_t b = 0;

	while (p < end && !(b = brk_len(p, end)))
		++p;

	return p < end ? p + b : end;
}


/* one character of UTF-8 (libyaml counts columns in characters) */
static const char *utf8_next(const char *p, const char *end)
{
	++p;
	while (p < end && ((unsigned char)*p & 0xc0) == 0x80)
		++p;

	return p;
}


/* past anchors (&a) and tags (!t) and the blanks after them */
static const char *skip_props(const char *p, const char *end)
{
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
				   *p == '\n'))
			++p;

		if (p >= end || (*p != '&' && *p != '!'))
			return p;

		while (p < end && *p != ' ' && *p != '\t' && *p != '\r' &&
		       *p != '\n')
			++p;
	}
}


/* just after the bracket that closes the flow collection at p */
static const char *flow_end(const char *p, const char *end)
{
	int depth = 0;
	char prev = ' ';

	while (p < end) {
		char c = *p;

		if ((c == '"' || c == '\'') && prev &&
		    strchr(" \t\r\n{[,:", prev)) {
			/* a quoted scalar */
			++p;
			while (p < end) {
				if (c == '"' && *p == '\\' && p + 1 < end) {
					p += 2;
					continue;
				}
				if (*p == c) {
					if (c == '\'' && p + 1 < end &&
					    p[1] == '\'') {
						p += 2;
						continue;
					}
					break;
				}
				++p;
			}
			if (p < end)
				++p;
			prev = c;
			continue;
		}

		if (c == '#' && prev && strchr(" \t\r\n", prev)) {
			while (p < end && *p != '\n' && *p != '\r')
				++p;
			prev = ' ';
			continue;
		}

		if (c == '{' || c == '[') {
			++depth;
		}
		else if (c == '}' || c == ']') {
			if (--depth <= 0)
				return p + 1;
		}

		prev = c;
		++p;
	}

	return end;
}


/* the first line after p's that is indented no deeper than column col */
static const char *block_end(const char *p, const char *end, unsigned col)
{
	p = line_next(p, end);

	while (p < end) {
		const char *q = p;
		unsigned ind = 0;

		while (q < end && *q == ' ') {
			++q;
			++ind;
		}

		if (q < end && !brk_len(q, end) && *q != '#' && *q != '\t' &&
		    ind + 1 <= col)
			return p;

		p = line_next(p, end);
	}

	return end;
}


static void config_error(struct loader *ld, const struct ynode *v,
			 const char *name, const char *msg, int err)
{
	size_t nl = strlen(name);
	unsigned long line, col;
	char *e;

	if (!msg[0]) {
		(void)ydoc_errorf(ld->doc, v, "registrar config: %s",
				  strerror(err));
		return;
	}

	if (!strncmp(msg, name, nl) && msg[nl] == ':') {
		line = strtoul(msg + nl + 1, &e, 10);
		if (*e == ':') {
			col = strtoul(e + 1, &e, 10);
			if (!strncmp(e, ": ", 2) && line >= v->line &&
			    line < 1000000000ul && col < 1000000000ul) {
				char buf[560];

				(void)snprintf(buf, sizeof(buf),
					       "registrar config: %s", e + 2);
				(void)pos_errorf(ld->doc, (unsigned)line,
						 (unsigned)col ? (unsigned)col :
						 1, buf);
				return;
			}
			/* before the mapping: an error about all of it */
			(void)ydoc_errorf(ld->doc, v, "registrar config: %s",
					  !strncmp(e, ": ", 2) ? e + 2 : msg);
			return;
		}
	}

	(void)ydoc_errorf(ld->doc, v, "registrar config: %s", msg);
}


static int config_inline(struct loader *ld, const struct ynode *key,
			 const struct ynode *v)
{
	const char *end = ld->text + ld->len, *p, *q, *stop;
	char errbuf[512] = "";
	char *name = NULL, *buf;
	size_t pre, len;
	int err;

	p = ld->text ? line_start(ld->text, end, v->line) : NULL;
	if (!p)
		return ydoc_errorf(ld->doc, v, "registrar config: cannot find "
				   "its text");

	/* libyaml does not count a byte order mark */
	if (v->line == 1 && end - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;

	for (unsigned c = 1; c < v->col && p < end && !brk_len(p, end); c++)
		p = utf8_next(p, end);

	q = skip_props(p, end);
	if (q < end && (*q == '{' || *q == '['))
		stop = flow_end(q, end);
	else
		stop = block_end(p, end, key->col);

	pre = (size_t)(v->line - 1) + (v->col - 1);
	len = pre + (size_t)(stop - p);

	buf = mem_alloc(len + 1, NULL);
	err = re_sdprintf(&name, "%s(registrar.config)", ld->path);
	if (!buf || err) {
		mem_deref(buf);
		mem_deref(name);
		ld->nomem = true;
		return ENOMEM;
	}

	memset(buf, '\n', v->line - 1);
	memset(buf + v->line - 1, ' ', v->col - 1);
	memcpy(buf + pre, p, (size_t)(stop - p));
	buf[len] = '\0';

	err = reg_config_load_str(&ld->s->pub.config, name, buf, len, errbuf,
				  sizeof(errbuf));
	if (err == ENOMEM) {
		ld->nomem = true;
	}
	else if (err) {
		config_error(ld, v, name, errbuf, err);
		err = EINVAL;
	}

	mem_deref(buf);
	mem_deref(name);

	return err;
}


static int config_file(struct loader *ld, const struct ynode *v)
{
	const char *file, *slash;
	char errbuf[512] = "";
	char *full = NULL;
	int err;

	err = get_text(ld, v, "registrar config", &file);
	if (err)
		return err;

	slash = strrchr(ld->path, '/');
	if (file[0] == '/' || !slash)
		err = str_dup(&full, file);
	else
		err = re_sdprintf(&full, "%b/%s", ld->path,
				  (size_t)(slash - ld->path), file);
	if (nomem(ld, err))
		return ENOMEM;

	err = reg_config_load_file(&ld->s->pub.config, full, errbuf,
				   sizeof(errbuf));
	if (err == ENOMEM) {
		ld->nomem = true;
	}
	else if (err) {
		(void)ydoc_errorf(ld->doc, v, "registrar config: %s",
				  errbuf[0] ? errbuf : strerror(err));
		err = EINVAL;
	}

	mem_deref(full);

	return err;
}


static int load_registrar(struct loader *ld, const struct ynode *n)
{
	static const char *const keys[] = {"config", NULL};
	const struct ynode *v;

	if (expect_map(ld, n, "registrar"))
		return EINVAL;

	if (ynode_check_keys(ld->doc, n, keys))
		return EINVAL;

	v = ynode_get(n, "config");
	if (!v)
		return 0;

	if (v->type == YNODE_SCALAR)
		return config_file(ld, v);

	if (v->type == YNODE_MAP) {
		const struct ynode *key = NULL;

		for (size_t i = 0; i < n->count; i++) {
			if (ynode_val(n, i) == v)
				key = ynode_key(n, i);
		}

		return config_inline(ld, key ? key : v, v);
	}

	return ydoc_errorf(ld->doc, v, "registrar config must be a file name "
			   "or a mapping, not a list");
}


/* ---- phones -------------------------------------------------------------- */

static const char *const phone_keys[] = {
	"name", "count", "user", "domain", "password", "auth_user",
	"transport", "expires", "expires_in", "contacts", "callid", "cseq",
	"cseq_start", "auth", "auth_fresh", "auth_replay", "auth_header",
	"refresh", "refresh_at", "retry_wait", "headers", "share", "answer",
	"answer_delay", "reject_code", "link", NULL
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
	ld->brokenv = strv_alloc(n->count);
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
					  type_word(it));
			continue;
		}

		if (ynode_check_keys(ld->doc, it, phone_keys))
			err = EINVAL;

		nm = ynode_get(it, "name");
		if (!nm) {
			err = missing(ld, it, "a phone", "name");
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
			if (get_u32_range(ld, cn, "count", 1, SC_MAX_COUNT,
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
			if (nomem(ld, str_dup(&ld->brokenv[ld->brokenc],
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
	memset(t, 0, sizeof(*t));
}


/*
 * Link faults work on a phone's own UDP socket (linkfault.h): a phone on
 * TCP or TLS, or sharing its socket, cannot have them
 */
static int link_phone_ok(struct loader *ld, const struct ynode *at,
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

	if (expect_map(ld, n, "link"))
		return EINVAL;

	if (link_phone_ok(ld, n, "this phone", c->tp, t->share))
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
		err = missing(ld, n, "a phone", "user");
	else if (get_text(ld, v, "user", &t->user))
		err = EINVAL;

	v = ynode_get(n, "auth_user");
	if (v && get_text(ld, v, "auth_user", &t->auth_user))
		err = EINVAL;

	v = ynode_get(n, "domain");
	if (v) {
		if (dup_text(ld, v, "domain", (char **)&c->domain))
			err = EINVAL;
		else
			t->has_domain = true;
	}

	v = ynode_get(n, "password");
	if (v && dup_text(ld, v, "password", (char **)&c->password))
		err = EINVAL;

	v = ynode_get(n, "transport");
	if (v) {
		if (get_enum(ld, v, "transport", transports, &x))
			err = EINVAL;
		else
			c->tp = x == 0 ? SIP_TRANSP_UDP : x == 1 ?
				SIP_TRANSP_TCP : SIP_TRANSP_TLS;
	}

	v = ynode_get(n, "expires");
	if (v && get_seconds(ld, v, "expires", 1, &c->expires))
		err = EINVAL;

	v = ynode_get(n, "expires_in");
	if (v) {
		if (get_enum(ld, v, "expires_in", where, &x))
			err = EINVAL;
		else
			c->exp_where = (enum phone_exp_where)x;
	}

	v = ynode_get(n, "contacts");
	if (v) {
		if (check_contacts(ld, v, "contacts"))
			err = EINVAL;
		else if (seq_has_n(v))
			t->contacts = v;
		else if (nomem(ld, strv_from_seq(&t->contactv, v, 0)))
			return ENOMEM;
		else
			t->contactc = v->count;
	}

	v = ynode_get(n, "callid");
	if (v) {
		if (get_enum(ld, v, "callid", callids, &x))
			err = EINVAL;
		else
			c->callid = (enum phone_callid_policy)x;
	}

	v = ynode_get(n, "cseq");
	if (v) {
		if (get_enum(ld, v, "cseq", cseqs, &x))
			err = EINVAL;
		else
			c->cseq = (enum phone_cseq_policy)x;
	}

	v = ynode_get(n, "cseq_start");
	if (v && get_u32_range(ld, v, "cseq_start", 1, 0x7fffffff,
			       &c->cseq_start))
		err = EINVAL;

	v = ynode_get(n, "auth");
	if (v) {
		if (get_enum(ld, v, "auth", auths, &x))
			err = EINVAL;
		else
			c->auth = (enum phone_auth_policy)x;
	}

	v = ynode_get(n, "auth_fresh");
	if (v && get_bool(ld, v, &c->auth_fresh))
		err = EINVAL;

	v = ynode_get(n, "auth_replay");
	if (v && get_bool(ld, v, &c->auth_replay))
		err = EINVAL;

	v = ynode_get(n, "auth_header");
	if (v) {
		if (get_enum(ld, v, "auth_header", auth_headers, &x))
			err = EINVAL;
		else
			c->auth_header = (enum phone_auth_header)x;
	}

	v = ynode_get(n, "refresh");
	if (v) {
		if (get_enum(ld, v, "refresh", refreshes, &x))
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
					  type_word(v));
		else
			c->refresh_frac = f;
	}

	v = ynode_get(n, "retry_wait");
	if (v && get_seconds(ld, v, "retry_wait", 1, &c->retry_wait))
		err = EINVAL;

	/* incoming calls */
	v = ynode_get(n, "answer");
	if (v) {
		static const char *const answers[] = {"manual", "auto",
						      "reject", "ignore",
						      NULL};
		if (get_enum(ld, v, "answer", answers, &x))
			err = EINVAL;
		else
			c->answer = (enum phone_answer_policy)x;
	}

	v = ynode_get(n, "answer_delay");
	if (v) {
		uint64_t ms;
		if (get_duration(ld, v, "answer_delay", true, &ms) ||
		    ms > UINT32_MAX)
			err = EINVAL;
		else
			c->answer_delay = (uint32_t)ms;
	}

	v = ynode_get(n, "reject_code");
	if (v) {
		uint32_t code;
		if (get_u32_range(ld, v, "reject_code", 300, 699, &code))
			err = EINVAL;
		else
			c->reject_code = (uint16_t)code;
	}

	v = ynode_get(n, "headers");
	if (v && load_header_lines(ld, v, "headers", (char **)&c->extra))
		err = EINVAL;

	v = ynode_get(n, "share");
	if (v && get_u32_range(ld, v, "share", 1, SC_MAX_COUNT, &t->share))
		err = EINVAL;

	v = ynode_get(n, "link");
	if (v && load_phone_link(ld, v, c, t))
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
		err |= subst_n((char **)&p->conf.user, t->user, nidx);
	if (t->auth_user)
		err |= subst_n((char **)&p->conf.auth_user, t->auth_user,
			       nidx);
	if (t->contactv) {
		p->conf.contactv = mem_ref(t->contactv);
		p->conf.contactc = t->contactc;
	}
	else if (t->contacts) {
		err |= strv_from_seq((char ***)&p->conf.contactv, t->contacts,
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
	struct sym *y = sym_find(ld->s, name);

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
			grp = sym_add(s, e->name);
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

			if (sym_find(s, p->name)) {
				if (!dup)
					(void)sym_taken(ld, nm, p->name);
				dup = true;
				err = EINVAL;
				phone_free(p);
				memset(p, 0, sizeof(*p));
				continue;
			}

			y = sym_add(s, p->name);
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


static int load_phones(struct loader *ld, const struct ynode *n)
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
	if (!s->pub.phonev || index_init(s, total + ld->entc)) {
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
static int phones_default_domain(struct loader *ld)
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


/* ---- selectors ----------------------------------------------------------- */

static void select_idx(struct loader *ld, uint32_t i)
{
	if (ld->markv[i] == ld->gen)
		return;

	ld->markv[i] = ld->gen;
	ld->selv[ld->selc++] = i;
}


static bool broken_name(const struct loader *ld, const char *s)
{
	for (size_t i = 0; i < ld->brokenc; i++) {
		size_t n = strlen(ld->brokenv[i]);

		if (!strncmp(s, ld->brokenv[i], n) &&
		    (s[n] == '\0' || s[n] == '-'))
			return true;
	}

	return false;
}


static int undefined(struct loader *ld, const struct ynode *n,
		     const char *name)
{
	if (ld->phones_broken || broken_name(ld, name))
		return EINVAL;   /* its entry is reported already */

	return ydoc_errorf(ld->doc, n, "undefined phone '%s'", name);
}


/* PREFIX{A..B}SUFFIX */
static int select_range(struct loader *ld, const struct ynode *n,
			const char *s, const char *lb)
{
	unsigned long long a, b;
	const char *rb;
	char *e;
	char name[256];

	rb = strchr(lb, '}');
	if (!rb || lb[1] < '0' || lb[1] > '9')
		goto bad;

	errno = 0;
	a = strtoull(lb + 1, &e, 10);
	if (errno || strncmp(e, "..", 2) || e[2] < '0' || e[2] > '9')
		goto bad;
	b = strtoull(e + 2, &e, 10);
	if (errno || e != rb || strchr(rb + 1, '{') || a > UINT32_MAX ||
	    b > UINT32_MAX)
		goto bad;

	if (a > b)
		return ydoc_errorf(ld->doc, n, "range '%s' runs backwards", s);

	/* a missing name turns up within phonec + 1 numbers */
	for (unsigned long long i = a; i <= b; i++) {
		struct sym *y;

		(void)snprintf(name, sizeof(name), "%.*s%llu%s",
			       (int)(lb - s), s, i, rb + 1);

		y = sym_find(ld->s, name);
		if (!y)
			return undefined(ld, n, name);

		for (uint32_t k = 0; k < y->count; k++)
			select_idx(ld, y->first + k);
	}

	return 0;

 bad:
	return ydoc_errorf(ld->doc, n, "bad phone range '%s' (expected "
			   "NAME-{A..B}, such as desk-{1..10})", s);
}


static int select_one(struct loader *ld, const struct ynode *n)
{
	const char *s, *lb;
	struct sym *y;

	if (n->type != YNODE_SCALAR)
		return ydoc_errorf(ld->doc, n, "a phone selector must be a "
				   "name, a group, NAME-{A..B} or all, not "
				   "%s", type_word(n));

	s = n->val;
	if (!s[0])
		return ydoc_errorf(ld->doc, n, "empty phone selector");

	if (!strcmp(s, "all")) {
		if (!ld->s->pub.phonec)
			return undefined(ld, n, s);
		for (uint32_t i = 0; i < ld->s->pub.phonec; i++)
			select_idx(ld, i);
		return 0;
	}

	if (strlen(s) > 200)
		return ydoc_errorf(ld->doc, n, "phone selector is too long");

	lb = strchr(s, '{');
	if (lb)
		return select_range(ld, n, s, lb);

	y = sym_find(ld->s, s);
	if (!y)
		return undefined(ld, n, s);

	for (uint32_t k = 0; k < y->count; k++)
		select_idx(ld, y->first + k);

	return 0;
}


/* resolve a selector into a strv of phone names (mem_ref'd) */
static int load_selector(struct loader *ld, const struct ynode *n,
			 char ***phonevp, size_t *phonecp)
{
	struct scenario *sc = &ld->s->pub;
	char **v;
	int err = 0;

	if (!ld->markv) {
		/* no phones could be loaded: nothing to resolve against */
		if (ld->phones_broken)
			return EINVAL;
		return ydoc_errorf(ld->doc, n, "no phones are defined");
	}

	ld->selc = 0;
	if (++ld->gen == 0) {
		memset(ld->markv, 0, sc->phonec * sizeof(*ld->markv));
		ld->gen = 1;
	}

	if (n->type == YNODE_SEQ) {
		if (!n->count)
			return ydoc_errorf(ld->doc, n, "the phone list is "
					   "empty");

		for (size_t i = 0; i < n->count; i++) {
			if (select_one(ld, ynode_item(n, i)))
				err = EINVAL;
		}
	}
	else {
		err = select_one(ld, n);
	}

	if (err)
		return err;

	v = strv_alloc(ld->selc);
	if (!v) {
		ld->nomem = true;
		return ENOMEM;
	}

	for (size_t i = 0; i < ld->selc; i++)
		v[i] = mem_ref(sc->phonev[ld->selv[i]].name);

	*phonevp = v;
	*phonecp = ld->selc;

	return 0;
}


/* ---- steps --------------------------------------------------------------- */

static int load_steps(struct loader *ld, const struct ynode *n,
		      const char *what, struct sc_step **stepvp,
		      size_t *stepcp);

static const char *const op_names[] = {"register", "refresh", "unregister",
				       "fetch", NULL};


static void step_init(struct sc_step *st, const struct ynode *n)
{
	memset(st, 0, sizeof(*st));
	st->pos.line = n->line;
	st->pos.col  = n->col;
	st->within_ms = DEFAULT_WITHIN;
	st->expect.granted = -1;
	st->expect.contacts = -1;
	st->expect.binding_count = -1;
}


static int load_bindings(struct loader *ld, const struct ynode *n,
			 struct sc_expect *e)
{
	static const char *const keys[] = {"aor", "count", NULL};
	const struct ynode *v;
	uint32_t count;
	int err = 0;

	if (expect_map(ld, n, "bindings"))
		return EINVAL;

	if (ynode_check_keys(ld->doc, n, keys))
		err = EINVAL;

	e->has_bindings = true;

	v = ynode_get(n, "aor");
	if (!v)
		err = missing(ld, n, "bindings", "aor");
	else if (dup_text(ld, v, "aor", &e->aor))
		err = EINVAL;

	v = ynode_get(n, "count");
	if (v) {
		if (ynode_u32(ld->doc, v, &count))
			err = EINVAL;
		else
			e->binding_count = count;
	}

	return err;
}


static int load_expect_headers(struct loader *ld, const struct ynode *n,
			       struct sc_expect *e)
{
	int err = 0;

	if (expect_map(ld, n, "headers"))
		return EINVAL;

	e->hdrv = mem_zalloc(n->count * sizeof(*e->hdrv) + 1, NULL);
	if (!e->hdrv) {
		ld->nomem = true;
		return ENOMEM;
	}

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *k = ynode_key(n, i), *v = ynode_val(n, i);
		struct sc_header_check *h = &e->hdrv[e->hdrc];

		if (!token_ok(k->val, strlen(k->val))) {
			err = ydoc_errorf(ld->doc, k, "'%s' is not a header "
					  "name", k->val);
			continue;
		}

		if (is_null(v)) {
			h->regex = NULL;
		}
		else if (v->type != YNODE_SCALAR) {
			err = ydoc_errorf(ld->doc, v, "header %s: expected a "
					  "regular expression or null (must "
					  "be absent), not %s", k->val,
					  type_word(v));
			continue;
		}
		else if (dup_regex(ld, v, k->val, &h->regex)) {
			err = EINVAL;
			continue;
		}

		if (nomem(ld, str_dup(&h->name, k->val)))
			return ENOMEM;
		++e->hdrc;
	}

	return err;
}


/*
 * `expect: {...}` as a step (inline false) or on an operation step (no
 * phones, no within: those are the step's)
 */
static int load_expect(struct loader *ld, const struct ynode *n,
		       struct sc_step *st, bool inline_)
{
	static const char *const keys[] = {
		"phones", "status", "reason", "headers", "granted",
		"contacts", "rule", "state", "op", "within", "bindings",
		"link", NULL
	};
	static const char *const inline_keys[] = {
		"status", "reason", "headers", "granted", "contacts", "rule",
		"state", "op", "bindings", "link", NULL
	};
	static const char *const states[] = {"registered", "failed",
					     "expired", "idle", NULL};
	struct scenario *sc = &ld->s->pub;
	struct sc_expect *e = &st->expect;
	const struct ynode *v;
	bool checks = false;
	uint32_t u;
	int x, err = 0;

	if (expect_map(ld, n, "expect"))
		return EINVAL;

	st->has_expect = true;

	/* inline: phones and within are the step's */
	if (ynode_check_keys(ld->doc, n, inline_ ? inline_keys : keys))
		err = EINVAL;

	v = ynode_get(n, "status");
	if (v) {
		checks = true;
		if (get_u32_range(ld, v, "status", 100, 699, &u))
			err = EINVAL;
		else
			e->status = (uint16_t)u;
	}

	v = ynode_get(n, "reason");
	if (v) {
		checks = true;
		if (dup_regex(ld, v, "reason", &e->reason))
			err = EINVAL;
	}

	v = ynode_get(n, "headers");
	if (v) {
		checks = true;
		if (load_expect_headers(ld, v, e))
			err = EINVAL;
	}

	v = ynode_get(n, "granted");
	if (v) {
		checks = true;
		if (get_seconds(ld, v, "granted", 0, &u))
			err = EINVAL;
		else
			e->granted = u;
	}

	v = ynode_get(n, "contacts");
	if (v) {
		checks = true;
		if (ynode_u32(ld->doc, v, &u))
			err = EINVAL;
		else
			e->contacts = u;
	}

	v = ynode_get(n, "rule");
	if (v) {
		const struct rule *r;
		const char *id;

		/* a target without a control API still answers: only the
		 * rule behind the answer is not known there */
		checks = true;
		if (ynode_str(ld->doc, v, &id)) {
			err = EINVAL;
		}
		else if (!(r = rule_find(id))) {
			err = ydoc_errorf(ld->doc, v, "unknown rule ID '%s'",
					  id);
		}
		else if (nomem(ld, str_dup(&e->rule, r->name))) {
			return ENOMEM;
		}
	}

	v = ynode_get(n, "state");
	if (v) {
		checks = true;
		if (get_enum(ld, v, "state", states, &x))
			err = EINVAL;
		else
			e->state = (enum sc_state_check)(x + 1);
	}

	v = ynode_get(n, "op");
	if (v) {
		checks = true;
		if (get_enum(ld, v, "op", op_names, &x))
			err = EINVAL;
		else {
			e->has_op = true;
			e->op = (enum phone_op)x;
		}
	}

	v = ynode_get(n, "link");
	if (v) {
		checks = true;
		e->has_link = true;
		if (sc_faults_check(ld->doc, v, &e->link))
			err = EINVAL;
	}

	v = ynode_get(n, "within");
	if (v && !inline_ && get_duration(ld, v, "within", false,
					  &st->within_ms))
		err = EINVAL;

	v = ynode_get(n, "bindings");
	if (v) {
		sc->needs_state = true;
		if (load_bindings(ld, v, e))
			err = EINVAL;
	}

	if (ld->nomem)
		return ENOMEM;

	if (!checks && !e->has_bindings && !v)
		return ydoc_errorf(ld->doc, n, "expect checks nothing: give "
				   "status, reason, headers, granted, "
				   "contacts, rule, state, op, bindings or "
				   "link");

	if (inline_)
		return err;

	v = ynode_get(n, "phones");
	if (v) {
		if (load_selector(ld, v, &st->phonev, &st->phonec))
			err = EINVAL;
	}
	else if (!checks) {
		/* bindings only: no phones */
	}
	else if (ld->have_last) {
		st->phonev = ld->last_phonev ? mem_ref(ld->last_phonev) :
			NULL;
		st->phonec = ld->last_phonec;
	}
	else {
		err = ydoc_errorf(ld->doc, n, "expect has no phones: give "
				  "phones, or put an operation step (register"
				  "...) before it");
	}

	return ld->nomem ? ENOMEM : err;
}


static int load_op_long(struct loader *ld, const struct ynode *n,
			const char *kind, struct sc_step *st)
{
	static const char *const reg_keys[] = {
		"phones", "expires", "contacts", "callid", "cseq", "headers",
		"no_auth", "no_answer", "no_contact", NULL
	};
	static const char *const unreg_keys[] = {"phones", "wildcard", NULL};
	static const char *const keys[] = {"phones", NULL};
	struct phone_req *r = &st->req;
	const struct ynode *v;
	int err = 0;

	if (ynode_check_keys(ld->doc, n, st->type == SC_REGISTER ? reg_keys :
			     st->type == SC_UNREGISTER ? unreg_keys : keys))
		err = EINVAL;

	v = ynode_get(n, "phones");
	if (!v)
		err = missing(ld, n, kind, "phones");
	else if (load_selector(ld, v, &st->phonev, &st->phonec))
		err = EINVAL;

	if (st->type == SC_UNREGISTER) {
		v = ynode_get(n, "wildcard");
		if (v && get_bool(ld, v, &st->wildcard))
			err = EINVAL;
	}

	if (st->type != SC_REGISTER)
		return ld->nomem ? ENOMEM : err;

	v = ynode_get(n, "expires");
	if (v) {
		st->has_req = r->set_expires = true;
		if (get_seconds(ld, v, "expires", 0, &r->expires))
			err = EINVAL;
	}

	v = ynode_get(n, "contacts");
	if (v) {
		st->has_req = true;
		if (check_contacts(ld, v, "contacts"))
			err = EINVAL;
		else if (nomem(ld, strv_from_seq((char ***)&r->contactv, v,
						 0)))
			return ENOMEM;
		else
			r->contactc = v->count;
	}

	v = ynode_get(n, "callid");
	if (v) {
		st->has_req = true;
		if (dup_text(ld, v, "callid", (char **)&r->callid))
			err = EINVAL;
	}

	v = ynode_get(n, "cseq");
	if (v) {
		st->has_req = r->set_cseq = true;
		if (get_u32_range(ld, v, "cseq", 0, 0x7fffffff, &r->cseq))
			err = EINVAL;
	}

	v = ynode_get(n, "headers");
	if (v) {
		st->has_req = true;
		if (load_header_lines(ld, v, "headers", (char **)&r->extra))
			err = EINVAL;
	}

	v = ynode_get(n, "no_auth");
	if (v) {
		st->has_req = true;
		if (get_bool(ld, v, &r->no_auth))
			err = EINVAL;
	}

	v = ynode_get(n, "no_answer");
	if (v) {
		st->has_req = true;
		if (get_bool(ld, v, &r->no_answer))
			err = EINVAL;
	}

	v = ynode_get(n, "no_contact");
	if (v) {
		st->has_req = true;
		if (get_bool(ld, v, &r->no_contact))
			err = EINVAL;
	}

	if (r->no_contact && r->contactv)
		err = ydoc_errorf(ld->doc, ynode_get(n, "no_contact"),
				  "no_contact and contacts exclude each "
				  "other");

	return ld->nomem ? ENOMEM : err;
}


static int load_op(struct loader *ld, const struct ynode *step,
		   const char *kind, const struct ynode *v,
		   struct sc_step *st)
{
	const struct ynode *x;
	int err;

	if (!strcmp(kind, "register"))
		st->type = SC_REGISTER;
	else if (!strcmp(kind, "refresh"))
		st->type = SC_REFRESH;
	else if (!strcmp(kind, "unregister"))
		st->type = SC_UNREGISTER;
	else
		st->type = SC_FETCH;

	if (v->type == YNODE_MAP)
		err = load_op_long(ld, v, kind, st);
	else
		err = load_selector(ld, v, &st->phonev, &st->phonec);

	x = ynode_get(step, "within");
	if (x && get_duration(ld, x, "within", false, &st->within_ms))
		err = EINVAL;

	x = ynode_get(step, "expect");
	if (x && load_expect(ld, x, st, true))
		err = EINVAL;

	if (ld->nomem)
		return ENOMEM;

	/* what a following `expect` checks by default (if the selector
	   failed, none: its error is reported already) */
	ld->last_phonev = st->phonev;
	ld->last_phonec = st->phonec;
	ld->have_last = true;

	return err;
}


static int load_expect_no(struct loader *ld, const struct ynode *n,
			  struct sc_step *st)
{
	static const char *const keys[] = {"phones", "within", "op", NULL};
	const struct ynode *v;
	int x, err = 0;

	st->type = SC_EXPECT_NO;
	st->within_ms = DEFAULT_NO_WITHIN;

	if (expect_map(ld, n, "expect_no"))
		return EINVAL;

	if (ynode_check_keys(ld->doc, n, keys))
		err = EINVAL;

	v = ynode_get(n, "phones");
	if (!v)
		err = missing(ld, n, "expect_no", "phones");
	else if (load_selector(ld, v, &st->phonev, &st->phonec))
		err = EINVAL;

	v = ynode_get(n, "within");
	if (v && get_duration(ld, v, "within", false, &st->within_ms))
		err = EINVAL;

	v = ynode_get(n, "op");
	if (v) {
		if (get_enum(ld, v, "op", op_names, &x))
			err = EINVAL;
		else {
			st->expect.has_op = true;
			st->expect.op = (enum phone_op)x;
		}
	}

	return ld->nomem ? ENOMEM : err;
}


static int load_repeat(struct loader *ld, const struct ynode *n,
		       struct sc_step *st)
{
	static const char *const keys[] = {"count", "steps", NULL};
	const struct ynode *v;
	int err = 0;

	st->type = SC_REPEAT;

	if (expect_map(ld, n, "repeat"))
		return EINVAL;

	if (ynode_check_keys(ld->doc, n, keys))
		err = EINVAL;

	v = ynode_get(n, "count");
	if (!v)
		err = missing(ld, n, "repeat", "count");
	else if (get_u32_range(ld, v, "repeat count", 1, SC_MAX_REPEAT,
			       &st->count))
		err = EINVAL;

	v = ynode_get(n, "steps");
	if (!v)
		err = missing(ld, n, "repeat", "steps");
	else if (load_steps(ld, v, "repeat steps", &st->stepv, &st->stepc))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


static const char *const step_keys[] = {
	"register", "refresh", "unregister", "fetch", "expect", "expect_no",
	"advance", "wait", "parallel", "repeat", "within",
	"call", "expect_call", "ring", "answer", "reject", "ignore",
	"cancel", "hangup", "refer", "expect_cancel", "expect_bye",
	"dial", "dial_hangup", "expect_dial", "link", "restart", NULL
};


/* `link: {phones: SEL, drop: 30%, ..., direction: send}` or
 * `link: {phones: SEL, clear: true}` */
static int load_link_step(struct loader *ld, const struct ynode *n,
			  struct sc_step *st)
{
	struct scenario *sc = &ld->s->pub;
	const struct ynode *v, *sel;
	unsigned nkeys = 0;
	bool clear = false;
	int err = 0;

	st->type = SC_LINK;

	if (expect_map(ld, n, "link"))
		return EINVAL;

	for (size_t i = 0; i < n->count; i++) {
		const char *k = ynode_key(n, i)->val;
		bool known = !strcmp(k, "phones") || !strcmp(k, "clear");

		for (size_t j = 0; !known && sc_fault_keys[j]; j++)
			known = !strcmp(k, sc_fault_keys[j]);
		if (!known)
			err = ydoc_errorf(ld->doc, ynode_key(n, i),
					  "unknown key '%s' in link (phones, "
					  "drop, duplicate, delay, reorder, "
					  "direction, clear)", k);
	}

	if (sc_faults_conf(ld->doc, n, &st->link, &nkeys))
		err = EINVAL;

	v = ynode_get(n, "clear");
	if (v) {
		if (get_bool(ld, v, &clear))
			err = EINVAL;
		else if (!clear)
			err = ydoc_errorf(ld->doc, v, "clear: false clears "
					  "nothing: leave it out, or give "
					  "true");
		else if (nkeys)
			err = ydoc_errorf(ld->doc, v, "clear: true takes no "
					  "fault keys with it");
	}
	else if (!nkeys && !err) {
		err = ydoc_errorf(ld->doc, n, "link sets no fault: give drop, "
				  "duplicate, delay, reorder (and "
				  "direction), or clear: true");
	}
	st->link_clear = clear;

	sc->needs_faults = true;
	if (!clear && st->link.dir != LINKFAULT_SEND)
		sc->needs_rx_faults = true;

	sel = ynode_get(n, "phones");
	if (!sel)
		return missing(ld, n, "link", "phones");
	if (load_selector(ld, sel, &st->phonev, &st->phonec))
		return ld->nomem ? ENOMEM : EINVAL;

	for (size_t i = 0; i < st->phonec; i++) {
		struct sc_phone *p = (struct sc_phone *)
			scenario_phone(sc, st->phonev[i]);

		if (!p)
			continue;
		if (link_phone_ok(ld, sel, p->name, p->conf.tp, p->share)) {
			err = EINVAL;
			break;
		}
		p->faulted = true;
		p->conf.virtual_timeout = true;
	}

	return ld->nomem ? ENOMEM : err;
}


/* `restart: registrar` (graceful) or `restart: {registrar: kill}` */
static int load_restart(struct loader *ld, const struct ynode *n,
			struct sc_step *st)
{
	static const char *const keys[] = {"registrar", NULL};
	static const char *const modes[] = {"graceful", "kill", NULL};
	const struct ynode *v;
	int x;

	st->type = SC_RESTART;
	ld->s->pub.needs_restart = true;

	if (n->type == YNODE_SCALAR) {
		if (strcmp(n->val, "registrar"))
			return ydoc_errorf(ld->doc, n, "restart what? only "
					   "'registrar' can be restarted, not "
					   "'%s'", n->val);
		return 0;
	}

	if (expect_map(ld, n, "restart"))
		return EINVAL;

	if (ynode_check_keys(ld->doc, n, keys))
		return EINVAL;

	v = ynode_get(n, "registrar");
	if (!v)
		return missing(ld, n, "restart", "registrar");

	if (get_enum(ld, v, "restart registrar", modes, &x))
		return EINVAL;

	st->restart_kill = x == 1;

	return 0;
}


/* `dial: {from, to}`, `dial_hangup: {}`, `expect_dial: {...}` */
static int load_dial_step(struct loader *ld, const char *kind,
			  const struct ynode *v, struct sc_step *st)
{
	static const char *const dial_keys[] = {"from", "to", NULL};
	static const char *const none[] = {NULL};
	static const char *const expect_keys[] = {
		"state", "status", "rule", "answered_by", "branches",
		"cancels", "within", NULL
	};
	static const char *const states[] = {"ringing", "answered", "ended",
					     NULL};
	const struct ynode *x;
	uint32_t u;
	int i, err = 0;

	ld->s->pub.needs_calls = true;
	st->branches = st->cancels = -1;

	if (!strcmp(kind, "dial_hangup")) {
		st->type = SC_DIAL_HANGUP;
		if (v->type == YNODE_MAP && ynode_check_keys(ld->doc, v, none))
			err = EINVAL;
		return err;
	}

	if (expect_map(ld, v, kind))
		return EINVAL;

	if (!strcmp(kind, "dial")) {
		st->type = SC_DIAL;
		if (ynode_check_keys(ld->doc, v, dial_keys))
			err = EINVAL;
		x = ynode_get(v, "from");
		if (!x)
			err = missing(ld, v, kind, "from");
		else if (dup_text(ld, x, "from", &st->from))
			err = EINVAL;
		x = ynode_get(v, "to");
		if (!x)
			err = missing(ld, v, kind, "to");
		else if (dup_text(ld, x, "to", &st->to))
			err = EINVAL;
		return ld->nomem ? ENOMEM : err;
	}

	st->type = SC_EXPECT_DIAL;
	st->within_ms = DEFAULT_WITHIN;
	if (ynode_check_keys(ld->doc, v, expect_keys))
		err = EINVAL;

	x = ynode_get(v, "state");
	if (x) {
		if (get_enum(ld, x, "state", states, &i))
			err = EINVAL;
		else
			st->dial_state = i + 1;
	}

	x = ynode_get(v, "status");
	if (x) {
		if (get_u32_range(ld, x, "status", 100, 699, &u))
			err = EINVAL;
		else
			st->expect.status = (uint16_t)u;
	}

	x = ynode_get(v, "rule");
	if (x) {
		const char *id;
		if (ynode_str(ld->doc, x, &id))
			err = EINVAL;
		else if (!rule_find(id))
			err = ydoc_errorf(ld->doc, x, "unknown rule ID '%s'",
					  id);
		else if (nomem(ld, str_dup(&st->expect.rule, id)))
			return ENOMEM;
	}

	x = ynode_get(v, "answered_by");
	if (x && dup_regex(ld, x, "answered_by", &st->answered_by))
		err = EINVAL;

	x = ynode_get(v, "branches");
	if (x) {
		if (get_u32_range(ld, x, "branches", 0, 1000, &u))
			err = EINVAL;
		else
			st->branches = u;
	}

	x = ynode_get(v, "cancels");
	if (x) {
		if (get_u32_range(ld, x, "cancels", 0, 1000, &u))
			err = EINVAL;
		else
			st->cancels = u;
	}

	x = ynode_get(v, "within");
	if (x && get_duration(ld, x, "within", false, &st->within_ms))
		err = EINVAL;

	st->has_expect = true;

	return ld->nomem ? ENOMEM : err;
}


/* call steps: kind, type, and the keys of their long form */
static const struct call_kind {
	const char *name;
	enum sc_step_type type;
	const char *const keys[6];
	bool takes_expect;          /* an inline expect on its response  */
} call_kinds[] = {
	{"call",          SC_CALL,          {"phones", "to", "headers"},
	 true},
	{"expect_call",   SC_EXPECT_CALL,   {"phones", "within", "headers"},
	 false},
	{"ring",          SC_RING,          {"phones"}, false},
	{"answer",        SC_ANSWER,        {"phones", "after"}, false},
	{"reject",        SC_REJECT,        {"phones", "code"}, false},
	{"ignore",        SC_IGNORE,        {"phones"}, false},
	{"cancel",        SC_CANCEL,        {"phones"}, false},
	{"hangup",        SC_HANGUP,        {"phones"}, false},
	{"refer",         SC_REFER,         {"phones", "to"}, true},
	{"expect_cancel", SC_EXPECT_CANCEL, {"phones", "within", "reason"},
	 false},
	{"expect_bye",    SC_EXPECT_BYE,    {"phones", "within"}, false},
};


static const struct call_kind *call_kind_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(call_kinds); i++) {
		if (!strcmp(call_kinds[i].name, name))
			return &call_kinds[i];
	}

	return NULL;
}


static int load_call_step(struct loader *ld, const struct ynode *step,
			  const struct call_kind *ck, const struct ynode *v,
			  struct sc_step *st)
{
	const struct ynode *x;
	int err = 0;

	st->type = ck->type;
	if (ck->type == SC_EXPECT_CALL || ck->type == SC_EXPECT_CANCEL ||
	    ck->type == SC_EXPECT_BYE)
		st->within_ms = DEFAULT_WITHIN;

	if (v->type != YNODE_MAP) {
		if (ck->type == SC_CALL || ck->type == SC_REFER)
			return ydoc_errorf(ld->doc, v, "%s needs a mapping: "
					   "{phones: ..., to: ...}", ck->name);
		err = load_selector(ld, v, &st->phonev, &st->phonec);
	}
	else {
		const char *keys[7] = {NULL};

		for (size_t i = 0; i < 6 && ck->keys[i]; i++)
			keys[i] = ck->keys[i];
		if (ynode_check_keys(ld->doc, v, keys))
			err = EINVAL;

		x = ynode_get(v, "phones");
		if (!x)
			err = missing(ld, v, ck->name, "phones");
		else if (load_selector(ld, x, &st->phonev, &st->phonec))
			err = EINVAL;

		x = ynode_get(v, "to");
		if (x && dup_text(ld, x, "to", &st->to))
			err = EINVAL;
		else if (!x && (ck->type == SC_CALL || ck->type == SC_REFER))
			err = missing(ld, v, ck->name, "to");

		x = ynode_get(v, "after");
		if (x && get_duration(ld, x, "after", true, &st->ms))
			err = EINVAL;

		x = ynode_get(v, "code");
		if (x) {
			uint32_t c;
			if (get_u32_range(ld, x, "code", 300, 699, &c))
				err = EINVAL;
			else
				st->code = (uint16_t)c;
		}

		x = ynode_get(v, "within");
		if (x && get_duration(ld, x, "within", false, &st->within_ms))
			err = EINVAL;

		/* call: extra header lines; expect_call: header checks */
		x = ynode_get(v, "headers");
		if (x && ck->type == SC_CALL &&
		    load_header_lines(ld, x, "headers", &st->extra))
			err = EINVAL;
		else if (x && ck->type == SC_EXPECT_CALL) {
			st->has_expect = true;
			if (load_expect_headers(ld, x, &st->expect))
				err = EINVAL;
		}

		/* expect_cancel: the Reason header, by regex */
		x = ynode_get(v, "reason");
		if (x) {
			struct sc_expect *e = &st->expect;

			st->has_expect = true;
			e->hdrv = mem_zalloc(2 * sizeof(*e->hdrv), NULL);
			if (!e->hdrv || str_dup(&e->hdrv[0].name, "Reason"))
				return ENOMEM;
			e->hdrc = 1;
			if (dup_regex(ld, x, "reason", &e->hdrv[0].regex))
				err = EINVAL;
		}
	}

	if (ck->type == SC_REJECT && !st->code)
		st->code = 486;

	x = ynode_get(step, "expect");
	if (x) {
		if (!ck->takes_expect)
			err = ydoc_errorf(ld->doc, x, "expect goes with call "
					  "and refer (their response), not "
					  "with %s", ck->name);
		else if (load_expect(ld, x, st, true))
			err = EINVAL;
	}

	x = ynode_get(step, "within");
	if (x) {
		if (ck->type == SC_CALL || ck->type == SC_REFER) {
			if (get_duration(ld, x, "within", false,
					 &st->within_ms))
				err = EINVAL;
		}
		else {
			err = ydoc_errorf(ld->doc, x, "within goes inside %s: "
					  "{phones: ..., within: ...}",
					  ck->name);
		}
	}

	return ld->nomem ? ENOMEM : err;
}


static bool is_op(const char *k)
{
	for (size_t i = 0; op_names[i]; i++) {
		if (!strcmp(op_names[i], k))
			return true;
	}

	return false;
}


static int load_step(struct loader *ld, const struct ynode *n,
		     struct sc_step *st)
{
	const struct ynode *kind = NULL, *v = NULL;
	bool unknown = false;
	int err = 0;

	step_init(st, n);

	if (n->type != YNODE_MAP)
		return ydoc_errorf(ld->doc, n, "a step must be a mapping such "
				   "as {register: desk}, not %s",
				   type_word(n));

	if (ynode_check_keys(ld->doc, n, step_keys)) {
		unknown = true;
		err = EINVAL;
	}

	/* the kind: one key other than within (and expect, if another) */
	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *k = ynode_key(n, i);
		bool known = false;

		for (size_t j = 0; step_keys[j]; j++) {
			if (!strcmp(step_keys[j], k->val))
				known = true;
		}

		if (!known || !strcmp(k->val, "within") ||
		    !strcmp(k->val, "expect"))
			continue;

		if (kind)
			return ydoc_errorf(ld->doc, k, "a step has one kind, "
					   "but '%s' and '%s' are both given",
					   kind->val, k->val);
		kind = k;
		v = ynode_val(n, i);
	}

	if (!kind) {
		v = ynode_get(n, "expect");
		if (!v) {
			if (unknown)
				return err;
			return ydoc_errorf(ld->doc, n, "a step needs one of: "
					   "register, refresh, unregister, "
					   "fetch, expect, expect_no, advance, "
					   "wait, parallel, repeat, call, "
					   "expect_call, ring, answer, reject, "
					   "ignore, cancel, hangup, refer, "
					   "expect_cancel, expect_bye, dial, "
					   "dial_hangup, expect_dial, link, "
					   "restart");
		}

		st->type = SC_EXPECT;
		for (size_t i = 0; i < n->count; i++) {
			if (!strcmp(ynode_key(n, i)->val, "within"))
				return ydoc_errorf(ld->doc, ynode_key(n, i),
						   "within of an expect step "
						   "goes inside it: expect: "
						   "{within: ...}");
		}

		if (load_expect(ld, v, st, false))
			err = EINVAL;
		return ld->nomem ? ENOMEM : err;
	}

	if (is_op(kind->val)) {
		if (load_op(ld, n, kind->val, v, st))
			err = EINVAL;
		return ld->nomem ? ENOMEM : err;
	}

	if (!strcmp(kind->val, "dial") || !strcmp(kind->val, "dial_hangup") ||
	    !strcmp(kind->val, "expect_dial")) {
		if (load_dial_step(ld, kind->val, v, st))
			err = EINVAL;
		return ld->nomem ? ENOMEM : err;
	}

	if (call_kind_find(kind->val)) {
		if (load_call_step(ld, n, call_kind_find(kind->val), v, st))
			err = EINVAL;
		return ld->nomem ? ENOMEM : err;
	}

	/* the other kinds stand alone */
	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *k = ynode_key(n, i);

		if (!strcmp(k->val, "within") || !strcmp(k->val, "expect"))
			err = ydoc_errorf(ld->doc, k, "'%s' goes with "
					  "register, refresh, unregister or "
					  "fetch, not with %s", k->val,
					  kind->val);
	}

	if (!strcmp(kind->val, "expect_no")) {
		if (load_expect_no(ld, v, st))
			err = EINVAL;
	}
	else if (!strcmp(kind->val, "advance")) {
		st->type = SC_ADVANCE;
		ld->s->pub.needs_clock = true;
		if (get_duration(ld, v, "advance", true, &st->ms))
			err = EINVAL;
	}
	else if (!strcmp(kind->val, "wait")) {
		st->type = SC_WAIT;
		if (get_duration(ld, v, "wait", true, &st->ms))
			err = EINVAL;
	}
	else if (!strcmp(kind->val, "link")) {
		if (load_link_step(ld, v, st))
			err = EINVAL;
	}
	else if (!strcmp(kind->val, "restart")) {
		if (load_restart(ld, v, st))
			err = EINVAL;
	}
	else if (!strcmp(kind->val, "parallel")) {
		st->type = SC_PARALLEL;
		if (load_steps(ld, v, "parallel", &st->stepv, &st->stepc))
			err = EINVAL;
	}
	else {
		if (load_repeat(ld, v, st))
			err = EINVAL;
	}

	return ld->nomem ? ENOMEM : err;
}


static int load_steps(struct loader *ld, const struct ynode *n,
		      const char *what, struct sc_step **stepvp,
		      size_t *stepcp)
{
	struct sc_step *v;
	int err = 0;

	if (n->type != YNODE_SEQ || !n->count)
		return ydoc_errorf(ld->doc, n, "%s must be a non-empty list of "
				   "steps", what);

	v = mem_zalloc(n->count * sizeof(*v), NULL);
	if (!v) {
		ld->nomem = true;
		return ENOMEM;
	}

	*stepvp = v;
	*stepcp = n->count;

	for (size_t i = 0; i < n->count; i++) {
		if (load_step(ld, ynode_item(n, i), &v[i]))
			err = EINVAL;
		if (ld->nomem)
			return ENOMEM;
	}

	return err;
}


/* ---- the scenario -------------------------------------------------------- */

static int load_root(struct loader *ld)
{
	static const char *const keys[] = {"name", "rules", "description",
					   "registrar", "phones", "steps",
					   "seed", NULL};
	const struct ynode *root = ydoc_root(ld->doc), *v;
	struct scenario *sc = &ld->s->pub;
	int err = 0;

	if (!root)
		return ydoc_errorf(ld->doc, NULL, "empty document");

	sc->pos.line = root->line;
	sc->pos.col  = root->col;

	if (root->type != YNODE_MAP)
		return ydoc_errorf(ld->doc, root, "a scenario must be a "
				   "mapping with name, rules, phones and "
				   "steps, not %s", type_word(root));

	if (ynode_check_keys(ld->doc, root, keys))
		err = EINVAL;

	v = ynode_get(root, "name");
	if (!v)
		err = missing(ld, root, "the scenario", "name");
	else if (dup_text(ld, v, "name", &sc->name))
		err = EINVAL;

	v = ynode_get(root, "description");
	if (v) {
		const char *s;

		if (ynode_str(ld->doc, v, &s))
			err = EINVAL;
		else if (nomem(ld, str_dup(&sc->description, s)))
			return ENOMEM;
	}

	v = ynode_get(root, "rules");
	if (!v)
		err = missing(ld, root, "the scenario", "rules");
	else if (load_rules(ld, v))
		err = EINVAL;

	if (ld->nomem)
		return ENOMEM;

	v = ynode_get(root, "registrar");
	if (v && load_registrar(ld, v))
		err = EINVAL;

	/* the link faults' dice: a fixed default, so a run repeats */
	sc->seed = 1;
	v = ynode_get(root, "seed");
	if (v) {
		uint32_t seed;

		if (ynode_u32(ld->doc, v, &seed))
			err = EINVAL;
		else
			sc->seed = seed;
	}

	if (ld->nomem)
		return ENOMEM;

	v = ynode_get(root, "phones");
	if (!v) {
		ld->phones_broken = true;
		err = missing(ld, root, "the scenario", "phones");
	}
	else if (load_phones(ld, v)) {
		err = EINVAL;
	}

	if (ld->nomem || phones_default_domain(ld))
		return ENOMEM;

	v = ynode_get(root, "steps");
	if (!v)
		err = missing(ld, root, "the scenario", "steps");
	else if (load_steps(ld, v, "steps", &sc->stepv, &sc->stepc))
		err = EINVAL;

	return ld->nomem ? ENOMEM : err;
}


/* the whole file, as text (kept for inline configs) */
static int read_file(const char *path, char **textp, size_t *lenp)
{
	return textfile_read(textp, lenp, path, MAX_FILE_SIZE);
}


int scenario_load(struct scenario **scp, struct ydoc **docp,
		  const char *path)
{
	struct loader ld;
	struct ydoc *doc = NULL;
	struct scen *s = NULL;
	char *text = NULL;
	size_t len = 0;
	int err;

	if (docp)
		*docp = NULL;

	if (!scp || !path)
		return EINVAL;

	memset(&ld, 0, sizeof(ld));

	err = read_file(path, &text, &len);
	if (err) {
		if (!ydoc_load_str(&doc, path, "{}", 2))
			(void)ydoc_errorf(doc, NULL, "cannot read: %s",
					  err == EFBIG ? "file too large" :
					  strerror(err));
		err = err == ENOMEM ? ENOMEM : EINVAL;
		goto out;
	}

	err = ydoc_load_str(&doc, path, text, len);
	if (err) {
		if (doc && err != ENOMEM)
			err = EINVAL;
		goto out;
	}

	s = mem_zalloc(sizeof(*s), scen_destructor);
	if (!s) {
		err = ENOMEM;
		goto out;
	}

	err = str_dup(&s->pub.file, path);
	if (err)
		goto out;

	ld.doc  = doc;
	ld.s    = s;
	ld.path = path;
	ld.text = text;
	ld.len  = len;

	err = load_root(&ld);
	if (ld.nomem)
		err = ENOMEM;
	else if (err || ydoc_errorc(doc))
		err = EINVAL;

 out:
	mem_deref(ld.entv);
	mem_deref(ld.brokenv);
	mem_deref(ld.markv);
	mem_deref(ld.selv);
	mem_deref(text);

	if (err)
		mem_deref(s);
	else
		*scp = &s->pub;

	if (docp)
		*docp = doc;
	else
		mem_deref(doc);

	return err;
}


const struct sc_phone *scenario_phone(const struct scenario *sc,
				      const char *name)
{
	const struct scen *s = (const struct scen *)sc;
	const struct sym *y;

	if (!sc || !name)
		return NULL;

	y = sym_find(s, name);
	if (!y || y->group)
		return NULL;

	return &sc->phonev[y->first];
}


/* ---- finding scenario files ---------------------------------------------- */

struct flist {
	char **v;
	size_t c;
	size_t cap;
};


static int flist_add(struct flist *fl, const char *path)
{
	int err;

	if (fl->c + 1 >= fl->cap) {
		size_t n = fl->cap ? fl->cap * 2 : 16;
		char **v = fl->v ? mem_realloc(fl->v, n * sizeof(*v)) :
			mem_alloc(n * sizeof(*v), NULL);

		if (!v)
			return ENOMEM;

		memset(v + fl->cap, 0, (n - fl->cap) * sizeof(*v));
		fl->v = v;
		fl->cap = n;
	}

	err = str_dup(&fl->v[fl->c], path);
	if (err)
		return err;

	++fl->c;

	return 0;
}


static bool yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
		(n > 4 && !strcmp(name + n - 4, ".yml"));
}


static int walk(struct flist *fl, const char *dir, int depth)
{
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = depth < MAX_DIR_DEPTH ? opendir(dir) : NULL;
	if (!d)
		return flist_add(fl, dir);   /* loading it says why */

	while (!err && (de = readdir(d)) != NULL) {
		char *sub = NULL;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;

		err = re_sdprintf(&sub, "%s/%s", dir, de->d_name);
		if (err)
			break;

		if (stat(sub, &st))
			err = yaml_name(de->d_name) ? flist_add(fl, sub) : 0;
		else if (S_ISDIR(st.st_mode) &&
			 strcmp(de->d_name, CONFIG_DIR))
			err = walk(fl, sub, depth + 1);
		else if (S_ISREG(st.st_mode) && yaml_name(de->d_name))
			err = flist_add(fl, sub);

		mem_deref(sub);
	}

	closedir(d);

	return err;
}


static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}


int scenario_collect(const char *const *paths, size_t n, char ***filevp,
		     size_t *filecp)
{
	struct flist fl;
	int err = 0;

	if (!filevp || (n && !paths))
		return EINVAL;

	memset(&fl, 0, sizeof(fl));

	for (size_t i = 0; !err && i < n; i++) {
		struct stat st;

		if (!paths[i])
			continue;

		if (!stat(paths[i], &st) && S_ISDIR(st.st_mode)) {
			size_t first = fl.c, l = strlen(paths[i]);
			char *dir = NULL;

			/* "scenarios/" lists as "scenarios/x.yaml" */
			while (l > 1 && paths[i][l - 1] == '/')
				--l;
			err = re_sdprintf(&dir, "%b", paths[i], l);
			if (!err)
				err = walk(&fl, dir, 0);
			mem_deref(dir);
			if (!err)
				qsort(fl.v + first, fl.c - first,
				      sizeof(*fl.v), path_cmp);
		}
		else {
			err = flist_add(&fl, paths[i]);
		}
	}

	if (!err && !fl.v) {
		fl.v = mem_zalloc(sizeof(*fl.v), NULL);
		if (!fl.v)
			err = ENOMEM;
	}

	if (err) {
		for (size_t i = 0; i < fl.c; i++)
			mem_deref(fl.v[i]);
		mem_deref(fl.v);
		return err;
	}

	/* from now on one mem object frees it all */
	{
		char **v = strv_alloc(fl.c);

		if (!v) {
			for (size_t i = 0; i < fl.c; i++)
				mem_deref(fl.v[i]);
			mem_deref(fl.v);
			return ENOMEM;
		}
		memcpy(v, fl.v, fl.c * sizeof(*v));
		mem_deref(fl.v);
		*filevp = v;
	}

	if (filecp)
		*filecp = fl.c;

	return 0;
}
