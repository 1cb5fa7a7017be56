/* SPDX-License-Identifier: MIT */
/*
 * Attach's rollback (network.c: a failure at step k undoes k-1..1) without a kernel: the state
 * files are real (a temp state and config dir, written by the store itself), every kernel step
 * netd_network_attach takes is replaced at link time (-Wl,--wrap, the list is ATTACH_WRAPS in the
 * Makefile) by a fake host that holds links (with their aliases), the nf_tables map elements and
 * the container's lo. Each wrapped call that can fail is a numbered step: a first attach counts
 * them, then attach k fails at step k (and, in a build with NETD_FAULT_INJECTION, at each named
 * NETD_FAIL_AT step). After a failed attach the fake host and the state dir must hold exactly
 * what they held before; an attach that still succeeds (a step whose failure attach survives)
 * must hold what a successful attach holds. Networks: IPv4 only and dual stack, with and without
 * published ports, with the bridge made by this attach and with one that existed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <netd/network.h>
#include <netd/portspec.h>
#include "brcache.h"
#include "claims.h"
#include "endpoint_store.h"
#include "ipam.h"
#include "link.h"
#include "nat.h"
#include "network_priv.h"
#include "store.h"
#include "util.h"

#define NET	       "atnet"
#define BRIDGE	       "atbr0"
#define NETNS	       "/run/netns/fake-c1"
#define BRIDGE_IFINDEX 5

/* ---- the fake host ---- */

#define MAX_FAKE  32
#define FAKE_LINE 320

static struct {
	char links[MAX_FAKE]
		  [FAKE_LINE]; /* "name kind alias" (a veth's container end: "ctr:eth0") */
	size_t n_links;
	char elems[MAX_FAKE][FAKE_LINE]; /* table ip/ip6 netd: "net BRIDGE", "port SPEC" */
	size_t n_elems;
	bool lo_up; /* the container's */
	/* Step k fails (0: none); steps counts the fallible calls made so far. */
	unsigned steps, fail_step;
	char failed[64];
	unsigned flushes, dns_syncs, veth_tries;
	bool detaching;
} host;

/* Name checks (names.c) made since the counters were last reset: see test_names_checked_once. */
static unsigned n_check_network, n_check_id, n_check_ifname;

static int fake_rtnl, fake_ns_rtnl; /* their addresses stand for the sockets */

/* A numbered step: fails when it is the one asked to. */
static int step(const char *name, struct netd_err *err)
{
	if (++host.steps != host.fail_step)
		return 0;
	snprintf(host.failed, sizeof(host.failed), "%s", name);
	return netd_err_set(err, EIO, "%s: injected failure (step %u)", name, host.steps);
}

static ssize_t find(char (*v)[FAKE_LINE], size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(v[i], prefix, strlen(prefix)))
			return (ssize_t)i;
	return -1;
}

static void add(char (*v)[FAKE_LINE], size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(char (*v)[FAKE_LINE], size_t *n, const char *fmt, ...)
{
	va_list ap;

	assert_true(*n < MAX_FAKE);
	va_start(ap, fmt);
	vsnprintf(v[(*n)++], FAKE_LINE, fmt, ap);
	va_end(ap);
}

static bool drop(char (*v)[FAKE_LINE], size_t *n, const char *prefix)
{
	ssize_t i = find(v, *n, prefix);

	if (i < 0)
		return false;
	memmove(v[i], v[*n - 1], FAKE_LINE);
	(*n)--;
	return true;
}

/* "name " so that a name is not taken for a longer one's prefix. */
static ssize_t link_at(const char *name)
{
	char p[FAKE_LINE];

	snprintf(p, sizeof(p), "%s ", name);
	return find(host.links, host.n_links, p);
}

static bool link_there(const char *name)
{
	return link_at(name) >= 0;
}

static void port_elem(const struct netd_port *p, char *buf, size_t len)
{
	char spec[96];

	netd_port_format(p, spec, sizeof(spec));
	snprintf(buf, len, "port %s", spec);
}

int __wrap_netd_need_admin(const char *what, struct netd_err *err);
int __wrap_netd_need_admin(const char *what, struct netd_err *err)
{
	return step("need_admin", err);
}

int __wrap_netd_netns_open(const char *path, struct netd_err *err);
int __wrap_netd_netns_open(const char *path, struct netd_err *err)
{
	int r = step("netns_open", err);

	assert_string_equal(path, NETNS);
	return r < 0 ? r : open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int __wrap_netd_netns_is_own(int fd, bool *own, struct netd_err *err);
int __wrap_netd_netns_is_own(int fd, bool *own, struct netd_err *err)
{
	*own = false;
	return step("netns_is_own", err);
}

int __wrap_netd_rtnl_open(struct netd_rtnl **out, struct netd_err *err);
int __wrap_netd_rtnl_open(struct netd_rtnl **out, struct netd_err *err)
{
	int r = step("rtnl_open", err);

	if (r == 0)
		*out = (struct netd_rtnl *)&fake_rtnl;
	return r;
}

int __wrap_netd_rtnl_open_in_netns(int fd, struct netd_rtnl **out, struct netd_err *err);
int __wrap_netd_rtnl_open_in_netns(int fd, struct netd_rtnl **out, struct netd_err *err)
{
	int r = step("rtnl_open_in_netns", err);

	if (r == 0)
		*out = (struct netd_rtnl *)&fake_ns_rtnl;
	return r;
}

void __wrap_netd_rtnl_close(struct netd_rtnl *r);
void __wrap_netd_rtnl_close(struct netd_rtnl *r)
{
	assert_true(r == (struct netd_rtnl *)&fake_rtnl || r == (struct netd_rtnl *)&fake_ns_rtnl);
}

int __wrap_netd_route_default_mtu(struct netd_rtnl *r, unsigned *mtu, struct netd_err *err);
int __wrap_netd_route_default_mtu(struct netd_rtnl *r, unsigned *mtu, struct netd_err *err)
{
	*mtu = 1500;
	return step("route_default_mtu", err);
}

int __wrap_netd_route_is_local(struct netd_rtnl *r, const struct netd_ip *ip, bool *local,
			       struct netd_err *err);
int __wrap_netd_route_is_local(struct netd_rtnl *r, const struct netd_ip *ip, bool *local,
			       struct netd_err *err)
{
	*local = true;
	return step("route_is_local", err);
}

int __wrap_netd_port_in_use(const struct netd_port *p, bool *in_use, struct netd_err *err);
int __wrap_netd_port_in_use(const struct netd_port *p, bool *in_use, struct netd_err *err)
{
	*in_use = false;
	return step("port_in_use", err);
}

int __wrap_netd_sysctl_read(const char *path, char *buf, size_t len, struct netd_err *err);
int __wrap_netd_sysctl_read(const char *path, char *buf, size_t len, struct netd_err *err)
{
	int r = step("sysctl_read", err);

	if (r == 0 && !strcmp(path, "/proc/sys/net/ipv4/ip_local_port_range"))
		snprintf(buf, len, "%s", "40000 40100");
	else if (r == 0 && !strcmp(path, "/proc/sys/kernel/random/boot_id"))
		snprintf(buf, len, "%s", "6f1c0de5-0000-4000-8000-000000000001");
	else if (r == 0)
		fail_msg("sysctl %s: not one attach reads", path);
	return r;
}

int __wrap_netd_ip_forward_on(bool *switched_on, struct netd_err *err);
int __wrap_netd_ip_forward_on(bool *switched_on, struct netd_err *err)
{
	*switched_on = false; /* on already: a sysctl attach never turns back */
	return step("ip_forward_on", err);
}

int __wrap_netd_ip6_forward_on(bool *switched_on, struct netd_err *err);
int __wrap_netd_ip6_forward_on(bool *switched_on, struct netd_err *err)
{
	*switched_on = false;
	return step("ip6_forward_on", err);
}

int __wrap_netd_bridge_ensure(struct netd_rtnl *rt, const char *name, struct in_addr gw,
			      unsigned prefix, unsigned mtu, int *ifindex, bool *created,
			      struct netd_err *err);
int __wrap_netd_bridge_ensure(struct netd_rtnl *rt, const char *name, struct in_addr gw,
			      unsigned prefix, unsigned mtu, int *ifindex, bool *created,
			      struct netd_err *err)
{
	int r = step("bridge_ensure", err);

	assert_ptr_equal(rt, &fake_rtnl);
	if (r < 0)
		return r;
	*created = !link_there(name);
	if (*created)
		add(host.links, &host.n_links, "%s bridge", name);
	*ifindex = BRIDGE_IFINDEX;
	return 0;
}

int __wrap_netd_bridge_addr6(struct netd_rtnl *rt, const char *name, int ifindex,
			     const struct netd_ip *gw6, unsigned prefix6, struct netd_err *err);
int __wrap_netd_bridge_addr6(struct netd_rtnl *rt, const char *name, int ifindex,
			     const struct netd_ip *gw6, unsigned prefix6, struct netd_err *err)
{
	assert_true(link_there(name));
	return step("bridge_addr6", err);
}

int __wrap_netd_nat_ensure(struct netd_err *err);
int __wrap_netd_nat_ensure(struct netd_err *err)
{
	return step("nat_ensure", err);
}

int __wrap_netd_network_restore_nat(struct netd_err *err);
int __wrap_netd_network_restore_nat(struct netd_err *err)
{
	fail_msg("restore_nat: the fake table is never an older netd's");
	return -EIO;
}

bool __wrap_netd_nat_table_exists(void);
bool __wrap_netd_nat_table_exists(void)
{
	return true;
}

int __wrap_netd_nat_attach(const struct netd_nat_net *net, const struct netd_port *ports, size_t n,
			   const struct netd_nat_ctr *ctr, struct netd_err *err);
int __wrap_netd_nat_attach(const struct netd_nat_net *net, const struct netd_port *ports, size_t n,
			   const struct netd_nat_ctr *ctr, struct netd_err *err)
{
	char e[FAKE_LINE];
	int r = step("nat_attach", err);

	if (r < 0)
		return r; /* one batch: all or nothing */
	snprintf(e, sizeof(e), "net %s", net->bridge);
	if (find(host.elems, host.n_elems, e) < 0)
		add(host.elems, &host.n_elems, "%s", e);
	for (size_t i = 0; i < n; i++) {
		/* each element points to the container's address of the port's family */
		if (ports[i].host_ip.family == AF_INET6)
			assert_int_equal(ctr->ip6.family, AF_INET6);
		else
			assert_true(ctr->ip.s_addr != 0);
		port_elem(&ports[i], e, sizeof(e));
		assert_true(find(host.elems, host.n_elems, e) < 0);
		add(host.elems, &host.n_elems, "%s", e);
	}
	return 0;
}

int __wrap_netd_nat_unpublish(const struct netd_port *ports, size_t n,
			      const struct netd_nat_ctr *ctr, struct netd_err *err);
int __wrap_netd_nat_unpublish(const struct netd_port *ports, size_t n,
			      const struct netd_nat_ctr *ctr, struct netd_err *err)
{
	char e[FAKE_LINE];

	for (size_t i = 0; i < n; i++) {
		port_elem(&ports[i], e, sizeof(e));
		drop(host.elems, &host.n_elems, e);
	}
	return 0;
}

int __wrap_netd_nat_network_del(const struct netd_nat_net *net, struct netd_err *err);
int __wrap_netd_nat_network_del(const struct netd_nat_net *net, struct netd_err *err)
{
	char e[FAKE_LINE];

	snprintf(e, sizeof(e), "net %s", net->bridge);
	drop(host.elems, &host.n_elems, e);
	return 0;
}

int __wrap_netd_veth_create_in_ns(struct netd_rtnl *rt, const char *host_name,
				  const char *peer_name, int netns_fd, unsigned mtu,
				  const uint8_t *mac, int master_ifindex, bool isolated,
				  const char *alias, int *host_ifindex, struct netd_err *err);
int __wrap_netd_veth_create_in_ns(struct netd_rtnl *rt, const char *host_name,
				  const char *peer_name, int netns_fd, unsigned mtu,
				  const uint8_t *mac, int master_ifindex, bool isolated,
				  const char *alias, int *host_ifindex, struct netd_err *err)
{
	char name[32];
	int r;

	/* which try: a veth refused on a cached bridge is tried again after the full setup */
	snprintf(name, sizeof(name), "veth_create#%u", ++host.veth_tries);
	r = step(name, err);
	assert_ptr_equal(rt, &fake_rtnl);
	if (r < 0)
		return r;
	/* a cached ifindex of a bridge that has gone names no master */
	if (master_ifindex != BRIDGE_IFINDEX || !link_there(BRIDGE))
		return netd_err_set(err, ENODEV, "veth %s: master %d: No such device", host_name,
				    master_ifindex);
	if (link_there(host_name))
		return netd_err_set(err, EEXIST, "veth %s: File exists", host_name);
	add(host.links, &host.n_links, "%s veth %s", host_name, alias);
	add(host.links, &host.n_links, "ctr:%s veth", peer_name);
	*host_ifindex = 42;
	return 0;
}

int __wrap_netd_link_get(struct netd_rtnl *rt, const char *name, struct netd_link_info *info,
			 struct netd_err *err);
int __wrap_netd_link_get(struct netd_rtnl *rt, const char *name, struct netd_link_info *info,
			 struct netd_err *err)
{
	int r = step("link_get", err);
	ssize_t i;

	if (r < 0)
		return r;
	memset(info, 0, sizeof(*info));
	if (rt == (struct netd_rtnl *)&fake_ns_rtnl) {
		assert_string_equal(name, "lo");
		info->ifindex = 1;
		info->up = host.lo_up;
		return 0;
	}
	i = link_at(name);
	if (i < 0)
		return netd_err_set(err, ENODEV, "link %s: no such device", name);
	info->ifindex = (int)i + 10;
	if (sscanf(host.links[i], "%*s %15s %255s", info->kind, info->alias) < 1)
		fail();
	if (!strcmp(info->kind, "veth") && link_there(BRIDGE))
		info->master = (int)link_at(BRIDGE) + 10;
	return 0;
}

int __wrap_netd_link_del(struct netd_rtnl *rt, const char *name, struct netd_err *err);
int __wrap_netd_link_del(struct netd_rtnl *rt, const char *name, struct netd_err *err)
{
	ssize_t i = link_at(name);

	assert_ptr_equal(rt, &fake_rtnl);
	if (i < 0)
		return 0;
	/* a veth's container end goes with it */
	if (!strncmp(host.links[i] + strlen(name), " veth", 5))
		drop(host.links, &host.n_links, "ctr:");
	i = link_at(name);
	memmove(host.links[i], host.links[host.n_links - 1], FAKE_LINE);
	host.n_links--;
	return 0;
}

int __wrap_netd_link_set_down(struct netd_rtnl *rt, const char *name, struct netd_err *err);
int __wrap_netd_link_set_down(struct netd_rtnl *rt, const char *name, struct netd_err *err)
{
	assert_ptr_equal(rt, &fake_ns_rtnl);
	assert_string_equal(name, "lo");
	host.lo_up = false;
	return 0;
}

int __wrap_netd_ctr_configure(struct netd_rtnl *ns, const struct netd_ctr_conf *cc, int *ifindex,
			      uint8_t mac[6], struct netd_ctr_defaults *added,
			      struct netd_err *err);
int __wrap_netd_ctr_configure(struct netd_rtnl *ns, const struct netd_ctr_conf *cc, int *ifindex,
			      uint8_t mac[6], struct netd_ctr_defaults *added, struct netd_err *err)
{
	assert_ptr_equal(ns, &fake_ns_rtnl);
	assert_true(find(host.links, host.n_links, "ctr:") >= 0);
	/* like the real one: lo comes up first, the addresses may fail after it */
	host.lo_up = true;
	if (step("ctr_configure", err) < 0)
		return -EIO;
	*ifindex = 2;
	memset(mac, 0x02, 6);
	added->v4 = cc->default_if_none;
	added->v6 = cc->default6_if_none;
	return 0;
}

int __wrap_netd_conntrack_flush_port(const struct netd_port *p, struct netd_err *err);
int __wrap_netd_conntrack_flush_port(const struct netd_port *p, struct netd_err *err)
{
	host.flushes++;
	return step("conntrack_flush", err);
}

int __wrap_netd_dns_sync(const char *network, struct netd_err *err);
int __wrap_netd_dns_sync(const char *network, struct netd_err *err)
{
	host.dns_syncs++;
	return step("dns_sync", err);
}

const char *__wrap_netd_dns_server_path(void);
const char *__wrap_netd_dns_server_path(void)
{
	return NULL;
}

/* Attach never buries or sweeps: a call here would reach the machine's links. A detach buries
 * (host.detaching): the pair leaves the fake host as a tombstone would leave the names. */
int __wrap_netd_tomb_bury(struct netd_rtnl *rt, const char *host_ifname, const char *alias,
			  const char *ctr_ifname, const char *netns, struct netd_err *err);
int __wrap_netd_tomb_bury(struct netd_rtnl *rt, const char *host_ifname, const char *alias,
			  const char *ctr_ifname, const char *netns, struct netd_err *err)
{
	if (!host.detaching)
		fail_msg("tomb_bury called by attach");
	return __wrap_netd_link_del(rt, host_ifname, err);
}

unsigned __wrap_netd_tomb_sweep(struct netd_rtnl *rt);
unsigned __wrap_netd_tomb_sweep(struct netd_rtnl *rt)
{
	fail_msg("tomb_sweep called by attach");
	return 0;
}

/* CHECK: inside the container all is there (link.c's own test covers what it looks at). */
int __wrap_netd_ctr_check(struct netd_rtnl *ns, const struct netd_ctr_conf *cc,
			  struct netd_err *err);
int __wrap_netd_ctr_check(struct netd_rtnl *ns, const struct netd_ctr_conf *cc,
			  struct netd_err *err)
{
	assert_ptr_equal(ns, &fake_ns_rtnl);
	return find(host.links, host.n_links, "ctr:") >= 0
		   ? 0
		   : netd_err_set(err, ENODEV, "link %s: no such device", cc->ifname);
}

int __wrap_netd_nat_port_lookup(const struct netd_port *p, const struct netd_nat_ctr *ctr,
				bool *present, struct netd_err *err);
int __wrap_netd_nat_port_lookup(const struct netd_port *p, const struct netd_nat_ctr *ctr,
				bool *present, struct netd_err *err)
{
	char e[FAKE_LINE];

	port_elem(p, e, sizeof(e));
	*present = find(host.elems, host.n_elems, e) >= 0;
	return 0;
}

/* The name rules themselves, counted. */
int __real_netd_name_check_network(const char *name, struct netd_err *err);
int __wrap_netd_name_check_network(const char *name, struct netd_err *err);
int __wrap_netd_name_check_network(const char *name, struct netd_err *err)
{
	n_check_network++;
	return __real_netd_name_check_network(name, err);
}

int __real_netd_name_check_id(const char *id, struct netd_err *err);
int __wrap_netd_name_check_id(const char *id, struct netd_err *err);
int __wrap_netd_name_check_id(const char *id, struct netd_err *err)
{
	n_check_id++;
	return __real_netd_name_check_id(id, err);
}

int __real_netd_name_check_ifname(const char *ifname, struct netd_err *err);
int __wrap_netd_name_check_ifname(const char *ifname, struct netd_err *err);
int __wrap_netd_name_check_ifname(const char *ifname, struct netd_err *err)
{
	n_check_ifname++;
	return __real_netd_name_check_ifname(ifname, err);
}

static void count_reset(void)
{
	n_check_network = n_check_id = n_check_ifname = 0;
}

/* ---- the state ---- */

static char top[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* A temp dir of this test: nothing of the host's. */
static int rm_tree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

enum bridge_was {
	BR_NONE,   /* this attach makes it */
	BR_THERE,  /* set up by an earlier attach whose endpoint has gone */
	BR_CACHED, /* and cached in the state dir (brcache.h): attach asks the kernel nothing */
	BR_CACHED_GONE, /* cached, but deleted by hand: attach sets it up again */
};

struct cfg {
	bool v6, ports;
	enum bridge_was bridge;
};

static void make_world(const struct cfg *cf)
{
	char dir[PATH_MAX], text[256];
	struct netd_netconf nc;
	struct netd_err e = {0};

	memset(&host, 0, sizeof(host));
	if (top[0])
		assert_int_equal(rm_tree(top), 0);
	snprintf(top, sizeof(top), "/tmp/netd-test-attach.XXXXXX");
	assert_non_null(mkdtemp(top));
	assert_int_equal(setenv("NETD_STATE_DIR", top, 1), 0);
	snprintf(dir, sizeof(dir), "%s/conf", top);
	assert_int_equal(setenv("NETD_CONFIG_DIR", dir, 1), 0);
	snprintf(dir, sizeof(dir), "%s/cni-conf", top);
	assert_int_equal(setenv("NETD_CNI_CONFIG_DIR", dir, 1), 0);
	snprintf(text, sizeof(text), "subnet=10.77.0.0/24\nbridge=" BRIDGE "\n%s",
		 cf->v6 ? "subnet6=fd77::/64\n" : "");
	assert_int_equal(netd_netconf_parse(NET, NULL, text, &nc, &e), 0);
	assert_int_equal(netd_netconf_save(&nc, &e), 0);
	if (cf->bridge != BR_NONE) {
		/* the network's lock and dirs, as an earlier attach left them */
		int lk = netd_store_lock_network(NET, &e);

		assert_true(lk >= 0);
		close(lk);
	}
	if (cf->bridge == BR_THERE || cf->bridge == BR_CACHED)
		add(host.links, &host.n_links, BRIDGE " bridge");
	/* the network's elements stay with its bridge, and after it when it is deleted by hand */
	if (cf->bridge != BR_NONE)
		add(host.elems, &host.n_elems, "net " BRIDGE);
	if (cf->bridge == BR_CACHED || cf->bridge == BR_CACHED_GONE) {
		/* what attach_bridge caches after its full setup */
		const struct netd_brcache bc = {
		    .network = NET,
		    .bridge = BRIDGE,
		    .gw = nc.gateway,
		    .prefix = nc.prefix,
		    .mtu = nc.mtu,
		    .gw6 = nc.gateway6,
		    .prefix6 = nc.subnet6.len,
		};

		int ifindex = cf->bridge == BR_CACHED ? BRIDGE_IFINDEX : BRIDGE_IFINDEX + 2;

		netd_brcache_store(&bc, ifindex);
		assert_int_equal(netd_brcache_lookup(&bc), ifindex);
	}
}

static int done(void **state)
{
	(void)state;
	if (top[0] && rm_tree(top) < 0)
		return -1;
	top[0] = '\0';
	return 0;
}

/* Everything a failed attach must leave as it was, one line each: the fake host's links,
 * elements and lo, and the state dir's files with their content. Left out: the bridge cache (it
 * may outlive an attach as long as its bridge does: cache_matches_host) and empty lock files. */
struct snap {
	char **lines;
	size_t n;
};

static struct snap *snap_cur;

static void snap_add(struct snap *sn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void snap_add(struct snap *sn, const char *fmt, ...)
{
	va_list ap;

	sn->lines = realloc(sn->lines, (sn->n + 1) * sizeof(*sn->lines));
	assert_non_null(sn->lines);
	va_start(ap, fmt);
	assert_true(vasprintf(&sn->lines[sn->n++], fmt, ap) >= 0);
	va_end(ap);
}

static int snap_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	char data[400] = "";
	ssize_t n;
	int fd;

	if (flag != FTW_F || !strcmp(base, "bridge") ||
	    (st->st_size == 0 && (!strcmp(base, "lock") || strstr(base, ".lock"))))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	assert_true(n >= 0);
	data[n] = '\0';
	snap_add(snap_cur, "file %s [%s]", path + strlen(top), data);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *snapshot(void)
{
	struct snap sn = {0};
	size_t len = 1;
	char *out;

	snap_add(&sn, "lo %s", host.lo_up ? "up" : "down");
	for (size_t i = 0; i < host.n_links; i++)
		snap_add(&sn, "link %s", host.links[i]);
	for (size_t i = 0; i < host.n_elems; i++)
		snap_add(&sn, "elem %s", host.elems[i]);
	snap_cur = &sn;
	assert_int_equal(nftw(top, snap_entry, 16, FTW_PHYS), 0);
	qsort(sn.lines, sn.n, sizeof(*sn.lines), cmp_str);
	for (size_t i = 0; i < sn.n; i++)
		len += strlen(sn.lines[i]) + 1;
	out = malloc(len);
	assert_non_null(out);
	*out = '\0';
	for (size_t i = 0; i < sn.n; i++) {
		strcat(strcat(out, sn.lines[i]), "\n");
		free(sn.lines[i]);
	}
	free(sn.lines);
	return out;
}

/* The bridge cache's text ("" when there is none). */
static void read_cache(char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/networks/" NET "/bridge", top);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

/* A cache attach wrote names a bridge that is there (one it found stale may stay: harmless). */
static void cache_matches_host(const char *before)
{
	char now[512];

	read_cache(now, sizeof(now));
	if (*now && strcmp(now, before))
		assert_true(link_there(BRIDGE));
}

/* ---- the request ---- */

/* "-p 8080:80" (both families where the network has IPv6) and "-p 53/udp" (host port chosen:
 * the record is written first without ports, then again; UDP: conntrack is flushed). */
static const struct netd_port req_ports[] = {
    {.proto = 6, .host_port = 8080, .ctr_port = 80},
    {.proto = 17, .host_port = 0, .ctr_port = 53},
};

static void request(const struct cfg *cf, struct netd_attach_req *req)
{
	memset(req, 0, sizeof(*req));
	req->network = NET;
	req->netns = NETNS;
	req->id = "c1";
	req->name = "web";
	if (cf->ports) {
		req->ports = req_ports;
		req->n_ports = sizeof(req_ports) / sizeof(req_ports[0]);
	}
}

static const char *key(void)
{
	static char k[NETD_KEY_MAX];

	assert_int_equal(netd_store_key(k, sizeof(k), NET, "c1", "eth0"), 0);
	return k;
}

/* What a successful attach leaves: record, leases, claims per family, elements, links. */
static void assert_attached(const struct cfg *cf, const struct netd_endpoint *ep)
{
	struct netd_endpoint rec = {0};
	struct netd_err e = {0};
	char owner[NETD_KEY_MAX + 1], alias[NETD_KEY_MAX + 8], elem[FAKE_LINE];
	unsigned fam4 = 0, fam6 = 0;

	assert_int_equal(netd_store_endpoint_load(NET, "c1", "eth0", &rec, &e), 0);
	assert_string_equal(rec.state, "ready");
	assert_int_equal(rec.ip.s_addr, ep->ip.s_addr);
	assert_int_equal(rec.n_ports, ep->n_ports);
	netd_endpoint_clear(&rec);

	assert_int_equal(netd_ipam_owner(NET, ep->ip, owner, sizeof(owner), &e), 0);
	assert_string_equal(owner, key());
	if (cf->v6) {
		assert_int_equal(ep->ip6.family, AF_INET6);
		assert_int_equal(netd_ipam_owner_ip(NET, &ep->ip6, owner, sizeof(owner), &e), 0);
		assert_string_equal(owner, key());
	} else {
		assert_int_equal(ep->ip6.family, 0);
	}

	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct netd_port *p = &ep->ports[i];

		assert_true(p->host_port != 0);
		if (p->proto ==
		    17) /* chosen from ip_local_port_range (the fake's, or the default) */
			assert_true((p->host_port >= 40000 && p->host_port <= 40100) ||
				    p->host_port == 32768);
		else
			assert_int_equal(p->host_port, 8080);
		assert_int_equal(netd_store_port_owner(p, owner, sizeof(owner), &e), 0);
		assert_string_equal(owner, key());
		port_elem(p, elem, sizeof(elem));
		assert_true(find(host.elems, host.n_elems, elem) >= 0);
		if (p->host_ip.family == AF_INET6) {
			fam6++;
			/* the [::] twin has its 0.0.0.0 port's host port */
			assert_true(i > 0);
			assert_int_equal(p->host_port, ep->ports[i - 1].host_port);
		} else {
			assert_int_equal(p->host_ip.family, AF_INET);
			fam4++;
		}
	}
	assert_int_equal(fam4, cf->ports ? 2 : 0);
	assert_int_equal(fam6, cf->ports && cf->v6 ? 2 : 0);
	assert_int_equal(host.n_elems, 1 + ep->n_ports);
	assert_true(find(host.elems, host.n_elems, "net " BRIDGE) >= 0);

	snprintf(alias, sizeof(alias), "%s veth " NETD_ALIAS_PREFIX "%s", ep->host_ifname, key());
	assert_true(find(host.links, host.n_links, alias) >= 0);
	assert_true(find(host.links, host.n_links, "ctr:eth0 ") >= 0);
	assert_true(link_there(BRIDGE));
	assert_int_equal(host.n_links, 3);
	assert_true(host.lo_up);
	assert_true(host.dns_syncs >= 1);
	cache_matches_host("");
}

/* One attach, failing at step fail_step (0: none) or at the named NETD_FAIL_AT step. Returns
 * attach's result; checks what it left either way. */
static int attach_once(const struct cfg *cf, unsigned fail_step, const char *fail_at)
{
	struct netd_attach_req req;
	struct netd_endpoint ep;
	struct netd_err e = {0};
	char *before, *after, cache[512];
	int r;

	make_world(cf);
	request(cf, &req);
	before = snapshot();
	read_cache(cache, sizeof(cache));
	host.steps = 0;
	host.fail_step = fail_step;
	if (fail_at)
		assert_int_equal(setenv("NETD_FAIL_AT", fail_at, 1), 0);
	r = netd_network_attach(&req, &ep, &e);
	unsetenv("NETD_FAIL_AT");
	if (r == 0) {
		assert_attached(cf, &ep);
		netd_endpoint_clear(&ep);
	} else {
		/* A bridge deleted by hand that this attach made again goes with its rollback, and
		 * the network's elements left behind with it: tidier than before, not a leftover.
		 */
		if (cf->bridge == BR_CACHED_GONE && !link_there(BRIDGE) &&
		    find(host.elems, host.n_elems, "net " BRIDGE) < 0)
			add(host.elems, &host.n_elems, "net " BRIDGE);
		after = snapshot();
		if (strcmp(before, after))
			fail_msg("attach failed at %s (%s) but left a change:\n--- before\n%s--- "
				 "after\n%s",
				 fail_at ? fail_at : host.failed, e.msg, before, after);
		cache_matches_host(cache);
		free(after);
	}
	free(before);
	return r;
}

static void rollback_at_each_step(const struct cfg *cf)
{
	unsigned n, failed = 0;

	/* the whole attach: how many steps it takes */
	assert_int_equal(attach_once(cf, 0, NULL), 0);
	n = host.steps;
	assert_true(n >= 10);
	for (unsigned k = 1; k <= n; k++) {
		int r = attach_once(cf, k, NULL);

		assert_true(host.fail_step <= host.steps); /* step k was reached */
		failed += r < 0;
		/* Only lookups attach may do without fail softly: lo's state (then it is not taken
		 * down again), the port range and the boot id (then the bridge is not cached); and
		 * a veth refused on a cached bridge is made again after the full setup. */
		if (r == 0 && strcmp(host.failed, "link_get") &&
		    strcmp(host.failed, "sysctl_read") &&
		    !(cf->bridge >= BR_CACHED && !strcmp(host.failed, "veth_create#1")))
			fail_msg("attach went on after step %u (%s) failed", k, host.failed);
	}
	print_message("%u steps, attach failed at %u of them and rolled back\n", n, failed);
	assert_true(failed > n / 2);
#ifdef NETD_FAULT_INJECTION
	{
		static const char *const named[] = {"record",  "ports", "veth",	 "configure",
						    "publish", "dns",	"commit"};

		for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
			bool applies =
			    cf->ports || (strcmp(named[i], "ports") && strcmp(named[i], "publish"));

			assert_int_equal(attach_once(cf, 0, named[i]) < 0, applies);
		}
	}
#endif
}

#define CASE(name, v6_, ports_, bridge_)                                                           \
	static void name(void **state)                                                             \
	{                                                                                          \
		const struct cfg cf = {.v6 = v6_, .ports = ports_, .bridge = bridge_};             \
		(void)state;                                                                       \
		rollback_at_each_step(&cf);                                                        \
	}

CASE(test_v4_new_bridge, false, false, BR_NONE)
CASE(test_v4_existing_bridge, false, false, BR_THERE)
CASE(test_v4_cached_bridge, false, false, BR_CACHED)
CASE(test_v4_cached_bridge_gone, false, false, BR_CACHED_GONE)
CASE(test_v4_ports_new_bridge, false, true, BR_NONE)
CASE(test_v4_ports_existing_bridge, false, true, BR_THERE)
CASE(test_dual_new_bridge, true, false, BR_NONE)
CASE(test_dual_existing_bridge, true, false, BR_THERE)
CASE(test_dual_ports_new_bridge, true, true, BR_NONE)
CASE(test_dual_ports_existing_bridge, true, true, BR_THERE)
CASE(test_dual_ports_cached_bridge, true, true, BR_CACHED)
CASE(test_dual_ports_cached_bridge_gone, true, true, BR_CACHED_GONE)

/*
 * Validate once, at the door (STYLE.md): a request's names are checked where it enters libnetd,
 * and the modules below trust them. Names read back from disk (records, leases, claims, directory
 * entries) are hostile input and checked where they are read, unless they equal a name checked
 * already: this endpoint's own record and leases are compared with the request's names instead.
 * The one other read is the rule that keeps networks apart (netd_netconf_check_unique): it lists
 * the network definitions of the config dirs, one name each (here: this network's).
 * Before the move an attach checked the network name 14 times (18 dual stack with ports), a
 * check 5 (7) times, a detach 13 (19) times.
 */
static void names_checked_once(const struct cfg *cf)
{
	struct netd_attach_req req;
	struct netd_endpoint ep;
	struct netd_err e = {0};

	make_world(cf);
	request(cf, &req);

	count_reset();
	assert_int_equal(netd_network_attach(&req, &ep, &e), 0);
	print_message("attach: %u network, %u id, %u ifname name checks\n", n_check_network,
		      n_check_id, n_check_ifname);
	assert_int_equal(n_check_network, 1 + 1); /* the door, the definition listed */
	assert_int_equal(n_check_id, 1);
	netd_endpoint_clear(&ep);

	count_reset();
	if (netd_network_check(NET, "c1", "eth0", NULL, &e) < 0)
		fail_msg("check: %s", e.msg);
	print_message("check: %u network, %u id, %u ifname name checks\n", n_check_network,
		      n_check_id, n_check_ifname);
	assert_int_equal(n_check_network, 1);
	assert_int_equal(n_check_id, 1);

	count_reset();
	host.detaching = true;
	assert_int_equal(netd_network_detach(NET, "c1", "eth0", &e), 0);
	host.detaching = false;
	print_message("detach: %u network, %u id, %u ifname name checks\n", n_check_network,
		      n_check_id, n_check_ifname);
	assert_int_equal(n_check_network, 1);
	assert_int_equal(n_check_id, 1);
	assert_int_equal(host.n_links, 1); /* the bridge */
	assert_int_equal(host.n_elems, 1); /* the network's */
}

static void test_names_checked_once_v4(void **state)
{
	const struct cfg cf = {.v6 = false, .ports = false, .bridge = BR_NONE};

	(void)state;
	names_checked_once(&cf);
}

static void test_names_checked_once_dual_ports(void **state)
{
	const struct cfg cf = {.v6 = true, .ports = true, .bridge = BR_CACHED};

	(void)state;
	names_checked_once(&cf);
}

/* A bad name fails at the door, with names.c's message, before anything is looked at. */
static void test_bad_names_fail_at_the_door(void **state)
{
	const struct cfg cf = {0};
	struct netd_attach_req req;
	struct netd_endpoint ep;
	struct netd_err e = {0};
	char *before, *after;

	(void)state;
	make_world(&cf);
	before = snapshot();
	request(&cf, &req);
	req.network = "../x";
	host.steps = 0;
	assert_int_equal(netd_network_attach(&req, &ep, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid network name \"../x\""));
	request(&cf, &req);
	req.id = "a/b";
	assert_int_equal(netd_network_attach(&req, &ep, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid endpoint id \"a/b\""));
	request(&cf, &req);
	req.ifname = "..";
	assert_int_equal(netd_network_attach(&req, &ep, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid interface name \"..\""));
	/* only the admin check came before the names */
	assert_true(host.steps <= 3);
	assert_int_equal(netd_network_detach("../x", "c1", "eth0", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid network name \"../x\""));
	assert_int_equal(netd_network_check(NET, "../c1", "eth0", NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid endpoint id \"../c1\""));
	assert_int_equal(netd_network_check("a b", "c1", "eth0", NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid network name \"a b\""));
	after = snapshot();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

#define T(f) cmocka_unit_test_teardown(f, done)

int main(void)
{
	struct netd_rtnl *rt = NULL;
	struct netd_err e = {0};

	/* Built without the wraps, attach would work on this machine's own links: refuse. */
	if (netd_rtnl_open(&rt, &e) < 0 || rt != (struct netd_rtnl *)&fake_rtnl) {
		fprintf(stderr, "test_attach: not linked with -Wl,--wrap (ATTACH_WRAPS in the "
				"Makefile)\n");
		if (rt)
			netd_rtnl_close(rt); /* the real socket, then */
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    T(test_v4_new_bridge),
	    T(test_v4_existing_bridge),
	    T(test_v4_cached_bridge),
	    T(test_v4_cached_bridge_gone),
	    T(test_v4_ports_new_bridge),
	    T(test_v4_ports_existing_bridge),
	    T(test_dual_new_bridge),
	    T(test_dual_existing_bridge),
	    T(test_dual_ports_new_bridge),
	    T(test_dual_ports_existing_bridge),
	    T(test_dual_ports_cached_bridge),
	    T(test_dual_ports_cached_bridge_gone),
	    T(test_names_checked_once_v4),
	    T(test_names_checked_once_dual_ports),
	    T(test_bad_names_fail_at_the_door),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
