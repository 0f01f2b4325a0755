/**
 * @file fuzz_scenario.c  libFuzzer target: bytes as a scenario file
 * (harness/scenario.c: scenario_load, as `harness lint` calls it).
 *
 * The file lives in a private temporary folder laid out like scenarios/:
 * FOLDER/registration/scenario.yaml, with the registrar configurations of
 * $FUZZ_SCENARIO_CONFIGS (run.sh: scenarios/configs) copied to
 * FOLDER/configs/, so `registrar: config: ../configs/x.yaml` of the seed
 * scenarios loads as it does in the suite.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <re.h>
#include "ytree.h"
#include "scenario.h"

enum { MAX_COPIES = 64 };

static char dir[256], sub[300], cfgdir[300], path[320];
static char *copies[MAX_COPIES];
static size_t copyc;


static void cleanup(void)
{
	(void)unlink(path);
	for (size_t i = 0; i < copyc; i++) {
		(void)unlink(copies[i]);
		free(copies[i]);
	}
	(void)rmdir(cfgdir);
	(void)rmdir(sub);
	(void)rmdir(dir);
}


static void copy_configs(const char *from)
{
	struct dirent *de;
	DIR *d = opendir(from);

	if (!d)
		return;

	while ((de = readdir(d)) && copyc < MAX_COPIES) {
		char src[1024], dst[1024], buf[65536];
		size_t l = strlen(de->d_name), n;
		FILE *in, *out;

		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml"))
			continue;

		snprintf(src, sizeof(src), "%s/%s", from, de->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", cfgdir, de->d_name);
		in = fopen(src, "rb");
		if (!in)
			continue;
		out = fopen(dst, "wb");
		if (!out) {
			fclose(in);
			continue;
		}
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			(void)fwrite(buf, 1, n, out);
		fclose(in);
		fclose(out);
		copies[copyc++] = strdup(dst);
	}

	closedir(d);
}


int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	const char *configs = getenv("FUZZ_SCENARIO_CONFIGS");
	(void)argc;
	(void)argv;

	snprintf(dir, sizeof(dir), "%s/fuzz-scenario.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(sub, sizeof(sub), "%s/registration", dir);
	snprintf(cfgdir, sizeof(cfgdir), "%s/configs", dir);
	snprintf(path, sizeof(path), "%s/scenario.yaml", sub);
	if (mkdir(sub, 0700) || mkdir(cfgdir, 0700))
		abort();
	atexit(cleanup);

	if (configs && *configs)
		copy_configs(configs);

	return 0;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *sc = NULL;
	struct ydoc *doc = NULL;
	FILE *f = fopen(path, "wb");

	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);

	if (!scenario_load(&sc, &doc, path))
		mem_deref(sc);
	mem_deref(doc);

	return 0;
}
