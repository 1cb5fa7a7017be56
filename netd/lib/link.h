/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink through libnl-route-3: bridge, veth straight into a namespace, addresses, routes.
 * Private to libnetd. Every lookup is by name or index (no full dumps on the attach path),
 * except the few calls marked "dump", which are for gc/doctor/first use only.
 */
#ifndef NETD_LINK_H
#define NETD_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/netconf.h>

struct netd_rtnl; /* an rtnetlink socket bound to one network namespace */

/* A socket in the calling thread's current netns. */
int netd_rtnl_open(struct netd_rtnl **out, struct netd_err *err) NETD_MUST_USE;
/* A socket in the netns of netns_fd (setns there and back on this thread only). */
int netd_rtnl_open_in_netns(int netns_fd, struct netd_rtnl **out,
			    struct netd_err *err) NETD_MUST_USE;
void netd_rtnl_close(struct netd_rtnl *r);
static inline void netd_rtnl_closep(struct netd_rtnl **r)
{
	if (*r)
		netd_rtnl_close(*r);
}
#define cleanup_rtnl __attribute__((cleanup(netd_rtnl_closep)))

/* Opens a netns path (O_RDONLY|O_CLOEXEC) and checks that it is a network namespace. */
int netd_netns_open(const char *path, struct netd_err *err) NETD_MUST_USE;
/* True when netns_fd is the calling thread's own network namespace (nsfs device and inode). */
int netd_netns_is_own(int netns_fd, bool *own, struct netd_err *err) NETD_MUST_USE;

struct netd_link_info {
	int ifindex;
	unsigned mtu;
	bool up;
	uint8_t mac[6];
	int master;    /* ifindex of the master (bridge), 0 if none */
	char kind[16]; /* "bridge", "veth", "" */
	char alias[256];
};

/* -ENODEV when there is no such link. */
int netd_link_get(struct netd_rtnl *r, const char *name, struct netd_link_info *info,
		  struct netd_err *err) NETD_MUST_USE;
/* Takes a link down (an undo: a failed attach leaves the container's lo as it found it). */
int netd_link_set_down(struct netd_rtnl *r, const char *name, struct netd_err *err) NETD_MUST_USE;
/* Deletes a link by name; a missing link counts as done (returns 0). */
int netd_link_del(struct netd_rtnl *r, const char *name, struct netd_err *err) NETD_MUST_USE;

/*
 * Creates the bridge if it does not exist, sets mtu (when non-zero), adds gw/prefix (existing
 * address is fine), brings it up. Sets route_localnet=1 and arp_notify on it (via /proc/sys of the
 * current netns). Returns its ifindex.
 * created is set to true when this call created the bridge (so the caller can undo).
 */
int netd_bridge_ensure(struct netd_rtnl *r, const char *name, struct in_addr gw, unsigned prefix,
		       unsigned mtu, int *ifindex, bool *created,
		       struct netd_err *err) NETD_MUST_USE;

/*
 * Sets net.ipv4.ip_forward=1 in the current netns when it is not; switched_on says whether this
 * call turned it on (the front ends tell the user; see netd_endpoint.ip_forward_switched_on).
 */
int netd_ip_forward_on(bool *switched_on, struct netd_err *err) NETD_MUST_USE;

/* The same for net.ipv6.conf.all.forwarding. */
int netd_ip6_forward_on(bool *switched_on, struct netd_err *err) NETD_MUST_USE;

/* Adds gw6/prefix6 to the bridge, without DAD (an existing address is fine). */
int netd_bridge_addr6(struct netd_rtnl *r, const char *name, int ifindex, const struct netd_ip *gw6,
		      unsigned prefix6, struct netd_err *err) NETD_MUST_USE;

/* One key of /proc/sys/net/ipv6/conf/IFNAME/ and the value to write. */
struct netd_if_sysctl {
	const char *key, *value;
};

/* Writes the n keys of net.ipv6.conf.IFNAME as seen from the network namespace netns_fd: this
 * thread enters it once, opens every file and comes back, then writes. */
int netd_netns_ip6conf_write(int netns_fd, const char *ifname, const struct netd_if_sysctl *kv,
			     size_t n, struct netd_err *err) NETD_MUST_USE;

/*
 * One RTM_NEWLINK: a veth host_name (enslaved to master_ifindex, alias set, up) whose peer is
 * created directly in netns_fd as peer_name (with mtu, and mac when non-NULL). -EEXIST if
 * host_name exists; a peer name already present in the namespace also fails with -EEXIST.
 * Then one RTM_NEWLINK change of the host end: the alias (the kernel ignores it on create) and,
 * when master_ifindex > 0, bridge-port hairpin mode (a container reaching its own published port
 * through the host address) and, when isolated, port isolation (icc=no). On any failure nothing
 * is left on the host or in the namespace.
 */
int netd_veth_create_in_ns(struct netd_rtnl *r, const char *host_name, const char *peer_name,
			   int netns_fd, unsigned mtu, const uint8_t *mac, int master_ifindex,
			   bool isolated, const char *alias, int *host_ifindex,
			   struct netd_err *err) NETD_MUST_USE;

/* What a container's interface gets: addresses, then routes. */
struct netd_ctr_conf {
	const char *ifname;
	struct in_addr ip, gw; /* ip INADDR_ANY: no IPv4 address */
	unsigned prefix;
	struct netd_ip ip6, gw6; /* ip6.family 0: no IPv6 address */
	unsigned prefix6;
	const struct netd_route *routes; /* replace what is there for each dst (gw resolved) */
	size_t n_routes;
	bool default_if_none;  /* and a default route via gw when the namespace has none yet */
	bool default6_if_none; /* the same for IPv6, via gw6 */
	int netns_fd;	       /* the namespace (net.ipv6.conf.IFNAME); -1: not known */
};

/* Which default routes of default_if_none / default6_if_none were added. */
struct netd_ctr_defaults {
	bool v4, v6;
};

/*
 * Inside the container (ns is a socket opened in its netns): brings lo up, adds ip/prefix and
 * ip6/prefix6 (without DAD) to ifname, brings it up, installs the routes. Returns the
 * interface's ifindex and mac, and which default routes of *_if_none were added.
 */
int netd_ctr_configure(struct netd_rtnl *ns, const struct netd_ctr_conf *cc, int *ifindex,
		       uint8_t mac[6], struct netd_ctr_defaults *added,
		       struct netd_err *err) NETD_MUST_USE;

/* Inside the container: -ENOENT/-ENODEV with a clear message when ifname, an address of cc
 * (or it is still tentative) or one of cc's routes is missing; the *_if_none flags are ignored.
 */
int netd_ctr_check(struct netd_rtnl *ns, const struct netd_ctr_conf *cc,
		   struct netd_err *err) NETD_MUST_USE;

/* MTU of the interface the default route (to a public address) leaves by; 1500 if none. */
int netd_route_default_mtu(struct netd_rtnl *r, unsigned *mtu, struct netd_err *err) NETD_MUST_USE;

/* True when ip is an address of this host (its route lookup says local), as "ip route get". */
int netd_route_is_local(struct netd_rtnl *r, const struct netd_ip *ip, bool *local,
			struct netd_err *err) NETD_MUST_USE;

/* dump: true when net overlaps any route of its family in the main table (or a local address).
 */
int netd_route_overlaps(struct netd_rtnl *r, const struct netd_prefix *net, bool *overlap,
			struct netd_err *err) NETD_MUST_USE;

/*
 * dump: calls fn for every link whose alias starts with alias_prefix (for gc). fn runs after the
 * dump is complete, so it may use r (e.g. delete the link). fn < 0 stops and fails with that
 * errno; fn > 0 stops with success.
 */
typedef int (*netd_link_fn)(const char *name, const struct netd_link_info *info, void *arg);
int netd_link_foreach_alias(struct netd_rtnl *r, const char *alias_prefix, netd_link_fn fn,
			    void *arg, struct netd_err *err) NETD_MUST_USE;

#endif
