/* SPDX-License-Identifier: MIT */
/*
 * attach: a namespace joins a netd network through libnetd's public API alone.
 *
 *   attach NETWORK NETNS_PATH ID [HOSTPORT:CTRPORT]   attach (and publish one port)
 *   attach -d NETWORK ID                              detach
 *
 * Build against an installed libnetd:
 *   cc -o attach attach.c $(pkg-config --cflags --libs libnetd)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <netd/netd.h>

static int usage(void)
{
	fprintf(stderr, "usage: attach NETWORK NETNS_PATH ID [HOSTPORT:CTRPORT]\n"
			"       attach -d NETWORK ID\n");
	return 2;
}

static int detach(const char *network, const char *id)
{
	struct netd_err err = {0};

	if (netd_network_detach(network, id, NULL, &err) < 0) {
		fprintf(stderr, "attach: %s\n", err.msg);
		return 1;
	}
	printf("%s: detached from %s\n", id, network);
	return 0;
}

int main(int argc, char **argv)
{
	struct netd_port ports[1];
	struct netd_attach_req req = {0};
	struct netd_endpoint ep;
	struct netd_err err = {0};
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], port[96] = "";
	size_t n_ports = 0;

	if (argc == 4 && strcmp(argv[1], "-d") == 0)
		return detach(argv[2], argv[3]);
	if (argc != 4 && argc != 5)
		return usage();
	req.network = argv[1];
	req.netns = argv[2];
	req.id = argv[3];
	if (argc == 5) {
		/* The same -p syntax as netd and nsbox, from the same parser. */
		if (netd_portspec_parse(argv[4], ports, 1, &n_ports, &err) < 0) {
			fprintf(stderr, "attach: %s\n", err.msg);
			return 2;
		}
		req.ports = ports;
		req.n_ports = n_ports;
	}
	if (netd_network_attach(&req, &ep, &err) < 0) {
		fprintf(stderr, "attach: %s\n", err.msg);
		return 1;
	}
	inet_ntop(AF_INET, &ep.ip, ip, sizeof(ip));
	inet_ntop(AF_INET, &ep.gateway, gw, sizeof(gw));
	if (ep.n_ports)
		netd_port_format(&ep.ports[0], port, sizeof(port));
	printf("%s: %s %s/%u via %s, host side %s%s%s (libnetd %s)\n", ep.id, ep.ifname, ip,
	       ep.prefix, gw, ep.host_ifname, *port ? ", " : "", port, netd_version());
	netd_endpoint_clear(&ep);
	return 0;
}
