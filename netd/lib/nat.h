/* SPDX-License-Identifier: MIT */
/*
 * nf_tables through libnftnl + libmnl: our own table "ip netd" only. Published ports are
 * elements of maps, so a publish is one element add in one atomic batch. Also conntrack
 * flushing (ctnetlink) and the "is a host process listening on this port" check (sock_diag).
 * Everything acts on the calling thread's current netns. Private to libnetd.
 */
#ifndef NETD_NAT_H
#define NETD_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/portspec.h>

#define NETD_NFT_TABLE "netd"

/* A network as nat.c needs it: its bridge, subnet and whether egress is masqueraded. */
struct netd_nat_net {
	const char *bridge;
	struct in_addr subnet;
	unsigned prefix;
	bool masquerade;
};

/*
 * Creates table ip netd with its chains, maps and base rules if it does not exist (atomic: one
 * batch whose first message is an exclusive NEWTABLE, so concurrent callers cannot duplicate
 * rules). Idempotent.
 */
int netd_nat_ensure(struct netd_err *err) NETD_MUST_USE;
/* Deletes the whole table (every trace of us in nf_tables); missing counts as done. */
int netd_nat_destroy(struct netd_err *err) NETD_MUST_USE;
bool netd_nat_table_exists(void);

/* Adds (idempotent) / removes (missing is fine) a network's masquerade and isolation entries. */
int netd_nat_network_add(const struct netd_nat_net *net, struct netd_err *err) NETD_MUST_USE;
int netd_nat_network_del(const struct netd_nat_net *net, struct netd_err *err) NETD_MUST_USE;

/*
 * Publishes ports (host_port already resolved) to ctr_ip in one batch: all or nothing.
 * An element that already exists fails the batch with -EEXIST naming the port.
 */
int netd_nat_publish(const struct netd_port *ports, size_t n, struct in_addr ctr_ip,
		     struct netd_err *err) NETD_MUST_USE;
/* Removes ports' elements in one batch; elements already gone are fine. */
int netd_nat_unpublish(const struct netd_port *ports, size_t n, struct in_addr ctr_ip,
		       struct netd_err *err) NETD_MUST_USE;
/* True when the map holds this port's element pointing at ctr_ip (CHECK). */
int netd_nat_port_lookup(const struct netd_port *p, struct in_addr ctr_ip, bool *present,
			 struct netd_err *err) NETD_MUST_USE;
/* Number of elements in our port maps (tests count leftovers). */
int netd_nat_count_ports(size_t *n, struct netd_err *err) NETD_MUST_USE;

/* Deletes conntrack entries whose original destination is (proto, host_port) [and host_ip]. */
int netd_conntrack_flush_port(const struct netd_port *p, struct netd_err *err) NETD_MUST_USE;

/* sock_diag: true when a socket of this netns listens on (proto, port) at host_ip or wildcard. */
int netd_port_in_use(const struct netd_port *p, bool *in_use, struct netd_err *err) NETD_MUST_USE;

#endif
