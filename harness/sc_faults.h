/**
 * @file sc_faults.h  The scenario keys of link faults: a phone's `link:`,
 * the `link:` step, and the `link:` counts an expect checks (the language
 * is in scenarios/README.md).  Errors go on the document as
 * `file:line:col: message`, like every other key of the loader.
 */

#ifndef SIPCONFORM_SC_FAULTS_H
#define SIPCONFORM_SC_FAULTS_H

#include <stdbool.h>
#include <stdint.h>
#include "linkfault.h"

struct ydoc;
struct ynode;

enum sc_cmp {
	SC_CMP_EQ = 0,                /* 3                                 */
	SC_CMP_GE,                    /* ">=3"                             */
	SC_CMP_LE,                    /* "<=3"                             */
};

struct sc_count {
	bool set;
	enum sc_cmp cmp;
	uint32_t n;
};

/* expect: {link: {...}}: what the faults did to a phone's datagrams */
struct sc_link_check {
	struct sc_count packets;
	struct sc_count dropped;
	struct sc_count duplicated;
	struct sc_count delayed;
	struct sc_count reordered;
};

/*
 * The fault keys of a mapping (drop, duplicate, reorder: "N%"; delay: a
 * duration; direction: both, send, receive); other keys are the
 * caller's.  *nkeys: how many fault keys it held.
 */
int  sc_faults_conf(struct ydoc *doc, const struct ynode *map,
		    struct linkfault_conf *conf, unsigned *nkeys);

/* the keys a fault mapping may hold (NULL-terminated), for the callers'
 * key lists */
extern const char *const sc_fault_keys[];

/* an expect's `link:` mapping */
int  sc_faults_check(struct ydoc *doc, const struct ynode *map,
		     struct sc_link_check *chk);

/* a count's value: "3", ">=3", "<=3" (also used by media checks) */
int  sc_count_get(struct ydoc *doc, const struct ynode *n,
		  struct sc_count *c);
/* does count x satisfy c?  (an unset one always does) */
bool sc_count_holds(const struct sc_count *c, unsigned x);
/* "3", ">=3", "<=3" */
const char *sc_count_str(const struct sc_count *c, char *buf, unsigned sz);

#endif
