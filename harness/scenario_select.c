/**
 * @file scenario_select.c  Phone selectors: a name, a group, NAME-{A..B},
 * all, or a list of these, resolved into phone names
 */

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "ytree.h"
#include "scenario_load.h"



/* ---- selectors ----------------------------------------------------------- */

static void select_idx(struct loader *ld, uint32_t i)
{
	if (ld->markv[i] == ld->gen)
		return;

	ld->markv[i] = ld->gen;
	ld->selv[ld->selc++] = i;
}


static bool broken_name(const struct loader *ld, const char *s)
{
	for (size_t i = 0; i < ld->brokenc; i++) {
		size_t n = strlen(ld->brokenv[i]);

		if (!strncmp(s, ld->brokenv[i], n) &&
		    (s[n] == '\0' || s[n] == '-'))
			return true;
	}

	return false;
}


static int undefined(struct loader *ld, const struct ynode *n,
		     const char *name)
{
	if (ld->phones_broken || broken_name(ld, name))
		return EINVAL;   /* its entry is reported already */

	return ydoc_errorf(ld->doc, n, "undefined phone '%s'", name);
}


/* PREFIX{A..B}SUFFIX */
static int select_range(struct loader *ld, const struct ynode *n,
			const char *s, const char *lb)
{
	unsigned long long a, b;
	const char *rb;
	char *e;
	char name[256];

	rb = strchr(lb, '}');
	if (!rb || lb[1] < '0' || lb[1] > '9')
		goto bad;

	errno = 0;
	a = strtoull(lb + 1, &e, 10);
	if (errno || strncmp(e, "..", 2) || e[2] < '0' || e[2] > '9')
		goto bad;
	b = strtoull(e + 2, &e, 10);
	if (errno || e != rb || strchr(rb + 1, '{') || a > UINT32_MAX ||
	    b > UINT32_MAX)
		goto bad;

	if (a > b)
		return ydoc_errorf(ld->doc, n, "range '%s' runs backwards", s);

	/* a missing name turns up within phonec + 1 numbers */
	for (unsigned long long i = a; i <= b; i++) {
		struct sym *y;

		(void)snprintf(name, sizeof(name), "%.*s%llu%s",
			       (int)(lb - s), s, i, rb + 1);

		y = ld_sym_find(ld->s, name);
		if (!y)
			return undefined(ld, n, name);

		for (uint32_t k = 0; k < y->count; k++)
			select_idx(ld, y->first + k);
	}

	return 0;

 bad:
	return ydoc_errorf(ld->doc, n, "bad phone range '%s' (expected "
			   "NAME-{A..B}, such as desk-{1..10})", s);
}


static int select_one(struct loader *ld, const struct ynode *n)
{
	const char *s, *lb;
	struct sym *y;

	if (n->type != YNODE_SCALAR)
		return ydoc_errorf(ld->doc, n, "a phone selector must be a "
				   "name, a group, NAME-{A..B} or all, not "
				   "%s", ld_type_word(n));

	s = n->val;
	if (!s[0])
		return ydoc_errorf(ld->doc, n, "empty phone selector");

	if (!strcmp(s, "all")) {
		if (!ld->s->pub.phonec)
			return undefined(ld, n, s);
		for (uint32_t i = 0; i < ld->s->pub.phonec; i++)
			select_idx(ld, i);
		return 0;
	}

	if (strlen(s) > 200)
		return ydoc_errorf(ld->doc, n, "phone selector is too long");

	lb = strchr(s, '{');
	if (lb)
		return select_range(ld, n, s, lb);

	y = ld_sym_find(ld->s, s);
	if (!y)
		return undefined(ld, n, s);

	for (uint32_t k = 0; k < y->count; k++)
		select_idx(ld, y->first + k);

	return 0;
}


/* resolve a selector into a strv of phone names (mem_ref'd) */
int ld_selector(struct loader *ld, const struct ynode *n,
			 char ***phonevp, size_t *phonecp)
{
	struct scenario *sc = &ld->s->pub;
	char **v;
	int err = 0;

	if (!ld->markv) {
		/* no phones could be loaded: nothing to resolve against */
		if (ld->phones_broken)
			return EINVAL;
		return ydoc_errorf(ld->doc, n, "no phones are defined");
	}

	ld->selc = 0;
	if (++ld->gen == 0) {
		memset(ld->markv, 0, sc->phonec * sizeof(*ld->markv));
		ld->gen = 1;
	}

	if (n->type == YNODE_SEQ) {
		if (!n->count)
			return ydoc_errorf(ld->doc, n, "the phone list is "
					   "empty");

		for (size_t i = 0; i < n->count; i++) {
			if (select_one(ld, ynode_item(n, i)))
				err = EINVAL;
		}
	}
	else {
		err = select_one(ld, n);
	}

	if (err)
		return err;

	v = ld_strv_alloc(ld->selc);
	if (!v) {
		ld->nomem = true;
		return ENOMEM;
	}

	for (size_t i = 0; i < ld->selc; i++)
		v[i] = mem_ref(sc->phonev[ld->selv[i]].name);

	*phonevp = v;
	*phonecp = ld->selc;

	return 0;
}
