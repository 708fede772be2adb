/*
 * test_stats.c: the counters' one table (src/stats.c), rendered as text
 * and as Prometheus: the policy's lines, in the shape SIGUSR1 has always
 * logged, and its families only when they have samples.
 */
#include <stdlib.h>

#include "stats.h"
#include "t.h"

static struct policy pol;
static struct enforce_stats st;

static void fix_policy(uint8_t mode)
{
	char r1[] = "drop origin middlebox cause injected";
	char r2[] = "log confidence < 0.5";
	char err[128];

	policy_default(&pol);
	pol.mode = mode;
	CHECK_EQ(policy_rule_parse(&pol, r1, 3, err, sizeof(err)), 0);
	CHECK_EQ(policy_rule_parse(&pol, r2, 5, err, sizeof(err)), 0);
	memset(&st, 0, sizeof(st));
	st.nrules = pol.nrules;
	st.decided = 9, st.dropped = 4, st.held = 3, st.held_now = 1;
	st.held_end[HOLD_PACKET] = 2, st.held_changed = 2, st.held_full = 5;
	st.ct_restored = 4;
	st.rule[0].matched = 6, st.rule[0].dropped = 4;
	st.rule[1].matched = 1;
	st.none.matched = 2;
}

/* What stats_write_policy() writes, in a buffer the caller frees. */
static char *render(enum stats_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return NULL;
	CHECK_EQ(stats_write_policy(fp, &pol, &st, fmt), 0);
	fclose(fp);
	return buf;
}

static void test_policy_text(void)
{
	char *t;

	fix_policy(POLICY_ENFORCE);
	t = render(STATS_TEXT);
	CHECK_STR(t, "policy enforce: decided 9, dropped 4, would drop 0, "
		  "bound 0, marked 0, logged 0; held 3 (now 1, packet 2, "
		  "timer 0, released 0, shutdown 0, full 0; changed 2), "
		  "no room 5, packets kept behind 0; "
		  "conntrack restored 4, failed 0; "
		  "guarded 0 (errors 0), dropped by the guard 0\n"
		  "policy rule 1 (line 3, drop): matched 6, dropped 4, "
		  "would drop 0, bound 0\n"
		  "policy rule 2 (line 5, log): matched 1, dropped 0, "
		  "would drop 0, bound 0\n"
		  "policy no rule: matched 2\n");
	free(t);
	fix_policy(POLICY_AUDIT);
	t = render(STATS_TEXT);
	CHECK_STR(t, "policy audit: 2 rules, not applied\n");
	free(t);
}

static void test_policy_prometheus(void)
{
	char *t;

	fix_policy(POLICY_DRY_RUN);
	t = render(STATS_PROMETHEUS);
	CHECK(strstr(t, "# TYPE rstaudit_policy_dropped_total counter\n"
		     "rstaudit_policy_dropped_total 4\n") != NULL);
	CHECK(strstr(t, "rstaudit_policy_unmatched_total 2\n") != NULL);
	CHECK(strstr(t, "rstaudit_policy_rule_matched_total{rule=\"1\","
		     "line=\"3\",action=\"drop\"} 6\n") != NULL);
	CHECK(strstr(t, "rstaudit_policy_rule_bound_total{rule=\"2\","
		     "line=\"5\",action=\"log\"} 0\n") != NULL);
	CHECK(strstr(t, "now") == NULL);	/* text-only counters */
	free(t);
	pol.nrules = 0;		/* no rule: no per-rule family at all */
	t = render(STATS_PROMETHEUS);
	CHECK(strstr(t, "rstaudit_policy_decided_total 9\n") != NULL);
	CHECK(strstr(t, "policy_rule_") == NULL);
	free(t);
}

int main(void)
{
	T_RUN(test_policy_text);
	T_RUN(test_policy_prometheus);
	return T_END("test_stats");
}
