/* SPDX-License-Identifier: MIT */
/*
 * IPAM: leases are files networks/NET/ips/A.B.C.D whose content is the owner key. A lease is
 * created by writing the key to a temp file (fsync) and link()ing it to the final name, so a
 * lease either does not exist or is complete, and link()'s EEXIST is the "already taken" test.
 * Allocation resumes after the address in networks/NET/last, so in the normal case it touches a
 * fixed number of files whatever the number of leases. IPv6 leases share the directory (their
 * file name is the canonical text, "fd77::5"), with their own hint in networks/NET/last6, and
 * their allocator probes a bounded number of addresses: a /64 costs what a /120 costs.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <netd/addr.h>
#include <netd/names.h>
#include "ipam.h"
#include "store.h"
#include "util.h"

static void ip_str(uint32_t host, char *buf)
{
	struct in_addr a = {.s_addr = htonl(host)};

	netd_ip4_format(a, buf, INET_ADDRSTRLEN);
}

/* "NET/ID@IFNAME" -> "ID@IFNAME"; other text as is. */
static const char *key_endpoint(const char *key)
{
	const char *slash = strchr(key, '/');

	return slash ? slash + 1 : key;
}

static int net_path(char *buf, size_t len, const char *network, const char *sub,
		    struct netd_err *err)
{
	int r;

	if (sub)
		r = netd_path_fmt(buf, len, "%s/networks/%s/%s", netd_state_dir(), network, sub);
	else
		r = netd_path_fmt(buf, len, "%s/networks/%s", netd_state_dir(), network);
	if (r < 0)
		return netd_err_set(err, ENAMETOOLONG, "network %s: state path too long", network);
	return 0;
}

static int lease_path_ip(char *buf, size_t len, const char *network, const struct netd_ip *ip,
			 struct netd_err *err)
{
	char a[NETD_IP_STRLEN];

	netd_ip_format(ip, a, sizeof(a));
	if (netd_path_fmt(buf, len, "%s/networks/%s/ips/%s", netd_state_dir(), network, a) < 0)
		return netd_err_set(err, ENAMETOOLONG, "network %s: state path too long", network);
	return 0;
}

static int lease_path(char *buf, size_t len, const char *network, uint32_t host,
		      struct netd_err *err)
{
	struct netd_ip ip = {.family = AF_INET, .v4.s_addr = htonl(host)};

	return lease_path_ip(buf, len, network, &ip, err);
}

/*
 * A complete lease file waiting to be linked into place: ips/.tmp-PID-N holding "KEY\n".
 * Creates ips/ when missing.
 */
static int claim_tmp_create(const char *ipsdir, const char *key, char *tmp, size_t tmplen,
			    struct netd_err *err)
{
	cleanup_close int fd = -1;
	int r;

	fd = netd_file_tmp(ipsdir, 0644, tmp, tmplen, err);
	if (fd == -ENOENT) {
		r = netd_mkdirs(ipsdir, false, err);
		if (r < 0)
			return r;
		fd = netd_file_tmp(ipsdir, 0644, tmp, tmplen, err);
	}
	if (fd < 0)
		return fd;
	r = netd_owner_write(fd, key);
	if (r < 0) {
		unlink(tmp);
		return netd_err_write(err, -r, tmp, "write %s", tmp);
	}
	return 0;
}

/* Host-order view of the network. */
struct span {
	uint32_t net, bcast, gw, start, end;
};

static int span_of(const struct netd_netconf *nc, struct span *s, struct netd_err *err)
{
	uint32_t mask;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (nc->prefix < 1 || nc->prefix > 30)
		return netd_err_set(err, EINVAL, "network %s: prefix /%u leaves no host addresses",
				    nc->name, nc->prefix);
	mask = 0xffffffffu << (32 - nc->prefix);
	s->net = ntohl(nc->subnet.s_addr) & mask;
	s->bcast = s->net | ~mask;
	s->gw = ntohl(nc->gateway.s_addr);
	s->start = nc->range_start.s_addr ? ntohl(nc->range_start.s_addr) : s->net + 1;
	s->end = nc->range_end.s_addr ? ntohl(nc->range_end.s_addr) : s->bcast - 1;
	if (s->start < s->net || s->end > s->bcast || s->start > s->end) {
		ip_str(s->start, a);
		ip_str(s->end, b);
		return netd_err_set(err, EINVAL, "network %s: range %s-%s is not inside the subnet",
				    nc->name, a, b);
	}
	return 0;
}

static bool reserved(const struct span *s, uint32_t ip)
{
	return ip == s->net || ip == s->bcast || ip == s->gw;
}

/* Tries to link tmp to the lease of ip: 0 when taken by us, -EEXIST when already leased. */
static int try_claim_ip(const char *tmp, const char *network, const struct netd_ip *ip,
			struct netd_err *err)
{
	char path[PATH_MAX];
	int r;

	r = lease_path_ip(path, sizeof(path), network, ip, err);
	if (r < 0)
		return r;
	if (link(tmp, path) < 0) {
		if (errno == EEXIST)
			return -EEXIST;
		return netd_err_sys(err, errno, "network %s: lease %s", network, path);
	}
	return 0;
}

static int try_claim(const char *tmp, const char *network, uint32_t host, struct netd_err *err)
{
	struct netd_ip ip = {.family = AF_INET, .v4.s_addr = htonl(host)};

	return try_claim_ip(tmp, network, &ip, err);
}

static unsigned long count_leases(const char *ipsdir)
{
	DIR *d = opendir(ipsdir);
	struct dirent *de;
	unsigned long n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

void netd_ipam_note_last(const char *network, struct in_addr ip)
{
	char path[PATH_MAX];
	char buf[INET_ADDRSTRLEN + 1];
	struct netd_err ignored;

	if (net_path(path, sizeof(path), network, "last", &ignored) < 0)
		return;
	ip_str(ntohl(ip.s_addr), buf);
	strcat(buf, "\n");
	/* Only a hint: a lost update means the next walk starts a little earlier. */
	if (netd_file_replace(path, buf, strlen(buf), 0644, &ignored) < 0)
		return;
}

static uint32_t load_last(const char *network, const struct span *s)
{
	char path[PATH_MAX];
	cleanup_free char *buf = NULL;
	struct netd_err ignored;
	struct in_addr a;
	char *nl;

	if (net_path(path, sizeof(path), network, "last", &ignored) < 0)
		return s->end;
	if (netd_file_read(path, 0, &buf, NULL, &ignored) < 0)
		return s->end; /* so the walk starts at range_start */
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	if (netd_ip4_parse(buf, &a, NULL) < 0)
		return s->end;
	if (ntohl(a.s_addr) < s->start || ntohl(a.s_addr) > s->end)
		return s->end;
	return ntohl(a.s_addr);
}

static int alloc_want(const struct netd_netconf *nc, const struct span *s, const char *key,
		      uint32_t want, const char *tmp, struct netd_err *err)
{
	char ip[INET_ADDRSTRLEN];
	char path[PATH_MAX];
	char owner[NETD_KEY_MAX + 1];
	int r;

	ip_str(want, ip);
	if (want < s->net || want > s->bcast)
		return netd_err_set(err, EINVAL, "network %s: address %s is not in the subnet",
				    nc->name, ip);
	if (want == s->net)
		return netd_err_set(err, EINVAL, "network %s: address %s is the network address",
				    nc->name, ip);
	if (want == s->bcast)
		return netd_err_set(err, EINVAL, "network %s: address %s is the broadcast address",
				    nc->name, ip);
	if (want == s->gw)
		return netd_err_set(err, EINVAL, "network %s: address %s is the gateway address",
				    nc->name, ip);
	r = try_claim(tmp, nc->name, want, err);
	if (r != -EEXIST)
		return r;
	r = lease_path(path, sizeof(path), nc->name, want, err);
	if (r < 0)
		return r;
	r = netd_owner_read(path, owner, sizeof(owner), err);
	if (r == -ENOENT) /* released between link and read: cannot happen under the lock */
		return netd_err_set(err, EAGAIN, "network %s: lease %s changed under us", nc->name,
				    ip);
	/* Its owner is unknown, not absent: the address may be in use. */
	if (r == -NETD_EDAMAGED)
		return netd_err_set(err, EADDRINUSE,
				    "address %s on network %s: its lease file is damaged (netd gc "
				    "repairs it from the endpoint record that holds the address)",
				    ip, nc->name);
	if (r < 0)
		return r;
	if (strcmp(owner, key) == 0)
		return 0;
	return netd_err_set(err, EADDRINUSE, "address %s is already leased to %s on network %s", ip,
			    key_endpoint(owner), nc->name);
}

/*
 * The allocator's walk, the one rule of which address comes next: from the one after the "last"
 * hint, every address of the range once, wrapping to its start, the reserved ones skipped. fn
 * answers -EEXIST to go on; the walk stops at any other answer (*ip is then the address) and
 * returns it, or -EEXIST when the range is used up.
 */
static int walk(const char *network, const struct span *s, int (*fn)(uint32_t ip, void *arg),
		void *arg, uint32_t *ip)
{
	uint32_t a = load_last(network, s);
	uint32_t size = s->end - s->start; /* addresses in the range, minus one */
	int r = -EEXIST;

	for (uint32_t i = 0;; i++) {
		a = a >= s->end ? s->start : a + 1;
		if (!reserved(s, a)) {
			r = fn(a, arg);
			if (r != -EEXIST)
				break;
		}
		if (i == size)
			break;
	}
	*ip = a;
	return r;
}

struct claim_arg {
	const char *tmp, *network;
	struct netd_err *err;
};

static int claim_one(uint32_t ip, void *arg)
{
	struct claim_arg *c = arg;

	return try_claim(c->tmp, c->network, ip, c->err);
}

struct peek_arg {
	const char *network;
	struct netd_err *err;
};

/* -EEXIST while ip has a lease (of anyone), 0 at the first without one. */
static int free_one(uint32_t ip, void *arg)
{
	struct peek_arg *p = arg;
	char owner[NETD_KEY_MAX + 1];
	struct in_addr a = {.s_addr = htonl(ip)};
	int r = netd_ipam_owner(p->network, a, owner, sizeof(owner), p->err);

	if (r == -ENOENT) {
		netd_err_clear(p->err);
		return 0;
	}
	return r < 0 ? r : -EEXIST;
}

int netd_ipam_peek(const struct netd_netconf *nc, const char *key, struct in_addr want,
		   struct in_addr *got, struct netd_err *err)
{
	char owner[NETD_KEY_MAX + 1], a[INET_ADDRSTRLEN];
	struct peek_arg pa = {.network = nc->name, .err = err};
	struct span s = {0};
	uint32_t ip;
	int r;

	r = span_of(nc, &s, err);
	if (r < 0)
		return r;
	if (want.s_addr != INADDR_ANY) {
		r = netd_ipam_owner(nc->name, want, owner, sizeof(owner), err);
		if (r == 0 && strcmp(owner, key) != 0) {
			netd_ip4_format(want, a, sizeof(a));
			return netd_err_set(err, EADDRINUSE, "address %s is already leased to %s",
					    a, owner);
		}
		if (r < 0 && r != -ENOENT)
			return r;
		netd_err_clear(err);
		*got = want;
		return 0;
	}
	r = walk(nc->name, &s, free_one, &pa, &ip);
	if (r == -EEXIST)
		return netd_err_set(err, EADDRNOTAVAIL, "network %s: no free address left",
				    nc->name);
	if (r < 0)
		return r;
	got->s_addr = htonl(ip);
	return 0;
}

/* What every allocation is handed: an owner key fit for a lease file (nc->name is checked). */
static int alloc_args_check(const struct netd_netconf *nc, const char *key, struct netd_err *err)
{
	if (!key || !*key || strlen(key) > NETD_KEY_MAX || strchr(key, '\n'))
		return netd_err_set(err, EINVAL, "network %s: invalid owner key", nc->name);
	return 0;
}

int netd_ipam_alloc(const struct netd_netconf *nc, const char *key, struct in_addr want,
		    struct in_addr *got, struct netd_err *err)
{
	char ipsdir[PATH_MAX];
	char tmp[PATH_MAX];
	struct span s = {0};
	uint32_t ip;
	int r;

	r = alloc_args_check(nc, key, err);
	if (r < 0)
		return r;
	r = span_of(nc, &s, err);
	if (r < 0)
		return r;
	r = net_path(ipsdir, sizeof(ipsdir), nc->name, "ips", err);
	if (r < 0)
		return r;
	r = claim_tmp_create(ipsdir, key, tmp, sizeof(tmp), err);
	if (r < 0)
		return netd_err_prefix(err, "network %s: allocate", nc->name);

	if (want.s_addr != INADDR_ANY) {
		r = alloc_want(nc, &s, key, ntohl(want.s_addr), tmp, err);
		unlink(tmp);
		if (r < 0)
			return r;
		netd_fsync_dir(ipsdir);
		*got = want;
		return 0;
	}

	{
		struct claim_arg ca = {.tmp = tmp, .network = nc->name, .err = err};

		r = walk(nc->name, &s, claim_one, &ca, &ip);
	}
	unlink(tmp);
	if (r == -EEXIST) {
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

		ip_str(s.start, a);
		ip_str(s.end, b);
		return netd_err_set(err, EADDRNOTAVAIL,
				    "network %s: no free address left in range %s-%s (%lu leases)",
				    nc->name, a, b, count_leases(ipsdir));
	}
	if (r < 0)
		return r;
	netd_fsync_dir(ipsdir);
	got->s_addr = htonl(ip);
	return 0;
}

/* ---- IPv6 ---- */

/*
 * The IPv6 walk probes at most this many addresses after the last6 hint. A /64 range holds 2^64
 * addresses: no walk could visit them all, and none needs to, since addresses are handed out in
 * order from the hint (leases sit behind it, free addresses ahead). So a range6 counts as
 * exhausted when this many addresses in a row after the hint are leased (or it is smaller and
 * every address is); the cost of an allocation never depends on the size of the prefix.
 */
#define IPAM6_MAX_PROBES 1024u

struct span6 {
	struct netd_ip net, gw, start, end;
	uint64_t size; /* addresses in the range, minus one (saturated) */
};

static int span6_of(const struct netd_netconf *nc, struct span6 *s, struct netd_err *err)
{
	if (nc->subnet6.ip.family != AF_INET6)
		return netd_err_set(err, EINVAL, "network %s has no IPv6 subnet (subnet6)",
				    nc->name);
	s->net = netd_prefix_network(&nc->subnet6).ip;
	s->gw = nc->gateway6;
	s->start = nc->range6.first;
	s->end = nc->range6.last;
	if (s->start.family != AF_INET6 || s->end.family != AF_INET6 ||
	    !netd_prefix_contains(&nc->subnet6, &s->start) ||
	    !netd_prefix_contains(&nc->subnet6, &s->end) || netd_ip_cmp(&s->start, &s->end) > 0)
		return netd_err_set(err, EINVAL, "network %s: range6 is not inside subnet6",
				    nc->name);
	if (netd_ip_diff(&s->start, &s->end, &s->size) < 0)
		s->size = UINT64_MAX;
	return 0;
}

static bool reserved6(const struct span6 *s, const struct netd_ip *ip)
{
	return netd_ip_equal(ip, &s->net) || netd_ip_equal(ip, &s->gw);
}

void netd_ipam_note_last6(const char *network, const struct netd_ip *ip)
{
	char path[PATH_MAX];
	char buf[NETD_IP_STRLEN + 1];
	struct netd_err ignored;

	if (ip->family != AF_INET6 || net_path(path, sizeof(path), network, "last6", &ignored) < 0)
		return;
	netd_ip_format(ip, buf, sizeof(buf) - 1);
	strcat(buf, "\n");
	/* Only a hint, as last is. */
	if (netd_file_replace(path, buf, strlen(buf), 0644, &ignored) < 0)
		return;
}

/* The hint, or the end of the range (so that the walk starts at its first address). */
static struct netd_ip load_last6(const char *network, const struct span6 *s)
{
	char path[PATH_MAX];
	cleanup_free char *buf = NULL;
	struct netd_err ignored;
	struct netd_ip a;
	char *nl;

	if (net_path(path, sizeof(path), network, "last6", &ignored) < 0 ||
	    netd_file_read(path, 0, &buf, NULL, &ignored) < 0)
		return s->end;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	if (netd_ip_parse(buf, AF_INET6, &a, NULL) < 0 || netd_ip_cmp(&a, &s->start) < 0 ||
	    netd_ip_cmp(&a, &s->end) > 0)
		return s->end;
	return a;
}

/* walk()'s rule for IPv6, bounded by IPAM6_MAX_PROBES. */
static int walk6(const char *network, const struct span6 *s,
		 int (*fn)(const struct netd_ip *ip, void *arg), void *arg, struct netd_ip *ip)
{
	struct netd_ip a = load_last6(network, s);
	uint64_t last = s->size < IPAM6_MAX_PROBES - 1 ? s->size : IPAM6_MAX_PROBES - 1;
	int r = -EEXIST;

	for (uint64_t i = 0;; i++) {
		if (netd_ip_cmp(&a, &s->end) >= 0 || netd_ip_add(&a, 1, &a) < 0)
			a = s->start;
		if (!reserved6(s, &a)) {
			r = fn(&a, arg);
			if (r != -EEXIST)
				break;
		}
		if (i == last)
			break;
	}
	*ip = a;
	return r;
}

static int claim_one6(const struct netd_ip *ip, void *arg)
{
	struct claim_arg *c = arg;

	return try_claim_ip(c->tmp, c->network, ip, c->err);
}

static int free_one6(const struct netd_ip *ip, void *arg)
{
	struct peek_arg *p = arg;
	char owner[NETD_KEY_MAX + 1];
	int r = netd_ipam_owner_ip(p->network, ip, owner, sizeof(owner), p->err);

	if (r == -ENOENT) {
		netd_err_clear(p->err);
		return 0;
	}
	return r < 0 ? r : -EEXIST;
}

/* want against the network: in subnet6 and neither its network address nor gateway6. */
static int want6_check(const struct netd_netconf *nc, const struct span6 *s,
		       const struct netd_ip *want, struct netd_err *err)
{
	char a[NETD_IP_STRLEN], sn[NETD_PREFIX_STRLEN];

	netd_ip_format(want, a, sizeof(a));
	if (!netd_prefix_contains(&nc->subnet6, want))
		return netd_err_set(err, EINVAL, "network %s: address %s is not in subnet6 %s",
				    nc->name, a, netd_prefix_format(&nc->subnet6, sn, sizeof(sn)));
	if (netd_ip_equal(want, &s->net))
		return netd_err_set(err, EINVAL, "network %s: address %s is the network address",
				    nc->name, a);
	if (netd_ip_equal(want, &s->gw))
		return netd_err_set(err, EINVAL, "network %s: address %s is the gateway address",
				    nc->name, a);
	return 0;
}

static int exhausted6(const struct netd_netconf *nc, const struct span6 *s, struct netd_err *err)
{
	char a[NETD_IP_STRLEN], b[NETD_IP_STRLEN];

	netd_ip_format(&s->start, a, sizeof(a));
	netd_ip_format(&s->end, b, sizeof(b));
	if (s->size < IPAM6_MAX_PROBES)
		return netd_err_set(err, EADDRNOTAVAIL,
				    "network %s: no free address left in range6 %s-%s", nc->name, a,
				    b);
	return netd_err_set(err, EADDRNOTAVAIL,
			    "network %s: no free IPv6 address among the %u after the last one "
			    "handed out in range6 %s-%s (the allocator probes no further; release "
			    "addresses or widen range6)",
			    nc->name, IPAM6_MAX_PROBES, a, b);
}

/* The range to walk, and want (when it is an IPv6 address) checked against it. */
static int span6_want(const struct netd_netconf *nc, const struct netd_ip *want, struct span6 *s,
		      struct netd_err *err)
{
	int r = span6_of(nc, s, err);

	if (r == 0 && want && want->family == AF_INET6)
		r = want6_check(nc, s, want, err);
	return r;
}

int netd_ipam_peek6(const struct netd_netconf *nc, const char *key, const struct netd_ip *want,
		    struct netd_ip *got, struct netd_err *err)
{
	char owner[NETD_KEY_MAX + 1], a[NETD_IP_STRLEN];
	struct peek_arg pa = {.network = nc->name, .err = err};
	struct span6 s;
	int r;

	r = span6_want(nc, want, &s, err);
	if (r < 0)
		return r;
	if (want && want->family == AF_INET6) {
		r = netd_ipam_owner_ip(nc->name, want, owner, sizeof(owner), err);
		if (r == 0 && strcmp(owner, key) != 0)
			return netd_err_set(err, EADDRINUSE, "address %s is already leased to %s",
					    netd_ip_format(want, a, sizeof(a)), owner);
		if (r < 0 && r != -ENOENT)
			return r;
		netd_err_clear(err);
		*got = *want;
		return 0;
	}
	r = walk6(nc->name, &s, free_one6, &pa, got);
	if (r == -EEXIST)
		return exhausted6(nc, &s, err);
	return r;
}

int netd_ipam_alloc6(const struct netd_netconf *nc, const char *key, const struct netd_ip *want,
		     struct netd_ip *got, struct netd_err *err)
{
	char ipsdir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX], a[NETD_IP_STRLEN];
	char owner[NETD_KEY_MAX + 1];
	struct span6 s;
	int r;

	r = alloc_args_check(nc, key, err);
	if (r < 0)
		return r;
	r = span6_want(nc, want, &s, err);
	if (r < 0)
		return r;
	r = net_path(ipsdir, sizeof(ipsdir), nc->name, "ips", err);
	if (r < 0)
		return r;
	r = claim_tmp_create(ipsdir, key, tmp, sizeof(tmp), err);
	if (r < 0)
		return netd_err_prefix(err, "network %s: allocate", nc->name);
	if (want && want->family == AF_INET6) {
		r = try_claim_ip(tmp, nc->name, want, err);
		unlink(tmp);
		if (r == 0) {
			netd_fsync_dir(ipsdir);
			*got = *want;
			return 0;
		}
		if (r != -EEXIST)
			return r;
		/* Leased already: fine when it is key's own (a retried attach). */
		netd_ip_format(want, a, sizeof(a));
		r = lease_path_ip(path, sizeof(path), nc->name, want, err);
		if (r == 0)
			r = netd_owner_read(path, owner, sizeof(owner), err);
		if (r == -ENOENT)
			return netd_err_set(err, EAGAIN, "network %s: lease %s changed under us",
					    nc->name, a);
		if (r == -NETD_EDAMAGED)
			return netd_err_set(
			    err, EADDRINUSE,
			    "address %s on network %s: its lease file is damaged "
			    "(netd gc repairs it from the endpoint record that holds "
			    "the address)",
			    a, nc->name);
		if (r < 0)
			return r;
		if (strcmp(owner, key) != 0)
			return netd_err_set(err, EADDRINUSE,
					    "address %s is already leased to %s on network %s", a,
					    key_endpoint(owner), nc->name);
		*got = *want;
		return 0;
	}
	{
		struct claim_arg ca = {.tmp = tmp, .network = nc->name, .err = err};

		r = walk6(nc->name, &s, claim_one6, &ca, got);
	}
	unlink(tmp);
	if (r == -EEXIST)
		return exhausted6(nc, &s, err);
	if (r < 0)
		return r;
	netd_fsync_dir(ipsdir);
	return 0;
}

int netd_ipam_release(const char *network, struct in_addr ip, const char *key, struct netd_err *err)
{
	struct netd_ip a = netd_ip_from4(ip);

	return netd_ipam_release_ip(network, &a, key, err);
}

int netd_ipam_release_ip(const char *network, const struct netd_ip *ip, const char *key,
			 struct netd_err *err)
{
	char path[PATH_MAX];
	char owner[NETD_KEY_MAX + 1];
	int r;

	r = lease_path_ip(path, sizeof(path), network, ip, err);
	if (r < 0)
		return r;
	if (key) {
		struct netd_err e2 = {0};

		r = netd_owner_read_known(path, key, owner, sizeof(owner), &e2);
		if (r == -ENOENT)
			return 0;
		/* A damaged lease's owner is unknown: gc decides from the records. */
		if (r == -NETD_EDAMAGED)
			return 0;
		if (r < 0) {
			*err = e2;
			return netd_err_prefix(err, "network %s: release", network);
		}
		if (strcmp(owner, key) != 0)
			return 0;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return netd_err_sys(err, errno, "network %s: release %s", network, path);
	return 0;
}

int netd_ipam_owner(const char *network, struct in_addr ip, char *key, size_t len,
		    struct netd_err *err)
{
	struct netd_ip a = netd_ip_from4(ip);

	return netd_ipam_owner_ip(network, &a, key, len, err);
}

int netd_ipam_owner_ip(const char *network, const struct netd_ip *ip, char *key, size_t len,
		       struct netd_err *err)
{
	char path[PATH_MAX];
	char a[NETD_IP_STRLEN];
	int r;

	r = lease_path_ip(path, sizeof(path), network, ip, err);
	if (r < 0)
		return r;
	r = netd_owner_read(path, key, len, err);
	if (r == -ENOENT) {
		netd_ip_format(ip, a, sizeof(a));
		return netd_err_set(err, ENOENT, "network %s: address %s is not leased", network,
				    a);
	}
	return r;
}

int netd_ipam_owned_by(const char *network, const struct netd_ip *ip, const char *key,
		       struct netd_err *err)
{
	char path[PATH_MAX], owner[NETD_KEY_MAX + 1];
	int r;

	r = lease_path_ip(path, sizeof(path), network, ip, err);
	if (r == 0)
		r = netd_owner_read_known(path, key, owner, sizeof(owner), err);
	if (r == 0 && strcmp(owner, key) != 0)
		r = -ENOENT;
	return r;
}

struct foreach4 {
	netd_lease_fn fn;
	void *arg;
};

static int foreach4_one(const struct netd_ip *ip, const char *key, void *arg)
{
	struct foreach4 *f = arg;

	return ip->family == AF_INET ? f->fn(ip->v4, key, f->arg) : 0;
}

int netd_ipam_foreach(const char *network, netd_lease_fn fn, void *arg, struct netd_err *err)
{
	struct foreach4 f = {.fn = fn, .arg = arg};

	return netd_ipam_foreach_ip(network, foreach4_one, &f, err);
}

int netd_ipam_foreach_ip(const char *network, netd_lease_ip_fn fn, void *arg, struct netd_err *err)
{
	char ipsdir[PATH_MAX];
	char path[PATH_MAX];
	char owner[NETD_KEY_MAX + 1];
	struct dirent *de;
	DIR *d;
	int r = 0;

	r = net_path(ipsdir, sizeof(ipsdir), network, "ips", err);
	if (r < 0)
		return r;
	d = opendir(ipsdir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return netd_err_sys(err, errno, "network %s: open %s", network, ipsdir);
	}
	while ((de = readdir(d))) {
		struct netd_err e = {0};
		struct netd_ip a;
		char canon[NETD_IP_STRLEN];

		/* Only canonical names are leases: "fd77::05" would hold nothing the allocator
		 * looks at. */
		if (de->d_name[0] == '.' || netd_ip_parse(de->d_name, AF_UNSPEC, &a, NULL) < 0 ||
		    strcmp(netd_ip_format(&a, canon, sizeof(canon)), de->d_name) != 0)
			continue;
		if (netd_path_fmt(path, sizeof(path), "%s/%s", ipsdir, de->d_name) < 0)
			continue;
		r = netd_owner_read(path, owner, sizeof(owner), &e);
		if (r == -ENOENT) {
			r = 0; /* released while we walk */
			continue;
		}
		if (r < 0 && r != -NETD_EDAMAGED) {
			*err = e;
			break;
		}
		r = fn(&a, r == 0 ? owner : NULL, arg);
		if (r < 0)
			break;
		r = 0;
	}
	closedir(d);
	return r;
}

/* rm -r of a state dir: at most depth levels of directories below dfd/name. */
static int remove_tree(int dfd, const char *name, int depth)
{
	int fd, r = 0;
	DIR *d;
	struct dirent *de;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
		return -errno;
	}
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if ((errno == EISDIR || errno == EPERM) && depth > 0) {
			int r2 = remove_tree(fd, de->d_name, depth - 1);
			if (r2 < 0 && !r)
				r = r2;
		} else if (!r) {
			r = -errno;
		}
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !r)
		r = -errno;
	return r;
}

int netd_ipam_repair(const char *network, struct in_addr ip, const char *key, struct netd_err *err)
{
	struct netd_ip a = netd_ip_from4(ip);

	return netd_ipam_repair_ip(network, &a, key, err);
}

int netd_ipam_repair_ip(const char *network, const struct netd_ip *ip, const char *key,
			struct netd_err *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int r;

	r = lease_path_ip(path, sizeof(path), network, ip, err);
	if (r == 0)
		r = net_path(dir, sizeof(dir), network, "ips", err);
	if (r == 0)
		r = netd_mkdirs(dir, false, err);
	if (r == 0)
		r = netd_owner_replace(path, key, err);
	if (r < 0)
		return netd_err_prefix(err, "network %s: repair lease", network);
	return 0;
}

void netd_ipam_drop_empty(const char *network)
{
	char dir[PATH_MAX];
	struct netd_err e;
	cleanup_close int dfd = -1;

	if (net_path(dir, sizeof(dir), network, NULL, &e) < 0)
		return;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	/* Only what holds nothing: a lease or record here is never ours to drop. */
	if (unlinkat(dfd, "ips", AT_REMOVEDIR) < 0 && errno != ENOENT)
		return;
	if (unlinkat(dfd, "endpoints", AT_REMOVEDIR) < 0 && errno != ENOENT)
		return;
	(void)unlinkat(dfd, "last", 0);
	(void)unlinkat(dfd, "last6", 0);
	(void)unlinkat(dfd, "bridge", 0); /* brcache.h */
	(void)unlinkat(dfd, "lock", 0);	  /* held by the caller: see netd_ipam_purge */
	(void)rmdir(dir);
}

int netd_ipam_purge(const char *network, struct netd_err *err)
{
	static const char *const parts[] = {"ips", "endpoints", "last", "last6"};
	char dir[PATH_MAX];
	cleanup_close int dfd = -1;
	int r = 0;

	r = net_path(dir, sizeof(dir), network, NULL, err);
	if (r < 0)
		return r;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		return netd_err_sys(err, errno, "network %s: remove %s", network, dir);
	}
	for (size_t i = 0; i < ARRAY_SIZE(parts) && r == 0; i++)
		r = remove_tree(dfd, parts[i], 3);
	/*
	 * The lock file last, unlinked while the caller holds it: a waiter that gets it next sees
	 * that the path no longer names what it locked, starts over and finds no network. Whatever
	 * else is left (temp files of dead writers) goes with the directory.
	 */
	if (r == 0 && unlinkat(dfd, "lock", 0) < 0 && errno != ENOENT)
		r = -errno;
	if (r == 0)
		r = remove_tree(AT_FDCWD, dir, 3);
	if (r < 0)
		return netd_err_sys(err, -r, "network %s: remove %s", network, dir);
	return 0;
}
