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
#include <netd/names.h>
#include <netd/util.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The shared helpers of <netd/util.h>, in the library's short spelling. */
#define cleanup_free	  netd_cleanup_free
#define cleanup_close	  netd_cleanup_close
#define steal_pointer(pp) netd_steal_pointer(pp)
#define steal_fd(fd)	  netd_steal_fd(fd)

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

/*
 * A state or config file that is there but cannot be what it claims to be: not a regular file, a
 * symlink where none belongs, empty or garbage content. Never a reason to tear anything down:
 * callers report it and gc repairs it from what the kernel and the other files say.
 */
#define NETD_EDAMAGED EUCLEAN

/* netd_file_write_atomic: <netd/util.h>. */
/* Creates dir/.tmp-PID-N (O_EXCL|O_NOFOLLOW) for a file that is then linked or renamed into
 * place; returns its fd, its name in tmp. gc removes those of writers that died. */
int netd_file_tmp(const char *dir, unsigned mode, char *tmp, size_t len,
		  struct netd_err *err) NETD_MUST_USE;

/* A path someone handed us (CNI subnetFile): a symlink may lead elsewhere. Without this flag a
 * symlink is refused: in netd's own directories it has no business. */
#define NETD_FILE_FOLLOW 0x1u
/*
 * Opens a regular file for reading: never blocks on a FIFO, never opens a device, directory or
 * socket (-NETD_EDAMAGED naming what it is), never follows a symlink unless NETD_FILE_FOLLOW.
 * -ENOENT passes through. Returns the fd.
 */
int netd_file_open(const char *path, unsigned flags, struct netd_err *err) NETD_MUST_USE;
/* Reads a whole (small) file, opened as netd_file_open does, into a NUL-terminated malloc'ed
 * buffer. -ENOENT passes through. */
int netd_file_read(const char *path, unsigned flags, char **out, size_t *len,
		   struct netd_err *err) NETD_MUST_USE;

/* write(2) until done or a real error (EINTR retried); 0 or -errno. */
int netd_write_all(int fd, const void *data, size_t len) NETD_MUST_USE;
/* Makes a rename or link in dir durable; best effort. Not in the state dir (util.c
 * durable_path: it describes this boot's kernel objects). */
void netd_fsync_dir(const char *dir);
/*
 * A failed write or create of path, as netd_err_sys reports it; when the file system is full
 * (ENOSPC, EDQUOT) the message says which one: the one holding the state or config dir.
 */
int netd_err_write(struct netd_err *err, int code, const char *path, const char *fmt, ...)
    NETD_PRINTF(4, 5);
/*
 * Owner key files (leases, port claims): "KEY\n". write: key, newline (state dir: no fsync,
 * util.c durable_path); 0 or -errno.
 * read: the key, checked to be NET/ID@IFNAME with valid names; -ENOENT passes through, an empty,
 * overlong or malformed key is -NETD_EDAMAGED (err says what is wrong, never what it holds).
 */
int netd_owner_write(int fd, const char *key) NETD_MUST_USE;
int netd_owner_read(const char *path, char *key, size_t len, struct netd_err *err) NETD_MUST_USE;
/* The same, for a reader that expects known (a key of checked names, or NULL): a file holding
 * exactly known reads as it without its names being checked again. */
int netd_owner_read_known(const char *path, const char *known, char *key, size_t len,
			  struct netd_err *err) NETD_MUST_USE;
/*
 * Replaces an owner key file (a damaged lease or claim gc repairs) with one holding key: temp
 * file, then rename over it. A directory in its place is not replaced (-EISDIR).
 */
int netd_owner_replace(const char *path, const char *key, struct netd_err *err) NETD_MUST_USE;

/* "NET/ID@IFNAME" -> its three names, each checked; false when malformed. */
bool netd_key_split(const char *key, char net[NETD_NETNAME_MAX + 1], char id[NETD_ID_MAX + 1],
		    char ifn[NETD_IFNAME_MAX + 1]);

/*
 * Commands that change or read the kernel's network state need CAP_NET_ADMIN (nf_tables refuses
 * even reads without it). -EPERM with "WHAT needs root (CAP_NET_ADMIN)" when it is not in the
 * effective set: checked first, so such a command changes nothing and reports nothing as missing.
 */
int netd_need_admin(const char *what, struct netd_err *err) NETD_MUST_USE;

/*
 * Teardown and gc go on past errors: the first error is kept (its code and message), the later
 * ones are appended to the message while it has room, and counted.
 */
struct netd_errs {
	struct netd_err *err;
	int first; /* the first error's -errno, 0 while none */
	unsigned more;
};
/* Notes r (< 0 with e filled in); ENOENT, ENODEV and ESRCH count as done. */
void netd_errs_note(struct netd_errs *es, int r, const struct netd_err *e);
/* 0, or the first error with "WHAT: " before it and "(and N more errors)" after. */
int netd_errs_result(struct netd_errs *es, const char *what);

/* Makes room in a growing array *v of n elements of size (capacity *cap, doubled when full);
 * -ENOMEM when it cannot grow, *v untouched. */
int netd_grow(void **v, size_t *cap, size_t n, size_t size) NETD_MUST_USE;

/* Writes a short string to a /proc/sys file (no shell-out to sysctl). */
int netd_sysctl_write(const char *path, const char *value, struct netd_err *err) NETD_MUST_USE;
int netd_sysctl_read(const char *path, char *buf, size_t len, struct netd_err *err) NETD_MUST_USE;

/*
 * An exclusive flock on path (created 0600); returns the fd, closing it unlocks. The holder may
 * unlink the file (network rm): a waiter that then gets the lock finds the path no longer names
 * the file it locked and starts over, so a removed lock never protects anything.
 */
int netd_lock_file(const char *path, struct netd_err *err) NETD_MUST_USE;

/*
 * Whether a datagram of netlink messages is well formed: every header whole, every nlmsg_len
 * at least a header and within what is left. libmnl's own check casts nlmsg_len to int, so a
 * length above 2 GiB passes it and the walk runs off the buffer: replies are checked with this
 * before they are handed to libmnl.
 */
bool netd_nlmsgs_ok(const void *buf, size_t len);
/* errno after a failed libmnl callback run, as a positive errno; a value no kernel sends (an
 * error field of INT_MIN in a hostile reply) is EPROTO. */
static inline int netd_nl_errno_sane(void)
{
	return errno > 0 && errno < 4096 ? errno : EPROTO;
}

/* Strict unsigned decimal of [s, s+len): digits only, at most max (records, claim dirs). */
bool netd_parse_uint_n(const char *s, size_t len, uint64_t max, uint64_t *out) NETD_MUST_USE;

/* FNV-1a 32-bit, for stable short interface names. */
uint32_t netd_hash32(const char *s);

/* A protocol's name as netd writes it into records and claim directories ("tcp", exactly, not
 * "TCP"), len bytes of name; 0 when unknown. The table lives in portspec.c. */
uint8_t netd_proto_from_text(const char *name, size_t len);

#endif
