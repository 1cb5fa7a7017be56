/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the CNI network config on stdin, prevResult and runtimeConfig included.
 * The first byte picks the command (ADD, DEL, CHECK, GC, STATUS); the rest is the JSON. What
 * parses then goes through everything an ADD/CHECK does without a kernel: the network
 * definition, the result built on top of prevResult in every cniVersion, the CHECK of
 * prevResult, a delegated IPAM's result read. Every failure must turn into the spec's error
 * object (the plugin must always print one).
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const struct cni_conf *c, const struct cni_err *e)
{
	json_t *j;

	if (e->code == 0 || !e->msg[0] || !memchr(e->msg, '\0', sizeof(e->msg)) ||
	    !memchr(e->details, '\0', sizeof(e->details)))
		abort();
	j = cni_error_json(c ? c->cni_version : NULL, e);
	if (!j) /* the answer must never be lost, whatever bytes the message quotes */
		abort();
	char *dump = json_dumps(j, 0);
	if (!dump)
		abort();
	free(dump);
	json_decref(j);
}

static void check_ports(const struct cni_conf *c)
{
	if (c->n_ports > 4096 || (c->n_ports && !c->ports))
		abort();
	for (size_t i = 0; i < c->n_ports; i++)
		if (!c->ports[i].host_port || !c->ports[i].ctr_port ||
		    !netd_proto_name(c->ports[i].proto))
			abort();
	for (size_t i = 0; i < c->n_keep; i++)
		if (!c->keep[i].id || !c->keep[i].ifname)
			abort();
}

static void try_result(const struct cni_conf *c)
{
	struct cni_add_result r = {0};
	struct netd_route dflt[1] = {{.dst.len = 0}};
	struct cni_err e = {0};
	json_t *res;

	r.ifaces[0] = (struct cni_iface){.name = "cni0", .has_mac = true};
	r.ifaces[1] = (struct cni_iface){.name = "nd0011aabb", .has_mac = true};
	r.ifaces[2] = (struct cni_iface){.name = "eth0", .sandbox = "/run/netns/fuzz"};
	r.n_ifaces = 3;
	inet_pton(AF_INET, "10.22.0.5", &r.ip);
	inet_pton(AF_INET, "10.22.0.1", &r.gateway);
	r.prefix = 16;
	if (c->ip6.family) { /* dual stack when the config asked for an IPv6 address */
		r.ip6 = c->ip6;
		r.prefix6 = 64;
	}
	dflt[0].dst.ip.family = AF_INET;
	dflt[0].gw = netd_ip_from4(r.gateway);
	r.routes = dflt;
	r.n_routes = 1;
	res = cni_result_build(c, &r, &e);
	if (!res) {
		check_err(c, &e);
		return;
	}
	if (strcmp(json_string_value(json_object_get(res, "cniVersion")) ?: "",
		   cni_versions[c->ver]))
		abort();
	/* what we built, a CHECK of it must accept */
	if (!c->prev_result) {
		json_t *ips = json_object_get(res, "ips");
		if (cni_prev_result_check(res, "eth0", "/run/netns/fuzz", r.ip, &r.ip6, &e) < 0 ||
		    json_array_size(ips) != (r.ip6.family ? 2u : 1u))
			abort();
	}
	for (int v = 0; v < CNI_NVERSIONS; v++) {
		if (cni_result_convert(res, v, &e) < 0)
			abort(); /* a result we built converts to every version */
	}
	char *dump = json_dumps(res, JSON_PRESERVE_ORDER);
	if (!dump)
		abort();
	free(dump);
	json_decref(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cni_cmd cmds[] = {CNI_ADD, CNI_DEL, CNI_CHECK, CNI_GC, CNI_STATUS};
	struct cni_conf c;
	struct cni_err e = {0};
	struct netd_netconf nc;
	struct netd_err ne = {0};
	enum cni_cmd cmd;

	if (size < 1 || size > 1 << 16)
		return 0;
	cmd = cmds[data[0] % 5];
	if (cni_conf_parse((const char *)data + 1, size - 1, cmd, &c, &e) < 0) {
		check_err(NULL, &e);
		if (c.root || c.ports || c.keep)
			abort(); /* freed on error */
		return 0;
	}
	if (!c.name || netd_name_check_network(c.name, &ne) < 0 || c.ver < 0 ||
	    c.ver >= CNI_NVERSIONS)
		abort();
	if (c.ipam_delegate && (!c.ipam_type[0] || strchr(c.ipam_type, '/') ||
				!strcmp(c.ipam_type, ".") || !strcmp(c.ipam_type, "..")))
		abort();
	check_ports(&c);

	if (cni_conf_netconf(&c, &nc, &e) == 0) {
		if (nc.bridge[0] && netd_name_check_ifname(nc.bridge, &ne) < 0)
			abort();
		if (netd_netconf_finish(&nc, "fuzz", &ne) == 0)
			cni_conf_overlay(&c, &nc);
		else if (ne.code == 0)
			abort();
	} else {
		check_err(&c, &e);
	}
	if (cmd == CNI_ADD || cmd == CNI_CHECK)
		try_result(&c);
	if (c.prev_result) {
		struct cni_ipam_addrs a;
		struct in_addr ip;
		struct cni_err e2 = {0};

		inet_pton(AF_INET, "10.22.0.5", &ip);
		if (cni_prev_result_check(c.prev_result, "eth0", "/run/netns/fuzz", ip, &c.ip6,
					  &e2) < 0)
			check_err(&c, &e2);
		memset(&e2, 0, sizeof(e2));
		if (cni_result_ips(c.prev_result, &a, &e2) == 0) {
			if ((a.has_ip && (a.prefix < 8 || a.prefix > 30)) ||
			    (!a.has_ip && a.ip6.family != AF_INET6) ||
			    (a.gateway6.family && a.gateway6.family != AF_INET6))
				abort();
		} else {
			check_err(&c, &e2);
		}
	}
	cni_conf_free(&c);
	return 0;
}
