/* SPDX-License-Identifier: MIT */
/* IPAM leases in a temporary state dir: order, reserved addresses, exhaustion, concurrency. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
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
#include <cmocka.h>
#include <netd/netconf.h>
#include <netd/network.h>
#include "ipam.h"
#include "store.h"
#include "util.h"

static char statedir[PATH_MAX];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(statedir, sizeof(statedir), "/tmp/netd-test-ipam.XXXXXX");
	if (!mkdtemp(statedir))
		return -1;
	setenv("NETD_STATE_DIR", statedir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(statedir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("NETD_STATE_DIR");
	return 0;
}

static struct in_addr A(const char *s) {
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		fail_msg("bad address %s", s);
	return a;
}

static const char *
S(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	inet_ntop(AF_INET, &a, buf[i], sizeof(buf[i]));
	return buf[i];
}

static void mknet(struct netd_netconf *nc, const char *name, const char *subnet, unsigned prefix,
		  const char *gw, const char *start, const char *end)
{
	memset(nc, 0, sizeof(*nc));
	snprintf(nc->name, sizeof(nc->name), "%s", name);
	snprintf(nc->bridge, sizeof(nc->bridge), "%s", name);
	nc->subnet = A(subnet);
	nc->prefix = prefix;
	nc->gateway = A(gw);
	nc->range_start = A(start);
	nc->range_end = A(end);
}

static void assert_msg(const struct netd_err *err, const char *needle)
{
	if (!strstr(err->msg, needle))
		fail_msg("\"%s\" not in \"%s\"", needle, err->msg);
}

static struct in_addr alloc_ok(const struct netd_netconf *nc, const char *key)
{
	struct netd_err err = {0};
	struct in_addr got = {0};
	struct in_addr any = {.s_addr = INADDR_ANY}, peek = {0};
	/* A dry run's answer is always the address the allocator then hands out. */
	int pr = netd_ipam_peek(nc, key, any, &peek, &err);
	int r = netd_ipam_alloc(nc, key, any, &got, &err);

	if (r != 0)
		fail_msg("alloc %s: %d %s", key, r, err.msg);
	if (pr != 0 || peek.s_addr != got.s_addr)
		fail_msg("peek %s: %d, %s; alloc gave %s", key, pr, pr ? err.msg : S(peek), S(got));
	/* What a successful attach does next (a failed one leaves the hint alone). */
	netd_ipam_note_last(nc->name, got);
	return got;
}

static char *state_file(const char *rel)
{
	static char path[PATH_MAX];
	char *text = NULL;
	struct netd_err err = {0};

	snprintf(path, sizeof(path), "%s/%s", statedir, rel);
	if (netd_file_read(path, 0, &text, NULL, &err) < 0)
		return NULL;
	return text;
}

static int count_fn(struct in_addr ip, const char *key, void *arg)
{
	(void)ip;
	(void)key;
	(*(int *)arg)++;
	return 0;
}

static int count_leases(const char *network)
{
	struct netd_err err = {0};
	int n = 0;

	assert_int_equal(netd_ipam_foreach(network, count_fn, &n, &err), 0);
	return n;
}

static void test_order_and_gateway_skip(void **state)
{
	struct netd_netconf nc;
	struct netd_err err = {0};
	char key[NETD_KEY_MAX + 1];
	char *text;

	(void)state;
	/* The range includes the gateway (.1): it must be skipped. */
	mknet(&nc, "n1", "10.1.0.0", 24, "10.1.0.1", "10.1.0.1", "10.1.0.254");
	assert_string_equal(S(alloc_ok(&nc, "n1/c1@eth0")), "10.1.0.2");
	assert_string_equal(S(alloc_ok(&nc, "n1/c2@eth0")), "10.1.0.3");
	assert_string_equal(S(alloc_ok(&nc, "n1/c3@eth0")), "10.1.0.4");

	text = state_file("networks/n1/ips/10.1.0.3");
	assert_non_null(text);
	assert_string_equal(text, "n1/c2@eth0\n");
	free(text);
	text = state_file("networks/n1/last");
	assert_non_null(text);
	assert_string_equal(text, "10.1.0.4\n");
	free(text);

	assert_int_equal(netd_ipam_owner("n1", A("10.1.0.2"), key, sizeof(key), &err), 0);
	assert_string_equal(key, "n1/c1@eth0");
	assert_int_equal(netd_ipam_owner("n1", A("10.1.0.9"), key, sizeof(key), &err), -ENOENT);
	assert_int_equal(count_leases("n1"), 3);

	/* A released address is not handed out again before the walk wraps. */
	assert_int_equal(netd_ipam_release("n1", A("10.1.0.3"), "n1/c2@eth0", &err), 0);
	assert_string_equal(S(alloc_ok(&nc, "n1/c4@eth0")), "10.1.0.5");
	assert_int_equal(count_leases("n1"), 3);
}

static void test_exhaustion_and_reuse(void **state)
{
	struct netd_netconf nc;
	struct netd_err err = {0};
	struct in_addr got = {0}, any = {0};
	char key[NETD_KEY_MAX + 1];
	const char *expect[] = {"10.2.0.2", "10.2.0.3", "10.2.0.4", "10.2.0.5", "10.2.0.6"};

	(void)state;
	/* A /29 whose range covers network (.0), gateway (.1) and broadcast (.7): all skipped. */
	mknet(&nc, "small", "10.2.0.0", 29, "10.2.0.1", "10.2.0.0", "10.2.0.7");
	for (size_t i = 0; i < 5; i++) {
		char k[32];

		snprintf(k, sizeof(k), "small/c%zu@eth0", i);
		assert_string_equal(S(alloc_ok(&nc, k)), expect[i]);
	}
	assert_int_equal(netd_ipam_alloc(&nc, "small/x@eth0", any, &got, &err), -EADDRNOTAVAIL);
	assert_int_equal(err.code, EADDRNOTAVAIL);
	assert_string_equal(err.msg,
			    "network small: no free address left in range 10.2.0.0-10.2.0.7 "
			    "(5 leases)");

	/* Release by someone else is ignored; by the owner it frees the address. */
	assert_int_equal(netd_ipam_release("small", A("10.2.0.4"), "small/other@eth0", &err), 0);
	assert_int_equal(netd_ipam_owner("small", A("10.2.0.4"), key, sizeof(key), &err), 0);
	assert_string_equal(key, "small/c2@eth0");
	assert_int_equal(netd_ipam_alloc(&nc, "small/x@eth0", any, &got, &err), -EADDRNOTAVAIL);

	assert_int_equal(netd_ipam_release("small", A("10.2.0.4"), "small/c2@eth0", &err), 0);
	assert_int_equal(netd_ipam_owner("small", A("10.2.0.4"), key, sizeof(key), &err), -ENOENT);
	/* Releasing what is already free is done. */
	assert_int_equal(netd_ipam_release("small", A("10.2.0.4"), "small/c2@eth0", &err), 0);
	assert_int_equal(netd_ipam_release("small", A("10.2.0.4"), NULL, &err), 0);

	assert_string_equal(S(alloc_ok(&nc, "small/x@eth0")), "10.2.0.4");
	assert_int_equal(netd_ipam_alloc(&nc, "small/y@eth0", any, &got, &err), -EADDRNOTAVAIL);

	/* key NULL releases whoever holds it. */
	assert_int_equal(netd_ipam_release("small", A("10.2.0.6"), NULL, &err), 0);
	assert_string_equal(S(alloc_ok(&nc, "small/y@eth0")), "10.2.0.6");
	assert_int_equal(count_leases("small"), 5);
}

static void test_want(void **state)
{
	struct netd_netconf nc;
	struct netd_err err = {0};
	struct in_addr got = {0};

	(void)state;
	mknet(&nc, "n1", "10.3.0.0", 24, "10.3.0.1", "10.3.0.100", "10.3.0.200");
	/* In the subnet but outside the range: allowed. */
	assert_int_equal(netd_ipam_alloc(&nc, "n1/c1@eth0", A("10.3.0.50"), &got, &err), 0);
	assert_string_equal(S(got), "10.3.0.50");
	/* Same key again: idempotent. */
	got.s_addr = 0;
	assert_int_equal(netd_ipam_alloc(&nc, "n1/c1@eth0", A("10.3.0.50"), &got, &err), 0);
	assert_string_equal(S(got), "10.3.0.50");
	assert_int_equal(count_leases("n1"), 1);

	assert_int_equal(netd_ipam_alloc(&nc, "n1/c2@eth1", A("10.3.0.50"), &got, &err),
			 -EADDRINUSE);
	assert_int_equal(err.code, EADDRINUSE);
	assert_string_equal(err.msg,
			    "address 10.3.0.50 is already leased to c1@eth0 on network n1");

	assert_int_equal(netd_ipam_alloc(&nc, "n1/c2@eth0", A("10.4.0.5"), &got, &err), -EINVAL);
	assert_msg(&err, "10.4.0.5 is not in the subnet");
	assert_int_equal(netd_ipam_alloc(&nc, "n1/c2@eth0", A("10.3.0.0"), &got, &err), -EINVAL);
	assert_msg(&err, "network address");
	assert_int_equal(netd_ipam_alloc(&nc, "n1/c2@eth0", A("10.3.0.255"), &got, &err), -EINVAL);
	assert_msg(&err, "broadcast address");
	assert_int_equal(netd_ipam_alloc(&nc, "n1/c2@eth0", A("10.3.0.1"), &got, &err), -EINVAL);
	assert_msg(&err, "gateway address");
	assert_int_equal(count_leases("n1"), 1);

	/* A wanted address does not move the walk, and the walk skips it when it gets there. */
	assert_string_equal(S(alloc_ok(&nc, "n1/c3@eth0")), "10.3.0.100");
	assert_int_equal(netd_ipam_alloc(&nc, "n1/c4@eth0", A("10.3.0.101"), &got, &err), 0);
	assert_string_equal(S(alloc_ok(&nc, "n1/c5@eth0")), "10.3.0.102");
}

static void test_bad_input(void **state)
{
	struct netd_netconf nc;
	struct netd_err err = {0};
	struct in_addr got = {0}, any = {0};
	unsigned long free_count;
	bool has6;

	(void)state;
	/* ipam trusts its network names: the public entry points check them (validate once, at
	 * the door). */
	assert_int_equal(netd_network_free_addresses("../evil", &free_count, &err), -EINVAL);
	assert_msg(&err, "invalid network name");
	assert_int_equal(netd_network_free_addresses6("a/b", &has6, &free_count, &err), -EINVAL);
	assert_msg(&err, "invalid network name");

	mknet(&nc, "n1", "10.5.0.0", 24, "10.5.0.1", "10.5.0.2", "10.6.0.254");
	assert_int_equal(netd_ipam_alloc(&nc, "n1/c@eth0", any, &got, &err), -EINVAL);
	assert_msg(&err, "range 10.5.0.2-10.6.0.254 is not inside the subnet");
	mknet(&nc, "n1", "10.5.0.0", 24, "10.5.0.1", "10.5.0.2", "10.5.0.254");
	assert_int_equal(netd_ipam_alloc(&nc, "", any, &got, &err), -EINVAL);
	assert_int_equal(netd_ipam_alloc(&nc, "a\nb", any, &got, &err), -EINVAL);
	assert_int_equal(count_leases("n1"), 0);
}

static void test_last_wraps(void **state)
{
	struct netd_netconf nc;
	struct netd_err err = {0};
	struct in_addr got = {0};
	char path[PATH_MAX];

	(void)state;
	mknet(&nc, "w", "10.6.0.0", 29, "10.6.0.1", "10.6.0.2", "10.6.0.6");
	assert_string_equal(S(alloc_ok(&nc, "w/a@eth0")), "10.6.0.2");
	assert_int_equal(netd_ipam_alloc(&nc, "w/b@eth0", A("10.6.0.3"), &got, &err), 0);
	/* Pretend the walk reached the end of the range: it wraps to the start and skips leases. */
	snprintf(path, sizeof(path), "%s/networks/w/last", statedir);
	assert_int_equal(netd_file_write_atomic(path, "10.6.0.6\n", 9, 0644, &err), 0);
	assert_string_equal(S(alloc_ok(&nc, "w/c@eth0")), "10.6.0.4");
	assert_string_equal(S(alloc_ok(&nc, "w/d@eth0")), "10.6.0.5");
	assert_string_equal(S(alloc_ok(&nc, "w/e@eth0")), "10.6.0.6");
	/* Release .2 and .5; the walk continues after .6, wraps, and takes .2 first. */
	assert_int_equal(netd_ipam_release("w", A("10.6.0.2"), NULL, &err), 0);
	assert_int_equal(netd_ipam_release("w", A("10.6.0.5"), NULL, &err), 0);
	assert_string_equal(S(alloc_ok(&nc, "w/f@eth0")), "10.6.0.2");
	assert_string_equal(S(alloc_ok(&nc, "w/g@eth0")), "10.6.0.5");
	/* A garbage or out-of-range `last` restarts at range_start. */
	assert_int_equal(netd_ipam_release("w", A("10.6.0.4"), NULL, &err), 0);
	assert_int_equal(netd_file_write_atomic(path, "garbage", 7, 0644, &err), 0);
	assert_string_equal(S(alloc_ok(&nc, "w/h@eth0")), "10.6.0.4");
	assert_int_equal(netd_ipam_release("w", A("10.6.0.3"), NULL, &err), 0);
	assert_int_equal(netd_file_write_atomic(path, "192.168.0.1\n", 12, 0644, &err), 0);
	assert_string_equal(S(alloc_ok(&nc, "w/i@eth0")), "10.6.0.3");
}

#define N_PROCS 16

static void test_concurrent_alloc(void **state)
{
	struct netd_netconf nc;
	int fds[2];
	pid_t pids[N_PROCS];
	uint32_t seen[N_PROCS];
	size_t n_seen = 0;

	(void)state;
	mknet(&nc, "busy", "10.7.0.0", 24, "10.7.0.1", "10.7.0.2", "10.7.0.254");
	assert_int_equal(pipe(fds), 0);
	for (int i = 0; i < N_PROCS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct netd_err err = {0};
			struct in_addr got = {0}, any = {0};
			char key[64];
			int lk, r;

			close(fds[0]);
			snprintf(key, sizeof(key), "busy/c%d@eth0", i);
			lk = netd_store_lock_network("busy", &err);
			if (lk < 0)
				_exit(2);
			r = netd_ipam_alloc(&nc, key, any, &got, &err);
			close(lk);
			if (r < 0)
				_exit(3);
			if (write(fds[1], &got.s_addr, sizeof(got.s_addr)) != sizeof(got.s_addr))
				_exit(4);
			_exit(0);
		}
	}
	close(fds[1]);
	for (int i = 0; i < N_PROCS; i++) {
		int st = 0;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	for (;;) {
		uint32_t a;
		ssize_t r = read(fds[0], &a, sizeof(a));

		if (r == 0)
			break;
		assert_int_equal(r, sizeof(a));
		assert_true(n_seen < N_PROCS);
		seen[n_seen++] = ntohl(a);
	}
	close(fds[0]);
	assert_int_equal(n_seen, N_PROCS);
	for (size_t i = 0; i < n_seen; i++) {
		assert_true(seen[i] >= 0x0a070002 && seen[i] <= 0x0a0700fe);
		for (size_t j = i + 1; j < n_seen; j++)
			assert_true(seen[i] != seen[j]);
	}
	assert_int_equal(count_leases("busy"), N_PROCS);
}

static int stop_after_two(struct in_addr ip, const char *key, void *arg)
{
	(void)ip;
	(void)key;
	return ++*(int *)arg == 2 ? -ECANCELED : 0;
}

struct lease_seen {
	int n;
	bool found;
};

static int find_c2(struct in_addr ip, const char *key, void *arg)
{
	struct lease_seen *ls = arg;

	ls->n++;
	if (!strcmp(key, "n1/c2@eth0") && !strcmp(S(ip), "10.8.0.3"))
		ls->found = true;
	return 0;
}

static void test_foreach(void **state)
{
	struct netd_netconf nc;
	struct netd_err err = {0};
	struct lease_seen ls = {0};
	int n = 0;
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(count_leases("nothing"), 0); /* no state at all */
	mknet(&nc, "n1", "10.8.0.0", 24, "10.8.0.1", "10.8.0.2", "10.8.0.254");
	alloc_ok(&nc, "n1/c1@eth0");
	alloc_ok(&nc, "n1/c2@eth0");
	alloc_ok(&nc, "n1/c3@eth0");
	/* A leftover temp file of a crashed claim is not a lease. */
	snprintf(path, sizeof(path), "%s/networks/n1/ips/.tmp-1-0", statedir);
	assert_int_equal(netd_file_write_atomic(path, "n1/zz@eth0\n", 11, 0644, &err), 0);
	assert_int_equal(netd_ipam_foreach("n1", find_c2, &ls, &err), 0);
	assert_int_equal(ls.n, 3);
	assert_true(ls.found);
	assert_int_equal(netd_ipam_foreach("n1", stop_after_two, &n, &err), -ECANCELED);
	assert_int_equal(n, 2);
}

static void test_purge(void **state)
{
	struct netd_netconf nc;
	struct netd_err err = {0};
	struct stat st;
	char path[PATH_MAX];
	int lk;

	(void)state;
	mknet(&nc, "gone", "10.9.0.0", 24, "10.9.0.1", "10.9.0.2", "10.9.0.254");
	lk = netd_store_lock_network("gone", &err);
	assert_true(lk >= 0);
	alloc_ok(&nc, "gone/c1@eth0");
	alloc_ok(&nc, "gone/c2@eth0");
	close(lk);
	snprintf(path, sizeof(path), "%s/networks/gone/endpoints/c1@eth0", statedir);
	assert_int_equal(netd_file_write_atomic(path, "x", 1, 0644, &err), 0);
	mknet(&nc, "kept", "10.9.0.0", 24, "10.9.0.1", "10.9.0.2", "10.9.0.254");
	alloc_ok(&nc, "kept/c1@eth0");

	assert_int_equal(netd_ipam_purge("gone", &err), 0);
	snprintf(path, sizeof(path), "%s/networks/gone", statedir);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_leases("kept"), 1);
	/* Purging what is gone is done; the network starts afresh afterwards. */
	assert_int_equal(netd_ipam_purge("gone", &err), 0);
	mknet(&nc, "gone", "10.9.0.0", 24, "10.9.0.1", "10.9.0.2", "10.9.0.254");
	assert_string_equal(S(alloc_ok(&nc, "gone/c3@eth0")), "10.9.0.2");
}

static void test_peek(void **state)
{
	struct netd_netconf nc;
	struct netd_err err = {0};
	struct in_addr got = {0}, any = {0};

	(void)state;
	mknet(&nc, "p", "10.7.0.0", 29, "10.7.0.1", "10.7.0.5", "10.7.0.6");
	assert_int_equal(netd_ipam_peek(&nc, "p/a@eth0", any, &got, &err), 0);
	assert_string_equal(S(got), "10.7.0.5");
	assert_int_equal(count_leases("p"), 0); /* a peek takes nothing */
	assert_string_equal(S(alloc_ok(&nc, "p/a@eth0")), "10.7.0.5");
	/* a wanted address: free or already the caller's, else who has it */
	assert_int_equal(netd_ipam_peek(&nc, "p/a@eth0", A("10.7.0.5"), &got, &err), 0);
	assert_int_equal(netd_ipam_peek(&nc, "p/b@eth0", A("10.7.0.5"), &got, &err), -EADDRINUSE);
	assert_msg(&err, "already leased to p/a@eth0");
	assert_string_equal(S(alloc_ok(&nc, "p/b@eth0")), "10.7.0.6");
	assert_int_equal(netd_ipam_peek(&nc, "p/c@eth0", any, &got, &err), -EADDRNOTAVAIL);
	assert_msg(&err, "no free address left");
	assert_int_equal(count_leases("p"), 2);
}

/* ---- IPv6 ---- */

/* link() calls of libnetd (a lease claim is one): the allocator's probes, counted. */
int __real_link(const char *from, const char *to);
int __wrap_link(const char *from, const char *to);
static unsigned long link_calls;

int __wrap_link(const char *from, const char *to)
{
	link_calls++;
	return __real_link(from, to);
}

static struct netd_ip I6(const char *s) {
	struct netd_ip ip;

	if (netd_ip_parse(s, AF_INET6, &ip, NULL) < 0)
		fail_msg("bad address %s", s);
	return ip;
}

static const char *
S6(const struct netd_ip *ip)
{
	static char buf[4][NETD_IP_STRLEN];
	static int i;

	i = (i + 1) % 4;
	return netd_ip_format(ip, buf[i], sizeof(buf[i]));
}

static void mknet6(struct netd_netconf *nc, const char *name, const char *subnet6)
{
	struct netd_err e = {0};
	char text[256];

	/* subnet6 may carry more lines (range6=...) */
	snprintf(text, sizeof(text), "subnet=10.66.0.0/24\nsubnet6=%s\n", subnet6);
	if (netd_netconf_parse(name, NULL, text, nc, &e) < 0)
		fail_msg("%s", e.msg);
}

static void alloc6_ok(const struct netd_netconf *nc, const char *key, const char *want,
		      const char *expect)
{
	struct netd_err e = {0};
	struct netd_ip w = {0}, got;

	if (want)
		w = I6(want);
	if (netd_ipam_alloc6(nc, key, want ? &w : NULL, &got, &e) < 0)
		fail_msg("alloc6 %s: %s", key, e.msg);
	assert_string_equal(S6(&got), expect);
	netd_ipam_note_last6(nc->name, &got);
}

static void test_v6_order_want_release(void **state)
{
	struct netd_netconf nc;
	struct netd_err e = {0};
	struct netd_ip w, got;
	char owner[NETD_KEY_MAX + 1];

	(void)state;
	mknet6(&nc, "lab", "fd77::/64");
	/* gateway6 fd77::1 is skipped; leases are files named by canonical text */
	alloc6_ok(&nc, "lab/a@eth0", NULL, "fd77::2");
	alloc6_ok(&nc, "lab/b@eth0", NULL, "fd77::3");
	w = I6("fd77::2");
	assert_int_equal(netd_ipam_owner_ip("lab", &w, owner, sizeof(owner), &e), 0);
	assert_string_equal(owner, "lab/a@eth0");
	/* want: exactly it, in subnet6, not the network address or gateway6, not another's */
	alloc6_ok(&nc, "lab/c@eth0", "fd77::abcd", "fd77::abcd");
	alloc6_ok(&nc, "lab/c@eth0", "fd77::abcd", "fd77::abcd"); /* its own: fine */
	w = I6("fd77::abcd");
	assert_int_equal(netd_ipam_alloc6(&nc, "lab/d@eth0", &w, &got, &e), -EADDRINUSE);
	assert_string_equal(e.msg, "address fd77::abcd is already leased to c@eth0 on network lab");
	w = I6("fd78::5");
	assert_int_equal(netd_ipam_alloc6(&nc, "lab/d@eth0", &w, &got, &e), -EINVAL);
	assert_string_equal(e.msg, "network lab: address fd78::5 is not in subnet6 fd77::/64");
	w = I6("fd77::");
	assert_int_equal(netd_ipam_alloc6(&nc, "lab/d@eth0", &w, &got, &e), -EINVAL);
	assert_string_equal(e.msg, "network lab: address fd77:: is the network address");
	w = I6("fd77::1");
	assert_int_equal(netd_ipam_alloc6(&nc, "lab/d@eth0", &w, &got, &e), -EINVAL);
	assert_string_equal(e.msg, "network lab: address fd77::1 is the gateway address");
	/* the walk goes on after the hint (fd77::abcd), IPv4 leases untouched */
	alloc6_ok(&nc, "lab/d@eth0", NULL, "fd77::abce");
	/* release by owner only */
	w = I6("fd77::2");
	assert_int_equal(netd_ipam_release_ip("lab", &w, "lab/x@eth0", &e), 0);
	assert_int_equal(netd_ipam_owner_ip("lab", &w, owner, sizeof(owner), &e), 0);
	assert_int_equal(netd_ipam_release_ip("lab", &w, "lab/a@eth0", &e), 0);
	assert_int_equal(netd_ipam_owner_ip("lab", &w, owner, sizeof(owner), &e), -ENOENT);
	/* peek answers what alloc would, taking nothing */
	assert_int_equal(netd_ipam_peek6(&nc, "lab/e@eth0", NULL, &got, &e), 0);
	assert_string_equal(S6(&got), "fd77::abcf");
	alloc6_ok(&nc, "lab/e@eth0", NULL, "fd77::abcf");
	/* a network without subnet6 has no IPv6 addresses to give */
	mknet(&nc, "v4", "10.9.0.0", 24, "10.9.0.1", "10.9.0.2", "10.9.0.20");
	assert_int_equal(netd_ipam_alloc6(&nc, "v4/a@eth0", NULL, &got, &e), -EINVAL);
}

static int count_cb(const struct netd_ip *ip, const char *key, void *arg)
{
	unsigned *n = arg;

	(void)key;
	n[ip->family == AF_INET6]++;
	return 0;
}

static void test_v6_exhaustion_and_foreach(void **state)
{
	struct netd_netconf nc;
	struct netd_err e = {0};
	struct netd_ip got;
	struct in_addr g4;
	unsigned n[2] = {0, 0};
	char key[64];

	(void)state;
	/* range6 of 16 addresses, the gateway6 among them */
	mknet6(&nc, "small", "fd66::/120\nrange6=fd66::1-fd66::10");
	for (int i = 0; i < 15; i++) {
		snprintf(key, sizeof(key), "small/c%d@eth0", i);
		assert_int_equal(netd_ipam_alloc6(&nc, key, NULL, &got, &e), 0);
		netd_ipam_note_last6(nc.name, &got);
	}
	assert_string_equal(S6(&got), "fd66::10");
	assert_int_equal(netd_ipam_alloc6(&nc, "small/x@eth0", NULL, &got, &e), -EADDRNOTAVAIL);
	assert_string_equal(e.msg,
			    "network small: no free address left in range6 fd66::1-fd66::10");
	/* a freed one is found again, after wrapping */
	got = I6("fd66::7");
	assert_int_equal(netd_ipam_release_ip("small", &got, NULL, &e), 0);
	assert_int_equal(netd_ipam_alloc6(&nc, "small/x@eth0", NULL, &got, &e), 0);
	assert_string_equal(S6(&got), "fd66::7");
	/* foreach_ip sees both families; foreach (IPv4) only its own */
	assert_int_equal(netd_ipam_alloc(&nc, "small/x@eth0", (struct in_addr){0}, &g4, &e), 0);
	assert_int_equal(netd_ipam_foreach_ip("small", count_cb, n, &e), 0);
	assert_int_equal(n[0], 1);
	assert_int_equal(n[1], 15);
}

/* Probes per allocation: 64 addresses of a /64 (or /16) cost what 64 of a /120 cost. */
static void test_v6_cost_independent_of_prefix(void **state)
{
	static const char *const subnets[] = {"fd55:1::/120", "fd55:2::/64", "fd56::/16"};
	unsigned long calls[3];
	struct netd_netconf nc;
	struct netd_err e = {0};
	struct netd_ip got, w;
	char key[64];

	(void)state;
	for (int k = 0; k < 3; k++) {
		char name[16];

		snprintf(name, sizeof(name), "p%d", k);
		mknet6(&nc, name, subnets[k]);
		link_calls = 0;
		for (int i = 0; i < 64; i++) {
			snprintf(key, sizeof(key), "%s/c%d@eth0", name, i);
			assert_int_equal(netd_ipam_alloc6(&nc, key, NULL, &got, &e), 0);
			netd_ipam_note_last6(nc.name, &got);
		}
		calls[k] = link_calls;
	}
	/* One claim per address, whatever the prefix. */
	assert_int_equal(calls[0], 64);
	assert_int_equal(calls[1], 64);
	assert_int_equal(calls[2], 64);

	/* A /64 whose next 1024 addresses after the hint are taken counts as exhausted: the
	 * walk probes no further (docs/ipv6.md). */
	mknet6(&nc, "big", "fd44::/64");
	w = I6("fd44::1");
	assert_int_equal(netd_ipam_repair_ip("big", &w, "big/gw@eth0", &e), 0); /* makes ips/ */
	for (uint64_t i = 1; i <= 1024; i++) {
		struct netd_ip a;
		char path[PATH_MAX], as[NETD_IP_STRLEN];
		FILE *f;

		assert_int_equal(netd_ip_add(&w, i, &a), 0);
		snprintf(path, sizeof(path), "%s/networks/big/ips/%s", statedir,
			 netd_ip_format(&a, as, sizeof(as)));
		f = fopen(path, "w"); /* without fsync: 1024 of them */
		assert_non_null(f);
		fputs("big/other@eth0\n", f);
		fclose(f);
	}
	netd_ipam_note_last6("big", &w);
	link_calls = 0;
	assert_int_equal(netd_ipam_alloc6(&nc, "big/x@eth0", NULL, &got, &e), -EADDRNOTAVAIL);
	assert_int_equal(link_calls, 1024);
	assert_string_equal(e.msg,
			    "network big: no free IPv6 address among the 1024 after the "
			    "last one handed out in range6 fd44::1-fd44::ffff:ffff:ffff:ffff "
			    "(the allocator probes no further; release addresses or widen "
			    "range6)");
	/* one released ahead of the hint is found */
	w = I6("fd44::300");
	assert_int_equal(netd_ipam_release_ip("big", &w, NULL, &e), 0);
	assert_int_equal(netd_ipam_alloc6(&nc, "big/x@eth0", NULL, &got, &e), 0);
	assert_string_equal(S6(&got), "fd44::300");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_order_and_gateway_skip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exhaustion_and_reuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_want, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_last_wraps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_alloc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreach, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peek, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v6_order_want_release, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v6_exhaustion_and_foreach, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v6_cost_independent_of_prefix, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
