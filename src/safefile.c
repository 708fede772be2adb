/*
 * safefile.c: trusted directories and files (see safefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "safefile.h"

/* "uid 1000 (alice)" */
static const char *owner_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	snprintf(buf, len, "uid %ld%s%s%s", (long)uid, pw ? " (" : "",
		 pw ? pw->pw_name : "", pw ? ")" : "");
	return buf;
}

/* One directory of the path: 0, or -1 with the reason in err. */
static int dir_trusted(const char *path, const struct stat *st, uid_t uid,
		       int self, char *err, size_t errlen)
{
	char who[96];

	if (st->st_uid != 0 && st->st_uid != uid) {
		snprintf(err, errlen, "%s is owned by %s, not root or the "
			 "daemon's user: that user could read, rename or remove "
			 "what is written there; chown it", path,
			 owner_name(st->st_uid, who, sizeof(who)));
		return -1;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    (self || !(st->st_mode & S_ISVTX))) {
		snprintf(err, errlen, "%s is writable by %s (mode %04o): anyone "
			 "there could plant or remove files; chmod go-w it, or "
			 "use a directory of the daemon's own", path,
			 (st->st_mode & S_IWOTH) ? "everyone" : "its group",
			 (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

int safefile_dir_check(const char *dir, uid_t uid, char *err, size_t errlen)
{
	char path[PATH_MAX], *slash;
	struct stat st;
	int self = 1;

	if (uid == (uid_t)-1)
		uid = geteuid();
	if (realpath(dir, path) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (;;) {
		if (stat(path, &st) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (self && !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: %s", path, strerror(ENOTDIR));
			errno = ENOTDIR;
			return -1;
		}
		if (dir_trusted(path, &st, uid, self, err, errlen) < 0) {
			errno = EPERM;
			return -1;
		}
		if (strcmp(path, "/") == 0)
			return 0;
		slash = strrchr(path, '/');
		slash[slash == path] = '\0';	/* "/a" -> "/", "/a/b" -> "/a" */
		self = 0;
	}
}

/* The file open on fd may be appended to: say why not, else 0. */
static int file_trusted(int fd, const char *path, uid_t uid)
{
	char who[96];
	struct stat st;

	if (fstat(fd, &st) < 0) {
		log_warn("%s", path);
		return -1;
	}
	if (S_ISCHR(st.st_mode))
		return 0;	/* /dev/null: only root makes devices */
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s: not a regular file; events go only to one", path);
		errno = EINVAL;
		return -1;
	}
	if (st.st_nlink != 1) {
		log_warnx("%s: %lu names for one file (hard links): events go "
			  "only to a file of their own; remove it or give another "
			  "path", path, (unsigned long)st.st_nlink);
		errno = EPERM;
		return -1;
	}
	/* An earlier run as another user (-u) leaves it that user's. */
	if (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != uid)
		log_warnx("%s: owned by %s, who can read and change the events; "
			  "chown it", path, owner_name(st.st_uid, who, sizeof(who)));
	return 0;
}

FILE *safefile_append(const char *path, uid_t uid)
{
	int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	int fd, saved;
	FILE *fp;

	/* Made here: its mode is ours, whatever the umask. */
	if ((fd = open(path, flags | O_CREAT | O_EXCL, SAFEFILE_MODE)) >= 0)
		(void)fchmod(fd, SAFEFILE_MODE);
	else if (errno == EEXIST)
		fd = open(path, flags);	/* O_NONBLOCK: a FIFO must not hang us */
	if (fd < 0) {
		if (errno == ELOOP)
			log_warnx("%s: a symbolic link; the event file is "
				  "never opened through one", path);
		if (errno == ENXIO) {	/* a FIFO nobody reads, a socket */
			log_warnx("%s: not a regular file; events go only to "
				  "one", path);
			errno = EINVAL;
		}
		return NULL;
	}
	if (file_trusted(fd, path, uid) < 0 ||
	    fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) < 0 ||
	    (fp = fdopen(fd, "a")) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	return fp;
}

int safefile_ours(int dfd, const char *name, uid_t uid)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode) && st.st_uid == uid;
}
