/* SPDX-License-Identifier: MIT */
#ifndef NETD_NETCONF_H
#define NETD_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/names.h>

#define NETD_DEFAULT_NETWORK "netd0"

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
};

/* Directories, from $NETD_CONFIG_DIR / $NETD_STATE_DIR or the defaults. */
const char *netd_config_dir(void);
const char *netd_state_dir(void);

/*
 * Parses subnet-file text (key=value lines: subnet, gateway, range, bridge, mtu, masquerade;
 * or flannel's FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ; '#' comments, blank lines), fills
 * defaults (gateway: first address; range: the subnet minus network and broadcast;
 * bridge: the name) and validates. Errors name path and line: "netd0.conf:3: bad subnet ...",
 * quoting the value: text the caller hands over is its own (netd_netconf_load and _read, which
 * read files that may not be ours, quote nothing).
 */
int netd_netconf_parse(const char *name, const char *path, const char *text,
		       struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;
/* Fills gateway/range/bridge defaults where unset (0) and validates the whole definition. */
int netd_netconf_finish(struct netd_netconf *nc, const char *where,
			struct netd_err *err) NETD_MUST_USE;
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
/* Names of all defined networks, sorted; free with netd_strv_free. */
int netd_netconf_list(char ***names, size_t *n, struct netd_err *err) NETD_MUST_USE;
void netd_strv_free(char **v, size_t n);

#endif
