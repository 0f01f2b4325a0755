/**
 * @file config/schema.h  The configuration schema as data, and the walker
 * that loads YAML by it.  Internal to config.c and config/: the rest of the
 * registrar sees only config.h.
 *
 * One row per key (schema.c): its path, type, bounds, default, doc, and
 * where its value lands (an offset into the row's base struct, or a
 * function for structured values).  The loader (walk.c), --print-config
 * (print.c) and --config-schema / the README's key table all read the rows.
 *
 * Paths: "limits.max_expires" lands in struct reg_config; "domains[]" is an
 * item of a list, "profile.replies.*" a value of a map with free keys; the
 * rows under an item land in the item's struct (struct domain_conf, ...).
 */

#ifndef SIPCONFORM_CONFIG_SCHEMA_H
#define SIPCONFORM_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ytree.h"
#include "config.h"

struct re_printf;

enum cfg_type {
	CFG_MAP,       /* a section or an item: the rows under it are keys   */
	CFG_LIST,      /* a list: the rows under "path[]" describe an item   */
	CFG_TEXT,      /* char *: text without control characters            */
	CFG_U32,       /* a whole number in min..max, or one of words        */
	CFG_BOOL,
	CFG_WORD,      /* one of words, stored as its index (an enum)        */
	CFG_E164,      /* + and 8 to 15 digits                                */
};

enum {
	CFG_REQUIRED = 1 << 0,
	CFG_LATER    = 1 << 1,  /* read once every section is (a name of
				   an application or a credential list)     */
	CFG_ZERO_SET = 1 << 2,  /* CFG_U32: 0 stands for "not given"         */
	CFG_ANY_CHAR = 1 << 3,  /* CFG_WORD: not checked for control
				   characters first (pstn's never were)     */
};

/* the registrar's own limits on sizes */
enum {
	CFG_MAX_DOMAINS     = 100,
	CFG_MAX_USERNAME    = 32,
	CFG_MIN_PASSWORD    = 12,
	CFG_MAX_RANGE       = 100000,
	CFG_MAX_CREDENTIALS = 200000,
	CFG_MAX_NUMBERS     = 1000,
	CFG_MAX_APPS        = 1000,
	CFG_MAX_TWIML       = 65536,
	CFG_MAX_SECONDS     = 600,
};

/* the username index of one credential list */
struct list_index {
	struct hash *hash;
	struct le *lev;               /* one element per credential        */
};

/*
 * The public struct comes first: callers hold and mem_deref its address.
 * Lookups need the index, so a reg_config must come from this loader.
 */
struct config {
	struct reg_config pub;
	struct list_index *idxv;      /* one per credential list           */
};

struct loader {
	struct ydoc *doc;
	struct config *c;
	struct reg_config *cfg;
	const struct ynode *domains;  /* resolved once lists are read      */
	const struct ynode *numbers;  /* resolved once applications are    */
	uint32_t credc;               /* credentials so far, all lists     */
	size_t item;                  /* index of the list item being read */
};

struct cfg_row;

/* a structured value: reads node n (the value of key under map) */
typedef int (cfg_load_h)(struct loader *ld, const struct cfg_row *row,
			 const struct ynode *n, void *base);

/* more rules: a text value once stored (n, s), or a map once read (n) */
typedef int (cfg_check_h)(struct loader *ld, const struct ynode *n,
			  const char *s, void *base);

/* a structured value as YAML; indent is that of its key */
typedef int (cfg_print_h)(struct re_printf *pf, const struct cfg_row *row,
			  const struct reg_config *cfg, const void *base,
			  unsigned indent, bool docs);

struct cfg_row {
	const char *path;
	enum cfg_type type;
	unsigned flags;
	uint32_t min, max;            /* CFG_U32 bounds                     */
	const char *const *words;     /* CFG_U32/CFG_WORD: allowed values   */
	const char *dflt;             /* as YAML; NULL: none                */
	const char *doc;
	const char *what;             /* the noun in errors: "a domain"     */
	size_t off;                   /* where the value lands in the base, */
	size_t size;                  /* 0: not stored by the walker; a
					 CFG_LIST: its array and item size, */
	size_t count_off;             /* and where its count (uint32_t) is  */
	cfg_load_h *load;
	cfg_check_h *check;
	cfg_print_h *print;
};

/* schema.c: the table */
const struct cfg_row *cfg_rows(size_t *n);
const struct cfg_row *cfg_row_find(const char *path);
const char *cfg_row_key(const struct cfg_row *row);
bool cfg_row_is_child(const struct cfg_row *row, const char *parent);

/* walk.c: the generic part of loading */
int  cfg_walk(struct loader *ld, const char *path, const struct ynode *map,
	      void *base, const char *where);
int  cfg_items(struct loader *ld, const struct cfg_row *row,
	       const struct ynode *n, size_t max, const char *toomany,
	       size_t elemsz, void **arrp);
int  cfg_walk_items(struct loader *ld, const char *path,
		    const struct ynode *n, void *arr, size_t elemsz,
		    const char *where_fmt, uint32_t *countp);
int  cfg_read_root(struct loader *ld, const struct ynode *root);
int  cfg_apply_defaults(struct reg_config *cfg);
int  cfg_missing(struct ydoc *doc, const struct ynode *map,
		 const char *where, const char *key);
int  cfg_expect_map(struct ydoc *doc, const struct cfg_row *row,
		    const struct ynode *n);
int  cfg_get_e164(struct ydoc *doc, const struct ynode *n, const char *what,
		  const char **sp);
int  cfg_read_word(struct ydoc *doc, const struct cfg_row *row,
		   const struct ynode *n, uint32_t *v);
bool cfg_text_clean(const char *s);
int  cfg_get_text(struct ydoc *doc, const struct ynode *map, const char *key,
		  const char *where, bool required, const char **sp);
int  cfg_set_str(char **dst, const char *s);

/* domains.c */
cfg_load_h  cfg_load_domains;
cfg_check_h cfg_check_domain_name;
cfg_check_h cfg_check_domain_region;
cfg_print_h cfg_print_domain_lists;
cfg_print_h cfg_print_domain_region;
cfg_print_h cfg_print_app_name;
int cfg_resolve_domains(struct loader *ld);
int cfg_resolve_app(struct loader *ld, const struct ynode *map,
		    const struct application_conf **appp);

/* credentials.c */
cfg_load_h  cfg_load_lists;
cfg_check_h cfg_check_list_name;
cfg_load_h  cfg_load_credentials;
cfg_print_h cfg_print_lists;
int cfg_compute_ha1s(struct reg_config *cfg);
const struct credential *cfg_index_find(const struct list_index *ix,
					const char *user, size_t len);
void cfg_lists_free(struct config *c);

/* profile.c */
cfg_check_h cfg_check_limits;
cfg_check_h cfg_check_realm;
cfg_load_h  cfg_load_replies;
cfg_print_h cfg_print_replies;

/* numbers.c: what calls use */
cfg_load_h  cfg_load_numbers;
cfg_check_h cfg_check_number;
cfg_load_h  cfg_load_verified;
cfg_load_h  cfg_load_apps;
cfg_load_h  cfg_load_pstn_numbers;
cfg_print_h cfg_print_verified;
cfg_print_h cfg_print_apps;
cfg_print_h cfg_print_pstn_numbers;
int cfg_resolve_numbers(struct loader *ld);

/* print.c: one value or a block of rows, for the print handlers */
int cfg_print_rows(struct re_printf *pf, const char *parent,
		   const struct reg_config *cfg, const void *base,
		   unsigned indent, bool docs);
int cfg_print_text(struct re_printf *pf, const char *s);

/* "%b" with CFG_INDENT(n): n spaces (libre has no "%*s") */
extern const char cfg_spaces[];
#define CFG_INDENT(n) cfg_spaces, (size_t)(n)
int cfg_print_doc(struct re_printf *pf, const struct cfg_row *row,
		  unsigned indent);
int cfg_print_doc_named(struct re_printf *pf, const struct cfg_row *row,
			unsigned indent);

#endif
