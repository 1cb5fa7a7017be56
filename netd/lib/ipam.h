/* SPDX-License-Identifier: MIT */
/*
 * IPAM (ipam.c): leases of a network's addresses, one file each (layout in store.h). The caller
 * holds the network lock (store.h) unless a function says otherwise. Private to libnetd.
 * network and nc->name: already checked by the caller (at the door, or as a name read from disk).
 */
#ifndef NETD_IPAM_H
#define NETD_IPAM_H

#include <stddef.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/netconf.h>

/*
 * Leases an address to key. want == INADDR_ANY: the next free address of the range after the
 * last one handed out (wrapping). Otherwise exactly want, which must lie in the subnet and not be
 * the network, broadcast or gateway address. -EADDRINUSE names the owner; -EADDRNOTAVAIL says
 * the range is exhausted (-ENOSPC is a full disk). Every lease file that exists, damaged or not,
 * holds its address: the allocator never hands out an address whose lease it cannot read.
 * The "last" hint is not moved here: netd_ipam_note_last does that once the attach succeeded.
 */
int netd_ipam_alloc(const struct netd_netconf *nc, const char *key, struct in_addr want,
		    struct in_addr *got, struct netd_err *err) NETD_MUST_USE;
/* Releases ip if key owns it (key NULL: whoever owns it); a missing lease counts as done. */
int netd_ipam_release(const char *network, struct in_addr ip, const char *key,
		      struct netd_err *err) NETD_MUST_USE;
/* The owner key of a lease; -ENOENT when free. */
int netd_ipam_owner(const char *network, struct in_addr ip, char *key, size_t len,
		    struct netd_err *err) NETD_MUST_USE;
/* Where the next allocation starts looking: after ip (only a hint; a failed attach leaves it). */
void netd_ipam_note_last(const char *network, struct in_addr ip); /* network checked */
/* A dry run's answer: the address netd_ipam_alloc would hand out (want, when it is free or
 * already key's), found by the same walk, without taking a lease or the lock. */
int netd_ipam_peek(const struct netd_netconf *nc, const char *key, struct in_addr want,
		   struct in_addr *got, struct netd_err *err) NETD_MUST_USE;
/* Rewrites the lease of ip to name key (gc's repair of a damaged or wrong lease; a missing one is
 * made). The caller holds the network lock. */
int netd_ipam_repair(const char *network, struct in_addr ip, const char *key,
		     struct netd_err *err) NETD_MUST_USE;
/* key is NULL for a damaged lease (its file unreadable as an owner key). */
typedef int (*netd_lease_fn)(struct in_addr ip, const char *key, void *arg);
/*
 * Calls fn for every IPv4 lease of the network (gc, STATUS, doctor); fn returning < 0 stops the
 * walk. A permission error fails the walk.
 */
int netd_ipam_foreach(const char *network, netd_lease_fn fn, void *arg,
		      struct netd_err *err) NETD_MUST_USE;

/*
 * IPv6 (the network's subnet6/range6): leases named by canonical text in the same directory,
 * the hint in last6. want NULL or of family 0: the next free address after the hint, probing at
 * most a fixed number of addresses (ipam.c IPAM6_MAX_PROBES) whatever the prefix size; else
 * exactly want, which must lie in subnet6 and be neither its network address nor gateway6.
 */
int netd_ipam_alloc6(const struct netd_netconf *nc, const char *key, const struct netd_ip *want,
		     struct netd_ip *got, struct netd_err *err) NETD_MUST_USE;
int netd_ipam_peek6(const struct netd_netconf *nc, const char *key, const struct netd_ip *want,
		    struct netd_ip *got, struct netd_err *err) NETD_MUST_USE;
void netd_ipam_note_last6(const char *network, const struct netd_ip *ip); /* network checked */
/* netd_ipam_release, _owner, _repair for an address of either family. */
int netd_ipam_release_ip(const char *network, const struct netd_ip *ip, const char *key,
			 struct netd_err *err) NETD_MUST_USE;
int netd_ipam_owner_ip(const char *network, const struct netd_ip *ip, char *key, size_t len,
		       struct netd_err *err) NETD_MUST_USE;
int netd_ipam_repair_ip(const char *network, const struct netd_ip *ip, const char *key,
			struct netd_err *err) NETD_MUST_USE;
/* 0 when key holds ip's lease; -ENOENT (err not set) when it is free or another's. */
int netd_ipam_owned_by(const char *network, const struct netd_ip *ip, const char *key,
		       struct netd_err *err) NETD_MUST_USE;
/* netd_ipam_foreach over the leases of both families. */
typedef int (*netd_lease_ip_fn)(const struct netd_ip *ip, const char *key, void *arg);
int netd_ipam_foreach_ip(const char *network, netd_lease_ip_fn fn, void *arg,
			 struct netd_err *err) NETD_MUST_USE;
/*
 * Removes the network's whole state directory (network rm). The caller holds the network lock
 * (lk): the lock file goes last, unlinked while held, so a waiter for it starts over and finds
 * the network gone.
 */
int netd_ipam_purge(const char *network, struct netd_err *err) NETD_MUST_USE;
/* The same, only when the network's state holds no lease and no record (an attach that found
 * its network removed undoes the directories it made). The caller holds the network lock. */
void netd_ipam_drop_empty(const char *network);

#endif
