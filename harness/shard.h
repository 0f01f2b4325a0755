/**
 * @file shard.h  `harness run --shard K/N`: one of N parallel CI jobs runs
 * every Nth scenario file of the sorted list, starting at the Kth, so the
 * N shards cover every file exactly once and a file stays in its shard
 * while the list does not change; `harness merge` joins their reports.
 */

#ifndef SIPCONFORM_SHARD_H
#define SIPCONFORM_SHARD_H

#include <stdbool.h>
#include <stddef.h>

struct shard {
	unsigned k;     /* 1..n */
	unsigned n;     /* 0: not sharded */
};

/* "K/N" with 1 <= K <= N <= 1000: 0, else EINVAL with a message in err */
int shard_parse(struct shard *sh, const char *s, char *err, size_t errsz);

/* is the file at index i (of the sorted list) in this shard? */
bool shard_has(const struct shard *sh, size_t i);

#endif
