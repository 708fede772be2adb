/*
 * fuzz_conf.c: libFuzzer target for the whole configuration file parser,
 * conf_load_file(): lines, comments, every key's type, rule lines, repeats.
 * Whatever the input, every error is counted, and a value that was
 * accepted lies within its key's bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct conf c;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *fp;
	int errors;

	if (size == 0 || (fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	conf_default(&c);
	errors = conf_load_file(&c, fp, "fuzz.conf");
	fclose(fp);
	if (errors < 0)
		__builtin_trap();
	if (c.queues < 1 || c.queues > CONF_MAX_QUEUES || c.max_flows < 64 ||
	    c.hold_us > 3600ull * 1000000 || c.evidence_files < 1 ||
	    c.evidence_file_size < 1024 || c.policy.nrules > POLICY_MAX_RULES ||
	    c.policy.suspect_hold_us > 1000000 ||
	    memchr(c.json_file, '\0', sizeof(c.json_file)) == NULL ||
	    memchr(c.user, '\0', sizeof(c.user)) == NULL)
		__builtin_trap();
	return 0;
}
