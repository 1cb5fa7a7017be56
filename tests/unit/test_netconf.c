/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <netd/netconf.h>
#include "netconf_priv.h"

static const char *ip(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int k;

	k = (k + 1) % 4;
	return inet_ntop(AF_INET, &a, buf[k], sizeof(buf[k]));
}

static void parse_ok(const char *name, const char *text, struct netd_netconf *nc)
{
	struct netd_err err = {.code = 77, .msg = "untouched"};
	int r = netd_netconf_parse(name, "t.conf", text, nc, &err);

	if (r != 0)
		fail_msg("parse failed: %d %s\n--\n%s--", r, err.msg, text);
	assert_int_equal(err.code, 77);
}

/* Parse fails with -EINVAL and exactly this message. */
static void parse_bad(const char *name, const char *text, const char *msg)
{
	struct netd_netconf nc;
	struct netd_err err = {0};
	int r = netd_netconf_parse(name, "t.conf", text, &nc, &err);

	if (r != -EINVAL)
		fail_msg("expected -EINVAL, got %d (%s)\n--\n%s--", r, err.msg, text);
	assert_int_equal(err.code, EINVAL);
	if (strcmp(err.msg, msg))
		fail_msg("message\n  got:  %s\n  want: %s", err.msg, msg);
}

static void test_minimal_defaults(void **state)
{
	struct netd_netconf nc;

	(void)state;
	parse_ok("netd0", "subnet=10.88.0.0/16\n", &nc);
	assert_string_equal(nc.name, "netd0");
	assert_string_equal(nc.bridge, "netd0");
	assert_string_equal(ip(nc.subnet), "10.88.0.0");
	assert_int_equal(nc.prefix, 16);
	assert_string_equal(ip(nc.gateway), "10.88.0.1");
	assert_string_equal(ip(nc.range_start), "10.88.0.1");
	assert_string_equal(ip(nc.range_end), "10.88.255.254");
	assert_int_equal(nc.mtu, 0);
	assert_true(nc.masquerade);

	/* no trailing newline; /30 is the smallest */
	parse_ok("n", "subnet=192.168.7.4/30", &nc);
	assert_string_equal(ip(nc.gateway), "192.168.7.5");
	assert_string_equal(ip(nc.range_start), "192.168.7.5");
	assert_string_equal(ip(nc.range_end), "192.168.7.6");
	parse_ok("n", "subnet=10.0.0.0/8", &nc);
	assert_string_equal(ip(nc.range_end), "10.255.255.254");
}

static void test_full(void **state)
{
	struct netd_netconf nc;

	(void)state;
	parse_ok("web",
		 "# a comment\n"
		 "\n"
		 "   # indented comment\n"
		 "subnet = 172.20.0.0/24   \n"
		 "\tgateway=172.20.0.254\r\n"
		 "range=\"172.20.0.10 - 172.20.0.99\"\n"
		 "bridge=br-web\n"
		 "mtu=9000\n"
		 "masquerade=No\n"
		 "   \t  \n",
		 &nc);
	assert_string_equal(ip(nc.subnet), "172.20.0.0");
	assert_int_equal(nc.prefix, 24);
	assert_string_equal(ip(nc.gateway), "172.20.0.254");
	assert_string_equal(ip(nc.range_start), "172.20.0.10");
	assert_string_equal(ip(nc.range_end), "172.20.0.99");
	assert_string_equal(nc.bridge, "br-web");
	assert_int_equal(nc.mtu, 9000);
	assert_false(nc.masquerade);

	static const struct {
		const char *v;
		bool want;
	} bools[] = {{"yes", true}, {"no", false}, {"true", true},   {"false", false}, {"1", true},
		     {"0", false},  {"YES", true}, {"False", false}, {"\"no\"", false}};
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "subnet=10.0.0.0/24\nmasquerade=%s\n", bools[i].v);
		parse_ok("n", text, &nc);
		assert_int_equal(nc.masquerade, bools[i].want);
	}
	parse_ok("n", "subnet=10.0.0.0/24\nmtu=68\n", &nc);
	assert_int_equal(nc.mtu, 68);
	parse_ok("n", "subnet=10.0.0.0/24\nmtu=65535\n", &nc);
	assert_int_equal(nc.mtu, 65535);
	/* the range may hold the gateway: the allocator skips it */
	parse_ok("n", "subnet=10.0.0.0/24\nrange=10.0.0.1-10.0.0.254\n", &nc);
	assert_string_equal(ip(nc.range_start), "10.0.0.1");
	parse_ok("n", "subnet=10.0.0.0/24\nrange=10.0.0.7-10.0.0.7\n", &nc);
	assert_string_equal(ip(nc.range_end), "10.0.0.7");
}

static void test_flannel(void **state)
{
	struct netd_netconf nc;

	(void)state;
	parse_ok("cbr0",
		 "FLANNEL_NETWORK=10.244.0.0/16\n"
		 "FLANNEL_SUBNET=10.244.1.1/24\n"
		 "FLANNEL_MTU=1450\n"
		 "FLANNEL_IPMASQ=false\n",
		 &nc);
	assert_string_equal(ip(nc.subnet), "10.244.1.0");
	assert_int_equal(nc.prefix, 24);
	assert_string_equal(ip(nc.gateway), "10.244.1.1");
	assert_string_equal(ip(nc.range_start), "10.244.1.1");
	assert_string_equal(ip(nc.range_end), "10.244.1.254");
	assert_int_equal(nc.mtu, 1450);
	assert_false(nc.masquerade);
	assert_string_equal(nc.bridge, "cbr0");

	/* a bridge address other than .1, and a network address given as is */
	parse_ok("f", "FLANNEL_SUBNET=10.244.3.129/25\nFLANNEL_IPMASQ=true\nbridge=cni0\n", &nc);
	assert_string_equal(ip(nc.subnet), "10.244.3.128");
	assert_int_equal(nc.prefix, 25);
	assert_string_equal(ip(nc.gateway), "10.244.3.129");
	assert_true(nc.masquerade);
	assert_string_equal(nc.bridge, "cni0");
	parse_ok("f", "FLANNEL_SUBNET=\"10.244.9.0/24\"\n", &nc);
	assert_string_equal(ip(nc.gateway), "10.244.9.1");
	/* ours and flannel's keys mix where they do not overlap */
	parse_ok("f", "FLANNEL_SUBNET=10.244.2.1/24\nrange=10.244.2.100-10.244.2.200\nmtu=1400\n",
		 &nc);
	assert_string_equal(ip(nc.range_start), "10.244.2.100");
	assert_int_equal(nc.mtu, 1400);
}

static void test_errors(void **state)
{
	(void)state;
	/* line syntax */
	parse_bad("n", "subnet=10.0.0.0/24\nbogus\n",
		  "t.conf:2: \"bogus\": missing '=' (lines are key=value)");
	parse_bad("n", "=10.0.0.0/24\n", "t.conf:1: missing key before '='");
	parse_bad("n", "\n\nsubnet=10.0.0.0/24\ncolour=blue\n",
		  "t.conf:4: unknown key \"colour\"; known: subnet, gateway, range, bridge, mtu, "
		  "masquerade, routes, gateway_mode, internal, icc, subnet6, gateway6, range6, "
		  "masquerade6, FLANNEL_SUBNET, "
		  "FLANNEL_MTU, "
		  "FLANNEL_IPMASQ, FLANNEL_NETWORK");
	parse_bad(
	    "n", "Subnet=10.0.0.0/24\n",
	    "t.conf:1: unknown key \"Subnet\"; known: subnet, "
	    "gateway, range, bridge, mtu, masquerade, routes, gateway_mode, internal, icc, "
	    "subnet6, gateway6, range6, masquerade6, FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ, "
	    "FLANNEL_NETWORK");
	parse_bad("n", "subnet=\n", "t.conf:1: subnet has an empty value");
	parse_bad("n", "subnet=\"\"\n", "t.conf:1: subnet has an empty value");
	parse_bad("n", "subnet=\"10.0.0.0/24\n", "t.conf:1: subnet: unbalanced '\"' in the value");
	parse_bad("n", "subnet=\"\n", "t.conf:1: subnet: unbalanced '\"' in the value");
	parse_bad("n", "subnet=\"10.0\"0.0/24\"\n",
		  "t.conf:1: subnet: stray '\"' inside the value");
	parse_bad("n", "# only a comment\n",
		  "t.conf: missing subnet (add a line like subnet=10.88.0.0/16, or "
		  "subnet6=fd88::/64 for an IPv6-only network)");
	parse_bad("n", "",
		  "t.conf: missing subnet (add a line like subnet=10.88.0.0/16, or "
		  "subnet6=fd88::/64 for an IPv6-only network)");
	parse_bad("n", "mtu=1500\n",
		  "t.conf: missing subnet (add a line like subnet=10.88.0.0/16, or "
		  "subnet6=fd88::/64 for an IPv6-only network)");

	/* duplicates and overlaps */
	parse_bad("n", "subnet=10.0.0.0/24\nmtu=1500\nsubnet=10.0.1.0/24\n",
		  "t.conf:3: duplicate key subnet (first set on line 1)");
	parse_bad("n", "subnet=10.0.0.0/24\nFLANNEL_SUBNET=10.0.0.1/24\n",
		  "t.conf:2: FLANNEL_SUBNET conflicts with subnet on line 1 (both set the same "
		  "thing)");
	parse_bad("n", "gateway=10.0.0.1\nFLANNEL_SUBNET=10.0.0.1/24\n",
		  "t.conf:2: FLANNEL_SUBNET conflicts with gateway on line 1 (both set the "
		  "gateway)");
	parse_bad("n", "FLANNEL_SUBNET=10.0.0.1/24\ngateway=10.0.0.1\n",
		  "t.conf:2: gateway conflicts with FLANNEL_SUBNET on line 1 (both set the same "
		  "thing)");
	parse_bad("n", "subnet=10.0.0.0/24\nmtu=1500\nFLANNEL_MTU=1450\n",
		  "t.conf:3: FLANNEL_MTU conflicts with mtu on line 2 (both set the same thing)");
	parse_bad("n", "subnet=10.0.0.0/24\nmasquerade=no\nFLANNEL_IPMASQ=true\n",
		  "t.conf:3: FLANNEL_IPMASQ conflicts with masquerade on line 2 (both set the same "
		  "thing)");
	parse_bad("n", "subnet=10.0.0.0/24\nbridge=a\nbridge=b\n",
		  "t.conf:3: duplicate key bridge (first set on line 2)");
	parse_bad("n", "subnet=10.0.0.0/24\nrange=10.0.0.2-10.0.0.3\nrange=10.0.0.2-10.0.0.3\n",
		  "t.conf:3: duplicate key range (first set on line 2)");
	parse_bad("n", "subnet=10.0.0.0/24\ngateway=10.0.0.1\ngateway=10.0.0.1\n",
		  "t.conf:3: duplicate key gateway (first set on line 2)");
	parse_bad("n", "FLANNEL_NETWORK=10.0.0.0/8\nFLANNEL_NETWORK=10.0.0.0/8\n",
		  "t.conf:2: duplicate key FLANNEL_NETWORK (first set on line 1)");

	/* subnet */
	parse_bad("n", "subnet=10.0.0.1/24\n",
		  "t.conf:1: bad subnet \"10.0.0.1/24\": host bits are set; did you mean "
		  "10.0.0.0/24?");
	parse_bad("n", "subnet=172.16.5.77/12\n",
		  "t.conf:1: bad subnet \"172.16.5.77/12\": host bits are set; did you mean "
		  "172.16.0.0/12?");
	parse_bad("n", "subnet=10.0.0.0\n",
		  "t.conf:1: bad subnet \"10.0.0.0\": want A.B.C.D/PREFIX, e.g. 10.88.0.0/16");
	parse_bad("n", "subnet=10.0.0.0/\n",
		  "t.conf:1: bad subnet \"10.0.0.0/\": want A.B.C.D/PREFIX, e.g. 10.88.0.0/16");
	parse_bad("n", "subnet=10.0.0.0/33\n",
		  "t.conf:1: bad subnet \"10.0.0.0/33\": want A.B.C.D/PREFIX, e.g. 10.88.0.0/16");
	parse_bad("n", "subnet=10.0.0.0/024\n",
		  "t.conf:1: bad subnet \"10.0.0.0/024\": want A.B.C.D/PREFIX, e.g. 10.88.0.0/16");
	parse_bad("n", "subnet=10.0.0/24\n",
		  "t.conf:1: bad subnet \"10.0.0/24\": want A.B.C.D/PREFIX, e.g. 10.88.0.0/16");
	parse_bad("n", "subnet=fd00::/64\n",
		  "t.conf:1: bad subnet \"fd00::/64\": want A.B.C.D/PREFIX, e.g. 10.88.0.0/16");
	parse_bad("n", "subnet=10.0.0.0/24 # comment\n",
		  "t.conf:1: bad subnet \"10.0.0.0/24 # comment\": want A.B.C.D/PREFIX, e.g. "
		  "10.88.0.0/16");
	parse_bad("n", "subnet=10.0.0.0/31\n",
		  "t.conf:1: bad subnet \"10.0.0.0/31\": prefix /31 is not supported (use /8 to "
		  "/30)");
	parse_bad("n", "subnet=0.0.0.0/0\n",
		  "t.conf:1: bad subnet \"0.0.0.0/0\": prefix /0 is not supported (use /8 to /30)");
	/* the prefix is checked before the host bits: no masked form of an unusable subnet */
	parse_bad(
	    "n", "subnet=10.0.0.0/7\n",
	    "t.conf:1: bad subnet \"10.0.0.0/7\": prefix /7 is not supported (use /8 to /30)");
	parse_bad("n", "subnet=10.1.0.0/31\n",
		  "t.conf:1: bad subnet \"10.1.0.0/31\": prefix /31 is not supported (use /8 to "
		  "/30)");
}

static void test_errors_values(void **state)
{
	(void)state;
	parse_bad("n", "subnet=8.0.0.0/7\n",
		  "t.conf:1: bad subnet \"8.0.0.0/7\": prefix /7 is not supported (use /8 to /30)");
	parse_bad("n", "FLANNEL_SUBNET=10.244.1.1\n",
		  "t.conf:1: bad FLANNEL_SUBNET \"10.244.1.1\": want A.B.C.D/PREFIX (the bridge "
		  "address), e.g. 10.244.1.1/24");
	parse_bad("n", "FLANNEL_SUBNET=10.244.1.1/31\n",
		  "t.conf:1: bad FLANNEL_SUBNET \"10.244.1.1/31\": prefix /31 is not supported "
		  "(use /8 to /30)");
	parse_bad("n", "FLANNEL_SUBNET=10.244.1.255/24\n",
		  "t.conf:1: gateway 10.244.1.255 is the broadcast address of subnet "
		  "10.244.1.0/24");
	parse_bad("n", "subnet=10.0.0.0/24\nFLANNEL_NETWORK=10.0.0.0\n",
		  "t.conf:2: bad FLANNEL_NETWORK \"10.0.0.0\": want A.B.C.D/PREFIX");

	/* gateway */
	parse_bad("n", "subnet=10.0.0.0/24\ngateway=10.0.0.300\n",
		  "t.conf:2: bad gateway \"10.0.0.300\": want an IPv4 address A.B.C.D");
	parse_bad("n", "subnet=10.0.0.0/24\ngateway=0.0.0.0\n",
		  "t.conf:2: bad gateway \"0.0.0.0\": 0.0.0.0 is no gateway");
	/* checked against the subnet after the whole file, reported at the gateway's line */
	parse_bad("n", "gateway=10.0.1.1\nmtu=1500\nsubnet=10.0.0.0/24\n",
		  "t.conf:1: gateway 10.0.1.1 is outside subnet 10.0.0.0/24");
	parse_bad("n", "subnet=10.0.0.0/24\n\ngateway=10.0.0.0\n",
		  "t.conf:3: gateway 10.0.0.0 is the network address of subnet 10.0.0.0/24");
	parse_bad("n", "subnet=10.0.0.0/24\ngateway=10.0.0.255\n",
		  "t.conf:2: gateway 10.0.0.255 is the broadcast address of subnet 10.0.0.0/24");

	/* range */
	parse_bad("n", "subnet=10.0.0.0/24\nrange=10.0.0.5\n",
		  "t.conf:2: bad range \"10.0.0.5\": want FIRST-LAST, e.g. 10.88.0.10-10.88.0.200");
	parse_bad("n", "subnet=10.0.0.0/24\nrange=10.0.0.5-\n",
		  "t.conf:2: bad range \"10.0.0.5-\": want FIRST-LAST, e.g. "
		  "10.88.0.10-10.88.0.200");
	parse_bad("n", "subnet=10.0.0.0/24\nrange=10.0.0.5-10.0.0.6-10.0.0.7\n",
		  "t.conf:2: bad range \"10.0.0.5-10.0.0.6-10.0.0.7\": want FIRST-LAST, e.g. "
		  "10.88.0.10-10.88.0.200");
	parse_bad(
	    "n", "subnet=10.0.0.0/24\nrange=0.0.0.0-10.0.0.6\n",
	    "t.conf:2: bad range \"0.0.0.0-10.0.0.6\": 0.0.0.0 is not an address to hand out");
	parse_bad("n", "subnet=10.0.0.0/24\nrange=10.0.0.9-10.0.0.8\n",
		  "t.conf:2: bad range \"10.0.0.9-10.0.0.8\": the first address is after the last");
	parse_bad("n", "range=10.0.0.2-10.0.1.8\nsubnet=10.0.0.0/24\n",
		  "t.conf:1: range 10.0.0.2-10.0.1.8 is not inside subnet 10.0.0.0/24");
	parse_bad("n", "subnet=10.0.0.0/24\nrange=9.255.255.255-10.0.0.8\n",
		  "t.conf:2: range 9.255.255.255-10.0.0.8 is not inside subnet 10.0.0.0/24");
	parse_bad("n", "subnet=10.0.0.0/24\nrange=10.0.0.0-10.0.0.8\n",
		  "t.conf:2: range 10.0.0.0-10.0.0.8 includes the network address of subnet "
		  "10.0.0.0/24");
	parse_bad("n", "subnet=10.0.0.0/24\nrange=10.0.0.8-10.0.0.255\n",
		  "t.conf:2: range 10.0.0.8-10.0.0.255 includes the broadcast address of subnet "
		  "10.0.0.0/24");
	parse_bad("n", "subnet=10.0.0.0/24\ngateway=10.0.0.9\nrange=10.0.0.9-10.0.0.9\n",
		  "t.conf:3: range 10.0.0.9-10.0.0.9 holds only the gateway: no address to hand "
		  "out");
	parse_bad("n", "subnet=10.0.0.0/24\nrange=10.0.0.1-10.0.0.1\n",
		  "t.conf: range 10.0.0.1-10.0.0.1 holds only the gateway: no address to hand out");

	/* bridge, mtu, masquerade */
	parse_bad("n", "subnet=10.0.0.0/24\nbridge=../x\n",
		  "t.conf:2: bad bridge: invalid interface name \"../x\": use letters, digits, "
		  "'_', '.', '-', starting with a letter or digit (at most 15)");
	parse_bad("n", "subnet=10.0.0.0/24\nbridge=averyveryverylongbr\n",
		  "t.conf:2: bad bridge: invalid interface name \"averyveryverylongbr\": too long "
		  "(19 characters, at most 15)");
	parse_bad("n", "subnet=10.0.0.0/24\nmtu=67\n",
		  "t.conf:2: bad mtu \"67\": want a number from 68 to 65535");
	parse_bad("n", "subnet=10.0.0.0/24\nmtu=65536\n",
		  "t.conf:2: bad mtu \"65536\": want a number from 68 to 65535");
	parse_bad("n", "subnet=10.0.0.0/24\nmtu=1500b\n",
		  "t.conf:2: bad mtu \"1500b\": want a number from 68 to 65535");
	parse_bad("n", "subnet=10.0.0.0/24\nmtu=-1\n",
		  "t.conf:2: bad mtu \"-1\": want a number from 68 to 65535");
	parse_bad("n", "subnet=10.0.0.0/24\nmtu=99999999999999999999999\n",
		  "t.conf:2: bad mtu \"99999999999999999999999\": want a number from 68 to 65535");
	parse_bad("n", "FLANNEL_SUBNET=10.1.0.1/16\nFLANNEL_MTU=x\n",
		  "t.conf:2: bad FLANNEL_MTU \"x\": want a number from 68 to 65535");
	parse_bad("n", "subnet=10.0.0.0/24\nmasquerade=maybe\n",
		  "t.conf:2: bad masquerade \"maybe\": want yes or no (true/false, 1/0)");
	parse_bad("n", "FLANNEL_SUBNET=10.1.0.1/16\nFLANNEL_IPMASQ=on\n",
		  "t.conf:2: bad FLANNEL_IPMASQ \"on\": want yes or no (true/false, 1/0)");
	parse_bad("n", "subnet=10.0.0.0/24\ngateway_mode=Routed\n",
		  "t.conf:2: bad gateway_mode \"Routed\": want nat or routed");
	parse_bad("n", "subnet=10.0.0.0/24\ngateway_mode=nat-unprotected\n",
		  "t.conf:2: bad gateway_mode \"nat-unprotected\": want nat or routed");
	parse_bad("n", "subnet=10.0.0.0/24\ngateway_mode=routed\ngateway_mode=nat\n",
		  "t.conf:3: duplicate key gateway_mode (first set on line 2)");

	/* the name: validated, and as the default bridge name */
	parse_bad("../etc", "subnet=10.0.0.0/24\n",
		  "t.conf: invalid network name \"../etc\": use letters, digits, '_', '.', '-', "
		  "starting with a letter or digit (at most 64)");
	parse_bad("a-network-name-too-long", "subnet=10.0.0.0/24\n",
		  "t.conf: network name \"a-network-name-too-long\" is too long for a bridge name "
		  "(at most 15 characters): name the bridge with bridge=NAME in a subnet file, "
		  "--bridge NAME with netd network create");
	/* Not a file (netd network create's options): no path, no line numbers. */
	{
		struct netd_netconf nc;
		struct netd_err e = {0};

		assert_int_equal(netd_netconf_parse("opt", NULL, "subnet=10.0.0.1/24\n", &nc, &e),
				 -EINVAL);
		assert_string_equal(e.msg, "network opt: bad subnet \"10.0.0.1/24\": host bits are "
					   "set; did you mean 10.0.0.0/24?");
	}
	{
		struct netd_netconf nc;
		parse_ok("a-network-name-too-long", "subnet=10.0.0.0/24\nbridge=br0\n", &nc);
		assert_string_equal(nc.bridge, "br0");
	}
	/* quoting of hostile values in messages */
	parse_bad("n", "subnet=10.0.0.0/24\nmtu=\x01\x02\n",
		  "t.conf:2: bad mtu \"\\x01\\x02\": want a number from 68 to 65535");
}

static void test_long_input(void **state)
{
	size_t len = 1 << 20;
	char *text = malloc(len + 64);
	struct netd_netconf nc;
	struct netd_err err = {0};

	(void)state;
	assert_non_null(text);
	/* a megabyte-long line, then many comment lines */
	strcpy(text, "subnet=10.0.0.0/24\nmtu=");
	memset(text + strlen(text), '7', len / 2);
	text[23 + len / 2] = '\0';
	assert_int_equal(netd_netconf_parse("n", "t.conf", text, &nc, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "t.conf:2: bad mtu \"7777"));
	assert_true(strlen(err.msg) < 200);

	for (size_t i = 0; i < 5000; i++)
		memcpy(text + 2 * i, "#\n", 2);
	strcpy(text + 2 * 5000, "bogus\n");
	assert_int_equal(netd_netconf_parse("n", "t.conf", text, &nc, &err), -EINVAL);
	assert_string_equal(err.msg, "t.conf:5001: \"bogus\": missing '=' (lines are key=value)");
	free(text);
}

static void assert_nc_equal(const struct netd_netconf *a, const struct netd_netconf *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->bridge, b->bridge);
	assert_int_equal(a->subnet.s_addr, b->subnet.s_addr);
	assert_int_equal(a->prefix, b->prefix);
	assert_int_equal(a->gateway.s_addr, b->gateway.s_addr);
	assert_int_equal(a->range_start.s_addr, b->range_start.s_addr);
	assert_int_equal(a->range_end.s_addr, b->range_end.s_addr);
	assert_int_equal(a->mtu, b->mtu);
	assert_int_equal(a->masquerade, b->masquerade);
	assert_int_equal(a->n_routes, b->n_routes);
	for (size_t i = 0; i < a->n_routes; i++) {
		assert_true(netd_ip_equal(&a->routes[i].dst.ip, &b->routes[i].dst.ip));
		assert_int_equal(a->routes[i].dst.len, b->routes[i].dst.len);
		assert_true(netd_ip_equal(&a->routes[i].gw, &b->routes[i].gw));
	}
	assert_int_equal(a->gateway_mode, b->gateway_mode);
}

/* internal= and icc=: the network options, their rules and their round trip. */
static void test_options(void **state)
{
	struct netd_netconf nc, back;
	char text[2048];

	(void)state;
	parse_ok("n", "subnet=10.0.0.0/24\n", &nc);
	assert_false(nc.internal);
	assert_false(nc.no_icc);
	/* internal: masquerade off whatever masquerade= says; icc=no */
	parse_ok("n", "subnet=10.0.0.0/24\nmasquerade=yes\ninternal=yes\nicc=no\n", &nc);
	assert_true(nc.internal);
	assert_true(nc.no_icc);
	assert_false(nc.masquerade);
	netd_netconf_format(&nc, text, sizeof(text));
	assert_non_null(strstr(text, "internal=yes\nicc=no\n"));
	parse_ok("n", text, &back);
	assert_true(back.internal);
	assert_true(back.no_icc);
	parse_ok("n", "subnet=10.0.0.0/24\nicc=true\ninternal=0\n", &nc);
	assert_false(nc.internal);
	assert_false(nc.no_icc);
	netd_netconf_format(&nc, text, sizeof(text));
	assert_null(strstr(text, "internal"));
	assert_null(strstr(text, "icc"));
	parse_bad("n", "subnet=10.0.0.0/24\nicc=maybe\n",
		  "t.conf:2: bad icc \"maybe\": want yes or no (true/false, 1/0)");
	parse_bad("n", "subnet=10.0.0.0/24\ninternal=yes\ninternal=no\n",
		  "t.conf:3: duplicate key internal (first set on line 2)");
	parse_bad("n", "subnet=10.0.0.0/24\ninternal=yes\ngateway_mode=routed\n",
		  "t.conf: an internal network cannot be routed (internal: nothing enters or "
		  "leaves it; gateway_mode=routed: everything enters)");
	parse_bad("n", "subnet=10.0.0.0/24\ninternal=yes\nroutes=0.0.0.0/0\n",
		  "t.conf: an internal network gives no default route (0.0.0.0/0 in routes): it "
		  "has no way out");
	/* other routes (via a router on the subnet) are the user's business */
	parse_ok("n", "subnet=10.0.0.0/24\ninternal=yes\nroutes=10.9.0.0/16 via 10.0.0.254\n", &nc);
}

static void test_routes(void **state)
{
	struct netd_netconf nc;

	(void)state;
	parse_ok("n",
		 "subnet=10.88.0.0/24\nroutes=0.0.0.0/0,10.1.0.0/16 via 10.88.0.254 , "
		 "192.168.0.0/16\n",
		 &nc);
	assert_int_equal(nc.n_routes, 3);
	assert_string_equal(ip(nc.routes[0].dst.ip.v4), "0.0.0.0");
	assert_int_equal(nc.routes[0].dst.len, 0);
	assert_true(netd_ip_is_zero(&nc.routes[0].gw)); /* the network's gateway */
	assert_string_equal(ip(nc.routes[1].dst.ip.v4), "10.1.0.0");
	assert_int_equal(nc.routes[1].dst.len, 16);
	assert_string_equal(ip(nc.routes[1].gw.v4), "10.88.0.254");
	assert_string_equal(ip(nc.routes[2].dst.ip.v4), "192.168.0.0");
	parse_ok("n", "subnet=10.88.0.0/24\n", &nc);
	assert_int_equal(nc.n_routes, 0);

	parse_bad("n", "subnet=10.88.0.0/24\nroutes=10.1.0.0\n",
		  "t.conf:2: bad routes \"10.1.0.0\": want DST/PREFIX[ via GATEWAY], ... e.g. "
		  "10.1.0.0/16, 192.168.0.0/16 via 10.88.0.254");
	parse_bad("n", "subnet=10.88.0.0/24\nroutes=10.1.0.0/16 via nowhere\n",
		  "t.conf:2: bad routes \"10.1.0.0/16 via nowhere\": want DST/PREFIX[ via "
		  "GATEWAY], ... e.g. 10.1.0.0/16, 192.168.0.0/16 via 10.88.0.254");
	parse_bad("n", "subnet=10.88.0.0/24\nroutes=10.1.0.1/16\n",
		  "t.conf:2: route 10.1.0.1/16: host bits are set in the destination");
	parse_bad("n", "subnet=10.88.0.0/24\nroutes=10.1.0.0/16 via 10.9.0.1\n",
		  "t.conf:2: route 10.1.0.0/16 via 10.9.0.1: the gateway is not a host address of "
		  "subnet 10.88.0.0/24");
	parse_bad("n", "subnet=10.88.0.0/24\nroutes=10.1.0.0/16 via 10.88.0.255\n",
		  "t.conf:2: route 10.1.0.0/16 via 10.88.0.255: the gateway is not a host address "
		  "of subnet 10.88.0.0/24");
	parse_bad("n", "subnet=10.88.0.0/24\nroutes=10.1.0.0/16, 10.1.0.0/16 via 10.88.0.9\n",
		  "t.conf:2: route 10.1.0.0/16 is given twice");
	/* finish checks what did not come from a file (CNI's ipam.routes) the same way */
	{
		struct netd_err e = {0};

		memset(&nc, 0, sizeof(nc));
		snprintf(nc.name, sizeof(nc.name), "cni");
		inet_pton(AF_INET, "10.88.0.0", &nc.subnet);
		nc.prefix = 24;
		nc.n_routes = 1;
		assert_int_equal(netd_prefix_parse("10.2.0.0/16", AF_INET, &nc.routes[0].dst, NULL),
				 0);
		assert_int_equal(netd_ip_parse("192.0.2.1", AF_INET, &nc.routes[0].gw, NULL), 0);
		assert_int_equal(netd_netconf_finish(&nc, "cni", &e), -EINVAL);
		assert_string_equal(e.msg, "cni: route 10.2.0.0/16 via 192.0.2.1: the gateway is "
					   "not a host address of subnet 10.88.0.0/24");
	}
}

static void test_format_roundtrip(void **state)
{
	static const char *const texts[] = {
	    "subnet=10.88.0.0/16\n",
	    "subnet=172.20.0.0/24\ngateway=172.20.0.254\nrange=172.20.0.10-172.20.0.99\n"
	    "bridge=br-web\nmtu=9000\nmasquerade=no\n",
	    "FLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n",
	    "subnet=192.168.100.252/30\nmasquerade=1\n",
	    "subnet=10.88.0.0/24\nroutes=0.0.0.0/0, 10.1.0.0/16 via 10.88.0.254\n",
	    "subnet=10.30.0.0/24\ngateway_mode=routed\nmasquerade=no\n",
	    "FLANNEL_SUBNET=10.244.1.1/24\ngateway_mode=nat\n",
	};
	struct netd_netconf a, b;
	char buf[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		int r;
		parse_ok("net1", texts[i], &a);
		r = netd_netconf_format(&a, buf, sizeof(buf));
		assert_true(r > 0 && (size_t)r < sizeof(buf));
		assert_int_equal((size_t)r, strlen(buf));
		parse_ok("net1", buf, &b);
		assert_nc_equal(&a, &b);
	}

	parse_ok("net1", texts[1], &a);
	netd_netconf_format(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, "# netd network net1"));
	assert_non_null(strstr(buf, "\nsubnet=172.20.0.0/24\ngateway=172.20.0.254\n"
				    "range=172.20.0.10-172.20.0.99\nbridge=br-web\nmtu=9000\n"
				    "masquerade=no\n"));
	parse_ok("net1", texts[0], &a);
	netd_netconf_format(&a, buf, sizeof(buf));
	assert_null(strstr(buf, "mtu="));
	assert_non_null(strstr(buf, "\nmasquerade=yes\n"));
	/* gateway_mode: nat is the default and is not written; routed is, after masquerade */
	assert_int_equal(a.gateway_mode, NETD_GATEWAY_NAT);
	assert_null(strstr(buf, "gateway_mode"));
	parse_ok("net1", texts[5], &a);
	assert_int_equal(a.gateway_mode, NETD_GATEWAY_ROUTED);
	netd_netconf_format(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nmasquerade=no\ngateway_mode=routed\n"));
	assert_string_equal(netd_gateway_mode_name(NETD_GATEWAY_NAT), "nat");
	assert_string_equal(netd_gateway_mode_name(NETD_GATEWAY_ROUTED), "routed");
	assert_null(netd_gateway_mode_name((enum netd_gateway_mode)7));
	/* snprintf semantics on a short buffer */
	{
		char small[10];
		assert_int_equal(netd_netconf_format(&a, small, sizeof(small)), (int)strlen(buf));
		assert_int_equal(strlen(small), sizeof(small) - 1);
		assert_memory_equal(small, buf, sizeof(small) - 1);
	}
}

static void test_finish(void **state)
{
	struct netd_netconf nc;
	struct netd_err err = {0};

	(void)state;
	memset(&nc, 0, sizeof(nc));
	strcpy(nc.name, "api");
	inet_pton(AF_INET, "10.9.0.0", &nc.subnet);
	nc.prefix = 16;
	nc.masquerade = true;
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), 0);
	assert_string_equal(ip(nc.gateway), "10.9.0.1");
	assert_string_equal(ip(nc.range_start), "10.9.0.1");
	assert_string_equal(ip(nc.range_end), "10.9.255.254");
	assert_string_equal(nc.bridge, "api");

	/* no line numbers from finish: the where given */
	nc.prefix = 31;
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "network api: subnet prefix /31 is not supported (use /8 to /30)");
	nc.prefix = 8;
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), -EINVAL);
	assert_string_equal(
	    err.msg, "network api: subnet 10.9.0.0/8 has host bits set; did you mean 10.0.0.0/8?");
	nc.prefix = 16;
	nc.mtu = 20;
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), -EINVAL);
	assert_string_equal(err.msg, "network api: mtu 20 is out of range (68-65535)");
	nc.mtu = 0;
	nc.gateway_mode = (enum netd_gateway_mode)9;
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), -EINVAL);
	assert_string_equal(err.msg, "network api: gateway mode 9 is not nat or routed");
	nc.gateway_mode = NETD_GATEWAY_ROUTED;
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), 0);
	strcpy(nc.bridge, "a/b");
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "network api: bridge: invalid interface name \"a/b\""));
	strcpy(nc.bridge, "api");
	inet_pton(AF_INET, "10.10.0.1", &nc.gateway);
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "network api: gateway 10.10.0.1 is outside subnet 10.9.0.0/16");
	inet_pton(AF_INET, "10.9.0.1", &nc.gateway);
	inet_pton(AF_INET, "10.9.9.9", &nc.range_start);
	inet_pton(AF_INET, "10.9.0.9", &nc.range_end);
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), -EINVAL);
	assert_string_equal(
	    err.msg, "network api: range 10.9.9.9-10.9.0.9: the first address is after the last");
	nc.range_start.s_addr = 0;
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "network api: range 0.0.0.0-10.9.0.9 is not inside subnet 10.9.0.0/16");
	strcpy(nc.name, "..");
	assert_int_equal(netd_netconf_finish(&nc, "network api", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "network api: invalid network name \"..\""));
}

/* ---- the config dir ---- */

static char tmpdir[PATH_MAX];

static const char *ip6(const struct netd_ip *a)
{
	static char buf[4][NETD_IP_STRLEN];
	static int k;

	k = (k + 1) % 4;
	return netd_ip_format(a, buf[k], sizeof(buf[k]));
}

static void test_ipv6_keys(void **state)
{
	struct netd_netconf nc, back;
	char text[2048];

	(void)state;
	/* Defaults: gateway6 the first address, range6 the rest, masquerade6 on for a ULA. */
	parse_ok("lab", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\n", &nc);
	assert_int_equal(nc.subnet6.ip.family, AF_INET6);
	assert_int_equal(nc.subnet6.len, 64);
	assert_string_equal(ip6(&nc.subnet6.ip), "fd77::");
	assert_string_equal(ip6(&nc.gateway6), "fd77::1");
	assert_string_equal(ip6(&nc.range6.first), "fd77::1");
	assert_string_equal(ip6(&nc.range6.last), "fd77::ffff:ffff:ffff:ffff");
	assert_true(nc.masquerade6);
	/* A global prefix is routed, not masqueraded, unless asked. */
	parse_ok("lab", "subnet=10.77.0.0/24\nsubnet6=2001:db8:7::/64\n", &nc);
	assert_false(nc.masquerade6);
	parse_ok("lab",
		 "subnet=10.77.0.0/24\nsubnet6=2001:db8:7::/120\ngateway6=2001:db8:7::fe\n"
		 "range6=2001:db8:7::10 - 2001:db8:7::20\nmasquerade6=yes\n",
		 &nc);
	assert_string_equal(ip6(&nc.gateway6), "2001:db8:7::fe");
	assert_string_equal(ip6(&nc.range6.first), "2001:db8:7::10");
	assert_string_equal(ip6(&nc.range6.last), "2001:db8:7::20");
	assert_true(nc.masquerade6);
	/* The canonical text reads back the same. */
	assert_true(netd_netconf_format(&nc, text, sizeof(text)) < (int)sizeof(text));
	assert_non_null(strstr(text, "subnet6=2001:db8:7::/120\ngateway6=2001:db8:7::fe\n"
				     "range6=2001:db8:7::10-2001:db8:7::20\nmasquerade6=yes\n"));
	parse_ok("lab", text, &back);
	assert_memory_equal(&back.subnet6, &nc.subnet6, sizeof(nc.subnet6));
	assert_memory_equal(&back.gateway6, &nc.gateway6, sizeof(nc.gateway6));
	assert_memory_equal(&back.range6, &nc.range6, sizeof(nc.range6));
	/* IPv4 only: no IPv6 line is written. */
	parse_ok("lab", "subnet=10.77.0.0/24\n", &nc);
	assert_int_equal(nc.subnet6.ip.family, 0);
	assert_false(nc.masquerade6);
	netd_netconf_format(&nc, text, sizeof(text));
	assert_null(strstr(text, "6="));
	/* An internal network masquerades neither family. */
	parse_ok("lab", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\ninternal=yes\n", &nc);
	assert_false(nc.masquerade6);
	/* IPv6 routes via gateway6 or an on-link gateway. */
	parse_ok("lab",
		 "subnet=10.77.0.0/24\nsubnet6=fd77::/64\nroutes=::/0, fd00:1::/48 via fd77::fe\n",
		 &nc);
	assert_int_equal(nc.n_routes, 2);
	assert_int_equal(nc.routes[0].dst.ip.family, AF_INET6);
	assert_int_equal(nc.routes[0].dst.len, 0);
	assert_string_equal(ip6(&nc.routes[1].gw), "fd77::fe");
}

/* An IPv6-only network: no IPv4 at all, and its canonical text reads back the same. */
static void test_ipv6_only(void **state)
{
	struct netd_netconf nc, back;
	struct netd_err err = {0};
	char text[2048];

	(void)state;
	parse_ok("v6lab", "subnet6=fd78::/64\nmasquerade=yes\n", &nc);
	assert_false(netd_netconf_has4(&nc));
	assert_true(netd_netconf_has6(&nc));
	assert_int_equal(nc.subnet.s_addr, 0);
	assert_int_equal(nc.gateway.s_addr, 0);
	assert_int_equal(nc.range_start.s_addr, 0);
	assert_false(nc.masquerade); /* nothing of IPv4 to masquerade */
	assert_true(nc.masquerade6);
	assert_string_equal(ip6(&nc.gateway6), "fd78::1");
	assert_string_equal(nc.bridge, "v6lab");
	assert_true(netd_netconf_format(&nc, text, sizeof(text)) < (int)sizeof(text));
	assert_null(strstr(text, "subnet="));
	assert_null(strstr(text, "gateway="));
	assert_null(strstr(text, "range="));
	assert_null(strstr(text, "masquerade="));
	assert_non_null(strstr(text, "subnet6=fd78::/64\n"));
	parse_ok("v6lab", text, &back);
	assert_memory_equal(&nc, &back, sizeof(nc));
	/* With its own keys, routes, and options. */
	parse_ok("v6lab",
		 "subnet6=2001:db8:9::/120\ngateway6=2001:db8:9::fe\nrange6=2001:db8:9::10-"
		 "2001:db8:9::20\nmasquerade6=yes\nroutes=::/0, fd00::/8 via 2001:db8:9::fe\n"
		 "icc=no\n",
		 &nc);
	assert_int_equal(nc.n_routes, 2);
	assert_true(nc.no_icc);
	assert_true(netd_netconf_format(&nc, text, sizeof(text)) < (int)sizeof(text));
	parse_ok("v6lab", text, &back);
	assert_memory_equal(&nc, &back, sizeof(nc));
	/* finish: an nc built by hand (netd-cni's) with no subnet of either family. */
	memset(&nc, 0, sizeof(nc));
	snprintf(nc.name, sizeof(nc.name), "x");
	assert_int_equal(netd_netconf_finish(&nc, "x", &err), -EINVAL);
	assert_string_equal(err.msg, "x: no subnet: give an IPv4 subnet, an IPv6 subnet6, or both");
	/* ... or an IPv4 gateway without an IPv4 subnet. */
	parse_ok("x", "subnet6=fd78::/64\n", &nc);
	nc.gateway.s_addr = htonl(0x0a000001);
	assert_int_equal(netd_netconf_finish(&nc, "x", &err), -EINVAL);
	assert_string_equal(err.msg, "x: gateway or range without an IPv4 subnet (subnet)");
}

static void test_ipv6_errors(void **state)
{
	(void)state;
	parse_bad(
	    "n", "subnet=10.77.0.0/24\nsubnet6=fd77::/200\n",
	    "t.conf:2: bad subnet6 \"fd77::/200\": want an IPv6 prefix ADDR/LEN, e.g. fd77::/64");
	parse_bad(
	    "n", "subnet=10.77.0.0/24\nsubnet6=10.0.0.0/8\n",
	    "t.conf:2: bad subnet6 \"10.0.0.0/8\": want an IPv6 prefix ADDR/LEN, e.g. fd77::/64");
	parse_bad(
	    "n", "subnet=10.77.0.0/24\nsubnet6=fd77::1/64\n",
	    "t.conf:2: bad subnet6 \"fd77::1/64\": host bits are set; did you mean fd77::/64?");
	parse_bad(
	    "n", "subnet=10.77.0.0/24\nsubnet6=fd77::/124\n",
	    "t.conf:2: bad subnet6 \"fd77::/124\": prefix /124 is not supported (use /16 to /120)");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fe80::/64\n",
		  "t.conf:2: bad subnet6 \"fe80::/64\": overlaps fe80::/10 (link-local addresses)");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=ff02::/64\n",
		  "t.conf:2: bad subnet6 \"ff02::/64\": overlaps ff00::/8 (multicast addresses)");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\ngateway6=fd78::1\n",
		  "t.conf:3: gateway6 fd78::1 is outside subnet6 fd77::/64");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\ngateway6=fd77::\n",
		  "t.conf:3: gateway6 fd77:: is the network address of subnet6 fd77::/64");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\ngateway6=nope\n",
		  "t.conf:3: bad gateway6 \"nope\": want an IPv6 address, e.g. fd77::1");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\nrange6=fd77::10-fd78::1\n",
		  "t.conf:3: range6 fd77::10-fd78::1 is not inside subnet6 fd77::/64");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\nrange6=fd77::-fd77::9\n",
		  "t.conf:3: range6 fd77::-fd77::9 includes the network address of subnet6 "
		  "fd77::/64");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\nrange6=fd77::9-fd77::1\n",
		  "t.conf:3: bad range6 \"fd77::9-fd77::1\": the first address is after the last");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\nrange6=fd77::1-fd77::1\n",
		  "t.conf: range6 fd77::1-fd77::1 holds only the gateway: no address to hand out");
	parse_bad("n", "subnet=10.77.0.0/24\ngateway6=fd77::1\n",
		  "t.conf:2: gateway6 without subnet6 (the network's IPv6 prefix)");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\nsubnet6=fd78::/64\n",
		  "t.conf:3: duplicate key subnet6 (first set on line 2)");
	/* IPv6 only: no IPv4 key without subnet, no IPv4 route. */
	parse_bad("n", "subnet6=fd77::/64\ngateway=10.77.0.1\n",
		  "t.conf:2: gateway without subnet (the network's IPv4 subnet)");
	parse_bad("n", "range=10.77.0.2-10.77.0.9\nsubnet6=fd77::/64\n",
		  "t.conf:1: range without subnet (the network's IPv4 subnet)");
	parse_bad("n", "subnet6=fd77::/64\nroutes=10.0.0.0/8\n",
		  "t.conf:2: route 10.0.0.0/8: an IPv4 route needs an IPv4 subnet (subnet)");
	parse_bad("n", "subnet6=fd77::/64\nrange6=fd78::2-fd78::9\n",
		  "t.conf:2: range6 fd78::2-fd78::9 is not inside subnet6 fd77::/64");
	parse_bad("n", "subnet=10.77.0.0/24\nroutes=fd00::/8\n",
		  "t.conf:2: route fd00::/8: an IPv6 route needs an IPv6 subnet (subnet6)");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\nroutes=fd00::/8 via fd99::1\n",
		  "t.conf:3: route fd00::/8 via fd99::1: the gateway is not a host address of "
		  "subnet fd77::/64");
	parse_bad("n", "subnet=10.77.0.0/24\nsubnet6=fd77::/64\nroutes=fd00::/8 via 10.77.0.9\n",
		  "t.conf:3: bad routes \"fd00::/8 via 10.77.0.9\": want DST/PREFIX[ via GATEWAY], "
		  "... e.g. 10.1.0.0/16, "
		  "192.168.0.0/16 via 10.88.0.254");
}

static int setup_dir(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/netd-test-netconf.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* a dir that does not exist yet: save creates it */
	snprintf(dir, sizeof(dir), "%s/etc/netd/networks", tmpdir);
	return setenv("NETD_CONFIG_DIR", dir, 1);
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d))) {
			char sub[PATH_MAX];
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int teardown_dir(void **state)
{
	(void)state;
	if (tmpdir[0] && !strncmp(tmpdir, "/tmp/netd-test-netconf.", 23))
		rm_rf(tmpdir);
	unsetenv("NETD_CONFIG_DIR");
	return 0;
}

static void make_nc(struct netd_netconf *nc, const char *name, const char *subnet, unsigned prefix)
{
	memset(nc, 0, sizeof(*nc));
	snprintf(nc->name, sizeof(nc->name), "%s", name);
	inet_pton(AF_INET, subnet, &nc->subnet);
	nc->prefix = prefix;
	nc->masquerade = true;
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", getenv("NETD_CONFIG_DIR"), name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static size_t count_entries(void)
{
	DIR *d = opendir(getenv("NETD_CONFIG_DIR"));
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_store(void **state)
{
	struct netd_netconf nc, got;
	struct netd_err err = {0};
	char path[PATH_MAX];
	char **names = NULL;
	size_t n = 99;
	struct stat st;

	(void)state;
	/* nothing yet, not even the dir */
	assert_int_equal(netd_netconf_list(&names, &n, &err), 0);
	assert_int_equal(n, 0);
	netd_strv_free(names, n);
	assert_int_equal(netd_netconf_load("netd0", &got, &err), -ENOENT);
	snprintf(path, sizeof(path), "%s/netd0.conf", getenv("NETD_CONFIG_DIR"));
	{
		char want[PATH_MAX + 64];
		snprintf(want, sizeof(want), "network netd0: not defined (no %s)", path);
		assert_string_equal(err.msg, want);
	}
	assert_int_equal(netd_netconf_remove("netd0", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "network netd0: not defined (no "));

	make_nc(&nc, "netd0", "10.88.0.0", 16);
	nc.mtu = 1400;
	assert_int_equal(netd_netconf_save(&nc, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(netd_netconf_load("netd0", &got, &err), 0);
	assert_string_equal(got.name, "netd0");
	assert_string_equal(ip(got.gateway), "10.88.0.1");
	assert_string_equal(got.bridge, "netd0");
	assert_int_equal(got.mtu, 1400);

	/* exclusive: a second save fails and leaves the first alone, no temp file left */
	make_nc(&nc, "netd0", "10.99.0.0", 16);
	assert_int_equal(netd_netconf_save(&nc, &err), -EEXIST);
	{
		char want[PATH_MAX + 64];
		snprintf(want, sizeof(want), "network netd0: already defined (%s)", path);
		assert_string_equal(err.msg, want);
	}
	assert_int_equal(netd_netconf_load("netd0", &got, &err), 0);
	assert_string_equal(ip(got.subnet), "10.88.0.0");
	assert_int_equal(count_entries(), 1);
	{
		DIR *d = opendir(getenv("NETD_CONFIG_DIR"));
		struct dirent *de;
		size_t hidden = 0;
		while ((de = readdir(d)))
			hidden += de->d_name[0] == '.' && strcmp(de->d_name, ".") &&
				  strcmp(de->d_name, "..");
		closedir(d);
		assert_int_equal(hidden, 0);
	}

	/* replace overwrites */
	assert_int_equal(netd_netconf_replace(&nc, &err), 0);
	assert_int_equal(netd_netconf_load("netd0", &got, &err), 0);
	assert_string_equal(ip(got.subnet), "10.99.0.0");
	assert_int_equal(got.mtu, 0);

	/* invalid definitions are not saved */
	make_nc(&nc, "bad", "10.1.0.1", 16);
	assert_int_equal(netd_netconf_save(&nc, &err), -EINVAL);
	assert_string_equal(
	    err.msg,
	    "network bad: subnet 10.1.0.1/16 has host bits set; did you mean 10.1.0.0/16?");
	assert_int_equal(netd_netconf_replace(&nc, &err), -EINVAL);
	make_nc(&nc, "../evil", "10.1.0.0", 16);
	assert_int_equal(netd_netconf_save(&nc, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid network name \"../evil\""));
	assert_int_equal(count_entries(), 1);

	make_nc(&nc, "b-net", "10.2.0.0", 24);
	assert_int_equal(netd_netconf_save(&nc, &err), 0);
	make_nc(&nc, "a.net", "10.3.0.0", 24);
	assert_int_equal(netd_netconf_save(&nc, &err), 0);
	/* files that are not networks are skipped by list */
	write_file("README", "hello\n");
	write_file("x.conf~", "subnet=10.0.0.0/24\n");
	write_file(".hidden.conf", "subnet=10.0.0.0/24\n");
	write_file("-dash.conf", "subnet=10.0.0.0/24\n");
	write_file(".conf", "subnet=10.0.0.0/24\n");
	{
		char d[PATH_MAX];
		snprintf(d, sizeof(d), "%s/dir.conf", getenv("NETD_CONFIG_DIR"));
		assert_int_equal(mkdir(d, 0755), 0);
	}
	assert_int_equal(netd_netconf_list(&names, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "a.net");
	assert_string_equal(names[1], "b-net");
	assert_string_equal(names[2], "netd0");
	netd_strv_free(names, n);

	/* a hand-written file with an error: path and line */
	write_file("hand.conf", "# mine\nsubnet=10.5.0.0/24\nmtu=big\n");
	assert_int_equal(netd_netconf_load("hand", &got, &err), -EINVAL);
	{
		char want[PATH_MAX + 64];
		snprintf(want, sizeof(want),
			 "%s/hand.conf:3: bad mtu: want a number from 68 to 65535",
			 getenv("NETD_CONFIG_DIR"));
		assert_string_equal(err.msg, want);
	}
	/* a NUL byte in the file */
	{
		char p[PATH_MAX];
		int fd;
		snprintf(p, sizeof(p), "%s/nul.conf", getenv("NETD_CONFIG_DIR"));
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "subnet=10.6.0.0/24\n\0mtu=x\n", 26), 26);
		close(fd);
		assert_int_equal(netd_netconf_load("nul", &got, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "nul.conf: contains a NUL byte"));
	}

	/* load/remove validate the name before touching the file system */
	write_file("x", "subnet=10.7.0.0/24\n");
	assert_int_equal(netd_netconf_load("../networks/x", &got, &err), -EINVAL);
	assert_int_equal(netd_netconf_remove("..", &err), -EINVAL);
	assert_int_equal(netd_netconf_remove("", &err), -EINVAL);

	assert_int_equal(netd_netconf_remove("b-net", &err), 0);
	assert_int_equal(netd_netconf_remove("b-net", &err), -ENOENT);
	assert_int_equal(netd_netconf_load("b-net", &got, &err), -ENOENT);
	assert_int_equal(netd_netconf_list(&names, &n, &err), 0);
	assert_int_equal(n, 4); /* a.net hand netd0 nul */
	assert_string_equal(names[0], "a.net");
	assert_string_equal(names[1], "hand");
	netd_strv_free(names, n);
}

/* Concurrent creates of one network: exactly one wins, the file is whole. */
static void test_save_race(void **state)
{
	enum { N = 8 };
	struct netd_netconf nc;
	struct netd_err err = {0};
	pid_t pids[N];
	int wins = 0, lost = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char sn[32];
			int r;
			snprintf(sn, sizeof(sn), "10.%d.0.0", 100 + i);
			make_nc(&nc, "race", sn, 16);
			r = netd_netconf_save(&nc, &err);
			_exit(r == 0 ? 0 : r == -EEXIST ? 1 : 2);
		}
	}
	for (int i = 0; i < N; i++) {
		int st = 0;
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		wins += WEXITSTATUS(st) == 0;
		lost += WEXITSTATUS(st) == 1;
	}
	assert_int_equal(wins, 1);
	assert_int_equal(lost, N - 1);
	assert_int_equal(netd_netconf_load("race", &nc, &err), 0);
	assert_int_equal(nc.prefix, 16);
	assert_int_equal(count_entries(), 1);

	/* replace creates when missing */
	make_nc(&nc, "fresh", "10.50.0.0", 24);
	assert_int_equal(netd_netconf_replace(&nc, &err), 0);
	assert_int_equal(netd_netconf_load("fresh", &nc, &err), 0);
	assert_string_equal(ip(nc.subnet), "10.50.0.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal_defaults),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_flannel),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_errors_values),
	    cmocka_unit_test(test_long_input),
	    cmocka_unit_test(test_routes),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_format_roundtrip),
	    cmocka_unit_test(test_finish),
	    cmocka_unit_test(test_ipv6_keys),
	    cmocka_unit_test(test_ipv6_errors),
	    cmocka_unit_test(test_ipv6_only),
	    cmocka_unit_test_setup_teardown(test_store, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(test_save_race, setup_dir, teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
