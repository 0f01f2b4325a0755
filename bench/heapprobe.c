/*
 * heapprobe.so: a measuring aid for bench/run.sh, preloaded into the
 * sim-registrar it measures (LD_PRELOAD).  On SIGUSR2 it writes glibc's
 * view of the heap to $HEAPPROBE_OUT, then calls malloc_trim(0) so that
 * the free pages in the middle of the heap go back to the kernel and RSS
 * shows what is in use:
 *
 *   in_use=BYTES mapped=BYTES        (mallinfo2: uordblks + hblkhd, and
 *                                     arena + hblkhd, before the trim)
 *
 * Only send the signal while the registrar is idle (no load): the handler
 * calls malloc functions, which are not async-signal-safe.  bench/run.sh
 * sends it before the load and again after the server transactions have
 * ended.  Nothing else is changed: no thread, no interposed symbol.
 *
 *   cc -shared -fPIC -O2 -o heapprobe.so bench/heapprobe.c
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *out_path;


static void on_usr2(int sig)
{
	struct mallinfo2 mi = mallinfo2();
	char line[128];
	int fd, n;

	(void)sig;

	n = snprintf(line, sizeof(line), "in_use=%zu mapped=%zu\n",
		     mi.uordblks + mi.hblkhd, mi.arena + mi.hblkhd);
	(void)malloc_trim(0);

	fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		return;
	if (n > 0)
		(void)!write(fd, line, (size_t)n);
	close(fd);
}


__attribute__((constructor))
static void heapprobe_init(void)
{
	struct sigaction sa;

	out_path = getenv("HEAPPROBE_OUT");
	if (!out_path || !*out_path)
		return;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGUSR2, &sa, NULL);
}
