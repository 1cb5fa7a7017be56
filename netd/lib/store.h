/* SPDX-License-Identifier: MIT */
/*
 * The state dir: leases (IPAM), endpoint records and port claims, as small files written
 * atomically. Layout under $NETD_STATE_DIR:
 *
 *   networks/NET/lock                 flock held while allocating / writing records
 *   networks/NET/ips/A.B.C.D          a lease: its content is the owner key
 *   networks/NET/last                 last address handed out (allocation resumes after it)
 *   networks/NET/endpoints/ID@IFNAME  an endpoint record (key=value lines)
 *   ports.lock                        flock held while claiming host ports
 *   ports/PROTO-PORT/HOSTIP           a port claim: its content is the owner key
 *
 * An owner key is "NET/ID@IFNAME". Every operation touches a fixed number of files, so its cost
 * does not grow with the number of endpoints or ports. Private to libnetd.
 */
#ifndef NETD_STORE_H
#define NETD_STORE_H

#include <stddef.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/netconf.h>
#include <netd/network.h>
#include <netd/portspec.h>

#define NETD_KEY_MAX (NETD_NETNAME_MAX + NETD_ID_MAX + NETD_IFNAME_MAX + 3)

/* "NET/ID@IFNAME" (names must already be validated). */
int netd_store_key(char *buf, size_t len, const char *network, const char *id, const char *ifname);

/*
 * Locks: return an fd (close it to unlock). Lock order: a network lock before the ports lock,
 * never the other way. Every write of a network's leases and records happens under its lock.
 * netd_store_lock_network creates the network's state directories as needed (attach);
 * netd_store_lock_network_existing does not (-ENOENT when the network has no state).
 */
int netd_store_lock_network(const char *network, struct netd_err *err) NETD_MUST_USE;
int netd_store_lock_network_existing(const char *network, struct netd_err *err) NETD_MUST_USE;
int netd_store_lock_ports(struct netd_err *err) NETD_MUST_USE;

/* ---- IPAM (ipam.c); the caller holds the network lock ---- */

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
 * Calls fn for every lease of the network (gc, STATUS, doctor); fn returning < 0 stops the walk.
 * A permission error fails the walk.
 */
int netd_ipam_foreach(const char *network, netd_lease_fn fn, void *arg,
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

/* ---- endpoint records (store.c) ---- */

/* Text form (key=value lines) of a record, and back; exposed for unit tests. */
int netd_endpoint_format(const struct netd_endpoint *ep, char **out,
			 struct netd_err *err) NETD_MUST_USE;
int netd_endpoint_parse(const char *text, const char *where, struct netd_endpoint *ep,
			struct netd_err *err) NETD_MUST_USE;

int netd_store_endpoint_save(const struct netd_endpoint *ep, struct netd_err *err) NETD_MUST_USE;
/* -ENOENT when there is no such record. */
int netd_store_endpoint_load(const char *network, const char *id, const char *ifname,
			     struct netd_endpoint *ep, struct netd_err *err) NETD_MUST_USE;
/* A missing record counts as done. */
int netd_store_endpoint_delete(const char *network, const char *id, const char *ifname,
			       struct netd_err *err) NETD_MUST_USE;
/*
 * Every record of network (NULL: of all networks), sorted. -NETD_EDAMAGED from load (and those
 * in bad): a record file that is no such record. A permission error fails the scan: it is never
 * taken for "no record". bad NULL: damaged records are left out.
 */
int netd_store_endpoint_scan(const char *network, struct netd_endpoint **eps, size_t *n,
			     struct netd_endpoint_damaged **bad, size_t *n_bad,
			     struct netd_err *err) NETD_MUST_USE;
int netd_store_endpoint_list(const char *network, struct netd_endpoint **eps, size_t *n,
			     struct netd_err *err) NETD_MUST_USE;

/* ---- host port claims (store.c); the caller holds the ports lock ---- */

/*
 * Claims (proto, host_ip, host_port) for key. Refused with -EADDRINUSE ("port 8080/tcp is already
 * published by endpoint NET/ID@IFNAME") when the same port is claimed on the same address, or on
 * the wildcard address when host_ip is specific, or on any address when host_ip is the wildcard.
 * Claiming what key already holds succeeds.
 */
int netd_store_port_claim(const struct netd_port *p, const char *key,
			  struct netd_err *err) NETD_MUST_USE;
/* Makes key the owner of the claim (gc's repair of a damaged or wrong claim file). */
int netd_store_port_repair(const struct netd_port *p, const char *key,
			   struct netd_err *err) NETD_MUST_USE;
/* Releases the claim if key holds it (key NULL: whoever); missing counts as done, and so does a
 * damaged claim when key is given (its owner is unknown: gc decides). */
int netd_store_port_release(const struct netd_port *p, const char *key,
			    struct netd_err *err) NETD_MUST_USE;
/* The owner of exactly this claim file: -ENOENT when there is none, -NETD_EDAMAGED when it is
 * unreadable as an owner key. */
int netd_store_port_owner(const struct netd_port *p, char *owner, size_t len,
			  struct netd_err *err) NETD_MUST_USE;
/* True (1) when any claim covers (proto, port) for host_ip as claim would see it; 0 when free.
 * A damaged claim covers its port. */
int netd_store_port_claimed(const struct netd_port *p, char *owner, size_t len,
			    struct netd_err *err) NETD_MUST_USE;
/* 0 when claim would succeed for (p, key) (key NULL: any claim conflicts), else -EADDRINUSE
 * naming the owner as claim does; claims nothing. */
int netd_store_port_free(const struct netd_port *p, const char *key,
			 struct netd_err *err) NETD_MUST_USE;
/* key is NULL for a damaged claim. A permission error fails the walk. */
typedef int (*netd_portclaim_fn)(const struct netd_port *p, const char *key, void *arg);
int netd_store_port_foreach(netd_portclaim_fn fn, void *arg, struct netd_err *err) NETD_MUST_USE;

#endif
