/*
 * test_policy.c: rule parsing (every term and every error), matching,
 * decisions (modes, the per-flow bound, marks) and the suspect test,
 * on events built by value.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fixtures.h"
#include "output.h"
#include "policy.h"
#include "t.h"

static struct policy pol;
static char err[160];

/* Parse one rule line into pol; 0 or -1 (message in err). */
static int parse(const char *line)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", line);
	return policy_rule_parse(&pol, buf, 7, err, sizeof(err));
}

/* Does parsing line fail with a message containing want? */
static int rejects(const char *line, const char *want)
{
	uint16_t n = pol.nrules;

	if (parse(line) == 0) {
		fprintf(stderr, "accepted: %s\n", line);
		return 0;
	}
	if (pol.nrules != n || strstr(err, want) == NULL) {
		fprintf(stderr, "'%s': got '%s', want '%s'\n", line, err, want);
		return 0;
	}
	return 1;
}

/* A forged-looking RST from the server, queued at the forward hook. */
static struct rst_event ev(const char *src, uint16_t sport, const char *dst,
			   uint16_t dport, uint8_t origin, uint8_t cause,
			   float conf)
{
	struct rst_event e;

	memset(&e, 0, sizeof(e));
	e.p = fx_pkt(src, sport, dst, dport, TH_RST | TH_ACK, 1, 2, 63, 0, 0);
	e.v.origin = origin;
	e.v.cause = cause;
	e.v.confidence = conf;
	e.live.valid = 1;
	snprintf(e.live.hook_name, sizeof(e.live.hook_name), "forward");
	snprintf(e.live.in, sizeof(e.live.in), "m0");
	snprintf(e.live.out, sizeof(e.live.out), "c0");
	return e;
}

static void reset(uint8_t mode)
{
	policy_default(&pol);
	pol.mode = mode;
}

static void test_defaults(void)
{
	policy_default(&pol);
	CHECK_EQ(pol.mode, POLICY_AUDIT);
	CHECK_EQ(pol.nrules, 0);
	CHECK_EQ(pol.max_drops_per_flow, 8);
	CHECK_EQ(pol.suspect_hold_us, 0);
	CHECK(pol.suspect_max > 0 && pol.suspect_max <= POLICY_SUSPECT_MAX);
}

static void test_modes(void)
{
	uint8_t m = 9;

	CHECK_EQ(policy_mode_parse("audit", &m), 0);
	CHECK_EQ(m, POLICY_AUDIT);
	CHECK_EQ(policy_mode_parse("dry-run", &m), 0);
	CHECK_EQ(m, POLICY_DRY_RUN);
	CHECK_EQ(policy_mode_parse("enforce", &m), 0);
	CHECK_EQ(m, POLICY_ENFORCE);
	CHECK_EQ(policy_mode_parse("Enforce", &m), -1);
	CHECK_EQ(policy_mode_parse("", &m), -1);
}

/* Every term, read back through the canonical text. */
static void test_parse_terms(void)
{
	char b[512];

	reset(POLICY_ENFORCE);
	CHECK_EQ(parse("drop origin middlebox cause injected"), 0);
	CHECK_EQ(parse("accept mark 0x42 origin endpoint cause refused,abort"), 0);
	CHECK_EQ(parse("log confidence < 0.5"), 0);
	CHECK_EQ(parse("drop origin middlebox,unknown cause injected,reject "
		       "confidence >=0.8 src 10.0.0.0/8 dst 192.168.1.0/24 "
		       "sport 1-1023 dport 80 iif eth* oif wan0 "
		       "direction in,forward"), 0);
	CHECK_EQ(parse("drop force origin endpoint family ipv6 src fd00::/16"), 0);
	CHECK_EQ(parse("accept src 10.1.2.3 family 4 direction output"), 0);
	CHECK_EQ(parse("accept"), 0);
	CHECK_EQ(pol.nrules, 7);
	CHECK_EQ(pol.rules[0].line, 7);
	CHECK_STR(policy_rule_format(&pol.rules[0], b, sizeof(b)),
		  "drop origin middlebox cause injected");
	CHECK_STR(policy_rule_format(&pol.rules[1], b, sizeof(b)),
		  "accept mark 0x42 origin endpoint cause refused,abort");
	CHECK_STR(policy_rule_format(&pol.rules[2], b, sizeof(b)),
		  "log confidence <0.50");
	CHECK_STR(policy_rule_format(&pol.rules[3], b, sizeof(b)),
		  "drop origin unknown,middlebox cause reject,injected "
		  "confidence >=0.80 src 10.0.0.0/8 dst 192.168.1.0/24 "
		  "sport 1-1023 dport 80 iif eth* oif wan0 direction in,forward");
	CHECK_STR(policy_rule_format(&pol.rules[4], b, sizeof(b)),
		  "drop force origin endpoint family ipv6 src fd00::/16");
	CHECK_STR(policy_rule_format(&pol.rules[5], b, sizeof(b)),
		  "accept family ipv4 src 10.1.2.3/32 direction out");
	CHECK_STR(policy_rule_format(&pol.rules[6], b, sizeof(b)), "accept");
}

/* Every kind of error, each with its message, and nothing added. */
static void test_parse_errors(void)
{
	reset(POLICY_ENFORCE);
	CHECK(rejects("", "give an action"));
	CHECK(rejects("reject origin middlebox", "unknown action 'reject'"));
	CHECK(rejects("drop cause injected", "name the origins"));
	CHECK(rejects("drop origin endpoint", "add 'force'"));
	CHECK(rejects("drop origin middlebox,endpoint cause abort", "add 'force'"));
	CHECK(rejects("drop origin middlebox mark 1", "keeps no mark"));
	CHECK(rejects("accept force", "only a drop rule"));
	CHECK(rejects("drop origin midbox", "unknown origin 'midbox'"));
	CHECK(rejects("drop origin middlebox cause forged", "unknown cause"));
	CHECK(rejects("drop origin ,", "at least one"));
	CHECK(rejects("accept confidence 1.5", "from 0 to 1"));
	CHECK(rejects("accept confidence >=", "from 0 to 1"));
	CHECK(rejects("accept confidence =0.5", "from 0 to 1"));
	CHECK(rejects("accept confidence >=x", "from 0 to 1"));
	CHECK(rejects("accept src 10.0.0.1/8", "past its prefix length"));
	CHECK(rejects("accept src 10.0.0.0/33", "prefix length in 10.0.0.0/33"));
	CHECK(rejects("accept dst fd00::/129", "prefix length"));
	CHECK(rejects("accept src 10.0.0.0/", "prefix length"));
	CHECK(rejects("accept src 10.0.0.300", "not an IPv4 or IPv6"));
	CHECK(rejects("accept dport 90-80", "N <= M"));
	CHECK(rejects("accept dport 70000", "0 to 65535"));
	CHECK(rejects("accept sport -5", "0 to 65535"));
	CHECK(rejects("accept sport 80-", "0 to 65535"));
	CHECK(rejects("accept iif averyveryverylongname", "at most 15"));
	CHECK(rejects("accept oif et*h", "ending in *"));
	CHECK(rejects("accept direction sideways", "unknown direction"));
	CHECK(rejects("accept family ipx", "unknown family"));
	CHECK(rejects("accept family ipv6 src 10.0.0.0/8", "src: its address family"));
	CHECK(rejects("accept src 10.0.0.0/8 dst fd00::/8", "dst: its address family"));
	CHECK(rejects("accept origin endpoint origin local", "origin given twice"));
	CHECK(rejects("accept colour red", "unknown term 'colour'"));
	CHECK(rejects("accept mark lots", "32-bit number"));
	CHECK(rejects("accept mark 0x100000000", "32-bit number"));
	CHECK(rejects("accept dport", "dport: missing value"));
	CHECK_EQ(pol.nrules, 0);
}

static void test_too_many(void)
{
	int i;

	reset(POLICY_ENFORCE);
	for (i = 0; i < POLICY_MAX_RULES; i++)
		CHECK_EQ(parse("accept dport 80"), 0);
	CHECK(rejects("accept dport 81", "too many rules"));
	CHECK_EQ(pol.nrules, POLICY_MAX_RULES);
}

static void test_match_where(void)
{
	struct rst_event e4 = ev("10.0.3.2", 7009, "10.0.1.2", 41009,
				 ORIGIN_MIDDLEBOX, CAUSE_INJECTED, 0.9f);
	struct rst_event e6 = ev("fd00:3::2", 7009, "fd00:1::2", 41009,
				 ORIGIN_MIDDLEBOX, CAUSE_INJECTED, 0.9f);

	reset(POLICY_ENFORCE);
	parse("accept src 10.0.3.0/24");		/* 0 */
	parse("accept src 10.0.3.3");			/* 1 */
	parse("accept dst 10.0.0.0/16 sport 7000-7010"); /* 2 */
	parse("accept dport 41009 iif m* oif c0");	/* 3 */
	parse("accept iif c*");				/* 4 */
	parse("accept direction in,out");		/* 5 */
	parse("accept direction forward family ipv6");	/* 6 */
	parse("accept src fd00:3::/64");		/* 7 */
	parse("accept src 0.0.0.0/0");			/* 8 */
	parse("accept src 10.0.3.2/31 dport 1-41008");	/* 9 */
	CHECK(policy_rule_where(&pol.rules[0], &e4));
	CHECK(!policy_rule_where(&pol.rules[1], &e4));
	CHECK(policy_rule_where(&pol.rules[2], &e4));
	CHECK(policy_rule_where(&pol.rules[3], &e4));
	CHECK(!policy_rule_where(&pol.rules[4], &e4));
	CHECK(!policy_rule_where(&pol.rules[5], &e4));
	CHECK(!policy_rule_where(&pol.rules[6], &e4));
	CHECK(policy_rule_where(&pol.rules[6], &e6));
	CHECK(!policy_rule_where(&pol.rules[0], &e6));	/* another family */
	CHECK(policy_rule_where(&pol.rules[7], &e6));
	CHECK(!policy_rule_where(&pol.rules[7], &e4));
	CHECK(policy_rule_where(&pol.rules[8], &e4));
	CHECK(!policy_rule_where(&pol.rules[8], &e6));
	CHECK(!policy_rule_where(&pol.rules[9], &e4));
	snprintf(e4.live.hook_name, sizeof(e4.live.hook_name), "output");
	CHECK(policy_rule_where(&pol.rules[5], &e4));
	CHECK_EQ(policy_dir_of_hook("input"), PDIR_IN);
	CHECK_EQ(policy_dir_of_hook("forward"), PDIR_FORWARD);
	CHECK_EQ(policy_dir_of_hook("prerouting"), 0);
}

static void test_match_verdict(void)
{
	struct rst_event e = ev("10.0.3.2", 80, "10.0.1.2", 4000,
				ORIGIN_MIDDLEBOX, CAUSE_INJECTED, 0.8f);

	reset(POLICY_ENFORCE);
	parse("accept origin middlebox cause injected");
	parse("accept origin endpoint,local");
	parse("accept cause reject");
	parse("accept confidence >=0.8");
	parse("accept confidence >0.8");
	parse("accept confidence <=0.8");
	parse("accept confidence <0.8");
	CHECK(policy_rule_verdict(&pol.rules[0], &e));
	CHECK(!policy_rule_verdict(&pol.rules[1], &e));
	CHECK(!policy_rule_verdict(&pol.rules[2], &e));
	/* 0.8f is not exactly 0.8: compared as printed, it is. */
	CHECK(policy_rule_verdict(&pol.rules[3], &e));
	CHECK(!policy_rule_verdict(&pol.rules[4], &e));
	CHECK(policy_rule_verdict(&pol.rules[5], &e));
	CHECK(!policy_rule_verdict(&pol.rules[6], &e));
}

/* First match wins; no match is accept; audit applies nothing. */
static void test_decide(void)
{
	struct rst_event fake = ev("10.0.3.2", 7009, "10.0.1.2", 41009,
				   ORIGIN_MIDDLEBOX, CAUSE_INJECTED, 0.94f);
	struct rst_event real = ev("10.0.3.2", 7002, "10.0.1.2", 41002,
				   ORIGIN_ENDPOINT, CAUSE_ABORT, 0.9f);
	struct policy_decision d;

	reset(POLICY_ENFORCE);
	parse("accept dport 22");
	parse("drop origin middlebox cause injected");
	parse("log origin endpoint");
	policy_decide(&pol, &fake, 0, &d);
	CHECK_EQ(d.rule, 1);
	CHECK_EQ(d.action, PA_DROP);
	CHECK_EQ(d.drop, 1);
	CHECK_EQ(d.would_drop, 0);
	policy_decide(&pol, &real, 0, &d);
	CHECK_EQ(d.rule, 2);
	CHECK_EQ(d.action, PA_LOG);
	CHECK_EQ(d.drop, 0);
	fake.p.dport = 22;
	policy_decide(&pol, &fake, 0, &d);
	CHECK_EQ(d.rule, 0);
	CHECK_EQ(d.drop, 0);
	fake.p.dport = 41009;
	fake.v.cause = CAUSE_REJECT;
	policy_decide(&pol, &fake, 0, &d);
	CHECK_EQ(d.rule, -1);
	CHECK_EQ(d.action, PA_ACCEPT);
	CHECK_EQ(d.drop, 0);
	fake.v.cause = CAUSE_INJECTED;
	pol.mode = POLICY_DRY_RUN;
	policy_decide(&pol, &fake, 0, &d);
	CHECK_EQ(d.rule, 1);
	CHECK_EQ(d.drop, 0);
	CHECK_EQ(d.would_drop, 1);
	pol.mode = POLICY_AUDIT;
	policy_decide(&pol, &fake, 0, &d);
	CHECK_EQ(d.rule, -1);
	CHECK_EQ(d.drop + d.would_drop, 0);
}

/* The per-flow bound: past it a drop becomes an accept, and says so. */
static void test_bound(void)
{
	struct rst_event e = ev("10.0.3.2", 7009, "10.0.1.2", 41009,
				ORIGIN_MIDDLEBOX, CAUSE_INJECTED, 0.94f);
	struct policy_decision d;

	reset(POLICY_ENFORCE);
	pol.max_drops_per_flow = 3;
	parse("drop origin middlebox");
	policy_decide(&pol, &e, 2, &d);
	CHECK_EQ(d.drop, 1);
	CHECK_EQ(d.bound, 0);
	policy_decide(&pol, &e, 3, &d);
	CHECK_EQ(d.drop, 0);
	CHECK_EQ(d.bound, 1);
	CHECK_EQ(d.rule, 0);
	pol.mode = POLICY_DRY_RUN;
	policy_decide(&pol, &e, 3, &d);
	CHECK_EQ(d.would_drop, 0);
	CHECK_EQ(d.bound, 1);
}

/* Marks: enforce only, accept and log only. */
static void test_mark(void)
{
	struct rst_event e = ev("10.0.3.2", 7001, "10.0.1.2", 41001,
				ORIGIN_ENDPOINT, CAUSE_REFUSED, 0.9f);
	struct policy_decision d;

	reset(POLICY_ENFORCE);
	parse("accept mark 0x42 origin endpoint cause refused");
	policy_decide(&pol, &e, 0, &d);
	CHECK_EQ(d.has_mark, 1);
	CHECK_EQ(d.mark, 0x42);
	pol.mode = POLICY_DRY_RUN;
	policy_decide(&pol, &e, 0, &d);
	CHECK_EQ(d.has_mark, 0);
}

/*
 * Suspect: the hold is on, nothing drops it yet, middlebox or unknown,
 * and a drop rule's where terms match.  Never an endpoint's RST.
 */
static void test_suspect(void)
{
	struct rst_event e = ev("10.0.3.2", 7009, "10.0.1.2", 41009,
				ORIGIN_MIDDLEBOX, CAUSE_INJECTED, 0.94f);
	struct policy_decision d;

	reset(POLICY_ENFORCE);
	parse("drop origin middlebox cause injected confidence >=0.99 dport 41000-41999");
	policy_decide(&pol, &e, 0, &d);
	CHECK_EQ(d.drop, 0);
	CHECK(!policy_suspect(&pol, &e, &d));	/* the hold is off */
	pol.suspect_hold_us = 20000;
	CHECK(policy_suspect(&pol, &e, &d));
	e.v.origin = ORIGIN_UNKNOWN;
	CHECK(policy_suspect(&pol, &e, &d));
	e.v.origin = ORIGIN_ENDPOINT;
	CHECK(!policy_suspect(&pol, &e, &d));
	e.v.origin = ORIGIN_LOCAL;
	CHECK(!policy_suspect(&pol, &e, &d));
	e.v.origin = ORIGIN_MIDDLEBOX;
	e.p.dport = 80;				/* no drop rule is about it */
	CHECK(!policy_suspect(&pol, &e, &d));
	e.p.dport = 41009;
	e.v.confidence = 0.99f;			/* the race came: drop now */
	policy_decide(&pol, &e, 0, &d);
	CHECK_EQ(d.drop, 1);
	CHECK(!policy_suspect(&pol, &e, &d));
	e.v.confidence = 0.5f;
	pol.suspect_max = 0;
	policy_decide(&pol, &e, 0, &d);
	CHECK(!policy_suspect(&pol, &e, &d));
	pol.suspect_max = 4;
	pol.mode = POLICY_AUDIT;
	policy_decide(&pol, &e, 0, &d);
	CHECK(!policy_suspect(&pol, &e, &d));
}

/* The event's policy object, as JSON and as text. */
static void test_output(void)
{
	struct rst_event e = ev("10.0.3.2", 7009, "10.0.1.2", 41009,
				ORIGIN_MIDDLEBOX, CAUSE_INJECTED, 0.99f);
	struct rst_policy *pp = &e.live.pol;
	struct output o;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	snprintf(e.live.verdict, sizeof(e.live.verdict), "drop");
	pp->valid = 1;
	pp->mode = POLICY_ENFORCE;
	pp->action = PA_DROP;
	pp->rule = 2;
	pp->line = 14;
	pp->origin = ORIGIN_MIDDLEBOX;
	pp->cause = CAUSE_INJECTED;
	pp->confidence = 0.94f;
	pp->held = HOLD_PACKET;
	pp->held_us = 10250;
	pp->seen_pkts = 1;
	pp->seen_data = 36;
	pp->changed = 1;
	pp->ct_restored = 1;
	output_init(&o, fp, OUT_LEGACY);
	output_event(&o, &e);
	o.fmt = OUT_TEXT;
	output_event(&o, &e);
	fclose(fp);
	CHECK(strstr(buf, ",\"verdict\":\"drop\",\"policy\":{\"mode\":\"enforce\","
		      "\"rule\":2,\"line\":14,\"action\":\"drop\",\"dry_run\":false,"
		      "\"would_drop\":false,\"bound\":false,\"mark\":null,"
		      "\"judged\":{\"origin\":\"middlebox\",\"cause\":\"injected\","
		      "\"confidence\":0.94},\"ct_restored\":true,\"guarded\":false,"
		      "\"hold\":{"
		      "\"ms\":10.250,\"ended\":\"packet\",\"packets\":1,"
		      "\"bytes\":36,\"changed\":true}},\"evidence_pcap\":null,\"evidence\"") != NULL);
	CHECK(strstr(buf, "verdict drop policy enforce: rule 2 (line 14) drop; "
		      "held 10.2 ms until packet, saw 1 packets, changed the "
		      "decision\n") != NULL);
	free(buf);
}

int main(void)
{
	T_RUN(test_defaults);
	T_RUN(test_modes);
	T_RUN(test_parse_terms);
	T_RUN(test_parse_errors);
	T_RUN(test_too_many);
	T_RUN(test_match_where);
	T_RUN(test_match_verdict);
	T_RUN(test_decide);
	T_RUN(test_bound);
	T_RUN(test_mark);
	T_RUN(test_suspect);
	T_RUN(test_output);
	return T_END("test_policy");
}
