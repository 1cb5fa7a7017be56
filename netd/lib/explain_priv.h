/* SPDX-License-Identifier: MIT */
/* --explain helpers private to libnetd (see include/netd/explain.h). */
#ifndef NETD_EXPLAIN_PRIV_H
#define NETD_EXPLAIN_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <netd/explain.h>

/* Dry run: true when the caller must explain a change and not make it. */
static inline bool netd_dry(void)
{
	return netd_explain_dry_run();
}

/* netd_netns_open remembers which path a namespace was opened by (keyed by the nsfs inode), so
 * commands can name it as a person would: "ip -n c1", "netns c1", "nsenter --net=PATH". */
void netd_explain_netns_register(int netns_fd, const char *path);

/* The netns argument of "ip link add ... netns X" for netns_fd: a /run/netns name or a path. */
void netd_explain_netns_arg(int netns_fd, char *buf, size_t len);

/* "ip" when sock_fd (a netlink socket) lives in the calling thread's netns, else "ip -n NAME"
 * or "nsenter --net=PATH ip". */
void netd_explain_ip(int sock_fd, char *buf, size_t len);

/* Dry run: a made-up ifindex standing for a link that would have been created (the bridge), so
 * later steps can still name it; netd_explain_ifname resolves it (or a real one). */
int netd_explain_fake_ifindex(const char *name);
void netd_explain_ifname(int ifindex, char *buf, size_t len);

/* "IP addr add A/P [broadcast B] dev DEV", as netd_nl_addr_add makes it (broadcast below /31);
 * ip is the command prefix from netd_explain_ip. */
struct in_addr;
void netd_explain_addr_add(const char *ip, const char *dev, struct in_addr a, unsigned prefix);

#endif
