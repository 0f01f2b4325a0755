/**
 * @file scenario_load.h  The scenario loader's inside, shared by its files
 * (scenario*.c) and the step kinds' parsers (steps/): the loader's
 * state and the value readers every key uses.  Each reports its errors on
 * the document as `file:line:col: message` and returns EINVAL (or ENOMEM,
 * which also sets ld->nomem: only a lack of memory stops the loader).
 * Not for the runner or the reports: they read struct scenario.
 */

#ifndef SIPCONFORM_SCENARIO_LOAD_H
#define SIPCONFORM_SCENARIO_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ytree.h"
#include "scenario.h"

enum {
	MAX_FILE_SIZE  = 16 * 1024 * 1024,
	MAX_NAME       = 64,
	MAX_DIR_DEPTH  = 32,
	DEFAULT_WITHIN = 5000,
	DEFAULT_NO_WITHIN = 1000,
};

/* a phone name or group in the scenario's name index */
struct sym {
	const char *name;            /* borrowed from the phone            */
	uint32_t first;              /* index into phonev                  */
	uint32_t count;              /* phones; 1 unless group             */
	bool group;
	unsigned line;
};

/* the scenario and what only the loader sees */
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

	/* keys of the step being loaded whose value has the wrong shape
	   (reported by the table's check): ld_arg() hides them */
	const struct ynode *badv[8];
	size_t badc;
	unsigned keyerrc;            /* errors the table's check found in
				        the step being loaded              */
};

/* values (scenario_values.c) */
char **ld_strv_alloc(size_t n);
bool ld_nomem(struct loader *ld, int err);
int  ld_pos_errorf(struct ydoc *doc, unsigned line, unsigned col,
		   const char *msg);
const char *ld_type_word(const struct ynode *n);
int  ld_missing(struct loader *ld, const struct ynode *map,
		const char *what, const char *key);
int  ld_expect_map(struct loader *ld, const struct ynode *n,
		   const char *what);
bool ld_is_null(const struct ynode *n);
int  ld_get_text(struct loader *ld, const struct ynode *n,
		 const char *what, const char **sp);
int  ld_dup_text(struct loader *ld, const struct ynode *n,
		 const char *what, char **dst);
int  ld_get_enum(struct loader *ld, const struct ynode *n,
		 const char *what, const char *const names[], int *v);
int  ld_get_u32_range(struct loader *ld, const struct ynode *n,
		      const char *what, uint32_t min, uint32_t max,
		      uint32_t *v);
int  ld_get_duration(struct loader *ld, const struct ynode *n,
		     const char *what, bool zero_ok, uint64_t *ms);
int  ld_get_seconds(struct loader *ld, const struct ynode *n,
		    const char *what, uint32_t min, uint32_t *v);
int  ld_get_bool(struct loader *ld, const struct ynode *n, bool *v);
int  ld_dup_regex(struct loader *ld, const struct ynode *n,
		  const char *what, char **dst);
bool ld_token_ok(const char *s, size_t n);
int  ld_header_lines(struct loader *ld, const struct ynode *n,
		     const char *what, char **dst);
int  ld_check_contacts(struct loader *ld, const struct ynode *n,
		       const char *what);
int  ld_subst_n(char **dst, const char *s, unsigned idx);
int  ld_strv_from_seq(char ***dst, const struct ynode *seq, unsigned idx);
bool ld_seq_has_n(const struct ynode *seq);

/* the name index (scenario_phones.c) */
struct sym *ld_sym_find(const struct scen *s, const char *name);

/* the document (scenario.c, scenario_registrar.c, scenario_phones.c) */
void ld_phone_free(struct sc_phone *p);
int  ld_registrar(struct loader *ld, const struct ynode *n);
int  ld_phones(struct loader *ld, const struct ynode *n);
int  ld_phones_default_domain(struct loader *ld);
int  ld_link_phone_ok(struct loader *ld, const struct ynode *at,
		      const char *name, enum sip_transp tp,
		      uint32_t share);

/* a phone selector into a strv of phone names (scenario_select.c) */
int  ld_selector(struct loader *ld, const struct ynode *n,
		 char ***phonevp, size_t *phonecp);

/* expectations shared by steps (scenario_expect.c) */
int  ld_expect_headers(struct loader *ld, const struct ynode *n,
		       struct sc_expect *e);
int  ld_expect(struct loader *ld, const struct ynode *n,
	       struct sc_step *st, bool inline_);
/* the words of `op:` (enum phone_op) and `state:` (enum sc_state_check,
 * from 1) */
extern const char *const sc_op_names[];
extern const char *const sc_state_names[];

/* steps (steps/steps.c: through the step table) */
int  ld_steps(struct loader *ld, const struct ynode *n, const char *what,
	      struct sc_step **stepvp, size_t *stepcp);
/* a key of the step's mapping, NULL if absent or of the wrong shape
 * (the table's check reported that already) */
const struct ynode *ld_arg(const struct loader *ld, const struct ynode *map,
			   const char *key);
/* the mapping's `phones:` into st's phones; `within:` into its within_ms */
int  ld_arg_phones(struct loader *ld, const struct ynode *map,
		   struct sc_step *st);
int  ld_arg_within(struct loader *ld, const struct ynode *map,
		   struct sc_step *st);

#endif
