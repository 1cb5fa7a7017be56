/* SPDX-License-Identifier: MIT */
/* netd --help, netd COMMAND --help, netd --version: every command's synopsis lives here once. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

struct cli_help {
	const char *section; /* starts a group in `netd --help` */
	const char *cmd;
	const char *synopsis;
	const char *brief; /* beside the synopsis in `netd --help`, or NULL */
	const char *about; /* for `netd CMD --help` */
	unsigned notes;	   /* which notes below follow the about text */
};

enum { NOTE_PORTS = 1, NOTE_EXPLAIN = 2 };

static const struct cli_help helps[] = {
    {"networks", "network create",
     "NAME --subnet CIDR [--subnet CIDR6] [--gateway IP]... [--ip-range A-B]... [--bridge BR]\n"
     "                      [--mtu N] [--no-masquerade] [--routed] [--internal]\n"
     "                      [--icc=false]",
     NULL,
     "Defines network NAME: writes its subnet file, $NETD_CONFIG_DIR/NAME.conf. Nothing is made\n"
     "in the kernel until the first attach (bridge, nft table).\n"
     "  --subnet CIDR     IPv4 subnet, host bits zero, /8 to /30, or an IPv6 prefix (/16 to\n"
     "                    /120); once per family: both make a dual-stack network, the IPv6\n"
     "                    one alone an IPv6-only network (no IPv4 address, -p on IPv6 only)\n"
     "  --gateway IP      the bridge's address (default: subnet + 1); once per family\n"
     "  --ip-range A-B    addresses handed out (default: the whole subnet); once per family;\n"
     "                    --range is the same\n"
     "  --bridge BR       bridge name (default: the network name)\n"
     "  --mtu N           MTU of bridge and veths (default: the default route's interface's)\n"
     "  --no-masquerade   do not masquerade traffic leaving the subnet\n"
     "  --routed          every container port is reachable from outside by address, not only\n"
     "                    published ones (gateway_mode=routed, Docker's name; for subnets\n"
     "                    routed on purpose, such as pod networks other nodes reach)\n"
     "  --internal        no way out: containers reach each other and the host only (no default\n"
     "                    route, no masquerade, no published ports; internal=yes)\n"
     "  --icc BOOL        false: containers of the network cannot reach each other (Docker's\n"
     "                    enable_icc; icc=no); the outside and published ports still work\n"
     "Prints the definition as JSON.\n",
     NOTE_EXPLAIN},
    {NULL, "network ls", "[--json]", NULL,
     "Lists the defined networks and their endpoint counts.\n", 0},
    {NULL, "network inspect", "NAME [--json]", NULL,
     "Shows a network: its definition, its bridge in the kernel and its endpoints.\n", 0},
    {NULL, "network rm", "NAME [--force]", NULL,
     "Removes a network: its bridge and its subnet file. Refused while endpoints are attached,\n"
     "unless --force (-f), which detaches them first.\n",
     0},
    {"endpoints", "attach",
     "NETWORK --netns PATH --id ID [--ifname IF] [--ip IP]... [--mac MAC] [-p SPEC]...\n"
     "            [--default-route] [--name NAME] [--alias ALIAS]...",
     NULL,
     "Attaches a network namespace to NETWORK: a veth whose peer is created inside the namespace\n"
     "as IF, an address from the network's range, the network's routes, a default route via the\n"
     "gateway when the namespace has none yet (its first interface), and the published ports.\n"
     "On failure nothing is left behind. Prints the endpoint as JSON.\n"
     "  --netns PATH      the namespace: /run/netns/NAME, /proc/PID/ns/net\n"
     "  --id ID           the endpoint's owner (a container id)\n"
     "  --ifname IF       interface name inside the namespace (default: eth0)\n"
     "  --ip IP           this address instead of the next free one; once per family (an IPv6\n"
     "                    one on a dual-stack network)\n"
     "  --mac MAC         this MAC address for IF (aa:bb:cc:dd:ee:ff)\n"
     "  -p, --publish SPEC  publish a port (repeatable)\n"
     "  --default-route   the default route via this network even when the namespace has one\n"
     "  --name NAME       the name other endpoints of NETWORK find this one by (a DNS label)\n"
     "  --alias ALIAS     one more such name (repeatable, at most 16)\n"
     "Names are answered by aardvark-dns on the network's gateway (search domain dns.netd);\n"
     "a name another endpoint of the network holds is refused. Without aardvark-dns the names\n"
     "are kept but nothing answers them (netd doctor says so).\n",
     NOTE_PORTS | NOTE_EXPLAIN},
    {NULL, "detach", "NETWORK --id ID [--ifname IF]", NULL,
     "Undoes an attach from netd's state: veth, lease, published ports, record. What is already\n"
     "gone (the namespace, the veth) counts as done.\n",
     NOTE_EXPLAIN},
    {NULL, "connect",
     "NETWORK CONTAINER | NETWORK --netns PATH --id ID\n"
     "            [--ifname IF] [--ip IP]... [--default-route] [--name NAME] [--alias ALIAS]...",
     NULL,
     "Attaches one more network to a running container: an nsbox container by name (its\n"
     "network namespace is its PID 1's), or any namespace with --netns and --id. The interface\n"
     "is the first free ethN of the namespace; the default route stays where it is unless\n"
     "--default-route; --ip as for attach (once per family). An nsbox container is found on\n"
     "NETWORK by its name (and --alias); nsbox stop, kill -9 + nsbox ps or netd gc remove the\n"
     "attachment with the container. Prints the endpoint as JSON.\n",
     0},
    {NULL, "disconnect", "NETWORK CONTAINER | NETWORK --netns PATH --id ID", NULL,
     "Detaches a running container (as for connect) from NETWORK: every interface of its\n"
     "namespace on that network. Its names there go with it.\n",
     0},
    {NULL, "check", "NETWORK --id ID [--ifname IF] [--netns PATH]", NULL,
     "Verifies every part of an attachment (interface, address, route, lease, ports); prints ok\n"
     "or says what is missing.\n",
     0},
    {NULL, "ps", "[--network NAME] [--json]", NULL, "Lists the endpoints (of one network).\n", 0},
    {"housekeeping", "gc", "[--network NAME] [--json]", "remove what belongs to dead namespaces",
     "Removes what belongs to dead namespaces: endpoints, veths, leases, host-port claims and\n"
     "map elements; finishes attaches and detaches that were interrupted.\n",
     0},
    {NULL, "doctor", "[--json]", "what would stop container traffic here",
     "Says in plain words what would stop container traffic on this host: IP forwarding off,\n"
     "another table's forward chain with policy drop, br_netfilter, a subnet overlapping a host\n"
     "route, leaked veths, a missing or stopped name server. Exits 1 when a check fails.\n",
     0},
    {NULL, "serve", "[--once]", "gc when namespaces die, restore the nft table",
     "Watches link events: runs gc within a second of a namespace dying, and puts table ip netd\n"
     "back from state when the ruleset was flushed (a reload of nftables.service), and restarts\n"
     "the name server (aardvark-dns) when it dies while names are in use. Tells systemd\n"
     "when it is ready (Type=notify) and feeds its watchdog. --once: one round, then exit.\n",
     0},
};

static const char note_ports[] =
    "-p SPEC as in Docker: [HOSTIP:][HOSTPORT:]CTRPORT[/tcp|udp|sctp], ranges 8000-8010:80-90;\n"
    "   an IPv6 HOSTIP in brackets ([::]:8080:80); no HOSTIP: every address of both families.\n";
static const char note_explain[] =
    "--explain[=FILE] prints the equivalent shell commands, as they happen, to stderr or FILE;\n"
    "--dry-run explains only and changes nothing.\n";
static const char note_common[] =
    "Environment: NETD_CONFIG_DIR (default /etc/netd/networks), NETD_STATE_DIR (/var/lib/netd;\n"
    "netd-cni's networks are in its cni-networks/, NETD_CNI_CONFIG_DIR, shown as \"cni\").\n"
    "Exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 conflict (exists, in use, busy),\n"
    "            4 not found, 5 range exhausted.\n";

void cli_help_all(FILE *f)
{
	fputs("usage: netd COMMAND [ARGS]    (netd COMMAND --help for more; netd --version)\n", f);
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		if (helps[i].section)
			fprintf(f, "%s%s:\n", i ? "" : "\n", helps[i].section);
		fprintf(f, "  %s %s", helps[i].cmd, helps[i].synopsis);
		if (helps[i].brief)
			fprintf(f, "%*s%s",
				(int)(33 - strlen(helps[i].cmd) - strlen(helps[i].synopsis)), "",
				helps[i].brief);
		fputc('\n', f);
	}
	fprintf(f, "\n%sattach, detach and network create also take:\n%s%s", note_ports,
		note_explain, note_common);
}

/* `netd network --help`: the network subcommands. */
static void help_prefix(FILE *f, const char *prefix)
{
	size_t n = strlen(prefix);

	fprintf(f, "usage:\n");
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strncmp(helps[i].cmd, prefix, n) == 0 && helps[i].cmd[n] == ' ')
			fprintf(f, "  netd %s %s\n", helps[i].cmd, helps[i].synopsis);
	fprintf(f, "\n(netd %s SUBCOMMAND --help for more)\n", prefix);
}

int cli_version(void)
{
	printf("netd %s\n", netd_version());
	return CLI_EXIT_OK;
}

int cli_help_cmd(const char *cmd)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		const struct cli_help *h = &helps[i];

		if (strcmp(h->cmd, cmd) != 0)
			continue;
		printf("usage: netd %s %s\n\n%s", h->cmd, h->synopsis, h->about);
		if (h->notes & NOTE_PORTS)
			fputs(note_ports, stdout);
		if (h->notes & NOTE_EXPLAIN)
			fputs(note_explain, stdout);
		fputs(note_common, stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "network") == 0) {
		help_prefix(stdout, cmd);
		return CLI_EXIT_OK;
	}
	return cli_usage("no help for \"%s\"", cmd);
}

bool cli_help_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}
