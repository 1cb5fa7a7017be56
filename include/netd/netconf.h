/* SPDX-License-Identifier: MIT */
#ifndef NETD_NETCONF_H
#define NETD_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netd/addr.h>
#include <netd/err.h>
#include <netd/names.h>

#define NETD_DEFAULT_NETWORK "netd0"
#define NETD_ROUTES_MAX	     32

/*
 * A route installed in a container: dst (0.0.0.0/0 or ::/0: its default route of that family)
 * via gw. gw of family 0 (or the zero address): the network's gateway of dst's family.
 */
struct netd_route {
	struct netd_prefix dst; /* AF_INET or AF_INET6, host bits zero */
	struct netd_ip gw;	/* of dst's family when set */
};

/*
 * gateway_mode (Docker's name): nat, the default, lets new connections from outside reach a
 * container only through its published ports; routed lets them reach every port of its
 * containers by address (a neighbour or another node routing the subnet via this host).
 */
enum netd_gateway_mode {
	NETD_GATEWAY_NAT = 0,
	NETD_GATEWAY_ROUTED,
};

/* A network, as defined by its subnet file ($NETD_CONFIG_DIR/NAME.conf). */
struct netd_netconf {
	char name[NETD_NETNAME_MAX + 1];
	char bridge[NETD_IFNAME_MAX + 1];
	struct in_addr subnet; /* network address, host bits zero */
	unsigned prefix;
	struct in_addr gateway;
	struct in_addr range_start, range_end; /* inclusive; the allocator skips the gateway */
	unsigned mtu;			       /* 0: the host's default-route interface's */
	bool masquerade;
	/* Installed in every container attached (routes=, CNI ipam.routes); a 0.0.0.0/0 entry
	 * gives each of them its default route through this network. */
	struct netd_route routes[NETD_ROUTES_MAX];
	size_t n_routes;
	enum netd_gateway_mode gateway_mode;
	/* internal=yes (Docker's --internal): its containers reach each other and the host, nothing
	 * beyond; no masquerade, no default route, no published port. */
	bool internal;
	/* icc=no (Docker's enable_icc=false): its containers cannot reach each other (bridge port
	 * isolation on every veth); the outside and published ports still work. */
	bool no_icc;
	/*
	 * The IPv6 half of a dual-stack network (docs/ipv6.md): subnet6.ip.family is AF_INET6 when
	 * the network has one and 0 when it is IPv4 only. Zero means "none" everywhere, so a
	 * definition made before IPv6 reads as it did.
	 */
	struct netd_prefix subnet6;  /* host bits zero */
	struct netd_ip gateway6;     /* the bridge's IPv6 address */
	struct netd_ip_range range6; /* inclusive; the allocator skips the gateway */
	bool masquerade6; /* egress masquerade over IPv6 (default: on for a ULA subnet) */
};

/* An IPv6-only network (docs/ipv6.md) has prefix 0: no IPv4 subnet, gateway, range or lease. */
static inline bool netd_netconf_has4(const struct netd_netconf *nc)
{
	return nc->prefix != 0;
}

static inline bool netd_netconf_has6(const struct netd_netconf *nc)
{
	return nc->subnet6.ip.family == AF_INET6;
}

/*
 * Networks are defined in two directories: netd's ($NETD_CONFIG_DIR, default
 * /etc/netd/networks: netd network create and hand-written files) and netd-cni's
 * ($NETD_CNI_CONFIG_DIR, default $NETD_STATE_DIR/cni-networks: what CNI configs define on ADD).
 * Both share one state dir, so a name, and any part of a subnet, belongs to at most one network
 * across the two.
 */
enum netd_netconf_origin { NETD_NETCONF_NETD, NETD_NETCONF_CNI };

/* Where this process defines networks: netd's dir, or netd-cni's after
 * netd_netconf_use_cni_dir() (there NETD_CONFIG_DIR set without NETD_CNI_CONFIG_DIR means
 * netd's dir, as it did before netd-cni had one of its own). */
const char *netd_config_dir(void);
const char *netd_cni_config_dir(void);
const char *netd_state_dir(void);
/* netd-cni calls this first, before any other libnetd call. */
void netd_netconf_use_cni_dir(void);
/* "netd" or "cni". */
const char *netd_netconf_origin_name(enum netd_netconf_origin origin);

#define NETD_CONF_PATH_MAX 4096

/* A network defined on this host, wherever it is defined. */
struct netd_netdef {
	struct netd_netconf nc; /* nc.name always; the rest when error is "" */
	enum netd_netconf_origin origin;
	bool here; /* in netd_config_dir(), this process's own */
	char path[NETD_CONF_PATH_MAX];
	char error[NETD_ERR_MSG_MAX]; /* why the subnet file does not load; "" when it does */
	int error_code;		      /* and its error code (EINVAL: the text is bad) */
};

/* Every network defined on this host (both dirs), sorted by name; free(*defs) when done. */
int netd_netconf_list_all(struct netd_netdef **defs, size_t *n, struct netd_err *err) NETD_MUST_USE;
/* One network by name: from netd_config_dir() first, then the other dir; -ENOENT if none. */
int netd_netconf_find(const char *name, struct netd_netdef *def,
		      struct netd_err *err) NETD_MUST_USE;

/*
 * Parses subnet-file text (key=value lines: subnet, gateway, range, bridge, mtu, masquerade,
 * routes, gateway_mode, internal, icc; or flannel's FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ;
 * '#' comments, blank lines), fills defaults (gateway: first address; range: the subnet minus
 * network and broadcast; bridge: the name) and validates. Errors name path and line: "netd0.conf:3:
 * bad subnet ...", quoting the value: text the caller hands over is its own (netd_netconf_load and
 * _read, which read files that may not be ours, quote nothing). path NULL: the text is not a
 * file (netd network create's options): errors name the network instead.
 */
int netd_netconf_parse(const char *name, const char *path, const char *text,
		       struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;
/* Fills gateway/range/bridge defaults where unset (0) and validates the whole definition. */
int netd_netconf_finish(struct netd_netconf *nc, const char *where,
			struct netd_err *err) NETD_MUST_USE;
/* "nat" or "routed"; NULL for a value outside the enum. */
const char *netd_gateway_mode_name(enum netd_gateway_mode m);
/* Parses "nat" or "routed" (the subnet file's and netd-cni's values); -1 for anything else. */
int netd_gateway_mode_parse(const char *s, enum netd_gateway_mode *m) NETD_MUST_USE;
/* The canonical subnet-file text of nc; returns snprintf's result. */
int netd_netconf_format(const struct netd_netconf *nc, char *buf, size_t len);

/* Loads $NETD_CONFIG_DIR/NAME.conf: a regular file, not a symlink; a message about a bad line
 * names file and line and never quotes the file. */
int netd_netconf_load(const char *name, struct netd_netconf *nc,
		      struct netd_err *err) NETD_MUST_USE;
/* Reads the subnet file at path for network name (a CNI subnetFile: a path someone gave us, so
 * symlinks are followed), as load does: never blocking on a FIFO, never quoting the file. */
int netd_netconf_read(const char *name, const char *path, struct netd_netconf *nc,
		      struct netd_err *err) NETD_MUST_USE;
/* Writes the subnet file atomically; -EEXIST if the network exists. */
int netd_netconf_save(const struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;
int netd_netconf_remove(const char *name, struct netd_err *err) NETD_MUST_USE;
/* Names of the networks defined in netd_config_dir(), sorted; free with netd_strv_free. */
int netd_netconf_list(char ***names, size_t *n, struct netd_err *err) NETD_MUST_USE;
void netd_strv_free(char **v, size_t n);

#endif
