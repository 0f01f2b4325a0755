/**
 * @file sc_faults.c  Scenario keys of link faults (sc_faults.h)
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ytree.h"
#include "sc_faults.h"
#include "steps/steps.h"

const char *const sc_fault_keys[] = {
	"drop", "duplicate", "delay", "reorder", "direction", NULL
};


/* "30%", "2.5%": per million */
static int get_rate(struct ydoc *doc, const struct ynode *n,
		    const char *what, uint32_t *v)
{
	double f = -1;
	char *e = NULL;

	if (n->type == YNODE_SCALAR && n->val[0])
		f = strtod(n->val, &e);

	if (!e || e == n->val || strcmp(e, "%") || !isfinite(f) || f < 0 ||
	    f > 100)
		return ydoc_errorf(doc, n, "%s must be a percentage from 0%% "
				   "to 100%%, such as 30%%, not '%s'", what,
				   n->type == YNODE_SCALAR ? n->val :
				   "a collection");

	*v = (uint32_t)lround(f * (LINKFAULT_MILLION / 100));

	return 0;
}


int sc_faults_conf(struct ydoc *doc, const struct ynode *map,
		   struct linkfault_conf *conf, unsigned *nkeys)
{
	static const char *const dirs[] = {"both", "send", "receive", NULL};
	const struct ynode *v;
	unsigned n = 0;
	int err = 0;

	memset(conf, 0, sizeof(*conf));

	if ((v = ynode_get(map, "drop"))) {
		++n;
		if (get_rate(doc, v, "drop", &conf->drop))
			err = EINVAL;
	}

	if ((v = ynode_get(map, "duplicate"))) {
		++n;
		if (get_rate(doc, v, "duplicate", &conf->duplicate))
			err = EINVAL;
	}

	if ((v = ynode_get(map, "reorder"))) {
		++n;
		if (get_rate(doc, v, "reorder", &conf->reorder))
			err = EINVAL;
	}

	if ((v = ynode_get(map, "delay"))) {
		++n;
		if (ynode_duration_ms(doc, v, &conf->delay_ms))
			err = EINVAL;
		else if (conf->delay_ms > 24ULL * 3600 * 1000)
			err = ydoc_errorf(doc, v, "delay must be at most 24h, "
					  "not '%s'", v->val);
	}

	if ((v = ynode_get(map, "direction"))) {
		const char *s = NULL;
		int i;

		if (ynode_str(doc, v, &s))
			return EINVAL;

		for (i = 0; dirs[i] && strcmp(dirs[i], s); i++)
			;
		if (!dirs[i])
			err = ydoc_errorf(doc, v, "direction must be one of: "
					  "both, send, receive (not '%s')", s);
		else
			conf->dir = (enum linkfault_dir)i;
	}

	if (nkeys)
		*nkeys = n;

	return err;
}


int sc_count_get(struct ydoc *doc, const struct ynode *n,
		 struct sc_count *c)
{
	const char *s;
	char *e = NULL;
	unsigned long x;

	if (n->type != YNODE_SCALAR)
		goto bad;

	s = n->val;
	c->cmp = SC_CMP_EQ;
	if (!strncmp(s, ">=", 2))
		c->cmp = SC_CMP_GE;
	else if (!strncmp(s, "<=", 2))
		c->cmp = SC_CMP_LE;
	if (c->cmp != SC_CMP_EQ)
		s += 2;
	while (*s == ' ')
		++s;

	if (*s < '0' || *s > '9')
		goto bad;
	x = strtoul(s, &e, 10);
	if (*e || x > UINT32_MAX)
		goto bad;

	c->set = true;
	c->n = (uint32_t)x;

	return 0;

 bad:
	return ydoc_errorf(doc, n, "a count is a number, '>=N' or '<=N', "
			   "not '%s'", n->type == YNODE_SCALAR ? n->val :
			   "a collection");
}


int sc_faults_check(struct ydoc *doc, const struct ynode *map,
		    struct sc_link_check *chk)
{
	/* the keys are the step table's (expect's link:), in this order */
	const struct step_key *sub =
		steps_key(steps_expect_keys, "link")->sub;
	struct sc_count *slots[] = {&chk->packets, &chk->dropped,
				    &chk->duplicated, &chk->delayed,
				    &chk->reordered};
	const char *keys[ARRAY_SIZE(slots) + 1] = {NULL};
	int err = 0;

	memset(chk, 0, sizeof(*chk));

	for (size_t i = 0; i < ARRAY_SIZE(slots) && sub[i].name; i++)
		keys[i] = sub[i].name;

	if (ynode_expect(doc, map, YNODE_MAP, "link"))
		return EINVAL;

	if (ynode_check_keys(doc, map, keys))
		err = EINVAL;

	if (!map->count)
		return ydoc_errorf(doc, map, "link checks nothing: give "
				   "packets, dropped, duplicated, delayed or "
				   "reordered");

	for (size_t i = 0; keys[i]; i++) {
		const struct ynode *v = ynode_get(map, keys[i]);

		if (v && sc_count_get(doc, v, slots[i]))
			err = EINVAL;
	}

	return err;
}


bool sc_count_holds(const struct sc_count *c, unsigned x)
{
	if (!c->set)
		return true;

	switch (c->cmp) {

	case SC_CMP_GE: return x >= c->n;
	case SC_CMP_LE: return x <= c->n;
	default:        return x == c->n;
	}
}


const char *sc_count_str(const struct sc_count *c, char *buf, unsigned sz)
{
	(void)snprintf(buf, sz, "%s%u", c->cmp == SC_CMP_GE ? ">=" :
		       c->cmp == SC_CMP_LE ? "<=" : "", c->n);

	return buf;
}
