/* SPDX-License-Identifier: MIT */
/* Names on networks (dns.c): the DNS label rule, the resolv.conf a container gets, the server
 * binary lookup, and the config file rebuilt from endpoint records (no server: the binary is
 * pointed at a path that does not exist, so nothing is started). */
#include <arpa/inet.h>
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
#include <unistd.h>
#include <cmocka.h>
#include <netd/dns.h>
#include <netd/names.h>
#include <netd/netconf.h>
#include "dns_priv.h"
#include "endpoint_store.h"

static char top[PATH_MAX];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	char d[PATH_MAX + 16];

	(void)state;
	snprintf(top, sizeof(top), "/tmp/netd-test-dns.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(d, sizeof(d), "%s/state", top);
	setenv("NETD_STATE_DIR", d, 1);
	snprintf(d, sizeof(d), "%s/etc", top);
	setenv("NETD_CONFIG_DIR", d, 1);
	setenv("NETD_AARDVARK", "/nonexistent/aardvark-dns", 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("NETD_AARDVARK");
	return 0;
}

static void test_label(void **state)
{
	struct netd_err err = {0};
	char max[NETD_DNSNAME_MAX + 2];

	(void)state;
	assert_int_equal(netd_name_check_dns("web", &err), 0);
	assert_int_equal(netd_name_check_dns("Web-1", &err), 0);
	assert_int_equal(netd_name_check_dns("0", &err), 0);
	memset(max, 'a', NETD_DNSNAME_MAX);
	max[NETD_DNSNAME_MAX] = '\0';
	assert_int_equal(netd_name_check_dns(max, &err), 0);
	max[NETD_DNSNAME_MAX] = 'a';
	max[NETD_DNSNAME_MAX + 1] = '\0';
	assert_int_equal(netd_name_check_dns(max, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "too long (64 characters, at most 63)"));
	static const char *const bad[] = {"", "-web", "web-", "my_app", "a.b", "a b", "x/y", "é"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.code = 0;
		assert_int_equal(netd_name_check_dns(bad[i], &err), -EINVAL);
		assert_int_equal(err.code, EINVAL);
		assert_non_null(strstr(err.msg, "invalid name"));
	}
	assert_int_equal(netd_name_check_dns(NULL, &err), -EINVAL);
}

/* "A" or "A,B": the gateways a container asks. */
static size_t gws_of(const char *gw, struct netd_ip g[2])
{
	char buf[128], *save = NULL;
	size_t n = 0;

	if (!gw)
		return 0;
	snprintf(buf, sizeof(buf), "%s", gw);
	for (char *a = strtok_r(buf, ",", &save); a && n < 2; a = strtok_r(NULL, ",", &save))
		assert_int_equal(netd_ip_parse(a, AF_UNSPEC, &g[n++], NULL), 0);
	return n;
}

static void render_fam(const char *host, const char *resolved, const char *gw, unsigned fam,
		       const char *want)
{
	char buf[1024];
	struct netd_ip g[2];
	size_t n = gws_of(gw, g);

	netd_dns_resolv_render(host, resolved, g, n, fam, NULL, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* An IPv4-only container. */
static void render(const char *host, const char *resolved, const char *gw, const char *want)
{
	render_fam(host, resolved, gw, NETD_DNS_V4, want);
}

static void test_resolv(void **state)
{
	(void)state;
	/* Served: the gateway alone, our search domain first, the host's after; options kept. */
	render("search corp.example\nnameserver 10.1.1.1\noptions ndots:2\n", NULL, "10.77.0.1",
	       "search dns.netd corp.example\nnameserver 10.77.0.1\noptions ndots:2\n");
	render("nameserver 10.1.1.1\n", NULL, "10.77.0.1",
	       "search dns.netd\nnameserver 10.77.0.1\n");
	/* Dual stack: both gateways, IPv4 first; IPv6 only: the IPv6 gateway alone. */
	render("nameserver 10.1.1.1\n", NULL, "10.77.0.1,fd77::1",
	       "search dns.netd\nnameserver 10.77.0.1\nnameserver fd77::1\n");
	render("nameserver 10.1.1.1\n", NULL, "fd78::1", "search dns.netd\nnameserver fd78::1\n");
	/* Not served: the host's resolvers a container can reach; loopback, IPv6 and scoped go. */
	render("# c\nnameserver 127.0.0.1\n  nameserver\t10.1.1.1  \nnameserver ::1\n"
	       "nameserver 2001:db8::1\nnameserver fe80::1%eth0\nnameserver 10.1.1.2\n"
	       "domain a.example\nsearch b.example c.example\n",
	       NULL, NULL,
	       "search b.example c.example\nnameserver 10.1.1.1\nnameserver 10.1.1.2\n");
	/* systemd-resolved: only its stub -> the upstreams it uses. */
	render("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n",
	       "nameserver 192.0.2.1\nnameserver 192.0.2.2\n", NULL,
	       "search lan\nnameserver 192.0.2.1\nnameserver 192.0.2.2\noptions edns0 trust-ad\n");
	/* Nothing reachable anywhere: Docker's public fallbacks. */
	render("nameserver 127.0.0.53\n", "nameserver 127.0.0.1\n", NULL,
	       "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	render(NULL, NULL, NULL, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	/* No family at all (no network): as IPv4 only, Docker's container without IPv6. */
	render_fam("nameserver 2001:db8::1\nnameserver 10.1.1.1\n", NULL, NULL, 0,
		   "nameserver 10.1.1.1\n");
	render_fam(NULL, NULL, NULL, 0, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	/* At most three name servers (glibc reads no more); garbage lines ignored. */
	render("nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver "
	       "10.0.0.4\nnameserverX 10.0.0.9\nnameserver 10.0.0.300\n",
	       NULL, NULL, "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n");
}

#define V4   NETD_DNS_V4
#define V6   NETD_DNS_V6
#define DUAL (NETD_DNS_V4 | NETD_DNS_V6)
#define FB4  "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
#define FB6  "nameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n"
/* Only servers that are the host's own: loopback, scoped, link-local (any spelling). */
#define LOCAL                                                                                      \
	"nameserver 127.0.0.53\nnameserver ::1\nnameserver fe80::1%eth0\nnameserver "              \
	"fe80::1\nnameserver FE80::2\n"

/* Not served: the host's servers of the families the container has, in the file's order. */
static void test_resolv_families(void **state)
{
	const char *only4 = "nameserver 10.1.1.1\nnameserver 10.1.1.2\n";
	const char *only6 = "search lan\nnameserver 2001:db8::1\nnameserver 2001:db8::2\n";
	const char *mixed = "nameserver 2001:db8::1\nnameserver 10.1.1.1\nnameserver 2001:db8::2\n"
			    "nameserver 10.1.1.2\n";

	(void)state;
	/* Host with IPv4 servers only. */
	render_fam(only4, NULL, NULL, V4, "nameserver 10.1.1.1\nnameserver 10.1.1.2\n");
	render_fam(only4, NULL, NULL, DUAL, "nameserver 10.1.1.1\nnameserver 10.1.1.2\n");
	render_fam(only4, NULL, NULL, V6, FB6);
	/* Host with IPv6 servers only. */
	render_fam(only6, NULL, NULL, V4, "search lan\n" FB4);
	render_fam(only6, NULL, NULL, DUAL,
		   "search lan\nnameserver 2001:db8::1\nnameserver 2001:db8::2\n");
	render_fam(only6, NULL, NULL, V6,
		   "search lan\nnameserver 2001:db8::1\nnameserver 2001:db8::2\n");
	/* Mixed: each family alone, both in the file's order (at most three). */
	render_fam(mixed, NULL, NULL, V4, "nameserver 10.1.1.1\nnameserver 10.1.1.2\n");
	render_fam(mixed, NULL, NULL, V6, "nameserver 2001:db8::1\nnameserver 2001:db8::2\n");
	render_fam(mixed, NULL, NULL, DUAL,
		   "nameserver 2001:db8::1\nnameserver 10.1.1.1\nnameserver 2001:db8::2\n");
	/* Loopback, scoped and link-local ones are the host's: the fallback of each family. */
	render_fam(LOCAL, NULL, NULL, V4, FB4);
	render_fam(LOCAL, NULL, NULL, V6, FB6);
	render_fam(LOCAL, NULL, NULL, DUAL, FB4 FB6);
	render_fam(LOCAL "nameserver 2001:db8::53\n", NULL, NULL, DUAL,
		   "nameserver 2001:db8::53\n");
	/* systemd-resolved's upstreams go through the same filter. */
	render_fam("nameserver 127.0.0.53\n", "nameserver 192.0.2.1\nnameserver 2001:db8::9\n",
		   NULL, V6, "nameserver 2001:db8::9\n");
	render_fam("nameserver 127.0.0.53\n", "nameserver 192.0.2.1\n", NULL, V6, FB6);
	render_fam(NULL, NULL, NULL, DUAL, FB4 FB6);
	/* Served: the gateways, whatever the host has. */
	render_fam(only4, NULL, "fd78::1", V6, "search dns.netd\nnameserver fd78::1\n");
	/* The host's namespace: every server, loopback included; the family only picks the
	 * fallback. */
	render_fam(LOCAL "nameserver 10.1.1.1\n", NULL, NULL, NETD_DNS_HOST | V6,
		   "nameserver 127.0.0.53\nnameserver ::1\nnameserver fe80::1\n");
	render_fam(NULL, NULL, NULL, NETD_DNS_HOST | V4, FB4);
}

/* The families come from every endpoint a container has. */
static void test_families(void **state)
{
	struct netd_endpoint eps[3];

	(void)state;
	memset(eps, 0, sizeof(eps));
	assert_int_equal(netd_dns_families(NULL, 0), 0);
	assert_int_equal(netd_dns_families(eps, 1), 0);
	inet_pton(AF_INET, "10.1.0.2", &eps[0].ip);
	assert_int_equal(netd_dns_families(eps, 1), V4);
	assert_int_equal(netd_ip_parse("fd65::2", AF_INET6, &eps[1].ip6, NULL), 0);
	assert_int_equal(netd_dns_families(eps, 1), V4);
	assert_int_equal(netd_dns_families(eps, 2), DUAL);
	assert_int_equal(netd_dns_families(eps + 1, 1), V6);
	assert_int_equal(netd_dns_families(eps + 1, 2), V6);
}

static void render_user(const char *host, const char *gw, bool host_netns,
			const struct netd_dns_user *u, const char *want)
{
	char buf[1024];
	struct netd_ip g[2];
	size_t n = gws_of(gw, g);

	netd_dns_resolv_render(host, NULL, g, n,
			       host_netns ? NETD_DNS_HOST | NETD_DNS_V4 : NETD_DNS_V4, u, buf,
			       sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_resolv_user(void **state)
{
	static const char *const ns[] = {"192.0.2.9", "192.0.2.10"};
	static const char *const search[] = {"a.example", "b.example"};
	const struct netd_dns_user both = {ns, 2, search, 2}, only_ns = {ns, 1, NULL, 0},
				   only_search = {NULL, 0, search, 1};
	const char *host = "search corp.example\nnameserver 127.0.0.1\nnameserver 10.1.1.1\n"
			   "options ndots:2\n";

	(void)state;
	/* --dns wins over the network's server, and the search list is then the host's. */
	render_user(host, "10.77.0.1", false, &only_ns,
		    "search corp.example\nnameserver 192.0.2.9\noptions ndots:2\n");
	/* --dns-search replaces the search list; the network's server stays. */
	render_user(host, "10.77.0.1", false, &only_search,
		    "search a.example\nnameserver 10.77.0.1\noptions ndots:2\n");
	render_user(host, NULL, false, &both,
		    "search a.example b.example\nnameserver 192.0.2.9\nnameserver 192.0.2.10\n"
		    "options ndots:2\n");
	/* The host's namespace: its loopback resolver is reachable and kept. */
	render_user(host, NULL, true, &only_search,
		    "search a.example\nnameserver 127.0.0.1\nnameserver 10.1.1.1\n"
		    "options ndots:2\n");
	/* Nothing asked: the rule as without a user. */
	render_user(host, "10.77.0.1", false, &(const struct netd_dns_user){0},
		    "search dns.netd corp.example\nnameserver 10.77.0.1\noptions ndots:2\n");
}

static void test_server_path(void **state)
{
	(void)state;
	setenv("NETD_AARDVARK", "/nonexistent/aardvark-dns", 1);
	assert_null(netd_dns_server_path());
	setenv("NETD_AARDVARK", "/bin/true", 1);
	assert_string_equal(netd_dns_server_path(), "/bin/true");
	setenv("NETD_AARDVARK", "/nonexistent/aardvark-dns", 1);
}

static struct netd_endpoint ep_named(const char *net, const char *id, const char *ip,
				     const char *name, const char *alias)
{
	struct netd_endpoint ep = {0};

	snprintf(ep.network, sizeof(ep.network), "%s", net);
	snprintf(ep.id, sizeof(ep.id), "%s", id);
	snprintf(ep.ifname, sizeof(ep.ifname), "eth0");
	snprintf(ep.state, sizeof(ep.state), "ready");
	inet_pton(AF_INET, ip, &ep.ip);
	ep.prefix = 24;
	if (name)
		snprintf(ep.name, sizeof(ep.name), "%s", name);
	if (alias) {
		snprintf(ep.aliases[0], sizeof(ep.aliases[0]), "%s", alias);
		ep.n_aliases = 1;
	}
	return ep;
}

static char *config_text(const char *net)
{
	char path[PATH_MAX + 32], *t = NULL;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/state/dns/%s", top, net);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (getdelim(&t, &n, '\0', f) < 0) {
		free(t);
		t = NULL;
	}
	fclose(f);
	return t;
}

/* The config file is the records' names, rebuilt on every sync, gone with the last name. */
static void test_sync(void **state)
{
	struct netd_netconf nc = {0};
	struct netd_endpoint a = ep_named("lab", "c1", "10.77.0.2", "web", "www");
	struct netd_endpoint b = ep_named("lab", "c2", "10.77.0.3", NULL, "db");
	struct netd_endpoint c = ep_named("lab", "c3", "10.77.0.4", NULL, NULL);
	struct netd_endpoint d = ep_named("lab", "c4", "10.77.0.5", "WWW", NULL);
	struct netd_attach_req req = {0};
	const char *dup[] = {"www", "Www", "x"};
	struct netd_err err = {0};
	char *t;

	(void)state;
	snprintf(nc.name, sizeof(nc.name), "lab");
	inet_pton(AF_INET, "10.77.0.0", &nc.subnet);
	nc.prefix = 24;
	assert_int_equal(netd_netconf_finish(&nc, "lab", &err), 0);
	assert_int_equal(netd_netconf_save(&nc, &err), 0);

	assert_int_equal(netd_dns_sync("lab", &err), 0);
	assert_null(config_text("lab"));
	assert_int_equal(netd_store_endpoint_save(&a, &err), 0);
	assert_int_equal(netd_store_endpoint_save(&b, &err), 0);
	assert_int_equal(netd_store_endpoint_save(&c, &err), 0);
	assert_int_equal(netd_dns_sync("lab", &err), 0);
	t = config_text("lab");
	assert_non_null(t);
	/* First line: the gateway, then the upstreams; no line for the unnamed c3. */
	assert_true(strncmp(t, "10.77.0.1 ", 10) == 0);
	assert_non_null(strstr(t, "\nc1 10.77.0.2  web,www\nc2 10.77.0.3  db\n"));
	assert_null(strstr(t, "c3"));
	free(t);

	/* A taken name (any case) is refused; the endpoint's own record does not count. */
	assert_int_equal(netd_dns_names_free(&d, &err), -EADDRINUSE);
	assert_non_null(
	    strstr(err.msg, "name WWW is already taken on network lab by endpoint c1/eth0"));
	assert_int_equal(netd_dns_names_free(&a, &err), 0);
	d.name[0] = '\0';
	assert_int_equal(netd_dns_names_free(&d, &err), 0);

	/* Names of a request: checked, each once. */
	req.name = "www";
	req.aliases = dup;
	req.n_aliases = 3;
	assert_int_equal(netd_dns_names_set(&d, &req, &err), 0);
	assert_string_equal(d.name, "www");
	assert_int_equal(d.n_aliases, 1);
	assert_string_equal(d.aliases[0], "x");
	req.name = "a_b";
	assert_int_equal(netd_dns_names_set(&d, &req, &err), -EINVAL);

	assert_int_equal(netd_store_endpoint_delete("lab", "c1", "eth0", &err), 0);
	assert_int_equal(netd_dns_sync("lab", &err), 0);
	t = config_text("lab");
	assert_non_null(t);
	assert_null(strstr(t, "web"));
	free(t);
	assert_int_equal(netd_store_endpoint_delete("lab", "c2", "eth0", &err), 0);
	assert_int_equal(netd_dns_converge(&err), 0);
	assert_null(config_text("lab"));
	assert_int_equal(netd_dns_server_pid(), 0);
}

/* Both gateways on the first line; an IPv6-only endpoint's IPv4 column is empty; a container
 * asks the gateways of the families it has. */
static void test_sync_v6(void **state)
{
	struct netd_netconf dual = {0}, v6 = {0};
	struct netd_endpoint a = ep_named("dual", "c1", "10.78.0.2", "web", NULL);
	struct netd_endpoint b = ep_named("v6net", "c2", "0.0.0.0", "db", NULL);
	struct netd_err err = {0};
	struct netd_ip gws[2];
	char g[NETD_IP_STRLEN], *t;

	(void)state;
	assert_int_equal(netd_netconf_parse(
			     "dual", NULL, "subnet=10.78.0.0/24\nsubnet6=fd78::/64\n", &dual, &err),
			 0);
	assert_int_equal(netd_netconf_save(&dual, &err), 0);
	assert_int_equal(netd_netconf_parse("v6net", NULL, "subnet6=fd79::/64\n", &v6, &err), 0);
	assert_int_equal(netd_netconf_save(&v6, &err), 0);
	assert_int_equal(netd_ip_parse("fd78::2", AF_INET6, &a.ip6, NULL), 0);
	a.prefix6 = 64;
	assert_int_equal(netd_ip_parse("fd79::2", AF_INET6, &b.ip6, NULL), 0);
	b.prefix = 0;
	b.prefix6 = 64;
	assert_int_equal(netd_store_endpoint_save(&a, &err), 0);
	assert_int_equal(netd_store_endpoint_save(&b, &err), 0);
	assert_int_equal(netd_dns_sync("dual", &err), 0);
	assert_int_equal(netd_dns_sync("v6net", &err), 0);
	t = config_text("dual");
	assert_non_null(t);
	assert_true(strncmp(t, "10.78.0.1,fd78::1 ", 18) == 0);
	assert_non_null(strstr(t, "\nc1 10.78.0.2 fd78::2 web\n"));
	free(t);
	t = config_text("v6net");
	assert_non_null(t);
	assert_true(strncmp(t, "fd79::1 ", 8) == 0);
	assert_non_null(strstr(t, "\nc2  fd79::2 db\n"));
	free(t);

	/* Served (a server binary exists): the gateways each container reaches, IPv4 first. */
	setenv("NETD_AARDVARK", "/bin/true", 1);
	assert_int_equal(netd_dns_gateways(&a, gws), 2);
	assert_string_equal(netd_ip_format(&gws[0], g, sizeof(g)), "10.78.0.1");
	assert_string_equal(netd_ip_format(&gws[1], g, sizeof(g)), "fd78::1");
	assert_int_equal(netd_dns_gateways(&b, gws), 1);
	assert_string_equal(netd_ip_format(&gws[0], g, sizeof(g)), "fd79::1");
	/* Not a network name: nothing is read, even a path that leads to a network's config. */
	struct netd_endpoint bad = a;
	snprintf(bad.network, sizeof(bad.network), "../etc/dual");
	assert_int_equal(netd_dns_gateways(&bad, gws), 0);
	setenv("NETD_AARDVARK", "/nonexistent/aardvark-dns", 1);
	assert_int_equal(netd_dns_gateways(&a, gws), 0);

	assert_int_equal(netd_store_endpoint_delete("dual", "c1", "eth0", &err), 0);
	assert_int_equal(netd_store_endpoint_delete("v6net", "c2", "eth0", &err), 0);
	assert_int_equal(netd_dns_converge(&err), 0);
	assert_null(config_text("v6net"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_label),
	    cmocka_unit_test(test_resolv),
	    cmocka_unit_test(test_resolv_families),
	    cmocka_unit_test(test_families),
	    cmocka_unit_test(test_resolv_user),
	    cmocka_unit_test_setup_teardown(test_server_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync_v6, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
