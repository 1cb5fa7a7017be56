/* SPDX-License-Identifier: MIT */
/*
 * linkprobe: a small driver for link.h, used by test_link.sh inside a lab namespace.
 * Prints results on stdout; on failure prints "error: ENAME: message" on stderr and exits with
 * the errno value (so a test can tell EEXIST from ENODEV).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "link.h"
#include "util.h"

static int fail(const struct netd_err *e)
{
	const char *name = strerrorname_np(e->code);

	fprintf(stderr, "error: %s: %s\n", name ? name : "E?", e->msg);
	return e->code > 0 && e->code < 126 ? e->code : 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: linkprobe bridge NAME GW/PFX MTU\n"
			"       linkprobe veth HOST PEER NETNS BRIDGE MTU [MAC|-] [ALIAS]\n"
			"       linkprobe ctrcfg NETNS IFNAME IP/PFX GW\n"
			"       linkprobe ctrcheck NETNS IFNAME IP/PFX GW\n"
			"       linkprobe get NAME | del NAME | netns PATH | mtu | forward\n"
			"       linkprobe overlap CIDR | aliases PREFIX\n");
	return 2;
}

static int parse_cidr(const char *s, struct in_addr *ip, unsigned *prefix)
{
	char buf[64];
	char *slash, *end;
	unsigned long p;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	p = strtoul(slash + 1, &end, 10);
	if (*end || p > 32 || inet_pton(AF_INET, buf, ip) != 1)
		return -1;
	*prefix = (unsigned)p;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static void print_info(const char *name, const struct netd_link_info *li)
{
	printf("%s ifindex=%d mtu=%u up=%d master=%d kind=%s mac=%02x:%02x:%02x:%02x:%02x:%02x "
	       "alias=%s\n",
	       name, li->ifindex, li->mtu, li->up, li->master, li->kind, li->mac[0], li->mac[1],
	       li->mac[2], li->mac[3], li->mac[4], li->mac[5], li->alias);
}

static int print_alias(const char *name, const struct netd_link_info *info, void *arg)
{
	(*(int *)arg)++;
	print_info(name, info);
	return 0;
}

/* The container side: a socket opened inside the namespace at path. */
static int ctr(int argc, char **argv, bool check, struct netd_err *e)
{
	cleanup_rtnl struct netd_rtnl *ns = NULL;
	cleanup_close int fd = -1;
	struct in_addr ip, gw;
	struct netd_route dflt = {0};
	struct netd_ctr_conf cc;
	unsigned prefix;
	uint8_t mac[6];
	struct netd_ctr_defaults added;
	int ifindex;

	if (argc != 6 || parse_cidr(argv[4], &ip, &prefix) < 0 ||
	    inet_pton(AF_INET, argv[5], &gw) != 1)
		return usage();
	fd = netd_netns_open(argv[2], e);
	if (fd < 0)
		return fail(e);
	if (netd_rtnl_open_in_netns(fd, &ns, e) < 0)
		return fail(e);
	/* A gateway given: the default route via it, replacing one that is there. */
	dflt.dst.ip.family = AF_INET;
	dflt.gw = netd_ip_from4(gw);
	cc = (struct netd_ctr_conf){.ifname = argv[3],
				    .ip = ip,
				    .gw = gw,
				    .prefix = prefix,
				    .routes = &dflt,
				    .n_routes = gw.s_addr ? 1 : 0,
				    .netns_fd = fd};
	if (check) {
		if (netd_ctr_check(ns, &cc, e) < 0)
			return fail(e);
		printf("ok\n");
		return 0;
	}
	if (netd_ctr_configure(ns, &cc, &ifindex, mac, &added, e) < 0)
		return fail(e);
	printf("ifindex=%d mac=%02x:%02x:%02x:%02x:%02x:%02x\n", ifindex, mac[0], mac[1], mac[2],
	       mac[3], mac[4], mac[5]);
	return 0;
}

int main(int argc, char **argv)
{
	cleanup_rtnl struct netd_rtnl *r = NULL;
	struct netd_err e = {0};
	const char *cmd;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	if (!strcmp(cmd, "ctrcfg") || !strcmp(cmd, "ctrcheck"))
		return ctr(argc, argv, !strcmp(cmd, "ctrcheck"), &e);
	if (!strcmp(cmd, "netns")) {
		int fd;
		if (argc != 3)
			return usage();
		fd = netd_netns_open(argv[2], &e);
		if (fd < 0)
			return fail(&e);
		close(fd);
		printf("ok\n");
		return 0;
	}
	if (netd_rtnl_open(&r, &e) < 0)
		return fail(&e);

	if (!strcmp(cmd, "bridge") && argc == 5) {
		struct in_addr gw;
		unsigned prefix;
		int ifindex = 0;
		bool created = false;
		if (parse_cidr(argv[3], &gw, &prefix) < 0)
			return usage();
		if (netd_bridge_ensure(r, argv[2], gw, prefix, (unsigned)atoi(argv[4]), &ifindex,
				       &created, &e) < 0)
			return fail(&e);
		printf("ifindex=%d created=%d\n", ifindex, created);
		return 0;
	}
	if (!strcmp(cmd, "forward") && argc == 2) {
		bool switched = false;
		if (netd_ip_forward_on(&switched, &e) < 0)
			return fail(&e);
		printf("switched_on=%d\n", switched);
		return 0;
	}
	if (!strcmp(cmd, "veth") && argc >= 7 && argc <= 9) {
		cleanup_close int fd = -1;
		struct netd_link_info br;
		uint8_t mac[6];
		bool has_mac = argc >= 8 && strcmp(argv[7], "-") != 0;
		int ifindex = 0;
		if (has_mac && parse_mac(argv[7], mac) < 0)
			return usage();
		fd = netd_netns_open(argv[4], &e);
		if (fd < 0)
			return fail(&e);
		if (netd_link_get(r, argv[5], &br, &e) < 0)
			return fail(&e);
		if (netd_veth_create_in_ns(r, argv[2], argv[3], fd, (unsigned)atoi(argv[6]),
					   has_mac ? mac : NULL, br.ifindex, false,
					   argc == 9 ? argv[8] : NULL, &ifindex, &e) < 0)
			return fail(&e);
		printf("ifindex=%d\n", ifindex);
		return 0;
	}
	if (!strcmp(cmd, "get") && argc == 3) {
		struct netd_link_info li;
		if (netd_link_get(r, argv[2], &li, &e) < 0)
			return fail(&e);
		print_info(argv[2], &li);
		return 0;
	}
	if (!strcmp(cmd, "del") && argc == 3) {
		if (netd_link_del(r, argv[2], &e) < 0)
			return fail(&e);
		printf("ok\n");
		return 0;
	}
	if (!strcmp(cmd, "mtu") && argc == 2) {
		unsigned mtu = 0;
		if (netd_route_default_mtu(r, &mtu, &e) < 0)
			return fail(&e);
		printf("%u\n", mtu);
		return 0;
	}
	if (!strcmp(cmd, "overlap") && argc == 3) {
		struct in_addr net;
		unsigned prefix;
		bool hit = false;
		if (parse_cidr(argv[2], &net, &prefix) < 0)
			return usage();
		if (netd_route_overlaps(r, &(struct netd_prefix){netd_ip_from4(net), prefix}, &hit,
					&e) < 0)
			return fail(&e);
		printf("%s\n", hit ? "yes" : "no");
		return 0;
	}
	if (!strcmp(cmd, "aliases") && argc == 3) {
		int n = 0;
		if (netd_link_foreach_alias(r, argv[2], print_alias, &n, &e) < 0)
			return fail(&e);
		printf("count=%d\n", n);
		return 0;
	}
	return usage();
}
