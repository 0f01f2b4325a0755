/**
 * @file shard.c  Splitting the scenario files among parallel jobs
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "shard.h"

enum { SHARD_MAX = 1000 };


int shard_parse(struct shard *sh, const char *s, char *err, size_t errsz)
{
	unsigned long k, n;
	char *end;

	k = strtoul(s, &end, 10);
	if (end == s || *end != '/')
		goto bad;
	s = end + 1;
	n = strtoul(s, &end, 10);
	if (end == s || *end)
		goto bad;
	if (n < 1 || n > SHARD_MAX || k < 1 || k > n)
		goto bad;

	sh->k = (unsigned)k;
	sh->n = (unsigned)n;

	return 0;

 bad:
	(void)snprintf(err, errsz, "--shard wants K/N with 1 <= K <= N <= %d",
		       SHARD_MAX);
	return EINVAL;
}


bool shard_has(const struct shard *sh, size_t i)
{
	/* round robin over the sorted list: shards differ by one file at
	 * most, whatever the folders hold */
	return !sh->n || i % sh->n == sh->k - 1;
}
