/* SPDX-License-Identifier: MIT */
/* netd network create | ls | inspect | rm */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/*
 * --subnet, --gateway and --ip-range/--range are given once per family: an IPv6 value (it has a
 * ':') goes to the subnet file's ...6 key. The parser checks the value itself.
 */
static int per_family(const char *opt, const char *val, const char *v[2])
{
	int fam = strchr(val, ':') != NULL;

	if (v[fam])
		return cli_usage("network create: --%s given twice for %s", opt,
				 fam ? "IPv6" : "IPv4");
	v[fam] = val;
	return 0;
}

/* NAME and one flag (long, or short when not NULL), in any order, for inspect and rm. */
static int name_and_flag(int argc, char **argv, const char *verb, const char *flag,
			 const char *short_flag, const char **name, bool *set)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], flag) == 0 || (short_flag && strcmp(argv[i], short_flag) == 0))
			*set = true;
		else if (!*name)
			*name = argv[i];
		else
			return cli_usage("%s: one NAME expected", verb);
	}
	if (!*name)
		return cli_usage("%s: NAME expected", verb);
	return 0;
}

static int net_create(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"subnet", required_argument, NULL, 's'},
	    {"gateway", required_argument, NULL, 'g'},
	    {"range", required_argument, NULL, 'r'},
	    {"ip-range", required_argument, NULL, 'r'},
	    {"bridge", required_argument, NULL, 'b'},
	    {"mtu", required_argument, NULL, 'm'},
	    {"no-masquerade", no_argument, NULL, 'n'},
	    {"routed", no_argument, NULL, 'R'},
	    {"internal", no_argument, NULL, 'I'},
	    {"icc", required_argument, NULL, 'C'},
	    CLI_EXPLAIN_OPTIONS,
	    {0},
	};
	struct cli_explain_opts xo = {0};
	const char *subnet[2] = {NULL, NULL}, *gw[2] = {NULL, NULL}, *range[2] = {NULL, NULL};
	const char *bridge = NULL, *mtu = NULL, *icc = NULL;
	bool masq = true, routed = false, internal = false;
	struct netd_netconf nc;
	struct netd_err err = {0};
	char text[1024];
	size_t len;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (per_family("subnet", optarg, subnet))
				return CLI_EXIT_USAGE;
			break;
		case 'g':
			if (per_family("gateway", optarg, gw))
				return CLI_EXIT_USAGE;
			break;
		case 'r':
			if (per_family("ip-range", optarg, range))
				return CLI_EXIT_USAGE;
			break;
		case 'b':
			bridge = optarg;
			break;
		case 'm':
			mtu = optarg;
			break;
		case 'n':
			masq = false;
			break;
		case 'R':
			routed = true;
			break;
		case 'I':
			internal = true;
			break;
		case 'C':
			icc = optarg;
			break;
		default:
			if (cli_explain_opt(&xo, c, optarg))
				break;
			return cli_usage("network create: bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage("network create: exactly one NAME expected");
	if (!subnet[0] && !subnet[1])
		return cli_usage("network create %s: --subnet is required", argv[optind]);
	for (const char **v = (const char *[]){subnet[0], subnet[1], gw[0], gw[1], range[0],
					       range[1], bridge, mtu, icc, NULL},
			**e = v + 9;
	     v < e; v++)
		if (*v && strlen(*v) > 128)
			return cli_usage("network create: option value too long: %.40s...", *v);
	/* The options become a subnet file and go through the one parser that checks them. */
	len = 0;
	if (subnet[0])
		len += (size_t)snprintf(text + len, sizeof(text) - len, "subnet=%s\n", subnet[0]);
	len += (size_t)snprintf(text + len, sizeof(text) - len, "masquerade=%s\n",
				masq ? "yes" : "no");
	if (gw[0])
		len += (size_t)snprintf(text + len, sizeof(text) - len, "gateway=%s\n", gw[0]);
	if (range[0])
		len += (size_t)snprintf(text + len, sizeof(text) - len, "range=%s\n", range[0]);
	if (subnet[1])
		len += (size_t)snprintf(text + len, sizeof(text) - len, "subnet6=%s\n", subnet[1]);
	/* Without --no-masquerade the IPv6 default holds (on for a ULA subnet). */
	if (subnet[1] && !masq)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "masquerade6=no\n");
	if (gw[1])
		len += (size_t)snprintf(text + len, sizeof(text) - len, "gateway6=%s\n", gw[1]);
	if (range[1])
		len += (size_t)snprintf(text + len, sizeof(text) - len, "range6=%s\n", range[1]);
	if (bridge)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "bridge=%s\n", bridge);
	if (mtu)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "mtu=%s\n", mtu);
	if (routed)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "gateway_mode=routed\n");
	if (internal)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "internal=yes\n");
	if (icc)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "icc=%s\n", icc);
	if (len >= sizeof(text))
		return cli_usage("network create: options too long");
	/* (No file: errors name the network, and the keys are the options' names.) */
	r = netd_netconf_parse(argv[optind], NULL, text, &nc, &err);
	if (r == 0) {
		r = cli_explain_start(&xo, "network create", argc, argv);
		if (r)
			return r;
		r = netd_network_create(&nc, &err);
		cli_explain_end();
	}
	if (r < 0)
		return cli_fail(&err, NULL);
	return cli_print_json(cli_netconf_json(&nc));
}

static int count_endpoints(const char *name)
{
	struct netd_endpoint *eps = NULL;
	struct netd_err err;
	size_t n = 0;

	if (netd_endpoint_list(name, &eps, &n, &err) < 0)
		return -1;
	netd_endpoints_free(eps, n);
	return (int)n;
}

/* Networks of both config dirs: netd's and netd-cni's ("cni" in ORIGIN). */
/* A string member of o, or dflt when o has none (an IPv6-only network has no "subnet"). */
static const char *jstr(const json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : dflt;
}

static int net_ls(int argc, char **argv)
{
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
	struct netd_err err = {0};
	struct netd_netdef *defs = NULL;
	size_t n = 0;
	json_t *arr = json ? json_array() : NULL;

	if (argc > 2 || (argc == 2 && !json))
		return cli_usage("network ls: only --json is accepted");
	if (netd_netconf_list_all(&defs, &n, &err) < 0)
		return cli_fail(&err, "network ls");
	if (!json)
		printf("%-16s %-18s %-15s %-15s %-6s %-9s %s\n", "NAME", "SUBNET", "GATEWAY",
		       "BRIDGE", "ORIGIN", "ENDPOINTS", "OPTIONS");
	for (size_t i = 0; i < n; i++) {
		const struct netd_netconf *nc = &defs[i].nc;
		const char *origin = netd_netconf_origin_name(defs[i].origin);
		char opts[64], subnets[2 * NETD_PREFIX_STRLEN + 2];
		json_t *o;

		if (defs[i].error[0]) {
			fprintf(stderr, "netd: %s\n", defs[i].error);
			continue;
		}
		o = cli_netconf_json(nc);
		json_object_set_new(o, "origin", json_string(origin));
		json_object_set_new(o, "path", json_string(defs[i].path));
		json_object_set_new(o, "endpoints", json_integer(count_endpoints(nc->name)));
		if (json) {
			json_array_append_new(arr, o);
			continue;
		}
		cli_json_pair(o, "subnet", "subnet6", subnets, sizeof(subnets));
		printf("%-16s %-18s %-15s %-15s %-6s %-9d %s\n", nc->name, subnets,
		       jstr(o, "gateway", jstr(o, "gateway6", "-")), nc->bridge, origin,
		       count_endpoints(nc->name), cli_netconf_options(nc, opts, sizeof(opts)));
		json_decref(o);
	}
	free(defs);
	return json ? cli_print_json(arr) : CLI_EXIT_OK;
}

static int net_inspect(int argc, char **argv)
{
	bool json = false;
	const char *name = NULL;
	struct netd_netdef *def = NULL;
	struct netd_bridge_state bs;
	struct netd_endpoint *eps = NULL;
	struct netd_err err = {0};
	size_t n = 0;
	int r;
	json_t *o, *br, *arr;

	r = name_and_flag(argc, argv, "network inspect", "--json", NULL, &name, &json);
	if (r)
		return r;
	def = calloc(1, sizeof(*def));
	if (!def)
		return CLI_EXIT_FAIL;
	/* Either config dir; the default network is made on first use, as attach makes it. */
	r = netd_netconf_find(name, def, &err);
	if (r == -ENOENT && strcmp(name, NETD_DEFAULT_NETWORK) == 0 &&
	    netd_network_open(name, &def->nc, &err) == 0 && netd_netconf_find(name, def, &err) == 0)
		r = 0;
	if (r < 0 || netd_network_bridge_state(&def->nc, &bs, &err) < 0 ||
	    netd_endpoint_list(def->nc.name, &eps, &n, &err) < 0) {
		free(def);
		return cli_fail(&err, "network inspect");
	}
	const struct netd_netconf nc = def->nc;
	o = cli_netconf_json(&nc);
	json_object_set_new(o, "origin", json_string(netd_netconf_origin_name(def->origin)));
	json_object_set_new(o, "path", json_string(def->path));
	br = json_object();
	json_object_set_new(br, "name", json_string(nc.bridge));
	json_object_set_new(br, "exists", json_boolean(bs.exists));
	json_object_set_new(br, "up", json_boolean(bs.up));
	json_object_set_new(br, "ifindex", json_integer(bs.ifindex));
	json_object_set_new(br, "mtu", json_integer(bs.mtu));
	json_object_set_new(o, "bridge_state", br);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, cli_endpoint_json(&eps[i]));
	json_object_set_new(o, "endpoints", arr);
	netd_endpoints_free(eps, n);
	if (json) {
		free(def);
		return cli_print_json(o);
	}
	printf("network %s\n  defined  %s (%s)\n  subnet   %s\n  gateway  %s\n  range    %s\n"
	       "  bridge   %s (%s)\n  mtu      %u%s\n  masquerade %s\n  gateway mode %s%s\n",
	       nc.name, def->path,
	       def->origin == NETD_NETCONF_CNI ? "by netd-cni, from a CNI config" : "netd",
	       jstr(o, "subnet", "- (IPv6 only)"), jstr(o, "gateway", "-"), jstr(o, "range", "-"),
	       nc.bridge, bs.exists ? (bs.up ? "up" : "down") : "not created yet", nc.mtu,
	       nc.mtu ? "" : " (host default)",
	       !netd_netconf_has4(&nc) ? "- (no IPv4; see masquerade6)"
	       : nc.masquerade	       ? "yes"
				       : "no",
	       netd_gateway_mode_name(nc.gateway_mode),
	       nc.gateway_mode == NETD_GATEWAY_ROUTED
		   ? " (every container port is reachable from outside)"
		   : " (from outside only published ports)");
	if (json_object_get(o, "subnet6"))
		printf("  subnet6  %s\n  gateway6 %s\n  range6   %s\n  masquerade6 %s\n",
		       json_string_value(json_object_get(o, "subnet6")),
		       json_string_value(json_object_get(o, "gateway6")),
		       json_string_value(json_object_get(o, "range6")),
		       nc.masquerade6 ? "yes" : "no");
	printf("  internal %s\n  icc      %s\n",
	       nc.internal ? "yes (no way out: no masquerade, no default route, no published ports)"
			   : "no",
	       nc.no_icc ? "no (its containers cannot reach each other)" : "yes");
	free(def);
	for (size_t i = 0; i < json_array_size(json_object_get(o, "routes")); i++) {
		json_t *rt = json_array_get(json_object_get(o, "routes"), i);
		const char *gw = json_string_value(json_object_get(rt, "gw"));

		printf("%s%s via %s\n", i ? "           " : "  routes   ",
		       json_string_value(json_object_get(rt, "dst")), gw ? gw : "the gateway");
	}
	printf("  endpoints %zu\n", n);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *e = json_array_get(arr, i);
		printf("    %s/%s %s%s%s via %s\n", json_string_value(json_object_get(e, "id")),
		       json_string_value(json_object_get(e, "ifname")), jstr(e, "address", ""),
		       json_object_get(e, "address") && json_object_get(e, "address6") ? " " : "",
		       jstr(e, "address6", ""),
		       json_string_value(json_object_get(e, "host_interface")));
	}
	json_decref(o);
	return CLI_EXIT_OK;
}

static int net_rm(int argc, char **argv)
{
	bool force = false;
	const char *name = NULL;
	struct netd_err err = {0};
	int r = name_and_flag(argc, argv, "network rm", "--force", "-f", &name, &force);

	if (r)
		return r;
	if (netd_network_remove(name, force, &err) < 0)
		return cli_fail(&err, NULL);
	return CLI_EXIT_OK;
}

int cli_network(int argc, char **argv)
{
	static const struct {
		const char *name, *alias;
		int (*fn)(int, char **);
	} subs[] = {
	    {"create", NULL, net_create},
	    {"ls", "list", net_ls},
	    {"inspect", NULL, net_inspect},
	    {"rm", "remove", net_rm},
	};
	char help[32];

	if (argc < 2 || cli_help_asked(2, argv))
		return argc < 2 ? cli_usage("network: create, ls, inspect or rm expected")
				: cli_help_cmd("network");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) != 0 &&
		    !(subs[i].alias && strcmp(argv[1], subs[i].alias) == 0))
			continue;
		if (cli_help_asked(argc - 1, argv + 1)) {
			snprintf(help, sizeof(help), "network %s", subs[i].name);
			return cli_help_cmd(help);
		}
		return subs[i].fn(argc - 1, argv + 1);
	}
	return cli_usage("network: unknown subcommand \"%s\"", argv[1]);
}
