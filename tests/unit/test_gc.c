/* SPDX-License-Identifier: MIT */
/*
 * gc's decisions (docs/design.md, "What gc trusts") without a kernel: the state files are real
 * (a temp state dir, written and read by the store itself), the kernel steps gc takes are
 * replaced at link time (-Wl,--wrap, the list is GC_WRAPS in the Makefile) by a fake host that
 * holds a list of links (name, alias) and of live namespaces, and logs every teardown, link
 * deletion and unpublish. Each test lays out one combination of record (ok / damaged / missing),
 * lease, veth (alive / gone / tombstone) and claim, runs netd_gc, and checks what gc removed,
 * repaired or left.
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
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <netd/network.h>
#include "claims.h"
#include "endpoint_store.h"
#include "ipam.h"
#include "link.h"
#include "nat.h"
#include "network_priv.h"
#include "store.h"
#include "util.h"

#define NET  "gcnet"
#define IP1  "10.77.0.2"
#define PORT 8080

/* ---- the fake host ---- */

#define MAX_FAKE 16

static struct {
	char links[MAX_FAKE][NETD_IFNAME_MAX + 1];
	char aliases[MAX_FAKE][256];
	size_t n_links;
	char netns[MAX_FAKE][64]; /* namespaces that live */
	size_t n_netns;
	char torn[MAX_FAKE][NETD_KEY_MAX]; /* teardown of a record, by key */
	size_t n_torn;
	char torn_damaged[MAX_FAKE][NETD_KEY_MAX];
	size_t n_torn_damaged;
	char deleted[MAX_FAKE][NETD_IFNAME_MAX + 1]; /* netd_link_del */
	size_t n_deleted;
	unsigned unpublished; /* ports whose map element gc removed */
	unsigned nat_restored;
} host;

static int fake_rtnl; /* its address stands for the socket */

static void add_link(const char *name, const char *alias)
{
	assert_true(host.n_links < MAX_FAKE);
	snprintf(host.links[host.n_links], sizeof(host.links[0]), "%s", name);
	snprintf(host.aliases[host.n_links], sizeof(host.aliases[0]), "%s", alias);
	host.n_links++;
}

static void drop_link(const char *name)
{
	for (size_t i = 0; i < host.n_links; i++) {
		if (strcmp(host.links[i], name))
			continue;
		host.n_links--;
		memmove(host.links[i], host.links[host.n_links], sizeof(host.links[0]));
		memmove(host.aliases[i], host.aliases[host.n_links], sizeof(host.aliases[0]));
		return;
	}
}

int __wrap_netd_need_admin(const char *what, struct netd_err *err);
int __wrap_netd_need_admin(const char *what, struct netd_err *err)
{
	return 0;
}

int __wrap_netd_rtnl_open(struct netd_rtnl **out, struct netd_err *err);
int __wrap_netd_rtnl_open(struct netd_rtnl **out, struct netd_err *err)
{
	*out = (struct netd_rtnl *)&fake_rtnl;
	return 0;
}

void __wrap_netd_rtnl_close(struct netd_rtnl *r);
void __wrap_netd_rtnl_close(struct netd_rtnl *r)
{
	assert_ptr_equal(r, &fake_rtnl);
}

int __wrap_netd_link_get(struct netd_rtnl *r, const char *name, struct netd_link_info *info,
			 struct netd_err *err);
int __wrap_netd_link_get(struct netd_rtnl *r, const char *name, struct netd_link_info *info,
			 struct netd_err *err)
{
	for (size_t i = 0; i < host.n_links; i++) {
		if (strcmp(host.links[i], name))
			continue;
		memset(info, 0, sizeof(*info));
		info->ifindex = (int)i + 10;
		snprintf(info->kind, sizeof(info->kind), "veth");
		snprintf(info->alias, sizeof(info->alias), "%s", host.aliases[i]);
		return 0;
	}
	return netd_err_set(err, ENODEV, "link %s: no such device", name);
}

int __wrap_netd_link_del(struct netd_rtnl *r, const char *name, struct netd_err *err);
int __wrap_netd_link_del(struct netd_rtnl *r, const char *name, struct netd_err *err)
{
	assert_true(host.n_deleted < MAX_FAKE);
	snprintf(host.deleted[host.n_deleted++], sizeof(host.deleted[0]), "%s", name);
	drop_link(name);
	return 0;
}

int __wrap_netd_link_foreach_alias(struct netd_rtnl *r, const char *alias_prefix, netd_link_fn fn,
				   void *arg, struct netd_err *err);
int __wrap_netd_link_foreach_alias(struct netd_rtnl *r, const char *alias_prefix, netd_link_fn fn,
				   void *arg, struct netd_err *err)
{
	/* A snapshot first, as the real dump: fn may delete links. */
	char names[MAX_FAKE][NETD_IFNAME_MAX + 1];
	struct netd_link_info infos[MAX_FAKE];
	size_t n = 0;

	for (size_t i = 0; i < host.n_links; i++) {
		if (strncmp(host.aliases[i], alias_prefix, strlen(alias_prefix)))
			continue;
		memcpy(names[n], host.links[i], sizeof(names[0]));
		memset(&infos[n], 0, sizeof(infos[0]));
		snprintf(infos[n].alias, sizeof(infos[n].alias), "%s", host.aliases[i]);
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		int rv = fn(names[i], &infos[i], arg);
		if (rv < 0)
			return netd_err_set(err, -rv, "links: callback");
		if (rv > 0)
			break;
	}
	return 0;
}

int __wrap_netd_netns_open(const char *path, struct netd_err *err);
int __wrap_netd_netns_open(const char *path, struct netd_err *err)
{
	for (size_t i = 0; i < host.n_netns; i++)
		if (!strcmp(host.netns[i], path))
			return open("/dev/null", O_RDONLY | O_CLOEXEC);
	return netd_err_set(err, ENOENT, "netns %s: gone", path);
}

unsigned __wrap_netd_tomb_sweep(struct netd_rtnl *rt);
unsigned __wrap_netd_tomb_sweep(struct netd_rtnl *rt)
{
	return 0; /* tombstone.c's own decision (its deleter's flock); not gc's */
}

int __wrap_netd_nat_table_probe(bool *exists, struct netd_err *err);
int __wrap_netd_nat_table_probe(bool *exists, struct netd_err *err)
{
	*exists = true;
	return 0;
}

int __wrap_netd_nat_unpublish(const struct netd_port *ports, size_t n,
			      const struct netd_nat_ctr *ctr, struct netd_err *err);
int __wrap_netd_nat_unpublish(const struct netd_port *ports, size_t n,
			      const struct netd_nat_ctr *ctr, struct netd_err *err)
{
	host.unpublished += (unsigned)n;
	return 0;
}

int __wrap_netd_network_restore_nat(struct netd_err *err);
int __wrap_netd_network_restore_nat(struct netd_err *err)
{
	host.nat_restored++;
	return 0;
}

int __wrap_netd_dns_converge(struct netd_err *err);
int __wrap_netd_dns_converge(struct netd_err *err)
{
	return 0;
}

/* The teardowns do to the files what the real ones do (lease, claims, record go), and take the
 * veth away; what the kernel would see is the fake host's. */
struct by_key {
	const char *key;
	struct in_addr ips[MAX_FAKE];
	struct netd_port ports[MAX_FAKE];
	size_t n_ips, n_ports;
};

static int lease_of(struct in_addr ip, const char *key, void *arg)
{
	struct by_key *b = arg;

	if (key && !strcmp(key, b->key) && b->n_ips < MAX_FAKE)
		b->ips[b->n_ips++] = ip;
	return 0;
}

static int claim_of(const struct netd_port *p, const char *key, void *arg)
{
	struct by_key *b = arg;

	if (key && !strcmp(key, b->key) && b->n_ports < MAX_FAKE)
		b->ports[b->n_ports++] = *p;
	return 0;
}

static void remove_files_of(const char *network, const char *id, const char *ifname)
{
	char key[NETD_KEY_MAX];
	struct by_key b = {.key = key};
	struct netd_err e;

	assert_int_equal(netd_store_key(key, sizeof(key), network, id, ifname), 0);
	assert_int_equal(netd_ipam_foreach(network, lease_of, &b, &e), 0);
	assert_int_equal(netd_store_port_foreach(claim_of, &b, &e), 0);
	for (size_t i = 0; i < b.n_ips; i++)
		assert_int_equal(netd_ipam_release(network, b.ips[i], key, &e), 0);
	for (size_t i = 0; i < b.n_ports; i++)
		assert_int_equal(netd_store_port_release(&b.ports[i], key, &e), 0);
	assert_int_equal(netd_store_endpoint_delete(network, id, ifname, &e), 0);
}

int __wrap_netd_endpoint_teardown_flags(const struct netd_endpoint *ep, unsigned flags,
					struct netd_err *err);
int __wrap_netd_endpoint_teardown_flags(const struct netd_endpoint *ep, unsigned flags,
					struct netd_err *err)
{
	assert_true(host.n_torn < MAX_FAKE);
	assert_int_equal(
	    netd_store_key(host.torn[host.n_torn++], NETD_KEY_MAX, ep->network, ep->id, ep->ifname),
	    0);
	remove_files_of(ep->network, ep->id, ep->ifname);
	drop_link(ep->host_ifname);
	return 0;
}

int __wrap_netd_endpoint_teardown_damaged(const char *network, const char *id, const char *ifname,
					  unsigned flags, struct netd_err *err);
int __wrap_netd_endpoint_teardown_damaged(const char *network, const char *id, const char *ifname,
					  unsigned flags, struct netd_err *err)
{
	char *k = host.torn_damaged[host.n_torn_damaged++];

	assert_true(host.n_torn_damaged <= MAX_FAKE);
	assert_int_equal(netd_store_key(k, NETD_KEY_MAX, network, id, ifname), 0);
	remove_files_of(network, id, ifname);
	return 0;
}

/* The name rules, counted: gc checks each network name it reads from disk, once. */
static unsigned n_check_network;

int __real_netd_name_check_network(const char *name, struct netd_err *err);
int __wrap_netd_name_check_network(const char *name, struct netd_err *err);
int __wrap_netd_name_check_network(const char *name, struct netd_err *err)
{
	n_check_network++;
	return __real_netd_name_check_network(name, err);
}

/* ---- the state ---- */

static char top[64];

static int setup(void **state)
{
	(void)state;
	memset(&host, 0, sizeof(host));
	snprintf(top, sizeof(top), "/tmp/netd-test-gc.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	return setenv("NETD_STATE_DIR", top, 1);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* A temp dir of this test: nothing of the host's. */
static int rm_tree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int teardown(void **state)
{
	(void)state;
	return rm_tree(top);
}

static void key_of(char *key, const char *id)
{
	assert_int_equal(netd_store_key(key, NETD_KEY_MAX, NET, id, "eth0"), 0);
}

static void host_name_of(char *name, const char *id)
{
	char key[NETD_KEY_MAX];

	key_of(key, id);
	snprintf(name, NETD_IFNAME_MAX + 1, "nd%08x", netd_hash32(key));
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct netd_port port_at(uint16_t hp)
{
	/* A resolved port names its family: family 0 ("both") is a request, never a record. */
	struct netd_port p = {
	    .proto = 6, .host_ip = {.family = AF_INET}, .host_port = hp, .ctr_port = 80};

	return p;
}

/* A record of id on NET (veth alive or not, namespace alive or not), its lease and claim. */
static void make_endpoint(const char *id, const char *st, int pid, const char *ip, int hport,
			  bool veth, bool netns)
{
	struct netd_endpoint ep = {0};
	struct netd_port p = port_at((uint16_t)hport);
	char key[NETD_KEY_MAX], alias[NETD_KEY_MAX + 8];
	struct netd_err e = {0};

	key_of(key, id);
	snprintf(ep.network, sizeof(ep.network), NET);
	snprintf(ep.id, sizeof(ep.id), "%s", id);
	snprintf(ep.ifname, sizeof(ep.ifname), "eth0");
	host_name_of(ep.host_ifname, id);
	snprintf(ep.bridge, sizeof(ep.bridge), "gcbr0");
	snprintf(ep.netns, sizeof(ep.netns), "/run/netns/%s", id);
	snprintf(ep.state, sizeof(ep.state), "%s", st);
	ep.pid = pid;
	ep.ip = ip4(ip);
	ep.prefix = 24;
	ep.gateway = ip4("10.77.0.1");
	if (hport) {
		ep.ports = &p;
		ep.n_ports = 1;
	}
	assert_int_equal(netd_store_endpoint_save(&ep, &e), 0);
	if (veth) {
		snprintf(alias, sizeof(alias), NETD_ALIAS_PREFIX "%s", key);
		add_link(ep.host_ifname, alias);
	}
	if (netns) {
		assert_true(host.n_netns < MAX_FAKE);
		snprintf(host.netns[host.n_netns++], sizeof(host.netns[0]), "%s", ep.netns);
	}
}

static void make_lease(const char *ip, const char *id)
{
	char key[NETD_KEY_MAX];
	struct netd_err e = {0};

	key_of(key, id);
	assert_int_equal(netd_ipam_repair(NET, ip4(ip), key, &e), 0);
}

static void make_claim(int hport, const char *id)
{
	char key[NETD_KEY_MAX];
	struct netd_port p = port_at((uint16_t)hport);
	struct netd_err e = {0};

	key_of(key, id);
	assert_int_equal(netd_store_port_claim(&p, key, &e), 0);
}

/* rel: a path under the state dir. */
static void write_garbage(const char *rel)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct netd_err e = {0};
	int fd;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(netd_mkdirs(dir, false, &e), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x01garbage", 8), 8);
	close(fd);
}

static void damage_lease(const char *ip)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "networks/" NET "/ips/%s", ip);
	write_garbage(rel);
}

static void damage_claim(int hport)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "ports/tcp-%d/0.0.0.0", hport);
	write_garbage(rel);
}

/* The network's lock and dirs, as an attach leaves them. */
static void make_network(void)
{
	struct netd_err e = {0};
	int lk = netd_store_lock_network(NET, &e);

	assert_true(lk >= 0);
	close(lk);
}

static void damage_record(const char *id)
{
	char rel[NETD_ID_MAX + 64];

	snprintf(rel, sizeof(rel), "networks/" NET "/endpoints/%s@eth0", id);
	write_garbage(rel);
	make_network();
}

/* A pid that is surely not running: a child that has exited and been reaped. */
static int dead_pid(void)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0)
		_exit(0);
	assert_int_equal(waitpid(p, NULL, 0), p);
	return (int)p;
}

/* ---- what gc left ---- */

/* The lease's owner id ("" when free, "damaged" when unreadable). */
static const char *lease_owner(const char *ip)
{
	static char owner[NETD_KEY_MAX + 1];
	struct netd_err e = {0};
	int r = netd_ipam_owner(NET, ip4(ip), owner, sizeof(owner), &e);

	if (r == -ENOENT)
		return "";
	if (r == -NETD_EDAMAGED)
		return "damaged";
	assert_int_equal(r, 0);
	return owner;
}

static const char *claim_owner(int hport)
{
	static char owner[NETD_KEY_MAX + 1];
	struct netd_port p = port_at((uint16_t)hport);
	struct netd_err e = {0};
	int r = netd_store_port_owner(&p, owner, sizeof(owner), &e);

	if (r == -ENOENT)
		return "";
	if (r == -NETD_EDAMAGED)
		return "damaged";
	assert_int_equal(r, 0);
	return owner;
}

static bool record_there(const char *id)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/networks/" NET "/endpoints/%s@eth0", top, id);
	return access(path, F_OK) == 0;
}

static bool has_link(const char *name)
{
	for (size_t i = 0; i < host.n_links; i++)
		if (!strcmp(host.links[i], name))
			return true;
	return false;
}

static struct netd_gc_stats run_gc(void)
{
	struct netd_gc_stats st;
	struct netd_err e = {0};

	if (netd_gc(NULL, NULL, 0, &st, &e) < 0)
		fail_msg("gc: %s", e.msg);
	return st;
}

#define K(id) NET "/" id "@eth0"

/* ---- record ok ---- */

static void test_ok_alive_untouched(void **state)
{
	char veth[NETD_IFNAME_MAX + 1];

	(void)state;
	make_endpoint("c1", "ready", 0, IP1, PORT, true, true);
	make_lease(IP1, "c1");
	make_claim(PORT, "c1");
	struct netd_gc_stats st = run_gc();

	host_name_of(veth, "c1");
	assert_int_equal(host.n_torn + host.n_deleted + host.unpublished, 0);
	assert_true(record_there("c1") && has_link(veth));
	assert_string_equal(lease_owner(IP1), K("c1"));
	assert_string_equal(claim_owner(PORT), K("c1"));
	assert_int_equal(st.endpoints + st.veths + st.leases + st.ports + st.repaired, 0);
	assert_int_equal(host.nat_restored, 1); /* the table is put back from the records */
}

static void test_ok_veth_gone_torn_down(void **state)
{
	(void)state;
	make_endpoint("c1", "ready", 0, IP1, PORT, false, true);
	make_lease(IP1, "c1");
	make_claim(PORT, "c1");
	struct netd_gc_stats st = run_gc();

	assert_int_equal(host.n_torn, 1);
	assert_string_equal(host.torn[0], K("c1"));
	assert_int_equal(st.endpoints, 1);
	assert_false(record_there("c1"));
	assert_string_equal(lease_owner(IP1), "");
	assert_string_equal(claim_owner(PORT), "");
}

static void test_ok_netns_gone_torn_down(void **state)
{
	(void)state;
	/* the veth still listed, its namespace path gone: dead as well */
	make_endpoint("c1", "ready", 0, IP1, 0, true, false);
	make_lease(IP1, "c1");
	struct netd_gc_stats st = run_gc();

	assert_int_equal(host.n_torn, 1);
	assert_int_equal(st.endpoints, 1);
}

static void test_ok_tombstone(void **state)
{
	char alias[NETD_KEY_MAX + 8];

	(void)state;
	/* A detach at work: its veth is a tombstone ("nt..."), the record says removing and the
	 * pid that removes lives: neither the record nor the tombstone is gc's. */
	make_endpoint("c1", "removing", (int)getpid(), IP1, 0, false, true);
	make_lease(IP1, "c1");
	snprintf(alias, sizeof(alias), NETD_ALIAS_PREFIX "%s", K("c1"));
	add_link("nt0000000b", alias);
	struct netd_gc_stats st = run_gc();

	assert_int_equal(host.n_torn + host.n_deleted, 0);
	assert_true(record_there("c1"));
	assert_int_equal(st.endpoints + st.veths, 0);

	/* Its remover died: the record goes, and then the tombstone (no record names it). */
	memset(&host, 0, sizeof(host));
	add_link("nt0000000b", alias);
	make_endpoint("c1", "removing", dead_pid(), IP1, 0, false, true);
	st = run_gc();
	assert_int_equal(host.n_torn, 1);
	assert_int_equal(host.n_deleted, 1);
	assert_string_equal(host.deleted[0], "nt0000000b");
	assert_int_equal(st.endpoints, 1);
	assert_int_equal(st.veths, 1);
}

static void test_creating_pid_decides(void **state)
{
	(void)state;
	/* an attach in progress (its pid lives) has no veth yet: kept */
	make_endpoint("c1", "creating", (int)getpid(), IP1, PORT, false, false);
	make_lease(IP1, "c1");
	make_claim(PORT, "c1");
	/* one whose attach died half-way: torn down */
	make_endpoint("c2", "creating", dead_pid(), "10.77.0.3", 0, false, false);
	make_lease("10.77.0.3", "c2");
	struct netd_gc_stats st = run_gc();

	assert_int_equal(host.n_torn, 1);
	assert_string_equal(host.torn[0], K("c2"));
	assert_true(record_there("c1"));
	assert_string_equal(lease_owner(IP1), K("c1"));
	assert_string_equal(claim_owner(PORT), K("c1"));
	assert_int_equal(st.endpoints, 1);
}

static void test_ok_lease_damaged_or_missing_repaired(void **state)
{
	(void)state;
	make_endpoint("c1", "ready", 0, IP1, 0, true, true);
	damage_lease(IP1);
	make_endpoint("c2", "ready", 0, "10.77.0.3", 0, true, true);
	/* c2's lease file is missing; c3's names another owner */
	make_endpoint("c3", "ready", 0, "10.77.0.4", 0, true, true);
	make_lease("10.77.0.4", "c2");
	struct netd_gc_stats st = run_gc();

	assert_int_equal(host.n_torn, 0);
	assert_string_equal(lease_owner(IP1), K("c1"));
	assert_string_equal(lease_owner("10.77.0.3"), K("c2"));
	assert_string_equal(lease_owner("10.77.0.4"), K("c3"));
	assert_int_equal(st.repaired, 3);
	assert_int_equal(st.leases, 0);
}

static void test_ok_claim_damaged_or_missing_repaired(void **state)
{
	(void)state;
	make_endpoint("c1", "ready", 0, IP1, PORT, true, true);
	make_lease(IP1, "c1");
	damage_claim(PORT);
	make_endpoint("c2", "ready", 0, "10.77.0.3", PORT + 1, true, true);
	make_lease("10.77.0.3", "c2");
	struct netd_gc_stats st = run_gc();

	assert_string_equal(claim_owner(PORT), K("c1"));
	assert_string_equal(claim_owner(PORT + 1), K("c2"));
	assert_int_equal(st.repaired, 2);
	assert_int_equal(host.unpublished, 0);
}

static void test_two_records_one_address_conflict(void **state)
{
	(void)state;
	make_endpoint("c1", "ready", 0, IP1, 0, true, true);
	make_endpoint("c2", "ready", 0, IP1, 0, true, true);
	make_lease(IP1, "c1");
	struct netd_gc_stats st = run_gc();

	/* reported, never guessed at */
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(st.repaired + st.leases, 0);
	assert_string_equal(lease_owner(IP1), K("c1"));
}

/* ---- record missing ---- */

static void test_missing_record_orphans_removed(void **state)
{
	char veth[NETD_IFNAME_MAX + 1], alias[NETD_KEY_MAX + 8];

	(void)state;
	/* a lease, a claim and a veth naming an endpoint that has no record */
	make_network();
	make_lease(IP1, "c9");
	make_claim(PORT, "c9");
	host_name_of(veth, "c9");
	snprintf(alias, sizeof(alias), NETD_ALIAS_PREFIX "%s", K("c9"));
	add_link(veth, alias);
	/* and a veth of someone else's: no netd alias, not gc's */
	add_link("eth7", "");
	struct netd_gc_stats st = run_gc();

	assert_int_equal(host.n_deleted, 1);
	assert_string_equal(host.deleted[0], veth);
	assert_true(has_link("eth7"));
	assert_string_equal(lease_owner(IP1), "");
	assert_string_equal(claim_owner(PORT), "");
	assert_int_equal(host.unpublished, 1);
	assert_int_equal(st.veths, 1);
	assert_int_equal(st.leases, 1);
	assert_int_equal(st.ports, 1);
}

static void test_damaged_files_without_any_record_released(void **state)
{
	(void)state;
	make_endpoint("c1", "ready", 0, IP1, PORT, true, true);
	make_lease(IP1, "c1");
	make_claim(PORT, "c1");
	/* no record holds these, and no record is damaged: orphans */
	damage_lease("10.77.0.9");
	damage_claim(9090);
	struct netd_gc_stats st = run_gc();

	assert_string_equal(lease_owner("10.77.0.9"), "");
	assert_string_equal(claim_owner(9090), "");
	assert_int_equal(st.leases, 1);
	assert_int_equal(st.ports, 1);
	assert_string_equal(lease_owner(IP1), K("c1"));
}

/* ---- record damaged ---- */

static void test_damaged_record_veth_alive_kept(void **state)
{
	char veth[NETD_IFNAME_MAX + 1], alias[NETD_KEY_MAX + 8];

	(void)state;
	damage_record("c1");
	make_lease(IP1, "c1");
	make_claim(PORT, "c1");
	/* files no readable record explains: a damaged record might */
	damage_lease("10.77.0.9");
	damage_claim(9090);
	host_name_of(veth, "c1");
	snprintf(alias, sizeof(alias), NETD_ALIAS_PREFIX "%s", K("c1"));
	add_link(veth, alias);
	struct netd_gc_stats st = run_gc();

	assert_int_equal(host.n_torn + host.n_torn_damaged + host.n_deleted, 0);
	assert_int_equal(st.damaged, 1);
	assert_true(record_there("c1"));
	assert_string_equal(lease_owner(IP1), K("c1"));
	assert_string_equal(claim_owner(PORT), K("c1"));
	assert_string_equal(lease_owner("10.77.0.9"), "damaged");
	assert_string_equal(claim_owner(9090), "damaged");
	assert_int_equal(st.leases + st.ports + st.repaired, 0);
}

static void test_damaged_record_veth_gone_torn_down(void **state)
{
	char veth[NETD_IFNAME_MAX + 1];

	(void)state;
	damage_record("c1");
	make_lease(IP1, "c1");
	make_claim(PORT, "c1");
	/* c2: a link by its veth's name that is not its veth (another alias): gone as well */
	damage_record("c2");
	host_name_of(veth, "c2");
	add_link(veth, "netd:" NET "/other@eth0");
	struct netd_gc_stats st = run_gc();

	assert_int_equal(host.n_torn_damaged, 2);
	assert_string_equal(host.torn_damaged[0], K("c1"));
	assert_string_equal(host.torn_damaged[1], K("c2"));
	assert_int_equal(host.n_torn, 0);
	assert_int_equal(st.endpoints, 2);
	assert_int_equal(st.damaged, 0);
	assert_false(record_there("c1"));
	assert_string_equal(lease_owner(IP1), "");
	assert_string_equal(claim_owner(PORT), "");
}

/* ---- keep (CNI GC) ---- */

static void test_keep_list(void **state)
{
	struct netd_attachment_ref keep[] = {{.id = "c1", .ifname = "eth0"}};
	struct netd_gc_stats st;
	struct netd_err e = {0};

	(void)state;
	make_endpoint("c1", "ready", 0, IP1, 0, true, true);
	make_endpoint("c2", "ready", 0, "10.77.0.3", 0, true, true);
	/* not listed, but its attach is at work: kept */
	make_endpoint("c3", "creating", (int)getpid(), "10.77.0.4", 0, false, false);
	assert_int_equal(netd_gc(NET, keep, 1, &st, &e), 0);
	assert_int_equal(host.n_torn, 1);
	assert_string_equal(host.torn[0], K("c2"));
	assert_true(record_there("c1") && record_there("c3"));
	/* a keep list does not put table ip netd back (that is the full gc's) */
	assert_int_equal(host.nat_restored, 0);
	/* and a keep list needs a network */
	assert_int_equal(netd_gc(NULL, keep, 1, &st, &e), -EINVAL);
}

/*
 * Validate once, at the door: a gc of every network checks each network directory's name as it
 * reads it (once: records and leases share the listing), a gc of one network checks the name it
 * was given; the modules below trust them. What gc reads back besides (an owner key in a veth's
 * alias, in a lease file) is checked as it is read. Before the move: 28 checks for the same gc.
 */
static void test_network_names_checked_once(void **state)
{
	struct netd_gc_stats st;
	struct netd_err e = {0};
	char dir[PATH_MAX];

	(void)state;
	make_endpoint("c1", "ready", 0, IP1, 0, true, true);
	make_lease(IP1, "c1");
	make_endpoint("c2", "ready", 0, "10.77.0.3", 0, true, true);
	make_lease("10.77.0.3", "c2");
	/* a second network's state, and a directory that names no network */
	snprintf(dir, sizeof(dir), "%s/networks/other", top);
	assert_int_equal(netd_mkdirs(dir, false, &e), 0);
	snprintf(dir, sizeof(dir), "%s/networks/bad name", top);
	assert_int_equal(netd_mkdirs(dir, false, &e), 0);

	n_check_network = 0;
	st = run_gc();
	print_message("gc: %u network name checks for 3 network dirs\n", n_check_network);
	assert_int_equal(st.endpoints + st.veths + st.leases + st.repaired, 0);
	assert_int_equal(n_check_network, 3 + 2 + 2); /* dirs, veth aliases, leases */

	n_check_network = 0;
	assert_int_equal(netd_gc(NET, NULL, 0, &st, &e), 0);
	print_message("gc %s: %u network name checks\n", NET, n_check_network);
	assert_int_equal(n_check_network, 1 + 2 + 2); /* the door, veth aliases, leases */

	assert_int_equal(netd_gc("../" NET, NULL, 0, &st, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid network name"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	struct netd_rtnl *rt = NULL;
	struct netd_err e = {0};

	/* Built without the wraps, gc would work on this machine's own links: refuse. */
	if (netd_rtnl_open(&rt, &e) < 0 || rt != (struct netd_rtnl *)&fake_rtnl) {
		fprintf(stderr, "test_gc: not linked with -Wl,--wrap (GC_WRAPS in the Makefile)\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    T(test_ok_alive_untouched),
	    T(test_ok_veth_gone_torn_down),
	    T(test_ok_netns_gone_torn_down),
	    T(test_ok_tombstone),
	    T(test_creating_pid_decides),
	    T(test_ok_lease_damaged_or_missing_repaired),
	    T(test_ok_claim_damaged_or_missing_repaired),
	    T(test_two_records_one_address_conflict),
	    T(test_missing_record_orphans_removed),
	    T(test_damaged_files_without_any_record_released),
	    T(test_damaged_record_veth_alive_kept),
	    T(test_damaged_record_veth_gone_torn_down),
	    T(test_keep_list),
	    T(test_network_names_checked_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
