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
	char key[NETD_KEY_MAX + 1];

	(void)state;
	mknet(&nc, "../evil", "10.5.0.0", 24, "10.5.0.1", "10.5.0.2", "10.5.0.254");
	assert_int_equal(netd_ipam_alloc(&nc, "k", any, &got, &err), -EINVAL);
	assert_msg(&err, "invalid network name");
	assert_int_equal(netd_ipam_release("a/b", any, NULL, &err), -EINVAL);
	assert_int_equal(netd_ipam_owner("..", any, key, sizeof(key), &err), -EINVAL);
	assert_int_equal(netd_ipam_purge("../..", &err), -EINVAL);

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
