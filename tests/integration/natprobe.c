/* SPDX-License-Identifier: MIT */
/*
 * Test driver for nat.c, conntrack.c and portcheck.c (run inside a lab netns):
 *   natprobe ensure | destroy | exists | count
 *   natprobe net-add BRIDGE CIDR masq|nomasq [CIDR6]   natprobe net-del BRIDGE CIDR masq|nomasq
 *   natprobe publish PROTO HOSTIP HOSTPORT CTRIP CTRPORT [HOSTPORT2 ...]   (one batch)
 *     (HOSTIP "::" or a v6 address publishes in table ip6 netd; CTRIP is "V4" or "V4,V6")
 *   natprobe unpublish PROTO HOSTIP HOSTPORT CTRIP CTRPORT [HOSTPORT2 ...]
 *   natprobe lookup PROTO HOSTIP HOSTPORT CTRIP CTRPORT    (exit 0 present, 1 absent)
 *   natprobe bulk N BASEPORT CTRIP                 (N publishes; prints per-publish microseconds)
 *   natprobe flush-ct PROTO PORT [HOSTIP]
 *   natprobe inuse PROTO IP PORT                   (prints yes/no)
 * Errors go to stderr as "natprobe: <message>" with exit code 2 (errno name on a second line).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conntrack.h"
#include "nat.h"
#include "portcheck.h"

static int fail(const struct netd_err *err)
{
	fprintf(stderr, "natprobe: %s\nerrno: %d\n", err->msg, err->code);
	return 2;
}

static uint8_t proto_of(const char *s)
{
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	if (!strcmp(s, "sctp"))
		return IPPROTO_SCTP;
	fprintf(stderr, "natprobe: bad protocol %s\n", s);
	exit(2);
}

static struct in_addr ip_of(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "natprobe: bad address %s\n", s);
		exit(2);
	}
	return a;
}

/* A host address of either family. */
static struct netd_ip host_of(const char *s)
{
	struct netd_ip a;

	if (netd_ip_parse(s, AF_UNSPEC, &a, NULL) < 0) {
		fprintf(stderr, "natprobe: bad address %s\n", s);
		exit(2);
	}
	return a;
}

/* "V4" or "V4,V6": the container's addresses. */
static struct netd_nat_ctr ctr_of(const char *s)
{
	struct netd_nat_ctr c = {0};
	char v4[64];
	const char *comma = strchr(s, ',');

	snprintf(v4, sizeof(v4), "%.*s", comma ? (int)(comma - s) : (int)strlen(s), s);
	c.ip = ip_of(v4);
	if (comma && netd_ip_parse(comma + 1, AF_INET6, &c.ip6, NULL) < 0) {
		fprintf(stderr, "natprobe: bad address %s\n", comma + 1);
		exit(2);
	}
	return c;
}

static uint16_t port_of(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 0 || v > 65535) {
		fprintf(stderr, "natprobe: bad port %s\n", s);
		exit(2);
	}
	return (uint16_t)v;
}

static int parse_net(char **argv, struct netd_nat_net *net, char *cidr)
{
	char *slash = strchr(cidr, '/');

	if (!slash)
		return -1;
	*slash = '\0';
	net->bridge = argv[0];
	net->subnet = ip_of(cidr);
	net->prefix = (unsigned)atoi(slash + 1);
	/* masq | nomasq, optionally with ",routed" */
	net->masquerade = !strncmp(argv[2], "masq", 4);
	net->routed = strstr(argv[2], ",routed") != NULL;
	if (argv[3] && netd_prefix_parse(argv[3], AF_INET6, &net->subnet6, NULL) < 0)
		return -1;
	net->masquerade6 = net->masquerade;
	return 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	struct netd_err err = {0};
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "ensure"))
		return netd_nat_ensure(&err) < 0 ? fail(&err) : 0;
	if (!strcmp(cmd, "destroy"))
		return netd_nat_destroy(&err) < 0 ? fail(&err) : 0;
	if (!strcmp(cmd, "exists")) {
		bool e = netd_nat_table_exists();
		puts(e ? "yes" : "no");
		return e ? 0 : 1;
	}
	if (!strcmp(cmd, "count")) {
		size_t n;
		if (netd_nat_count_ports(&n, &err) < 0)
			return fail(&err);
		printf("%zu\n", n);
		return 0;
	}
	if ((!strcmp(cmd, "net-add") || !strcmp(cmd, "net-del")) && (argc == 5 || argc == 6)) {
		struct netd_nat_net net = {0};
		int r;

		if (parse_net(argv + 2, &net, argv[3]) < 0)
			return 2;
		r = !strcmp(cmd, "net-add") ? netd_nat_network_add(&net, &err)
					    : netd_nat_network_del(&net, &err);
		return r < 0 ? fail(&err) : 0;
	}
	if ((!strcmp(cmd, "publish") || !strcmp(cmd, "unpublish") || !strcmp(cmd, "lookup")) &&
	    argc >= 7) {
		size_t n = (size_t)argc - 6, k = 0;
		struct netd_port ports[64];
		struct netd_nat_ctr ctr = ctr_of(argv[5]);
		int r;

		if (n > 64)
			return 2;
		for (size_t i = 0; i < n; i++) {
			const char *hp = i == 0 ? argv[4] : argv[6 + i];
			ports[k++] = (struct netd_port){
			    .proto = proto_of(argv[2]),
			    .host_ip = host_of(argv[3]),
			    .host_port = port_of(hp),
			    .ctr_port = port_of(argv[6]),
			};
		}
		if (!strcmp(cmd, "lookup")) {
			bool present;
			if (netd_nat_port_lookup(&ports[0], &ctr, &present, &err) < 0)
				return fail(&err);
			puts(present ? "present" : "absent");
			return present ? 0 : 1;
		}
		r = !strcmp(cmd, "publish") ? netd_nat_publish(ports, k, &ctr, &err)
					    : netd_nat_unpublish(ports, k, &ctr, &err);
		return r < 0 ? fail(&err) : 0;
	}
	if (!strcmp(cmd, "bulk") && argc == 5) {
		long n = atol(argv[2]);
		uint16_t base = port_of(argv[3]);
		struct netd_nat_ctr ctr = ctr_of(argv[4]);

		if (n <= 0 || n > 20000 || base + n > 65535)
			return 2;
		for (long i = 0; i < n; i++) {
			struct netd_port p = {.proto = IPPROTO_TCP,
					      .host_ip = {.family = AF_INET},
					      .host_port = (uint16_t)(base + i),
					      .ctr_port = 80};
			double t0 = now_us();

			if (netd_nat_publish(&p, 1, &ctr, &err) < 0)
				return fail(&err);
			printf("%.0f\n", now_us() - t0);
		}
		return 0;
	}
	if (!strcmp(cmd, "flush-ct") && (argc == 4 || argc == 5)) {
		struct netd_port p = {.proto = proto_of(argv[2]), .host_port = port_of(argv[3])};

		if (argc == 5)
			p.host_ip = host_of(argv[4]);
		return netd_conntrack_flush_port(&p, &err) < 0 ? fail(&err) : 0;
	}
	if (!strcmp(cmd, "inuse") && argc == 5) {
		struct netd_port p = {.proto = proto_of(argv[2]),
				      .host_ip = host_of(argv[3]),
				      .host_port = port_of(argv[4])};
		bool in_use;

		if (netd_port_in_use(&p, &in_use, &err) < 0)
			return fail(&err);
		puts(in_use ? "yes" : "no");
		return 0;
	}
	fprintf(stderr, "usage: natprobe ensure|destroy|exists|count|net-add|net-del|publish|"
			"unpublish|lookup|bulk|flush-ct|inuse ...\n");
	return 2;
}
