/* SPDX-License-Identifier: MIT */
/* netd-cni: results, VERSION answers and errors, in the shape of the config's cniVersion. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <netd/addr.h>
#include "cni.h"

static json_t *mac_str(const uint8_t m[6])
{
	char buf[NETD_MAC_STRLEN];

	return json_string(netd_mac_format(m, buf, sizeof(buf)));
}

/* json_object_set_new that reports failure (jansson frees value on failure). */
static int set_new(json_t *obj, const char *key, json_t *value)
{
	if (!value)
		return -1;
	return json_object_set_new(obj, key, value);
}

static int append_new(json_t *arr, json_t *value)
{
	if (!value)
		return -1;
	return json_array_append_new(arr, value);
}

/* The array member key of res, created when absent; NULL when it is there but not an array. */
static json_t *member_array(json_t *res, const char *key)
{
	json_t *a = json_object_get(res, key);

	if (a && json_is_array(a))
		return a;
	if (a && !json_is_null(a))
		return NULL;
	a = json_array();
	if (!a || json_object_set_new(res, key, a) < 0)
		return NULL;
	return a;
}

/* {"address": "ADDR/LEN", "gateway": ..., "interface": index} appended to ips. */
static int append_ip(json_t *ips, const struct netd_prefix *p, const struct netd_ip *gw,
		     size_t iface)
{
	char buf[NETD_PREFIX_STRLEN];
	json_t *o = json_object();

	if (!o || set_new(o, "address", json_string(netd_prefix_format(p, buf, sizeof(buf)))) < 0 ||
	    (gw && set_new(o, "gateway", json_string(netd_ip_format(gw, buf, sizeof(buf)))) < 0) ||
	    set_new(o, "interface", json_integer((json_int_t)iface)) < 0 ||
	    append_new(ips, o) < 0) {
		json_decref(o);
		return -1;
	}
	return 0;
}

int cni_result_convert(json_t *res, int ver, struct cni_err *e)
{
	json_t *ips, *ip;
	size_t i;

	if (!json_is_object(res))
		return cni_err_set(e, CNI_ERR_DECODE, "result: expected an object");
	ips = json_object_get(res, "ips");
	if (ips && !json_is_null(ips) && !json_is_array(ips))
		return cni_err_set(e, CNI_ERR_DECODE, "result: ips: expected an array");
	json_array_foreach(ips, i, ip)
	{
		json_t *addr = json_object_get(ip, "address");

		if (!json_is_object(ip) || !json_is_string(addr))
			return cni_err_set(e, CNI_ERR_DECODE,
					   "result: ips[%zu]: expected an object with an address",
					   i);
		if (ver < CNI_V100) {
			const char *v = strchr(json_string_value(addr), ':') ? "6" : "4";

			if (set_new(ip, "version", json_string(v)) < 0)
				return cni_err_set(e, CNI_ERR_GENERIC, "out of memory");
		} else {
			json_object_del(ip, "version");
		}
	}
	if (set_new(res, "cniVersion", json_string(cni_versions[ver])) < 0)
		return cni_err_set(e, CNI_ERR_GENERIC, "out of memory");
	return 0;
}

json_t *cni_result_build(const struct cni_conf *c, const struct cni_add_result *r,
			 struct cni_err *e)
{
	json_t *res, *ifaces, *ips, *routes, *o;
	size_t base, ctr = 0;
	char addr[NETD_PREFIX_STRLEN];
	struct netd_prefix pfx;

	if (c->prev_result) {
		/* Chained after another interface plugin: append to what it reported. */
		res = json_deep_copy(c->prev_result);
	} else {
		res = json_object();
	}
	if (!res) {
		cni_err_set(e, CNI_ERR_GENERIC, "out of memory");
		return NULL;
	}
	/* cniVersion first, as people read it; cni_result_convert sets the value. */
	if (!json_object_get(res, "cniVersion") &&
	    set_new(res, "cniVersion", json_string(cni_versions[c->ver])) < 0)
		goto oom;
	ifaces = member_array(res, "interfaces");
	ips = member_array(res, "ips");
	routes = member_array(res, "routes");
	if (!ifaces || !ips || !routes) {
		cni_err_set(e, CNI_ERR_DECODE,
			    "prevResult: interfaces, ips and routes must be arrays");
		goto fail;
	}
	base = json_array_size(ifaces);
	for (size_t i = 0; i < r->n_ifaces; i++) {
		const struct cni_iface *f = &r->ifaces[i];

		o = json_object();
		if (!o || set_new(o, "name", json_string(f->name)) < 0 ||
		    (f->has_mac && set_new(o, "mac", mac_str(f->mac)) < 0) ||
		    (f->sandbox && set_new(o, "sandbox", json_string(f->sandbox)) < 0) ||
		    append_new(ifaces, o) < 0) {
			json_decref(o);
			goto oom;
		}
		if (f->sandbox)
			ctr = i;
	}
	if (r->ip.s_addr) {
		struct netd_ip gw = netd_ip_from4(r->gateway);

		pfx = netd_prefix_from4(r->ip, r->prefix);
		if (append_ip(ips, &pfx, r->gateway.s_addr ? &gw : NULL, base + ctr) < 0)
			goto oom;
	}
	if (r->ip6.family) {
		pfx.ip = r->ip6;
		pfx.len = r->prefix6;
		if (append_ip(ips, &pfx, r->gateway6.family ? &r->gateway6 : NULL, base + ctr) < 0)
			goto oom;
	}
	for (size_t i = 0; i < r->n_routes; i++) {
		const struct netd_route *rt = &r->routes[i];
		char gws[NETD_IP_STRLEN];

		netd_prefix_format(&rt->dst, addr, sizeof(addr));
		netd_ip_format(&rt->gw, gws, sizeof(gws));
		o = json_object();
		if (!o || set_new(o, "dst", json_string(addr)) < 0 ||
		    (!netd_ip_is_zero(&rt->gw) && set_new(o, "gw", json_string(gws)) < 0) ||
		    append_new(routes, o) < 0) {
			json_decref(o);
			goto oom;
		}
	}
	if (c->dns) {
		if (set_new(res, "dns", json_deep_copy(c->dns)) < 0)
			goto oom;
	} else if (!json_object_get(res, "dns")) {
		if (set_new(res, "dns", json_object()) < 0)
			goto oom;
	}
	if (cni_result_convert(res, c->ver, e) < 0)
		goto fail;
	return res;
oom:
	cni_err_set(e, CNI_ERR_GENERIC, "out of memory");
fail:
	json_decref(res);
	return NULL;
}

int cni_result_ips(json_t *res, struct cni_ipam_addrs *a, struct cni_err *e)
{
	json_t *ips = json_object_get(res, "ips"), *v;
	size_t i;

	memset(a, 0, sizeof(*a));
	json_array_foreach(ips, i, v)
	{
		const char *addr = json_string_value(json_object_get(v, "address"));
		const char *g = json_string_value(json_object_get(v, "gateway"));
		struct netd_prefix p;
		struct netd_ip gw = {0};

		if (!addr || netd_prefix_parse(addr, AF_UNSPEC, &p, NULL) < 0)
			return cni_err_set(e, CNI_ERR_DECODE,
					   "the IPAM result's ips[%zu].address \"%.64s\" is not "
					   "ADDRESS/PREFIX",
					   i, addr ? addr : "");
		if ((p.ip.family == AF_INET && a->has_ip) ||
		    (p.ip.family == AF_INET6 && a->ip6.family))
			continue; /* one address per family: the first */
		if (g && netd_ip_parse(g, p.ip.family, &gw, NULL) < 0)
			return cni_err_set(e, CNI_ERR_DECODE,
					   "the IPAM result's gateway \"%.64s\" is not an %s "
					   "address",
					   g, p.ip.family == AF_INET6 ? "IPv6" : "IPv4");
		if (p.ip.family == AF_INET6) {
			a->ip6 = p.ip;
			a->prefix6 = p.len;
			a->gateway6 = gw;
			continue;
		}
		if (p.len < 8 || p.len > 30)
			return cni_err_set(
			    e, CNI_ERR_GENERIC,
			    "the IPAM result's address %.64s has prefix /%u; netd-cni "
			    "needs /8 to /30",
			    addr, p.len);
		a->has_ip = true;
		a->ip = p.ip.v4;
		a->prefix = p.len;
		a->gateway = gw.v4;
	}
	if (!a->has_ip && !a->ip6.family)
		return cni_err_set(e, CNI_ERR_GENERIC, "the IPAM result has no IP address");
	return 0;
}

/* The ips entry of prevResult for interface idx and want's family must be want. */
static int prev_has_ip(json_t *ips, long idx, const char *ifname, const struct netd_ip *want,
		       struct cni_err *e)
{
	char w[NETD_IP_STRLEN];
	json_t *v;
	size_t i;

	netd_ip_format(want, w, sizeof(w));
	json_array_foreach(ips, i, v)
	{
		const char *addr = json_string_value(json_object_get(v, "address"));
		json_t *itf = json_object_get(v, "interface");
		struct netd_prefix p;

		if (!addr || netd_prefix_parse(addr, want->family, &p, NULL) < 0)
			continue;
		if (itf && (!json_is_integer(itf) || json_integer_value(itf) != idx))
			continue;
		if (netd_ip_equal(&p.ip, want))
			return 0;
		return cni_err_set(e, CNI_ERR_GENERIC,
				   "CHECK: prevResult says %s has %s, but the attachment has %s",
				   ifname, addr, w);
	}
	return cni_err_set(e, CNI_ERR_GENERIC, "CHECK: prevResult has no %s address for %s (%s)",
			   want->family == AF_INET6 ? "IPv6" : "IPv4", ifname, w);
}

int cni_prev_result_check(json_t *prev, const char *ifname, const char *netns, struct in_addr ip,
			  const struct netd_ip *ip6, struct cni_err *e)
{
	json_t *ifaces = json_object_get(prev, "interfaces");
	json_t *ips = json_object_get(prev, "ips"), *v;
	struct netd_ip ip4 = netd_ip_from4(ip);
	long idx = -1;
	size_t i;

	json_array_foreach(ifaces, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *sb = json_string_value(json_object_get(v, "sandbox"));

		if (name && sb && strcmp(name, ifname) == 0 && (!netns || strcmp(sb, netns) == 0)) {
			idx = (long)i;
			break;
		}
	}
	if (idx < 0)
		return cni_err_set(e, CNI_ERR_GENERIC,
				   "CHECK: prevResult lists no interface %s in sandbox %s", ifname,
				   netns ? netns : "(any)");
	if (ip.s_addr && prev_has_ip(ips, idx, ifname, &ip4, e) < 0)
		return -1;
	if (ip6 && ip6->family && prev_has_ip(ips, idx, ifname, ip6, e) < 0)
		return -1;
	return 0;
}

json_t *cni_version_result(const char *cni_version)
{
	json_t *res = json_object(), *sv = json_array();

	if (!res || !sv)
		goto fail;
	if (cni_version_index(cni_version) < 0)
		cni_version = cni_versions[CNI_V110];
	for (int i = 0; i < CNI_NVERSIONS; i++)
		if (append_new(sv, json_string(cni_versions[i])) < 0)
			goto fail;
	if (set_new(res, "cniVersion", json_string(cni_version)) < 0)
		goto fail;
	if (json_object_set_new(res, "supportedVersions", sv) < 0)
		goto fail_res;
	return res;
fail:
	json_decref(sv);
fail_res:
	json_decref(res);
	return NULL;
}

/* Messages quote outside input cut at a byte count: never let bad UTF-8 lose the error. */
static json_t *text_str(const char *s)
{
	char buf[CNI_MSG_MAX];
	json_t *j = json_string(s);
	size_t i;

	if (j)
		return j;
	for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	buf[i] = '\0';
	return json_string(buf);
}

json_t *cni_error_json(const char *cni_version, const struct cni_err *e)
{
	json_t *res = json_object();

	if (!res)
		return NULL;
	if (cni_version_index(cni_version) < 0)
		cni_version = cni_versions[CNI_V110];
	if (set_new(res, "cniVersion", json_string(cni_version)) < 0 ||
	    set_new(res, "code", json_integer(e->code ? e->code : CNI_ERR_GENERIC)) < 0 ||
	    set_new(res, "msg", text_str(e->msg[0] ? e->msg : "unknown error")) < 0 ||
	    (e->details[0] && set_new(res, "details", text_str(e->details)) < 0)) {
		json_decref(res);
		return NULL;
	}
	return res;
}

int cni_print_json(json_t *j)
{
	if (!j)
		return -1;
	if (json_dumpf(j, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER) < 0)
		return -1;
	if (fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		return -1;
	return 0;
}
