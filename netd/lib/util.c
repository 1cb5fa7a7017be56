/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
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
		return netd_err_sys(err, errno, "mkdir %s", path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return netd_err_sys(err, errno, "mkdir %s", tmp);
		*p = '/';
	}
	if (mkdir(tmp, private_last ? 0700 : 0755) < 0 && errno != EEXIST)
		return netd_err_sys(err, errno, "mkdir %s", tmp);
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

void netd_fsync_dir(const char *dir)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		(void)fsync(fd);
}

int netd_owner_write(int fd, const char *key)
{
	int r = netd_write_all(fd, key, strlen(key));

	if (r == 0)
		r = netd_write_all(fd, "\n", 1);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}

int netd_owner_read(const char *path, char *key, size_t len, struct netd_err *err)
{
	cleanup_free char *buf = NULL;
	size_t n = 0;
	int r;

	r = netd_file_read(path, &buf, &n, err);
	if (r < 0)
		return r;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n >= len)
		return netd_err_set(err, ERANGE, "%s: owner key too long", path);
	memcpy(key, buf, n + 1);
	return 0;
}

int netd_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
			   struct netd_err *err)
{
	char tmp[PATH_MAX];
	char dir[PATH_MAX];
	cleanup_close int fd = -1;
	char *slash;
	int r;

	if (netd_path_fmt(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) < 0)
		return netd_err_set(err, ENAMETOOLONG, "write %s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return netd_err_sys(err, errno, "write %s", tmp);
	r = netd_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return netd_err_sys(err, -r, "write %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		r = errno;
		unlink(tmp);
		return netd_err_sys(err, r, "rename %s", path);
	}
	/* The rename is only durable once the directory entry is. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		netd_fsync_dir(dir);
	}
	return 0;
}

int netd_file_read(const char *path, char **out, size_t *len, struct netd_err *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	size_t cap = 0, used = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return netd_err_set(err, ENOENT, "%s: does not exist", path);
		return netd_err_sys(err, e, "read %s", path);
	}
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
	cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return netd_err_sys(err, errno, "lock %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return netd_err_sys(err, errno, "lock %s", path);
	}
	return steal_fd(&fd);
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
