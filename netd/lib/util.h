/* SPDX-License-Identifier: MIT */
/* Private helpers shared by libnetd's modules: cleanup attributes, ownership transfer, files. */
#ifndef NETD_UTIL_H
#define NETD_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <netd/err.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void netd_freep(void *p)
{
	free(*(void **)p);
}

static inline void netd_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define cleanup_free  __attribute__((cleanup(netd_freep)))
#define cleanup_close __attribute__((cleanup(netd_closep)))

/* Hands ownership on: returns the value and clears the variable so cleanup skips it. */
#define steal_pointer(pp)                                                                          \
	({                                                                                         \
		__typeof__(*(pp)) steal_tmp_ = *(pp);                                              \
		*(pp) = NULL;                                                                      \
		steal_tmp_;                                                                        \
	})

static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

/* For undo paths that already report a primary error: the secondary one is deliberately dropped
 * (gc finishes what they leave). A cast to void does not silence warn_unused_result in gcc. */
#define ignore_result(x)                                                                           \
	do {                                                                                       \
		__typeof__(x) ignored_ __attribute__((unused)) = (x);                              \
	} while (0)

/* snprintf into a fixed buffer; -ENAMETOOLONG when it does not fit. */
int netd_path_fmt(char *buf, size_t len, const char *fmt, ...) NETD_PRINTF(3, 4) NETD_MUST_USE;

/* mkdir -p with mode 0755 (0700 for the last component when private). */
int netd_mkdirs(const char *path, bool private_last, struct netd_err *err) NETD_MUST_USE;

/* Writes data to path via a temp file in the same dir, fsync and rename (and fsync of the dir). */
int netd_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
			   struct netd_err *err) NETD_MUST_USE;

/* Reads a whole (small) file into a NUL-terminated malloc'ed buffer. -ENOENT passes through. */
int netd_file_read(const char *path, char **out, size_t *len, struct netd_err *err) NETD_MUST_USE;

/* write(2) until done or a real error (EINTR retried); 0 or -errno. */
int netd_write_all(int fd, const void *data, size_t len) NETD_MUST_USE;
/* Makes a rename or link in dir durable; best effort. */
void netd_fsync_dir(const char *dir);
/* Owner key files (leases, port claims): "KEY\n". write: key, newline, fsync; 0 or -errno.
 * read: trailing newline stripped; -ENOENT passes through. */
int netd_owner_write(int fd, const char *key) NETD_MUST_USE;
int netd_owner_read(const char *path, char *key, size_t len, struct netd_err *err) NETD_MUST_USE;

/* Writes a short string to a /proc/sys file (no shell-out to sysctl). */
int netd_sysctl_write(const char *path, const char *value, struct netd_err *err) NETD_MUST_USE;
int netd_sysctl_read(const char *path, char *buf, size_t len, struct netd_err *err) NETD_MUST_USE;

/* An exclusive flock on path (created 0600); returns the fd, closing it unlocks. */
int netd_lock_file(const char *path, struct netd_err *err) NETD_MUST_USE;

/* FNV-1a 32-bit, for stable short interface names. */
uint32_t netd_hash32(const char *s);

#endif
