/*
 * priv.c: the privilege drop (see priv.h).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "log.h"
#include "priv.h"

#define KEEP_CAP	CAP_NET_ADMIN
#define KEEP_MASK	(1u << KEEP_CAP)	/* CAP_NET_ADMIN is 12: word 0 */

int priv_lookup(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int priv_configure(const char *conf, const char *user, uid_t *uid,
		   gid_t *gid)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (user[0] == '\0' || priv_lookup(user, uid, gid) == 0)
		return 0;
	if (errno == ENOENT)
		log_warnx("%s: user %s: no such user", conf, user);
	else
		log_warn("%s: user %s", conf, user);
	return 1;
}

void priv_give(int fd, const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	if (uid == (uid_t)-1 || geteuid() != 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_uid == uid)
		return;
	if (fchown(fd, uid, gid) < 0)
		log_warn("%s: cannot give it to uid %u; SIGHUP will not reopen it",
			 path, (unsigned)uid);
}

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(d, 0, 2 * sizeof(*d));
	return (int)syscall(SYS_capget, &h, d);
}

/* Permitted and effective: CAP_NET_ADMIN alone; inheritable: none. */
static int caps_keep_one(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = KEEP_MASK;
	return (int)syscall(SYS_capset, &h, d);
}

/* Every capability but CAP_NET_ADMIN out of the bounding set. */
static int bounding_drop(void)
{
	int cap, in;

	for (cap = 0; cap < 64; cap++) {
		if (cap == KEEP_CAP)
			continue;
		in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (in < 0 && errno == EINVAL)
			return 0;	/* past the kernel's last capability */
		if (in <= 0)
			continue;	/* already out (systemd's bounding set) */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -1;
	}
	return 0;
}

/* Become uid:gid, keeping the permitted set across setresuid(). */
static int become(uid_t uid, gid_t gid)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setgroups(1, &gid) < 0 ||
	    setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -1;
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

/* What we meant: no way back to root, CAP_NET_ADMIN and nothing else. */
static int priv_check(uid_t uid)
{
	struct __user_cap_data_struct d[2];
	uid_t r, e, s;

	if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid) {
		log_warnx("privilege drop: still uid %u/%u/%u", (unsigned)r,
			  (unsigned)e, (unsigned)s);
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		log_warnx("privilege drop: setuid(0) still works");
		return -1;
	}
	if (caps_get(d) < 0) {
		log_warn("privilege drop: capget");
		return -1;
	}
	if (d[0].effective != KEEP_MASK || d[0].permitted != KEEP_MASK ||
	    d[0].inheritable != 0 || d[1].effective || d[1].permitted ||
	    d[1].inheritable) {
		log_warnx("privilege drop: capabilities are %08x%08x, not "
			  "CAP_NET_ADMIN alone", d[1].effective, d[0].effective);
		return -1;
	}
	return 0;
}

int priv_drop(const char *name, uid_t uid, gid_t gid)
{
	struct __user_cap_data_struct d[2];

	if (caps_get(d) < 0 || !(d[0].permitted & KEEP_MASK)) {
		log_warnx("user %s: this process lacks CAP_NET_ADMIN; start it as "
			  "root or with that capability", name);
		return -1;
	}
	if (geteuid() == 0 && uid != 0) {
		if (bounding_drop() < 0) {
			log_warn("user %s: cannot narrow the bounding set", name);
			return -1;
		}
		if (become(uid, gid) < 0) {
			log_warn("user %s: cannot switch to uid %u gid %u", name,
				 (unsigned)uid, (unsigned)gid);
			return -1;
		}
	} else if (getuid() != uid || geteuid() != uid) {
		log_warnx("user %s: cannot switch from uid %u to %u without root; "
			  "start as root, or leave user unset", name,
			  (unsigned)geteuid(), (unsigned)uid);
		errno = EPERM;
		return -1;
	}
	if (caps_keep_one() < 0) {
		log_warn("user %s: cannot keep CAP_NET_ADMIN alone", name);
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("user %s: cannot clear ambient capabilities", name);
		return -1;
	}
	if (priv_check(uid) < 0)
		return -1;
	log_info("running as %s (uid %u, gid %u) with CAP_NET_ADMIN only", name,
		 (unsigned)uid, (unsigned)gid);
	return 0;
}
