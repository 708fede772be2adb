/*
 * test_slog.c: the RFC 5424 message slog_format() makes: header, the
 * structured data, its escaping, the live facts, the cut at the buffer.
 */
#include "recvfix.h"
#include "output.h"
#include "slog.h"
#include "t.h"

static void test_offline(void)
{
	struct rst_event e = recv_fixture();
	char b[SLOG_MSG_MAX], want[SLOG_MSG_MAX], cid[32];
	size_t n = slog_format(b, sizeof(b), &e, "gw", "rstaudit", 42);

	/* The Community ID itself is test_output's. */
	snprintf(want, sizeof(want), "<28>1 1970-01-01T00:00:01.000000Z gw rstaudit 42 RST "
		  "[rst@32473 origin=\"middlebox\" cause=\"reject\" "
		  "confidence=\"0.80\" src=\"10.0.3.2\" sport=\"80\" "
		  "dst=\"10.0.1.2\" dport=\"40000\" flags=\"RA\" seq=\"0\" "
		  "ack=\"1001\" ttl=\"63\" cid=\"%s\"] "
		  "reset 10.0.3.2 port 80 > 10.0.1.2 port 40000: middlebox reject",
		  output_community_id(&e.p, cid));
	CHECK_STR(b, want);
	CHECK_EQ(n, strlen(b));
}

/* '"', '\' and ']' take a backslash (RFC 5424 6.3.3); nothing else does. */
static void test_escape(void)
{
	struct rst_event e = recv_fixture();
	char b[SLOG_MSG_MAX];

	e.live.valid = 1;
	snprintf(e.live.hook_name, sizeof(e.live.hook_name), "forward");
	snprintf(e.live.in, sizeof(e.live.in), "m\"0]\\x[");
	snprintf(e.live.verdict, sizeof(e.live.verdict), "accept");
	slog_format(b, sizeof(b), &e, "", "rstaudit", 1);
	CHECK(strstr(b, " hook=\"forward\" in=\"m\\\"0\\]\\\\x[\" verdict=\"accept\"]")
	      != NULL);
	CHECK(strstr(b, " out=") == NULL);	/* none: left out */
	CHECK(strstr(b, "Z - rstaudit 1 RST") != NULL);	/* no host: "-" */
}

static void test_severity_and_cut(void)
{
	struct rst_event e = recv_fixture();
	char b[40];

	CHECK_EQ(slog_severity(&e), 4);
	e.v.origin = ORIGIN_ENDPOINT;
	CHECK_EQ(slog_severity(&e), 6);
	e.v.origin = ORIGIN_LOCAL;
	CHECK_EQ(slog_severity(&e), 5);
	CHECK_EQ(slog_format(b, sizeof(b), &e, "gw", "rstaudit", 1), 39);
	CHECK_EQ(strlen(b), 39);
}

int main(void)
{
	T_RUN(test_offline);
	T_RUN(test_escape);
	T_RUN(test_severity_and_cut);
	return T_END("slog");
}
