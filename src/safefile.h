/*
 * safefile.h: the directories and files the daemon writes (the event
 * file, the evidence directory), trusted only as far as OpenSSH's
 * StrictModes trusts ~/.ssh: owned by root or the daemon's own user,
 * writable by nobody else, never reached through a symbolic link.
 */
#ifndef RSTAUDIT_SAFEFILE_H
#define RSTAUDIT_SAFEFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* The mode of every file the daemon makes (events, evidence). */
#define SAFEFILE_MODE	0640

/*
 * Is dir one only root or uid can change?  It must be a directory owned
 * by root or uid (-1: the caller's effective user) and writable by no one
 * else; each directory above it must be owned by root or uid and not
 * writable by others unless sticky (as /tmp: no one can rename what is
 * not theirs there).  0, or -1 with errno (EPERM when the directory is
 * not trusted) and a message in err naming the directory and the fix.
 */
int	safefile_dir_check(const char *dir, uid_t uid, char *err, size_t errlen);

/*
 * Open path to append to it: never through a symbolic link (O_NOFOLLOW),
 * only a regular file with one link or a device such as /dev/null (not a
 * FIFO or socket); a warning when neither root, the caller nor uid owns
 * it.  Created SAFEFILE_MODE whatever the umask.  NULL with errno (ELOOP:
 * a symlink; EPERM: a hard link; EINVAL: not a regular file) after a
 * message naming path and why.
 */
FILE	*safefile_append(const char *path, uid_t uid);

/*
 * Is the entry name in the directory dfd a file the daemon made: a
 * regular file (not followed if a link), owned by uid?  1 or 0.
 */
int	safefile_ours(int dfd, const char *name, uid_t uid);

#endif
