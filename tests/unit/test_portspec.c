/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <netd/portspec.h>

#define CAP 64

static size_t parse_ok(const char *spec, struct netd_port *out)
{
	struct netd_err err = {.code = 77, .msg = "untouched"};
	size_t n = 0;
	int r;

	r = netd_portspec_parse(spec, out, CAP, &n, &err);
	if (r != 0)
		fail_msg("%s: %d %s", spec, r, err.msg);
	assert_int_equal(err.code, 77);
	return n;
}

static void expect_port(const struct netd_port *p, uint8_t proto, const char *ip, unsigned host,
			unsigned host_max, unsigned ctr)
{
	char buf[NETD_HOST_STRLEN];

	assert_int_equal(p->proto, proto);
	/* "*": family 0, every address of both families */
	netd_port_host_format(p, buf, sizeof(buf));
	assert_string_equal(buf, ip);
	assert_int_equal(p->host_port, host);
	assert_int_equal(p->host_port_max, host_max);
	assert_int_equal(p->ctr_port, ctr);
}

/* The spec fails, nothing is appended (out/n untouched), the message holds needle. */
static void expect_bad_cap(const char *spec, size_t cap, const char *needle)
{
	struct netd_port out[CAP];
	struct netd_err err = {0};
	size_t n = 1;
	int r;

	memset(out, 0xab, sizeof(out));
	r = netd_portspec_parse(spec, out, cap, &n, &err);
	if (r != -EINVAL)
		fail_msg("%s: expected -EINVAL, got %d (%s)", spec ? spec : "(null)", r, err.msg);
	assert_int_equal(err.code, EINVAL);
	assert_int_equal(n, 1);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(((unsigned char *)out)[i], 0xab);
	if (!strstr(err.msg, needle))
		fail_msg("%s: \"%s\" not in \"%s\"", spec ? spec : "(null)", needle, err.msg);
}

static void expect_bad(const char *spec, const char *needle)
{
	expect_bad_cap(spec, CAP, needle);
}

static void test_simple(void **state)
{
	struct netd_port out[CAP];

	(void)state;
	assert_int_equal(parse_ok("80", out), 1);
	expect_port(&out[0], NETD_PROTO_TCP, "*", 0, 0, 80);
	assert_int_equal(parse_ok("8080:80", out), 1);
	expect_port(&out[0], NETD_PROTO_TCP, "*", 8080, 0, 80);
	assert_int_equal(parse_ok("127.0.0.1:8080:80", out), 1);
	expect_port(&out[0], NETD_PROTO_TCP, "127.0.0.1", 8080, 0, 80);
	assert_int_equal(parse_ok("10.1.2.3::53/udp", out), 1);
	expect_port(&out[0], NETD_PROTO_UDP, "10.1.2.3", 0, 0, 53);
	assert_int_equal(parse_ok("1:65535/sctp", out), 1);
	expect_port(&out[0], NETD_PROTO_SCTP, "*", 1, 0, 65535);
	assert_int_equal(parse_ok("53:53/UDP", out), 1);
	expect_port(&out[0], NETD_PROTO_UDP, "*", 53, 0, 53);
	assert_int_equal(parse_ok("443/Tcp", out), 1);
	expect_port(&out[0], NETD_PROTO_TCP, "*", 0, 0, 443);
	assert_int_equal(parse_ok("0.0.0.0:80:80", out), 1);
	expect_port(&out[0], NETD_PROTO_TCP, "0.0.0.0", 80, 0, 80);
	assert_int_equal(parse_ok("08080:00080", out), 1);
	expect_port(&out[0], NETD_PROTO_TCP, "*", 8080, 0, 80);
}

static void test_ranges(void **state)
{
	struct netd_port out[CAP];
	size_t n;

	(void)state;
	n = parse_ok("8000-8003:9000-9003/udp", out);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		expect_port(&out[i], NETD_PROTO_UDP, "*", 8000 + i, 0, 9000 + i);

	n = parse_ok("7000-7002", out);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		expect_port(&out[i], NETD_PROTO_TCP, "*", 0, 0, 7000 + i);

	n = parse_ok("8000-8010:80", out);
	assert_int_equal(n, 1);
	expect_port(&out[0], NETD_PROTO_TCP, "*", 8000, 8010, 80);

	n = parse_ok("192.168.1.1:8000-8001:80-81", out);
	assert_int_equal(n, 2);
	expect_port(&out[0], NETD_PROTO_TCP, "192.168.1.1", 8000, 0, 80);
	expect_port(&out[1], NETD_PROTO_TCP, "192.168.1.1", 8001, 0, 81);

	n = parse_ok("127.0.0.1::5000-5001/sctp", out);
	assert_int_equal(n, 2);
	expect_port(&out[1], NETD_PROTO_SCTP, "127.0.0.1", 0, 0, 5001);

	/* a range of one is a port, on either side */
	n = parse_ok("8000-8000:80", out);
	assert_int_equal(n, 1);
	expect_port(&out[0], NETD_PROTO_TCP, "*", 8000, 0, 80);
	n = parse_ok("8080:80-80", out);
	assert_int_equal(n, 1);
	expect_port(&out[0], NETD_PROTO_TCP, "*", 8080, 0, 80);

	n = parse_ok("65534-65535:1-2", out);
	assert_int_equal(n, 2);
	expect_port(&out[1], NETD_PROTO_TCP, "*", 65535, 0, 2);
}

static void test_append(void **state)
{
	struct netd_port out[8];
	struct netd_err err = {0};
	size_t n = 0;

	(void)state;
	assert_int_equal(netd_portspec_parse("80", out, 8, &n, &err), 0);
	assert_int_equal(netd_portspec_parse("53/udp", out, 8, &n, &err), 0);
	assert_int_equal(netd_portspec_parse("1-6", out, 8, &n, &err), 0);
	assert_int_equal(n, 8);
	expect_port(&out[0], NETD_PROTO_TCP, "*", 0, 0, 80);
	expect_port(&out[1], NETD_PROTO_UDP, "*", 0, 0, 53);
	expect_port(&out[7], NETD_PROTO_TCP, "*", 0, 0, 6);
	/* full: the next one fails and nothing changes */
	assert_int_equal(netd_portspec_parse("81", out, 8, &n, &err), -EINVAL);
	assert_int_equal(n, 8);
	assert_non_null(strstr(err.msg, "expands to 1 ports, more than the 0 allowed"));
}

static void test_bad(void **state)
{
	(void)state;
	expect_bad("8080:abc", "port spec \"8080:abc\": container port \"abc\" is not a number");
	expect_bad("abc:80", "port spec \"abc:80\": host port \"abc\" is not a number");
	expect_bad("", "port spec \"\": empty");
	expect_bad(NULL, "empty");
	expect_bad("0", "container port \"0\" is out of range (1-65535)");
	expect_bad("0:80", "host port \"0\" is out of range (1-65535)");
	expect_bad("65536", "container port \"65536\" is out of range");
	expect_bad("99999999999999999999", "is out of range");
	expect_bad("80:", "container port is empty");
	expect_bad(":80", "host port is empty");
	expect_bad("80/", "protocol \"\" is not tcp, udp or sctp");
	expect_bad("80/icmp", "protocol \"icmp\" is not tcp, udp or sctp");
	expect_bad("80/tcp/udp", "container port \"80/tcp\" is not a number");
	expect_bad("-80", "is not a number or range");
	expect_bad("80-", "is not a number or range");
	expect_bad("1-2-3", "\"1-2-3\" is not a number or range");
	expect_bad("+80", "is not a number");
	expect_bad(" 80", "is not a number");
	expect_bad("80 ", "is not a number");
	expect_bad("0x50", "is not a number");
	expect_bad("90-80", "container port \"90-80\": range is reversed (write 80-90)");
	expect_bad("90-80:80", "host port \"90-80\": range is reversed");
	expect_bad("8000-8002:80-81", "host range has 3 ports, container range 2");
	expect_bad("8080:80-81", "one host port 8080 for 2 container ports");
	expect_bad("1.2.3:80:80", "host IP \"1.2.3\" is not an IPv4 address");
	expect_bad("localhost:80:80", "host IP \"localhost\" is not an IPv4 address");
	expect_bad("256.0.0.1:80:80", "is not an IPv4 address");
	expect_bad("::80", "host IP is empty");
	/* [::1] cannot be DNATed (no route_localnet for IPv6): refused, saying why */
	expect_bad("[::1]:80:80", "no route_localnet");
	expect_bad("[::1]::80", "cannot be published");
	/* an IPv6 address goes in brackets */
	expect_bad("::1:80:80", "an IPv6 host address goes in brackets");
	expect_bad("fe80::1:80:80", "an IPv6 host address goes in brackets");
	expect_bad("2001:db8::1", "an IPv6 host address goes in brackets");
	expect_bad("[2001:db8::1]", "[ADDR]:HOST:CTR");
	expect_bad("[2001:db8::1]:80", "after the IPv6 host address comes HOST:CTR");
	expect_bad("[2001:db8::1:80:80", "[ADDR]:HOST:CTR");
	expect_bad("[10.0.0.1]:80:80", "is not an IPv6 address");
	expect_bad("[fd00::zz]:80:80", "is not an IPv6 address");
	expect_bad("[]:80:80", "is not an IPv6 address");
	expect_bad("[::]:80:80:80", "too many ':'");
	expect_bad("[::]:x:80", "host port");
	expect_bad("80]:80", "']' without '['");
	expect_bad("1:2:3:4", "too many ':'");
	expect_bad("80\n", "\"80\\x0a\"");
	expect_bad("1-65535", "expands to 65535 ports, more than the 63 allowed");
}

static void test_cap(void **state)
{
	struct netd_port out[4];
	struct netd_err err = {0};
	size_t n = 0;

	(void)state;
	expect_bad_cap("1000-1004", 5, "expands to 5 ports, more than the 4 allowed");
	assert_int_equal(netd_portspec_parse("1000-1003", out, 4, &n, &err), 0);
	assert_int_equal(n, 4);
	n = 5; /* inconsistent caller */
	assert_int_equal(netd_portspec_parse("80", out, 4, &n, &err), -EINVAL);
	assert_int_equal(n, 5);
}

/* Docker's IPv6 forms: [::] and a v6 address; the bracketed address is the whole first part. */
static void test_v6(void **state)
{
	struct netd_port out[CAP];
	struct netd_ip a, b;

	(void)state;
	assert_int_equal(parse_ok("[::]:8080:80", out), 1);
	expect_port(&out[0], NETD_PROTO_TCP, "[::]", 8080, 0, 80);
	assert_int_equal(out[0].host_ip.family, AF_INET6);
	assert_int_equal(parse_ok("[2001:db8::1]:8080:80/udp", out), 1);
	expect_port(&out[0], NETD_PROTO_UDP, "[2001:db8::1]", 8080, 0, 80);
	assert_int_equal(parse_ok("[fd00::1]::53/udp", out), 1);
	expect_port(&out[0], NETD_PROTO_UDP, "[fd00::1]", 0, 0, 53);
	assert_int_equal(parse_ok("[::]:8000-8002:9000-9002", out), 3);
	expect_port(&out[2], NETD_PROTO_TCP, "[::]", 8002, 0, 9002);
	assert_int_equal(parse_ok("[::ffff:10.0.0.1]:80:80", out), 1); /* a v6 spelling */
	assert_int_equal(out[0].host_ip.family, AF_INET6);
	assert_int_equal(parse_ok("0.0.0.0:80:80", out), 1);
	assert_int_equal(out[0].host_ip.family, AF_INET); /* IPv4 only, as Docker */
	assert_int_equal(parse_ok("8080:80", out), 1);
	assert_int_equal(out[0].host_ip.family, 0); /* both families */

	/* the conflict rule of host addresses: per family, wildcard meets its family */
	assert_int_equal(netd_ip_parse("::", AF_INET6, &a, NULL), 0);
	assert_int_equal(netd_ip_parse("fd00::1", AF_INET6, &b, NULL), 0);
	assert_true(netd_port_hosts_meet(&a, &b));
	assert_int_equal(netd_ip_parse("0.0.0.0", AF_INET, &b, NULL), 0);
	assert_false(netd_port_hosts_meet(&a, &b));
	assert_true(netd_port_hosts_meet(&(struct netd_ip){0}, &b));
	assert_int_equal(netd_ip_parse("fd00::2", AF_INET6, &a, NULL), 0);
	assert_int_equal(netd_ip_parse("fd00::1", AF_INET6, &b, NULL), 0);
	assert_false(netd_port_hosts_meet(&a, &b));
	assert_true(netd_port_hosts_meet(&b, &b));
}

static void test_proto_names(void **state)
{
	(void)state;
	assert_string_equal(netd_proto_name(NETD_PROTO_TCP), "tcp");
	assert_string_equal(netd_proto_name(NETD_PROTO_UDP), "udp");
	assert_string_equal(netd_proto_name(NETD_PROTO_SCTP), "sctp");
	assert_null(netd_proto_name(0));
	assert_null(netd_proto_name(1));
	assert_int_equal(netd_proto_from_name("tcp"), NETD_PROTO_TCP);
	assert_int_equal(netd_proto_from_name("UDP"), NETD_PROTO_UDP);
	assert_int_equal(netd_proto_from_name("Sctp"), NETD_PROTO_SCTP);
	assert_int_equal(netd_proto_from_name("icmp"), 0);
	assert_int_equal(netd_proto_from_name(""), 0);
	assert_int_equal(netd_proto_from_name("tcp "), 0);
	assert_int_equal(netd_proto_from_name(NULL), 0);
}

static void test_format(void **state)
{
	struct netd_port out[CAP];
	char buf[64];
	int r;

	(void)state;
	parse_ok("8080:80", out);
	r = netd_port_format(&out[0], buf, sizeof(buf));
	assert_string_equal(buf, "*:8080->80/tcp");
	assert_int_equal(r, (int)strlen(buf));
	parse_ok("53/udp", out);
	netd_port_format(&out[0], buf, sizeof(buf));
	assert_string_equal(buf, "*:?->53/udp");
	parse_ok("[2001:db8::1]:8080:80", out);
	netd_port_format(&out[0], buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:8080->80/tcp");
	parse_ok("0.0.0.0:8080:80", out);
	netd_port_format(&out[0], buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0:8080->80/tcp");
	parse_ok("127.0.0.1:8000-8010:80/sctp", out);
	netd_port_format(&out[0], buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:8000-8010->80/sctp");
	/* truncation: snprintf's result, the buffer stays terminated */
	r = netd_port_format(&out[0], buf, 8);
	assert_int_equal(r, (int)strlen("127.0.0.1:8000-8010->80/sctp"));
	assert_string_equal(buf, "127.0.0");
	out[0].proto = 99;
	netd_port_format(&out[0], buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:8000-8010->80/99");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple), cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_append), cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_cap),	   cmocka_unit_test(test_proto_names),
	    cmocka_unit_test(test_format), cmocka_unit_test(test_v6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
