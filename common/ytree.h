/**
 * @file ytree.h  YAML documents as a tree of nodes that remember where they
 * stood (line:col), so every loader can say `file:line:col: what is wrong`.
 *
 * Loaders walk the tree with the typed getters below; each getter that
 * fails records an error on the document and returns EINVAL, so a linter can
 * collect every error of a file while a config loader stops at the first.
 */

#ifndef SIPCONFORM_YTREE_H
#define SIPCONFORM_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ynode_type {
	YNODE_SCALAR,
	YNODE_MAP,
	YNODE_SEQ,
};

struct ynode {
	enum ynode_type type;
	unsigned line;          /* 1-based */
	unsigned col;           /* 1-based */
	char *val;              /* scalar text (NUL-terminated), else NULL   */
	bool quoted;            /* scalar was quoted: never a number or bool */
	size_t count;           /* map: pairs; seq: items                    */
	struct ynode **kids;    /* map: key,value,key,value...; seq: items   */
};

struct ydoc;

int  ydoc_load_file(struct ydoc **docp, const char *path);
int  ydoc_load_str(struct ydoc **docp, const char *name, const char *text,
		   size_t len);
const struct ynode *ydoc_root(const struct ydoc *doc);
const char *ydoc_name(const struct ydoc *doc);

/* errors recorded on the document, each `name:line:col: message` */
int  ydoc_errorf(struct ydoc *doc, const struct ynode *n, const char *fmt,
		 ...);
unsigned ydoc_errorc(const struct ydoc *doc);
const char *ydoc_error(const struct ydoc *doc, unsigned i);

/* walking */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
const struct ynode *ynode_key(const struct ynode *map, size_t i);
const struct ynode *ynode_val(const struct ynode *map, size_t i);
const struct ynode *ynode_item(const struct ynode *seq, size_t i);
int  ynode_check_keys(struct ydoc *doc, const struct ynode *map,
		      const char *const allowed[]);
int  ynode_expect(struct ydoc *doc, const struct ynode *n,
		  enum ynode_type type, const char *what);

/* typed scalars: return 0, or EINVAL with an error recorded on doc */
int  ynode_str(struct ydoc *doc, const struct ynode *n, const char **s);
int  ynode_u32(struct ydoc *doc, const struct ynode *n, uint32_t *v);
int  ynode_bool(struct ydoc *doc, const struct ynode *n, bool *v);
int  ynode_duration_ms(struct ydoc *doc, const struct ynode *n,
		       uint64_t *ms);
int  ytext_duration_ms(const char *s, uint64_t *ms);

#endif
