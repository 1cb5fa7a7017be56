/* SPDX-License-Identifier: MIT */
/* netd-cni: results in the shape of each cniVersion, VERSION answers, error objects. */
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

static struct cni_conf conf_of(const char *text)
{
	struct cni_conf c;
	struct cni_err e = {0};

	if (cni_conf_parse(text, strlen(text), CNI_ADD, &c, &e) < 0)
		fail_msg("parse: %s", e.msg);
	return c;
}

static struct cni_add_result sample(void)
{
	struct cni_add_result r = {0};
	static const uint8_t m0[6] = {0x0a, 0, 0, 0, 0, 1}, m2[6] = {0x0a, 0x58, 10, 22, 0, 5};
	static struct netd_route dflt[1];

	r.ifaces[0].name = "cni0";
	r.ifaces[0].has_mac = true;
	memcpy(r.ifaces[0].mac, m0, 6);
	r.ifaces[1].name = "nd12345678";
	r.ifaces[2].name = "eth0";
	r.ifaces[2].has_mac = true;
	memcpy(r.ifaces[2].mac, m2, 6);
	r.ifaces[2].sandbox = "/run/netns/c1";
	r.n_ifaces = 3;
	inet_pton(AF_INET, "10.22.0.5", &r.ip);
	inet_pton(AF_INET, "10.22.0.1", &r.gateway);
	r.prefix = 16;
	dflt[0].dst.ip.family = AF_INET;
	dflt[0].gw = netd_ip_from4(r.gateway);
	r.routes = dflt;
	r.n_routes = 1;
	return r;
}

/* sample() with its IPv6 half, as a dual-stack ADD reports it. */
static struct cni_add_result sample6(void)
{
	static struct netd_route dflt6[2];
	struct cni_add_result r = sample();

	assert_int_equal(netd_ip_parse("fd22::5", AF_INET6, &r.ip6, NULL), 0);
	assert_int_equal(netd_ip_parse("fd22::1", AF_INET6, &r.gateway6, NULL), 0);
	r.prefix6 = 64;
	dflt6[0] = r.routes[0];
	assert_int_equal(netd_prefix_parse("::/0", AF_INET6, &dflt6[1].dst, NULL), 0);
	dflt6[1].gw = r.gateway6;
	r.routes = dflt6;
	r.n_routes = 2;
	return r;
}

static const char *str_at(json_t *root, const char *path)
{
	/* path: "key" or "key[i].key" with one level of index */
	char key[64], sub[64];
	unsigned idx;

	if (sscanf(path, "%63[^[][%u].%63s", key, &idx, sub) == 3)
		return json_string_value(
		    json_object_get(json_array_get(json_object_get(root, key), idx), sub));
	return json_string_value(json_object_get(root, path));
}

static void test_result_100(void **state)
{
	struct cni_conf c = conf_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"dns\":{"
				    "\"nameservers\":[\"10.22.0.1\"],\"search\":[\"example\"]}}");
	struct cni_add_result r = sample();
	struct cni_err e = {0};
	json_t *res = cni_result_build(&c, &r, &e), *ip;

	assert_non_null(res);
	assert_string_equal(str_at(res, "cniVersion"), "1.0.0");
	assert_int_equal(json_array_size(json_object_get(res, "interfaces")), 3);
	assert_string_equal(str_at(res, "interfaces[0].name"), "cni0");
	assert_string_equal(str_at(res, "interfaces[0].mac"), "0a:00:00:00:00:01");
	assert_null(str_at(res, "interfaces[0].sandbox"));
	assert_string_equal(str_at(res, "interfaces[1].name"), "nd12345678");
	assert_null(str_at(res, "interfaces[1].mac")); /* unknown: left out, not made up */
	assert_string_equal(str_at(res, "interfaces[2].mac"), "0a:58:0a:16:00:05");
	assert_string_equal(str_at(res, "interfaces[2].sandbox"), "/run/netns/c1");
	assert_int_equal(json_array_size(json_object_get(res, "ips")), 1);
	ip = json_array_get(json_object_get(res, "ips"), 0);
	assert_string_equal(str_at(res, "ips[0].address"), "10.22.0.5/16");
	assert_string_equal(str_at(res, "ips[0].gateway"), "10.22.0.1");
	assert_int_equal(json_integer_value(json_object_get(ip, "interface")), 2);
	assert_null(json_object_get(ip, "version")); /* 1.x has no version */
	assert_string_equal(str_at(res, "routes[0].dst"), "0.0.0.0/0");
	assert_string_equal(str_at(res, "routes[0].gw"), "10.22.0.1");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(res, "dns"), "nameservers"), 0)),
			    "10.22.0.1");
	json_decref(res);
	cni_conf_free(&c);
}

static void test_result_shapes(void **state)
{
	static const struct {
		const char *v;
		bool has_version;
	} cases[] = {
	    {"0.3.0", true}, {"0.3.1", true}, {"0.4.0", true}, {"1.0.0", false}, {"1.1.0", false}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct cni_conf c;
		struct cni_add_result r = sample();
		struct cni_err e = {0};
		json_t *res, *ip;

		snprintf(text, sizeof(text), "{\"cniVersion\":\"%s\",\"name\":\"n\"}", cases[i].v);
		c = conf_of(text);
		res = cni_result_build(&c, &r, &e);
		assert_non_null(res);
		assert_string_equal(str_at(res, "cniVersion"), cases[i].v);
		ip = json_array_get(json_object_get(res, "ips"), 0);
		if (cases[i].has_version)
			assert_string_equal(json_string_value(json_object_get(ip, "version")), "4");
		else
			assert_null(json_object_get(ip, "version"));
		assert_int_equal(json_integer_value(json_object_get(ip, "interface")), 2);
		/* no dns in the config: an empty object, as the reference plugins write */
		assert_true(json_is_object(json_object_get(res, "dns")));
		json_decref(res);
		cni_conf_free(&c);
	}
}

static void test_result_dual_stack(void **state)
{
	/* both ips, each with its gateway and the container interface's index, in the shape of
	 * every version: "version" per ip before 1.0.0, none from 1.0.0 on */
	static const struct {
		const char *v;
		bool has_version;
	} cases[] = {
	    {"0.3.0", true}, {"0.3.1", true}, {"0.4.0", true}, {"1.0.0", false}, {"1.1.0", false}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct cni_conf c;
		struct cni_add_result r = sample6();
		struct cni_err e = {0};
		json_t *res, *ips;

		snprintf(text, sizeof(text), "{\"cniVersion\":\"%s\",\"name\":\"n\"}", cases[i].v);
		c = conf_of(text);
		res = cni_result_build(&c, &r, &e);
		assert_non_null(res);
		assert_string_equal(str_at(res, "cniVersion"), cases[i].v);
		ips = json_object_get(res, "ips");
		assert_int_equal(json_array_size(ips), 2);
		assert_string_equal(str_at(res, "ips[0].address"), "10.22.0.5/16");
		assert_string_equal(str_at(res, "ips[0].gateway"), "10.22.0.1");
		assert_string_equal(str_at(res, "ips[1].address"), "fd22::5/64");
		assert_string_equal(str_at(res, "ips[1].gateway"), "fd22::1");
		/* both default routes, each via its family's gateway */
		assert_string_equal(str_at(res, "routes[0].dst"), "0.0.0.0/0");
		assert_string_equal(str_at(res, "routes[0].gw"), "10.22.0.1");
		assert_string_equal(str_at(res, "routes[1].dst"), "::/0");
		assert_string_equal(str_at(res, "routes[1].gw"), "fd22::1");
		for (size_t k = 0; k < 2; k++) {
			json_t *ip = json_array_get(ips, k);

			assert_int_equal(json_integer_value(json_object_get(ip, "interface")), 2);
			if (cases[i].has_version)
				assert_string_equal(
				    json_string_value(json_object_get(ip, "version")),
				    k ? "6" : "4");
			else
				assert_null(json_object_get(ip, "version"));
			assert_int_equal(json_object_size(ip), cases[i].has_version ? 4 : 3);
		}
		json_decref(res);
		cni_conf_free(&c);
	}
}

static void test_result_one_family(void **state)
{
	struct cni_conf c = conf_of("{\"cniVersion\":\"0.4.0\",\"name\":\"n\"}");
	struct cni_add_result r = sample6();
	struct cni_err e = {0};
	json_t *res;

	/* IPv6 only: one ip, no IPv4 entry made up */
	r.ip.s_addr = 0;
	memset(&r.gateway6, 0, sizeof(r.gateway6)); /* and no gateway known: none written */
	res = cni_result_build(&c, &r, &e);
	assert_non_null(res);
	assert_int_equal(json_array_size(json_object_get(res, "ips")), 1);
	assert_string_equal(str_at(res, "ips[0].address"), "fd22::5/64");
	assert_string_equal(str_at(res, "ips[0].version"), "6");
	assert_null(str_at(res, "ips[0].gateway"));
	json_decref(res);
	/* IPv4 only: as before IPv6 existed */
	r = sample();
	res = cni_result_build(&c, &r, &e);
	assert_int_equal(json_array_size(json_object_get(res, "ips")), 1);
	assert_string_equal(str_at(res, "ips[0].version"), "4");
	json_decref(res);
	cni_conf_free(&c);
}

static void test_result_chained(void **state)
{
	/* after another interface plugin: ours are appended, indexes shift */
	struct cni_conf c = conf_of(
	    "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"prevResult\":{\"cniVersion\":\"0.4.0\","
	    "\"interfaces\":[{\"name\":\"lo\",\"sandbox\":\"/run/netns/c1\"}],\"ips\":[{"
	    "\"version\":\"6\",\"address\":\"fd00::5/64\",\"interface\":0}],\"dns\":{"
	    "\"domain\":\"prev\"}}}");
	struct cni_add_result r = sample();
	struct cni_err e = {0};
	json_t *res = cni_result_build(&c, &r, &e), *ips;

	assert_non_null(res);
	assert_int_equal(json_array_size(json_object_get(res, "interfaces")), 4);
	assert_string_equal(str_at(res, "interfaces[0].name"), "lo");
	assert_string_equal(str_at(res, "interfaces[3].name"), "eth0");
	ips = json_object_get(res, "ips");
	assert_int_equal(json_array_size(ips), 2);
	assert_string_equal(str_at(res, "ips[0].version"), "6");
	assert_string_equal(str_at(res, "ips[1].version"), "4");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ips, 1), "interface")),
			 3);
	assert_null(str_at(res, "dns")); /* an object, not a string */
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(res, "dns"), "domain")), "prev");
	/* the config's prevResult is not changed */
	assert_int_equal(json_array_size(json_object_get(c.prev_result, "interfaces")), 1);
	json_decref(res);
	cni_conf_free(&c);

	c = conf_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"prevResult\":{\"ips\":{}}}");
	r = sample();
	assert_null(cni_result_build(&c, &r, &e));
	assert_int_equal(e.code, CNI_ERR_DECODE);
	cni_conf_free(&c);
}

static void test_convert(void **state)
{
	struct cni_err e = {0};
	json_t *res = json_loads("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"},"
				 "{\"address\":\"fd00::2/64\"}]}",
				 0, NULL);

	assert_int_equal(cni_result_convert(res, CNI_V031, &e), 0);
	assert_string_equal(str_at(res, "cniVersion"), "0.3.1");
	assert_string_equal(str_at(res, "ips[0].version"), "4");
	assert_string_equal(str_at(res, "ips[1].version"), "6");
	assert_int_equal(cni_result_convert(res, CNI_V110, &e), 0);
	assert_string_equal(str_at(res, "cniVersion"), "1.1.0");
	assert_null(str_at(res, "ips[0].version"));
	json_decref(res);

	res = json_loads("{\"ips\":[{\"gateway\":\"10.0.0.1\"}]}", 0, NULL);
	assert_int_equal(cni_result_convert(res, CNI_V100, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	json_decref(res);
	res = json_loads("[]", 0, NULL);
	assert_int_equal(cni_result_convert(res, CNI_V100, &e), -1);
	json_decref(res);
}

static void test_result_ips(void **state)
{
	struct cni_ipam_addrs a;
	struct cni_err e = {0};
	char buf[NETD_IP_STRLEN];
	json_t *res = json_loads("{\"ips\":[{\"address\":\"fd00::5/64\",\"gateway\":\"fd00::1\"},"
				 "{\"address\":\"10.30.0.7/24\",\"gateway\":\"10.30.0.1\"},"
				 "{\"address\":\"10.30.0.8/24\"},{\"address\":\"fd00::6/64\"}]}",
				 0, NULL);

	/* the first address of each family, whatever the order */
	assert_int_equal(cni_result_ips(res, &a, &e), 0);
	assert_true(a.has_ip);
	assert_string_equal(inet_ntop(AF_INET, &a.ip, buf, sizeof(buf)), "10.30.0.7");
	assert_int_equal(a.prefix, 24);
	assert_string_equal(inet_ntop(AF_INET, &a.gateway, buf, sizeof(buf)), "10.30.0.1");
	assert_string_equal(netd_ip_format(&a.ip6, buf, sizeof(buf)), "fd00::5");
	assert_int_equal(a.prefix6, 64);
	assert_string_equal(netd_ip_format(&a.gateway6, buf, sizeof(buf)), "fd00::1");
	json_decref(res);

	res = json_loads("{\"ips\":[{\"address\":\"10.30.0.7/24\"}]}", 0, NULL);
	assert_int_equal(cni_result_ips(res, &a, &e), 0);
	assert_int_equal(a.gateway.s_addr, 0); /* no gateway: the caller uses the network's */
	assert_int_equal(a.ip6.family, 0);
	json_decref(res);
	res = json_loads("{\"ips\":[{\"address\":\"fd00::5/64\"}]}", 0, NULL);
	assert_int_equal(cni_result_ips(res, &a, &e), 0);
	assert_false(a.has_ip);
	assert_int_equal(a.ip6.family, AF_INET6);
	assert_int_equal(a.gateway6.family, 0);
	json_decref(res);

	res = json_loads("{\"ips\":[]}", 0, NULL);
	assert_int_equal(cni_result_ips(res, &a, &e), -1);
	assert_non_null(strstr(e.msg, "no IP address"));
	json_decref(res);
	res = json_loads("{\"ips\":[{\"address\":\"10.30.0.7/32\"}]}", 0, NULL);
	assert_int_equal(cni_result_ips(res, &a, &e), -1);
	assert_non_null(strstr(e.msg, "/32"));
	json_decref(res);
	res = json_loads("{\"ips\":[{\"address\":\"10.30.0.7/24\",\"gateway\":\"bad\"}]}", 0, NULL);
	assert_int_equal(cni_result_ips(res, &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	json_decref(res);
	/* a gateway of the other family */
	res = json_loads("{\"ips\":[{\"address\":\"fd00::5/64\",\"gateway\":\"10.0.0.1\"}]}", 0,
			 NULL);
	assert_int_equal(cni_result_ips(res, &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	assert_non_null(strstr(e.msg, "not an IPv6 address"));
	json_decref(res);
	res = json_loads("{\"ips\":[{\"address\":\"fd00::zz/64\"}]}", 0, NULL);
	assert_int_equal(cni_result_ips(res, &a, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	assert_non_null(strstr(e.msg, "ips[0].address"));
	json_decref(res);
}

static void test_prev_result_check(void **state)
{
	struct cni_err e = {0};
	struct in_addr ip, other, none = {0};
	struct netd_ip ip6, other6;
	json_t *prev =
	    json_loads("{\"interfaces\":[{\"name\":\"cni0\"},{\"name\":\"nd1\"},{\"name\":\"eth0\","
		       "\"sandbox\":\"/run/netns/c1\"}],\"ips\":[{\"address\":\"10.22.0.5/16\","
		       "\"interface\":2},{\"address\":\"fd22::5/64\",\"interface\":2}]}",
		       0, NULL);

	inet_pton(AF_INET, "10.22.0.5", &ip);
	inet_pton(AF_INET, "10.22.0.6", &other);
	assert_int_equal(netd_ip_parse("fd22::5", AF_INET6, &ip6, NULL), 0);
	assert_int_equal(netd_ip_parse("fd22::6", AF_INET6, &other6, NULL), 0);
	assert_int_equal(cni_prev_result_check(prev, "eth0", "/run/netns/c1", ip, NULL, &e), 0);
	assert_int_equal(cni_prev_result_check(prev, "eth0", "/run/netns/c1", ip, &ip6, &e), 0);
	assert_int_equal(cni_prev_result_check(prev, "eth0", "/run/netns/c1", none, &ip6, &e), 0);
	assert_int_equal(cni_prev_result_check(prev, "eth0", "/run/netns/c1", other, &ip6, &e), -1);
	assert_non_null(strstr(e.msg, "10.22.0.6"));
	/* the IPv6 half is checked too */
	assert_int_equal(cni_prev_result_check(prev, "eth0", "/run/netns/c1", ip, &other6, &e), -1);
	assert_string_equal(e.msg, "CHECK: prevResult says eth0 has fd22::5/64, but the attachment "
				   "has fd22::6");
	assert_int_equal(cni_prev_result_check(prev, "eth1", "/run/netns/c1", ip, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "eth1"));
	assert_int_equal(cni_prev_result_check(prev, "eth0", "/run/netns/c2", ip, NULL, &e), -1);
	json_decref(prev);

	/* an address that belongs to another interface does not count */
	prev = json_loads("{\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/n\"}],\"ips\":[{"
			  "\"address\":\"10.22.0.5/16\",\"interface\":1}]}",
			  0, NULL);
	assert_int_equal(cni_prev_result_check(prev, "eth0", "/n", ip, NULL, &e), -1);
	json_decref(prev);
	/* a result without the IPv6 address the attachment has */
	prev = json_loads("{\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/n\"}],\"ips\":[{"
			  "\"address\":\"10.22.0.5/16\",\"interface\":0}]}",
			  0, NULL);
	assert_int_equal(cni_prev_result_check(prev, "eth0", "/n", ip, NULL, &e), 0);
	assert_int_equal(cni_prev_result_check(prev, "eth0", "/n", ip, &ip6, &e), -1);
	assert_string_equal(e.msg, "CHECK: prevResult has no IPv6 address for eth0 (fd22::5)");
	json_decref(prev);
	assert_int_equal(cni_prev_result_check(NULL, "eth0", "/n", ip, NULL, &e), -1);
}

static void test_version_result(void **state)
{
	json_t *v = cni_version_result("0.4.0"), *sv;

	assert_string_equal(str_at(v, "cniVersion"), "0.4.0");
	sv = json_object_get(v, "supportedVersions");
	assert_int_equal(json_array_size(sv), 5);
	assert_string_equal(json_string_value(json_array_get(sv, 0)), "0.3.0");
	assert_string_equal(json_string_value(json_array_get(sv, 4)), "1.1.0");
	json_decref(v);
	v = cni_version_result("0.1.0");
	assert_string_equal(str_at(v, "cniVersion"), "1.1.0");
	json_decref(v);
	v = cni_version_result(NULL);
	assert_string_equal(str_at(v, "cniVersion"), "1.1.0");
	json_decref(v);
}

static void test_error_json(void **state)
{
	struct cni_err e = {0};
	json_t *j;

	cni_err_set(&e, CNI_ERR_CONFIG, "bridge %s: too long", "x");
	j = cni_error_json("0.3.1", &e);
	assert_string_equal(str_at(j, "cniVersion"), "0.3.1");
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 7);
	assert_string_equal(str_at(j, "msg"), "bridge x: too long");
	assert_null(json_object_get(j, "details"));
	json_decref(j);

	snprintf(e.details, sizeof(e.details), "File exists");
	j = cni_error_json("9.9.9", &e);
	assert_string_equal(str_at(j, "cniVersion"), "1.1.0");
	assert_string_equal(str_at(j, "details"), "File exists");
	json_decref(j);

	/* a message cut inside a UTF-8 sequence is still written */
	cni_err_set(&e, CNI_ERR_DECODE, "bad \xc3");
	j = cni_error_json("1.0.0", &e);
	assert_non_null(j);
	assert_string_equal(str_at(j, "msg"), "bad ?");
	json_decref(j);

	/* a failure never goes out as code 0 */
	memset(&e, 0, sizeof(e));
	j = cni_error_json(NULL, &e);
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 999);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_result_100),	      cmocka_unit_test(test_result_shapes),
	    cmocka_unit_test(test_result_dual_stack), cmocka_unit_test(test_result_one_family),
	    cmocka_unit_test(test_result_chained),    cmocka_unit_test(test_convert),
	    cmocka_unit_test(test_result_ips),	      cmocka_unit_test(test_prev_result_check),
	    cmocka_unit_test(test_version_result),    cmocka_unit_test(test_error_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
