/*
 * test_journal.c: the native journal entry journal_format() makes: plain
 * fields, the binary form for a value with a newline, repeated evidence,
 * MESSAGE_ID by origin, and no entry at all when it does not fit.
 */
#include "recvfix.h"
#include "journal.h"
#include "t.h"

static struct rst_event journal_fixture(void)
{
	struct rst_event e = recv_fixture();

	e.v.n_ev = 2;
	e.v.ev[0].kind = EV_ANSWERS_SYN;
	e.v.ev[1].kind = EV_ANSWERS_SYN;
	return e;
}

static void test_fields(void)
{
	struct rst_event e = journal_fixture();
	char b[JOURNAL_MAX];
	size_t n = journal_format(b, sizeof(b), &e);

	CHECK(n > 0 && b[n - 1] == '\n');
	b[n] = '\0';
	CHECK(strncmp(b, "MESSAGE=reset 10.0.3.2 port 80 > 10.0.1.2 port 40000 "
		      "RA: middlebox reject (confidence 0.80)\n", 81) == 0);
	CHECK(strstr(b, "\nMESSAGE_ID=1ae8fc9ba2a243da9136f93ccf9ea57a\n") != NULL);
	CHECK(strstr(b, "\nPRIORITY=4\nSYSLOG_IDENTIFIER=rstaudit\n") != NULL);
	CHECK(strstr(b, "\nRSTAUDIT_ORIGIN=middlebox\nRSTAUDIT_CAUSE=reject\n") != NULL);
	CHECK(strstr(b, "\nRSTAUDIT_SRC_IP=10.0.3.2\nRSTAUDIT_SRC_PORT=80\n") != NULL);
	CHECK(strstr(b, "\nRSTAUDIT_TIMESTAMP=1970-01-01T00:00:01.000000Z\n") != NULL);
	CHECK(strstr(b, "RSTAUDIT_HOOK") == NULL);	/* offline: no live facts */
	/* Twice: a repeated field. */
	CHECK(strstr(strstr(b, "RSTAUDIT_EVIDENCE=answers") + 1,
		     "RSTAUDIT_EVIDENCE=answers") != NULL);
}

/* A newline in a value: NAME\n, 64-bit little-endian length, value, \n. */
static void test_binary(void)
{
	struct rst_event e = journal_fixture();
	char b[JOURNAL_MAX], *f;

	e.live.valid = 1;
	snprintf(e.live.hook_name, sizeof(e.live.hook_name), "fwd");
	snprintf(e.live.in, sizeof(e.live.in), "a\nb");
	journal_format(b, sizeof(b), &e);
	f = memmem(b, sizeof(b), "\nRSTAUDIT_IN\n", 13);
	CHECK(f != NULL);
	if (f != NULL)
		CHECK(memcmp(f + 13, "\3\0\0\0\0\0\0\0a\nb\n", 12) == 0);
}

static void test_ids_and_room(void)
{
	struct rst_event e = journal_fixture();
	char b[64];

	CHECK_STR(journal_message_id(ORIGIN_ENDPOINT),
		  "bb195f91e5b74326bb35a449792446c5");
	CHECK_STR(journal_message_id(ORIGIN_MAX), journal_message_id(ORIGIN_UNKNOWN));
	CHECK_EQ(journal_format(b, sizeof(b), &e), 0);
}

int main(void)
{
	T_RUN(test_fields);
	T_RUN(test_binary);
	T_RUN(test_ids_and_room);
	return T_END("journal");
}
