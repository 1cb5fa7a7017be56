/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <netd/addr.h>
#include <string.h>
#include "cli.h"

static json_t *ip_json(struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	netd_ip4_format(a, s, sizeof(s));
	return json_string(s);
}

static json_t *routes_json(const struct netd_route *routes, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		char dst[NETD_PREFIX_STRLEN], gw[NETD_IP_STRLEN];
		json_t *rj = json_object();

		netd_prefix_format(&routes[i].dst, dst, sizeof(dst));
		json_object_set_new(rj, "dst", json_string(dst));
		if (!netd_ip_is_zero(&routes[i].gw))
			json_object_set_new(
			    rj, "gw", json_string(netd_ip_format(&routes[i].gw, gw, sizeof(gw))));
		json_array_append_new(arr, rj);
	}
	return arr;
}

json_t *cli_endpoint_json(const struct netd_endpoint *ep)
{
	struct netd_prefix pfx = netd_prefix_from4(ep->ip, ep->prefix);
	char addr[NETD_PREFIX_STRLEN], mac[NETD_MAC_STRLEN];
	json_t *o = json_object(), *ports = json_array();

	netd_prefix_format(&pfx, addr, sizeof(addr));
	netd_mac_format(ep->mac, mac, sizeof(mac));
	json_object_set_new(o, "id", json_string(ep->id));
	json_object_set_new(o, "network", json_string(ep->network));
	json_object_set_new(o, "ifname", json_string(ep->ifname));
	json_object_set_new(o, "mac", json_string(mac));
	/* An endpoint of an IPv6-only network has address6 only. */
	if (ep->ip.s_addr)
		json_object_set_new(o, "address", json_string(addr));
	if (ep->ip.s_addr || ep->gateway.s_addr)
		json_object_set_new(o, "gateway", ip_json(ep->gateway));
	if (ep->ip6.family == AF_INET6) {
		struct netd_prefix p6 = {.ip = ep->ip6, .len = ep->prefix6};
		char a6[NETD_PREFIX_STRLEN], g6[NETD_IP_STRLEN];

		json_object_set_new(o, "address6",
				    json_string(netd_prefix_format(&p6, a6, sizeof(a6))));
		if (ep->gateway6.family == AF_INET6)
			json_object_set_new(
			    o, "gateway6",
			    json_string(netd_ip_format(&ep->gateway6, g6, sizeof(g6))));
	}
	json_object_set_new(o, "host_interface", json_string(ep->host_ifname));
	json_object_set_new(o, "bridge", json_string(ep->bridge));
	json_object_set_new(o, "netns", json_string(ep->netns));
	json_object_set_new(o, "mtu", json_integer(ep->mtu));
	json_object_set_new(o, "state", json_string(ep->state));
	json_object_set_new(o, "created", json_integer((json_int_t)ep->created));
	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct netd_port *p = &ep->ports[i];
		json_t *pj = json_object();
		json_object_set_new(pj, "proto", json_string(netd_proto_name(p->proto)));
		char hip[NETD_IP_STRLEN];

		json_object_set_new(pj, "host_ip",
				    json_string(netd_ip_format(&p->host_ip, hip, sizeof(hip))));
		json_object_set_new(pj, "host_port", json_integer(p->host_port));
		json_object_set_new(pj, "container_port", json_integer(p->ctr_port));
		json_array_append_new(ports, pj);
	}
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "routes", routes_json(ep->routes, ep->n_routes));
	if (netd_dns_named(ep)) {
		json_t *al = json_array(), *dns = json_object(), *ns = json_array();
		struct netd_ip gws[2];
		size_t n_gws;

		if (ep->name[0])
			json_object_set_new(o, "name", json_string(ep->name));
		for (size_t i = 0; i < ep->n_aliases; i++)
			json_array_append_new(al, json_string(ep->aliases[i]));
		json_object_set_new(o, "aliases", al);
		/* Where the names are answered: the network's gateways, when a server can run. */
		n_gws = netd_dns_gateways(ep, gws);
		if (n_gws) {
			for (size_t i = 0; i < n_gws; i++) {
				char g[NETD_IP_STRLEN];

				json_array_append_new(
				    ns, json_string(netd_ip_format(&gws[i], g, sizeof(g))));
			}
			json_object_set_new(dns, "nameservers", ns);
			json_object_set_new(dns, "search", json_pack("[s]", NETD_DNS_DOMAIN));
			json_object_set_new(o, "dns", dns);
		} else {
			json_decref(ns);
			json_decref(dns);
		}
	}
	return o;
}

json_t *cli_netconf_json(const struct netd_netconf *nc)
{
	char sub[INET_ADDRSTRLEN + 4], s[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	char range[2 * INET_ADDRSTRLEN + 2];
	json_t *o = json_object();

	netd_ip4_format(nc->subnet, s, sizeof(s));
	snprintf(sub, sizeof(sub), "%s/%u", s, nc->prefix);
	netd_ip4_format(nc->range_start, a, sizeof(a));
	netd_ip4_format(nc->range_end, b, sizeof(b));
	snprintf(range, sizeof(range), "%s-%s", a, b);
	json_object_set_new(o, "name", json_string(nc->name));
	/* An IPv6-only network has subnet6 and its keys only. */
	if (netd_netconf_has4(nc)) {
		json_object_set_new(o, "subnet", json_string(sub));
		json_object_set_new(o, "gateway", ip_json(nc->gateway));
		json_object_set_new(o, "range", json_string(range));
	}
	if (nc->subnet6.ip.family == AF_INET6) {
		char s6[NETD_PREFIX_STRLEN], g6[NETD_IP_STRLEN], l6[NETD_IP_STRLEN],
		    h6[NETD_IP_STRLEN], r6[2 * NETD_IP_STRLEN + 2];

		snprintf(r6, sizeof(r6), "%s-%s", netd_ip_format(&nc->range6.first, l6, sizeof(l6)),
			 netd_ip_format(&nc->range6.last, h6, sizeof(h6)));
		json_object_set_new(o, "subnet6",
				    json_string(netd_prefix_format(&nc->subnet6, s6, sizeof(s6))));
		json_object_set_new(o, "gateway6",
				    json_string(netd_ip_format(&nc->gateway6, g6, sizeof(g6))));
		json_object_set_new(o, "range6", json_string(r6));
		json_object_set_new(o, "masquerade6", json_boolean(nc->masquerade6));
	}
	json_object_set_new(o, "bridge", json_string(nc->bridge));
	json_object_set_new(o, "mtu", json_integer(nc->mtu));
	json_object_set_new(o, "masquerade", json_boolean(nc->masquerade));
	if (nc->n_routes)
		json_object_set_new(o, "routes", routes_json(nc->routes, nc->n_routes));
	json_object_set_new(o, "gateway_mode",
			    json_string(netd_gateway_mode_name(nc->gateway_mode)));
	json_object_set_new(o, "internal", json_boolean(nc->internal));
	json_object_set_new(o, "icc", json_boolean(!nc->no_icc));
	return o;
}

const char *cli_json_pair(json_t *o, const char *k4, const char *k6, char *buf, size_t len)
{
	/* An endpoint or network of an IPv6-only network has k6 alone. */
	const char *a4 = json_string_value(json_object_get(o, k4));
	const char *a6 = json_string_value(json_object_get(o, k6));

	snprintf(buf, len, "%s%s%s", a4 ? a4 : "", a4 && a6 ? "," : "", a6 ? a6 : "");
	return buf;
}

const char *cli_netconf_options(const struct netd_netconf *nc, char *buf, size_t len)
{
	int n = snprintf(
	    buf, len, "%s%s%s%s", nc->internal ? ",internal" : "", nc->no_icc ? ",icc=no" : "",
	    nc->gateway_mode == NETD_GATEWAY_ROUTED ? ",routed" : "",
	    nc->masquerade || nc->internal || !netd_netconf_has4(nc) ? "" : ",no-masquerade");

	if (n <= 0)
		snprintf(buf, len, "-");
	else
		memmove(buf, buf + 1, strlen(buf)); /* the leading comma */
	return buf;
}
