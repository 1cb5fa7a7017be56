/* SPDX-License-Identifier: MIT */
/*
 * The state dir's locks and owner keys (layout in store.h). What the locks guard lives beside:
 * leases in ipam.c, endpoint records in endpoint_record.c (text) and endpoint_store.c (files),
 * port claims in claims.c.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <netd/names.h>
#include <netd/netconf.h>
#include "store.h"
#include "util.h"

int netd_store_key(char *buf, size_t len, const char *network, const char *id, const char *ifname)
{
	return netd_path_fmt(buf, len, "%s/%s@%s", network, id, ifname);
}

/* ---- locks ---- */

static int lock_network(const char *network, bool create, struct netd_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int r;

	if (netd_path_fmt(path, sizeof(path), "%s/networks/%s/lock", netd_state_dir(), network) < 0)
		return netd_err_set(err, ENAMETOOLONG, "network %s: state path too long", network);
	for (int i = 0; create && i < 2; i++) {
		if (netd_path_fmt(dir, sizeof(dir), "%s/networks/%s/%s", netd_state_dir(), network,
				  i ? "endpoints" : "ips") < 0)
			return netd_err_set(err, ENAMETOOLONG, "network %s: state path too long",
					    network);
		r = netd_mkdirs(dir, false, err);
		if (r < 0)
			return netd_err_prefix(err, "network %s: lock", network);
	}
	r = netd_lock_file(path, err);
	if (r == -ENOENT && !create)
		return netd_err_set(err, ENOENT, "network %s: no state", network);
	if (r < 0)
		return netd_err_prefix(err, "network %s", network);
	return r;
}

int netd_store_lock_network(const char *network, struct netd_err *err)
{
	return lock_network(network, true, err);
}

int netd_store_lock_network_existing(const char *network, struct netd_err *err)
{
	return lock_network(network, false, err);
}

int netd_store_lock_ports(struct netd_err *err)
{
	char path[PATH_MAX];
	int r;

	r = netd_mkdirs(netd_state_dir(), false, err);
	if (r < 0)
		return netd_err_prefix(err, "ports lock");
	if (netd_path_fmt(path, sizeof(path), "%s/ports.lock", netd_state_dir()) < 0)
		return netd_err_set(err, ENAMETOOLONG, "ports lock: state path too long");
	r = netd_lock_file(path, err);
	if (r < 0)
		return netd_err_prefix(err, "ports");
	return r;
}

/* ---- networks with state ---- */

int netd_store_networks(char ***names, size_t *n, struct netd_err *err)
{
	char dir[PATH_MAX];
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	if (netd_path_fmt(dir, sizeof(dir), "%s/networks", netd_state_dir()) < 0)
		return netd_err_set(err, ENAMETOOLONG, "state path too long");
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return netd_err_sys(err, errno, "open %s", dir);
	}
	while ((de = readdir(d))) {
		/* A directory entry is hostile input: checked here, once. */
		if (de->d_name[0] == '.' || netd_name_check_network(de->d_name, NULL) < 0)
			continue;
		if (netd_grow((void **)&v, &cap, cnt, sizeof(*v)) < 0 ||
		    !(v[cnt] = strdup(de->d_name))) {
			closedir(d);
			netd_strv_free(v, cnt);
			return netd_err_set(err, ENOMEM, "out of memory");
		}
		cnt++;
	}
	closedir(d);
	*names = v;
	*n = cnt;
	return 0;
}
