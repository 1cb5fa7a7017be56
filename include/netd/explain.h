/* SPDX-License-Identifier: MIT */
/*
 * --explain: the shell commands a person would type to make each kernel change libnetd makes,
 * emitted by the very function that makes the change, at the moment it makes it (ip link add
 * ... for an RTM_NEWLINK, nft add element ... for a batch message, echo 1 > /proc/sys/... for a
 * sysctl write). Changes to netd's own state dir are emitted as comments ("# netd: ..."), so the
 * lines as a whole are a shell script that rebuilds the kernel side on another host.
 *
 * The library never prints: a front end installs a sink and decides where the lines go.
 * Off by default (no sink: no cost but a pointer test). Process-wide; set it before starting
 * work, from one thread.
 */
#ifndef NETD_EXPLAIN_H
#define NETD_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <netd/err.h>

/* One line, without the trailing newline. */
typedef void (*netd_explain_fn)(const char *line, void *ctx);

/* Installs the sink (fn NULL: explaining off, and dry-run off with it). */
void netd_explain_set(netd_explain_fn fn, void *ctx);

/*
 * Dry run (needs a sink): every kernel change and every state-dir write is explained but not
 * made. Read-only lookups still run, so what is already there (the bridge, table ip netd, a
 * lease) is seen as there; an address is picked as the allocator would pick it, without a lease.
 */
void netd_explain_set_dry_run(bool on);

bool netd_explain_enabled(void);
bool netd_explain_dry_run(void);

/* Emits one line (a command, or a "# ..." comment) to the sink; nothing when none is set.
 * For front ends that make kernel changes of their own (nsbox: mounts, cgroups). */
void netd_explain(const char *fmt, ...) NETD_PRINTF(1, 2);

/* Single-quotes s for a POSIX shell when it needs it ("abc" stays, "a b" -> 'a b', "it's" ->
 * 'it'\''s'); returns buf (cut at len, always terminated). */
const char *netd_explain_quote(const char *s, char *buf, size_t len);

#endif
