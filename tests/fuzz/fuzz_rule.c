/*
 * fuzz_rule.c: libFuzzer target for policy_rule_parse(), the parser of
 * `rule` lines (text from the configuration file).  Each input is one
 * line; a rule it accepts must read back, through policy_rule_format(),
 * as a line that parses again to the same rule, and must be matchable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy pol, again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[1100], text[600], err[160];
	struct rst_event e;

	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	policy_default(&pol);
	if (policy_rule_parse(&pol, line, 1, err, sizeof(err)) < 0) {
		if (pol.nrules != 0 || err[0] == '\0' || strlen(err) >= sizeof(err))
			__builtin_trap();
		return 0;
	}
	if (pol.nrules != 1)
		__builtin_trap();
	policy_rule_format(&pol.rules[0], text, sizeof(text));
	policy_default(&again);
	if (policy_rule_parse(&again, text, 1, err, sizeof(err)) < 0 ||
	    memcmp(&again.rules[0], &pol.rules[0], sizeof(pol.rules[0])) != 0)
		__builtin_trap();
	memset(&e, 0, sizeof(e));
	e.p.family = 4;
	(void)policy_match(&pol, &e);
	return 0;
}
