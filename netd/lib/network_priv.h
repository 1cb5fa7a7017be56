/* SPDX-License-Identifier: MIT */
/* Shared between network.c, netadmin.c, network_rm.c, gc.c and doctor.c. Private to libnetd. */
#ifndef NETD_NETWORK_PRIV_H
#define NETD_NETWORK_PRIV_H

#include <stddef.h>
#include <netd/network.h>

/* Creates the default network's subnet file: a private /16 that overlaps no host route. */
int netd_default_network_create(struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;
/* Teardown flag (besides NETD_DETACH_NETNS_DYING): the caller holds the network lock. */
#define NETD_TD_LOCKED 0x100u
/*
 * Removes everything an endpoint owns (ports, veth, lease, record); goes on past errors. The
 * record is marked "removing" first and goes last; nothing happens when it is gone, or is
 * another attachment's, by the time the teardown looks (someone else tore it down).
 */
int netd_endpoint_teardown(const struct netd_endpoint *ep, struct netd_err *err) NETD_MUST_USE;
/* Teardown flag (private): delete the veth pair and wait for it, no tombstone (gc). */
#define NETD_TEARDOWN_WAIT 0x200u
int netd_endpoint_teardown_flags(const struct netd_endpoint *ep, unsigned flags,
				 struct netd_err *err) NETD_MUST_USE;
/* The same for an endpoint whose record is damaged: from what the kernel and the other state
 * files say (claims and leases naming it, the veth its key names whose alias names it). */
int netd_endpoint_teardown_damaged(const char *network, const char *id, const char *ifname,
				   unsigned flags, struct netd_err *err) NETD_MUST_USE;
void netd_endpoint_key(const struct netd_endpoint *ep, char *buf, size_t len);
/* The host veth's alias: this prefix and its owner key. gc and doctor find netd's veths by it
 * (the name alone could be anyone's). */
#define NETD_ALIAS_PREFIX "netd:"

#endif
