/* SPDX-License-Identifier: MIT */
/*
 * Tombstones: a detach that does not wait for the kernel to unregister its veth pair.
 *
 * RTM_DELLINK of a veth returns only once the kernel has unregistered both ends (an RCU barrier:
 * ~16-25 ms here), most of a CNI DEL. Instead both ends are renamed to "nt" + 8 hex digits of
 * the host end's ifindex, so CNI_IFNAME and the host name are free at once, and the host end is
 * taken down (the pair carries nothing from then on); a deleter (a child sharing its parent's
 * memory but no fd, in a session of its own) deletes the pair by the host end's ifindex. The host
 * end keeps its alias, so gc also knows it when everything else is lost (its record is gone: an
 * orphan). While the deleter works it holds the flock of $NETD_STATE_DIR/tombstones/NAME; gc and
 * `netd serve` finish tombstones whose file is not locked (their deleter died). Private to libnetd.
 */
#ifndef NETD_TOMBSTONE_H
#define NETD_TOMBSTONE_H

#include <stdbool.h>
#include <netd/err.h>

struct netd_rtnl;

/*
 * Buries the veth pair whose host end is host_ifname (alias must be its alias: otherwise it is
 * not ours and -EPERM is returned) and whose container end is ctr_ifname inside netns (a path).
 * 0: buried, or gone with its namespace (nothing left to wait for); -ENODEV: no such host link;
 * another negative errno: the caller deletes the pair itself (at worst its container end is
 * renamed).
 */
int netd_tomb_bury(struct netd_rtnl *rt, const char *host_ifname, const char *alias,
		   const char *ctr_ifname, const char *netns, struct netd_err *err) NETD_MUST_USE;

/* True when name is a tombstone whose deleter is at work (not a leak to report). */
bool netd_tomb_pending(const char *name);

/*
 * Deletes the pairs of tombstones whose deleter died (when the host end at that ifindex still
 * carries the alias recorded in the tombstone) and their files; returns how many links it
 * deleted. For gc and serve.
 */
unsigned netd_tomb_sweep(struct netd_rtnl *rt);

/* True when a tombstone is left whose deleter died (serve's cheap per-step look). */
bool netd_tomb_stale(void);

#endif
