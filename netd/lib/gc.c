/* SPDX-License-Identifier: MIT */
/*
 * Garbage collection: converges the host to what the endpoint records say. An endpoint whose
 * namespace is gone (its veth pair died with it) is torn down; veths, leases and port claims that
 * no record owns are removed. Records are written before the objects they own are created, so an
 * attach in progress is never mistaken for garbage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netd/netconf.h>
#include <netd/network.h>
#include "link.h"
#include "nat.h"
#include "network_priv.h"
#include "store.h"
#include "tombstone.h"
#include "util.h"

#define ALIAS_PREFIX "netd:"

/* "NET/ID@IFNAME" -> parts; false when malformed. */
static bool key_split(const char *key, char *net, char *id, char *ifn)
{
	const char *slash = strchr(key, '/');
	const char *at = strrchr(key, '@');

	if (!slash || !at || at < slash)
		return false;
	if ((size_t)(slash - key) > NETD_NETNAME_MAX || (size_t)(at - slash - 1) > NETD_ID_MAX ||
	    strlen(at + 1) > NETD_IFNAME_MAX)
		return false;
	snprintf(net, NETD_NETNAME_MAX + 1, "%.*s", (int)(slash - key), key);
	snprintf(id, NETD_ID_MAX + 1, "%.*s", (int)(at - slash - 1), slash + 1);
	snprintf(ifn, NETD_IFNAME_MAX + 1, "%s", at + 1);
	return true;
}

static bool record_exists(const char *key)
{
	char net[NETD_NETNAME_MAX + 1], id[NETD_ID_MAX + 1], ifn[NETD_IFNAME_MAX + 1];
	struct netd_endpoint ep = {0};
	struct netd_err e;
	int r;

	if (!key_split(key, net, id, ifn))
		return false;
	r = netd_store_endpoint_load(net, id, ifn, &ep, &e);
	netd_endpoint_clear(&ep);
	/* Only a definite "no record" makes something garbage. */
	return r != -ENOENT;
}

static bool in_keep(const struct netd_endpoint *ep, const struct netd_attachment_ref *keep,
		    size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++) {
		const char *ifn = keep[i].ifname ? keep[i].ifname : "eth0";
		if (keep[i].id && strcmp(keep[i].id, ep->id) == 0 && strcmp(ifn, ep->ifname) == 0)
			return true;
	}
	return false;
}

/*
 * A ready endpoint whose host port claims are not all its own is a detach that was interrupted:
 * attach marks a record ready only once every port is claimed, and only teardown releases them.
 * (Its map elements went first; keeping the record would let a table restore publish ports
 * that another endpoint may claim meanwhile.)
 */
static bool claims_lost(const struct netd_endpoint *ep)
{
	char key[NETD_KEY_MAX], owner[NETD_KEY_MAX + 1];
	struct netd_err e;

	if (!ep->n_ports)
		return false;
	netd_store_key(key, sizeof(key), ep->network, ep->id, ep->ifname);
	for (size_t i = 0; i < ep->n_ports; i++) {
		struct netd_port p = ep->ports[i];
		int r;

		p.host_port_max = 0;
		r = netd_store_port_claimed(&p, owner, sizeof(owner), &e);
		if (r == 0 || (r > 0 && strcmp(owner, key) != 0))
			return true;
	}
	return false;
}

static bool endpoint_dead(struct netd_rtnl *rt, const struct netd_endpoint *ep)
{
	struct netd_link_info li;
	struct netd_err e;
	int fd;

	if (strcmp(ep->state, "ready") != 0) {
		/* An attach that is still running owns its half-built endpoint. */
		if (ep->pid > 0 && (kill(ep->pid, 0) == 0 || errno == EPERM))
			return false;
		return true;
	}
	if (netd_link_get(rt, ep->host_ifname, &li, &e) == -ENODEV)
		return true;
	if (claims_lost(ep))
		return true;
	fd = netd_netns_open(ep->netns, &e);
	if (fd < 0)
		return fd == -ENOENT || fd == -EINVAL;
	close(fd);
	return false;
}

struct orphan_veths {
	const char *network;
	char (*names)[NETD_IFNAME_MAX + 1];
	size_t n, cap;
};

static int collect_veth(const char *name, const struct netd_link_info *info, void *arg)
{
	struct orphan_veths *o = arg;
	const char *key = info->alias + strlen(ALIAS_PREFIX);
	size_t nl = o->network ? strlen(o->network) : 0;

	if (o->network && (strncmp(key, o->network, nl) != 0 || key[nl] != '/'))
		return 0;
	if (record_exists(key))
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		void *nn = realloc(o->names, cap * sizeof(*o->names));
		if (!nn)
			return -ENOMEM;
		o->names = nn;
		o->cap = cap;
	}
	snprintf(o->names[o->n++], NETD_IFNAME_MAX + 1, "%s", name);
	return 0;
}

struct orphan_leases {
	struct in_addr *ips;
	size_t n, cap;
};

/*
 * Whether key's record holds the lease of ip. An attach killed between leasing and writing its
 * record leaves a lease its retry does not find (allocation does not look up leases by owner),
 * so one key can own a second, stale lease: the record names the address that counts. Called
 * under the network lock, so no attach is between leasing and recording.
 */
static bool record_holds(const char *key, struct in_addr ip)
{
	char net[NETD_NETNAME_MAX + 1], id[NETD_ID_MAX + 1], ifn[NETD_IFNAME_MAX + 1];
	struct netd_endpoint ep = {0};
	struct netd_err e;
	bool holds;
	int r;

	if (!key_split(key, net, id, ifn))
		return false;
	r = netd_store_endpoint_load(net, id, ifn, &ep, &e);
	if (r < 0)
		return r != -ENOENT; /* only a definite "no record" makes something garbage */
	holds = !ep.external_ipam && ep.ip.s_addr == ip.s_addr;
	netd_endpoint_clear(&ep);
	return holds;
}

static int collect_lease(struct in_addr ip, const char *key, void *arg)
{
	struct orphan_leases *o = arg;

	if (record_holds(key, ip))
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		void *nn = realloc(o->ips, cap * sizeof(*o->ips));
		if (!nn)
			return -ENOMEM;
		o->ips = nn;
		o->cap = cap;
	}
	o->ips[o->n++] = ip;
	return 0;
}

struct orphan_ports {
	struct netd_port *ports;
	size_t n, cap;
	const char *network;
};

static int collect_port(const struct netd_port *p, const char *key, void *arg)
{
	struct orphan_ports *o = arg;
	size_t nl = o->network ? strlen(o->network) : 0;

	if (o->network && (strncmp(key, o->network, nl) != 0 || key[nl] != '/'))
		return 0;
	if (record_exists(key))
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		void *nn = realloc(o->ports, cap * sizeof(*o->ports));
		if (!nn)
			return -ENOMEM;
		o->ports = nn;
		o->cap = cap;
	}
	o->ports[o->n++] = *p;
	return 0;
}

static int gc_leases(const char *network, struct netd_gc_stats *st, struct netd_err *err)
{
	struct orphan_leases o = {0};
	cleanup_close int lk = -1;
	char dir[PATH_MAX];
	int r;

	/* No state yet, no leases: taking the lock would create the network's state dir. */
	if (netd_path_fmt(dir, sizeof(dir), "%s/networks/%s", netd_state_dir(), network) < 0)
		return netd_err_set(err, ENAMETOOLONG, "gc %s: state path too long", network);
	if (access(dir, F_OK) < 0 && errno == ENOENT)
		return 0;

	/* Under the network lock a lease without a record cannot belong to a running attach. */
	lk = netd_store_lock_network(network, err);
	if (lk < 0)
		return lk;
	r = netd_ipam_foreach(network, collect_lease, &o, err);
	for (size_t i = 0; r == 0 && i < o.n; i++) {
		r = netd_ipam_release(network, o.ips[i], NULL, err);
		if (r == 0)
			st->leases++;
	}
	free(o.ips);
	return r;
}

static int gc_ports(const char *network, struct netd_gc_stats *st, struct netd_err *err)
{
	struct orphan_ports o = {.network = network};
	cleanup_close int lk = -1;
	struct in_addr any = {0};
	int r;

	lk = netd_store_lock_ports(err);
	if (lk < 0)
		return lk;
	r = netd_store_port_foreach(collect_port, &o, err);
	for (size_t i = 0; r == 0 && i < o.n; i++) {
		if (netd_nat_table_exists())
			r = netd_nat_unpublish(&o.ports[i], 1, any, err);
		if (r == 0)
			r = netd_store_port_release(&o.ports[i], NULL, err);
		if (r == 0)
			st->ports++;
	}
	free(o.ports);
	return r;
}

/* The writer's pid in a temp file name: ".tmp-PID-N" (leases, claims), "NAME.tmp.PID" (records). */
static int tmp_pid(const char *name)
{
	const char *p = NULL;
	char *end;
	long pid;

	if (strncmp(name, ".tmp-", 5) == 0)
		p = name + 5;
	else if ((p = strstr(name, ".tmp.")))
		p += 5;
	if (!p || *p < '1' || *p > '9')
		return 0;
	pid = strtol(p, &end, 10);
	if ((*end != '\0' && *end != '-') || pid <= 0 || pid > INT_MAX)
		return 0;
	return (int)pid;
}

/*
 * Removes the temp files of writers that died between creating and renaming or linking them,
 * in one directory; with rmdir_empty, the directory too when nothing is left in it (a host port
 * directory). A temp file of a live writer is left alone.
 */
static unsigned sweep_dir(const char *dir, bool rmdir_empty)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		int pid = tmp_pid(de->d_name);

		if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	if (rmdir_empty)
		(void)rmdir(dir); /* fails while a claim lives there: that is the point */
	return n;
}

/* sweep_dir() of each subdirectory of dir, or of its sub directory when sub is given. */
static unsigned sweep_subdirs(const char *dir, const char *sub, bool rmdir_empty)
{
	char path[PATH_MAX];
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (netd_path_fmt(path, sizeof(path), "%s/%s%s%s", dir, de->d_name, sub ? "/" : "",
				  sub ? sub : "") < 0)
			continue;
		n += sweep_dir(path, rmdir_empty);
	}
	closedir(d);
	return n;
}

/*
 * Temp files a killed writer left: networks/NET/{,ips/,endpoints/} and ports/PROTO-PORT/, and
 * the port directories left empty. Taken under the ports lock, so no claim is half made.
 */
static void gc_tmp(void)
{
	char dir[PATH_MAX];
	struct netd_err e;
	int lk;

	if (netd_path_fmt(dir, sizeof(dir), "%s/networks", netd_state_dir()) == 0) {
		sweep_subdirs(dir, NULL, false);
		sweep_subdirs(dir, "ips", false);
		sweep_subdirs(dir, "endpoints", false);
	}
	lk = netd_store_lock_ports(&e);
	if (lk < 0)
		return;
	if (netd_path_fmt(dir, sizeof(dir), "%s/ports", netd_state_dir()) == 0)
		sweep_subdirs(dir, NULL, true);
	close(lk);
}

int netd_gc(const char *network, const struct netd_attachment_ref *keep, size_t n_keep,
	    struct netd_gc_stats *st, struct netd_err *err)
{
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	struct netd_endpoint *eps = NULL;
	struct netd_gc_stats dummy;
	struct orphan_veths ov = {0};
	int first = 0;
	size_t n = 0;
	int r;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (keep && !network)
		return netd_err_set(err, EINVAL, "gc: a keep list needs a network");
	if (network) {
		r = netd_name_check_network(network, err);
		if (r < 0)
			return r;
	}
	r = netd_rtnl_open(&rt, err);
	if (r == 0)
		r = netd_store_endpoint_list(network, &eps, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		bool drop = keep ? !in_keep(&eps[i], keep, n_keep) : endpoint_dead(rt, &eps[i]);
		struct netd_err e;

		if (keep && strcmp(eps[i].state, "ready") != 0 && eps[i].pid > 0 &&
		    kill(eps[i].pid, 0) == 0)
			drop = false;
		if (!drop)
			continue;
		r = netd_endpoint_teardown_flags(&eps[i], NETD_TEARDOWN_WAIT, &e);
		if (r < 0 && !first) {
			first = r;
			*err = e;
		} else if (r == 0) {
			st->endpoints++;
		}
	}
	netd_endpoints_free(eps, n);

	ov.network = network;
	r = netd_link_foreach_alias(rt, ALIAS_PREFIX, collect_veth, &ov, err);
	for (size_t i = 0; r == 0 && i < ov.n; i++) {
		r = netd_link_del(rt, ov.names[i], err);
		if (r == 0)
			st->veths++;
	}
	free(ov.names);
	if (r < 0 && !first)
		first = r;
	st->veths += netd_tomb_sweep(rt);

	{
		struct netd_netdef *defs = NULL;
		size_t nn = 0;
		if (network) {
			r = gc_leases(network, st, err);
		} else {
			/* netd-cni's networks too: one state dir holds the leases of both. */
			r = netd_netconf_list_all(&defs, &nn, err);
			for (size_t i = 0; r == 0 && i < nn; i++)
				r = gc_leases(defs[i].nc.name, st, err);
			free(defs);
		}
		if (r < 0 && !first)
			first = r;
	}
	r = gc_ports(network, st, err);
	if (r < 0 && !first)
		first = r;
	gc_tmp();
	return first;
}
