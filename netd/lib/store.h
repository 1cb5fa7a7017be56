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
 *
 * This header: owner keys and locks (store.c). What the locks guard has its own: ipam.h (leases),
 * endpoint_record.h (a record's text), endpoint_store.h (record files), claims.h (port claims).
 */
#ifndef NETD_STORE_H
#define NETD_STORE_H

#include <stddef.h>
#include <netd/err.h>
#include <netd/names.h>

#define NETD_KEY_MAX (NETD_NETNAME_MAX + NETD_ID_MAX + NETD_IFNAME_MAX + 3)

/* "NET/ID@IFNAME" (names must already be validated). */
int netd_store_key(char *buf, size_t len, const char *network, const char *id, const char *ifname);

/*
 * Locks: return an fd (close it to unlock). Lock order: a network lock before the ports lock,
 * never the other way. Every write of a network's leases and records happens under its lock.
 * netd_store_lock_network creates the network's state directories as needed (attach);
 * netd_store_lock_network_existing does not (-ENOENT when the network has no state).
 * network: already checked by the caller (at the door, or as a name read from the state dir).
 */
int netd_store_lock_network(const char *network, struct netd_err *err) NETD_MUST_USE;
int netd_store_lock_network_existing(const char *network, struct netd_err *err) NETD_MUST_USE;
int netd_store_lock_ports(struct netd_err *err) NETD_MUST_USE;

/* The networks that have state (networks/NAME directories), in directory order: each name is
 * checked as it is read, and one that is not a network name is skipped. Free with
 * netd_strv_free. Errors name the directory; the caller says what it was doing. */
int netd_store_networks(char ***names, size_t *n, struct netd_err *err) NETD_MUST_USE;

#endif
