/**
 * @file datadir.c  The packs' folder of an installed or a built harness
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdbool.h>
#include "datadir.h"

static char dir[PATH_MAX + 64];


static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}


/* dirname of the running executable, from /proc (Linux): "" if unknown */
static void exe_dir(char *buf, size_t sz)
{
	ssize_t n = readlink("/proc/self/exe", buf, sz - 1);
	char *slash;

	buf[n > 0 ? n : 0] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	else
		buf[0] = '\0';
}


/* dir = path without its ".." (paths in reports stay readable) */
static void canonical(const char *path)
{
	char real[PATH_MAX];

	(void)snprintf(dir, sizeof(dir), "%s",
		       realpath(path, real) ? real : path);
}


const char *datadir(void)
{
	const char *env = getenv("SIPCONFORM_DATADIR");
	char exe[PATH_MAX], cand[PATH_MAX + 64];

	if (dir[0])
		return dir;

	if (env && *env) {
		(void)snprintf(dir, sizeof(dir), "%s", env);
		return dir;
	}

	exe_dir(exe, sizeof(exe));
	if (exe[0]) {
		/* installed: PREFIX/bin/harness, packs in PREFIX/share */
		(void)snprintf(cand, sizeof(cand),
			       "%s/../share/sipconform/scenarios", exe);
		if (is_dir(cand)) {
			(void)snprintf(cand, sizeof(cand),
				       "%s/../share/sipconform", exe);
			canonical(cand);
			return dir;
		}
	}

	/* a clone's root, as the README's commands run it */
	if (is_dir("scenarios")) {
		(void)snprintf(dir, sizeof(dir), ".");
		return dir;
	}

	/* built: CLONE/build/harness, run from elsewhere */
	if (exe[0]) {
		(void)snprintf(cand, sizeof(cand), "%s/../scenarios", exe);
		if (is_dir(cand)) {
			(void)snprintf(cand, sizeof(cand), "%s/..", exe);
			canonical(cand);
			return dir;
		}
	}

	(void)snprintf(dir, sizeof(dir), ".");

	return dir;
}


int datadir_path(char *buf, size_t sz, const char *rel)
{
	int n = snprintf(buf, sz, "%s/%s", datadir(), rel);

	return n < 0 || (size_t)n >= sz ? ENAMETOOLONG : 0;
}
