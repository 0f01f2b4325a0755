/**
 * @file ytree.c  YAML tree with positions, on libyaml's event parser
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include <re.h>
#include "ytree.h"
#include "textfile.h"

enum { MAX_ERRORS = 200, MAX_DEPTH = 64, MAX_ANCHORS = 256,
       MAX_FILE_SIZE = 64 * 1024 * 1024 };

struct anchor {
	char *name;
	struct ynode *node;
};

struct ydoc {
	char *name;
	struct ynode *root;
	char *errv[MAX_ERRORS];
	unsigned errc;
	struct anchor anchorv[MAX_ANCHORS];
	unsigned anchorc;
};


static void node_destructor(void *data)
{
	struct ynode *n = data;

	for (size_t i = 0; i < n->count * (n->type == YNODE_MAP ? 2 : 1); i++)
		mem_deref(n->kids[i]);

	mem_deref(n->kids);
	mem_deref(n->val);
}


static void doc_destructor(void *data)
{
	struct ydoc *doc = data;

	for (unsigned i = 0; i < doc->errc; i++)
		mem_deref(doc->errv[i]);

	for (unsigned i = 0; i < doc->anchorc; i++)
		mem_deref(doc->anchorv[i].name);

	mem_deref(doc->root);
	mem_deref(doc->name);
}


static struct ynode *node_alloc(enum ynode_type type, const yaml_mark_t *m)
{
	struct ynode *n = mem_zalloc(sizeof(*n), node_destructor);

	if (!n)
		return NULL;

	n->type = type;
	n->line = (unsigned)m->line + 1;
	n->col  = (unsigned)m->column + 1;

	return n;
}


static int node_grow(struct ynode *parent, size_t *slots)
{
	size_t used = parent->count * (parent->type == YNODE_MAP ? 2 : 1);

	if (*slots <= used + 1) {
		size_t n = *slots ? *slots * 2 : 8;
		/* libre 1.1.0's mem_realloc(NULL, n) returns NULL */
		struct ynode **kids = parent->kids ?
			mem_realloc(parent->kids, n * sizeof(*kids)) :
			mem_alloc(n * sizeof(*kids), NULL);
		if (!kids)
			return ENOMEM;

		parent->kids = kids;
		*slots = n;
	}

	return 0;
}


int ydoc_errorf(struct ydoc *doc, const struct ynode *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!doc)
		return EINVAL;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (doc->errc < MAX_ERRORS) {
		doc->errv[doc->errc] = NULL;
		(void)re_sdprintf(&doc->errv[doc->errc], "%s:%u:%u: %s",
				  doc->name, n ? n->line : 1u,
				  n ? n->col : 1u, msg);
		if (doc->errv[doc->errc])
			++doc->errc;
	}

	return EINVAL;
}


static int raw_error(struct ydoc *doc, const yaml_mark_t *m, const char *what,
		     const char *problem)
{
	struct ynode pos = {.line = (unsigned)m->line + 1,
			    .col = (unsigned)m->column + 1};

	return ydoc_errorf(doc, &pos, "%s%s%s", what,
			   problem ? ": " : "", problem ? problem : "");
}


static struct ynode *anchor_find(struct ydoc *doc, const char *name)
{
	for (unsigned i = 0; i < doc->anchorc; i++) {
		if (!strcmp(doc->anchorv[i].name, name))
			return doc->anchorv[i].node;
	}

	return NULL;
}


static void anchor_add(struct ydoc *doc, const yaml_char_t *name,
		       struct ynode *n)
{
	if (!name || doc->anchorc >= MAX_ANCHORS)
		return;

	if (str_dup(&doc->anchorv[doc->anchorc].name, (const char *)name))
		return;

	doc->anchorv[doc->anchorc++].node = n;   /* borrowed: tree owns it */
}


/* a map's keys must be unique scalars */
static int map_key_check(struct ydoc *doc, struct ynode *map,
			 const struct ynode *key)
{
	if (key->type != YNODE_SCALAR)
		return ydoc_errorf(doc, key, "a mapping key must be a "
				   "plain word, not a %s",
				   key->type == YNODE_MAP ? "mapping" :
				   "list");

	for (size_t i = 0; i < map->count; i++) {
		if (!strcmp(map->kids[2*i]->val, key->val))
			return ydoc_errorf(doc, key, "duplicate key '%s' "
					   "(first at line %u)", key->val,
					   map->kids[2*i]->line);
	}

	return 0;
}


struct build {
	struct ynode *stack[MAX_DEPTH];
	size_t slots[MAX_DEPTH];
	struct ynode *pending_key[MAX_DEPTH];
	int depth;
};


/* attach a finished node to the collection on top of the stack */
static int attach(struct ydoc *doc, struct build *b, struct ynode *n)
{
	struct ynode *top;
	int err;

	if (b->depth == 0) {
		if (doc->root) {
			err = ydoc_errorf(doc, n, "only one YAML document "
					  "per file");
			mem_deref(n);
			return err;
		}
		doc->root = n;
		return 0;
	}

	top = b->stack[b->depth - 1];

	err = node_grow(top, &b->slots[b->depth - 1]);
	if (err) {
		mem_deref(n);
		return err;
	}

	if (top->type == YNODE_SEQ) {
		top->kids[top->count++] = n;
		return 0;
	}

	if (!b->pending_key[b->depth - 1]) {
		err = map_key_check(doc, top, n);
		if (err) {
			mem_deref(n);
			return err;
		}
		b->pending_key[b->depth - 1] = n;
		return 0;
	}

	top->kids[2*top->count]     = b->pending_key[b->depth - 1];
	top->kids[2*top->count + 1] = n;
	top->count++;
	b->pending_key[b->depth - 1] = NULL;

	return 0;
}


static int parse(struct ydoc *doc, yaml_parser_t *p)
{
	struct build b;
	yaml_event_t ev;
	bool done = false;
	int err = 0;

	memset(&b, 0, sizeof(b));

	while (!done && !err) {
		struct ynode *n = NULL;

		if (!yaml_parser_parse(p, &ev)) {
			err = raw_error(doc, &p->problem_mark,
					p->context ? p->context :
					"YAML syntax error", p->problem);
			break;
		}

		switch (ev.type) {

		case YAML_STREAM_END_EVENT:
			done = true;
			break;

		case YAML_SCALAR_EVENT:
			n = node_alloc(YNODE_SCALAR, &ev.start_mark);
			if (!n) {
				err = ENOMEM;
				break;
			}
			n->quoted = ev.data.scalar.style !=
				YAML_PLAIN_SCALAR_STYLE;
			err = str_dup(&n->val,
				      (const char *)ev.data.scalar.value);
			if (err) {
				mem_deref(n);
				break;
			}
			anchor_add(doc, ev.data.scalar.anchor, n);
			err = attach(doc, &b, n);
			break;

		case YAML_ALIAS_EVENT:
			n = anchor_find(doc,
					(const char *)ev.data.alias.anchor);
			if (!n) {
				err = raw_error(doc, &ev.start_mark,
						"unknown alias", NULL);
				break;
			}
			/* an alias inside its own anchor would never end */
			for (int i = 0; i < b.depth; i++) {
				if (b.stack[i] == n)
					err = raw_error(doc, &ev.start_mark,
							"alias to a collection "
							"that contains it",
							NULL);
			}
			if (!err)
				err = attach(doc, &b, mem_ref(n));
			break;

		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (b.depth >= MAX_DEPTH) {
				err = raw_error(doc, &ev.start_mark,
						"nested too deeply", NULL);
				break;
			}
			n = node_alloc(ev.type == YAML_MAPPING_START_EVENT ?
				       YNODE_MAP : YNODE_SEQ, &ev.start_mark);
			if (!n) {
				err = ENOMEM;
				break;
			}
			anchor_add(doc, ev.type == YAML_MAPPING_START_EVENT ?
				   ev.data.mapping_start.anchor :
				   ev.data.sequence_start.anchor, n);
			b.stack[b.depth] = n;
			b.slots[b.depth] = 0;
			b.pending_key[b.depth] = NULL;
			b.depth++;
			break;

		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			b.depth--;
			n = b.stack[b.depth];
			err = attach(doc, &b, n);
			break;

		default:
			break;
		}

		yaml_event_delete(&ev);
	}

	/* unwind what an error left open */
	while (b.depth > 0) {
		b.depth--;
		mem_deref(b.pending_key[b.depth]);
		mem_deref(b.stack[b.depth]);
	}

	if (!err && !doc->root)
		err = ydoc_errorf(doc, NULL, "empty document");

	return err;
}


static int load(struct ydoc **docp, const char *name, const char *text,
		size_t len)
{
	yaml_parser_t parser;
	struct ydoc *doc;
	int err;

	doc = mem_zalloc(sizeof(*doc), doc_destructor);
	if (!doc)
		return ENOMEM;

	err = str_dup(&doc->name, name);
	if (err) {
		mem_deref(doc);
		return err;
	}

	if (!yaml_parser_initialize(&parser)) {
		mem_deref(doc);
		return ENOMEM;
	}

	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     len);
	err = parse(doc, &parser);
	yaml_parser_delete(&parser);

	/* the document is returned even on error, to read its errors */
	*docp = doc;

	return err;
}


int ydoc_load_str(struct ydoc **docp, const char *name, const char *text,
		  size_t len)
{
	if (!docp || !name || !text)
		return EINVAL;

	return load(docp, name, text, len);
}


int ydoc_load_file(struct ydoc **docp, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int err;

	if (!docp || !path)
		return EINVAL;

	err = textfile_read(&text, &len, path, MAX_FILE_SIZE);
	if (err) {
		struct ydoc *doc;

		/* a document that only carries the error, for the caller */
		if (!load(&doc, path, "x", 1)) {
			(void)ydoc_errorf(doc, NULL, "cannot read: %s",
					  strerror(err));
			*docp = doc;
		}
		return err;
	}

	err = load(docp, path, text, len);
	mem_deref(text);

	return err;
}


const struct ynode *ydoc_root(const struct ydoc *doc)
{
	return doc ? doc->root : NULL;
}


const char *ydoc_name(const struct ydoc *doc)
{
	return doc ? doc->name : NULL;
}


unsigned ydoc_errorc(const struct ydoc *doc)
{
	return doc ? doc->errc : 0;
}


const char *ydoc_error(const struct ydoc *doc, unsigned i)
{
	return (doc && i < doc->errc) ? doc->errv[i] : NULL;
}


const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YNODE_MAP || !key)
		return NULL;

	for (size_t i = 0; i < map->count; i++) {
		if (!strcmp(map->kids[2*i]->val, key))
			return map->kids[2*i + 1];
	}

	return NULL;
}


const struct ynode *ynode_key(const struct ynode *map, size_t i)
{
	if (!map || map->type != YNODE_MAP || i >= map->count)
		return NULL;

	return map->kids[2*i];
}


const struct ynode *ynode_val(const struct ynode *map, size_t i)
{
	if (!map || map->type != YNODE_MAP || i >= map->count)
		return NULL;

	return map->kids[2*i + 1];
}


const struct ynode *ynode_item(const struct ynode *seq, size_t i)
{
	if (!seq || seq->type != YNODE_SEQ || i >= seq->count)
		return NULL;

	return seq->kids[i];
}


static const char *type_name(enum ynode_type t)
{
	switch (t) {

	case YNODE_MAP: return "a mapping";
	case YNODE_SEQ: return "a list";
	default:        return "a scalar";
	}
}


int ynode_expect(struct ydoc *doc, const struct ynode *n,
		 enum ynode_type type, const char *what)
{
	if (!n)
		return EINVAL;

	if (n->type != type)
		return ydoc_errorf(doc, n, "%s must be %s, not %s", what,
				   type_name(type), type_name(n->type));

	return 0;
}


int ynode_check_keys(struct ydoc *doc, const struct ynode *map,
		     const char *const allowed[])
{
	int err = 0;

	if (!map || map->type != YNODE_MAP)
		return EINVAL;

	for (size_t i = 0; i < map->count; i++) {
		const char *k = map->kids[2*i]->val;
		bool ok = false;
		char list[400] = "";
		size_t len = 0;

		for (size_t j = 0; allowed[j]; j++) {
			if (!strcmp(allowed[j], k))
				ok = true;
			len += (size_t)snprintf(list + len,
					len < sizeof(list) ?
					sizeof(list) - len : 0,
					"%s%s", j ? ", " : "", allowed[j]);
		}

		if (!ok)
			err = ydoc_errorf(doc, map->kids[2*i],
					  "unknown key '%s' (expected one of: "
					  "%s)", k, list);
	}

	return err;
}


int ynode_str(struct ydoc *doc, const struct ynode *n, const char **s)
{
	if (!n || !s)
		return EINVAL;

	if (n->type != YNODE_SCALAR)
		return ydoc_errorf(doc, n, "expected a text value, not %s",
				   type_name(n->type));

	*s = n->val;

	return 0;
}


int ynode_u32(struct ydoc *doc, const struct ynode *n, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (!n || !v)
		return EINVAL;

	if (n->type != YNODE_SCALAR || n->quoted || !n->val[0] ||
	    n->val[0] == '-')
		goto bad;

	errno = 0;
	x = strtoull(n->val, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		goto bad;

	*v = (uint32_t)x;

	return 0;

 bad:
	return ydoc_errorf(doc, n, "expected a whole number, not '%s'",
			   n->type == YNODE_SCALAR ? n->val :
			   type_name(n->type));
}


int ynode_bool(struct ydoc *doc, const struct ynode *n, bool *v)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[]  = {"false", "no", "off", NULL};

	if (!n || !v)
		return EINVAL;

	if (n->type == YNODE_SCALAR && !n->quoted) {
		for (size_t i = 0; yes[i]; i++) {
			if (!strcasecmp(n->val, yes[i])) {
				*v = true;
				return 0;
			}
			if (!strcasecmp(n->val, no[i])) {
				*v = false;
				return 0;
			}
		}
	}

	return ydoc_errorf(doc, n, "expected true or false, not '%s'",
			   n->type == YNODE_SCALAR ? n->val :
			   type_name(n->type));
}


int ytext_duration_ms(const char *s, uint64_t *ms)
{
	unsigned long long x;
	double f;
	char *end;

	if (!s || !ms || !*s || *s == '-')
		return EINVAL;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s)
		return EINVAL;

	f = (double)x;
	if (*end == '.') {
		char *e2;
		f = strtod(s, &e2);
		end = e2;
	}

	if (!*end || !strcmp(end, "s"))
		f *= 1000;
	else if (!strcmp(end, "ms"))
		;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		f *= 60000;
	else if (!strcmp(end, "h"))
		f *= 3600000;
	else
		return EINVAL;

	if (f > 1e15)
		return EINVAL;

	*ms = (uint64_t)(f + 0.5);

	return 0;
}


int ynode_duration_ms(struct ydoc *doc, const struct ynode *n, uint64_t *ms)
{
	if (!n || !ms)
		return EINVAL;

	if (n->type == YNODE_SCALAR && !ytext_duration_ms(n->val, ms))
		return 0;

	return ydoc_errorf(doc, n, "expected a duration such as 601s, 500ms "
			   "or 10m, not '%s'", n->type == YNODE_SCALAR ?
			   n->val : type_name(n->type));
}
