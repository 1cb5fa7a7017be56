/* SPDX-License-Identifier: MIT */
/* Shared between network.c, netadmin.c and gc.c. Private to libnetd. */
#ifndef NETD_NETWORK_PRIV_H
#define NETD_NETWORK_PRIV_H

#include <stddef.h>
#include <netd/network.h>

/* Creates the default network's subnet file: a private /16 that overlaps no host route. */
int netd_default_network_create(struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;
/* Removes everything an endpoint owns (ports, veth, lease, record); goes on past errors. */
int netd_endpoint_teardown(const struct netd_endpoint *ep, struct netd_err *err) NETD_MUST_USE;
/* Teardown flag (private): delete the veth pair and wait for it, no tombstone (gc). */
#define NETD_TEARDOWN_WAIT 0x100u
int netd_endpoint_teardown_flags(const struct netd_endpoint *ep, unsigned flags,
				 struct netd_err *err) NETD_MUST_USE;
void netd_endpoint_key(const struct netd_endpoint *ep, char *buf, size_t len);

#endif
