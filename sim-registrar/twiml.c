/**
 * @file twiml.c  TwiML subset: templates, E.164, a small XML reader
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "twiml.h"

enum { MAX_NAME = 32, MAX_VERBS = 64, MAX_NOUNS = 16, E164_MAX = 15,
       E164_MIN = 8, MAX_DEPTH = 3 };

/* the XML reader's position */
struct xr {
	const char *p;
	const char *end;
	const char *start;
	char *errbuf;
	size_t errsz;
};

struct xattr {
	char name[MAX_NAME];
	char *val;               /* decoded, a mem object */
};

struct xelem {
	char name[MAX_NAME];
	unsigned line, col;
	struct xattr attrv[8];
	size_t attrc;
	bool empty;              /* <X/>                   */
};


static void where(const struct xr *x, const char *at, unsigned *line,
		  unsigned *col)
{
	*line = 1;
	*col = 1;

	for (const char *q = x->start; q < at && q < x->end; q++) {
		if (*q == '\n') {
			++*line;
			*col = 1;
		}
		else {
			++*col;
		}
	}
}


static int xerr(struct xr *x, const char *at, const char *fmt, ...)
{
	unsigned line, col;
	char msg[160];
	va_list ap;

	if (!x->errbuf || !x->errsz)
		return EINVAL;

	va_start(ap, fmt);
	(void)re_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	where(x, at, &line, &col);
	(void)re_snprintf(x->errbuf, x->errsz, "%u:%u: %s", line, col, msg);

	return EINVAL;
}


static void skip_ws(struct xr *x)
{
	while (x->p < x->end && isspace((unsigned char)*x->p))
		x->p++;
}


static bool starts(const struct xr *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(x->end - x->p) >= n && !memcmp(x->p, s, n);
}


/* comments, processing instructions and white space */
static int skip_misc(struct xr *x)
{
	for (;;) {
		const char *at;

		skip_ws(x);
		at = x->p;

		if (starts(x, "<!--")) {
			const char *e = NULL;

			for (const char *q = x->p + 4; q + 3 <= x->end; q++) {
				if (!memcmp(q, "-->", 3)) {
					e = q;
					break;
				}
			}
			if (!e)
				return xerr(x, at, "unclosed comment");
			x->p = e + 3;
		}
		else if (starts(x, "<?")) {
			const char *e = NULL;

			for (const char *q = x->p + 2; q + 2 <= x->end; q++) {
				if (!memcmp(q, "?>", 2)) {
					e = q;
					break;
				}
			}
			if (!e)
				return xerr(x, at, "unclosed <?...?>");
			x->p = e + 2;
		}
		else {
			return 0;
		}
	}
}


static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' ||
		c == '.' || c == ':';
}


static int read_name(struct xr *x, char *buf)
{
	size_t n = 0;
	const char *at = x->p;

	while (x->p < x->end && name_char(*x->p)) {
		if (n + 1 >= MAX_NAME)
			return xerr(x, at, "name too long");
		buf[n++] = *x->p++;
	}
	buf[n] = '\0';

	return n ? 0 : xerr(x, at, "a name was expected");
}


/* decode text with entities into mb, up to (not with) the stop char */
static int decode_text(struct xr *x, struct mbuf *mb, char stop)
{
	while (x->p < x->end && *x->p != stop) {
		const char *at = x->p;
		int err;

		if (*x->p != '&') {
			if (stop != '<' && *x->p == '<')
				return xerr(x, at, "'<' inside an attribute");
			err = mbuf_write_u8(mb, (uint8_t)*x->p++);
			if (err)
				return err;
			continue;
		}

		static const struct {
			const char *ent;
			char ch;
		} ents[] = {
			{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'},
			{"&quot;", '"'}, {"&apos;", '\''},
		};
		bool done = false;

		for (size_t i = 0; i < ARRAY_SIZE(ents); i++) {
			if (starts(x, ents[i].ent)) {
				x->p += strlen(ents[i].ent);
				err = mbuf_write_u8(mb, (uint8_t)ents[i].ch);
				if (err)
					return err;
				done = true;
				break;
			}
		}
		if (done)
			continue;

		if (starts(x, "&#")) {
			unsigned long v = 0;
			bool hex = x->p + 2 < x->end && (x->p[2] == 'x' ||
							 x->p[2] == 'X');
			const char *q = x->p + (hex ? 3 : 2);
			size_t nd = 0;

			while (q < x->end && *q != ';' && nd < 8) {
				if (hex && isxdigit((unsigned char)*q))
					v = v * 16 + ch_hex(*q);
				else if (!hex && isdigit((unsigned char)*q))
					v = v * 10 + (unsigned long)(*q - '0');
				else
					break;
				q++;
				nd++;
			}

			if (q < x->end && *q == ';' && nd && v && v < 0x80) {
				x->p = q + 1;
				err = mbuf_write_u8(mb, (uint8_t)v);
				if (err)
					return err;
				continue;
			}

			return xerr(x, at, "character reference not "
				    "supported (ASCII only)");
		}

		return xerr(x, at, "unknown entity (use &lt; &gt; &amp; "
			    "&quot; &apos;)");
	}

	return 0;
}


/* libre 1.1.0: mem_realloc(NULL, n) returns NULL, so grow by hand */
static void *grow(void *v, size_t n, size_t size)
{
	return v ? mem_realloc(v, n * size) : mem_zalloc(n * size, NULL);
}


static int mb_strdup(char **out, struct mbuf *mb)
{
	return re_sdprintf(out, "%b", mb->buf, mb->end);
}


static void elem_reset(struct xelem *el)
{
	for (size_t i = 0; i < el->attrc; i++)
		el->attrv[i].val = mem_deref(el->attrv[i].val);
	memset(el, 0, sizeof(*el));
}


/* at '<' of a start tag: name, attributes, '>' or '/>' */
static int read_start(struct xr *x, struct xelem *el)
{
	const char *at = x->p;
	int err;

	memset(el, 0, sizeof(*el));
	where(x, at, &el->line, &el->col);
	x->p++;

	err = read_name(x, el->name);
	if (err)
		return err;

	for (;;) {
		struct xattr *a;
		struct mbuf *mb;
		char q;

		skip_ws(x);
		if (x->p >= x->end)
			return xerr(x, at, "<%s> is not closed", el->name);

		if (*x->p == '>') {
			x->p++;
			return 0;
		}
		if (starts(x, "/>")) {
			x->p += 2;
			el->empty = true;
			return 0;
		}

		if (el->attrc >= ARRAY_SIZE(el->attrv))
			return xerr(x, x->p, "too many attributes");

		a = &el->attrv[el->attrc];
		err = read_name(x, a->name);
		if (err)
			return err;

		skip_ws(x);
		if (x->p >= x->end || *x->p != '=')
			return xerr(x, x->p, "'=' expected after attribute "
				    "%s", a->name);
		x->p++;
		skip_ws(x);
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return xerr(x, x->p, "attribute %s: a quoted value "
				    "was expected", a->name);
		q = *x->p++;

		mb = mbuf_alloc(32);
		if (!mb)
			return ENOMEM;
		err = decode_text(x, mb, q);
		if (!err && x->p >= x->end)
			err = xerr(x, at, "unclosed attribute value");
		if (!err)
			err = mb_strdup(&a->val, mb);
		mem_deref(mb);
		if (err)
			return err;

		x->p++;
		for (size_t i = 0; i < el->attrc; i++) {
			if (!strcmp(el->attrv[i].name, a->name)) {
				a->val = mem_deref(a->val);
				return xerr(x, x->p, "attribute %s given "
					    "twice", a->name);
			}
		}
		el->attrc++;
	}
}


static const char *attr(const struct xelem *el, const char *name)
{
	for (size_t i = 0; i < el->attrc; i++) {
		if (!strcmp(el->attrv[i].name, name))
			return el->attrv[i].val;
	}

	return NULL;
}


static int read_end(struct xr *x, const char *name)
{
	const char *at = x->p;
	char buf[MAX_NAME];
	int err;

	if (!starts(x, "</"))
		return xerr(x, at, "</%s> expected", name);
	x->p += 2;

	err = read_name(x, buf);
	if (err)
		return err;
	skip_ws(x);

	if (x->p >= x->end || *x->p != '>' || strcmp(buf, name))
		return xerr(x, at, "</%s> expected, not </%s>", name, buf);
	x->p++;

	return 0;
}


static bool blank(const struct mbuf *mb)
{
	for (size_t i = 0; i < mb->end; i++) {
		if (!isspace(mb->buf[i]))
			return false;
	}

	return true;
}


/* text up to the next tag, comments skipped; *tag true at '<' of a tag */
static int read_text(struct xr *x, struct mbuf *mb)
{
	int err;

	for (;;) {
		err = decode_text(x, mb, '<');
		if (err)
			return err;

		if (starts(x, "<!--")) {
			err = skip_misc(x);
			if (err)
				return err;
			continue;
		}

		if (starts(x, "<![CDATA[")) {
			const char *s = x->p + 9, *e = NULL;

			for (const char *q = s; q + 3 <= x->end; q++) {
				if (!memcmp(q, "]]>", 3)) {
					e = q;
					break;
				}
			}
			if (!e)
				return xerr(x, x->p, "unclosed CDATA");
			err = mbuf_write_mem(mb, (const uint8_t *)s,
					     (size_t)(e - s));
			if (err)
				return err;
			x->p = e + 3;
			continue;
		}

		return 0;
	}
}


/* the text of `mb` with white space at both ends removed */
static int trimmed(char **out, const struct mbuf *mb)
{
	size_t a = 0, b = mb->end;

	while (a < b && isspace(mb->buf[a]))
		a++;
	while (b > a && isspace(mb->buf[b - 1]))
		b--;

	return re_sdprintf(out, "%b", mb->buf + a, b - a);
}


/* an element with text content only: <Say>..</Say>, <Number>..</Number> */
static int read_text_elem(struct xr *x, const struct xelem *el, char **out)
{
	struct mbuf *mb;
	int err;

	if (el->empty)
		return str_dup(out, "");

	mb = mbuf_alloc(64);
	if (!mb)
		return ENOMEM;

	err = read_text(x, mb);
	if (!err && !starts(x, "</"))
		err = xerr(x, x->p, "<%s> holds text only", el->name);
	if (!err)
		err = read_end(x, el->name);
	if (!err)
		err = trimmed(out, mb);

	mem_deref(mb);

	return err;
}


/* an element that must be empty: <Hangup/>, <Pause></Pause> */
static int read_empty_elem(struct xr *x, const struct xelem *el)
{
	struct mbuf *mb;
	int err;

	if (el->empty)
		return 0;

	mb = mbuf_alloc(16);
	if (!mb)
		return ENOMEM;

	err = read_text(x, mb);
	if (!err && (!blank(mb) || !starts(x, "</")))
		err = xerr(x, x->p, "<%s> must be empty", el->name);
	if (!err)
		err = read_end(x, el->name);

	mem_deref(mb);

	return err;
}


/* a whole-number attribute in min..max; what: "whole seconds", ... */
static int number_attr(struct xr *x, const struct xelem *el,
		       const char *name, uint32_t min, uint32_t max,
		       const char *what, uint32_t *v)
{
	const char *s = attr(el, name);
	char *end;
	unsigned long n;
	unsigned line = el->line, col = el->col;

	if (!s)
		return 0;

	n = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end || n < min ||
	    n > max) {
		if (x->errbuf && x->errsz)
			(void)re_snprintf(x->errbuf, x->errsz, "%u:%u: <%s> "
					  "%s must be %s, %u to %u, not '%s'",
					  line, col, el->name, name, what,
					  min, max, s);
		return EINVAL;
	}

	*v = (uint32_t)n;

	return 0;
}


static int seconds_attr(struct xr *x, const struct xelem *el,
			const char *name, uint32_t min, uint32_t *v)
{
	return number_attr(x, el, name, min, TWIML_MAX_SECONDS,
			   "whole seconds", v);
}


static int add_noun(struct xr *x, struct twiml_verb *v,
		    enum twiml_noun_kind kind, char *target, const char *at)
{
	struct twiml_noun *nv;

	if (!target[0]) {
		mem_deref(target);
		return xerr(x, at, "<Dial> names an empty %s",
			    kind == TWIML_SIP ? "<Sip>" : "number");
	}

	if (v->nounc >= MAX_NOUNS) {
		mem_deref(target);
		return xerr(x, at, "<Dial> may hold at most %d nouns",
			    MAX_NOUNS);
	}

	nv = grow(v->nounv, v->nounc + 1, sizeof(*nv));
	if (!nv) {
		mem_deref(target);
		return ENOMEM;
	}

	v->nounv = nv;
	nv[v->nounc].kind = kind;
	nv[v->nounc].target = target;
	v->nounc++;

	return 0;
}


static int read_dial(struct xr *x, const struct xelem *el,
		     struct twiml_verb *v)
{
	struct mbuf *text;
	bool nouns = false;
	const char *cid;
	int err;

	err = seconds_attr(x, el, "timeout", 1, &v->seconds);
	if (err)
		return err;

	cid = attr(el, "callerId");
	if (cid) {
		err = str_dup(&v->caller_id, cid);
		if (err)
			return err;
	}

	if (el->empty)
		return xerr(x, x->p, "<Dial> names nobody to call");

	text = mbuf_alloc(64);
	if (!text)
		return ENOMEM;

	for (;;) {
		struct xelem child;
		const char *at;
		char *target = NULL;

		err = read_text(x, text);
		if (err)
			break;

		if (starts(x, "</")) {
			err = read_end(x, "Dial");
			break;
		}

		at = x->p;
		if (x->p >= x->end) {
			err = xerr(x, at, "<Dial> is not closed");
			break;
		}

		err = read_start(x, &child);
		if (!err) {
			if (!strcmp(child.name, "Number") ||
			    !strcmp(child.name, "Sip")) {
				err = read_text_elem(x, &child, &target);
				if (!err)
					err = add_noun(x, v, child.name[0] ==
						       'S' ? TWIML_SIP :
						       TWIML_NUMBER, target,
						       at);
				nouns = true;
			}
			else {
				err = xerr(x, at, "<%s> inside <Dial> is not "
					   "simulated (use a number, <Number> "
					   "or <Sip>)", child.name);
			}
		}
		elem_reset(&child);
		if (err)
			break;
	}

	if (!err && nouns && !blank(text))
		err = xerr(x, x->p, "<Dial> holds either a number or "
			   "<Number>/<Sip> nouns, not both");

	if (!err && !nouns) {
		char *num = NULL;

		err = trimmed(&num, text);
		if (!err)
			err = add_noun(x, v, TWIML_NUMBER, num, x->p);
	}

	mem_deref(text);

	return err;
}


static int read_verb(struct xr *x, struct twiml *doc, bool nested);
static void twiml_destructor(void *data);


/* <Gather>: its attributes, then Say, Play and Pause inside */
static int read_gather(struct xr *x, const struct xelem *el,
		       struct twiml_verb *v)
{
	const char *in = attr(el, "input");
	const char *fk = attr(el, "finishOnKey");
	const char *act = attr(el, "action");
	struct mbuf *text;
	int err;

	if (in && strcmp(in, "dtmf"))
		return xerr(x, x->p, "<Gather> input must be dtmf, not '%s'",
			    in);

	v->seconds = 5;
	v->finish_key = '#';
	err  = seconds_attr(x, el, "timeout", 1, &v->seconds);
	if (!err)
		err = number_attr(x, el, "numDigits", 1, TWIML_MAX_DIGITS,
				  "a whole number", &v->num_digits);
	if (err)
		return err;

	if (fk) {
		if (strlen(fk) > 1 || (fk[0] && !strchr("0123456789*#", fk[0])))
			return xerr(x, x->p, "<Gather> finishOnKey must be "
				    "one of 0-9 * # or empty, not '%s'", fk);
		v->finish_key = fk[0];
	}

	if (act) {
		if (!act[0])
			return xerr(x, x->p, "<Gather> action is empty");
		err = str_dup(&v->action, act);
		if (err)
			return err;
	}

	if (el->empty)
		return 0;

	v->nested = mem_zalloc(sizeof(*v->nested), twiml_destructor);
	text = mbuf_alloc(16);
	if (!v->nested || !text) {
		mem_deref(text);
		return ENOMEM;
	}

	for (;;) {
		err = read_text(x, text);
		if (!err && !blank(text))
			err = xerr(x, x->p, "text directly inside <Gather>");
		if (err)
			break;

		if (x->p >= x->end) {
			err = xerr(x, x->p, "<Gather> is not closed");
			break;
		}

		if (starts(x, "</")) {
			err = read_end(x, "Gather");
			break;
		}

		err = read_verb(x, v->nested, true);
		if (err)
			break;
	}

	mem_deref(text);

	return err;
}


static int read_verb(struct xr *x, struct twiml *doc, bool nested)
{
	struct twiml_verb *v, *vv;
	struct xelem el;
	const char *at = x->p;
	const char *s;
	int err;

	if (doc->verbc >= MAX_VERBS)
		return xerr(x, at, "more than %d verbs", MAX_VERBS);

	err = read_start(x, &el);
	if (err)
		goto out;

	vv = grow(doc->verbv, doc->verbc + 1, sizeof(*vv));
	if (!vv) {
		err = ENOMEM;
		goto out;
	}
	doc->verbv = vv;
	v = &vv[doc->verbc];
	memset(v, 0, sizeof(*v));
	v->line = el.line;
	v->col = el.col;
	doc->verbc++;

	if (nested && strcmp(el.name, "Say") && strcmp(el.name, "Play") &&
	    strcmp(el.name, "Pause")) {
		err = xerr(x, at, "<%s> inside <Gather> is not simulated "
			   "(Say, Play, Pause)", el.name);
	}
	else if (!strcmp(el.name, "Say")) {
		v->kind = TWIML_SAY;
		err = read_text_elem(x, &el, &v->text);
	}
	else if (!strcmp(el.name, "Play")) {
		v->kind = TWIML_PLAY;
		err = read_text_elem(x, &el, &v->text);
		if (!err && !v->text[0])
			err = xerr(x, at, "<Play> names no URL");
	}
	else if (!strcmp(el.name, "Gather")) {
		v->kind = TWIML_GATHER;
		err = read_gather(x, &el, v);
	}
	else if (!strcmp(el.name, "Pause")) {
		v->kind = TWIML_PAUSE;
		v->seconds = 1;
		err = seconds_attr(x, &el, "length", 0, &v->seconds);
		if (!err)
			err = read_empty_elem(x, &el);
	}
	else if (!strcmp(el.name, "Hangup")) {
		v->kind = TWIML_HANGUP;
		err = read_empty_elem(x, &el);
	}
	else if (!strcmp(el.name, "Reject")) {
		v->kind = TWIML_REJECT;
		s = attr(&el, "reason");
		if (s && strcmp(s, "busy") && strcmp(s, "rejected"))
			err = xerr(x, at, "<Reject> reason must be busy or "
				   "rejected, not '%s'", s);
		v->busy = s && !strcmp(s, "busy");
		if (!err)
			err = read_empty_elem(x, &el);
	}
	else if (!strcmp(el.name, "Dial")) {
		v->kind = TWIML_DIAL;
		err = read_dial(x, &el, v);
	}
	else {
		err = xerr(x, at, "<%s> is not simulated (verbs: Say, Play, "
			   "Pause, Gather, Dial, Hangup, Reject)", el.name);
	}

 out:
	elem_reset(&el);

	return err;
}


static void twiml_destructor(void *data)
{
	struct twiml *doc = data;

	for (size_t i = 0; i < doc->verbc; i++) {
		struct twiml_verb *v = &doc->verbv[i];

		mem_deref(v->text);
		mem_deref(v->caller_id);
		mem_deref(v->action);
		mem_deref(v->nested);
		for (size_t j = 0; j < v->nounc; j++)
			mem_deref(v->nounv[j].target);
		mem_deref(v->nounv);
	}

	mem_deref(doc->verbv);
}


int twiml_parse(struct twiml **docp, const char *text, size_t len,
		char *errbuf, size_t errsz)
{
	struct xr x = {text, text + len, text, errbuf, errsz};
	struct twiml *doc;
	struct xelem root;
	const char *at;
	int err;

	if (errbuf && errsz)
		errbuf[0] = '\0';

	if (!docp || !text)
		return EINVAL;

	memset(&root, 0, sizeof(root));

	doc = mem_zalloc(sizeof(*doc), twiml_destructor);
	if (!doc)
		return ENOMEM;

	/* a UTF-8 byte order mark */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		x.p += 3;

	err = skip_misc(&x);
	if (err)
		goto out;

	at = x.p;
	if (x.p >= x.end || *x.p != '<') {
		err = xerr(&x, at, "a TwiML document starts with <Response>");
		goto out;
	}

	err = read_start(&x, &root);
	if (err)
		goto out;

	if (strcmp(root.name, "Response")) {
		err = xerr(&x, at, "the root element must be <Response>, "
			   "not <%s>", root.name);
		goto out;
	}

	while (!root.empty) {
		struct mbuf *mb = mbuf_alloc(16);

		if (!mb) {
			err = ENOMEM;
			goto out;
		}

		err = read_text(&x, mb);
		if (!err && !blank(mb))
			err = xerr(&x, x.p, "text directly inside "
				   "<Response>");
		mem_deref(mb);
		if (err)
			goto out;

		if (x.p >= x.end) {
			err = xerr(&x, at, "<Response> is not closed");
			goto out;
		}

		if (starts(&x, "</")) {
			err = read_end(&x, "Response");
			if (err)
				goto out;
			break;
		}

		err = read_verb(&x, doc, false);
		if (err)
			goto out;
	}

	err = skip_misc(&x);
	if (!err && x.p < x.end)
		err = xerr(&x, x.p, "text after </Response>");

 out:
	elem_reset(&root);

	if (err)
		mem_deref(doc);
	else
		*docp = doc;

	return err;
}


const char *twiml_verb_name(enum twiml_verb_kind kind)
{
	switch (kind) {

	case TWIML_SAY:    return "Say";
	case TWIML_PAUSE:  return "Pause";
	case TWIML_DIAL:   return "Dial";
	case TWIML_HANGUP: return "Hangup";
	case TWIML_REJECT: return "Reject";
	case TWIML_PLAY:   return "Play";
	case TWIML_GATHER: return "Gather";
	default:           return "?";
	}
}


int twiml_e164(char *out, size_t sz, const char *in, size_t len)
{
	char d[32];
	size_t n = 0;
	bool plus = false;

	if (!out || sz < E164_MAX + 2 || !in)
		return EINVAL;

	/* white space at the ends, visual separators anywhere */
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '+' && !n && !plus) {
			plus = true;
			continue;
		}

		if (isspace((unsigned char)c) || c == '-' || c == '.' ||
		    c == '(' || c == ')')
			continue;

		if (!isdigit((unsigned char)c) || n + 1 >= sizeof(d))
			return EDOM;

		d[n++] = c;
	}
	d[n] = '\0';

	if (plus) {
		if (n < E164_MIN || n > E164_MAX)
			return EDOM;
		(void)re_snprintf(out, sz, "+%s", d);
		return 0;
	}

	if (n > 2 && d[0] == '0' && d[1] == '0' && n - 2 >= E164_MIN &&
	    n - 2 <= E164_MAX) {
		(void)re_snprintf(out, sz, "+%s", d + 2);
		return 0;
	}

	if (n == 10 && d[0] != '0' && d[0] != '1') {
		(void)re_snprintf(out, sz, "+1%s", d);
		return 0;
	}

	if (n == 11 && d[0] == '1') {
		(void)re_snprintf(out, sz, "+%s", d);
		return 0;
	}

	return EDOM;
}


bool twiml_is_e164(const char *s)
{
	size_t n;

	if (!s || s[0] != '+')
		return false;

	n = strlen(s + 1);
	if (n < E164_MIN || n > E164_MAX)
		return false;

	for (size_t i = 1; s[i]; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
	}

	return true;
}


static int xml_escape(struct mbuf *mb, const char *s)
{
	int err = 0;

	for (; s && *s && !err; s++) {
		switch (*s) {

		case '<':  err = mbuf_write_str(mb, "&lt;");   break;
		case '>':  err = mbuf_write_str(mb, "&gt;");   break;
		case '&':  err = mbuf_write_str(mb, "&amp;");  break;
		case '"':  err = mbuf_write_str(mb, "&quot;"); break;
		case '\'': err = mbuf_write_str(mb, "&apos;"); break;
		default:   err = mbuf_write_u8(mb, (uint8_t)*s); break;
		}
	}

	return err;
}


/* one {{...}} tag starting at p: its name trimmed, the text after it */
static const char *tag_parse(const char *p, char *name, size_t sz)
{
	const char *e = strstr(p + 2, "}}");
	const char *a, *b;
	size_t n;

	if (!e)
		return NULL;

	a = p + 2;
	b = e;
	while (a < b && isspace((unsigned char)*a))
		a++;
	while (b > a && isspace((unsigned char)b[-1]))
		b--;

	n = (size_t)(b - a);
	if (n >= sz)
		n = sz - 1;
	memcpy(name, a, n);
	name[n] = '\0';

	return e + 2;
}


static const char *var_value(const struct twiml_vars *vars, const char *name)
{
	if (!vars)
		return "";
	if (!strcmp(name, "To"))
		return vars->to ? vars->to : "";
	if (!strcmp(name, "From"))
		return vars->from ? vars->from : "";
	if (!strcmp(name, "Digits"))
		return vars->digits ? vars->digits : "";

	return "";                  /* Mustache: unknown names are empty */
}


static int expand_err(char *errbuf, size_t errsz, int err, const char *fmt,
		      ...)
{
	va_list ap;

	if (errbuf && errsz) {
		va_start(ap, fmt);
		(void)re_vsnprintf(errbuf, errsz, fmt, ap);
		va_end(ap);
	}

	return err;
}


int twiml_expand(char **outp, const char *tmpl,
		 const struct twiml_vars *vars, char *errbuf, size_t errsz)
{
	struct mbuf *mb, *sect = NULL;
	const char *p;
	int err = 0;

	if (errbuf && errsz)
		errbuf[0] = '\0';

	if (!outp || !tmpl)
		return EINVAL;

	mb = mbuf_alloc(strlen(tmpl) + 64);
	if (!mb)
		return ENOMEM;

	for (p = tmpl; *p && !err; ) {
		struct mbuf *dst = sect ? sect : mb;
		char name[64];
		const char *next;

		if (p[0] != '{' || p[1] != '{') {
			err = mbuf_write_u8(dst, (uint8_t)*p++);
			continue;
		}

		next = tag_parse(p, name, sizeof(name));
		if (!next) {
			err = expand_err(errbuf, errsz, EINVAL, "'{{' without "
					 "'}}'");
			break;
		}

		if (name[0] == '#') {
			if (strcmp(name, "#e164")) {
				err = expand_err(errbuf, errsz, EINVAL,
						 "unknown section {{%s}} (only "
						 "{{#e164}})", name);
			}
			else if (sect) {
				err = expand_err(errbuf, errsz, EINVAL,
						 "{{#e164}} inside {{#e164}}");
			}
			else {
				sect = mbuf_alloc(32);
				if (!sect)
					err = ENOMEM;
			}
		}
		else if (name[0] == '/') {
			char num[E164_MAX + 2];

			if (strcmp(name, "/e164") || !sect) {
				err = expand_err(errbuf, errsz, EINVAL,
						 "{{%s}} closes no section",
						 name);
				break;
			}

			err = twiml_e164(num, sizeof(num),
					 (const char *)sect->buf, sect->end);
			if (err == EDOM)
				err = expand_err(errbuf, errsz, EDOM, "'%b' is "
						 "not a phone number (E.164: + "
						 "and 8 to 15 digits)",
						 sect->buf, sect->end);
			if (!err)
				err = mbuf_write_str(mb, num);
			sect = mem_deref(sect);
		}
		else if (name[0] == '!') {
			/* a Mustache comment */
		}
		else {
			err = xml_escape(dst, var_value(vars, name));
		}

		p = next;
	}

	if (!err && sect)
		err = expand_err(errbuf, errsz, EINVAL, "{{#e164}} is not "
				 "closed by {{/e164}}");

	if (!err)
		err = mb_strdup(outp, mb);

	mem_deref(sect);
	mem_deref(mb);

	return err;
}
