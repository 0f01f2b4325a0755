/**
 * @file fuzz_decode.c  libFuzzer target: common/reshim/decodememo.c must
 * answer exactly as libre's own uri_decode() and msg_param_decode().
 *
 * The first byte picks what the rest is: bit 7 clear, a URI; set, a
 * parameter list, with the low bits naming the parameter looked for.  The
 * bytes go to libre (dlsym RTLD_NEXT), then twice through the table: in
 * place (a miss, or a hit of an earlier input) and as a copy elsewhere (a
 * hit when the first call was kept).  Any field, port, address family or
 * error that differs, or one that points outside its input, aborts.
 */

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "reshim/decodememo.h"

typedef int (uri_decode_f)(struct uri *, const struct pl *);
typedef int (param_decode_f)(const struct pl *, const char *, struct pl *);

static const char *const names[] = {
	"tag", "branch", "expires", "rport", "received", "q", "transport",
	"lr",
};


/* libre's own definition of name (looked up once into *cache) */
static void *real_of(void **cache, const char *name)
{
	if (!*cache)
		*cache = dlsym(RTLD_NEXT, name);
	if (!*cache)
		abort();

	return *cache;
}


static void same_pl(const struct pl *a, const char *ba, const struct pl *b,
		    const char *bb)
{
	if (!a->p != !b->p || a->l != b->l ||
	    (a->p && a->p - ba != b->p - bb))
		abort();
}


static void check_uri(const char *b1, const char *b2, size_t n)
{
	static void *real_p;
	uri_decode_f *real = (uri_decode_f *)real_of(&real_p, "uri_decode");
	struct pl p1 = {b1, n}, p2 = {b2, n};
	struct uri r, m1, m2;
	int er, e1, e2;

	memset(&r, 0, sizeof(r));
	er = real(&r, &p1);
	e1 = uri_decode(&m1, &p1);
	e2 = uri_decode(&m2, &p2);
	if (er != e1 || er != e2)
		abort();
	if (er)
		return;

	const struct pl *fr[] = {&r.scheme, &r.user, &r.password, &r.host,
				 &r.path, &r.params, &r.headers};
	const struct pl *f1[] = {&m1.scheme, &m1.user, &m1.password,
				 &m1.host, &m1.path, &m1.params, &m1.headers};
	const struct pl *f2[] = {&m2.scheme, &m2.user, &m2.password,
				 &m2.host, &m2.path, &m2.params, &m2.headers};

	for (size_t i = 0; i < sizeof(fr) / sizeof(fr[0]); i++) {
		same_pl(f1[i], b1, fr[i], b1);
		same_pl(f2[i], b2, fr[i], b1);
	}
	if (m1.port != r.port || m2.port != r.port || m1.af != r.af ||
	    m2.af != r.af)
		abort();
}


static void check_param(const char *b1, const char *b2, size_t n,
			const char *name)
{
	static void *real_p;
	param_decode_f *real = (param_decode_f *)real_of(&real_p,
							 "msg_param_decode");
	struct pl p1 = {b1, n}, p2 = {b2, n};
	struct pl r = PL_INIT, v1 = PL_INIT, v2 = PL_INIT;
	int er, e1, e2;

	er = real(&p1, name, &r);
	e1 = msg_param_decode(&p1, name, &v1);
	e2 = msg_param_decode(&p2, name, &v2);
	if (er != e1 || er != e2)
		abort();
	if (er) {
		if (v1.p || v2.p)        /* libre leaves val alone */
			abort();
		return;
	}
	same_pl(&v1, b1, &r, b1);
	same_pl(&v2, b2, &r, b1);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *b1, *b2;
	uint8_t mode;
	size_t n;

	if (!size)
		return 0;

	mode = data[0];
	n = size - 1;

	/* exact sizes: ASan sees any read past the input */
	b1 = malloc(n ? n : 1);
	b2 = malloc(n + 5);
	if (!b1 || !b2)
		goto out;
	memcpy(b1, data + 1, n);
	memset(b2, '@', 5);
	memcpy(b2 + 5, data + 1, n);

	if (mode & 0x80)
		check_param(b1, b2 + 5, n, names[mode % (sizeof(names) /
							 sizeof(names[0]))]);
	else
		check_uri(b1, b2 + 5, n);

 out:
	free(b1);
	free(b2);

	return 0;
}


/* pulls decodememo.o in: its symbols are what is tested */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct decodememo_stats st;
	(void)argc;
	(void)argv;

	decodememo_stats(&st);

	return 0;
}
