/**
 * @file lint.c  `harness lint`: every error of every scenario file
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "ytree.h"
#include "scenario.h"
#include "lint.h"
#include "steps/steps.h"


struct lerr {
	const char *msg;
	unsigned line;
	unsigned col;
	unsigned seq;                /* recorded order, for a stable sort */
};


static int lerr_cmp(const void *a, const void *b)
{
	const struct lerr *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}


/* `name:line:col: message`: line and col after the known name */
static void lerr_parse(struct lerr *e, const char *name)
{
	size_t nl = strlen(name);
	char *end;

	e->line = e->col = 0;

	if (strncmp(e->msg, name, nl) || e->msg[nl] != ':')
		return;

	e->line = (unsigned)strtoul(e->msg + nl + 1, &end, 10);
	if (*end == ':')
		e->col = (unsigned)strtoul(end + 1, NULL, 10);
}


static void print_errors(const struct ydoc *doc, const char *file,
			 FILE *out)
{
	unsigned n = ydoc_errorc(doc);
	struct lerr *v;

	v = mem_zalloc(n * sizeof(*v) + 1, NULL);
	if (!v) {
		/* unsorted, but every one */
		for (unsigned i = 0; i < n; i++)
			(void)fprintf(out, "%s\n", ydoc_error(doc, i));
		return;
	}

	for (unsigned i = 0; i < n; i++) {
		v[i].msg = ydoc_error(doc, i);
		v[i].seq = i;
		lerr_parse(&v[i], file);
	}

	qsort(v, n, sizeof(*v), lerr_cmp);

	for (unsigned i = 0; i < n; i++)
		(void)fprintf(out, "%s\n", v[i].msg);

	mem_deref(v);
}


int lint_run(const char *const *paths, size_t n, FILE *out,
	     size_t *checkedp)
{
	char **filev = NULL;
	size_t filec = 0;
	int bad = 0;

	if (checkedp)
		*checkedp = 0;

	if (scenario_collect(paths, n, &filev, &filec)) {
		if (out)
			(void)fprintf(out, "lint: cannot list the files: "
				      "%s\n", strerror(ENOMEM));
		return 1;
	}

	for (size_t i = 0; i < filec; i++) {
		struct scenario *sc = NULL;
		struct ydoc *doc = NULL;
		int err;

		err = scenario_load(&sc, &doc, filev[i]);
		if (err) {
			++bad;
			if (out && ydoc_errorc(doc))
				print_errors(doc, filev[i], out);
			else if (out)
				(void)fprintf(out, "%s: %s\n", filev[i],
					      strerror(err));
		}

		mem_deref(sc);
		mem_deref(doc);
	}

	if (checkedp)
		*checkedp = filec;

	mem_deref(filev);

	return bad;
}


int lint_paths(const char *const *paths, size_t n, FILE *out)
{
	return lint_run(paths, n, out, NULL);
}


int lint_schema(int argc, char *argv[])
{
	if (argc == 1 && !strcmp(argv[0], "--markdown"))
		return steps_print_markdown(stdout) ? 3 : 0;

	if (argc) {
		(void)fprintf(stderr, "usage: harness schema [--markdown]\n");
		return 2;
	}

	return steps_print_schema(stdout) ? 3 : 0;
}
