/* SPDX-License-Identifier: MIT */
/*
 * Small helpers that libnetd and its front ends (netd, netd-cni, nsbox) share: GNU C cleanup
 * attributes with an explicit hand-over, and the atomic file write. The library's own modules use
 * these very ones (its private util.h spells them without the prefix).
 */
#ifndef NETD_PUBLIC_UTIL_H
#define NETD_PUBLIC_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <netd/err.h>

static inline void netd_freep(void *p)
{
	free(*(void **)p);
}

/* errno survives: a cleanup that runs on an error path must not change the error it reports. */
static inline void netd_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define netd_cleanup_free  __attribute__((cleanup(netd_freep)))
#define netd_cleanup_close __attribute__((cleanup(netd_closep)))

/* Hands ownership on: returns the value and clears the variable so cleanup skips it. */
#define netd_steal_pointer(pp)                                                                     \
	({                                                                                         \
		__typeof__(*(pp)) netd_steal_tmp_ = *(pp);                                         \
		*(pp) = NULL;                                                                      \
		netd_steal_tmp_;                                                                   \
	})

static inline int netd_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

/*
 * Writes data to path via a temp file in the same dir (".tmp-PID-N", created O_EXCL|O_NOFOLLOW so
 * a planted file or symlink is never written through), fsync and rename (and fsync of the dir):
 * a reader sees the old file or the new one, never half of one.
 */
int netd_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
			   struct netd_err *err) NETD_MUST_USE;
/* The same without the fsyncs: atomic, not durable. For files a reboot makes moot anyway (a
 * container's state: its processes are gone too), where a run should not wait for the disk. */
int netd_file_replace(const char *path, const void *data, size_t len, unsigned mode,
		      struct netd_err *err) NETD_MUST_USE;

/*
 * One line of key=value text: the tokenizer that endpoint records, network definitions and
 * nsbox's container records share. It only splits; each format keeps its own rules (blank lines,
 * comments, spaces, quotes, repeated or unknown keys, a final newline).
 */
struct netd_kv {
	const char *line; /* the line, without its newline */
	size_t len;
	const char *key; /* before the first '='; NULL when the line has none */
	size_t key_len;
	const char *val; /* after it, to the end of the line */
	size_t val_len;
	unsigned lineno; /* 1 for the first line */
};

/* The next line of [*pos, end): 1 with kv filled and *pos moved past its newline, 0 at the end
 * (text ending in a newline has no empty last line). kv->lineno counts on from its last value:
 * zero kv before the first call. */
int netd_kv_next(const char **pos, const char *end, struct netd_kv *kv) NETD_MUST_USE;

#endif
