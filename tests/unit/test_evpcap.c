/*
 * test_evpcap.c: the evidence writer, into a temporary directory: what a
 * file holds (read back with libpcap and block by block), rotation by
 * size and count, a restart, write errors (RLIMIT_FSIZE), the directory
 * check; the hand-over from a queue's ring to the writer (evhand.h): the
 * writer needs nothing of the ring once a flow is taken, and a full
 * hand-over loses the evidence, counted, never the event.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "t.h"
#include "evfix.h"
#include "evpcap.h"
#include "log.h"
#include "output.h"

#define C "10.0.1.2"
#define S "10.0.3.2"

static char dir[64];

/* Files of ours in dir, and the largest one's size. */
static unsigned count_files(off_t *largest)
{
	struct dirent *de;
	struct stat st;
	char path[512];
	unsigned n = 0;
	DIR *d = opendir(dir);

	*largest = 0;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "rstaudit-", 9) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0 && st.st_size > *largest)
			*largest = st.st_size;
		n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

static void clean_dir(void)
{
	struct dirent *de;
	char path[512];
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
}

/* A RST event as the engine would emit it, and its packet in the ring. */
static void make_event(struct rst_event *e, struct evring *r,
		       const struct pkt *rst, uint32_t serial, uint64_t ts)
{
	memset(e, 0, sizeof(*e));
	e->serial = serial;
	e->ts_us = ts;
	e->p = *rst;
	e->v.origin = ORIGIN_ENDPOINT;
	e->v.cause = CAUSE_REFUSED;
	e->v.confidence = 0.9f;
	e->v.n_ev = 1;
	e->v.ev[0].kind = EV_NO_FLOW;
	e->live.valid = 1;
	snprintf(e->live.hook_name, sizeof(e->live.hook_name), "forward");
	snprintf(e->live.in, sizeof(e->live.in), "m0");
	snprintf(e->live.out, sizeof(e->live.out), "c0");
	snprintf(e->live.verdict, sizeof(e->live.verdict), "accept");
	evfix_push(r, rst, ts, 1)->serial = serial;
}

/* The hand-over from the ring in use, as a queue and the writer use it. */
static struct evhand *hand;
static const struct evring *hand_ring;

static struct evhand *hand_of(struct evring *r, size_t bytes)
{
	if (hand == NULL || hand_ring != r) {
		evhand_free(hand);
		hand = evhand_new(evring_size(r), 1000000, bytes);
		hand_ring = r;
	}
	return hand;
}

/* e's flow taken from r, as at emit, then written as the writer does. */
static int event(struct evpcap *w, struct evring *r, struct rst_event *e)
{
	struct evhand *h = hand_of(r, EVHAND_BYTES);
	struct evhand_ticket t;
	int rc;

	evhand_take(h, r, e, EVPCAP_BEFORE, EVPCAP_AFTER, &t);
	rc = evpcap_event(w, h, &t, e);
	evhand_release(h, &t);
	return rc;
}

/* The ring is gone: its hand-over and what it knew too. */
static void ring_free(struct evring *r)
{
	evring_free(r);
	evhand_free(hand);
	hand = NULL;
}

/*
 * Walk the blocks of a pcapng file: counts of SHB, IDB, EPB; the comment
 * of EPB number want (1-based) into comment.  -1 when a block is broken.
 */
static int walk(const char *path, unsigned n[3], unsigned want,
		char *comment, size_t clen)
{
	static uint8_t b[1 << 20];
	FILE *fp = fopen(path, "rb");
	size_t len, off = 0;
	unsigned epb = 0;

	memset(n, 0, 3 * sizeof(unsigned));
	comment[0] = '\0';
	if (fp == NULL)
		return -1;
	len = fread(b, 1, sizeof(b), fp);
	fclose(fp);
	while (off + 12 <= len) {
		uint32_t type, tot, tail, caplen, o;

		memcpy(&type, b + off, 4);
		memcpy(&tot, b + off + 4, 4);
		if (tot < 12 || tot % 4 || off + tot > len)
			return -1;
		memcpy(&tail, b + off + tot - 4, 4);
		if (tail != tot)
			return -1;
		if (type == 0x0a0d0d0a)
			n[0]++;
		else if (type == 1)
			n[1]++;
		else if (type == 6 && ++epb == want) {
			memcpy(&caplen, b + off + 20, 4);
			for (o = 28 + ((caplen + 3) & ~3u); o + 4 <= tot - 4;) {
				uint16_t code, olen;

				memcpy(&code, b + off + o, 2);
				memcpy(&olen, b + off + o + 2, 2);
				if (code == 1 && olen < clen) {
					memcpy(comment, b + off + o + 4, olen);
					comment[olen] = '\0';
				}
				if (code == 0)
					break;
				o += 4 + ((olen + 3u) & ~3u);
			}
		}
		off += tot;
	}
	n[2] = epb;
	return off == len ? 0 : -1;
}

/* Record number frame of path, read with libpcap, is the bytes of p
 * (IPv4) behind a cooked header. */
static int pcap_has(const char *path, uint32_t frame, const struct pkt *p,
		    unsigned *records)
{
	char err[PCAP_ERRBUF_SIZE];
	uint8_t want[256];
	uint32_t wn = evfix_bytes(p, want, sizeof(want));
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = pcap_open_offline(path, err);
	int found = 0, rc;

	*records = 0;
	if (pc == NULL) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 0;
	}
	CHECK_EQ(pcap_datalink(pc), DLT_LINUX_SLL);
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1)
		if (++*records == frame)
			found = h->caplen == 16 + wn &&
				h->len == 16 + wn &&
				memcmp(d + 16, want, wn) == 0 &&
				d[14] == 0x08 && d[15] == 0x00;
	if (rc != PCAP_ERROR_BREAK)
		fprintf(stderr, "%s: %s\n", path, pcap_geterr(pc));
	CHECK_EQ(rc, PCAP_ERROR_BREAK);		/* the end, not an error */
	pcap_close(pc);
	return found;
}

static struct evpcap *open_writer(uint64_t size, uint32_t files)
{
	struct evpcap_conf c;

	c.dir = dir;
	c.file_size = size;
	c.files = files;
	c.hold_us = 1000000;
	c.user = NULL;
	return evpcap_open(&c);
}

#define HEAD "rstaudit: endpoint refused (confidence 0.90); hook forward in " \
	"m0 out c0, ct none, verdict accept\n"

/* Handshake, RST: one file, every record, the comment. */
static void test_one_flow(void)
{
	struct evring *r = evring_new(256);
	struct evpcap *w = open_writer(1 << 20, 3);
	struct pkt syn = fx_pkt(C, 41001, S, 7001, TH_SYN, 100, 0, 64, 1, 0);
	struct pkt rst = fx_pkt(S, 7001, C, 41001, TH_RST | TH_ACK, 0, 101, 62, 0, 0);
	struct pkt other = fx_pkt(C, 41005, S, 7005, TH_SYN, 7, 0, 64, 1, 0);
	struct rst_event e;
	struct evpcap_stats st;
	struct stat sb;
	unsigned n[3], records;
	char comment[2048];

	CHECK(w != NULL);
	if (w == NULL)
		return;
	evfix_push(r, &syn, 1000000, 2);
	evfix_push(r, &other, 1000001, 2);
	make_event(&e, r, &rst, 1, 1000002);
	CHECK_EQ(event(w, r, &e), 0);
	CHECK(e.live.pcap_file != NULL);
	if (e.live.pcap_file == NULL)
		goto out;
	CHECK(strncmp(e.live.pcap_file, dir, strlen(dir)) == 0);
	CHECK(strstr(e.live.pcap_file, "/rstaudit-") != NULL);
	CHECK(strstr(e.live.pcap_file, "Z-0000.pcapng") != NULL);
	CHECK_EQ(e.live.pcap_frame, 2);
	CHECK_EQ(e.live.pcap_packets, 2);
	CHECK(stat(e.live.pcap_file, &sb) == 0);
	CHECK_EQ(sb.st_mode & 0777, 0640);
	CHECK(pcap_has(e.live.pcap_file, 2, &rst, &records));
	CHECK_EQ(records, 2);
	CHECK(pcap_has(e.live.pcap_file, 1, &syn, &records));
	CHECK_EQ(walk(e.live.pcap_file, n, 2, comment, sizeof(comment)), 0);
	CHECK_EQ(n[0], 1);
	CHECK_EQ(n[1], 2);			/* interfaces 2 and 1 */
	CHECK_EQ(n[2], 2);
	CHECK(strncmp(comment, HEAD, strlen(HEAD)) == 0);
	CHECK(strstr(comment, "\nno earlier packet") != NULL);
	walk(e.live.pcap_file, n, 1, comment, sizeof(comment));
	CHECK_STR(comment, "");			/* only the RST has one */
	evpcap_get_stats(w, &st);
	CHECK_EQ(st.events, 1);
	CHECK_EQ(st.records, 2);
	CHECK_EQ(st.files, 1);
	CHECK_EQ(st.bytes, (uint64_t)sb.st_size);
out:
	evpcap_close(w);
	ring_free(r);
	clean_dir();
}

/* Two RSTs of one flow: the second finds the first's packets in the file. */
static void test_shared(void)
{
	struct evring *r = evring_new(256);
	struct evpcap *w = open_writer(1 << 20, 3);
	struct pkt syn = fx_pkt(C, 41009, S, 7009, TH_SYN, 100, 0, 64, 1, 0);
	struct pkt rst = fx_pkt(S, 7009, C, 41009, TH_RST | TH_ACK, 901, 200, 63, 0, 0);
	struct pkt rst2 = fx_pkt(S, 7009, C, 41009, TH_RST | TH_ACK, 2361, 200, 63, 0, 0);
	struct pkt reply = fx_pkt(S, 7009, C, 41009, TH_ACK, 901, 200, 62, 9, 30);
	struct rst_event e1, e2;
	struct evpcap_stats st;
	unsigned n[3], records;
	char comment[2048];

	if (w == NULL) {
		CHECK(w != NULL);
		return;
	}
	evfix_push(r, &syn, 1, 2);
	make_event(&e1, r, &rst, 1, 2);
	make_event(&e2, r, &rst2, 2, 3);
	evfix_push(r, &reply, 4, 1);
	CHECK_EQ(event(w, r, &e1), 0);
	CHECK_EQ(e1.live.pcap_frame, 2);
	CHECK_EQ(e1.live.pcap_packets, 2);	/* the next RST is its own */
	CHECK_EQ(event(w, r, &e2), 0);
	CHECK_EQ(e2.live.pcap_frame, 3);
	CHECK_EQ(e2.live.pcap_packets, 4);	/* SYN, RST, RST, reply */
	CHECK(pcap_has(e2.live.pcap_file, 3, &rst2, &records));
	CHECK_EQ(records, 4);			/* each packet once */
	walk(e2.live.pcap_file, n, 3, comment, sizeof(comment));
	CHECK(strncmp(comment, "rstaudit: endpoint refused", 26) == 0);
	evpcap_get_stats(w, &st);
	CHECK_EQ(st.records, 4);
	CHECK_EQ(st.shared, 2);
	evpcap_close(w);
	ring_free(r);
	clean_dir();
}

/* Many resets, small files: at most `files` remain, none past the bound. */
static void test_rotation(void)
{
	struct evring *r = evring_new(4096);
	struct evpcap *w = open_writer(2048, 2);
	struct pkt syn = fx_pkt(C, 40000, S, 7001, TH_SYN, 100, 0, 64, 1, 0);
	struct pkt rst = fx_pkt(S, 7001, C, 40000, TH_RST | TH_ACK, 0, 101, 62, 0, 0);
	struct rst_event e;
	struct evpcap_stats st;
	char first[512] = "", last[512] = "";
	unsigned i, records, failed = 0;
	off_t largest;

	if (w == NULL) {
		CHECK(w != NULL);
		return;
	}
	for (i = 0; i < 200; i++) {
		syn.sport = rst.dport = (uint16_t)(40000 + i);
		evfix_push(r, &syn, 10 * i, 2);
		make_event(&e, r, &rst, i + 1, 10 * i + 1);
		if (event(w, r, &e) < 0) {
			failed++;
			continue;
		}
		if (i == 0)
			snprintf(first, sizeof(first), "%s", e.live.pcap_file);
		snprintf(last, sizeof(last), "%s", e.live.pcap_file);
		CHECK(count_files(&largest) <= 2);
		CHECK(largest <= 2048);
	}
	CHECK_EQ(failed, 0);
	CHECK(access(first, F_OK) < 0);		/* rotated away */
	CHECK(pcap_has(last, e.live.pcap_frame, &rst, &records));
	evpcap_get_stats(w, &st);
	CHECK(st.files > 10);
	CHECK_EQ(st.removed, st.files - 2);
	CHECK_EQ(count_files(&largest), 2);
	evpcap_close(w);

	/* A restart: numbering goes on, the old files count. */
	w = open_writer(2048, 2);
	CHECK(w != NULL);
	if (w != NULL) {
		syn.sport = rst.dport = 39999;
		evfix_push(r, &syn, 5000, 2);
		make_event(&e, r, &rst, 1000, 5001);
		CHECK_EQ(event(w, r, &e), 0);
		CHECK(strcmp(e.live.pcap_file, last) != 0);	/* never appended */
		CHECK_EQ(e.live.pcap_frame, 2);
		CHECK_EQ(e.live.pcap_packets, 2);
		CHECK_EQ(count_files(&largest), 2);
		CHECK(access(last, F_OK) == 0);
		evpcap_close(w);
	}
	ring_free(r);
	clean_dir();
}

/* A file cannot grow (RLIMIT_FSIZE): counted, cut back, then it works. */
static void test_write_error(void)
{
	struct evring *r = evring_new(256);
	struct evpcap *w = open_writer(1 << 20, 3);
	struct pkt syn = fx_pkt(C, 41001, S, 7001, TH_SYN, 100, 0, 64, 1, 0);
	struct pkt rst = fx_pkt(S, 7001, C, 41001, TH_RST | TH_ACK, 0, 101, 62, 0, 0);
	struct pkt rst1 = rst;
	struct rlimit old, lim;
	struct rst_event e;
	struct evpcap_stats st;
	struct stat sb;
	char path[512];
	unsigned records;

	if (w == NULL) {
		CHECK(w != NULL);
		return;
	}
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	evfix_push(r, &syn, 1, 2);
	make_event(&e, r, &rst, 1, 2);
	CHECK_EQ(event(w, r, &e), 0);
	snprintf(path, sizeof(path), "%s", e.live.pcap_file);
	stat(path, &sb);
	lim = old;
	lim.rlim_cur = (rlim_t)sb.st_size + 50;		/* not a whole record */
	setrlimit(RLIMIT_FSIZE, &lim);
	syn.sport = rst.dport = 41002;
	evfix_push(r, &syn, 3, 2);
	make_event(&e, r, &rst, 2, 4);
	CHECK_EQ(event(w, r, &e), -1);
	CHECK(e.live.pcap_file == NULL);
	make_event(&e, r, &rst, 3, 5);
	CHECK_EQ(event(w, r, &e), -1);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(pcap_has(path, 2, &rst1, &records));	/* no half record */
	CHECK_EQ(records, 2);
	make_event(&e, r, &rst, 4, 6);
	CHECK_EQ(event(w, r, &e), 0);
	CHECK_STR(e.live.pcap_file, path);
	/* None of the failed ones went in: SYN, RST 2, RST 3, RST 4 now. */
	CHECK_EQ(e.live.pcap_frame, 6);
	CHECK_EQ(e.live.pcap_packets, 4);
	CHECK(pcap_has(path, 6, &rst, &records));
	CHECK_EQ(records, 6);
	evpcap_get_stats(w, &st);
	CHECK_EQ(st.errors, 2);
	CHECK_EQ(st.events, 2);
	evpcap_close(w);
	ring_free(r);
	clean_dir();
}

/* The RST left the ring before its event: no file, counted. */
static void test_lost(void)
{
	struct evring *r = evring_new(EVRING_MIN);
	struct evpcap *w = open_writer(1 << 20, 3);
	struct pkt rst = fx_pkt(S, 7001, C, 41001, TH_RST | TH_ACK, 0, 101, 62, 0, 0);
	struct pkt d = fx_pkt(C, 1, S, 2, TH_ACK, 0, 0, 64, 1, 0);
	struct rst_event e;
	struct evpcap_stats st;
	unsigned i;
	off_t largest;

	if (w == NULL) {
		CHECK(w != NULL);
		return;
	}
	make_event(&e, r, &rst, 1, 1);
	for (i = 0; i < EVRING_MIN; i++)
		evfix_push(r, &d, 2, 2);
	CHECK_EQ(event(w, r, &e), -1);
	CHECK(e.live.pcap_file == NULL);
	evpcap_get_stats(w, &st);
	CHECK_EQ(st.lost, 1);
	CHECK_EQ(count_files(&largest), 0);	/* nothing made for nothing */
	evpcap_close(w);
	ring_free(r);
}

/* More interfaces than a file describes: the rest share one, "other". */
static void test_interfaces(void)
{
	struct evring *r = evring_new(1024);
	struct evpcap *w = open_writer(1 << 20, 3);
	struct pkt d = fx_pkt(C, 41002, S, 7002, TH_ACK, 101, 901, 64, 2, 10);
	struct pkt rst = fx_pkt(S, 7002, C, 41002, TH_RST | TH_ACK, 901, 101, 62, 0, 0);
	struct rst_event e;
	unsigned i, n[3], records;
	char comment[2048];

	if (w == NULL) {
		CHECK(w != NULL);
		return;
	}
	for (i = 0; i < 100; i++)	/* ifindexes no host has */
		evfix_push(r, &d, i, 100000 + i);
	make_event(&e, r, &rst, 1, 100);
	for (i = 0; i < 100; i++)
		evfix_push(r, &d, 101 + i, 200000 + i);
	CHECK_EQ(event(w, r, &e), 0);
	CHECK_EQ(e.live.pcap_packets, EVPCAP_BEFORE + 1 + EVPCAP_AFTER);
	CHECK_EQ(walk(e.live.pcap_file, n, 1, comment, sizeof(comment)), 0);
	CHECK_EQ(n[1], 64);
	CHECK_EQ(n[2], EVPCAP_BEFORE + 1 + EVPCAP_AFTER);
	CHECK(pcap_has(e.live.pcap_file, EVPCAP_BEFORE + 1, &rst, &records));
	CHECK_EQ(records, EVPCAP_BEFORE + 1 + EVPCAP_AFTER);
	evpcap_close(w);
	ring_free(r);
	clean_dir();
}

/*
 * Two RSTs of a flow taken at emit, then the ring overwritten whole
 * before the writer gets to them: the file is as if written at once,
 * the second RST sharing the first's packets.
 */
static void test_taken_at_emit(void)
{
	struct evring *r = evring_new(EVRING_MIN);
	struct evpcap *w = open_writer(1 << 20, 3);
	struct evhand *h = hand_of(r, EVHAND_BYTES);
	struct pkt syn = fx_pkt(C, 41019, S, 7019, TH_SYN, 100, 0, 64, 1, 0);
	struct pkt rst = fx_pkt(S, 7019, C, 41019, TH_RST | TH_ACK, 901, 200, 63, 0, 0);
	struct pkt rst2 = fx_pkt(S, 7019, C, 41019, TH_RST | TH_ACK, 2361, 200, 63, 0, 0);
	struct pkt d = fx_pkt(C, 1, S, 2, TH_ACK, 0, 0, 64, 1, 0);
	struct evhand_ticket t1, t2;
	struct rst_event e1, e2;
	struct evpcap_stats st;
	unsigned i, records;

	if (w == NULL || h == NULL) {
		CHECK(w != NULL && h != NULL);
		return;
	}
	evfix_push(r, &syn, 1, 2);
	make_event(&e1, r, &rst, 1, 2);
	evhand_take(h, r, &e1, EVPCAP_BEFORE, EVPCAP_AFTER, &t1);
	make_event(&e2, r, &rst2, 2, 3);
	evhand_take(h, r, &e2, EVPCAP_BEFORE, EVPCAP_AFTER, &t2);
	CHECK_EQ(t1.status, EVHAND_OK);
	CHECK_EQ(t2.status, EVHAND_OK);
	CHECK_EQ(t2.off, t1.off + t1.len);
	for (i = 0; i < EVRING_MIN; i++)	/* the queue goes on */
		evfix_push(r, &d, 10 + i, 2);
	CHECK_EQ(evpcap_event(w, h, &t1, &e1), 0);
	evhand_release(h, &t1);
	CHECK_EQ(evpcap_event(w, h, &t2, &e2), 0);
	evhand_release(h, &t2);
	CHECK_EQ(e1.live.pcap_frame, 2);
	CHECK_EQ(e1.live.pcap_packets, 2);
	CHECK_EQ(e2.live.pcap_frame, 3);
	CHECK_EQ(e2.live.pcap_packets, 3);	/* SYN, RST, RST */
	CHECK(pcap_has(e2.live.pcap_file, 1, &syn, &records));
	CHECK(pcap_has(e2.live.pcap_file, 2, &rst, &records));
	CHECK(pcap_has(e2.live.pcap_file, 3, &rst2, &records));
	CHECK_EQ(records, 3);			/* each packet once */
	evpcap_get_stats(w, &st);
	CHECK_EQ(st.shared, 2);
	CHECK_EQ(st.lost, 0);
	evpcap_close(w);
	ring_free(r);
	clean_dir();
}

/*
 * The writer lags and the hand-over fills: the next reset's ticket says
 * so, its event goes out without a file, counted lost; a ticket the
 * writer never took gives its room back; released room is used again.
 */
static void test_hand_full(void)
{
	struct evring *r = evring_new(4096);
	struct evpcap *w = open_writer(1 << 20, 3);
	struct evhand *h = hand_of(r, 168 << 10);
	struct pkt syn = fx_pkt(C, 40000, S, 7001, TH_SYN, 100, 0, 64, 1, 0);
	struct pkt rst = fx_pkt(S, 7001, C, 40000, TH_RST | TH_ACK, 0, 101, 62, 0, 0);
	static struct evhand_ticket t[2049];
	static struct rst_event e[2049];
	struct evhand_ticket again;
	struct evpcap_stats st;
	unsigned i, n, bad = 0;

	if (w == NULL || h == NULL) {
		CHECK(w != NULL && h != NULL);
		return;
	}
	for (n = 0; n < 2048; n++) {
		syn.sport = rst.dport = (uint16_t)(40000 + n);
		evfix_push(r, &syn, 10 * n, 2);
		make_event(&e[n], r, &rst, n + 1, 10 * n + 1);
		evhand_take(h, r, &e[n], EVPCAP_BEFORE, EVPCAP_AFTER, &t[n]);
		if (t[n].status != EVHAND_OK)
			break;
	}
	CHECK(n > 100 && n < 2048);
	CHECK_EQ(t[n].status, EVHAND_FULL);
	CHECK(evhand_half_full(h));		/* the writer is woken */
	evhand_cancel(h, &t[n - 1]);		/* the writer's ring was full */
	evhand_take(h, r, &e[n - 1], EVPCAP_BEFORE, EVPCAP_AFTER, &again);
	CHECK_EQ(again.status, EVHAND_OK);
	CHECK_EQ(again.off, t[n - 1].off);
	for (i = 0; i < n; i++) {
		bad += evpcap_event(w, h, &t[i], &e[i]) != 0 ||
		       e[i].live.pcap_packets != 2;
		evhand_release(h, &t[i]);
	}
	CHECK_EQ(bad, 0);
	CHECK(!evhand_half_full(h));
	CHECK_EQ(evpcap_event(w, h, &t[n], &e[n]), -1);
	CHECK(e[n].live.pcap_file == NULL);
	evpcap_get_stats(w, &st);
	CHECK_EQ(st.lost, 1);
	CHECK_EQ(st.events, n);
	evhand_take(h, r, &e[n], EVPCAP_BEFORE, EVPCAP_AFTER, &again);
	CHECK_EQ(again.status, EVHAND_OK);	/* room again */
	evpcap_close(w);
	ring_free(r);
	clean_dir();
}

/* The event says where its evidence is, or null; text output too. */
static void test_output(void)
{
	struct pkt rst = fx_pkt(S, 7001, C, 41001, TH_RST | TH_ACK, 0, 101, 62, 0, 0);
	struct evring *r = evring_new(256);
	struct rst_event e;
	struct output o;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	make_event(&e, r, &rst, 1, 1);
	fp = open_memstream(&buf, &len);
	output_init(&o, fp, OUT_LEGACY);
	output_event(&o, &e);
	e.live.pcap_file = "/ev/rstaudit-20261121T063533Z-0000.pcapng";
	e.live.pcap_frame = 2;
	e.live.pcap_packets = 3;
	output_event(&o, &e);
	o.fmt = OUT_TEXT;
	output_event(&o, &e);
	fclose(fp);
	CHECK(strstr(buf, ",\"verdict\":\"accept\",\"evidence_pcap\":null,") != NULL);
	CHECK(strstr(buf, ",\"evidence_pcap\":{\"file\":\"/ev/rstaudit-"
		     "20261121T063533Z-0000.pcapng\",\"frame\":2,\"packets\":3},")
	      != NULL);
	CHECK(strstr(buf, " verdict accept pcap /ev/rstaudit-20261121T063533Z-"
		     "0000.pcapng frame 2 (3 packets)\n") != NULL);
	free(buf);
	ring_free(r);
}

static void test_check(void)
{
	char err[512], path[128];
	FILE *fp;

	CHECK_EQ(evpcap_check(dir, NULL, err, sizeof(err)), 0);
	CHECK_EQ(evpcap_check("/nonexistent/rstaudit", NULL, err, sizeof(err)), -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_STR(err, "evidence_dir /nonexistent/rstaudit: No such file or directory");
	snprintf(path, sizeof(path), "%s/plain", dir);
	fp = fopen(path, "w");
	if (fp != NULL)
		fclose(fp);
	CHECK_EQ(evpcap_check(path, NULL, err, sizeof(err)), -1);
	CHECK_EQ(errno, ENOTDIR);
	unlink(path);
}

int main(void)
{
	int rc;

	log_init(0, 0);
	umask(022);
	snprintf(dir, sizeof(dir), "%s/rsev-unit.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	fprintf(stderr, "test_evpcap: write errors and a lost reset are made "
		"on purpose; their warnings follow\n");
	T_RUN(test_one_flow);
	T_RUN(test_shared);
	T_RUN(test_rotation);
	T_RUN(test_write_error);
	T_RUN(test_lost);
	T_RUN(test_interfaces);
	T_RUN(test_taken_at_emit);
	T_RUN(test_hand_full);
	T_RUN(test_check);
	T_RUN(test_output);
	rc = T_END("test_evpcap");
	clean_dir();
	rmdir(dir);
	return rc;
}
