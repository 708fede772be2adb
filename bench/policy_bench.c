/*
 * policy_bench.c: what deciding a RST costs the policy (policy.c), per
 * RST, with the rules a gateway might have.  Not part of make check.
 *
 *	cc -O2 -D_GNU_SOURCE -Isrc -o /tmp/policy_bench bench/policy_bench.c \
 *	    src/policy.c src/evidence.c src/classify.c && /tmp/policy_bench
 *
 * Prints ns per decision: a RST the first rule drops, one that passes
 * every rule of a 128-rule policy (the worst case: no rule matches), and
 * the suspect test on that one.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clk.h"
#include "policy.h"

#define N 2000000

static void rule(struct policy *p, const char *text)
{
	char buf[256], err[160];

	snprintf(buf, sizeof(buf), "%s", text);
	if (policy_rule_parse(p, buf, 1, err, sizeof(err)) < 0)
		fprintf(stderr, "%s: %s\n", text, err);
}

int main(void)
{
	static struct policy pol;
	struct policy_decision d;
	struct rst_event e;
	volatile int sink = 0;
	double t;
	char r[128];
	int i;

	memset(&e, 0, sizeof(e));
	e.p.family = 4;
	inet_pton(AF_INET, "10.0.3.2", e.p.src);
	inet_pton(AF_INET, "10.0.1.2", e.p.dst);
	e.p.sport = 7009;
	e.p.dport = 41009;
	e.v.origin = ORIGIN_MIDDLEBOX;
	e.v.cause = CAUSE_INJECTED;
	e.v.confidence = 0.94f;
	strcpy(e.live.hook_name, "forward");
	strcpy(e.live.in, "m0");
	strcpy(e.live.out, "c0");

	policy_default(&pol);
	pol.mode = POLICY_ENFORCE;
	pol.suspect_hold_us = 20000;
	rule(&pol, "drop origin middlebox cause injected confidence >=0.8");
	t = clk_mono_s();
	for (i = 0; i < N; i++) {
		policy_decide(&pol, &e, 0, &d);
		sink += d.drop;
	}
	printf("first rule drops it:        %.1f ns\n", (clk_mono_s() - t) / N * 1e9);

	policy_default(&pol);
	pol.mode = POLICY_ENFORCE;
	pol.suspect_hold_us = 20000;
	for (i = 0; i < POLICY_MAX_RULES - 1; i++) {
		snprintf(r, sizeof(r), "accept src 192.168.%d.0/24 dport %d-%d "
			 "iif eth%d*", i, 1000 + i, 2000 + i, i % 8);
		rule(&pol, r);
	}
	rule(&pol, "drop origin middlebox cause injected confidence >=0.99 oif c0");
	t = clk_mono_s();
	for (i = 0; i < N; i++) {
		policy_decide(&pol, &e, 0, &d);
		sink += d.drop;
	}
	printf("128 rules, none matches:    %.1f ns\n", (clk_mono_s() - t) / N * 1e9);
	t = clk_mono_s();
	for (i = 0; i < N; i++)
		sink += policy_suspect(&pol, &e, &d);
	printf("... and the suspect test:   %.1f ns\n", (clk_mono_s() - t) / N * 1e9);
	return sink == -1;
}
