/**
 * @file scenario_values.c  The value readers of the scenario loader
 * (scenario_load.h): text, numbers, durations, enums, regexes, header
 * lines, contacts, `{n}` patterns
 */

#include <math.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"

/* ---- small helpers ------------------------------------------------------- */

static void strv_destructor(void *data)
{
	char **v = data;

	for (; *v; v++)
		mem_deref(*v);
}


/* n+1 zeroed slots, NULL-terminated; the destructor frees the strings */
char **ld_strv_alloc(size_t n)
{
	return mem_zalloc((n + 1) * sizeof(char *), strv_destructor);
}


bool ld_nomem(struct loader *ld, int err)
{
	if (err == ENOMEM)
		ld->nomem = true;

	return ld->nomem;
}


int ld_pos_errorf(struct ydoc *doc, unsigned line, unsigned col,
		      const char *msg)
{
	struct ynode pos;

	memset(&pos, 0, sizeof(pos));
	pos.line = line;
	pos.col  = col;

	return ydoc_errorf(doc, &pos, "%s", msg);
}


const char *ld_type_word(const struct ynode *n)
{
	switch (n->type) {

	case YNODE_MAP: return "a mapping";
	case YNODE_SEQ: return "a list";
	default:        return "a scalar";
	}
}


int ld_missing(struct loader *ld, const struct ynode *map,
		   const char *what, const char *key)
{
	return ydoc_errorf(ld->doc, map, "%s is missing required key '%s'",
			   what, key);
}


int ld_expect_map(struct loader *ld, const struct ynode *n,
		      const char *what)
{
	return ynode_expect(ld->doc, n, YNODE_MAP, what);
}


bool ld_is_null(const struct ynode *n)
{
	if (n->type != YNODE_SCALAR || n->quoted)
		return false;

	return !n->val[0] || !strcmp(n->val, "~") ||
		!strcasecmp(n->val, "null");
}


/* control characters (CR, LF, NUL...) would break a SIP message */
static bool ld_text_clean(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}

	return true;
}


int ld_get_text(struct loader *ld, const struct ynode *n,
		    const char *what, const char **sp)
{
	const char *s;
	int err;

	err = ynode_str(ld->doc, n, &s);
	if (err)
		return err;

	if (!s[0])
		return ydoc_errorf(ld->doc, n, "%s must not be empty", what);

	if (!ld_text_clean(s))
		return ydoc_errorf(ld->doc, n, "%s must not hold control "
				   "characters (line breaks...)", what);

	*sp = s;

	return 0;
}


int ld_dup_text(struct loader *ld, const struct ynode *n,
		    const char *what, char **dst)
{
	const char *s;
	int err;

	err = ld_get_text(ld, n, what, &s);
	if (err)
		return err;

	err = str_dup(dst, s);
	ld_nomem(ld, err);

	return err;
}


int ld_get_enum(struct loader *ld, const struct ynode *n,
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


int ld_get_u32_range(struct loader *ld, const struct ynode *n,
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


int ld_get_duration(struct loader *ld, const struct ynode *n,
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
int ld_get_seconds(struct loader *ld, const struct ynode *n,
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


int ld_get_bool(struct loader *ld, const struct ynode *n, bool *v)
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


static int ld_regex_check(struct loader *ld, const struct ynode *n,
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


int ld_dup_regex(struct loader *ld, const struct ynode *n,
		     const char *what, char **dst)
{
	const char *s;
	int err;

	err = ynode_str(ld->doc, n, &s);
	if (err)
		return err;

	err = ld_regex_check(ld, n, what);
	if (err)
		return err;

	err = str_dup(dst, s);
	ld_nomem(ld, err);

	return err;
}


static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') ||
		(c && strchr("!#$%&'*+-.^_`|~", c));
}


bool ld_token_ok(const char *s, size_t n)
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
static int ld_header_line_check(struct loader *ld, const struct ynode *n)
{
	const char *s, *colon;
	size_t nl;
	int err;

	err = ld_get_text(ld, n, "a header line", &s);
	if (err)
		return err;

	colon = strchr(s, ':');
	nl = colon ? (size_t)(colon - s) : 0;
	while (nl && (s[nl - 1] == ' ' || s[nl - 1] == '\t'))
		--nl;

	if (!colon || !ld_token_ok(s, nl))
		return ydoc_errorf(ld->doc, n, "a header line must read "
				   "'Name: value', not '%s'", s);

	return 0;
}


/* a list of header lines, joined with CRLF */
int ld_header_lines(struct loader *ld, const struct ynode *n,
			     const char *what, char **dst)
{
	size_t len = 0, off = 0;
	char *buf;
	int err = 0;

	if (ynode_expect(ld->doc, n, YNODE_SEQ, what))
		return EINVAL;

	for (size_t i = 0; i < n->count; i++) {
		const struct ynode *it = ynode_item(n, i);

		if (ld_header_line_check(ld, it))
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
int ld_check_contacts(struct loader *ld, const struct ynode *n,
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

		if (ld_get_text(ld, ynode_item(n, i), "a Contact value", &s))
			err = EINVAL;
	}

	return err;
}


/* copy of s with every "{n}" replaced by idx */
int ld_subst_n(char **dst, const char *s, unsigned idx)
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
int ld_strv_from_seq(char ***dst, const struct ynode *seq, unsigned idx)
{
	char **v = ld_strv_alloc(seq->count);
	int err;

	if (!v)
		return ENOMEM;

	for (size_t i = 0; i < seq->count; i++) {
		err = ld_subst_n(&v[i], ynode_item(seq, i)->val, idx);
		if (err) {
			mem_deref(v);
			return err;
		}
	}

	*dst = v;

	return 0;
}


bool ld_seq_has_n(const struct ynode *seq)
{
	for (size_t i = 0; i < seq->count; i++) {
		if (strstr(ynode_item(seq, i)->val, "{n}"))
			return true;
	}

	return false;
}


/* ---- the name index ------------------------------------------------------ */
