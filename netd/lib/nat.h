/* SPDX-License-Identifier: MIT */
/*
 * nf_tables through libnftnl + libmnl: our own table "ip netd" only. Published ports are
 * elements of maps, so a publish is one element add in one atomic batch. nat.c talks to the
 * kernel; nat_build.h has the pure builders it sends. Everything acts on the calling thread's
 * current netns. Private to libnetd.
 */
#ifndef NETD_NAT_H
#define NETD_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/netconf.h>
#include <netd/portspec.h>
#include "nat_build.h"

/*
 * Tables ip netd and ip6 netd: the same chains and sets per family (ip6 has no guard and no DNS
 * scope rules), made and replaced together. Creates table ip netd with its chains, maps and base
 * rules if it does not exist (atomic: one batch whose first message is an exclusive NEWTABLE, so
 * concurrent callers cannot duplicate rules). Idempotent: 0. A table of an older layout (its
 * comment says which) is replaced in one batch; then 1 is returned: its elements are gone, and the
 * caller puts them back from state (netd_network_restore_nat).
 */
int netd_nat_ensure(struct netd_err *err) NETD_MUST_USE;
/* Deletes the whole table (every trace of us in nf_tables); missing counts as done. */
int netd_nat_destroy(struct netd_err *err) NETD_MUST_USE;
/* Both tables exist. */
bool netd_nat_table_exists(void);
/* Whether table ip netd exists: 0 with *exists, or the error that kept us from knowing (EPERM:
 * nf_tables answers nothing without CAP_NET_ADMIN; that is never "missing"). */
int netd_nat_table_probe(bool *exists, struct netd_err *err) NETD_MUST_USE;

/* One GETTABLE (and a GETCHAIN for a table without comment); all false/0 when there is no
 * table (or nf_tables cannot be asked). */
void netd_nat_table_get(struct netd_nat_table *info);
/* The same, telling "no table" (0, info->exists false) from "could not ask" (the error: EPERM
 * without CAP_NET_ADMIN is never "missing"). */
int netd_nat_table_query(struct netd_nat_table *info, struct netd_err *err) NETD_MUST_USE;
/* The same for table ip6 netd. */
int netd_nat_table_query6(struct netd_nat_table *info, struct netd_err *err) NETD_MUST_USE;
void netd_nat_table_get6(struct netd_nat_table *info);

/* Adds (idempotent) / removes (missing is fine) a network's masquerade and isolation entries. */
int netd_nat_network_add(const struct netd_nat_net *net, struct netd_err *err) NETD_MUST_USE;
int netd_nat_network_del(const struct netd_nat_net *net, struct netd_err *err) NETD_MUST_USE;

/*
 * What one attach adds, in one batch: the network's elements (as netd_nat_network_add) and the
 * endpoint's ports (as netd_nat_publish). The caller has made sure of the table
 * (netd_nat_ensure); a table deleted meanwhile is made again once.
 */
int netd_nat_attach(const struct netd_nat_net *net, const struct netd_port *ports, size_t n,
		    const struct netd_nat_ctr *ctr, struct netd_err *err) NETD_MUST_USE;
/*
 * Publishes ports (host_port already resolved) to ctr in one batch: all or nothing. A port of a
 * family ctr has no address of: -EAFNOSUPPORT.
 * An element that already exists fails the batch with -EEXIST naming the port.
 */
int netd_nat_publish(const struct netd_port *ports, size_t n, const struct netd_nat_ctr *ctr,
		     struct netd_err *err) NETD_MUST_USE;
/* Removes ports' elements in one batch; elements already gone are fine. */
int netd_nat_unpublish(const struct netd_port *ports, size_t n, const struct netd_nat_ctr *ctr,
		       struct netd_err *err) NETD_MUST_USE;
/* True when the map holds this port's element pointing at ctr (CHECK). */
int netd_nat_port_lookup(const struct netd_port *p, const struct netd_nat_ctr *ctr, bool *present,
			 struct netd_err *err) NETD_MUST_USE;
/* Number of elements in our port maps, both tables (tests count leftovers). */
int netd_nat_count_ports(size_t *n, struct netd_err *err) NETD_MUST_USE;

#endif
