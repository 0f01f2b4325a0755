/**
 * @file repeat.c  Flake detection: the same scenario, run again, compared
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "scenario.h"
#include "runner.h"
#include "repeat.h"


/* the next decision (a reply's rule, retransmissions left out) at or after
 * *ip; NULL at the end */
static const char *next_decision(const struct run_result *res, size_t *ip)
{
	for (; *ip < res->msgc; (*ip)++) {
		const struct run_msg *m = &res->msgv[*ip];

		if (!m->from_phone && !m->retrans && m->rule[0])
			return res->msgv[(*ip)++].rule;
	}

	return NULL;
}


/* 0 the same; else describes the first difference into why */
static int compare(char *why, size_t sz, const struct run_result *a,
		   const struct run_result *b)
{
	size_t ia = 0, ib = 0;
	unsigned n = 0;

	if (a->verdict != b->verdict) {
		(void)snprintf(why, sz, "verdict %s, then %s",
			       verdict_name(a->verdict),
			       verdict_name(b->verdict));
		return 1;
	}

	for (;;) {
		const char *da = next_decision(a, &ia);
		const char *db = next_decision(b, &ib);

		n++;
		if (!da && !db)
			return 0;
		if (!da || !db || strcmp(da, db)) {
			(void)snprintf(why, sz, "decision %u: %s, then %s", n,
				       da ? da : "(none)", db ? db : "(none)");
			return 1;
		}
	}
}


int repeat_check(bool *flaky, char *why, size_t whysz,
		 const struct scenario *sc, const struct run_opts *ro,
		 const struct run_result *first, unsigned n)
{
	*flaky = false;

	for (unsigned i = 2; i <= n; i++) {
		struct run_result *res = NULL;
		char diff[256];
		int err;

		err = runner_run(&res, sc, ro);
		if (err || !res) {
			mem_deref(res);
			return err ? err : EIO;
		}

		if (compare(diff, sizeof(diff), first, res)) {
			(void)snprintf(why, whysz, "run %u of %u differs from "
				       "run 1: %s", i, n, diff);
			*flaky = true;
			mem_deref(res);
			return 0;
		}

		mem_deref(res);
	}

	return 0;
}
