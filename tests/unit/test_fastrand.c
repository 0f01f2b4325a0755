/**
 * @file test_fastrand.c  rand_u16/u32/u64 served from a getrandom()
 * buffer (fastrand.h): libre's own calls reach them, and the numbers look
 * random (no repeats, every bit set about half the time).
 */

#include <check.h>
#include "fixture.h"
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <re.h>
#include "reshim/fastrand.h"


START_TEST(test_libre_uses_it)
{
	ck_assert_int_eq(fastrand_check(), 0);
}
END_TEST


static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}


START_TEST(test_no_repeats_balanced_bits)
{
	enum { N = 20000 };
	static uint64_t v[N];
	unsigned ones[64] = {0};

	/* several refills of the 4 KB pool */
	for (int i = 0; i < N; i++) {
		v[i] = rand_u64();
		for (int b = 0; b < 64; b++)
			ones[b] += (v[i] >> b) & 1;
	}

	qsort(v, N, sizeof(v[0]), cmp_u64);
	for (int i = 1; i < N; i++)
		ck_assert_msg(v[i] != v[i - 1], "repeat at %d", i);

	/* mean N/2, sd ~71: 45 % .. 55 % is > 14 sd */
	for (int b = 0; b < 64; b++)
		ck_assert_msg(ones[b] > N * 45 / 100 && ones[b] < N * 55 / 100,
			      "bit %d set %u of %d", b, ones[b], N);
}
END_TEST


START_TEST(test_narrow_widths)
{
	unsigned hi16 = 0, hi32 = 0;

	for (int i = 0; i < 4096; i++) {
		hi16 += rand_u16() >> 15;
		hi32 += rand_u32() >> 31;
	}

	ck_assert(hi16 > 1700 && hi16 < 2400);
	ck_assert(hi32 > 1700 && hi32 < 2400);
}
END_TEST


START_TEST(test_fork_child_draws_its_own)
{
	int fds[2];
	uint64_t mine, childs = 0;
	pid_t pid;

	(void)rand_u64();              /* the pool is filled here */
	ck_assert_int_eq(pipe(fds), 0);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint64_t v = rand_u64();
		ssize_t n = write(fds[1], &v, sizeof(v));
		_exit(n == sizeof(v) ? 0 : 1);
	}

	mine = rand_u64();
	ck_assert_int_eq(read(fds[0], &childs, sizeof(childs)),
			 (ssize_t)sizeof(childs));
	(void)waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);

	ck_assert_msg(mine != childs, "parent and child drew the same number");
}
END_TEST


FIXTURE_MAIN("fastrand",
	FIXTURE_CASE("rand", NULL, NULL, 0, 0,
		test_libre_uses_it, test_no_repeats_balanced_bits,
		test_narrow_widths, test_fork_child_draws_its_own))
