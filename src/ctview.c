/*
 * ctview.c: conntrack's TCP entries kept from ctnetlink's events (see
 * ctview.h).
 *
 * Entries live in one array mapped at start (untouched pages cost
 * nothing until used); an open-addressing index holds two slots per
 * entry, its original and its reply tuple, so a packet of either
 * direction finds it in one probe sequence.  Deletion shifts the probe
 * run back (no tombstones), so the index never degrades.  Messages are
 * read by ctvmsg.c, once, with no object per event.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ctview.h"
#include "ctview_int.h"
#include "nlok.h"
#include "rst.h"
#include "table.h"

#define CTV_MIN		1024
#define CTV_MAX		(1u << 22)
#define CTV_DEFAULT	262144		/* when nf_conntrack_max cannot be read */
#define CTV_RCVBUF	(32 << 20)	/* event bursts of a SYN flood */
#define CTV_READS	64		/* datagrams per socket per call */
#define CTV_BUFSZ	65536		/* a dump's datagram */
#define CTV_BATCH	32		/* events per recvmmsg() */
#define CTV_EVSZ	4096		/* an event, and then some */


struct ctv_entry {
	struct ctv_key k[2];		/* original, reply */
	uint32_t id, status, mark;
	uint8_t	 state, used;
};

struct ctview {
	pthread_mutex_t		 mu;	/* every call but new and free */
	struct ctv_entry	*e;
	uint64_t		*slot;	/* hash low 32 | (entry + 1) << 1 | dir */
	uint32_t		 max, mask, top, nfree;
	uint32_t		*free;
	uint64_t		 seed;
	int			 full;	/* refused entries since the last dump */
	struct mnl_socket	*ev, *dump;
	struct ctview_stats	 st;
	struct mmsghdr		 mm[CTV_BATCH];
	struct iovec		 iov[CTV_BATCH];
	char			 buf[CTV_BUFSZ];
	char			 evbuf[CTV_BATCH][CTV_EVSZ]
				     __attribute__((aligned(8)));
};

static uint32_t conntrack_max(void)
{
	FILE *fp = fopen("/proc/sys/net/netfilter/nf_conntrack_max", "re");
	unsigned long n = 0;

	if (fp != NULL) {
		if (fscanf(fp, "%lu", &n) != 1)
			n = 0;
		fclose(fp);
	}
	return n == 0 ? CTV_DEFAULT : n > CTV_MAX ? CTV_MAX : (uint32_t)n;
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Random probes over tens of MiB: fewer TLB misses.  Advice only. */
	(void)madvise(p, len, MADV_HUGEPAGE);
	return p;
}

struct ctview *ctview_new(uint32_t max)
{
	struct ctview *v = calloc(1, sizeof(*v));
	uint32_t nslot = 1;

	if (v == NULL)
		return NULL;
	pthread_mutex_init(&v->mu, NULL);
	if (max == 0)
		max = conntrack_max();
	v->max = max < CTV_MIN ? CTV_MIN : max > CTV_MAX ? CTV_MAX : max;
	while (nslot < 4 * v->max)	/* two keys an entry, half full */
		nslot <<= 1;
	v->mask = nslot - 1;
	v->e = map((size_t)v->max * sizeof(*v->e));
	/*
	 * The index is written all over from the first events on: faulted
	 * in now, so that no event waits for the kernel to zero a huge page
	 * (tab_map()).  Entries and the free list fill from the start: they
	 * are touched as the view grows.
	 */
	v->slot = tab_map((size_t)nslot * sizeof(*v->slot), 1);
	v->free = map((size_t)v->max * sizeof(*v->free));
	if (v->e == NULL || v->slot == NULL || v->free == NULL) {
		ctview_free(v);
		errno = ENOMEM;
		return NULL;
	}
	if (getrandom(&v->seed, sizeof(v->seed), 0) != sizeof(v->seed))
		v->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
	v->st.max = v->max;
	return v;
}

void ctview_free(struct ctview *v)
{
	if (v == NULL)
		return;
	if (v->ev != NULL)
		mnl_socket_close(v->ev);
	if (v->dump != NULL)
		mnl_socket_close(v->dump);
	if (v->e != NULL)
		munmap(v->e, (size_t)v->max * sizeof(*v->e));
	if (v->slot != NULL)
		munmap(v->slot, (size_t)(v->mask + 1) * sizeof(*v->slot));
	if (v->free != NULL)
		munmap(v->free, (size_t)v->max * sizeof(*v->free));
	pthread_mutex_destroy(&v->mu);
	free(v);
}

/* --- the index ---------------------------------------------------------- */

/* Seeded: the tuples are chosen by whoever sends packets. */
static uint64_t key_hash(const struct ctview *v, const struct ctv_key *k)
{
	uint64_t w[5], h = v->seed;

	_Static_assert(sizeof(*k) == sizeof(w), "a key is five words");
	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	return h * 0xff51afd7ed558ccdULL;
}

static uint32_t slot_entry(uint64_t s)	{ return (uint32_t)(s >> 33) - 1; }
static int slot_dir(uint64_t s)		{ return (int)((s >> 32) & 1); }

/* The slot holding k, or the empty slot where it would go. */
static uint32_t slot_find(const struct ctview *v, const struct ctv_key *k,
			  uint32_t h)
{
	uint32_t i = h & v->mask;
	uint64_t s;

	while ((s = v->slot[i]) != 0) {
		if ((uint32_t)s == h &&
		    memcmp(&v->e[slot_entry(s)].k[slot_dir(s)], k,
			   sizeof(*k)) == 0)
			return i;
		i = (i + 1) & v->mask;
	}
	return i;
}

static void slot_del(struct ctview *v, uint32_t i)
{
	uint32_t j = i, home;

	v->slot[i] = 0;
	for (;;) {
		j = (j + 1) & v->mask;
		if (v->slot[j] == 0)
			return;
		home = (uint32_t)v->slot[j] & v->mask;
		/* Move j back to the hole unless its home lies in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			v->slot[i] = v->slot[j];
			v->slot[j] = 0;
			i = j;
		}
	}
}

/* Entry n of the index, or UINT32_MAX: k in either direction. */
static uint32_t entry_find(const struct ctview *v, const struct ctv_key *k)
{
	uint32_t h = (uint32_t)key_hash(v, k), i = slot_find(v, k, h);

	return v->slot[i] != 0 ? slot_entry(v->slot[i]) : UINT32_MAX;
}

static void entry_del(struct ctview *v, uint32_t n)
{
	struct ctv_entry *e = &v->e[n];

	for (int d = 0; d < 2; d++) {
		uint32_t h = (uint32_t)key_hash(v, &e->k[d]);
		uint32_t i = slot_find(v, &e->k[d], h);

		if (v->slot[i] != 0 && slot_entry(v->slot[i]) == n)
			slot_del(v, i);
	}
	e->used = 0;
	v->free[v->nfree++] = n;
	v->st.entries--;
}

/* A new entry for keys k[2], indexed; UINT32_MAX when full. */
static uint32_t entry_add(struct ctview *v, const struct ctv_key k[2])
{
	uint32_t n, h, i;

	if (v->nfree > 0)
		n = v->free[--v->nfree];
	else if (v->top < v->max)
		n = v->top++;
	else
		return UINT32_MAX;
	memset(&v->e[n], 0, sizeof(v->e[n]));
	memcpy(v->e[n].k, k, 2 * sizeof(*k));
	v->e[n].used = 1;
	v->st.entries++;
	for (int d = 0; d < 2; d++) {
		/* A reply tuple equal to the original one: index it once. */
		if (d == 1 && memcmp(&k[0], &k[1], sizeof(*k)) == 0)
			break;
		h = (uint32_t)key_hash(v, &k[d]);
		i = slot_find(v, &k[d], h);
		if (v->slot[i] == 0)
			v->slot[i] = (uint64_t)h | (uint64_t)d << 32 |
				     (uint64_t)(n + 1) << 33;
	}
	return n;
}

static void view_clear(struct ctview *v)
{
	memset(v->slot, 0, (size_t)(v->mask + 1) * sizeof(*v->slot));
	v->top = v->nfree = 0;
	v->st.entries = 0;
	v->full = 0;
}

/* What an event or a dump says of an entry, over what the view held. */
static void entry_update(struct ctview *v, const struct ctv_msg *m)
{
	uint32_t n = entry_find(v, &m->k[0]);
	struct ctv_entry *e;

	/* Another connection on the same tuple: the old one is gone. */
	if (n != UINT32_MAX && m->has_id && v->e[n].id != m->id)
		entry_del(v, n), n = UINT32_MAX;
	if (n == UINT32_MAX) {
		if (!m->have[1])
			return;		/* no reply tuple: cannot index it */
		if ((n = entry_add(v, m->k)) == UINT32_MAX) {
			v->st.full++;
			v->full = 1;
			v->st.synced = 0;
			return;
		}
	}
	e = &v->e[n];
	if (m->has_id)
		e->id = m->id;
	if (m->has_status)
		e->status = m->status;
	if (m->has_mark)
		e->mark = m->mark;
	if (m->has_state)
		e->state = m->state;
}

static int apply(struct ctview *v, const struct nlmsghdr *nlh)
{
	uint16_t type = nlh->nlmsg_type;
	struct ctv_msg m;
	uint32_t n;

	if ((type >> 8) != NFNL_SUBSYS_CTNETLINK)
		return 0;
	type &= 0xff;
	if (type != IPCTNL_MSG_CT_NEW && type != IPCTNL_MSG_CT_DELETE)
		return 0;
	if (ctv_msg_get(nlh, &m) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (m.proto != IPPROTO_TCP)
		return 0;
	v->st.events++;
	if (type == IPCTNL_MSG_CT_NEW) {
		entry_update(v, &m);
		return 0;
	}
	n = entry_find(v, &m.k[0]);
	if (n != UINT32_MAX && (!m.has_id || v->e[n].id == m.id))
		entry_del(v, n);
	return 0;
}

int ctview_apply(struct ctview *v, const struct nlmsghdr *nlh)
{
	int rc;

	pthread_mutex_lock(&v->mu);
	rc = apply(v, nlh);
	pthread_mutex_unlock(&v->mu);
	return rc;
}

static void set_synced(struct ctview *v)
{
	v->st.synced = !v->full;
}

void ctview_set_synced(struct ctview *v)
{
	pthread_mutex_lock(&v->mu);
	set_synced(v);
	pthread_mutex_unlock(&v->mu);
}

/* --- lookups ------------------------------------------------------------- */

static void key_of(struct ctv_key *k, const struct pkt *p, int swap)
{
	memset(k, 0, sizeof(*k));
	k->family = p->family;
	memcpy(k->src, swap ? p->dst : p->src, 16);
	memcpy(k->dst, swap ? p->src : p->dst, 16);
	k->sport = swap ? p->dport : p->sport;
	k->dport = swap ? p->sport : p->dport;
}

/* Without the lock: the seed, the mask and the index never move. */
uint32_t ctview_prefetch(const struct ctview *v, const struct pkt *p)
{
	struct ctv_key k;
	uint32_t i;

	key_of(&k, p, 0);
	i = (uint32_t)key_hash(v, &k) & v->mask;
	__builtin_prefetch(&v->slot[i]);
	return i;
}

void ctview_prefetch_entries(struct ctview *v, const uint32_t *slot,
			     unsigned n)
{
	uint64_t s;

	pthread_mutex_lock(&v->mu);
	for (unsigned j = 0; j < n; j++)
		if ((s = v->slot[slot[j]]) != 0)
			__builtin_prefetch(&v->e[slot_entry(s)]);
	pthread_mutex_unlock(&v->mu);
}

int ctview_find(struct ctview *v, const struct pkt *p, struct ct_info *ci)
{
	struct ctv_key k;
	uint32_t n = UINT32_MAX;
	const struct ctv_entry *e;
	int synced;

	memset(ci, 0, sizeof(*ci));
	pthread_mutex_lock(&v->mu);
	for (int swap = 0; swap < 2 && n == UINT32_MAX; swap++) {
		key_of(&k, p, swap);
		n = entry_find(v, &k);
	}
	if (n == UINT32_MAX) {
		synced = v->st.synced;
		pthread_mutex_unlock(&v->mu);
		return synced ? 0 : -1;
	}
	e = &v->e[n];
	ci->known = 1;
	ci->tcp_state = e->state;
	ci->id = e->id;
	ci->mark = e->mark;
	ci->status = e->status;
	pthread_mutex_unlock(&v->mu);
	rst_name_copy(ci->state, sizeof(ci->state), ct_tcp_state_name(ci->tcp_state));
	return 1;
}

void ctview_get_stats(struct ctview *v, struct ctview_stats *st)
{
	pthread_mutex_lock(&v->mu);
	*st = v->st;
	pthread_mutex_unlock(&v->mu);
}

/* --- the sockets ----------------------------------------------------------- */

/* Kernel-side filter: TCP entries only (the events of UDP, ICMP, ... are
 * never copied to us). */
static int filter_tcp(struct mnl_socket *nl)
{
	struct nfct_filter *f = nfct_filter_create();
	int rc;

	if (f == NULL)
		return -1;
	nfct_filter_add_attr_u32(f, NFCT_FILTER_L4PROTO, IPPROTO_TCP);
	rc = nfct_filter_attach(mnl_socket_get_fd(nl), f);
	nfct_filter_destroy(f);
	return rc;
}

/* Does this namespace announce conntrack's changes?  (0 turns events off) */
static int events_on(void)
{
	FILE *fp = fopen("/proc/sys/net/netfilter/nf_conntrack_events", "re");
	int n = 1;

	if (fp != NULL) {
		if (fscanf(fp, "%d", &n) != 1)
			n = 1;
		fclose(fp);
	}
	return n != 0;
}

/* Forget everything and ask for every entry again. */
static int dump_start(struct ctview *v)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfh;

	if (v->dump != NULL)
		mnl_socket_close(v->dump);
	v->dump = mnl_socket_open2(NETLINK_NETFILTER,
				   SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (v->dump == NULL || mnl_socket_bind(v->dump, 0, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	view_clear(v);
	v->st.synced = 0;
	v->st.dumps++;
	nlh = mnl_nlmsg_put_header(v->buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = AF_UNSPEC;
	nfh->version = NFNETLINK_V0;
	return mnl_socket_sendto(v->dump, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

int ctview_open(struct ctview *v)
{
	const char *env = getenv("RSTAUDIT_CT_RCVBUF");	/* tests: overrun it */
	int rcvbuf = CTV_RCVBUF, fd;

	if (!events_on()) {
		errno = ENOTSUP;
		return -1;
	}
	v->ev = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (v->ev == NULL ||
	    mnl_socket_bind(v->ev, NF_NETLINK_CONNTRACK_NEW |
			    NF_NETLINK_CONNTRACK_DESTROY, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	fd = mnl_socket_get_fd(v->ev);
	if (env != NULL && atoi(env) > 0) {
		rcvbuf = atoi(env);
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	} else if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			      sizeof(rcvbuf)) < 0) {
		/* Without CAP_NET_ADMIN: as much as rmem_max allows. */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	}
	if (filter_tcp(v->ev) < 0)
		return -1;
	return dump_start(v);	/* subscribed first: nothing falls between */
}

int ctview_fd(const struct ctview *v)
{
	return v->ev != NULL ? mnl_socket_get_fd(v->ev) : -1;
}

int ctview_dump_fd(struct ctview *v)
{
	int fd;

	pthread_mutex_lock(&v->mu);
	fd = v->dump != NULL ? mnl_socket_get_fd(v->dump) : -1;
	pthread_mutex_unlock(&v->mu);
	return fd;
}

static int apply_datagram(struct ctview *v, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int n = len > INT32_MAX ? INT32_MAX : (int)len;

	for (; nl_msg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR)
			return 1;	/* the dump failed: dump again later */
		(void)apply(v, nlh);	/* one bad message, not the rest */
	}
	return 0;
}

int ctview_apply_datagram(struct ctview *v, const void *buf, size_t len)
{
	int rc;

	pthread_mutex_lock(&v->mu);
	rc = apply_datagram(v, buf, len);
	pthread_mutex_unlock(&v->mu);
	return rc;
}

/* Events were lost: start again from a dump. */
static int events_lost(struct ctview *v)
{
	v->st.lost++;
	return dump_start(v) < 0 ? -1 : 0;
}

/*
 * The event socket: each event is a datagram of its own, so take them
 * CTV_BATCH a system call, up to CTV_READS calls.
 */
static int events_read(struct ctview *v)
{
	int fd = mnl_socket_get_fd(v->ev), n;

	for (int r = 0; r < CTV_READS; r++) {
		for (int i = 0; i < CTV_BATCH; i++) {
			v->iov[i].iov_base = v->evbuf[i];
			v->iov[i].iov_len = CTV_EVSZ;
			memset(&v->mm[i].msg_hdr, 0, sizeof(v->mm[i].msg_hdr));
			v->mm[i].msg_hdr.msg_iov = &v->iov[i];
			v->mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, v->mm, CTV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)
				return events_lost(v);
			return errno == EAGAIN ? 0 : -1;
		}
		for (int i = 0; i < n; i++) {
			if (v->mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				return events_lost(v);	/* never, at 4 KiB */
			(void)apply_datagram(v, v->evbuf[i],
						    v->mm[i].msg_len);
		}
		if (n < CTV_BATCH)
			return 0;
	}
	return 0;
}

/* The dump's socket: up to CTV_READS datagrams.  1: the dump ended. */
static int dump_read(struct ctview *v)
{
	ssize_t n;

	for (int i = 0; i < CTV_READS; i++) {
		n = recv(mnl_socket_get_fd(v->dump), v->buf, sizeof(v->buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		if (n == 0)
			return 0;
		if (apply_datagram(v, v->buf, (size_t)n))
			return 1;
	}
	return 0;
}

static int view_read(struct ctview *v)
{
	int rc;

	if (v->ev == NULL)
		return 0;
	if (events_read(v) < 0)
		return -1;
	if (v->dump != NULL) {
		if ((rc = dump_read(v)) < 0)
			return -1;
		if (rc == 1) {
			mnl_socket_close(v->dump);
			v->dump = NULL;
			set_synced(v);
		}
	} else if (v->full && v->st.entries < v->max / 8 * 7) {
		return dump_start(v);	/* room again: become whole */
	}
	return 0;
}

int ctview_read(struct ctview *v, int wait)
{
	int rc;

	if (wait)
		pthread_mutex_lock(&v->mu);
	else if (pthread_mutex_trylock(&v->mu) != 0)
		return 0;	/* another thread is reading them */
	rc = view_read(v);
	pthread_mutex_unlock(&v->mu);
	return rc;
}
