/*
 * priv.h: give up root once everything privileged is open, keeping only
 * CAP_NET_ADMIN, which verdicts, conntrack lookups and marks, and
 * removing the table at exit still need (nfnetlink checks it on every
 * message, against the sender as well as the socket's opener).
 *
 * priv_drop(), called by the main thread before any other thread
 * exists (capabilities are per thread; threads inherit them): the
 * bounding set loses everything but CAP_NET_ADMIN, the process becomes
 * uid:gid with that one supplementary group, its permitted and effective
 * sets hold CAP_NET_ADMIN alone, inheritable and ambient nothing, and
 * no_new_privs is set.  It checks the result (setuid(0) must fail) and
 * returns -1, logged, at the first step that does not work.
 *
 * Started as uid already (systemd's User= with AmbientCapabilities=),
 * it only narrows the capability sets.  No libcap: the capset syscall.
 */
#ifndef RSTAUDIT_PRIV_H
#define RSTAUDIT_PRIV_H

#include <sys/types.h>

/* name's uid and primary gid.  -1 with errno ENOENT when there is none. */
int	priv_lookup(const char *name, uid_t *uid, gid_t *gid);

/*
 * For the configuration check: user "" leaves *uid and *gid at -1; else
 * they are its.  Returns the errors (0 or 1), logged as "conf: user ...".
 */
int	priv_configure(const char *conf, const char *user, uid_t *uid,
	    gid_t *gid);

/*
 * Give the regular file open on fd (the event file) to uid:gid, so the
 * daemon can still reopen it after the drop.  Nothing when uid is -1,
 * we are not root, or fd is not a regular file; a failure is logged.
 */
void	priv_give(int fd, const char *path, uid_t uid, gid_t gid);

int	priv_drop(const char *name, uid_t uid, gid_t gid);

#endif
