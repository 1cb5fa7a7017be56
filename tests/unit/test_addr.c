/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <netd/addr.h>

static struct netd_ip ip(const char *s)
{
	struct netd_ip a;

	if (netd_ip_parse(s, AF_UNSPEC, &a, NULL) < 0)
		fail_msg("%s does not parse", s);
	return a;
}

static struct netd_prefix pfx(const char *s)
{
	struct netd_prefix p;

	if (netd_prefix_parse(s, AF_UNSPEC, &p, NULL) < 0)
		fail_msg("%s does not parse", s);
	return p;
}

static void expect_ip(const char *s, int family, const char *canon)
{
	struct netd_err err = {.code = 77, .msg = "untouched"};
	struct netd_ip a;
	char buf[NETD_IP_STRLEN];

	assert_int_equal(netd_ip_parse(s, family, &a, &err), 0);
	assert_int_equal(err.code, 77);
	assert_string_equal(netd_ip_format(&a, buf, sizeof(buf)), canon);
}

static void expect_bad_ip(const char *s, int family)
{
	struct netd_err err = {0};
	struct netd_ip a = {.family = 99};

	assert_int_equal(netd_ip_parse(s, family, &a, &err), -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, "is not"));
	assert_int_equal(a.family, 99); /* untouched on error */
}

static void test_ip_parse(void **state)
{
	(void)state;
	expect_ip("10.1.2.3", AF_INET, "10.1.2.3");
	expect_ip("0.0.0.0", AF_UNSPEC, "0.0.0.0");
	expect_ip("255.255.255.255", AF_INET, "255.255.255.255");
	expect_ip("fd00:0:0::1", AF_INET6, "fd00::1");
	expect_ip("FD00::A", AF_UNSPEC, "fd00::a");
	expect_ip("::", AF_INET6, "::");
	/* as strict as inet_pton: no short forms, no octal or hex, no blanks */
	expect_bad_ip("10.1", AF_INET);
	expect_bad_ip("10", AF_INET);
	expect_bad_ip("010.1.2.3", AF_INET);
	expect_bad_ip("0x0a.1.2.3", AF_INET);
	expect_bad_ip(" 10.1.2.3", AF_INET);
	expect_bad_ip("10.1.2.3 ", AF_INET);
	expect_bad_ip("10.1.2.256", AF_INET);
	expect_bad_ip("10.1.2.3.4", AF_INET);
	expect_bad_ip("", AF_UNSPEC);
	expect_bad_ip(NULL, AF_UNSPEC);
	/* family is enforced both ways */
	expect_bad_ip("fd00::1", AF_INET);
	expect_bad_ip("10.1.2.3", AF_INET6);
	expect_bad_ip("[::1]", AF_INET6);
	expect_bad_ip("fd00::1/64", AF_INET6);
	expect_bad_ip("fd00::1%eth0", AF_INET6);
}

static void test_ip_parse_n(void **state)
{
	struct netd_ip a;
	struct in_addr v4;
	char long_text[80];

	(void)state;
	assert_int_equal(netd_ip_parse_n("10.0.0.1xyz", 8, AF_INET, &a, NULL), 0);
	assert_int_equal(netd_ip_parse_n("10.0.0.1", 9, AF_INET, &a, NULL), -EINVAL); /* NUL */
	memset(long_text, '1', sizeof(long_text));
	assert_int_equal(netd_ip_parse_n(long_text, sizeof(long_text), AF_INET, &a, NULL), -EINVAL);
	assert_int_equal(netd_ip4_parse("192.168.1.9", &v4, NULL), 0);
	assert_int_equal(ntohl(v4.s_addr), 0xc0a80109);
	assert_int_equal(netd_ip4_parse("::1", &v4, NULL), -EINVAL);
}

static void test_ip_format(void **state)
{
	struct in_addr v4 = {.s_addr = htonl(0x0a000001)};
	struct netd_ip a = {.family = 12345};
	char buf[NETD_HOST_STRLEN], tiny[4];

	(void)state;
	assert_string_equal(netd_ip4_format(v4, buf, sizeof(buf)), "10.0.0.1");
	assert_string_equal(netd_ip_format(&a, buf, sizeof(buf)), "?");
	a = ip("2001:db8::1");
	assert_string_equal(netd_ip_format_host(&a, buf, sizeof(buf)), "[2001:db8::1]");
	a = ip("127.0.0.1");
	assert_string_equal(netd_ip_format_host(&a, buf, sizeof(buf)), "127.0.0.1");
	/* a buffer too small gives "?" (or nothing), never a cut address */
	assert_string_equal(netd_ip_format(&a, tiny, sizeof(tiny)), "?");
}

static void test_ip_parse_host(void **state)
{
	struct netd_ip a;
	const char *rest = NULL;
	char buf[NETD_IP_STRLEN];

	(void)state;
	assert_int_equal(netd_ip_parse_host("[::1]:8080:80", AF_UNSPEC, &a, &rest, NULL), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(rest, "8080:80");
	assert_int_equal(netd_ip_parse_host("[2001:db8::1]::80", AF_UNSPEC, &a, &rest, NULL), 0);
	assert_string_equal(netd_ip_format(&a, buf, sizeof(buf)), "2001:db8::1");
	assert_string_equal(rest, ":80");
	assert_int_equal(netd_ip_parse_host("10.0.0.1:8080", AF_UNSPEC, &a, &rest, NULL), 0);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(rest, "8080");
	/* a bare v6 address, brackets without ':' after, or the wrong family: refused */
	assert_int_equal(netd_ip_parse_host("::1:8080", AF_UNSPEC, &a, &rest, NULL), -EINVAL);
	assert_int_equal(netd_ip_parse_host("[::1]8080", AF_UNSPEC, &a, &rest, NULL), -EINVAL);
	assert_int_equal(netd_ip_parse_host("[::1", AF_UNSPEC, &a, &rest, NULL), -EINVAL);
	assert_int_equal(netd_ip_parse_host("[10.0.0.1]:80", AF_UNSPEC, &a, &rest, NULL), -EINVAL);
	assert_int_equal(netd_ip_parse_host("[::1]:80", AF_INET, &a, &rest, NULL), -EINVAL);
	assert_int_equal(netd_ip_parse_host("10.0.0.1:80", AF_INET6, &a, &rest, NULL), -EINVAL);
	assert_int_equal(netd_ip_parse_host("10.0.0.1", AF_UNSPEC, &a, &rest, NULL), -EINVAL);
}

static void test_cmp_add_diff(void **state)
{
	struct netd_ip a = ip("10.0.0.255"), b, c;
	uint64_t off = 0;
	char buf[NETD_IP_STRLEN];

	(void)state;
	assert_int_equal(netd_ip_add(&a, 1, &b), 0);
	assert_string_equal(netd_ip_format(&b, buf, sizeof(buf)), "10.0.1.0");
	assert_true(netd_ip_cmp(&a, &b) < 0);
	assert_true(netd_ip_cmp(&b, &a) > 0);
	assert_int_equal(netd_ip_diff(&a, &b, &off), 0);
	assert_int_equal(off, 1);
	assert_int_equal(netd_ip_diff(&b, &a, &off), -ERANGE);
	a = ip("255.255.255.254");
	assert_int_equal(netd_ip_add(&a, 1, &b), 0);
	assert_int_equal(netd_ip_add(&a, 2, &b), -ERANGE);
	assert_int_equal(netd_ip_add(&a, UINT64_C(1) << 40, &b), -ERANGE);

	/* a /64: the last address is 2^64-1 from the first, reached in one step */
	a = ip("fd77::");
	assert_int_equal(netd_ip_add(&a, UINT64_MAX, &b), 0);
	assert_string_equal(netd_ip_format(&b, buf, sizeof(buf)), "fd77::ffff:ffff:ffff:ffff");
	assert_int_equal(netd_ip_diff(&a, &b, &off), 0);
	assert_true(off == UINT64_MAX);
	assert_int_equal(netd_ip_add(&b, 1, &c), 0);
	assert_string_equal(netd_ip_format(&c, buf, sizeof(buf)), "fd77:0:0:1::");
	/* beyond 64 bits of distance */
	assert_int_equal(netd_ip_diff(&a, &c, &off), -ERANGE);
	c = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(netd_ip_add(&c, 1, &b), -ERANGE);
	/* families do not mix */
	b = ip("10.0.0.1");
	assert_int_equal(netd_ip_diff(&a, &b, &off), -EINVAL);
	assert_true(netd_ip_cmp(&a, &b) != 0);
	assert_false(netd_ip_equal(&a, &b));
	assert_true(netd_ip_equal(&b, &b));
	a = ip("0.0.0.0");
	assert_true(netd_ip_is_zero(&a));
	a = ip("::");
	assert_true(netd_ip_is_zero(&a));
	a = ip("::1");
	assert_false(netd_ip_is_zero(&a));
}

static void test_prefix_parse(void **state)
{
	struct netd_prefix p;
	struct netd_err err = {0};
	char buf[NETD_PREFIX_STRLEN];

	(void)state;
	p = pfx("10.88.0.0/16");
	assert_int_equal(p.ip.family, AF_INET);
	assert_int_equal(p.len, 16);
	assert_true(netd_prefix_is_network(&p));
	assert_string_equal(netd_prefix_format(&p, buf, sizeof(buf)), "10.88.0.0/16");
	p = pfx("10.88.0.1/16"); /* host bits: parsed, reported */
	assert_false(netd_prefix_is_network(&p));
	p = netd_prefix_network(&p);
	assert_string_equal(netd_prefix_format(&p, buf, sizeof(buf)), "10.88.0.0/16");
	p = pfx("10.0.0.0/08"); /* two digits, as the subnet files always took */
	assert_int_equal(p.len, 8);
	p = pfx("fd77::1/64");
	assert_false(netd_prefix_is_network(&p));
	p = netd_prefix_network(&p);
	assert_string_equal(netd_prefix_format(&p, buf, sizeof(buf)), "fd77::/64");
	p = pfx("::/0");
	assert_int_equal(p.len, 0);
	assert_int_equal(netd_prefix_max(&p), 128);

	const char *bad[] = {"10.0.0.0",   "10.0.0.0/",	   "10.0.0.0/33", "10.0.0.0/008",
			     "10.0/8",	   "10.0.0.0/8/1", "10.0.0.0/-1", "10.0.0.0/ 8",
			     "/8",	   "fd00::/129",   "fd00::/0064", "[fd00::]/64",
			     "10.0.0.0/+8"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (netd_prefix_parse(bad[i], AF_UNSPEC, &p, &err) != -EINVAL)
			fail_msg("%s parsed", bad[i]);
		assert_int_equal(err.code, EINVAL);
	}
	assert_int_equal(netd_prefix_parse("fd00::/64", AF_INET, &p, NULL), -EINVAL);
	assert_int_equal(netd_prefix_parse("10.0.0.0/8", AF_INET6, &p, NULL), -EINVAL);
}

static void test_prefix_contains_last(void **state)
{
	struct netd_prefix p = pfx("10.88.0.0/16");
	struct netd_ip a;
	char buf[NETD_IP_STRLEN];

	(void)state;
	a = ip("10.88.255.255");
	assert_true(netd_prefix_contains(&p, &a));
	a = ip("10.89.0.0");
	assert_false(netd_prefix_contains(&p, &a));
	a = netd_prefix_last(&p);
	assert_string_equal(netd_ip_format(&a, buf, sizeof(buf)), "10.88.255.255");
	a = ip("::ffff:10.88.0.1"); /* a v4-mapped v6 address is not in a v4 prefix */
	assert_false(netd_prefix_contains(&p, &a));
	p = pfx("0.0.0.0/0");
	a = ip("1.2.3.4");
	assert_true(netd_prefix_contains(&p, &a));
	p = pfx("fd77:1:2:3::/64");
	a = netd_prefix_last(&p);
	assert_string_equal(netd_ip_format(&a, buf, sizeof(buf)), "fd77:1:2:3:ffff:ffff:ffff:ffff");
	assert_true(netd_prefix_contains(&p, &a));
	a = ip("fd77:1:2:4::");
	assert_false(netd_prefix_contains(&p, &a));
	p = pfx("fd77::5/128");
	a = ip("fd77::5");
	assert_true(netd_prefix_contains(&p, &a));
	p = pfx("10.0.0.0/12");
	a = ip("10.15.255.255");
	assert_true(netd_prefix_contains(&p, &a));
	a = ip("10.16.0.0");
	assert_false(netd_prefix_contains(&p, &a));
}

static void expect_overlap(const char *a, const char *b, bool want)
{
	struct netd_prefix pa = pfx(a), pb = pfx(b);

	if (netd_prefix_overlap(&pa, &pb) != want || netd_prefix_overlap(&pb, &pa) != want)
		fail_msg("%s vs %s: want %s", a, b, want ? "overlap" : "apart");
}

static void test_overlap(void **state)
{
	(void)state;
	expect_overlap("10.88.0.0/16", "10.88.1.0/24", true);
	expect_overlap("10.88.0.0/16", "10.89.0.0/16", false);
	expect_overlap("10.0.0.0/8", "10.200.0.0/16", true);
	expect_overlap("0.0.0.0/0", "192.168.0.0/16", true);
	expect_overlap("10.88.0.5/32", "10.88.0.0/24", true);
	expect_overlap("172.17.0.0/16", "172.16.0.0/16", false);
	expect_overlap("fd77::/64", "fd77::/48", true);
	expect_overlap("fd77::/64", "fd77:0:0:1::/64", false);
	expect_overlap("::/0", "10.0.0.0/8", false); /* families never overlap */
}

static void test_range(void **state)
{
	struct netd_ip_range r;
	char a[NETD_IP_STRLEN], b[NETD_IP_STRLEN];

	(void)state;
	assert_int_equal(netd_range_parse("10.88.0.10-10.88.0.200", AF_INET, &r, NULL), 0);
	assert_string_equal(netd_ip_format(&r.first, a, sizeof(a)), "10.88.0.10");
	assert_string_equal(netd_ip_format(&r.last, b, sizeof(b)), "10.88.0.200");
	assert_int_equal(netd_range_parse(" 10.88.0.10 - 10.88.0.200\t", AF_INET, &r, NULL), 0);
	assert_int_equal(netd_range_parse("fd77::10-fd77::ff", AF_UNSPEC, &r, NULL), 0);
	assert_int_equal(r.last.family, AF_INET6);
	/* the order is the caller's: parsed as given */
	assert_int_equal(netd_range_parse("10.0.0.9-10.0.0.1", AF_INET, &r, NULL), 0);
	assert_true(netd_ip_cmp(&r.first, &r.last) > 0);
	assert_int_equal(netd_range_parse("10.0.0.1", AF_INET, &r, NULL), -EINVAL);
	assert_int_equal(netd_range_parse("10.0.0.1-", AF_INET, &r, NULL), -EINVAL);
	assert_int_equal(netd_range_parse("10.0.0.1-fd77::1", AF_UNSPEC, &r, NULL), -EINVAL);
	assert_int_equal(netd_range_parse("10.0.0.1-10.0.0.2-10.0.0.3", AF_INET, &r, NULL),
			 -EINVAL);
	assert_int_equal(netd_range_parse("fd77::1-fd77::2", AF_INET, &r, NULL), -EINVAL);
}

static void test_mac(void **state)
{
	uint8_t m[NETD_MAC_LEN];
	char buf[NETD_MAC_STRLEN];

	(void)state;
	assert_int_equal(netd_mac_parse("02:42:AC:11:00:0f", m, NULL), 0);
	assert_int_equal(m[2], 0xac);
	assert_string_equal(netd_mac_format(m, buf, sizeof(buf)), "02:42:ac:11:00:0f");
	assert_int_equal(netd_mac_parse_n("02:42:ac:11:00:0fZZ", 17, m, NULL), 0);
	assert_int_equal(netd_mac_parse("02:42:ac:11:00", m, NULL), -EINVAL);
	assert_int_equal(netd_mac_parse("02-42-ac-11-00-0f", m, NULL), -EINVAL);
	assert_int_equal(netd_mac_parse("02:42:ac:11:00:0g", m, NULL), -EINVAL);
	assert_int_equal(netd_mac_parse("2:42:ac:11:00:0f0", m, NULL), -EINVAL);
	assert_int_equal(netd_mac_parse(NULL, m, NULL), -EINVAL);
}

static void test_messages(void **state)
{
	struct netd_err err = {0};
	struct netd_ip a;

	(void)state;
	assert_int_equal(netd_ip_parse("10.1\x01", AF_INET, &a, &err), -EINVAL);
	assert_string_equal(err.msg, "\"10.1\\x01\" is not an IPv4 address");
	assert_int_equal(netd_ip_parse("x", AF_INET6, &a, &err), -EINVAL);
	assert_string_equal(err.msg, "\"x\" is not an IPv6 address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ip_parse),
	    cmocka_unit_test(test_ip_parse_n),
	    cmocka_unit_test(test_ip_format),
	    cmocka_unit_test(test_ip_parse_host),
	    cmocka_unit_test(test_cmp_add_diff),
	    cmocka_unit_test(test_prefix_parse),
	    cmocka_unit_test(test_prefix_contains_last),
	    cmocka_unit_test(test_overlap),
	    cmocka_unit_test(test_range),
	    cmocka_unit_test(test_mac),
	    cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
