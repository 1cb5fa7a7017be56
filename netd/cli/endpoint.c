/* SPDX-License-Identifier: MIT */
/* netd attach | detach | check | ps */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netd/addr.h>
#include "cli.h"

#define CLI_PORTS_MAX 4096

static int parse_mac(const char *s, uint8_t mac[6])
{
	if (netd_mac_parse(s, mac, NULL) < 0)
		return -1;
	/* A multicast MAC cannot be an interface address. */
	return (mac[0] & 1) ? -1 : 0;
}

int cli_req_ip(struct netd_attach_req *req, const char *verb, const char *arg)
{
	struct netd_ip ip;

	if (netd_ip_parse(arg, AF_UNSPEC, &ip, NULL) < 0 || netd_ip_is_zero(&ip))
		return cli_usage("%s: --ip %s is not an IP address", verb, arg);
	if (ip.family == AF_INET6 ? req->ip6.family != 0 : req->ip.s_addr != 0)
		return cli_usage("%s: --ip given twice for %s", verb,
				 ip.family == AF_INET6 ? "IPv6" : "IPv4");
	if (ip.family == AF_INET6)
		req->ip6 = ip;
	else
		req->ip = ip.v4;
	return 0;
}

void cli_forward_notices(const struct netd_endpoint *ep)
{
	if (ep->ip_forward_switched_on)
		cli_notice(netd_ip_forward_notice());
	if (ep->ip6_forward_switched_on)
		cli_notice(netd_ip6_forward_notice());
}

int cli_attach(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"netns", required_argument, NULL, 'n'},
	    {"id", required_argument, NULL, 'i'},
	    {"ifname", required_argument, NULL, 'f'},
	    {"ip", required_argument, NULL, 'a'},
	    {"mac", required_argument, NULL, 'm'},
	    {"publish", required_argument, NULL, 'p'},
	    {"default-route", no_argument, NULL, 'd'},
	    {"name", required_argument, NULL, 'N'},
	    {"alias", required_argument, NULL, 'A'},
	    CLI_EXPLAIN_OPTIONS,
	    {0},
	};
	struct cli_explain_opts xo = {0};
	struct netd_attach_req req = {0};
	struct netd_endpoint ep;
	struct netd_err err = {0};
	struct netd_port *ports = calloc(CLI_PORTS_MAX, sizeof(*ports));
	const char *aliases[NETD_ALIASES_MAX];
	size_t n_ports = 0, n_aliases = 0;
	int c, r;

	if (!ports)
		return CLI_EXIT_FAIL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			req.netns = optarg;
			break;
		case 'i':
			req.id = optarg;
			break;
		case 'f':
			req.ifname = optarg;
			break;
		case 'a':
			r = cli_req_ip(&req, "attach", optarg);
			if (r) {
				free(ports);
				return r;
			}
			break;
		case 'm':
			if (parse_mac(optarg, req.mac) < 0) {
				free(ports);
				return cli_usage(
				    "attach: --mac %s is not a unicast MAC (aa:bb:cc:dd:ee:ff)",
				    optarg);
			}
			req.has_mac = true;
			break;
		case 'd':
			/* Without it only a namespace's first interface gets the default route. */
			req.default_route = NETD_DEFAULT_ROUTE_ALWAYS;
			break;
		case 'p':
			if (netd_portspec_parse(optarg, ports, CLI_PORTS_MAX, &n_ports, &err) < 0) {
				free(ports);
				return cli_fail(&err, "attach");
			}
			break;
		case 'N':
			req.name = optarg;
			break;
		case 'A':
			if (n_aliases == NETD_ALIASES_MAX) {
				free(ports);
				return cli_usage("attach: more than %d --alias", NETD_ALIASES_MAX);
			}
			aliases[n_aliases++] = optarg;
			break;
		default:
			if (cli_explain_opt(&xo, c, optarg))
				break;
			free(ports);
			return cli_usage("attach: bad option");
		}
	}
	if (optind != argc - 1 || !req.netns || !req.id) {
		free(ports);
		return cli_usage("attach: NETWORK, --netns PATH and --id ID are required");
	}
	req.network = argv[optind];
	req.ports = ports;
	req.n_ports = n_ports;
	req.aliases = aliases;
	req.n_aliases = n_aliases;
	r = cli_explain_start(&xo, "attach", argc, argv);
	if (r) {
		free(ports);
		return r;
	}
	r = netd_network_attach(&req, &ep, &err);
	cli_forward_notices(&ep);
	cli_explain_end();
	free(ports);
	if (r < 0)
		return cli_fail(&err, NULL);
	r = cli_print_json(cli_endpoint_json(&ep));
	netd_endpoint_clear(&ep);
	return r;
}

/* Parses NETWORK --id ID [--ifname IF] [--netns PATH] for detach and check (and --explain,
 * --dry-run when xo is given). */
static int parse_ref(int argc, char **argv, const char *verb, const char **net, const char **id,
		     const char **ifname, const char **netns, struct cli_explain_opts *xo)
{
	static const struct option opts[] = {
	    {"id", required_argument, NULL, 'i'},
	    {"ifname", required_argument, NULL, 'f'},
	    {"netns", required_argument, NULL, 'n'},
	    CLI_EXPLAIN_OPTIONS,
	    {0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			*id = optarg;
			break;
		case 'f':
			*ifname = optarg;
			break;
		case 'n':
			if (!netns)
				return cli_usage("%s: --netns is not accepted here", verb);
			*netns = optarg;
			break;
		case 'X':
		case 'D':
			if (!xo)
				return cli_usage(
				    "%s: --explain and --dry-run are not accepted here", verb);
			cli_explain_opt(xo, c, optarg);
			break;
		default:
			return cli_usage("%s: bad option", verb);
		}
	}
	if (optind != argc - 1 || !*id)
		return cli_usage("%s: NETWORK and --id ID are required", verb);
	*net = argv[optind];
	return 0;
}

int cli_detach(int argc, char **argv)
{
	const char *net = NULL, *id = NULL, *ifname = NULL;
	struct cli_explain_opts xo = {0};
	struct netd_err err = {0};
	int r = parse_ref(argc, argv, "detach", &net, &id, &ifname, NULL, &xo);

	if (r)
		return r;
	r = cli_explain_start(&xo, "detach", argc, argv);
	if (r)
		return r;
	r = netd_network_detach(net, id, ifname, &err);
	cli_explain_end();
	if (r < 0)
		return cli_fail(&err, NULL);
	return CLI_EXIT_OK;
}

int cli_check(int argc, char **argv)
{
	const char *net = NULL, *id = NULL, *ifname = NULL, *netns = NULL;
	struct netd_err err = {0};
	int r = parse_ref(argc, argv, "check", &net, &id, &ifname, &netns, NULL);

	if (r)
		return r;
	if (netd_network_check(net, id, ifname, netns, &err) < 0)
		return cli_fail(&err, NULL);
	printf("ok\n");
	return CLI_EXIT_OK;
}

int cli_ps(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"network", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {0},
	};
	const char *net = NULL;
	bool json = false;
	struct netd_endpoint *eps = NULL;
	struct netd_endpoint_damaged *bad = NULL;
	struct netd_err err = {0};
	size_t n = 0, n_bad = 0;
	json_t *arr;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			net = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_usage("ps: bad option");
		}
	}
	if (optind != argc)
		return cli_usage("ps: unexpected argument \"%s\"", argv[optind]);
	if (netd_endpoint_scan(net, &eps, &n, &bad, &n_bad, &err) < 0)
		return cli_fail(&err, "ps");
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, cli_endpoint_json(&eps[i]));
	/* A damaged record is an endpoint too: shown, never silently left out. */
	for (size_t i = 0; i < n_bad; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(bad[i].id));
		json_object_set_new(o, "network", json_string(bad[i].network));
		json_object_set_new(o, "ifname", json_string(bad[i].ifname));
		json_object_set_new(o, "state", json_string("damaged"));
		json_object_set_new(o, "error", json_string(bad[i].why));
		json_array_append_new(arr, o);
	}
	if (json) {
		r = cli_print_json(arr);
	} else {
		printf("%-20s %-8s %-12s %-18s %-12s %s\n", "ID", "IFNAME", "NETWORK", "ADDRESS",
		       "HOST-IF", "PORTS");
		for (size_t i = 0; i < n; i++) {
			char ports[256] = "", one[96], addr[2 * NETD_PREFIX_STRLEN + 2];
			json_t *ej = json_array_get(arr, i);
			const char *a4 = json_string_value(json_object_get(ej, "address"));
			const char *a6 = json_string_value(json_object_get(ej, "address6"));
			size_t used = 0;

			/* Both families in one column: "10.77.0.2/24,fd77::2/64" (an endpoint of an
			 * IPv6-only network has address6 alone). */
			snprintf(addr, sizeof(addr), "%s%s%s", a4 ? a4 : "", a4 && a6 ? "," : "",
				 a6 ? a6 : "");
			for (size_t k = 0; k < eps[i].n_ports && used < sizeof(ports) - 1; k++) {
				netd_port_format(&eps[i].ports[k], one, sizeof(one));
				used += (size_t)snprintf(ports + used, sizeof(ports) - used, "%s%s",
							 k ? "," : "", one);
			}
			printf("%-20s %-8s %-12s %-18s %-12s %s\n", eps[i].id, eps[i].ifname,
			       eps[i].network, addr, eps[i].host_ifname, ports);
		}
		for (size_t i = 0; i < n_bad; i++)
			printf("%-20s %-8s %-12s DAMAGED: %s\n", bad[i].id, bad[i].ifname,
			       bad[i].network, bad[i].why);
		json_decref(arr);
		r = CLI_EXIT_OK;
	}
	if (n_bad) {
		fprintf(stderr,
			"netd: ps: %zu endpoint record(s) damaged; netd doctor names them, netd "
			"detach tears one down\n",
			n_bad);
		r = CLI_EXIT_FAIL;
	}
	netd_endpoints_free(eps, n);
	free(bad);
	return r;
}
