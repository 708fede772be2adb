/*
 * evpcap.c: the rotating set of evidence files (see evpcap.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>
#include <net/if.h>
#include <sys/stat.h>

#include "conf.h"
#include "evpcap.h"
#include "log.h"
#include "output.h"
#include "pcapng.h"
#include "safefile.h"

#define NAME_LEN	64	/* rstaudit-YYYYmmddTHHMMSSZ-4294967295.pcapng */
#define IFACES		64	/* interface blocks per file; the last: "other" */
#define IF_OTHER	UINT32_MAX
#define COMMENT_MAX	2048	/* the RST's comment: verdict and evidence */
#define RECORDS_MAX	(EVPCAP_BEFORE + 1 + EVPCAP_AFTER)
#define APPL		"rstaudit"
#define SNAPLEN		(PCAPNG_SLL_LEN + EVRING_SNAP)

struct evpcap {
	struct evpcap_conf conf;
	char		 dir[PATH_MAX];
	int		 dfd;		/* the directory */
	uid_t		 uid;		/* who makes our files: only its are ours */
	int		 fd;		/* the current file, -1: none */
	char		 path[PATH_MAX + NAME_LEN];	/* its full name */
	uint64_t	 size;		/* bytes in it, all whole blocks */
	uint32_t	 gen;		/* its number for the ring slots, from 1 */
	uint32_t	 frames;	/* records in it */
	uint32_t	 events;	/* resets in it */
	uint32_t	 next;		/* N of the next file's name */
	uint32_t	 ifs[IFACES];	/* interface of each IDB, in order */
	unsigned	 nif;
	char		(*names)[NAME_LEN];	/* files in the set, oldest first */
	unsigned	 nnames, cap;
	uint8_t		*buf;		/* one reset's blocks */
	size_t		 buflen, used;
	uint32_t	 frame[RECORDS_MAX];	/* tentative record numbers */
	char		 comment[COMMENT_MAX];
	struct evhand_flow flow;
	int		 failing;	/* a write failed, none worked since */
	int		 lost_said, full_said;
	struct evpcap_stats st;
};

/* N of a name of ours, or -1 when the name is not one. */
static long name_seq(const char *name)
{
	unsigned seq;
	int end = 0;

	if (strlen(name) >= NAME_LEN ||
	    sscanf(name, "rstaudit-%*8[0-9]T%*6[0-9]Z-%u.pcapng%n", &seq,
		   &end) != 1 || end == 0 || name[end] != '\0' ||
	    strncmp(name, "rstaudit-", 9) != 0)
		return -1;
	return seq;
}

static int name_cmp(const void *a, const void *b)
{
	long x = name_seq(a), y = name_seq(b);

	return (x > y) - (x < y);
}

/* Add a name at the end of the set, growing it (at start only). */
static int names_add(struct evpcap *w, const char *name)
{
	if (w->nnames == w->cap) {
		unsigned cap = w->cap ? w->cap * 2 : w->conf.files + 1;
		void *n = realloc(w->names, (size_t)cap * NAME_LEN);

		if (n == NULL)
			return -1;
		w->names = n;
		w->cap = cap;
	}
	snprintf(w->names[w->nnames++], NAME_LEN, "%s", name);
	return 0;
}

/* The files an earlier run left: the set goes on from them. */
static int names_scan(struct evpcap *w)
{
	struct dirent *de;
	unsigned foreign = 0;
	DIR *d;
	int fd;
	long seq;

	if ((fd = dup(w->dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if ((seq = name_seq(de->d_name)) < 0)
			continue;
		if ((uint32_t)seq >= w->next)	/* never reuse a name */
			w->next = (uint32_t)seq + 1;
		if (!safefile_ours(w->dfd, de->d_name, w->uid)) {
			foreign++;
			continue;
		}
		if (names_add(w, de->d_name) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (foreign)
		log_warnx("evidence: %u file%s in %s named like ours but not "
			  "regular files made by uid %ld: left alone, never "
			  "rotated or removed", foreign, foreign == 1 ? "" : "s",
			  w->dir, (long)w->uid);
	if (w->nnames > 1)
		qsort(w->names, w->nnames, NAME_LEN, name_cmp);
	return 0;
}

/* Remove the oldest files until there is room for one more: ours only. */
static void names_trim(struct evpcap *w)
{
	while (w->nnames > 0 && w->nnames >= w->conf.files) {
		if (!safefile_ours(w->dfd, w->names[0], w->uid))
			log_warnx("evidence: %s/%s is no longer a file of ours: "
				  "left alone", w->dir, w->names[0]);
		else if (unlinkat(w->dfd, w->names[0], 0) == 0)
			w->st.removed++;
		else if (errno != ENOENT)
			log_warn("evidence: cannot remove %s/%s", w->dir,
				 w->names[0]);
		w->nnames--;
		memmove(w->names[0], w->names[1], (size_t)w->nnames * NAME_LEN);
	}
}

/* The uid whose files are ours: user's, or the caller's for none. */
static uid_t user_uid(const char *user)
{
	struct passwd *pw;

	if (user == NULL || user[0] == '\0' || (pw = getpwnam(user)) == NULL)
		return geteuid();
	return pw->pw_uid;
}

int evpcap_check(const char *dir, const char *user, char *err, size_t errlen)
{
	char probe[64], why[PATH_MAX + 256];
	int dfd, fd, saved;

	if (safefile_dir_check(dir, user_uid(user), why, sizeof(why)) < 0) {
		saved = errno;
		snprintf(err, errlen, "evidence_dir %s: %s", dir,
			 saved == EPERM ? why : strerror(saved));
		errno = saved;
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto fail;
	snprintf(probe, sizeof(probe), ".rstaudit-probe-%ld", (long)getpid());
	unlinkat(dfd, probe, 0);
	fd = openat(dfd, probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0) {
		saved = errno;
		close(dfd);
		errno = saved;
		goto fail;
	}
	close(fd);
	unlinkat(dfd, probe, 0);
	close(dfd);
	return 0;
fail:
	saved = errno;
	snprintf(err, errlen, "evidence_dir %s: %s%s", dir, strerror(saved),
		 saved == EACCES || saved == EROFS
		 ? " (the daemon must be able to create files there)" : "");
	errno = saved;
	return -1;
}

struct evpcap *evpcap_open(const struct evpcap_conf *c)
{
	struct evpcap *w;
	char err[PATH_MAX + 128];
	int saved;

	if (evpcap_check(c->dir, c->user, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto fail;
	w->conf = *c;
	w->fd = -1;
	w->dfd = -1;
	w->uid = user_uid(c->user);
	/* The events name files by absolute path, whatever the cwd. */
	if (realpath(c->dir, w->dir) == NULL ||
	    (w->dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto fail;
	w->conf.dir = w->dir;
	w->buflen = RECORDS_MAX * (pcapng_epb_size(SNAPLEN, 0) +
				   pcapng_idb_size(IF_NAMESIZE)) +
		    pcapng_epb_size(0, COMMENT_MAX) + pcapng_idb_size(16);
	if ((w->buf = malloc(w->buflen)) == NULL || names_scan(w) < 0)
		goto fail;
	return w;
fail:
	saved = errno;
	log_warn("evidence_dir %s", c->dir);
	evpcap_close(w);
	errno = saved;
	return NULL;
}

void evpcap_close(struct evpcap *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->dfd >= 0)
		close(w->dfd);
	free(w->names);
	free(w->buf);
	free(w);
}

void evpcap_get_stats(const struct evpcap *w, struct evpcap_stats *st)
{
	*st = w->st;
}

int evpcap_setup(const struct conf *c, struct evpcap **w)
{
	struct evpcap_conf ec;

	*w = NULL;
	if (c->evidence_dir[0] == '\0')
		return 0;
	ec.dir = c->evidence_dir;
	ec.file_size = c->evidence_file_size;
	ec.files = c->evidence_files;
	ec.hold_us = c->hold_us;
	ec.user = c->user;
	if ((*w = evpcap_open(&ec)) == NULL)
		return -1;	/* evpcap_open() said why */
	log_info("evidence: %s, %u files of %" PRIu64 " bytes at most, %u "
		 "packets per queue", c->evidence_dir, ec.files, ec.file_size,
		 c->evidence_packets);
	return 0;
}

/* A write failed: say so once, until one works again. */
static void write_failed(struct evpcap *w, const char *what)
{
	w->st.errors++;
	if (w->failing++)
		return;
	log_warn("evidence: %s %s", what, w->path);
	log_warnx("evidence: resets are still audited, but their packets are "
		  "not kept until a write works again");
}

/* n bytes at offset off of the current file, whole or not at all. */
static int write_at(struct evpcap *w, const uint8_t *b, size_t n, uint64_t off)
{
	size_t done = 0;
	ssize_t k;

	while (done < n) {
		k = pwrite(w->fd, b + done, n - done, (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int saved = k < 0 ? errno : ENOSPC;

			/* No half record: readers would stop there. */
			if (ftruncate(w->fd, (off_t)off) < 0)
				log_warn("evidence: cannot cut %s back", w->path);
			errno = saved;
			return -1;
		}
		done += (size_t)k;
	}
	return 0;
}

/* Start the next file of the set: name, room, section header. */
static int file_new(struct evpcap *w)
{
	char name[NAME_LEN], ts[32];
	uint8_t shb[64];
	size_t n = pcapng_shb(shb, sizeof(shb), APPL);
	time_t now = time(NULL);
	struct tm tm;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (gmtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, sizeof(name), "rstaudit-%s-%04u.pcapng", ts, w->next++);
	snprintf(w->path, sizeof(w->path), "%s/%s", w->dir, name);
	names_trim(w);
	w->fd = openat(w->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		       O_CLOEXEC, SAFEFILE_MODE);
	if (w->fd < 0) {
		write_failed(w, "cannot create");
		return -1;
	}
	(void)fchmod(w->fd, SAFEFILE_MODE);	/* whatever the umask */
	if (write_at(w, shb, n, 0) < 0) {
		write_failed(w, "cannot write");
		close(w->fd);
		w->fd = -1;
		unlinkat(w->dfd, name, 0);
		return -1;
	}
	names_add(w, name);	/* room was made by names_trim() */
	w->st.files++;
	w->st.bytes += n;
	w->size = n;
	w->gen++;
	w->frames = w->events = 0;
	w->nif = 0;
	return 0;
}

static void put(struct evpcap *w, size_t n)
{
	w->used += n;
}

/* The IDB number of ifindex in this file, adding its block if new. */
static uint32_t iface_id(struct evpcap *w, uint32_t ifindex)
{
	char name[IF_NAMESIZE + 8];
	unsigned i;

	for (i = 0; i < w->nif; i++)
		if (w->ifs[i] == ifindex)
			return i;
	if (w->nif >= IFACES - 1 && ifindex != IF_OTHER)
		return iface_id(w, IF_OTHER);	/* full: the rest go here */
	if (ifindex == IF_OTHER)
		snprintf(name, sizeof(name), "other");
	else if (ifindex == 0)
		snprintf(name, sizeof(name), "none");
	else if (if_indextoname(ifindex, name) == NULL)
		snprintf(name, sizeof(name), "if%u", ifindex);
	put(w, pcapng_idb(w->buf + w->used, w->buflen - w->used,
			  PCAPNG_LINKTYPE_LINUX_SLL, SNAPLEN, name));
	w->ifs[w->nif] = ifindex;
	return w->nif++;
}

/*
 * The blocks of f's packets that this file does not hold yet, into buf.
 * Record numbers go to w->frame; *rst_frame is the RST's.
 */
static void build(struct evpcap *w, const struct evhand *h,
		  const struct evhand_flow *f, uint32_t *rst_frame)
{
	uint32_t frames = w->frames;
	uint8_t sll[PCAPNG_SLL_LEN];
	unsigned i;

	w->used = 0;
	for (i = 0; i < f->n; i++) {
		const struct evhand_pkt *s = f->pkt[i];
		struct pcapng_pkt pp;

		/* Written for an earlier reset? */
		if (!evhand_shared(h, s->seq, w->gen, &w->frame[i])) {
			memset(&pp, 0, sizeof(pp));
			pp.ifid = iface_id(w, s->ifindex);
			pp.ts_us = s->ts_us;
			pcapng_sll(sll, s->dir == PCAPNG_DIR_OUT
				   ? PCAPNG_SLL_OUTGOING : PCAPNG_SLL_HOST,
				   evhand_data(s)[0]);
			pp.hdr = sll;
			pp.hdrlen = sizeof(sll);
			pp.data = evhand_data(s);
			pp.caplen = s->caplen;
			pp.len = s->len;
			pp.dir = s->dir;
			pp.comment = i == f->rst ? w->comment : NULL;
			put(w, pcapng_epb(w->buf + w->used, w->buflen - w->used,
					  &pp));
			w->frame[i] = ++frames;
		}
		if (i == f->rst)
			*rst_frame = w->frame[i];
	}
}

/* Write f's packets; returns the RST's record number, 0 on failure. */
static uint32_t write_flow(struct evpcap *w, struct evhand *h,
			   const struct evhand_flow *f)
{
	uint32_t rst_frame = 0, shared = 0, frame;
	unsigned nif = w->nif, i;

	if (w->fd < 0 && file_new(w) < 0)
		return 0;
	build(w, h, f, &rst_frame);
	if (w->events > 0 && w->size + w->used > w->conf.file_size) {
		w->nif = nif;	/* those blocks were for this file */
		if (file_new(w) < 0)
			return 0;
		build(w, h, f, &rst_frame);
	}
	if (write_at(w, w->buf, w->used, w->size) < 0) {
		w->nif = nif;
		write_failed(w, "cannot write");
		return 0;
	}
	if (w->failing) {
		log_warnx("evidence: writing to %s again", w->path);
		w->failing = 0;
	}
	for (i = 0; i < f->n; i++) {
		if (evhand_shared(h, f->pkt[i]->seq, w->gen, &frame)) {
			shared++;
			continue;
		}
		evhand_mark(h, f->pkt[i]->seq, w->gen, w->frame[i]);
	}
	w->st.records += f->n - shared;
	w->st.shared += shared;
	w->st.bytes += w->used;
	w->st.events++;
	w->frames += f->n - shared;
	w->size += w->used;
	w->events++;
	return rst_frame;
}

/* What snprintf() into room bytes really wrote (room > 0). */
static size_t clip(int k, size_t room)
{
	if (k < 0)
		return 0;
	return (size_t)k < room ? (size_t)k : room - 1;
}

/* The RST's comment: the verdict, where it was seen, and the evidence. */
static void comment(struct evpcap *w, const struct rst_event *e)
{
	const struct rst_live *l = &e->live;
	char *c = w->comment;
	size_t n, len = sizeof(w->comment);
	unsigned i;

	n = clip(snprintf(c, len, "rstaudit: %s %s (confidence %.2f)",
			  origin_names[e->v.origin], cause_names[e->v.cause],
			  e->v.confidence), len);
	if (l->valid)
		n += clip(snprintf(c + n, len - n, "; hook %s in %s out %s, "
				   "ct %s, verdict %s", l->hook_name,
				   l->in[0] ? l->in : "-",
				   l->out[0] ? l->out : "-",
				   rst_ct_word(l),
				   l->verdict), len - n);
	for (i = 0; i < e->v.n_ev && n + 2 < len; i++) {
		c[n++] = '\n';
		n += clip(evidence_format(e, &e->v.ev[i], c + n, len - n),
			  len - n);
	}
}

/* The length the IP header gives, 0 when it says nothing. */
static uint32_t ip_len(const uint8_t *d, uint32_t caplen)
{
	if (caplen >= 20 && d[0] >> 4 == 4)
		return (uint32_t)d[2] << 8 | d[3];
	if (caplen >= 40 && d[0] >> 4 == 6 && (d[4] | d[5]))
		return 40 + ((uint32_t)d[4] << 8 | d[5]);
	return 0;
}

struct evring_slot *evpcap_keep(struct evring *ring, const struct pkt *p,
				const uint8_t *data, uint32_t caplen,
				uint32_t len, uint64_t ts_us, uint32_t indev,
				uint32_t outdev)
{
	struct evring_slot *s;
	uint32_t il = ip_len(data, caplen);

	/* NFLOG gives the copied length only: the header knows better. */
	s = evring_push(ring, p, data, caplen, il > len ? il : len, ts_us);
	s->ifindex = indev ? indev : outdev;
	s->dir = indev ? PCAPNG_DIR_IN : PCAPNG_DIR_OUT;
	return s;
}

/* A reset whose packets did not reach the writer: counted, said once. */
static void lost(struct evpcap *w, const struct evhand *h,
		 const struct evhand_ticket *t)
{
	w->st.lost++;
	if (t->status == EVHAND_GONE && !w->lost_said++)
		log_warnx("evidence: a reset left the packet ring (%u "
			  "packets) before its hold ended; raise "
			  "evidence_packets", evhand_ring_slots(h));
	else if (t->status != EVHAND_GONE && !w->full_said++)
		log_warnx("evidence: the packets of resets waiting for the "
			  "writer thread filled the room of queue %u; resets "
			  "go out without them while the evidence disk lags",
			  t->queue);
}

int evpcap_event(struct evpcap *w, struct evhand *h,
		 const struct evhand_ticket *t, struct rst_event *e)
{
	struct rst_live *l = &e->live;
	uint32_t frame;

	l->pcap_file = NULL;
	l->pcap_frame = l->pcap_packets = 0;
	if (t->status == EVHAND_NONE)
		return -1;
	if (evhand_read(h, t, &w->flow) < 0) {
		lost(w, h, t);
		return -1;
	}
	comment(w, e);
	if ((frame = write_flow(w, h, &w->flow)) == 0)
		return -1;
	l->pcap_file = w->path;
	l->pcap_frame = frame;
	l->pcap_packets = w->flow.n;
	return 0;
}
