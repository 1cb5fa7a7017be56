/* SPDX-License-Identifier: MIT */
/* netd-cni: CNI_* environment, CNI_ARGS and network config parsing (no kernel needed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plugin's logic, as libnetdcni.a holds it (everything but main.c). */
#include "cni.h"

static const char *ip_str(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int k;

	k = (k + 1) % 4;
	inet_ntop(AF_INET, &a, buf[k], sizeof(buf[k]));
	return buf[k];
}

/* Either family; "" for family 0 (none). */
static const char *ip6_str(const struct netd_ip *ip)
{
	static char buf[4][NETD_IP_STRLEN];
	static int k;

	k = (k + 1) % 4;
	if (!ip->family)
		return "";
	return netd_ip_format(ip, buf[k], sizeof(buf[k]));
}

/* Parses text for cmd, expecting success. */
static void parse_ok(const char *text, enum cni_cmd cmd, struct cni_conf *c)
{
	struct cni_err e = {0};
	int r = cni_conf_parse(text, strlen(text), cmd, c, &e);

	if (r < 0)
		fail_msg("parse failed (code %d): %s", e.code, e.msg);
}

/* Parses text for cmd, expecting failure with code; returns the message. */
static const char *parse_fails(const char *text, enum cni_cmd cmd, int code)
{
	static struct cni_err e;
	struct cni_conf c;

	memset(&e, 0, sizeof(e));
	assert_int_equal(cni_conf_parse(text, strlen(text), cmd, &c, &e), -1);
	assert_int_equal(e.code, code);
	assert_null(c.root); /* freed on error */
	return e.msg;
}

static void netconf_ok(const char *text, struct cni_conf *c, struct netd_netconf *nc)
{
	struct cni_err e = {0};

	parse_ok(text, CNI_ADD, c);
	if (cni_conf_netconf(c, nc, &e) < 0)
		fail_msg("netconf failed (code %d): %s", e.code, e.msg);
}

static const char *netconf_fails(const char *text, int code)
{
	static struct cni_err e;
	struct netd_netconf nc;
	struct cni_conf c;

	memset(&e, 0, sizeof(e));
	parse_ok(text, CNI_ADD, &c);
	assert_int_equal(cni_conf_netconf(&c, &nc, &e), -1);
	assert_int_equal(e.code, code);
	cni_conf_free(&c);
	return e.msg;
}

static void test_versions(void **state)
{
	assert_int_equal(cni_version_index("0.3.0"), CNI_V030);
	assert_int_equal(cni_version_index("0.3.1"), CNI_V031);
	assert_int_equal(cni_version_index("0.4.0"), CNI_V040);
	assert_int_equal(cni_version_index("1.0.0"), CNI_V100);
	assert_int_equal(cni_version_index("1.1.0"), CNI_V110);
	assert_int_equal(cni_version_index("0.2.0"), -1);
	assert_int_equal(cni_version_index("1.0"), -1);
	assert_int_equal(cni_version_index(""), -1);
	assert_int_equal(cni_version_index(NULL), -1);
}

static void test_cidr_ip_mac(void **state)
{
	struct in_addr a;
	unsigned p = 99;
	uint8_t m[6];

	assert_int_equal(cni_parse_cidr4("10.1.2.0/24", &a, &p), 0);
	assert_string_equal(ip_str(a), "10.1.2.0");
	assert_int_equal(p, 24);
	assert_int_equal(cni_parse_cidr4("0.0.0.0/0", &a, &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(cni_parse_cidr4("10.1.2.0", &a, &p), -1);
	assert_int_equal(cni_parse_cidr4("10.1.2.0/33", &a, &p), -1);
	assert_int_equal(cni_parse_cidr4("10.1.2.0/", &a, &p), -1);
	assert_int_equal(cni_parse_cidr4("10.1.2.0/-1", &a, &p), -1);
	assert_int_equal(cni_parse_cidr4("10.1.2.0/24x", &a, &p), -1);
	assert_int_equal(cni_parse_cidr4("/24", &a, &p), -1);
	assert_int_equal(cni_parse_cidr4("fd00::/64", &a, &p), -1);
	assert_int_equal(cni_parse_ip4("192.168.0.1", &a), 0);
	assert_int_equal(cni_parse_ip4("192.168.0.256", &a), -1);
	/* the rule of subnet files (addr.c): no short forms, prefix length of at most 2 digits */
	assert_int_equal(cni_parse_ip4("10.1", &a), -1);
	assert_int_equal(cni_parse_ip4("010.1.2.3", &a), -1);
	assert_int_equal(cni_parse_cidr4("10.1/16", &a, &p), -1);
	assert_int_equal(cni_parse_cidr4("10.1.2.0/024", &a, &p), -1);
	assert_int_equal(cni_parse_cidr4("10.1.2.0/08", &a, &p), 0);
	assert_int_equal(p, 8);

	assert_int_equal(cni_parse_mac("0a:BB:cc:dd:ee:0F", m), 0);
	assert_int_equal(m[0], 0x0a);
	assert_int_equal(m[1], 0xbb);
	assert_int_equal(m[5], 0x0f);
	assert_int_equal(cni_parse_mac("01:00:5e:00:00:01", m), -1); /* multicast */
	assert_int_equal(cni_parse_mac("0a:bb:cc:dd:ee", m), -1);
	assert_int_equal(cni_parse_mac("0a-bb-cc-dd-ee-ff", m), -1);
	assert_int_equal(cni_parse_mac("0a:bb:cc:dd:ee:fg", m), -1);
}

static void test_args(void **state)
{
	struct cni_args a;
	struct cni_err e = {0};

	assert_int_equal(cni_args_parse(NULL, &a, &e), 0);
	assert_false(a.has_ip);
	assert_int_equal(cni_args_parse("IgnoreUnknown=1;K8S_POD_NAME=web;MAC=0a:58:0a:00:00:05;"
					"IP=10.0.0.5;FOO=bar",
					&a, &e),
			 0);
	assert_true(a.ignore_unknown);
	assert_true(a.has_ip);
	assert_string_equal(ip_str(a.ip), "10.0.0.5");
	assert_true(a.has_mac);
	assert_int_equal(a.mac[5], 5);
	assert_string_equal(a.pod_name, "web");

	assert_int_equal(a.ip6.family, 0);

	/* host-local's list form, IPv6 first; and an empty MAC (podman may send one) */
	assert_int_equal(cni_args_parse("IP=fd00::5,10.0.0.6/24;MAC=", &a, &e), 0);
	assert_true(a.has_ip);
	assert_string_equal(ip_str(a.ip), "10.0.0.6");
	assert_string_equal(ip6_str(&a.ip6), "fd00::5");
	assert_false(a.has_mac);
	/* IPv6 alone, with a prefix (dropped, as host-local does) */
	assert_int_equal(cni_args_parse("IP=fd00:0::0:9/64", &a, &e), 0);
	assert_false(a.has_ip);
	assert_string_equal(ip6_str(&a.ip6), "fd00::9");
	/* one address per family; the same one twice is one request */
	assert_int_equal(cni_args_parse("IP=10.0.0.5,10.0.0.5", &a, &e), 0);
	assert_int_equal(cni_args_parse("IP=10.0.0.5,10.0.0.6", &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	assert_non_null(strstr(e.msg, "second IPv4 address (10.0.0.6)"));
	assert_int_equal(cni_args_parse("IP=fd00::5,10.0.0.6,fd00::6", &a, &e), -1);
	assert_non_null(strstr(e.msg, "second IPv6 address (fd00::6)"));
	assert_int_equal(cni_args_parse("IP=fd00::zz", &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	assert_non_null(strstr(e.msg, "IP=fd00::zz"));

	/* ';;' and a trailing ';' are harmless */
	assert_int_equal(cni_args_parse(";;K8S_POD_NAMESPACE=ns;", &a, &e), 0);
	assert_string_equal(a.pod_namespace, "ns");

	/* unknown keys without IgnoreUnknown, wherever IgnoreUnknown would be */
	assert_int_equal(cni_args_parse("FOO=bar", &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	assert_non_null(strstr(e.msg, "FOO"));
	assert_int_equal(cni_args_parse("FOO=bar;IgnoreUnknown=true", &a, &e), 0);
	assert_int_equal(cni_args_parse("IgnoreUnknown=0;FOO=bar", &a, &e), -1);

	assert_int_equal(cni_args_parse("IP", &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	assert_int_equal(cni_args_parse("=x", &a, &e), -1);
	assert_int_equal(cni_args_parse("IP=10.0.0.300", &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	assert_int_equal(cni_args_parse("MAC=zz:00:00:00:00:00", &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
}

static void clear_env(void)
{
	unsetenv("CNI_COMMAND");
	unsetenv("CNI_CONTAINERID");
	unsetenv("CNI_NETNS");
	unsetenv("CNI_IFNAME");
	unsetenv("CNI_ARGS");
	unsetenv("CNI_PATH");
}

static void add_env(void)
{
	clear_env();
	setenv("CNI_COMMAND", "ADD", 1);
	setenv("CNI_CONTAINERID", "abc123", 1);
	setenv("CNI_NETNS", "/run/netns/x", 1);
	setenv("CNI_IFNAME", "eth0", 1);
	setenv("CNI_PATH", "/opt/cni/bin", 1);
}

static void env_fails(const char *what)
{
	struct cni_env env;
	struct cni_err e = {0};

	assert_int_equal(cni_env_parse(&env, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	if (!strstr(e.msg, what))
		fail_msg("message \"%s\" does not name %s", e.msg, what);
}

static void test_env(void **state)
{
	struct cni_env env;
	struct cni_err e = {0};

	clear_env();
	env_fails("CNI_COMMAND");
	setenv("CNI_COMMAND", "FROB", 1);
	env_fails("CNI_COMMAND");
	setenv("CNI_COMMAND", "VERSION", 1);
	assert_int_equal(cni_env_parse(&env, &e), 0);
	assert_int_equal(env.cmd, CNI_VERSION);
	setenv("CNI_COMMAND", "GC", 1);
	assert_int_equal(cni_env_parse(&env, &e), 0);
	assert_int_equal(env.cmd, CNI_GC);
	setenv("CNI_COMMAND", "STATUS", 1);
	assert_int_equal(cni_env_parse(&env, &e), 0);
	assert_int_equal(env.cmd, CNI_STATUS);

	add_env();
	assert_int_equal(cni_env_parse(&env, &e), 0);
	assert_int_equal(env.cmd, CNI_ADD);
	assert_string_equal(env.containerid, "abc123");
	assert_string_equal(env.netns, "/run/netns/x");
	assert_string_equal(env.ifname, "eth0");
	assert_string_equal(env.path, "/opt/cni/bin");

	unsetenv("CNI_CONTAINERID");
	env_fails("CNI_CONTAINERID");
	setenv("CNI_CONTAINERID", "../etc", 1);
	env_fails("CNI_CONTAINERID");
	add_env();
	setenv("CNI_NETNS", "", 1);
	env_fails("CNI_NETNS");
	add_env();
	setenv("CNI_IFNAME", "a-very-long-ifname0", 1);
	env_fails("CNI_IFNAME");
	unsetenv("CNI_IFNAME");
	env_fails("CNI_IFNAME");
	add_env();
	setenv("CNI_ARGS", "FOO=1", 1);
	env_fails("CNI_ARGS");
	setenv("CNI_ARGS", "IgnoreUnknown=1;FOO=1;IP=10.1.0.9", 1);
	assert_int_equal(cni_env_parse(&env, &e), 0);
	assert_true(env.a.has_ip);

	/* DEL with CNI_NETNS empty or unset (containerd after the sandbox is gone) */
	add_env();
	setenv("CNI_COMMAND", "DEL", 1);
	setenv("CNI_NETNS", "", 1);
	assert_int_equal(cni_env_parse(&env, &e), 0);
	assert_null(env.netns);
	setenv("CNI_COMMAND", "CHECK", 1);
	env_fails("CNI_NETNS");
	clear_env();
}

#define BASE "\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"type\":\"netd-cni\""

static void test_conf_decode_errors(void **state)
{
	struct cni_err e = {0};
	struct cni_conf c;
	const char *m;

	assert_int_equal(cni_conf_parse("", 0, CNI_ADD, &c, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	assert_int_equal(cni_conf_parse("{\"name\":", 8, CNI_ADD, &c, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	assert_non_null(strstr(e.details, "line 1"));
	parse_fails("[1,2]", CNI_ADD, CNI_ERR_DECODE);
	parse_fails("{\"name\":\"a\\u0000b\"}", CNI_ADD, CNI_ERR_DECODE);

	m = parse_fails("{\"cniVersion\":\"0.2.0\",\"name\":\"n\"}", CNI_ADD, CNI_ERR_INCOMPATIBLE);
	assert_non_null(strstr(m, "0.2.0"));
	parse_fails("{\"name\":\"n\"}", CNI_ADD, CNI_ERR_INCOMPATIBLE);
	parse_fails("{\"cniVersion\":1,\"name\":\"n\"}", CNI_ADD, CNI_ERR_CONFIG);
	m = parse_fails("{\"cniVersion\":\"1.0.0\"}", CNI_ADD, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "name"));
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":\"../x\"}", CNI_ADD, CNI_ERR_CONFIG);
	m = parse_fails("{" BASE ",\"ipMasq\":\"yes\"}", CNI_ADD, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipMasq"));
	parse_fails("{" BASE ",\"hairpinMode\":1}", CNI_ADD, CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"ipam\":[]}", CNI_ADD, CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"dns\":\"8.8.8.8\"}", CNI_ADD, CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"prevResult\":[]}", CNI_ADD, CNI_ERR_CONFIG);

	/* CHECK: from 0.4.0 on, and only with the ADD's result */
	m = parse_fails("{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"prevResult\":{}}", CNI_CHECK,
			CNI_ERR_INCOMPATIBLE);
	assert_non_null(strstr(m, "CHECK"));
	m = parse_fails("{" BASE "}", CNI_CHECK, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "prevResult"));
}

static void test_conf_fields(void **state)
{
	struct cni_conf c;

	parse_ok("{" BASE ",\"isDefaultGateway\":true,\"ipMasq\":true,\"hairpinMode\":true,"
		 "\"promiscMode\":false,\"dns\":{\"nameservers\":[\"10.0.0.10\"]},"
		 "\"prevResult\":{\"cniVersion\":\"1.0.0\"},\"ipam\":{\"type\":\"netd\"}}",
		 CNI_ADD, &c);
	assert_string_equal(c.cni_version, "1.0.0");
	assert_int_equal(c.ver, CNI_V100);
	assert_string_equal(c.name, "net1");
	assert_string_equal(c.type, "netd-cni");
	assert_true(c.is_default_gateway);
	assert_true(c.is_gateway); /* implied, as in the reference bridge */
	assert_true(c.masq_set);
	assert_true(c.nc.masquerade);
	assert_non_null(c.dns);
	assert_non_null(c.prev_result);
	assert_false(c.ipam_delegate);
	cni_conf_free(&c);

	parse_ok("{" BASE ",\"ipam\":{\"type\":\"host-local\"}}", CNI_ADD, &c);
	assert_true(c.ipam_delegate);
	assert_string_equal(c.ipam_type, "host-local");
	cni_conf_free(&c);
	parse_ok("{" BASE ",\"ipam\":{\"type\":\"netd-cni\"}}", CNI_ADD, &c);
	assert_false(c.ipam_delegate); /* our own type: built in */
	cni_conf_free(&c);
	parse_ok("{" BASE ",\"ipam\":{}}", CNI_ADD, &c);
	assert_false(c.ipam_delegate);
	assert_null(c.ipam_type);
	cni_conf_free(&c);
	parse_fails("{" BASE ",\"ipam\":{\"type\":\"../../bin/sh\"}}", CNI_ADD, CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"ipam\":{\"type\":\"..\"}}", CNI_ADD, CNI_ERR_CONFIG);
}

static void test_conf_runtime_config(void **state)
{
	struct cni_conf c;
	const char *m;

	parse_ok(
	    "{" BASE ",\"runtimeConfig\":{\"portMappings\":["
	    "{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"},"
	    "{\"hostPort\":5353,\"containerPort\":53,\"protocol\":\"UDP\",\"hostIP\":"
	    "\"127.0.0.1\"},"
	    "{\"hostPort\":9000,\"containerPort\":9000,\"hostIP\":\"::1\"},"
	    "{\"hostPort\":2000.0,\"containerPort\":20,\"protocol\":\"sctp\",\"hostIP\":\"\"}],"
	    "\"ips\":[\"fd00::7/64\",\"10.22.0.7/16\"],\"mac\":\"0a:00:00:00:00:07\"}}",
	    CNI_ADD, &c);
	assert_int_equal(c.n_ports, 4); /* the IPv6 one is dropped at ADD on an IPv4-only net */
	assert_int_equal(c.ports[0].proto, NETD_PROTO_TCP);
	assert_int_equal(c.ports[0].host_port, 8080);
	assert_int_equal(c.ports[0].ctr_port, 80);
	assert_int_equal(c.ports[0].host_ip.family, 0); /* both families */
	assert_int_equal(c.ports[0].host_port_max, 0);
	assert_int_equal(c.ports[1].proto, NETD_PROTO_UDP);
	assert_string_equal(ip_str(c.ports[1].host_ip.v4), "127.0.0.1");
	assert_int_equal(c.ports[2].host_ip.family, AF_INET6);
	assert_string_equal(ip6_str(&c.ports[2].host_ip), "::1");
	assert_int_equal(c.ports[2].host_port, 9000);
	assert_int_equal(c.ports[3].proto, NETD_PROTO_SCTP);
	assert_int_equal(c.ports[3].host_port, 2000);
	assert_true(c.has_ip);
	assert_string_equal(ip_str(c.ip), "10.22.0.7");
	assert_string_equal(ip6_str(&c.ip6), "fd00::7");
	assert_true(c.has_mac);
	assert_int_equal(c.mac[5], 7);
	cni_conf_free(&c);

	/* ips of either family from both places, merged as host-local merges them */
	parse_ok("{" BASE ",\"runtimeConfig\":{\"ips\":[\"fd00::8\"]},\"args\":{\"cni\":{\"ips\":["
		 "\"10.22.0.8\",\"fd00::8/64\"]}}}",
		 CNI_ADD, &c);
	assert_true(c.has_ip);
	assert_string_equal(ip_str(c.ip), "10.22.0.8");
	assert_string_equal(ip6_str(&c.ip6), "fd00::8");
	cni_conf_free(&c);
	parse_ok("{" BASE ",\"runtimeConfig\":{\"ips\":[\"fd00::8\"]}}", CNI_ADD, &c);
	assert_false(c.has_ip);
	assert_string_equal(ip6_str(&c.ip6), "fd00::8");
	cni_conf_free(&c);
	m = parse_fails("{" BASE ",\"runtimeConfig\":{\"ips\":[\"10.22.0.7\",\"10.22.0.8\"]}}",
			CNI_ADD, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "runtimeConfig.ips[1]: a second IPv4 address"));
	m = parse_fails("{" BASE ",\"runtimeConfig\":{\"ips\":[\"fd00::7\"]},\"args\":{\"cni\":{"
			"\"ips\":[\"fd00::9\"]}}}",
			CNI_ADD, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "args.cni.ips[0]: a second IPv6 address"));
	m = parse_fails("{" BASE ",\"runtimeConfig\":{\"ips\":[\"fd00::7::1\"]}}", CNI_ADD,
			CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "runtimeConfig.ips[0]: \"fd00::7::1\" is not an IP address"));

	/* no protocol: tcp; args.cni.ips as host-local reads it */
	parse_ok("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":1,"
		 "\"containerPort\":65535}]},\"args\":{\"cni\":{\"ips\":[\"10.22.0.9\"]}}}",
		 CNI_ADD, &c);
	assert_int_equal(c.n_ports, 1);
	assert_int_equal(c.ports[0].proto, NETD_PROTO_TCP);
	assert_string_equal(ip_str(c.ip), "10.22.0.9");
	cni_conf_free(&c);

	/* containerd's CRI plugin sends Go field names: matched in any case, as Go's decoder does
	 */
	parse_ok("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"HostPort\":8080,"
		 "\"ContainerPort\":80,\"Protocol\":\"udp\",\"HostIP\":\"\"},"
		 "{\"HOSTPORT\":8443,\"containerport\":443,\"hostIp\":\"127.0.0.1\"}]}}",
		 CNI_ADD, &c);
	assert_int_equal(c.n_ports, 2);
	assert_int_equal(c.ports[0].host_port, 8080);
	assert_int_equal(c.ports[0].ctr_port, 80);
	assert_int_equal(c.ports[0].proto, NETD_PROTO_UDP);
	assert_int_equal(c.ports[0].host_ip.family, 0); /* both families */
	assert_int_equal(c.ports[1].host_port, 8443);
	assert_int_equal(c.ports[1].ctr_port, 443);
	assert_int_equal(c.ports[1].proto, NETD_PROTO_TCP);
	assert_string_equal(ip_str(c.ports[1].host_ip.v4), "127.0.0.1");
	cni_conf_free(&c);
	/* the exact name wins over another spelling */
	parse_ok("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"HostPort\":1,"
		 "\"hostPort\":2,\"containerPort\":80}]}}",
		 CNI_ADD, &c);
	assert_int_equal(c.ports[0].host_port, 2);
	cni_conf_free(&c);
	m = parse_fails("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"HostPort\":80,"
			"\"ContainerPort\":80,\"Protocol\":6}]}}",
			CNI_ADD, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "protocol: expected a string"));

	/* DEL does not look at runtimeConfig: teardown is from host-side state */
	parse_ok("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":0}]}}", CNI_DEL, &c);
	assert_int_equal(c.n_ports, 0);
	cni_conf_free(&c);

	m = parse_fails("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":0,"
			"\"containerPort\":80}]}}",
			CNI_ADD, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "portMappings[0].hostPort"));
	parse_fails("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,"
		    "\"containerPort\":65536}]}}",
		    CNI_ADD, CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80.5,"
		    "\"containerPort\":80}]}}",
		    CNI_ADD, CNI_ERR_CONFIG);
	m = parse_fails("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,"
			"\"containerPort\":80,\"protocol\":\"icmp\"}]}}",
			CNI_ADD, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "icmp"));
	parse_fails("{" BASE ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,"
		    "\"containerPort\":80,\"hostIP\":\"nope\"}]}}",
		    CNI_ADD, CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"runtimeConfig\":{\"portMappings\":[7]}}", CNI_ADD, CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"runtimeConfig\":{\"portMappings\":{}}}", CNI_ADD, CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"runtimeConfig\":{\"ips\":[\"10.0.0.999\"]}}", CNI_ADD,
		    CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"runtimeConfig\":{\"mac\":\"ff:ff:ff:ff:ff:ff\"}}", CNI_ADD,
		    CNI_ERR_CONFIG);
	parse_fails("{" BASE ",\"args\":{\"cni\":{\"ips\":[5]}}}", CNI_ADD, CNI_ERR_CONFIG);
}

static void test_conf_gc_lists(void **state)
{
	struct cni_conf c;

	parse_ok("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":["
		 "{\"containerID\":\"a\",\"ifname\":\"eth0\"},{\"containerID\":\"b\",\"ifname\":"
		 "\"net1\"}],\"cni.dev/attachments\":[]}",
		 CNI_GC, &c);
	assert_true(c.has_keep);
	assert_int_equal(c.n_keep, 2);
	assert_string_equal(c.keep[1].id, "b");
	assert_string_equal(c.keep[1].ifname, "net1");
	cni_conf_free(&c);

	parse_ok("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/attachments\":["
		 "{\"containerID\":\"c\",\"ifname\":\"eth0\"}]}",
		 CNI_GC, &c);
	assert_true(c.has_keep);
	assert_int_equal(c.n_keep, 1);
	assert_string_equal(c.keep[0].id, "c");
	cni_conf_free(&c);

	/* an empty list keeps nothing (but is a list) */
	parse_ok("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":[]}",
		 CNI_GC, &c);
	assert_true(c.has_keep);
	assert_int_equal(c.n_keep, 0);
	cni_conf_free(&c);
	parse_ok("{\"cniVersion\":\"1.1.0\",\"name\":\"n\"}", CNI_GC, &c);
	assert_false(c.has_keep);
	cni_conf_free(&c);

	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":["
		    "{\"containerID\":\"c\"}]}",
		    CNI_GC, CNI_ERR_CONFIG);
	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/attachments\":{}}", CNI_GC,
		    CNI_ERR_CONFIG);
}

static void test_netconf_ranges(void **state)
{
	struct netd_netconf nc;
	struct cni_conf c;

	netconf_ok("{" BASE ",\"bridge\":\"br9\",\"mtu\":1400,\"ipMasq\":true,\"ipam\":{\"type\":"
		   "\"netd\",\"ranges\":[[{\"subnet\":\"10.22.3.0/24\",\"rangeStart\":\"10.22.3."
		   "10\",\"rangeEnd\":\"10.22.3.20\",\"gateway\":\"10.22.3.254\"}]],\"routes\":[{"
		   "\"dst\":\"0.0.0.0/0\"},{\"dst\":\"10.0.0.0/8\",\"gw\":\"10.22.3.254\"}]}}",
		   &c, &nc);
	assert_string_equal(nc.name, "net1");
	assert_string_equal(nc.bridge, "br9");
	assert_string_equal(ip_str(nc.subnet), "10.22.3.0");
	assert_int_equal(nc.prefix, 24);
	assert_string_equal(ip_str(nc.gateway), "10.22.3.254");
	assert_string_equal(ip_str(nc.range_start), "10.22.3.10");
	assert_string_equal(ip_str(nc.range_end), "10.22.3.20");
	assert_int_equal(nc.mtu, 1400);
	assert_true(nc.masquerade);
	assert_true(c.has_subnet);
	assert_true(c.bridge_set);
	assert_true(c.mtu_set);
	/* ipam.routes become the network's routes (gw absent: the network's gateway) */
	assert_true(c.routes_set);
	assert_int_equal(nc.n_routes, 2);
	assert_int_equal(nc.routes[0].dst.len, 0);
	assert_true(netd_ip_is_zero(&nc.routes[0].gw));
	assert_string_equal(ip_str(nc.routes[1].dst.ip.v4), "10.0.0.0");
	assert_int_equal(nc.routes[1].dst.len, 8);
	assert_string_equal(ip_str(nc.routes[1].gw.v4), "10.22.3.254");
	cni_conf_free(&c);

	/* routes of both families (::/0: the IPv6 default route); host bits of a destination go,
	 * as in host-local */
	netconf_ok("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.22.4.0/24\"}],[{\"subnet\":"
		   "\"fd22:4::/64\"}]],\"routes\":[{\"dst\":\"::/0\"},{\"dst\":\"10.9.9.9/16\"},{"
		   "\"dst\":\"fd08::5/48\",\"gw\":\"fd22:4::fe\"}]}}",
		   &c, &nc);
	assert_int_equal(nc.n_routes, 3);
	assert_int_equal(nc.routes[0].dst.ip.family, AF_INET6);
	assert_int_equal(nc.routes[0].dst.len, 0);
	assert_int_equal(nc.routes[0].gw.family, 0); /* the network's IPv6 gateway */
	assert_string_equal(ip_str(nc.routes[1].dst.ip.v4), "10.9.0.0");
	assert_int_equal(nc.routes[1].dst.len, 16);
	assert_string_equal(ip6_str(&nc.routes[2].dst.ip), "fd08::");
	assert_int_equal(nc.routes[2].dst.len, 48);
	assert_string_equal(ip6_str(&nc.routes[2].gw), "fd22:4::fe");
	cni_conf_free(&c);
	/* no routes: no default route either (isDefaultGateway aside) */
	netconf_ok("{" BASE ",\"ipam\":{\"subnet\":\"10.22.5.0/24\"}}", &c, &nc);
	assert_false(c.routes_set);
	assert_int_equal(nc.n_routes, 0);
	cni_conf_free(&c);

	/* the old flat form; host bits in the subnet taken off as host-local does; defaults */
	netconf_ok("{" BASE ",\"ipam\":{\"type\":\"netd\",\"subnet\":\"10.23.1.7/16\"}}", &c, &nc);
	assert_string_equal(nc.bridge, "cni0");
	assert_string_equal(ip_str(nc.subnet), "10.23.0.0");
	assert_int_equal(nc.prefix, 16);
	assert_int_equal(nc.gateway.s_addr, 0); /* netd_netconf_finish fills it */
	assert_int_equal(nc.range_start.s_addr, 0);
	assert_false(nc.masquerade);
	assert_false(c.bridge_set);
	assert_int_equal(nc.mtu, 0);
	assert_int_equal(nc.gateway_mode, NETD_GATEWAY_NAT);
	assert_false(c.gw_mode_set);
	cni_conf_free(&c);

	/* gatewayMode, the subnet file's gateway_mode */
	netconf_ok("{" BASE ",\"gatewayMode\":\"routed\",\"ipam\":{\"subnet\":\"10.25.0.0/24\"}}",
		   &c, &nc);
	assert_int_equal(nc.gateway_mode, NETD_GATEWAY_ROUTED);
	assert_true(c.gw_mode_set);
	cni_conf_free(&c);
	netconf_ok("{" BASE ",\"gatewayMode\":\"nat\",\"ipam\":{\"subnet\":\"10.25.0.0/24\"}}", &c,
		   &nc);
	assert_int_equal(nc.gateway_mode, NETD_GATEWAY_NAT);
	assert_true(c.gw_mode_set);
	cni_conf_free(&c);

	/* internal and icc, the subnet file's internal= and icc= */
	netconf_ok("{" BASE
		   ",\"internal\":true,\"icc\":false,\"ipam\":{\"subnet\":\"10.25.0.0/24\"}}",
		   &c, &nc);
	assert_true(nc.internal);
	assert_true(nc.no_icc);
	cni_conf_free(&c);
	netconf_ok("{" BASE ",\"ipam\":{\"subnet\":\"10.25.0.0/24\"}}", &c, &nc);
	assert_false(nc.internal);
	assert_false(nc.no_icc);
	cni_conf_free(&c);

	/* only one end of the range given: the other is the subnet's first/last host */
	netconf_ok("{" BASE
		   ",\"ipam\":{\"subnet\":\"10.24.0.0/24\",\"rangeStart\":\"10.24.0.100\"}}",
		   &c, &nc);
	assert_string_equal(ip_str(nc.range_start), "10.24.0.100");
	assert_string_equal(ip_str(nc.range_end), "10.24.0.254");
	cni_conf_free(&c);
	netconf_ok("{" BASE ",\"ipam\":{\"subnet\":\"10.24.0.0/24\",\"rangeEnd\":\"10.24.0.50\"}}",
		   &c, &nc);
	assert_string_equal(ip_str(nc.range_start), "10.24.0.1");
	assert_string_equal(ip_str(nc.range_end), "10.24.0.50");
	cni_conf_free(&c);

	/* dual stack: one IPv4 and one IPv6 range set, host-local's form; ipMasq covers both */
	netconf_ok("{" BASE ",\"ipMasq\":true,\"ipam\":{\"type\":\"netd\",\"ranges\":["
		   "[{\"subnet\":\"10.26.0.0/24\"}],"
		   "[{\"subnet\":\"fd26::/64\",\"rangeStart\":\"fd26::10\",\"rangeEnd\":"
		   "\"fd26::1:0\",\"gateway\":\"fd26::fe\"}]]}}",
		   &c, &nc);
	assert_true(c.has_subnet);
	assert_true(c.has_subnet6);
	assert_string_equal(ip_str(nc.subnet), "10.26.0.0");
	assert_int_equal(nc.prefix, 24);
	assert_int_equal(nc.subnet6.ip.family, AF_INET6);
	assert_string_equal(ip6_str(&nc.subnet6.ip), "fd26::");
	assert_int_equal(nc.subnet6.len, 64);
	assert_string_equal(ip6_str(&nc.range6.first), "fd26::10");
	assert_string_equal(ip6_str(&nc.range6.last), "fd26::1:0");
	assert_string_equal(ip6_str(&nc.gateway6), "fd26::fe");
	assert_true(nc.masquerade);
	assert_true(nc.masquerade6);
	cni_conf_free(&c);

	/* the IPv6 set first; its host bits dropped; one end given: the other is the subnet's
	 * first / last address (no broadcast in IPv6); ipMasq6 sets IPv6 apart */
	netconf_ok("{" BASE ",\"ipMasq\":true,\"ipMasq6\":false,\"ipam\":{\"ranges\":["
		   "[{\"subnet\":\"fd27::5/120\",\"rangeStart\":\"fd27::80\"}],"
		   "[{\"subnet\":\"10.27.0.0/24\"}]]}}",
		   &c, &nc);
	assert_string_equal(ip6_str(&nc.subnet6.ip), "fd27::");
	assert_int_equal(nc.subnet6.len, 120);
	assert_string_equal(ip6_str(&nc.range6.first), "fd27::80");
	assert_string_equal(ip6_str(&nc.range6.last), "fd27::ff");
	assert_int_equal(nc.gateway6.family, 0); /* netd_netconf_finish fills it */
	assert_string_equal(ip_str(nc.subnet), "10.27.0.0");
	assert_true(nc.masquerade);
	assert_false(nc.masquerade6);
	assert_true(c.masq6_set);
	cni_conf_free(&c);
	netconf_ok("{" BASE ",\"ipMasq6\":true,\"ipam\":{\"ranges\":[[{\"subnet\":\"fd28::/64\","
		   "\"rangeEnd\":\"fd28::ff\"}]]}}",
		   &c, &nc);
	assert_false(c.has_subnet);
	assert_true(c.has_subnet6);
	assert_int_equal(nc.subnet.s_addr, 0);
	assert_string_equal(ip6_str(&nc.range6.first), "fd28::1");
	assert_string_equal(ip6_str(&nc.range6.last), "fd28::ff");
	assert_false(nc.masquerade);
	assert_true(nc.masquerade6);
	/* A single IPv6 range set is an IPv6-only network: netd_netconf_finish takes it. */
	{
		struct netd_err ne = {0};

		if (netd_netconf_finish(&nc, c.name, &ne) < 0)
			fail_msg("finish: %s", ne.msg);
		assert_false(netd_netconf_has4(&nc));
		assert_true(netd_netconf_has6(&nc));
		assert_string_equal(ip6_str(&nc.gateway6), "fd28::1");
		assert_int_equal(nc.gateway.s_addr, 0);
		assert_int_equal(nc.range_start.s_addr, 0);
	}
	cni_conf_free(&c);
	/* the flat form takes an IPv6 subnet too; no range: netd_netconf_finish's defaults */
	netconf_ok("{" BASE ",\"ipam\":{\"subnet\":\"fd29::/64\",\"gateway\":\"fd29::1\"}}", &c,
		   &nc);
	assert_true(c.has_subnet6);
	assert_string_equal(ip6_str(&nc.gateway6), "fd29::1");
	assert_int_equal(nc.range6.first.family, 0);
	assert_int_equal(nc.range6.last.family, 0);
	assert_false(nc.masquerade6); /* no ipMasq: off, as in the reference plugins */
	{
		struct netd_err ne = {0};

		if (netd_netconf_finish(&nc, c.name, &ne) < 0)
			fail_msg("finish: %s", ne.msg);
		assert_false(netd_netconf_has4(&nc));
		assert_string_equal(ip6_str(&nc.range6.first), "fd29::1");
	}
	cni_conf_free(&c);

	/* no subnet at all: left to subnetFile or a delegated IPAM */
	netconf_ok("{" BASE ",\"subnetFile\":\"/run/flannel/subnet.env\"}", &c, &nc);
	assert_false(c.has_subnet);
	assert_string_equal(c.subnet_file, "/run/flannel/subnet.env");
	cni_conf_free(&c);
}

static void test_netconf_errors(void **state)
{
	const char *m;

	/* range sets: one per family, one range each, of one family */
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/16\"}],[{"
			  "\"subnet\":\"10.2.0.0/16\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_string_equal(m, "ipam.ranges[1]: a second IPv4 range set; netd-cni serves one set "
			       "per family (one address each)");
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"fd01::/64\"}],[{"
			  "\"subnet\":\"10.2.0.0/16\"}],[{\"subnet\":\"fd02::/64\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipam.ranges: 3 range sets"));
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"fd01::/64\"}],[{"
			  "\"subnet\":\"fd02::/64\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipam.ranges[1]: a second IPv6 range set"));
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/16\"},{"
			  "\"subnet\":\"fd00::/64\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_string_equal(m, "ipam.ranges[0]: mixes IPv4 and IPv6 ranges (a range set is of one "
			       "family)");
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/16\"},{"
			  "\"subnet\":\"10.2.0.0/16\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipam.ranges[0]: 2 ranges"));
	netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[{\"subnet\":\"10.1.0.0/16\"}]}}",
		      CNI_ERR_CONFIG);
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[]]}}", CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipam.ranges[0]: expected an array of range objects"));
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"rangeStart\":\"10.1.0.5\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_string_equal(m, "ipam.ranges[0][0].subnet is missing");
	/* bad IPv6 text: the message names the key */
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/16\"}],[{"
			  "\"subnet\":\"fd00::zz/64\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipam.ranges[1][0].subnet \"fd00::zz/64\" is not a CIDR"));
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"fd00::/129\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipam.ranges[0][0].subnet"));
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"fd00::/64\","
			  "\"rangeStart\":\"10.1.0.5\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_string_equal(m, "ipam.ranges[0][0].rangeStart \"10.1.0.5\" is not an IPv6 address");
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"fd00::/64\","
			  "\"rangeEnd\":\"fd00::1::2\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipam.ranges[0][0].rangeEnd"));
	m = netconf_fails("{" BASE ",\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\","
			  "\"gateway\":\"fd00::1\"}]]}}",
			  CNI_ERR_CONFIG);
	assert_string_equal(m, "ipam.ranges[0][0].gateway \"fd00::1\" is not an IPv4 address");
	m = netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"fd00::/64\",\"gateway\":\"x\"}}",
			  CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipam.gateway \"x\" is not an IPv6 address"));
	m = parse_fails("{" BASE ",\"ipMasq6\":1}", CNI_ADD, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipMasq6"));
	m = netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0/31\"}}", CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "/31"));
	netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0\"}}", CNI_ERR_CONFIG);
	netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0/16\",\"gateway\":\"x\"}}",
		      CNI_ERR_CONFIG);
	netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0/16\",\"rangeStart\":\"x\"}}",
		      CNI_ERR_CONFIG);
	netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0/16\",\"rangeEnd\":7}}",
		      CNI_ERR_CONFIG);
	netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0/16\",\"routes\":[{\"gw\":"
		      "\"10.1.0.1\"}]}}",
		      CNI_ERR_CONFIG);
	netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0/16\",\"routes\":[\"0/0\"]}}",
		      CNI_ERR_CONFIG);
	/* a gateway of the other family than the destination, bad IPv6 text */
	m = netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0/16\",\"routes\":[{\"dst\":"
			  "\"10.8.0.0/16\",\"gw\":\"fd00::1\"}]}}",
			  CNI_ERR_CONFIG);
	assert_string_equal(m, "ipam.routes[0].gw: \"fd00::1\" is not an IPv4 address (dst is "
			       "10.8.0.0/16)");
	m = netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0/16\",\"routes\":[{\"dst\":"
			  "\"0.0.0.0/0\"},{\"dst\":\"::/0\",\"gw\":\"10.1.0.1\"}]}}",
			  CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "ipam.routes[1].gw: \"10.1.0.1\" is not an IPv6 address"));
	m = netconf_fails("{" BASE ",\"ipam\":{\"subnet\":\"10.1.0.0/16\",\"routes\":[{\"dst\":"
			  "\"fd00::g/64\"}]}}",
			  CNI_ERR_CONFIG);
	assert_string_equal(m, "ipam.routes[0].dst: expected a CIDR like 0.0.0.0/0 or ::/0");
	m = netconf_fails("{" BASE ",\"bridge\":\"bridge-name-too-long\"}", CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "bridge"));
	netconf_fails("{" BASE ",\"bridge\":\"br/0\"}", CNI_ERR_CONFIG);
	netconf_fails("{" BASE ",\"mtu\":50}", CNI_ERR_CONFIG);
	netconf_fails("{" BASE ",\"mtu\":\"1500\"}", CNI_ERR_CONFIG);
	netconf_fails("{" BASE ",\"mtu\":70000}", CNI_ERR_CONFIG);
	m = parse_fails("{" BASE ",\"gatewayMode\":\"bridge\"}", CNI_ADD, CNI_ERR_CONFIG);
	assert_string_equal(m, "gatewayMode \"bridge\": expected \"nat\" or \"routed\"");
	m = parse_fails("{" BASE ",\"gatewayMode\":true}", CNI_ADD, CNI_ERR_CONFIG);
	assert_non_null(strstr(m, "gatewayMode: expected a string"));
}

static void test_overlay(void **state)
{
	struct netd_netconf nc, file = {0};
	struct cni_conf c;

	snprintf(file.bridge, sizeof(file.bridge), "flannel0");
	file.mtu = 1450;
	file.masquerade = true;
	file.masquerade6 = true;

	/* nothing explicit in the config: the subnet file's values stay */
	netconf_ok("{" BASE ",\"subnetFile\":\"/x\"}", &c, &nc);
	cni_conf_overlay(&c, &file);
	assert_string_equal(file.bridge, "flannel0");
	assert_int_equal(file.mtu, 1450);
	assert_true(file.masquerade);
	assert_true(file.masquerade6);
	cni_conf_free(&c);

	netconf_ok("{" BASE ",\"subnetFile\":\"/x\",\"bridge\":\"cni1\",\"mtu\":1400,\"ipMasq\":"
		   "false}",
		   &c, &nc);
	cni_conf_overlay(&c, &file);
	assert_string_equal(file.bridge, "cni1");
	assert_int_equal(file.mtu, 1400);
	assert_false(file.masquerade);
	assert_false(file.masquerade6); /* ipMasq covers both families */
	assert_int_equal(file.gateway_mode, NETD_GATEWAY_NAT);
	cni_conf_free(&c);

	/* ipMasq6 over a subnet file's masquerade6, without touching IPv4's */
	file.masquerade = true;
	netconf_ok("{" BASE ",\"subnetFile\":\"/x\",\"ipMasq6\":true}", &c, &nc);
	cni_conf_overlay(&c, &file);
	assert_true(file.masquerade);
	assert_true(file.masquerade6);
	cni_conf_free(&c);
	netconf_ok("{" BASE ",\"subnetFile\":\"/x\",\"ipMasq\":true,\"ipMasq6\":false}", &c, &nc);
	cni_conf_overlay(&c, &file);
	assert_true(file.masquerade);
	assert_false(file.masquerade6);
	cni_conf_free(&c);

	/* gatewayMode over a subnet file's gateway_mode, both ways */
	netconf_ok("{" BASE ",\"subnetFile\":\"/x\",\"gatewayMode\":\"routed\"}", &c, &nc);
	cni_conf_overlay(&c, &file);
	assert_int_equal(file.gateway_mode, NETD_GATEWAY_ROUTED);
	cni_conf_free(&c);
	netconf_ok("{" BASE ",\"subnetFile\":\"/x\"}", &c, &nc);
	cni_conf_overlay(&c, &file);
	assert_int_equal(file.gateway_mode, NETD_GATEWAY_ROUTED);
	cni_conf_free(&c);
	netconf_ok("{" BASE ",\"subnetFile\":\"/x\",\"gatewayMode\":\"nat\"}", &c, &nc);
	cni_conf_overlay(&c, &file);
	assert_int_equal(file.gateway_mode, NETD_GATEWAY_NAT);
	cni_conf_free(&c);
	/* internal and icc over a subnet file's: only when given */
	file.internal = true;
	netconf_ok("{" BASE ",\"subnetFile\":\"/x\",\"icc\":false}", &c, &nc);
	cni_conf_overlay(&c, &file);
	assert_true(file.internal);
	assert_true(file.no_icc);
	cni_conf_free(&c);
	netconf_ok("{" BASE ",\"subnetFile\":\"/x\",\"internal\":false,\"icc\":true}", &c, &nc);
	cni_conf_overlay(&c, &file);
	assert_false(file.internal);
	assert_false(file.no_icc);
	cni_conf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_cidr_ip_mac),
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_conf_decode_errors),
	    cmocka_unit_test(test_conf_fields),
	    cmocka_unit_test(test_conf_runtime_config),
	    cmocka_unit_test(test_conf_gc_lists),
	    cmocka_unit_test(test_netconf_ranges),
	    cmocka_unit_test(test_netconf_errors),
	    cmocka_unit_test(test_overlay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
