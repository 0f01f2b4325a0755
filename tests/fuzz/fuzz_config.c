/**
 * @file fuzz_config.c  libFuzzer target: bytes as a registrar
 * configuration (reg_config_load_str).
 */

#include <re.h>
#include "config.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reg_config *cfg = NULL;
	char errbuf[512];

	if (!reg_config_load_str(&cfg, "fuzz.yaml", (const char *)data, size,
				 errbuf, sizeof(errbuf)))
		mem_deref(cfg);

	return 0;
}
