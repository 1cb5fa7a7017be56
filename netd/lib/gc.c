/* SPDX-License-Identifier: MIT */
/*
 * Garbage collection and repair: converges the host to what it can trust, in this order (the
 * reasons are in docs/design.md, "What gc trusts"):
 *   1. the kernel: a veth whose alias names its owner lives exactly as long as the owner's
 *      namespace; a map element is what publishes a port;
 *   2. endpoint records: written before anything they own exists, removed last;
 *   3. leases, then 4. port claims: one-line files that can be checked against the records.
 * What the kernel shows alive is never torn down because a file about it is damaged: a damaged
 * lease or claim is rewritten from the record that holds its address or port, a damaged record
 * is kept while its veth lives. An endpoint whose namespace is gone (its veth died with it) is
 * torn down; veths, leases and claims that no record owns are removed; table ip netd is put back
 * from the records. Records are written before the objects they own, so an attach in progress
 * is never mistaken for garbage.
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
#include "brcache.h"
#include "claims.h"
#include "dns_priv.h"
#include "endpoint_store.h"
#include "ipam.h"
#include "link.h"
#include "nat.h"
#include "network_priv.h"
#include "store.h"
#include "tombstone.h"
#include "util.h"

/* Only a definite "no record" makes something garbage: a damaged or unreadable one counts. */
static bool record_exists(const char *key)
{
	char net[NETD_NETNAME_MAX + 1], id[NETD_ID_MAX + 1], ifn[NETD_IFNAME_MAX + 1];
	struct netd_endpoint ep = {0};
	struct netd_err e;
	int r;

	if (!netd_key_split(key, net, id, ifn))
		return false;
	r = netd_store_endpoint_load(net, id, ifn, &ep, &e);
	netd_endpoint_clear(&ep);
	return r != -ENOENT;
}

static bool in_keep(const char *id, const char *ifname, const struct netd_attachment_ref *keep,
		    size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++) {
		const char *ifn = keep[i].ifname ? keep[i].ifname : "eth0";
		if (keep[i].id && strcmp(keep[i].id, id) == 0 && strcmp(ifn, ifname) == 0)
			return true;
	}
	return false;
}

/* The process that runs an attach or a teardown: alive (or not ours to signal) keeps it. */
static bool pid_alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/*
 * Whether an endpoint is garbage: an attach or teardown that died half-way, or a ready endpoint
 * whose namespace is gone. Its veth pair dies with its namespace, so the kernel says which; a
 * netns path that no longer exists says so too. A permission error says nothing.
 */
static bool endpoint_dead(struct netd_rtnl *rt, const struct netd_endpoint *ep)
{
	struct netd_link_info li;
	struct netd_err e;
	int fd;

	if (strcmp(ep->state, "ready") != 0)
		return !pid_alive(ep->pid);
	if (netd_link_get(rt, ep->host_ifname, &li, &e) == -ENODEV)
		return true;
	fd = netd_netns_open(ep->netns, &e);
	if (fd < 0)
		return fd == -ENOENT || fd == -EINVAL;
	close(fd);
	return false;
}

/* The kernel on a damaged record: its veth (name from the key, alias naming it) lives or not. */
static bool damaged_alive(struct netd_rtnl *rt, const struct netd_endpoint_damaged *b)
{
	char key[NETD_KEY_MAX], host[NETD_IFNAME_MAX + 1], alias[NETD_KEY_MAX + 8];
	struct netd_link_info li;
	struct netd_err e;
	int r;

	netd_store_key(key, sizeof(key), b->network, b->id, b->ifname);
	snprintf(host, sizeof(host), "nd%08x", netd_hash32(key));
	snprintf(alias, sizeof(alias), NETD_ALIAS_PREFIX "%s", key);
	r = netd_link_get(rt, host, &li, &e);
	if (r == -ENODEV)
		return false;
	/* Another link by that name is not its veth; an error proves nothing either way. */
	return r < 0 || strcmp(li.alias, alias) == 0;
}

struct orphan_veths {
	const char *network;
	char (*names)[NETD_IFNAME_MAX + 1];
	size_t n, cap;
};

static int collect_veth(const char *name, const struct netd_link_info *info, void *arg)
{
	struct orphan_veths *o = arg;
	const char *key = info->alias + strlen(NETD_ALIAS_PREFIX);
	size_t nl = o->network ? strlen(o->network) : 0;

	if (o->network && (strncmp(key, o->network, nl) != 0 || key[nl] != '/'))
		return 0;
	if (record_exists(key))
		return 0;
	if (netd_grow((void **)&o->names, &o->cap, o->n, sizeof(*o->names)) < 0)
		return -ENOMEM;
	snprintf(o->names[o->n++], NETD_IFNAME_MAX + 1, "%s", name);
	return 0;
}

/* ---- leases: against the records of their network, under its lock ---- */

struct lease_fix {
	struct netd_ip ip;
	char key[NETD_KEY_MAX + 1]; /* "": release the lease; else: rewrite it to name key */
};

struct lease_walk {
	const char *network;
	const struct netd_endpoint *eps; /* the network's records, read under its lock */
	size_t n;
	size_t n_bad; /* damaged records of the network: owners we cannot read */
	bool *leased; /* per record and family ([2 * i + is_v6]): its own lease was seen */
	struct lease_fix *fix;
	size_t n_fix, cap_fix;
	unsigned conflicts;
};

/* The record's address of ip's family. */
static struct netd_ip record_address(const struct netd_endpoint *ep, int family)
{
	return family == AF_INET6 ? ep->ip6 : netd_ip_from4(ep->ip);
}

static bool holds_address(const struct netd_endpoint *ep, const struct netd_ip *ip)
{
	struct netd_ip mine = record_address(ep, ip->family);

	return !ep->external_ipam && netd_ip_equal(&mine, ip);
}

static int add_fix(struct lease_walk *w, const struct netd_ip *ip, const char *key)
{
	if (netd_grow((void **)&w->fix, &w->cap_fix, w->n_fix, sizeof(*w->fix)) < 0)
		return -ENOMEM;
	w->fix[w->n_fix].ip = *ip;
	snprintf(w->fix[w->n_fix].key, sizeof(w->fix[w->n_fix].key), "%s", key ? key : "");
	w->n_fix++;
	return 0;
}

static int check_lease(const struct netd_ip *ip, const char *key, void *arg)
{
	struct lease_walk *w = arg;
	char k[NETD_KEY_MAX];
	size_t holder = SIZE_MAX, holders = 0;
	bool owner_recorded = false;

	/* The record that holds the address decides whose lease it is. */
	for (size_t i = 0; i < w->n; i++) {
		if (!holds_address(&w->eps[i], ip))
			continue;
		holders++;
		holder = i;
	}
	if (holders > 1) {
		w->conflicts++; /* two records, one address: reported (doctor), not guessed at */
		return 0;
	}
	if (holders == 1) {
		netd_store_key(k, sizeof(k), w->eps[holder].network, w->eps[holder].id,
			       w->eps[holder].ifname);
		w->leased[2 * holder + (ip->family == AF_INET6)] = true;
		if (key && strcmp(key, k) == 0)
			return 0;
		/* Empty, garbage or another owner's key in the lease of a held address. */
		return add_fix(w, ip, k);
	}
	if (key) {
		for (size_t i = 0; i < w->n; i++) {
			netd_store_key(k, sizeof(k), w->eps[i].network, w->eps[i].id,
				       w->eps[i].ifname);
			if (strcmp(k, key) == 0)
				owner_recorded = true;
		}
		/* Its owner's record may be one of the damaged ones: it may hold this address. */
		if (!owner_recorded && w->n_bad && record_exists(key))
			return 0;
		/* No record holds it: an orphan, or the stale first lease of a retried attach
		 * (allocation does not look leases up by owner; the record names the address that
		 * counts). */
		return add_fix(w, ip, NULL);
	}
	/* A damaged lease no readable record holds: only a damaged record may still. */
	if (w->n_bad)
		return 0;
	return add_fix(w, ip, NULL);
}

static void gc_leases(const char *network, struct netd_gc_stats *st, struct netd_errs *es)
{
	struct lease_walk w = {.network = network};
	struct netd_endpoint *eps = NULL;
	struct netd_endpoint_damaged *bad = NULL;
	struct netd_err e = {0};
	cleanup_close int lk = -1;
	char key[NETD_KEY_MAX];
	size_t n = 0, n_bad = 0;
	int r;

	/* Under the network lock no attach is between leasing and recording, and no record
	 * changes: a lease without a record cannot belong to a running attach. */
	lk = netd_store_lock_network_existing(network, &e);
	if (lk == -ENOENT)
		return;
	if (lk < 0) {
		netd_errs_note(es, lk, &e);
		return;
	}
	/* The next attach sets the bridge up in full: whatever changed it behind our back. */
	netd_brcache_drop(network);
	r = netd_store_endpoint_scan(network, &eps, &n, &bad, &n_bad, &e);
	if (r < 0) {
		netd_errs_note(es, r, &e);
		return;
	}
	free(bad);
	w.eps = eps;
	w.n = n;
	w.n_bad = n_bad;
	w.leased = calloc(n ? 2 * n : 1, sizeof(*w.leased));
	if (!w.leased) {
		netd_errs_note(es, netd_err_set(&e, ENOMEM, "gc %s: out of memory", network), &e);
		netd_endpoints_free(eps, n);
		return;
	}
	r = netd_ipam_foreach_ip(network, check_lease, &w, &e);
	if (r == -ENOMEM)
		netd_err_set(&e, ENOMEM, "gc %s: out of memory", network);
	netd_errs_note(es, r, &e);
	for (size_t i = 0; r == 0 && i < w.n_fix; i++) {
		int r2;

		if (w.fix[i].key[0])
			r2 = netd_ipam_repair_ip(network, &w.fix[i].ip, w.fix[i].key, &e);
		else
			r2 = netd_ipam_release_ip(network, &w.fix[i].ip, NULL, &e);
		netd_errs_note(es, r2, &e);
		if (r2 == 0 && w.fix[i].key[0])
			st->repaired++;
		else if (r2 == 0)
			st->leases++;
	}
	/* A ready record whose lease file is gone: its address is in use, lease it again. */
	for (size_t k = 0; r == 0 && k < 2 * n; k++) {
		size_t i = k / 2;
		struct netd_ip mine = record_address(&eps[i], k % 2 ? AF_INET6 : AF_INET);

		if (w.leased[k] || eps[i].external_ipam || strcmp(eps[i].state, "ready") != 0 ||
		    mine.family != (k % 2 ? AF_INET6 : AF_INET) || netd_ip_is_zero(&mine))
			continue;
		bool shared = false;
		for (size_t j = 0; j < n; j++)
			if (j != i && holds_address(&eps[j], &mine))
				shared = true;
		if (shared)
			continue; /* counted as a conflict when its lease was seen */
		netd_store_key(key, sizeof(key), eps[i].network, eps[i].id, eps[i].ifname);
		r = netd_ipam_repair_ip(network, &mine, key, &e);
		netd_errs_note(es, r, &e);
		if (r == 0)
			st->repaired++;
		r = 0;
	}
	st->conflicts += w.conflicts;
	free(w.fix);
	free(w.leased);
	netd_endpoints_free(eps, n);
}

/* ---- port claims: against the records, under the ports lock ---- */

static bool same_port(const struct netd_port *a, const struct netd_port *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       netd_ip_equal(&a->host_ip, &b->host_ip);
}

static bool lists_port(const struct netd_endpoint *ep, const struct netd_port *p)
{
	for (size_t i = 0; i < ep->n_ports; i++)
		if (same_port(&ep->ports[i], p))
			return true;
	return false;
}

struct claim_fix {
	struct netd_port p;
	char key[NETD_KEY_MAX + 1]; /* "": an orphan, unpublish and release; else: rewrite */
};

struct claim_walk {
	const char *network;		 /* NULL: every network's claims */
	const struct netd_endpoint *eps; /* every record, as gc read them */
	size_t n;
	size_t n_bad;
	struct claim_fix *fix;
	size_t n_fix, cap_fix;
	unsigned conflicts;
};

/* The one ready (or creating) record listing exactly this port, by key in k; false if none or
 * more than one (counted as a conflict). */
static bool port_holder(struct claim_walk *w, const struct netd_port *p, char *k, size_t len)
{
	size_t holders = 0;

	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->eps[i].state, "removing") == 0 || !lists_port(&w->eps[i], p))
			continue;
		if (holders++ == 0)
			netd_store_key(k, len, w->eps[i].network, w->eps[i].id, w->eps[i].ifname);
	}
	if (holders > 1)
		w->conflicts++;
	return holders == 1;
}

static int add_claim_fix(struct claim_walk *w, const struct netd_port *p, const char *key)
{
	if (netd_grow((void **)&w->fix, &w->cap_fix, w->n_fix, sizeof(*w->fix)) < 0)
		return -ENOMEM;
	w->fix[w->n_fix].p = *p;
	snprintf(w->fix[w->n_fix].key, sizeof(w->fix[w->n_fix].key), "%s", key ? key : "");
	w->n_fix++;
	return 0;
}

static int check_claim(const struct netd_port *p, const char *key, void *arg)
{
	struct claim_walk *w = arg;
	char net[NETD_NETNAME_MAX + 1], id[NETD_ID_MAX + 1], ifn[NETD_IFNAME_MAX + 1];
	char holder[NETD_KEY_MAX];
	size_t nl = w->network ? strlen(w->network) : 0;
	bool held;

	if (key && w->network && (strncmp(key, w->network, nl) != 0 || key[nl] != '/'))
		return 0;
	if (key && netd_key_split(key, net, id, ifn)) {
		struct netd_endpoint ep = {0};
		struct netd_err e;
		int r = netd_store_endpoint_load(net, id, ifn, &ep, &e);
		bool listed = r == 0 && lists_port(&ep, p);

		netd_endpoint_clear(&ep);
		/* Its owner's record says so, or cannot be read (it may). */
		if (listed || (r < 0 && r != -ENOENT))
			return 0;
		held = port_holder(w, p, holder, sizeof(holder));
		if (held)
			return add_claim_fix(w, p, holder); /* another record's port */
		if (r == 0)
			return 0; /* not listed yet: an attach still choosing its port */
		return add_claim_fix(w, p, NULL); /* no record: an orphan */
	}
	/* A damaged claim: the record listing the port owns it. */
	if (port_holder(w, p, holder, sizeof(holder)))
		return add_claim_fix(w, p, holder);
	/* A damaged record may own it, or (gc of one network) another network's record. */
	if (w->n_bad || w->network)
		return 0;
	return add_claim_fix(w, p, NULL);
}

/* A repair of a claim only stands when its record still lists the port, ready or creating: the
 * records were read before the ports lock was taken. */
static bool still_holds(const char *key, const struct netd_port *p)
{
	char net[NETD_NETNAME_MAX + 1], id[NETD_ID_MAX + 1], ifn[NETD_IFNAME_MAX + 1];
	struct netd_endpoint ep = {0};
	struct netd_err e;
	bool holds;

	if (!netd_key_split(key, net, id, ifn) ||
	    netd_store_endpoint_load(net, id, ifn, &ep, &e) < 0)
		return false;
	holds = strcmp(ep.state, "removing") != 0 && lists_port(&ep, p);
	netd_endpoint_clear(&ep);
	return holds;
}

static void gc_ports(const char *network, const struct netd_endpoint *eps, size_t n, size_t n_bad,
		     struct netd_gc_stats *st, struct netd_errs *es)
{
	struct claim_walk w = {.network = network, .eps = eps, .n = n, .n_bad = n_bad};
	const struct netd_nat_ctr any = {0}; /* a delete needs no element data */
	struct netd_err e = {0};
	cleanup_close int lk = -1;
	char key[NETD_KEY_MAX], owner[NETD_KEY_MAX + 1];
	int r;

	lk = netd_store_lock_ports(&e);
	if (lk < 0) {
		netd_errs_note(es, lk, &e);
		return;
	}
	r = netd_store_port_foreach(check_claim, &w, &e);
	if (r == -ENOMEM)
		netd_err_set(&e, ENOMEM, "gc: ports: out of memory");
	netd_errs_note(es, r, &e);
	for (size_t i = 0; r == 0 && i < w.n_fix; i++) {
		struct claim_fix *f = &w.fix[i];
		int r2 = 0;

		if (f->key[0]) {
			if (!still_holds(f->key, &f->p))
				continue;
			r2 = netd_store_port_repair(&f->p, f->key, &e);
			if (r2 == 0)
				st->repaired++;
		} else {
			bool exists = false;
			r2 = netd_nat_table_probe(&exists, &e);
			if (r2 == 0 && exists)
				r2 = netd_nat_unpublish(&f->p, 1, &any, &e);
			if (r2 == 0)
				r2 = netd_store_port_release(&f->p, NULL, &e);
			if (r2 == 0)
				st->ports++;
		}
		netd_errs_note(es, r2, &e);
	}
	/* A ready record's port whose claim file is gone: claim it again, unless someone else
	 * holds the port by now (a conflict, reported). */
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (strcmp(eps[i].state, "ready") != 0)
			continue;
		if (network && strcmp(eps[i].network, network) != 0)
			continue;
		netd_store_key(key, sizeof(key), eps[i].network, eps[i].id, eps[i].ifname);
		for (size_t k = 0; k < eps[i].n_ports; k++) {
			struct netd_port p = eps[i].ports[k];
			int r2;

			p.host_port_max = 0;
			r2 = netd_store_port_owner(&p, owner, sizeof(owner), &e);
			if (r2 != -ENOENT)
				continue; /* there, seen by the walk above */
			if (!still_holds(key, &p))
				break;
			r2 = netd_store_port_claim(&p, key, &e);
			if (r2 == -EADDRINUSE) {
				w.conflicts++;
				continue;
			}
			netd_errs_note(es, r2, &e);
			if (r2 == 0)
				st->repaired++;
		}
	}
	st->conflicts += w.conflicts;
	free(w.fix);
}

/* ---- temp files of dead writers ---- */

/* The writer's pid in a temp file name: ".tmp-PID-N" (every atomic write), "NAME.tmp.PID"
 * (records and hints of older versions). */
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
	struct netd_endpoint_damaged *bad = NULL;
	struct netd_errs es = {.err = err};
	struct netd_gc_stats dummy;
	struct orphan_veths ov = {0};
	struct netd_err e = {0};
	size_t n = 0, n_bad = 0, n_nets = 0;
	char **nets = NULL, *one[1] = {(char *)network};
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
	/* Checked first: without the capability every step would fail, and a failure to look is
	 * never taken for something gone. */
	r = netd_need_admin("gc", err);
	if (r == 0)
		r = netd_rtnl_open(&rt, err);
	/* Every network that has state, whether or not its subnet file is in this config dir (the
	 * CNI plugin keeps its own): the directory is read once, for records and for leases. */
	if (r == 0 && !network) {
		r = netd_store_networks(&nets, &n_nets, err);
		if (r < 0)
			netd_err_prefix(err, "gc");
	} else if (r == 0) {
		nets = one;
		n_nets = 1;
	}
	if (r == 0)
		r = netd_store_endpoint_scan_in(nets, n_nets, &eps, &n, &bad, &n_bad, err);
	if (r < 0) {
		if (!network)
			netd_strv_free(nets, n_nets);
		return r;
	}

	/* 1. Endpoints: those whose namespace is gone, or (keep) not listed. */
	for (size_t i = 0; i < n; i++) {
		bool drop = keep ? !in_keep(eps[i].id, eps[i].ifname, keep, n_keep)
				 : endpoint_dead(rt, &eps[i]);

		if (keep && strcmp(eps[i].state, "ready") != 0 && pid_alive(eps[i].pid))
			drop = false;
		if (!drop)
			continue;
		r = netd_endpoint_teardown_flags(&eps[i], NETD_TEARDOWN_WAIT, &e);
		netd_errs_note(&es, r, &e);
		if (r == 0) {
			st->endpoints++;
			snprintf(eps[i].state, sizeof(eps[i].state), "removing");
			eps[i].n_ports = 0; /* gone: no longer holds its ports or address */
			eps[i].ip.s_addr = 0;
		}
	}
	/* 2. Damaged records: torn down from what the other files say once the kernel says the
	 * namespace is gone (its veth went with it); kept, and counted, while it lives. */
	for (size_t i = 0; i < n_bad; i++) {
		bool drop = keep ? !in_keep(bad[i].id, bad[i].ifname, keep, n_keep)
				 : !damaged_alive(rt, &bad[i]);

		if (!drop) {
			st->damaged++;
			continue;
		}
		r = netd_endpoint_teardown_damaged(bad[i].network, bad[i].id, bad[i].ifname, 0, &e);
		netd_errs_note(&es, r, &e);
		if (r == 0)
			st->endpoints++;
		else
			st->damaged++;
	}

	/* 3. Veths whose alias names no record. */
	ov.network = network;
	r = netd_link_foreach_alias(rt, NETD_ALIAS_PREFIX, collect_veth, &ov, &e);
	netd_errs_note(&es, r, &e);
	for (size_t i = 0; r == 0 && i < ov.n; i++) {
		int r2 = netd_link_del(rt, ov.names[i], &e);
		netd_errs_note(&es, r2, &e);
		if (r2 == 0)
			st->veths++;
	}
	free(ov.names);
	/* Tombstones whose deleter died (tombstone.c). */
	st->veths += netd_tomb_sweep(rt);

	/* 4. Leases, 5. claims: checked against the records, repaired or released. */
	for (size_t i = 0; i < n_nets; i++)
		gc_leases(nets[i], st, &es);
	if (!network)
		netd_strv_free(nets, n_nets);
	gc_ports(network, eps, n, st->damaged, st, &es);
	netd_endpoints_free(eps, n);
	free(bad);

	/* 6. Table ip netd from the records (after a flushed ruleset). */
	if (!keep) {
		r = netd_network_restore_nat(&e);
		netd_errs_note(&es, r, &e);
	}
	gc_tmp();
	/* Names of the endpoints torn down above, and whatever a killed writer left. */
	r = netd_dns_converge(&e);
	netd_errs_note(&es, r, &e);
	return netd_errs_result(&es, NULL);
}
