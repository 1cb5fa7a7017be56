/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <netd/explain.h>
#include <netd/netconf.h>
#include "util.h"

int netd_path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	return 0;
}

int netd_mkdirs(const char *path, bool private_last, struct netd_err *err)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return netd_err_set(err, ENAMETOOLONG, "mkdir %s: path too long", path);
	/* Usually everything exists already: one syscall instead of one per component. */
	if (mkdir(path, private_last ? 0700 : 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return netd_err_write(err, errno, path, "mkdir %s", path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return netd_err_write(err, errno, tmp, "mkdir %s", tmp);
		*p = '/';
	}
	if (mkdir(tmp, private_last ? 0700 : 0755) < 0 && errno != EEXIST)
		return netd_err_write(err, errno, tmp, "mkdir %s", tmp);
	return 0;
}

int netd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Whether path lies inside dir (both as given: the state and config dirs are used as is). */
static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n && strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/*
 * What is fsync'd. The state dir describes kernel objects of this boot (links, addresses,
 * nf_tables elements, the leases and claims of their addresses and ports), and a reboot takes
 * them all; after one, gc removes the last boot's records. So its files are made and replaced
 * atomically (link, rename) but not fsync'd: a process that dies leaves its writes in the page
 * cache, and a power loss can only lose facts about objects that died with it. Every fsync on
 * a disk costs milliseconds (about 2.7 ms for a file and its directory on ext4 here: five per
 * attach). Configs (the config dir, also where it lies inside the state dir) outlive a reboot
 * and are fsync'd.
 */
static bool durable_path(const char *path)
{
	return !path_under(path, netd_state_dir()) || path_under(path, netd_config_dir());
}

static void fsync_dir(const char *dir)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		(void)fsync(fd);
}

void netd_fsync_dir(const char *dir)
{
	if (durable_path(dir))
		fsync_dir(dir);
}

/* The mount point of the file system holding path (or the nearest existing parent of it). */
static void mount_point_of(const char *path, char *out, size_t len)
{
	char cur[PATH_MAX];
	struct stat st, up;
	char *slash;

	snprintf(cur, sizeof(cur), "%s", path);
	/* The nearest part of the path that exists. */
	while (stat(cur, &st) < 0) {
		slash = strrchr(cur, '/');
		if (!slash || slash == cur) {
			snprintf(out, len, "/");
			return;
		}
		*slash = '\0';
	}
	/* Up while the parent is on the same device: bounded by the path's depth. */
	for (;;) {
		slash = strrchr(cur, '/');
		if (!slash)
			break;
		if (slash == cur) {
			if (stat("/", &up) == 0 && up.st_dev == st.st_dev)
				cur[1] = '\0';
			break;
		}
		*slash = '\0';
		if (stat(cur, &up) < 0 || up.st_dev != st.st_dev) {
			*slash = '/';
			break;
		}
	}
	snprintf(out, len, "%s", cur);
}

int netd_err_write(struct netd_err *err, int code, const char *path, const char *fmt, ...)
{
	char what[NETD_ERR_MSG_MAX], mnt[PATH_MAX];
	const char *dir = NULL;
	va_list ap;

	if (code < 0)
		code = -code;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (code != ENOSPC && code != EDQUOT)
		return netd_err_sys(err, code, "%s", what);
	/* Not "range exhausted": the disk is. Say which one, so it can be freed. */
	if (path_under(path, netd_state_dir()))
		dir = netd_state_dir();
	else if (path_under(path, netd_config_dir()))
		dir = netd_config_dir();
	mount_point_of(dir ? dir : path, mnt, sizeof(mnt));
	return netd_err_set(err, code, "%s: %s: the file system mounted on %s%s%s%s is full%s",
			    what, strerror(code), mnt, dir ? " (which holds " : "", dir ? dir : "",
			    dir ? ")" : "", code == EDQUOT ? " (disk quota)" : "");
}

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISLNK(m))
		return "a symbolic link (not followed here)";
	return "not a regular file";
}

static int not_regular(const char *path, mode_t m, struct netd_err *err)
{
	return netd_err_set(err, NETD_EDAMAGED, "%s: is %s, not a regular file", path,
			    file_kind(m));
}

int netd_file_open(const char *path, unsigned flags, struct netd_err *err)
{
	bool follow = flags & NETD_FILE_FOLLOW;
	cleanup_close int fd = -1;
	struct stat st;

	/* Looked at before it is opened: opening a FIFO blocks, opening a device may act. */
	if (fstatat(AT_FDCWD, path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return netd_err_set(err, ENOENT, "%s: does not exist", path);
		return netd_err_sys(err, errno, "read %s", path);
	}
	if (!S_ISREG(st.st_mode))
		return not_regular(path, st.st_mode, err);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		if (errno == ENOENT)
			return netd_err_set(err, ENOENT, "%s: does not exist", path);
		if (errno == ELOOP && !follow)
			return not_regular(path, S_IFLNK, err);
		return netd_err_sys(err, errno, "read %s", path);
	}
	/* Swapped between the look and the open: what was opened counts. */
	if (fstat(fd, &st) < 0)
		return netd_err_sys(err, errno, "read %s", path);
	if (!S_ISREG(st.st_mode))
		return not_regular(path, st.st_mode, err);
	return steal_fd(&fd);
}

int netd_file_read(const char *path, unsigned flags, char **out, size_t *len, struct netd_err *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	size_t cap = 0, used = 0;

	fd = netd_file_open(path, flags, err);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t r;
		if (cap - used < 1024) {
			char *nb;
			if (cap >= (1u << 24))
				return netd_err_set(err, EFBIG, "read %s: file too large", path);
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb)
				return netd_err_set(err, ENOMEM, "read %s: out of memory", path);
			buf = nb;
		}
		r = read(fd, buf + used, cap - used - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return netd_err_sys(err, errno, "read %s", path);
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	*out = steal_pointer(&buf);
	return 0;
}

int netd_file_tmp(const char *dir, unsigned mode, char *tmp, size_t len, struct netd_err *err)
{
	static unsigned counter;
	int fd;

	/* O_EXCL|O_NOFOLLOW: a name someone planted (a symlink, a leftover of a reused pid) is
	 * skipped, never written through. Bounded: each try takes a fresh name. */
	for (int attempt = 0; attempt < 100; attempt++) {
		if (netd_path_fmt(tmp, len, "%s/.tmp-%d-%u", dir, (int)getpid(),
				  __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED)) < 0)
			return netd_err_set(err, ENAMETOOLONG, "%s: path too long", dir);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return netd_err_write(err, errno, tmp, "create %s", tmp);
	}
	return netd_err_set(err, EEXIST, "%s: no free temp file name (.tmp-%d-N)", dir,
			    (int)getpid());
}

/* The directory part of path, for temp files beside it; "." when there is none. */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

int netd_owner_write(int fd, const char *key)
{
	int r = netd_write_all(fd, key, strlen(key));

	/* Owner files (leases, claims) live in the state dir: not fsync'd (durable_path). */
	if (r == 0)
		r = netd_write_all(fd, "\n", 1);
	return r;
}

int netd_owner_read(const char *path, char *key, size_t len, struct netd_err *err)
{
	return netd_owner_read_known(path, NULL, key, len, err);
}

int netd_owner_read_known(const char *path, const char *known, char *key, size_t len,
			  struct netd_err *err)
{
	char net[NETD_NETNAME_MAX + 1], id[NETD_ID_MAX + 1], ifn[NETD_IFNAME_MAX + 1];
	cleanup_free char *buf = NULL;
	size_t n = 0;
	int r;

	r = netd_file_read(path, 0, &buf, &n, err);
	if (r < 0)
		return r;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	/* What is wrong is said, never what the file holds: it may not be ours. */
	if (n == 0)
		return netd_err_set(err, NETD_EDAMAGED, "%s: damaged: empty", path);
	if (n >= len)
		return netd_err_set(err, NETD_EDAMAGED, "%s: damaged: owner key too long", path);
	/* The key of names checked already is valid as it stands. */
	if (strlen(buf) != n ||
	    ((!known || strcmp(buf, known)) && !netd_key_split(buf, net, id, ifn)))
		return netd_err_set(err, NETD_EDAMAGED,
				    "%s: damaged: not an owner key (NETWORK/ID@IFNAME)", path);
	memcpy(key, buf, n + 1);
	return 0;
}

int netd_owner_replace(const char *path, const char *key, struct netd_err *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	cleanup_close int fd = -1;
	int r;

	dir_of(path, dir, sizeof(dir));
	fd = netd_file_tmp(dir, 0644, tmp, sizeof(tmp), err);
	if (fd < 0)
		return fd;
	r = netd_owner_write(fd, key);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return netd_err_write(err, -r, path, "replace %s", path);
	}
	netd_fsync_dir(dir);
	return 0;
}

bool netd_key_split(const char *key, char net[NETD_NETNAME_MAX + 1], char id[NETD_ID_MAX + 1],
		    char ifn[NETD_IFNAME_MAX + 1])
{
	const char *slash = strchr(key, '/');
	const char *at = strrchr(key, '@');

	if (!slash || !at || at < slash)
		return false;
	if ((size_t)(slash - key) > NETD_NETNAME_MAX || (size_t)(at - slash - 1) > NETD_ID_MAX ||
	    strlen(at + 1) > NETD_IFNAME_MAX)
		return false;
	snprintf(net, NETD_NETNAME_MAX + 1, "%.*s", (int)(slash - key), key);
	snprintf(id, NETD_ID_MAX + 1, "%.*s", (int)(at - slash - 1), slash + 1);
	snprintf(ifn, NETD_IFNAME_MAX + 1, "%s", at + 1);
	return netd_name_check_network(net, NULL) == 0 && netd_name_check_id(id, NULL) == 0 &&
	       netd_name_check_ifname(ifn, NULL) == 0;
}

static int write_atomic(const char *path, const void *data, size_t len, unsigned mode, bool durable,
			struct netd_err *err)
{
	char tmp[PATH_MAX];
	char dir[PATH_MAX];
	cleanup_close int fd = -1;
	int r;

	dir_of(path, dir, sizeof(dir));
	fd = netd_file_tmp(dir, mode, tmp, sizeof(tmp), err);
	if (fd < 0)
		return fd;
	r = netd_write_all(fd, data, len);
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return netd_err_write(err, -r, tmp, "write %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		r = errno;
		unlink(tmp);
		return netd_err_write(err, r, path, "rename %s", path);
	}
	/* The rename is only durable once the directory entry is. */
	if (durable)
		fsync_dir(dir);
	return 0;
}

int netd_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
			   struct netd_err *err)
{
	return write_atomic(path, data, len, mode, true, err);
}

int netd_file_replace(const char *path, const void *data, size_t len, unsigned mode,
		      struct netd_err *err)
{
	return write_atomic(path, data, len, mode, false, err);
}

int netd_sysctl_write(const char *path, const char *value, struct netd_err *err)
{
	cleanup_close int fd = -1;
	size_t len = strlen(value);
	ssize_t w;

	netd_explain("echo %s > %s", value, path);
	if (netd_explain_dry_run())
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return netd_err_sys(err, errno, "sysctl %s", path);
	w = write(fd, value, len);
	if (w < 0)
		return netd_err_sys(err, errno, "sysctl %s=%s", path, value);
	if ((size_t)w != len)
		return netd_err_sys(err, EIO, "sysctl %s=%s: short write", path, value);
	return 0;
}

int netd_sysctl_read(const char *path, char *buf, size_t len, struct netd_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return netd_err_sys(err, errno, "sysctl %s", path);
	r = read(fd, buf, len - 1);
	if (r < 0)
		return netd_err_sys(err, errno, "sysctl %s", path);
	buf[r] = '\0';
	while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
		buf[--r] = '\0';
	return 0;
}

int netd_lock_file(const char *path, struct netd_err *err)
{
	for (int attempt = 0; attempt < 64; attempt++) {
		cleanup_close int fd = -1;
		struct stat held, now;

		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
			  0600);
		if (fd < 0) {
			if (errno == ELOOP)
				return not_regular(path, S_IFLNK, err);
			return netd_err_write(err, errno, path, "lock %s", path);
		}
		if (fstat(fd, &held) < 0)
			return netd_err_sys(err, errno, "lock %s", path);
		if (!S_ISREG(held.st_mode))
			return not_regular(path, held.st_mode, err);
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR)
				return netd_err_sys(err, errno, "lock %s", path);
		}
		if (stat(path, &now) == 0 && now.st_dev == held.st_dev && now.st_ino == held.st_ino)
			return steal_fd(&fd);
		/* Its holder removed it while we waited (network rm): it protects nothing now. */
	}
	return netd_err_set(err, EAGAIN, "lock %s: removed and made again while waiting, 64 times",
			    path);
}

int netd_need_admin(const char *what, struct netd_err *err)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return 0; /* cannot tell: the kernel refuses what is not allowed */
	if (d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32)))
		return 0;
	return netd_err_set(err, EPERM,
			    "%s needs root: CAP_NET_ADMIN is not in this process's effective "
			    "capabilities (nothing was changed)",
			    what);
}

void netd_errs_note(struct netd_errs *es, int r, const struct netd_err *e)
{
	if (r >= 0 || r == -ENOENT || r == -ENODEV || r == -ESRCH)
		return;
	if (!es->first) {
		es->first = r;
		if (es->err) {
			*es->err = *e;
			es->err->code = -r;
		}
		return;
	}
	es->more++;
	/* Every error is reported, as far as the fixed buffer goes. */
	if (es->err) {
		size_t used = strlen(es->err->msg);

		if (used + 3 < sizeof(es->err->msg))
			snprintf(es->err->msg + used, sizeof(es->err->msg) - used, "; %s", e->msg);
	}
}

int netd_errs_result(struct netd_errs *es, const char *what)
{
	if (!es->first)
		return 0;
	if (!es->err)
		return es->first;
	if (es->more) {
		/* The count must survive the cut of a long message. */
		char tail[48];
		size_t used = strlen(es->err->msg), tl;

		tl = (size_t)snprintf(tail, sizeof(tail), " (%u errors in all)", es->more + 1);
		if (used + tl >= sizeof(es->err->msg))
			used = sizeof(es->err->msg) - tl - 1;
		memcpy(es->err->msg + used, tail, tl + 1);
	}
	if (what)
		netd_err_prefix(es->err, "%s", what);
	return es->first;
}

bool netd_nlmsgs_ok(const void *buf, size_t len)
{
	const char *p = buf;
	size_t off = 0;

	if (len > INT32_MAX)
		return false;
	while (len - off >= 16) {
		uint32_t l;

		memcpy(&l, p + off, sizeof(l)); /* nlmsg_len, first in the header */
		if (l < 16 || l > len - off)
			return false;
		off += ((size_t)l + 3) & ~(size_t)3;
		if (off >= len)
			break;
	}
	return true;
}

/* Strict unsigned decimal of [s, s+len): digits only, at most max. */
bool netd_parse_uint_n(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

int netd_kv_next(const char **pos, const char *end, struct netd_kv *kv)
{
	const char *p = *pos, *nl, *eq;
	unsigned lineno = kv->lineno;

	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	memset(kv, 0, sizeof(*kv));
	kv->lineno = lineno + 1;
	kv->line = p;
	kv->len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	eq = memchr(p, '=', kv->len);
	if (eq) {
		kv->key = p;
		kv->key_len = (size_t)(eq - p);
		kv->val = eq + 1;
		kv->val_len = kv->len - kv->key_len - 1;
	}
	*pos = nl ? nl + 1 : end;
	return 1;
}

uint32_t netd_hash32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

const char *netd_state_dir(void)
{
	const char *d = getenv("NETD_STATE_DIR");
	return d && *d ? d : "/var/lib/netd";
}

void netd_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int netd_grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return -ENOMEM;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}
