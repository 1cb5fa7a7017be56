/* SPDX-License-Identifier: MIT */
/* netd-cni: ADD, DEL, CHECK, GC and STATUS on top of libnetd's public API. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netd/addr.h>
#include "cni.h"

int cni_err_from_netd(struct cni_err *e, int r, const struct netd_err *ne)
{
	int code, errnum = r < 0 ? -r : r;

	switch (errnum) {
	case EINVAL:
	case ERANGE:
	case ENAMETOOLONG:
	case EADDRINUSE:    /* the requested address or host port is taken: a config matter */
	case EADDRNOTAVAIL: /* a hostIP this host does not have */
	case EEXIST:	    /* CNI_IFNAME exists in the namespace, or the attachment does */
		code = CNI_ERR_CONFIG;
		break;
	case EAGAIN:
	case EBUSY:
	case EINTR:
	case ETIMEDOUT:
		code = CNI_ERR_TRY_AGAIN;
		break;
	case EIO:
		code = CNI_ERR_IO;
		break;
	default:
		code = CNI_ERR_GENERIC;
		break;
	}
	cni_err_set(e, code, "%s", ne && ne->msg[0] ? ne->msg : strerror(errnum));
	snprintf(e->details, sizeof(e->details), "%s", strerror(errnum));
	return -1;
}

/* MAC of a host interface by name (SIOCGIFHWADDR in this netns; no netlink needed). */
static bool host_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	netd_cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(ifname) >= sizeof(ifr.ifr_name))
		return false;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return false;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return true;
}

/* The subnet of an address a delegated IPAM handed out, for a network the config gives none. */
static struct netd_prefix subnet_of(const struct netd_ip *ip, unsigned len)
{
	struct netd_prefix p = {.ip = *ip, .len = len};

	return netd_prefix_network(&p);
}

/* A delegated IPAM's address must lie in the network's subnet of its family. */
static int ext_inside(const struct cni_conf *c, const struct netd_prefix *sub,
		      const struct netd_ip *ip, struct cni_err *e)
{
	char a[NETD_IP_STRLEN], s[NETD_PREFIX_STRLEN];

	if (sub->ip.family && netd_prefix_contains(sub, ip))
		return 0;
	netd_ip_format(ip, a, sizeof(a));
	if (!sub->ip.family)
		return cni_err_set(e, CNI_ERR_CONFIG,
				   "ipam plugin %s handed out %s, but the network has no %s subnet",
				   c->ipam_type, a, ip->family == AF_INET6 ? "IPv6" : "IPv4");
	netd_prefix_format(sub, s, sizeof(s));
	return cni_err_set(e, CNI_ERR_CONFIG,
			   "ipam plugin %s handed out %s, outside the network's subnet %s",
			   c->ipam_type, a, s);
}

/*
 * ipam.routes of a family the network has no subnet of belong to another plugin of the chain
 * (an IPv6 one beside an IPv4-only netd-cni), as IPv6 entries did before netd-cni had IPv6:
 * skipped, not refused.
 */
static void drop_foreign_routes(struct netd_netconf *nc)
{
	size_t n = 0;

	for (size_t i = 0; i < nc->n_routes; i++) {
		int fam = nc->routes[i].dst.ip.family;

		if ((fam == AF_INET && nc->subnet.s_addr) ||
		    (fam == AF_INET6 && nc->subnet6.ip.family))
			nc->routes[n++] = nc->routes[i];
	}
	nc->n_routes = n;
}

/*
 * The network definition for an ADD: from subnetFile, from the ipam section, or (delegated IPAM
 * without a subnet in the config) from the addresses the delegate handed out.
 */
static int add_netconf(struct cni_conf *c, const struct cni_ipam_addrs *ext,
		       struct netd_netconf *nc, struct cni_err *e)
{
	struct netd_err ne = {0};

	if (cni_conf_netconf(c, nc, e) < 0)
		return -1;
	if (c->subnet_file) {
		struct netd_netconf fnc = {0};

		/* Read as netd reads subnet files: a FIFO never blocks, the file is never quoted
		 * (subnetFile may point anywhere). */
		if (netd_netconf_read(c->name, c->subnet_file, &fnc, &ne) < 0)
			return cni_err_set(e, CNI_ERR_CONFIG, "subnetFile: %s", ne.msg);
		cni_conf_overlay(c, &fnc);
		*nc = fnc;
	} else if (!c->has_subnet && !c->has_subnet6) {
		if (!ext)
			return cni_err_set(e, CNI_ERR_CONFIG,
					   "network %s has no subnet: set ipam.subnet or "
					   "ipam.ranges (host-local form), or subnetFile",
					   c->name);
		if (ext->has_ip) {
			struct netd_ip ip = netd_ip_from4(ext->ip);

			nc->subnet = subnet_of(&ip, ext->prefix).ip.v4;
			nc->prefix = ext->prefix;
			nc->gateway = ext->gateway;
		}
		if (ext->ip6.family) {
			nc->subnet6 = subnet_of(&ext->ip6, ext->prefix6);
			nc->gateway6 = ext->gateway6;
		}
	}
	drop_foreign_routes(nc);
	if (netd_netconf_finish(nc, c->name, &ne) < 0)
		return cni_err_set(e, CNI_ERR_CONFIG, "%s", ne.msg);
	if (ext && ext->has_ip) {
		struct netd_prefix sub = nc->subnet.s_addr
					     ? netd_prefix_from4(nc->subnet, nc->prefix)
					     : (struct netd_prefix){0};
		struct netd_ip ip = netd_ip_from4(ext->ip);

		if (ext_inside(c, &sub, &ip, e) < 0)
			return -1;
	}
	if (ext && ext->ip6.family && ext_inside(c, &nc->subnet6, &ext->ip6, e) < 0)
		return -1;
	return 0;
}

/* An address asked for (ips, IP=) of a family the network has no subnet of: host-local's error
 * too (a requested address outside every range set), here naming the family. */
static int want_has_subnet(const struct netd_netconf *nc, const struct netd_attach_req *req,
			   struct cni_err *e)
{
	char a[NETD_IP_STRLEN];

	if (req->ip.s_addr && !nc->subnet.s_addr)
		return cni_err_set(e, CNI_ERR_CONFIG,
				   "the address asked for (ips / IP=) %s is IPv4, but network %s "
				   "has no IPv4 range",
				   netd_ip4_format(req->ip, a, sizeof(a)), nc->name);
	if (req->ip6.family && !nc->subnet6.ip.family)
		return cni_err_set(e, CNI_ERR_CONFIG,
				   "the address asked for (ips / IP=) %s is IPv6, but network %s "
				   "has no IPv6 range",
				   netd_ip_format(&req->ip6, a, sizeof(a)), nc->name);
	return 0;
}

/*
 * portMappings with a hostIP of a family the network gives the container no address of are
 * dropped, not refused: a runtime sends the same mappings to every network of a pod, and an
 * IPv4-only network has nothing to publish an IPv6 hostIP on, an IPv6-only one nothing to
 * publish an IPv4 hostIP on (the reference portmap plugin skips an entry whose hostIP is not of
 * the container's family too). A hostIP "" is both families': attach publishes it on those the
 * network has.
 */
static void drop_foreign_ports(struct cni_conf *c, bool has_ip4, bool has_ip6)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_ports; i++) {
		int fam = c->ports[i].host_ip.family;

		if ((fam != AF_INET6 || has_ip6) && (fam != AF_INET || has_ip4))
			c->ports[n++] = c->ports[i];
	}
	c->n_ports = n;
}

int cni_cmd_add(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
		struct cni_err *e)
{
	cni_cleanup_json json_t *ipam_res = NULL;
	cni_cleanup_json json_t *res = NULL;
	cni_cleanup_json json_t *own_dns = NULL;
	struct netd_attach_req req = {0};
	struct netd_endpoint ep = {0};
	struct netd_netconf nc = {0};
	struct netd_err ne = {0};
	struct cni_add_result ar = {0};
	struct cni_ipam_addrs ext = {0};
	struct netd_ip gws[2];
	size_t n_gws;
	struct stat st;
	int r;

	if (stat(env->netns, &st) < 0)
		return cni_err_set(e, CNI_ERR_ENV, "CNI_NETNS %s: %s", env->netns, strerror(errno));
	if (c->ipam_delegate) {
		if (cni_delegate_run(env, c->ipam_type, "ADD", text, len, &ipam_res, e) < 0)
			return -1;
		if (cni_result_ips(ipam_res, &ext, e) < 0)
			goto undo_ipam;
	}
	if (add_netconf(c, c->ipam_delegate ? &ext : NULL, &nc, e) < 0)
		goto undo_ipam;
	r = netd_network_ensure(&nc, &ne);
	if (r < 0) {
		cni_err_from_netd(e, r, &ne);
		goto undo_ipam;
	}

	req.network = c->name;
	req.netns = env->netns;
	req.id = env->containerid;
	req.ifname = env->ifname;
	if (c->ipam_delegate) {
		req.external_ipam = true;
		req.ip = ext.ip;
		req.prefix = ext.prefix;
		req.gateway = ext.gateway.s_addr ? ext.gateway : nc.gateway;
		req.ip6 = ext.ip6;
		req.prefix6 = ext.prefix6;
		req.gateway6 = ext.gateway6.family ? ext.gateway6 : nc.gateway6;
	} else {
		/* Per family: the config's ips (runtimeConfig, args) win over CNI_ARGS IP=. */
		if (c->has_ip)
			req.ip = c->ip;
		else if (env->a.has_ip)
			req.ip = env->a.ip;
		req.ip6 = c->ip6.family ? c->ip6 : env->a.ip6;
		if (want_has_subnet(&nc, &req, e) < 0)
			goto undo_ipam;
	}
	if (c->has_mac) {
		req.has_mac = true;
		memcpy(req.mac, c->mac, 6);
	} else if (env->a.has_mac) {
		req.has_mac = true;
		memcpy(req.mac, env->a.mac, 6);
	}
	drop_foreign_ports(c, c->ipam_delegate ? ext.has_ip : netd_netconf_has4(&nc),
			   c->ipam_delegate ? ext.ip6.family == AF_INET6 : netd_netconf_has6(&nc));
	req.ports = c->ports;
	req.n_ports = c->n_ports;
	req.ignore_host_listeners = true;
	req.aliases = c->aliases;
	req.n_aliases = c->n_aliases;
	/* As the reference bridge: a default route from isDefaultGateway, or from a 0.0.0.0/0
	 * entry of ipam.routes (the network's routes); never because the interface is first. */
	req.default_route =
	    c->is_default_gateway ? NETD_DEFAULT_ROUTE_ALWAYS : NETD_DEFAULT_ROUTE_NEVER;
	/* isGateway (implied by isDefaultGateway) is what puts the gateway on the bridge. */
	req.bridge_no_address = !c->is_gateway;
	r = netd_network_attach(&req, &ep, &ne);
	/* CNI runtimes log a plugin's stderr; stdout is the result. */
	if (ep.ip_forward_switched_on)
		fprintf(stderr, "netd-cni: %s\n", netd_ip_forward_notice());
	if (ep.ip6_forward_switched_on)
		fprintf(stderr, "netd-cni: %s\n", netd_ip6_forward_notice());
	if (r < 0) {
		cni_err_from_netd(e, r, &ne);
		if (r == -EEXIST)
			snprintf(e->details, sizeof(e->details),
				 "%s already exists in %s, or %s/%s is attached: DEL it first or "
				 "use another CNI_IFNAME",
				 env->ifname, env->netns, env->containerid, env->ifname);
		goto undo_ipam;
	}

	ar.ifaces[0].name = ep.bridge;
	ar.ifaces[0].has_mac = host_mac(ep.bridge, ar.ifaces[0].mac);
	ar.ifaces[1].name = ep.host_ifname;
	ar.ifaces[1].has_mac = host_mac(ep.host_ifname, ar.ifaces[1].mac);
	ar.ifaces[2].name = ep.ifname;
	ar.ifaces[2].has_mac = true;
	memcpy(ar.ifaces[2].mac, ep.mac, 6);
	ar.ifaces[2].sandbox = env->netns;
	ar.n_ifaces = 3;
	ar.ip = ep.ip;
	ar.prefix = ep.prefix;
	ar.gateway = ep.gateway;
	ar.ip6 = ep.ip6;
	ar.prefix6 = ep.prefix6;
	ar.gateway6 = ep.gateway6;
	ar.routes = ep.routes;
	ar.n_routes = ep.n_routes;
	if (!c->dns && ipam_res && json_is_object(json_object_get(ipam_res, "dns")))
		c->dns = json_object_get(ipam_res, "dns");
	/* Names on the network: the network's server answers them, and passes the rest on. */
	if (!c->dns && (n_gws = netd_dns_gateways(&ep, gws)) > 0) {
		json_t *ns = json_array();

		for (size_t i = 0; ns && i < n_gws; i++) {
			char g[NETD_IP_STRLEN];

			json_array_append_new(ns,
					      json_string(netd_ip_format(&gws[i], g, sizeof(g))));
		}
		own_dns = json_pack("{s:o, s:[s]}", "nameservers", ns, "search", NETD_DNS_DOMAIN);
		c->dns = own_dns;
	}
	res = cni_result_build(c, &ar, e);
	if (!res || cni_print_json(res) < 0) {
		if (res)
			cni_err_set(e, CNI_ERR_IO, "writing the result to stdout failed");
		/* Nobody will know about the attachment: take it back. */
		if (netd_network_detach(c->name, env->containerid, env->ifname, &ne) < 0)
			fprintf(stderr, "netd-cni: undo of ADD: %s\n", ne.msg);
		netd_endpoint_clear(&ep);
		goto undo_ipam;
	}
	netd_endpoint_clear(&ep);
	return 0;

undo_ipam:
	if (c->ipam_delegate && ipam_res) {
		struct cni_err e2 = {0};

		(void)cni_delegate_run(env, c->ipam_type, "DEL", text, len, NULL, &e2);
	}
	return -1;
}

int cni_cmd_del(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
		struct cni_err *e)
{
	struct netd_err ne = {0};
	int r, failed = 0;

	/* Teardown from host-side state: the namespace may be gone, CNI_NETNS empty. */
	r = netd_network_detach(c->name, env->containerid, env->ifname, &ne);
	if (r < 0 && r != -ENOENT) {
		cni_err_from_netd(e, r, &ne);
		failed = 1;
	}
	if (c->ipam_delegate) {
		struct cni_err e2 = {0};

		if (cni_delegate_run(env, c->ipam_type, "DEL", text, len, NULL, &e2) < 0 &&
		    !failed) {
			*e = e2;
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}

int cni_cmd_check(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
		  struct cni_err *e)
{
	struct netd_endpoint ep = {0};
	struct netd_err ne = {0};
	int r;

	r = netd_endpoint_get(c->name, env->containerid, env->ifname, &ep, &ne);
	if (r < 0) {
		cni_err_from_netd(e, r, &ne);
		if (r == -ENOENT)
			e->code = CNI_ERR_UNKNOWN_CTR;
		return -1;
	}
	r = cni_prev_result_check(c->prev_result, env->ifname, env->netns, ep.ip, &ep.ip6, e);
	netd_endpoint_clear(&ep);
	if (r < 0)
		return -1;
	r = netd_network_check(c->name, env->containerid, env->ifname, env->netns, &ne);
	if (r < 0)
		return cni_err_from_netd(e, r, &ne);
	if (c->ipam_delegate)
		return cni_delegate_run(env, c->ipam_type, "CHECK", text, len, NULL, e);
	return 0;
}

int cni_cmd_gc(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
	       struct cni_err *e)
{
	struct netd_gc_stats st = {0};
	struct netd_err ne = {0};
	int r;

	r = netd_gc(c->name, c->has_keep ? c->keep : NULL, c->n_keep, &st, &ne);
	/* A network that never had an ADD has nothing to collect. */
	if (r < 0 && r != -ENOENT)
		return cni_err_from_netd(e, r, &ne);
	if (c->ipam_delegate && c->ver >= CNI_V110)
		return cni_delegate_run(env, c->ipam_type, "GC", text, len, NULL, e);
	return 0;
}

int cni_cmd_status(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
		   struct cni_err *e)
{
	struct netd_err ne = {0};
	struct netd_netconf nc;
	unsigned long n = 0, n6 = 0;
	bool has4, has6 = false;
	int r;

	if (c->ipam_delegate) {
		if (c->ver >= CNI_V110)
			return cni_delegate_run(env, c->ipam_type, "STATUS", text, len, NULL, e);
		return 0;
	}
	r = netd_netconf_load(c->name, &nc, &ne);
	if (r == -ENOENT)
		return 0; /* not defined yet: the first ADD defines it with its whole range */
	has4 = r == 0 && netd_netconf_has4(&nc);
	if (r == 0 && has4)
		r = netd_network_free_addresses(c->name, &n, &ne);
	if (r == 0 && (n || !has4))
		r = netd_network_free_addresses6(c->name, &has6, &n6, &ne);
	if (r < 0)
		return cni_err_from_netd(e, r, &ne);
	/* An ADD needs an address of each family the network has (an IPv6-only one: IPv6). */
	if ((has4 && n == 0) || (n6 == 0 && has6))
		return cni_err_set(e, CNI_ERR_UNAVAILABLE,
				   "network %s: no free addresses left in its %s range; DEL unused "
				   "containers, run GC, or widen ipam.rangeStart/rangeEnd",
				   c->name, has4 && n == 0 ? "IPv4" : "IPv6");
	return 0;
}
