/* SPDX-License-Identifier: MIT */
#ifndef NETD_NETWORK_H
#define NETD_NETWORK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/names.h>
#include <netd/netconf.h>
#include <netd/portspec.h>

#define NETD_NETNS_PATH_MAX 256
#define NETD_ALIASES_MAX    16 /* aliases per endpoint */

/* Whether an attach gives the container its IPv4 default route via the network's gateway (a
 * 0.0.0.0/0 entry in the network's routes always does). */
enum netd_default_route {
	NETD_DEFAULT_ROUTE_AUTO = 0, /* only when the namespace has none yet: its first interface */
	NETD_DEFAULT_ROUTE_ALWAYS,   /* replace the one it has */
	NETD_DEFAULT_ROUTE_NEVER,
};

struct netd_attach_req {
	const char *network; /* NULL: the default network, created on first use */
	const char *netns;   /* path to a network namespace (/run/netns/x, /proc/PID/ns/net) */
	const char *id;
	const char *ifname; /* NULL: "eth0" */
	struct in_addr ip;  /* INADDR_ANY: allocate from the range */
	/* family 0: allocate from range6 when the network has an IPv6 subnet (none otherwise) */
	struct netd_ip ip6;
	bool has_mac;
	uint8_t mac[6];
	unsigned mtu; /* 0: the network's */
	const struct netd_port *ports;
	size_t n_ports;
	/* The address comes from someone else (a delegated CNI IPAM plugin): take no lease for ip,
	 * use prefix and gateway as given. */
	bool external_ipam;
	unsigned prefix;
	struct in_addr gateway;
	unsigned prefix6; /* with ip6 and gateway6, when external_ipam hands out an IPv6 address */
	struct netd_ip gateway6;
	/* Publish a port even when a host process listens on it. CNI runtimes hold the host ports
	 * they asked for open themselves as a reservation (podman's conmon, kubelet's hostport
	 * manager); DNAT wins over such a socket, and refusing would break podman's network reload.
	 */
	bool ignore_host_listeners;
	/* Names other endpoints of the network find this one by (include/netd/dns.h): each a DNS
	 * label, unique on the network; NULL / 0: none. A name given twice counts once. */
	const char *name;
	const char *const *aliases;
	size_t n_aliases;
	enum netd_default_route default_route;
	/* The bridge gets no address (CNI "isGateway": false): a layer-2 segment whose router, if
	 * any, is elsewhere; the host does not route to it, so no port can be published. */
	bool bridge_no_address;
};

/* An attachment of a namespace to a network, as recorded in the state dir. */
struct netd_endpoint {
	char network[NETD_NETNAME_MAX + 1];
	char id[NETD_ID_MAX + 1];
	char ifname[NETD_IFNAME_MAX + 1];
	char host_ifname[NETD_IFNAME_MAX + 1];
	char bridge[NETD_IFNAME_MAX + 1];
	char netns[NETD_NETNS_PATH_MAX];
	uint8_t mac[6];
	struct in_addr ip, gateway;
	unsigned prefix;
	struct netd_ip ip6, gateway6; /* ip6.family 0: the endpoint has no IPv6 address */
	unsigned prefix6;
	unsigned mtu;
	int host_ifindex, ctr_ifindex;
	time_t created;
	char state[16];		 /* "creating" while an attach runs, "ready", "removing" while a
				    teardown runs */
	int pid;		 /* the attaching or removing process, while it runs */
	bool external_ipam;	 /* the address came from another IPAM (no lease of ours) */
	struct netd_port *ports; /* host ports resolved */
	size_t n_ports;
	char name[NETD_DNSNAME_MAX + 1]; /* "" when none */
	char aliases[NETD_ALIASES_MAX][NETD_DNSNAME_MAX + 1];
	size_t n_aliases;
	/* Routes installed in the container (gateways resolved), its default route among them
	 * when this attach gave it one. */
	struct netd_route routes[NETD_ROUTES_MAX + 2]; /* + a default route per family */
	size_t n_routes;
	/*
	 * Not recorded: this attach switched net.ipv4.ip_forward from 0 to 1. Also set when the
	 * attach failed afterwards (the switch is not undone: other networks may rely on it). The
	 * library never prints; front ends say so on stderr with netd_ip_forward_notice().
	 */
	bool ip_forward_switched_on;
	/* Not recorded: the same for net.ipv6.conf.all.forwarding (netd_ip6_forward_notice()). */
	bool ip6_forward_switched_on;
};

/* What turning on IP forwarding means for the host, in one line (no trailing newline). */
const char *netd_ip_forward_notice(void);
/* The same for IPv6 forwarding, which also stops the host accepting router advertisements. */
const char *netd_ip6_forward_notice(void);

void netd_endpoint_clear(struct netd_endpoint *ep);
void netd_endpoints_free(struct netd_endpoint *eps, size_t n);

/*
 * Loads the network, creating the default network's subnet file on first use (a private /16
 * that overlaps no host route). nc may be NULL.
 */
int netd_network_open(const char *name, struct netd_netconf *nc,
		      struct netd_err *err) NETD_MUST_USE;

/*
 * Attaches a namespace: bridge (if needed), veth whose peer lands in the namespace as ifname,
 * address, routes (see default_route), published ports. The caller's own network namespace is
 * refused, and so is a network whose name or subnet another network of the host holds. On
 * failure nothing is left behind (the bridge too, when this attach made it and no other
 * endpoint of the network has appeared since).
 */
int netd_network_attach(const struct netd_attach_req *req, struct netd_endpoint *ep,
			struct netd_err *err) NETD_MUST_USE;

/*
 * Whether an attach to network (NULL: the default) could publish ports now, claiming nothing:
 * the network allows published ports, and no fixed host port is named twice, on an address not
 * of this host, claimed by an endpoint or bound by a host process (a host port attach chooses,
 * 0 or a range, is not looked at). Lets a front end refuse before it creates anything; attach
 * checks again under its lock. Costs per port, not per endpoint.
 */
int netd_ports_check(const char *network, const struct netd_port *ports, size_t n,
		     struct netd_err *err) NETD_MUST_USE;

/* The first ethN (N from 0) that names no interface in the namespace at netns: the ifname
 * for one more network of a running container. */
int netd_netns_free_ifname(const char *netns, char *out, size_t len,
			   struct netd_err *err) NETD_MUST_USE;

/* Undoes an attach from host-side state; what is already gone counts as done. */
int netd_network_detach(const char *network, const char *id, const char *ifname,
			struct netd_err *err) NETD_MUST_USE;

/*
 * The caller made the namespace and knows it is dying: no process is left in it and nothing
 * holds it (nsbox after its container's PID 1 was reaped). The kernel then destroys the veth
 * pair with the namespace, in its own worker; deleting it here would wait for the same
 * unregister (an RCU barrier, most of a container's network teardown). A pair that outlives
 * this anyway is found by its alias: the next attach of the same endpoint, and gc, delete it.
 */
#define NETD_DETACH_NETNS_DYING 0x1u
int netd_network_detach_flags(const char *network, const char *id, const char *ifname,
			      unsigned flags, struct netd_err *err) NETD_MUST_USE;

/* Verifies every part of an attachment (interface, address, route, lease, ports). */
int netd_network_check(const char *network, const char *id, const char *ifname, const char *netns,
		       struct netd_err *err) NETD_MUST_USE;

int netd_endpoint_get(const char *network, const char *id, const char *ifname,
		      struct netd_endpoint *ep, struct netd_err *err) NETD_MUST_USE;
/* Endpoints of one network (or all when network is NULL); damaged records are left out. */
int netd_endpoint_list(const char *network, struct netd_endpoint **eps, size_t *n,
		       struct netd_err *err) NETD_MUST_USE;

/*
 * An endpoint record that is there but cannot be read as one (garbage, truncated, a symlink, a
 * FIFO or directory in its place): who its file name says it is, and why it is unreadable.
 * detach tears such an endpoint down from what the kernel and the other state files say; gc does
 * once its veth (and so its namespace) is gone.
 */
struct netd_endpoint_damaged {
	char network[NETD_NETNAME_MAX + 1];
	char id[NETD_ID_MAX + 1];
	char ifname[NETD_IFNAME_MAX + 1];
	char why[NETD_ERR_MSG_MAX]; /* names the file; never quotes what it holds */
};

/* netd_endpoint_list plus the damaged records (free *bad with free()). */
int netd_endpoint_scan(const char *network, struct netd_endpoint **eps, size_t *n,
		       struct netd_endpoint_damaged **bad, size_t *n_bad,
		       struct netd_err *err) NETD_MUST_USE;

struct netd_gc_stats {
	unsigned endpoints; /* endpoints detached */
	unsigned veths;	    /* orphan veths deleted */
	unsigned leases;    /* orphan leases released */
	unsigned ports;	    /* orphan port claims / map elements removed */
	unsigned repaired;  /* leases and port claims rewritten from the records */
	unsigned damaged;   /* damaged records left alone: their veth (their namespace) lives */
	unsigned conflicts; /* addresses or ports two live records claim: reported, not touched */
};

/* keep: the (id, ifname) pairs to keep, as CNI GC's valid-attachments; NULL keeps every live one.
 */
struct netd_attachment_ref {
	const char *id;
	const char *ifname;
};

/*
 * Converges the host to what it can trust, kernel first: removes endpoints whose namespace is
 * gone, orphan veths, leases and map elements; repairs leases and port claims of live endpoints
 * from their records; puts table ip netd back from the records. Never tears down an endpoint
 * because a file about it is damaged. With keep, also removes every endpoint of network not
 * listed there. Goes on past errors: returns the first, err names it and counts the others.
 */
int netd_gc(const char *network, const struct netd_attachment_ref *keep, size_t n_keep,
	    struct netd_gc_stats *st, struct netd_err *err) NETD_MUST_USE;

/* Defines a network from nc if it is not defined, or rewrites its subnet file when nc differs
 * (the CNI plugin defines its network from the CNI config on every ADD). */
int netd_network_ensure(struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;
/* Creates a network's subnet file (after validation; -EEXIST when defined). */
int netd_network_create(struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;
/*
 * Removes a network: refuses while endpoints exist unless force (then detaches them; an attach or
 * detach still running is waited for by no one: -EBUSY). Holds the network's lock throughout, so
 * a concurrent attach either finishes first (and rm refuses or detaches it) or finds the network
 * gone. Goes on past errors and keeps the definition when any.
 */
int netd_network_remove(const char *name, bool force, struct netd_err *err) NETD_MUST_USE;

struct netd_bridge_state {
	bool exists, up;
	int ifindex;
	unsigned mtu;
};
int netd_network_bridge_state(const struct netd_netconf *nc, struct netd_bridge_state *st,
			      struct netd_err *err) NETD_MUST_USE;

/* Free addresses left in a network's range (for CNI STATUS). */
int netd_network_free_addresses(const char *name, unsigned long *free_count,
				struct netd_err *err) NETD_MUST_USE;
/* The same for its IPv6 range (*has_range false: it has none); ULONG_MAX for a range of 2^64
 * addresses or more (counting cannot exhaust it; the allocator's bounded walk may still give up).
 */
int netd_network_free_addresses6(const char *name, bool *has_range, unsigned long *free_count,
				 struct netd_err *err) NETD_MUST_USE;

/* Puts our nft table back from state (after a ruleset flush); idempotent. */
int netd_network_restore_nat(struct netd_err *err) NETD_MUST_USE;

#endif
