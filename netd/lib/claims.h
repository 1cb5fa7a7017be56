/* SPDX-License-Identifier: MIT */
/*
 * Host port claims (claims.c): ports/PROTO-PORT/HOSTIP, each holding its owner key (layout in
 * store.h). The caller holds the ports lock (store.h). Private to libnetd.
 */
#ifndef NETD_CLAIMS_H
#define NETD_CLAIMS_H

#include <stddef.h>
#include <netd/err.h>
#include <netd/portspec.h>

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
