/* SPDX-License-Identifier: MIT */
/* Endpoint records and host port claims in a temporary state dir. */
#include <arpa/inet.h>
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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <netd/network.h>
#include "claims.h"
#include "endpoint_record.h"
#include "endpoint_store.h"
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
	snprintf(statedir, sizeof(statedir), "/tmp/netd-test-store.XXXXXX");
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

/* A host address of either family. */
static struct netd_ip
H(const char *s) {
	struct netd_ip a;

	if (netd_ip_parse(s, AF_UNSPEC, &a, NULL) < 0)
		fail_msg("bad address %s", s);
	return a;
}

static void
assert_msg(const struct netd_err *err, const char *needle)
{
	if (!strstr(err->msg, needle))
		fail_msg("\"%s\" not in \"%s\"", needle, err->msg);
}

static void write_state(const char *rel, const char *text)
{
	char path[PATH_MAX];
	struct netd_err err = {0};

	char *slash;

	snprintf(path, sizeof(path), "%s/%s", statedir, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	if (netd_mkdirs(path, false, &err) < 0)
		fail_msg("%s", err.msg);
	*slash = '/';
	if (netd_file_write_atomic(path, text, strlen(text), 0644, &err) < 0)
		fail_msg("%s", err.msg);
}

static bool state_exists(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", statedir, rel);
	return stat(path, &st) == 0;
}

static struct netd_port ports2[] = {
    {.proto = NETD_PROTO_TCP, .host_port = 8080, .ctr_port = 80},
    {.proto = NETD_PROTO_UDP, .host_port = 5353, .ctr_port = 53},
    {.proto = NETD_PROTO_SCTP, .host_port = 65535, .ctr_port = 1},
};

static void fill_ep(struct netd_endpoint *ep, const char *network, const char *id,
		    const char *ifname)
{
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->network, sizeof(ep->network), "%s", network);
	snprintf(ep->id, sizeof(ep->id), "%s", id);
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", ifname);
	snprintf(ep->host_ifname, sizeof(ep->host_ifname), "vethab12cd34");
	snprintf(ep->bridge, sizeof(ep->bridge), "netd0");
	snprintf(ep->netns, sizeof(ep->netns), "/run/netns/my ns-1");
	memcpy(ep->mac, "\x02\x42\xac\x11\x00\xfe", 6);
	ep->ip = A("10.88.0.7");
	ep->prefix = 16;
	ep->gateway = A("10.88.0.1");
	ep->mtu = 1450;
	ep->host_ifindex = 42;
	ep->ctr_ifindex = 3;
	ep->created = 1795000000;
	snprintf(ep->state, sizeof(ep->state), "ready");
	ep->pid = 4242;
}

static void assert_ep_equal(const struct netd_endpoint *a, const struct netd_endpoint *b)
{
	assert_string_equal(a->network, b->network);
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->ifname, b->ifname);
	assert_string_equal(a->host_ifname, b->host_ifname);
	assert_string_equal(a->bridge, b->bridge);
	assert_string_equal(a->netns, b->netns);
	assert_memory_equal(a->mac, b->mac, 6);
	assert_int_equal(a->ip.s_addr, b->ip.s_addr);
	assert_int_equal(a->prefix, b->prefix);
	assert_int_equal(a->gateway.s_addr, b->gateway.s_addr);
	assert_int_equal(a->mtu, b->mtu);
	assert_int_equal(a->host_ifindex, b->host_ifindex);
	assert_int_equal(a->ctr_ifindex, b->ctr_ifindex);
	assert_int_equal(a->created, b->created);
	assert_string_equal(a->state, b->state);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->n_routes, b->n_routes);
	for (size_t i = 0; i < a->n_routes; i++) {
		assert_true(netd_ip_equal(&a->routes[i].dst.ip, &b->routes[i].dst.ip));
		assert_int_equal(a->routes[i].dst.len, b->routes[i].dst.len);
		assert_true(netd_ip_equal(&a->routes[i].gw, &b->routes[i].gw));
	}
	assert_int_equal(a->n_ports, b->n_ports);
	for (size_t i = 0; i < a->n_ports; i++) {
		assert_int_equal(a->ports[i].proto, b->ports[i].proto);
		assert_true(netd_ip_equal(&a->ports[i].host_ip, &b->ports[i].host_ip));
		assert_int_equal(a->ports[i].host_port, b->ports[i].host_port);
		assert_int_equal(a->ports[i].ctr_port, b->ports[i].ctr_port);
	}
}

static void test_key(void **state)
{
	char buf[NETD_KEY_MAX + 1];
	char small[8];

	(void)state;
	assert_int_equal(netd_store_key(buf, sizeof(buf), "netd0", "c1", "eth0"), 0);
	assert_string_equal(buf, "netd0/c1@eth0");
	assert_int_equal(netd_store_key(small, sizeof(small), "netd0", "c1", "eth0"),
			 -ENAMETOOLONG);
}

static void test_format_parse_roundtrip(void **state)
{
	struct netd_endpoint ep, back;
	struct netd_err err = {0};
	char *text = NULL;

	(void)state;
	fill_ep(&ep, "netd0", "4f1d2c3b5a6e", "eth0");
	ports2[0].host_ip = H("0.0.0.0");
	ports2[1].host_ip = H("127.0.0.1");
	ports2[2].host_ip = H("192.168.1.10");
	ep.ports = ports2;
	ep.n_ports = 3;
	ep.routes[0] =
	    (struct netd_route){.dst.ip.family = AF_INET, .gw = netd_ip_from4(A("10.88.0.1"))};
	ep.routes[1] = (struct netd_route){.dst = netd_prefix_from4(A("10.1.0.0"), 16),
					   .gw = netd_ip_from4(A("10.88.0.9"))};
	assert_int_equal(netd_prefix_parse("fd77::/16", AF_INET6, &ep.routes[2].dst, NULL), 0);
	assert_int_equal(netd_ip_parse("fd77::9", AF_INET6, &ep.routes[2].gw, NULL), 0);
	ep.n_routes = 3;
	assert_int_equal(netd_endpoint_format(&ep, &text, &err), 0);
	assert_non_null(strstr(text, "\nroute=0.0.0.0/0 10.88.0.1\nroute=10.1.0.0/16 10.88.0.9\n"
				     "route=fd77::/16 fd77::9\n"));
	assert_non_null(strstr(text, "network=netd0\nid=4f1d2c3b5a6e\nifname=eth0\n"));
	assert_non_null(strstr(text, "\nmac=02:42:ac:11:00:fe\n"));
	assert_non_null(strstr(text, "\nip=10.88.0.7/16\ngateway=10.88.0.1\n"));
	assert_non_null(strstr(text, "\ncreated=1795000000\n"));
	assert_non_null(strstr(text, "\nport=tcp 0.0.0.0 8080 80\n"));
	assert_non_null(strstr(text, "\nport=udp 127.0.0.1 5353 53\n"));
	assert_non_null(strstr(text, "\nport=sctp 192.168.1.10 65535 1\n"));
	assert_int_equal(netd_endpoint_parse(text, "rec", &back, &err), 0);
	assert_ep_equal(&ep, &back);
	assert_non_null(back.ports);
	assert_ptr_not_equal(back.ports, ports2);
	netd_endpoint_clear(&back);
	assert_null(back.ports);
	assert_int_equal(back.n_ports, 0);
	assert_string_equal(back.id, "");
	free(text);

	/* No ports, no routes, empty optional fields ("creating" before the veth exists). */
	fill_ep(&ep, "n1", "c1", "net1");
	ep.host_ifname[0] = ep.bridge[0] = ep.netns[0] = '\0';
	snprintf(ep.state, sizeof(ep.state), "creating");
	assert_int_equal(netd_endpoint_format(&ep, &text, &err), 0);
	assert_non_null(strstr(text, "\nroute=none\n"));
	assert_int_equal(netd_endpoint_parse(text, "rec", &back, &err), 0);
	assert_ep_equal(&ep, &back);
	assert_null(back.ports);
	netd_endpoint_clear(&back);
	free(text);
}

static void test_format_rejects(void **state)
{
	struct netd_endpoint ep;
	struct netd_err err = {0};
	char *text = NULL;

	(void)state;
	/* Names are not checked again (the door did, or the parser): a netns path is text. */
	fill_ep(&ep, "n1", "c1", "eth0");
	snprintf(ep.netns, sizeof(ep.netns), "/run/netns/x\nid=evil");
	assert_int_equal(netd_endpoint_format(&ep, &text, &err), -EINVAL);
	fill_ep(&ep, "n1", "c1", "eth0");
	struct netd_port bad = {.proto = 99, .host_port = 1, .ctr_port = 1};
	ep.ports = &bad;
	ep.n_ports = 1;
	assert_int_equal(netd_endpoint_format(&ep, &text, &err), -EINVAL);
	assert_msg(&err, "port 1 is invalid");
	assert_null(text);
}

static void expect_parse_error(const char *text, const char *needle)
{
	struct netd_endpoint ep;
	struct netd_err err = {0};

	if (netd_endpoint_parse(text, "c1@eth0", &ep, &err) != -EINVAL)
		fail_msg("parse accepted: %s", text);
	assert_int_equal(err.code, EINVAL);
	assert_msg(&err, needle);
	assert_null(ep.ports);
	assert_int_equal(ep.n_ports, 0);
}

#define HEAD "network=n1\nid=c1\nifname=eth0\n"

static void test_parse_errors(void **state)
{
	struct netd_endpoint ep;
	struct netd_err err = {0};
	char big[NETD_ID_MAX + 17];

	(void)state;
	/* The key is not quoted: a damaged record may hold anything. */
	expect_parse_error(HEAD "colour=blue\n", "c1@eth0:4: unknown key (a record has");
	expect_parse_error("network=n1\n\n# comment\nid=c1\nifname=eth0\ngarbage\n",
			   "c1@eth0:6: expected key=value");
	expect_parse_error(HEAD "ip=10.0.0.300/24\n", "c1@eth0:4: bad ip");
	expect_parse_error(HEAD "ip=10.0.0.3/33\n", "c1@eth0:4: bad ip");
	expect_parse_error(HEAD "ip=10.0.0.3\n", "c1@eth0:4: bad ip");
	expect_parse_error(HEAD "gateway=10.0.0.1 \n", "c1@eth0:4: bad gateway");
	expect_parse_error(HEAD "mac=02:42:ac:11:00\n", "c1@eth0:4: bad mac");
	expect_parse_error(HEAD "mac=02:42:ac:11:00:zz\n", "c1@eth0:4: bad mac");
	expect_parse_error(HEAD "mtu=65536\n", "c1@eth0:4: bad mtu");
	expect_parse_error(HEAD "mtu=-1\n", "c1@eth0:4: bad mtu");
	expect_parse_error(HEAD "pid=99999999999\n", "c1@eth0:4: bad pid");
	expect_parse_error(HEAD "created=\n", "c1@eth0:4: bad created");
	expect_parse_error(HEAD "created=99999999999999999999999\n", "c1@eth0:4: bad created");
	expect_parse_error(HEAD "state=Ready!\n", "c1@eth0:4: bad state");
	expect_parse_error(HEAD "mtu=1500\nmtu=1500\n", "c1@eth0:5: duplicate key 'mtu'");
	expect_parse_error(HEAD "port=tcp 0.0.0.0 8080\n", "c1@eth0:4: bad port");
	expect_parse_error(HEAD "port=icmp 0.0.0.0 8080 80\n", "c1@eth0:4: bad port");
	expect_parse_error(HEAD "port=tcp 0.0.0.0 0 80\n", "c1@eth0:4: bad port");
	expect_parse_error(HEAD "port=tcp 0.0.0.0 8080 80 \n", "c1@eth0:4: bad port");
	expect_parse_error(HEAD "port=tcp  0.0.0.0 8080 80\n", "c1@eth0:4: bad port");
	expect_parse_error(HEAD "port=tcp 0.0.0.0 8080 70000\n", "c1@eth0:4: bad port");
	expect_parse_error(HEAD "host_ifname=this-name-is-too-long\n",
			   "c1@eth0:4: bad host_ifname");
	expect_parse_error("network=n1\nifname=eth0\n", "c1@eth0: missing id");
	expect_parse_error("", "missing network");
	/* Names used as file names: no path traversal, bounded. */
	expect_parse_error("network=n1\nid=../../etc/passwd\nifname=eth0\n", "c1@eth0:2: bad id");
	expect_parse_error("network=n1\nid=a/b\nifname=eth0\n", "c1@eth0:2: bad id");
	expect_parse_error("network=n1\nid=.hidden\nifname=eth0\n", "c1@eth0:2: bad id");
	expect_parse_error("network=..\nid=c1\nifname=eth0\n", "c1@eth0:1: bad network");
	/* Read as a given endpoint's record: a name that differs is still checked. */
	assert_int_equal(netd_endpoint_parse_of("network=n1\nid=../x\nifname=eth0\n", "r", "n1",
						"c1", "eth0", &ep, &err),
			 -EINVAL);
	assert_msg(&err, "r:2: bad id");
	assert_int_equal(netd_endpoint_parse_of("network=n1\nid=c2\nifname=eth0\n", "r", "n1", "c1",
						"eth0", &ep, &err),
			 0);
	assert_string_equal(ep.id, "c2"); /* the caller compares */
	netd_endpoint_clear(&ep);
	expect_parse_error("network=n1\nid=c1\nifname=eth0@x\n", "c1@eth0:3: bad ifname");
	expect_parse_error("network=n1\nid=c1\nifname=\n", "c1@eth0:3: bad ifname");
	memset(big, 'a', sizeof(big));
	memcpy(big, "network=n1\nid=", 14);
	memcpy(big + sizeof(big) - 2, "\n", 2); /* id of NETD_ID_MAX + 1 characters */
	expect_parse_error(big, "c1@eth0:2: bad id");
	expect_parse_error(HEAD "netns=/run/netns/a\tb\n", "c1@eth0:4: bad netns");

	/* The minimal record, a final line without newline, and a record with ports. */
	assert_int_equal(netd_endpoint_parse("network=n1\nid=c1\nifname=eth0", "x", &ep, &err), 0);
	assert_string_equal(ep.ifname, "eth0");
	assert_int_equal(ep.n_ports, 0);
	netd_endpoint_clear(&ep);
	assert_int_equal(netd_endpoint_parse(HEAD "port=tcp 0.0.0.0 1 2\nport=udp 10.0.0.1 3 4\n",
					     "x", &ep, &err),
			 0);
	assert_int_equal(ep.n_ports, 2);
	assert_int_equal(ep.ports[1].proto, NETD_PROTO_UDP);
	assert_int_equal(ep.ports[1].host_port, 3);
	assert_int_equal(ep.ports[1].ctr_port, 4);
	netd_endpoint_clear(&ep);

	/* Routes: a record from before they were recorded had its default route via gateway. */
	expect_parse_error(HEAD "route=10.1.0.0/16\n", "c1@eth0:4: bad route");
	expect_parse_error(HEAD "route=10.1.0.0/33 10.0.0.1\n", "c1@eth0:4: bad route");
	expect_parse_error(HEAD "route=nope\n", "c1@eth0:4: bad route");
	expect_parse_error(HEAD "route=fd00::/8 10.0.0.1\n", "c1@eth0:4: bad route");
	assert_int_equal(netd_endpoint_parse(HEAD "gateway=10.0.0.1\n", "x", &ep, &err), 0);
	assert_int_equal(ep.n_routes, 1);
	assert_int_equal(ep.routes[0].dst.len, 0);
	assert_int_equal(ep.routes[0].gw.v4.s_addr, A("10.0.0.1").s_addr);
	assert_int_equal(netd_endpoint_parse(HEAD "gateway=10.0.0.1\nroute=none\n", "x", &ep, &err),
			 0);
	assert_int_equal(ep.n_routes, 0);
}

/* Names on the network (dns.c): name= and repeated alias= lines, DNS labels only. */
static void test_names(void **state)
{
	struct netd_endpoint ep, back;
	struct netd_err err = {0};
	char *text = NULL;

	(void)state;
	fill_ep(&ep, "n1", "c1", "eth0");
	snprintf(ep.name, sizeof(ep.name), "web");
	snprintf(ep.aliases[0], sizeof(ep.aliases[0]), "www");
	snprintf(ep.aliases[1], sizeof(ep.aliases[1]), "Front-1");
	ep.n_aliases = 2;
	assert_int_equal(netd_endpoint_format(&ep, &text, &err), 0);
	assert_non_null(strstr(text, "\nname=web\nalias=www\nalias=Front-1\n"));
	assert_int_equal(netd_endpoint_parse(text, "rec", &back, &err), 0);
	assert_ep_equal(&ep, &back);
	assert_string_equal(back.name, "web");
	assert_int_equal(back.n_aliases, 2);
	assert_string_equal(back.aliases[1], "Front-1");
	free(text);

	snprintf(ep.aliases[1], sizeof(ep.aliases[1]), "my_app");
	assert_int_equal(netd_endpoint_format(&ep, &text, &err), -EINVAL);
	assert_msg(&err, "alias: invalid name \"my_app\"");
	expect_parse_error(HEAD "name=-web\n", "c1@eth0:4: bad name");
	expect_parse_error(HEAD "name=a\nname=b\n", "c1@eth0:5: duplicate key 'name'");
	expect_parse_error(HEAD "alias=a.b\n", "c1@eth0:4: bad alias");
	{
		char many[2048] = HEAD;

		for (int i = 0; i <= NETD_ALIASES_MAX; i++)
			snprintf(many + strlen(many), sizeof(many) - strlen(many), "alias=a%d\n",
				 i);
		expect_parse_error(many, "bad alias");
	}
}

static void test_save_load_delete(void **state)
{
	struct netd_endpoint ep, back;
	struct netd_err err = {0};
	char path[PATH_MAX];

	(void)state;
	fill_ep(&ep, "n1", "c1", "eth0");
	ports2[0].host_ip = H("0.0.0.0");
	ep.ports = ports2;
	ep.n_ports = 1;
	assert_int_equal(netd_store_endpoint_save(&ep, &err), 0);
	assert_true(state_exists("networks/n1/endpoints/c1@eth0"));
	assert_int_equal(netd_store_endpoint_load("n1", "c1", "eth0", &back, &err), 0);
	assert_ep_equal(&ep, &back);
	netd_endpoint_clear(&back);

	/* Overwrite in place. */
	ep.mtu = 9000;
	assert_int_equal(netd_store_endpoint_save(&ep, &err), 0);
	assert_int_equal(netd_store_endpoint_load("n1", "c1", "eth0", &back, &err), 0);
	assert_int_equal(back.mtu, 9000);
	netd_endpoint_clear(&back);

	assert_int_equal(netd_store_endpoint_load("n1", "c2", "eth0", &back, &err), -ENOENT);
	assert_int_equal(err.code, ENOENT);
	assert_msg(&err, "c2@eth0");
	assert_int_equal(netd_store_endpoint_load("n2", "c1", "eth0", &back, &err), -ENOENT);

	/* Path traversal is refused at the door (the store trusts its callers), before any file
	 * is touched. */
	assert_int_equal(netd_endpoint_get("n1", "../../x", "eth0", &back, &err), -EINVAL);
	assert_int_equal(netd_endpoint_get("..", "c1", "eth0", &back, &err), -EINVAL);
	assert_int_equal(netd_endpoint_get("n1", "c1", "../eth0", &back, &err), -EINVAL);
	assert_int_equal(netd_network_detach("n1", "c1", "../eth0", &err), -EINVAL);

	/* A record whose content names another endpoint is not loaded under this name. */
	snprintf(path, sizeof(path), "networks/n1/endpoints/c9@eth0");
	write_state(path, "network=n1\nid=c1\nifname=eth0\n");
	assert_int_equal(netd_store_endpoint_load("n1", "c9", "eth0", &back, &err), -EUCLEAN);
	assert_null(back.ports);

	assert_int_equal(netd_store_endpoint_delete("n1", "c1", "eth0", &err), 0);
	assert_false(state_exists("networks/n1/endpoints/c1@eth0"));
	assert_int_equal(netd_store_endpoint_delete("n1", "c1", "eth0", &err), 0);
	assert_int_equal(netd_store_endpoint_delete("nonet", "c1", "eth0", &err), 0);
	assert_int_equal(netd_store_endpoint_load("n1", "c1", "eth0", &back, &err), -ENOENT);
}

static void save(const char *network, const char *id, const char *ifname)
{
	struct netd_endpoint ep;
	struct netd_err err = {0};

	fill_ep(&ep, network, id, ifname);
	if (netd_store_endpoint_save(&ep, &err) < 0)
		fail_msg("%s", err.msg);
}

static void test_list(void **state)
{
	struct netd_endpoint *eps = NULL;
	struct netd_err err = {0};
	size_t n = 99;

	(void)state;
	assert_int_equal(netd_store_endpoint_list(NULL, &eps, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(eps);

	save("zeta", "a1", "eth0");
	save("alpha", "c2", "eth0");
	save("alpha", "c1", "eth1");
	save("alpha", "c1", "eth0");
	/* Corrupt, misnamed and temp files are skipped, not fatal. */
	write_state("networks/alpha/endpoints/bad@eth0", "network=alpha\nid=bad\nifname=eth0\nx\n");
	write_state("networks/alpha/endpoints/other@eth0", "network=alpha\nid=c1\nifname=eth0\n");
	write_state("networks/alpha/endpoints/c1@eth0.tmp.123", "network=alpha\nid=c1\n");
	write_state("networks/alpha/endpoints/noat", "network=alpha\nid=noat\nifname=eth0\n");
	write_state("networks/..bad/endpoints/c1@eth0", "network=..bad\nid=c1\nifname=eth0\n");

	assert_int_equal(netd_store_endpoint_list(NULL, &eps, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(eps[0].network, "alpha");
	assert_string_equal(eps[0].id, "c1");
	assert_string_equal(eps[0].ifname, "eth0");
	assert_string_equal(eps[1].id, "c1");
	assert_string_equal(eps[1].ifname, "eth1");
	assert_string_equal(eps[2].id, "c2");
	assert_string_equal(eps[3].network, "zeta");
	assert_int_equal(eps[3].mtu, 1450);
	netd_endpoints_free(eps, n);

	assert_int_equal(netd_store_endpoint_list("zeta", &eps, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(eps[0].id, "a1");
	netd_endpoints_free(eps, n);
	assert_int_equal(netd_store_endpoint_list("empty", &eps, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(netd_endpoint_list("../x", &eps, &n, &err), -EINVAL);
}

static struct netd_port P(uint8_t proto, const char *ip, uint16_t port) {
	struct netd_port p = {.proto = proto, .host_ip = H(ip), .host_port = port, .ctr_port = 80};

	return p;
}

static void
claim_ok(struct netd_port p, const char *key)
{
	struct netd_err err = {0};

	if (netd_store_port_claim(&p, key, &err) != 0)
		fail_msg("claim by %s: %s", key, err.msg);
}

static void claim_busy(struct netd_port p, const char *key, const char *msg)
{
	struct netd_err err = {0};

	assert_int_equal(netd_store_port_claim(&p, key, &err), -EADDRINUSE);
	assert_int_equal(err.code, EADDRINUSE);
	assert_string_equal(err.msg, msg);
}

static void test_port_conflicts(void **state)
{
	struct netd_err err = {0};
	char owner[NETD_KEY_MAX + 1];
	struct netd_port p;
	int lk;

	(void)state;
	lk = netd_store_lock_ports(&err);
	assert_true(lk >= 0);
	assert_true(state_exists("ports.lock"));

	/* Same address. */
	claim_ok(P(NETD_PROTO_TCP, "10.0.0.1", 8080), "n1/c1@eth0");
	assert_true(state_exists("ports/tcp-8080/10.0.0.1"));
	claim_ok(P(NETD_PROTO_TCP, "10.0.0.1", 8080), "n1/c1@eth0"); /* idempotent */
	claim_busy(P(NETD_PROTO_TCP, "10.0.0.1", 8080), "n2/c2@eth0",
		   "port 8080/tcp is already published by endpoint c1 (network n1)");
	/* Another specific address, another protocol: no conflict. */
	claim_ok(P(NETD_PROTO_TCP, "10.0.0.2", 8080), "n2/c2@eth0");
	claim_ok(P(NETD_PROTO_UDP, "10.0.0.1", 8080), "n2/c2@eth0");
	claim_ok(P(NETD_PROTO_SCTP, "0.0.0.0", 8080), "n2/c3@eth0");
	/* Wildcard while specific addresses hold the port. */
	claim_busy(P(NETD_PROTO_TCP, "0.0.0.0", 8080), "n3/c4@eth0",
		   "port 8080/tcp is already published on 10.0.0.1 by endpoint c1 (network n1)");
	/* Specific while the wildcard holds it. */
	claim_ok(P(NETD_PROTO_TCP, "0.0.0.0", 9090), "n1/c1@eth0");
	claim_ok(P(NETD_PROTO_TCP, "0.0.0.0", 9090), "n1/c1@eth0"); /* idempotent */
	claim_busy(P(NETD_PROTO_TCP, "127.0.0.1", 9090), "n3/c4@eth0",
		   "port 9090/tcp is already published on 0.0.0.0 by endpoint c1 (network n1)");
	claim_busy(P(NETD_PROTO_TCP, "0.0.0.0", 9090), "n3/c4@eth0",
		   "port 9090/tcp is already published by endpoint c1 (network n1)");
	claim_ok(P(NETD_PROTO_UDP, "127.0.0.1", 9090), "n3/c4@eth0");
	/* Only the very same claim is idempotent: a key's own specific claim blocks its wildcard.
	 */
	claim_ok(P(NETD_PROTO_TCP, "10.0.0.1", 7000), "n1/c1@eth0");
	claim_busy(P(NETD_PROTO_TCP, "0.0.0.0", 7000), "n1/c1@eth0",
		   "port 7000/tcp is already published on 10.0.0.1 by endpoint c1 (network n1)");

	/* claimed() sees what claim() would refuse. */
	p = P(NETD_PROTO_TCP, "192.168.5.5", 9090);
	assert_int_equal(netd_store_port_claimed(&p, owner, sizeof(owner), &err), 1);
	assert_string_equal(owner, "n1/c1@eth0");
	p = P(NETD_PROTO_TCP, "0.0.0.0", 8080);
	assert_int_equal(netd_store_port_claimed(&p, owner, sizeof(owner), &err), 1);
	p = P(NETD_PROTO_TCP, "10.0.0.3", 8080);
	assert_int_equal(netd_store_port_claimed(&p, owner, sizeof(owner), &err), 0);
	p = P(NETD_PROTO_TCP, "0.0.0.0", 7070);
	assert_int_equal(netd_store_port_claimed(&p, NULL, 0, &err), 0);

	/* IPv6: claims per family. [::] beside 0.0.0.0 on one port is no conflict (Docker's
	 * -p 8080:80 holds both); within IPv6 the wildcard rule is IPv4's. */
	claim_ok(P(NETD_PROTO_TCP, "::", 9090), "n4/c6@eth0");
	assert_true(state_exists("ports/tcp-9090/::"));
	claim_busy(P(NETD_PROTO_TCP, "fd00::1", 9090), "n3/c4@eth0",
		   "port 9090/tcp is already published on :: by endpoint c6 (network n4)");
	claim_ok(P(NETD_PROTO_TCP, "fd00::1", 6000), "n4/c6@eth0");
	claim_busy(P(NETD_PROTO_TCP, "::", 6000), "n3/c5@eth0",
		   "port 6000/tcp is already published on fd00::1 by endpoint c6 (network n4)");
	claim_ok(P(NETD_PROTO_TCP, "fd00::2", 6000), "n3/c4@eth0");
	claim_ok(P(NETD_PROTO_TCP, "0.0.0.0", 6000), "n3/c5@eth0"); /* the other family */
	p = P(NETD_PROTO_TCP, "fd00::3", 6000);
	assert_int_equal(netd_store_port_claimed(&p, owner, sizeof(owner), &err), 0);
	p = P(NETD_PROTO_TCP, "fd00::2", 6000);
	assert_int_equal(netd_store_port_claimed(&p, owner, sizeof(owner), &err), 1);
	assert_string_equal(owner, "n3/c4@eth0");
	/* A port of family 0 (both) never reaches the store: attach splits it first. */
	p = (struct netd_port){.proto = NETD_PROTO_TCP, .host_port = 6001, .ctr_port = 80};
	assert_int_equal(netd_store_port_claim(&p, "n1/c1@eth0", &err), -EINVAL);

	/* Bad input. */
	p = P(0, "0.0.0.0", 7070);
	assert_int_equal(netd_store_port_claim(&p, "n1/c1@eth0", &err), -EINVAL);
	p = P(NETD_PROTO_TCP, "0.0.0.0", 0);
	assert_int_equal(netd_store_port_claim(&p, "n1/c1@eth0", &err), -EINVAL);
	p = P(NETD_PROTO_TCP, "0.0.0.0", 7070);
	assert_int_equal(netd_store_port_claim(&p, "", &err), -EINVAL);
	close(lk);
}

static void test_port_release(void **state)
{
	struct netd_err err = {0};
	char owner[NETD_KEY_MAX + 1];
	struct netd_port p;

	(void)state;
	claim_ok(P(NETD_PROTO_TCP, "0.0.0.0", 8080), "n1/c1@eth0");
	claim_ok(P(NETD_PROTO_TCP, "10.1.1.1", 8081), "n1/c1@eth0");
	claim_ok(P(NETD_PROTO_TCP, "10.1.1.2", 8081), "n1/c2@eth0");

	/* Not the owner: ignored. */
	p = P(NETD_PROTO_TCP, "0.0.0.0", 8080);
	assert_int_equal(netd_store_port_release(&p, "n1/c2@eth0", &err), 0);
	assert_int_equal(netd_store_port_claimed(&p, owner, sizeof(owner), &err), 1);
	assert_string_equal(owner, "n1/c1@eth0");
	/* The owner: gone, and its directory with it. */
	assert_int_equal(netd_store_port_release(&p, "n1/c1@eth0", &err), 0);
	assert_int_equal(netd_store_port_claimed(&p, owner, sizeof(owner), &err), 0);
	assert_false(state_exists("ports/tcp-8080"));
	assert_int_equal(netd_store_port_release(&p, "n1/c1@eth0", &err), 0); /* missing: done */
	claim_ok(P(NETD_PROTO_TCP, "10.9.9.9", 8080), "n2/c9@eth0");

	/* A directory still holding another address stays. */
	p = P(NETD_PROTO_TCP, "10.1.1.1", 8081);
	assert_int_equal(netd_store_port_release(&p, NULL, &err), 0);
	assert_true(state_exists("ports/tcp-8081/10.1.1.2"));
	assert_false(state_exists("ports/tcp-8081/10.1.1.1"));
	claim_ok(P(NETD_PROTO_TCP, "10.1.1.1", 8081), "n3/c3@eth0");
}

struct claims_seen {
	int n;
	char all[512];
};

static int collect(const struct netd_port *p, const char *key, void *arg)
{
	struct claims_seen *cs = arg;
	char ip[INET_ADDRSTRLEN];
	size_t used = strlen(cs->all);

	netd_ip_format(&p->host_ip, ip, sizeof(ip));
	snprintf(cs->all + used, sizeof(cs->all) - used, "[%u %s %u %s]", p->proto, ip,
		 p->host_port, key);
	cs->n++;
	return 0;
}

static int stop_at_first(const struct netd_port *p, const char *key, void *arg)
{
	(void)p;
	(void)key;
	++*(int *)arg;
	return -EINTR;
}

static void test_port_foreach(void **state)
{
	struct netd_err err = {0};
	struct claims_seen cs = {0};
	int n = 0;

	(void)state;
	assert_int_equal(netd_store_port_foreach(collect, &cs, &err), 0);
	assert_int_equal(cs.n, 0);
	claim_ok(P(NETD_PROTO_TCP, "0.0.0.0", 8080), "n1/c1@eth0");
	claim_ok(P(NETD_PROTO_UDP, "10.0.0.1", 53), "n1/c2@eth0");
	claim_ok(P(NETD_PROTO_UDP, "10.0.0.2", 53), "n2/c3@eth1");
	write_state("ports/udp-53/.tmp-1-1", "n9/zz@eth0\n"); /* crashed claim */
	write_state("ports/junk/0.0.0.0", "n9/zz@eth0\n");
	assert_int_equal(netd_store_port_foreach(collect, &cs, &err), 0);
	assert_int_equal(cs.n, 3);
	assert_non_null(strstr(cs.all, "[6 0.0.0.0 8080 n1/c1@eth0]"));
	assert_non_null(strstr(cs.all, "[17 10.0.0.1 53 n1/c2@eth0]"));
	assert_non_null(strstr(cs.all, "[17 10.0.0.2 53 n2/c3@eth1]"));
	assert_int_equal(netd_store_port_foreach(stop_at_first, &n, &err), -EINTR);
	assert_int_equal(n, 1);
}

static void test_locks(void **state)
{
	struct netd_err err = {0};
	char path[PATH_MAX];
	pid_t pid;
	int lk, st = 0;

	(void)state;
	lk = netd_store_lock_network("n1", &err);
	assert_true(lk >= 0);
	assert_true(state_exists("networks/n1/lock"));
	assert_true(state_exists("networks/n1/ips"));
	assert_true(state_exists("networks/n1/endpoints"));

	/* Another process cannot take it while we hold it, and can once we let go. */
	snprintf(path, sizeof(path), "%s/networks/n1/lock", statedir);
	for (int round = 0; round < 2; round++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int fd = open(path, O_RDWR);

			if (fd < 0)
				_exit(2);
			_exit(flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), round == 0 ? 1 : 0);
		if (round == 0)
			close(lk);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key),
	    cmocka_unit_test(test_format_parse_roundtrip),
	    cmocka_unit_test(test_format_rejects),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_save_load_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_conflicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_release, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_foreach, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_locks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
