/**
 * @file config/walk.c  The loader's generic part: it walks a map by the
 * schema's rows (unknown keys, wrong types, bounds, required keys, the
 * defaults) and stores each scalar where its row says.  Structured values
 * go to their row's load function (domains.c, credentials.c, ...).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "twiml.h"
#include "config/schema.h"

enum { MAX_KEYS = 32 };


int cfg_set_str(char **dst, const char *s)
{
	*dst = mem_deref(*dst);

	return str_dup(dst, s);
}


/* text that ends up in SIP headers or logs: no control characters */
bool cfg_text_clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}

	return true;
}


int cfg_missing(struct ydoc *doc, const struct ynode *map,
		const char *where, const char *key)
{
	return ydoc_errorf(doc, map, "%s is missing required key '%s'",
			   where, key);
}


/* the rows under parent, in table order: a row's subtree follows it */
static size_t children(const char *parent, const struct cfg_row **outv,
		       size_t max)
{
	size_t n = 0, rowc;
	const struct cfg_row *rows = cfg_rows(&rowc);

	for (size_t i = 0; i < rowc && n < max; i++) {
		if (cfg_row_is_child(&rows[i], parent))
			outv[n++] = &rows[i];
	}

	return n;
}


/* a map with only the keys of the rows under row */
int cfg_expect_map(struct ydoc *doc, const struct cfg_row *row,
		   const struct ynode *n)
{
	const struct cfg_row *kidv[MAX_KEYS];
	const char *keys[MAX_KEYS + 1];
	size_t kidc;
	int err;

	err = ynode_expect(doc, n, YNODE_MAP, row->what);
	if (err)
		return err;

	kidc = children(row->path, kidv, MAX_KEYS);
	for (size_t i = 0; i < kidc; i++)
		keys[i] = cfg_row_key(kidv[i]);
	keys[kidc] = NULL;

	return ynode_check_keys(doc, n, keys);
}


/* an E.164 number: + and 8 to 15 digits */
int cfg_get_e164(struct ydoc *doc, const struct ynode *n, const char *what,
		 const char **sp)
{
	const char *s;
	int err;

	err = ynode_str(doc, n, &s);
	if (err)
		return err;

	if (!twiml_is_e164(s))
		return ydoc_errorf(doc, n, "%s '%s' must be an E.164 number "
				   "(+ and 8 to 15 digits)", what, s);

	*sp = s;

	return 0;
}


/* "a, b or c" */
static void words_join(char *buf, size_t sz, const char *const *w,
		       size_t *count)
{
	size_t n = 0, len = 0;

	while (w[n])
		++n;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < sz; i++)
		len += (size_t)snprintf(buf + len, sz - len, "%s%s",
					i == 0 ? "" : i + 1 == n ? " or " :
					", ", w[i]);

	*count = n;
}


static void store_uint(void *p, size_t size, uint32_t v)
{
	if (size == sizeof(uint16_t)) {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, sizeof(x));
	}
	else if (size == sizeof(uint32_t)) {
		memcpy(p, &v, sizeof(v));
	}
}


static int read_u32(struct ydoc *doc, const struct cfg_row *row,
		    const struct ynode *n, uint32_t *v)
{
	const char *key = cfg_row_key(row);
	char list[128];
	size_t count;
	uint32_t x;
	int err;

	err = ynode_u32(doc, n, &x);
	if (err)
		return err;

	if (row->words) {
		for (size_t i = 0; row->words[i]; i++) {
			if (x == (uint32_t)strtoul(row->words[i], NULL, 10)) {
				*v = x;
				return 0;
			}
		}

		words_join(list, sizeof(list), row->words, &count);
		return ydoc_errorf(doc, n, "%s must be %s%s, not %u", key,
				   count > 2 ? "one of " : "", list, x);
	}

	if (x < row->min || x > row->max) {
		if (row->max == UINT32_MAX)
			return ydoc_errorf(doc, n, "%s must be at least %u, "
					   "not %u", key, row->min, x);
		return ydoc_errorf(doc, n, "%s must be between %u and %u, "
				   "not %u", key, row->min, row->max, x);
	}

	*v = x;

	return 0;
}


static int word_index(const struct cfg_row *row, const char *s, uint32_t *v)
{
	for (uint32_t i = 0; row->words[i]; i++) {
		if (!strcmp(row->words[i], s)) {
			*v = i;
			return 0;
		}
	}

	return ENOENT;
}


int cfg_read_word(struct ydoc *doc, const struct cfg_row *row,
		     const struct ynode *n, uint32_t *v)
{
	const char *what = row->what ? row->what : cfg_row_key(row);
	const char *s;
	char list[128];
	size_t count;
	int err;

	err = ynode_str(doc, n, &s);
	if (err)
		return err;

	if (!(row->flags & CFG_ANY_CHAR) && !cfg_text_clean(s))
		return ydoc_errorf(doc, n, "%s must not hold control "
				   "characters", cfg_row_key(row));

	if (!word_index(row, s, v))
		return 0;

	words_join(list, sizeof(list), row->words, &count);

	return ydoc_errorf(doc, n, "%s must be %s, not '%s'", what, list, s);
}


/* text that ends up in SIP headers or logs: no control characters */
static int clean_text(struct ydoc *doc, const struct ynode *n,
		      const char *key, const char **sp)
{
	const char *s;
	int err;

	err = ynode_str(doc, n, &s);
	if (err)
		return err;

	if (!cfg_text_clean(s))
		return ydoc_errorf(doc, n, "%s must not hold control "
				   "characters", key);

	*sp = s;

	return 0;
}


static int read_text(struct ydoc *doc, const struct cfg_row *row,
		     const struct ynode *n, const char **sp)
{
	if (row->type == CFG_E164)
		return cfg_get_e164(doc, n, row->what ? row->what :
				    cfg_row_key(row), sp);

	return clean_text(doc, n, cfg_row_key(row), sp);
}


/* a text value of map without control characters; absent leaves *sp */
int cfg_get_text(struct ydoc *doc, const struct ynode *map, const char *key,
		 const char *where, bool required, const char **sp)
{
	const struct ynode *n = ynode_get(map, key);

	if (!n)
		return required ? cfg_missing(doc, map, where, key) : 0;

	return clean_text(doc, n, key, sp);
}


/* one value by its row, stored in base at the row's offset */
static int read_value(struct loader *ld, const struct cfg_row *row,
		      const struct ynode *n, void *base)
{
	uint8_t *p = (uint8_t *)base + row->off;
	const char *s = NULL;
	uint32_t v = 0;
	bool b = false;
	int err;

	if (row->load)
		return row->load(ld, row, n, base);

	switch (row->type) {

	case CFG_MAP:
		return cfg_walk(ld, row->path, n, base, NULL);

	case CFG_TEXT:
	case CFG_E164:
		err = read_text(ld->doc, row, n, &s);
		if (!err && row->check)
			err = row->check(ld, n, s, base);
		if (!err && row->size)
			err = cfg_set_str((char **)(void *)p, s);
		return err;

	case CFG_U32:
		err = read_u32(ld->doc, row, n, &v);
		if (!err && row->size)
			store_uint(p, row->size, v);
		return err;

	case CFG_WORD:
		err = cfg_read_word(ld->doc, row, n, &v);
		if (!err && row->size)
			store_uint(p, row->size, v);
		return err;

	case CFG_BOOL:
		err = ynode_bool(ld->doc, n, &b);
		if (!err && row->size)
			*(bool *)(void *)p = b;
		return err;

	default:
		return ynode_expect(ld->doc, n, YNODE_SEQ, row->what);
	}
}


/* a row's default (YAML text) into base */
static int set_default(const struct cfg_row *row, void *base)
{
	uint8_t *p = (uint8_t *)base + row->off;
	uint32_t v = 0;

	if (!row->dflt || !row->size)
		return 0;

	switch (row->type) {

	case CFG_TEXT:
		return cfg_set_str((char **)(void *)p, row->dflt);

	case CFG_U32:
		store_uint(p, row->size, (uint32_t)strtoul(row->dflt, NULL,
							   10));
		return 0;

	case CFG_WORD:
		if (word_index(row, row->dflt, &v))
			return EINVAL;
		store_uint(p, row->size, v);
		return 0;

	case CFG_BOOL:
		*(bool *)(void *)p = !strcmp(row->dflt, "true");
		return 0;

	default:
		return EINVAL;
	}
}


/* an item's rows land in the item's struct, given per item */
static bool in_item(const struct cfg_row *row)
{
	return strpbrk(row->path, "[*") != NULL;
}


/* the defaults of every key outside list items, before loading */
int cfg_apply_defaults(struct reg_config *cfg)
{
	const struct cfg_row *rows;
	size_t rowc;
	int err = 0;

	rows = cfg_rows(&rowc);
	for (size_t i = 0; i < rowc && !err; i++) {
		if (!in_item(&rows[i]))
			err = set_default(&rows[i], cfg);
	}

	return err;
}


/*
 * The map at path: its keys, then each row under it in table order
 * (required ones missing are errors; absent ones keep their defaults),
 * then the row's own check.  where names the map in "missing" errors.
 */
int cfg_walk(struct loader *ld, const char *path, const struct ynode *map,
	     void *base, const char *where)
{
	const struct cfg_row *self = cfg_row_find(path);
	const struct cfg_row *kidv[MAX_KEYS];
	size_t kidc;
	int err;

	if (!self)
		return EINVAL;

	err = cfg_expect_map(ld->doc, self, map);
	if (err)
		return err;

	kidc = children(path, kidv, MAX_KEYS);
	for (size_t i = 0; i < kidc; i++) {
		const struct cfg_row *row = kidv[i];
		const struct ynode *n = ynode_get(map, cfg_row_key(row));

		if (!n && (row->flags & CFG_REQUIRED))
			return cfg_missing(ld->doc, map,
					   where ? where : self->what,
					   cfg_row_key(row));

		if (!n)
			err = in_item(row) ? set_default(row, base) : 0;
		else if (!(row->flags & CFG_LATER))
			err = read_value(ld, row, n, base);
		if (err)
			return err;
	}

	return self->check ? self->check(ld, map, NULL, base) : 0;
}


/*
 * A list (or a map of free keys) of at most max items, and a zeroed array
 * of that many: *arrp stays NULL for none.  toomany: the error, with max.
 */
int cfg_items(struct loader *ld, const struct cfg_row *row,
	      const struct ynode *n, size_t max, const char *toomany,
	      size_t elemsz, void **arrp)
{
	int err;

	err = ynode_expect(ld->doc, n, row->type == CFG_LIST ? YNODE_SEQ :
			   YNODE_MAP, row->what);
	if (err || !n->count)
		return err;

	if (n->count > max)
		return ydoc_errorf(ld->doc, n, toomany, (int)max);

	*arrp = mem_zalloc(n->count * elemsz, NULL);

	return *arrp ? 0 : ENOMEM;
}


/*
 * Each item of list n walked by the rows at path into arr (elemsz each);
 * where_fmt (with the item's number) names it in "missing" errors; each
 * item read counts in *countp, when given.
 */
int cfg_walk_items(struct loader *ld, const char *path, const struct ynode *n,
		   void *arr, size_t elemsz, const char *where_fmt,
		   uint32_t *countp)
{
	char where[48] = "";

	for (size_t i = 0; i < n->count; i++) {
		int err;

		if (where_fmt)
			(void)snprintf(where, sizeof(where), where_fmt, i + 1);
		ld->item = i;

		err = cfg_walk(ld, path, ynode_item(n, i),
			       (uint8_t *)arr + i * elemsz,
			       where_fmt ? where : NULL);
		if (err)
			return err;

		if (countp)
			++*countp;
	}

	return 0;
}


/* the top level: its sections in file order, so the first error is the
 * first in the file */
int cfg_read_root(struct loader *ld, const struct ynode *root)
{
	const struct cfg_row *kidv[MAX_KEYS];
	const char *keys[MAX_KEYS + 1];
	struct ydoc *doc = ld->doc;
	size_t kidc;
	int err;

	if (!root)
		return ydoc_errorf(doc, NULL, "empty document");

	if (root->type != YNODE_MAP)
		return ydoc_errorf(doc, root, "the top level must be a "
				   "mapping with domains, credential_lists, "
				   "..., not %s", root->type == YNODE_SEQ ?
				   "a list" : "a scalar");

	kidc = children("", kidv, MAX_KEYS);
	for (size_t i = 0; i < kidc; i++)
		keys[i] = kidv[i]->path;
	keys[kidc] = NULL;

	err = ynode_check_keys(doc, root, keys);
	if (err)
		return err;

	for (size_t i = 0; i < kidc; i++) {
		if ((kidv[i]->flags & CFG_REQUIRED) &&
		    !ynode_get(root, kidv[i]->path))
			return cfg_missing(doc, root, "the configuration",
					   kidv[i]->path);
	}

	for (size_t i = 0; i < root->count; i++) {
		const struct cfg_row *row;

		row = cfg_row_find(ynode_key(root, i)->val);
		if (!row)
			return EINVAL;

		err = read_value(ld, row, ynode_val(root, i), ld->cfg);
		if (err)
			return err;
	}

	return 0;
}
