/*
 * test_output.c: flags, times, Community ID and the JSON line.
 */
#include <stdlib.h>

#include "fixtures.h"
#include "output.h"
#include "t.h"

static void test_flags(void)
{
	char b[9];

	CHECK_STR(output_flags(TH_RST | TH_ACK, b), "RA");
	CHECK_STR(output_flags(TH_RST, b), "R");
	CHECK_STR(output_flags(TH_SYN | TH_ACK, b), "SA");
	CHECK_STR(output_flags(0xff, b), "SFRPAUEC");
}

static void test_time(void)
{
	char b[40];

	CHECK_STR(output_time(1231989071582211ull, b), "2009-01-15T03:11:11.582211Z");
	CHECK_STR(output_time(0, b), "1970-01-01T00:00:00.000000Z");
}

/* The example in the Community ID specification. */
static void test_community_id(void)
{
	struct pkt p = fx_pkt("128.232.110.120", 34855, "66.35.250.204", 80, TH_RST, 0, 0, 64, 0, 0);
	struct pkt q = fx_pkt("66.35.250.204", 80, "128.232.110.120", 34855, TH_RST, 0, 0, 64, 0, 0);
	char b[32];

	CHECK_STR(output_community_id(&p, b), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	CHECK_STR(output_community_id(&q, b), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

static void test_json_line(void)
{
	struct rst_event e;
	struct output o;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	memset(&e, 0, sizeof(e));
	e.p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_RST | TH_ACK, 0, 1001, 62, 0, 0);
	e.p.payload = e.payload;
	e.frame = 7;
	e.ts_us = 1000000;
	e.v.origin = ORIGIN_ENDPOINT, e.v.cause = CAUSE_REFUSED;
	e.v.confidence = 0.9f, e.v.hops = 2, e.v.expected_hops = 2;
	e.v.n_ev = 1, e.v.ev[0].kind = EV_ANSWERS_SYN;
	output_init(&o, fp, OUT_JSON);
	o.file = "a \"b\".pcap";
	output_event(&o, &e);
	fclose(fp);
	CHECK(strstr(buf, "{\"ts\":\"1970-01-01T00:00:01.000000Z\",\"family\":\"ipv4\","
			  "\"src\":\"10.0.3.2\",\"sport\":80,\"dst\":\"10.0.1.2\",\"dport\":40000,"
			  "\"flags\":\"RA\",\"seq\":0,\"ack\":1001,\"ttl\":62,") == buf);
	CHECK(strstr(buf, "\"origin\":\"endpoint\",\"cause\":\"refused\",\"confidence\":0.90") != NULL);
	CHECK(strstr(buf, "\"hops\":2,\"expected_hops\":2") != NULL);
	CHECK(strstr(buf, "\"frame\":7,\"file\":\"a \\\"b\\\".pcap\"") != NULL);
	CHECK(strstr(buf, "\"evidence\":[\"answers 10.0.1.2's SYN; no SYN/ACK came before it\"]}\n") != NULL);
	CHECK_EQ(o.by[ORIGIN_ENDPOINT][CAUSE_REFUSED], 1);
	free(buf);
}

int main(void)
{
	T_RUN(test_flags);
	T_RUN(test_time);
	T_RUN(test_community_id);
	T_RUN(test_json_line);
	return T_END("test_output");
}
