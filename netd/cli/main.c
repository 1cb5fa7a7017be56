/* SPDX-License-Identifier: MIT */
/* netd: the command line over libnetd. Parses, calls the library, prints. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
    "usage: netd COMMAND [ARGS]\n"
    "\n"
    "networks:\n"
    "  network create NAME --subnet CIDR [--gateway IP] [--range A-B] [--bridge BR]\n"
    "                      [--mtu N] [--no-masquerade]\n"
    "  network ls [--json]\n"
    "  network inspect NAME [--json]\n"
    "  network rm NAME [--force]\n"
    "endpoints:\n"
    "  attach NETWORK --netns PATH --id ID [--ifname IF] [--ip IP] [--mac MAC] [-p SPEC]...\n"
    "  detach NETWORK --id ID [--ifname IF]\n"
    "  check NETWORK --id ID [--ifname IF] [--netns PATH]\n"
    "  ps [--network NAME] [--json]\n"
    "housekeeping:\n"
    "  gc [--network NAME] [--json]     remove what belongs to dead namespaces\n"
    "  doctor [--json]                  what would stop container traffic here\n"
    "  serve [--once]                   gc when namespaces die, restore the nft table\n"
    "\n"
    "-p SPEC as in Docker: [HOSTIP:][HOSTPORT:]CTRPORT[/tcp|udp|sctp], ranges 8000-8010:80-90.\n"
    "attach, detach and network create also take --explain[=FILE] (the equivalent shell commands,\n"
    "as they happen, to stderr or FILE) and --dry-run (explain only, change nothing).\n"
    "Environment: NETD_CONFIG_DIR (default /etc/netd/networks), NETD_STATE_DIR (/var/lib/netd).\n"
    "Exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 conflict (exists, in use, busy),\n"
    "            4 not found, 5 range exhausted.\n";

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("netd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see netd --help)\n", stderr);
	return CLI_EXIT_USAGE;
}

int cli_fail(const struct netd_err *err, const char *verb)
{
	fprintf(stderr, "netd: %s%s%s\n", verb ? verb : "", verb ? ": " : "", err->msg);
	/* Not being allowed to look is never an answer: say what it takes. */
	if ((err->code == EPERM || err->code == EACCES) && !strstr(err->msg, "needs root"))
		fprintf(stderr, "netd: %s needs root (CAP_NET_ADMIN and access to %s)\n",
			verb ? verb : "this command", netd_state_dir());
	switch (err->code) {
	case EINVAL:
	case ENAMETOOLONG:
		return CLI_EXIT_USAGE;
	case EEXIST:
	case EADDRINUSE:
	case EBUSY:
		return CLI_EXIT_CONFLICT;
	case ENOENT:
	case ENODEV:
	case ESRCH:
		return CLI_EXIT_NOTFOUND;
	case EADDRNOTAVAIL: /* ENOSPC is a full disk: an I/O failure (1) */
		return CLI_EXIT_NOSPACE;
	default:
		return CLI_EXIT_FAIL;
	}
}

int cli_print_json(json_t *j)
{
	if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
		json_decref(j);
		fprintf(stderr, "netd: cannot write JSON\n");
		return CLI_EXIT_FAIL;
	}
	putchar('\n');
	json_decref(j);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"network", cli_network}, {"attach", cli_attach}, {"detach", cli_detach},
	    {"check", cli_check},     {"ps", cli_ps},	      {"gc", cli_gc},
	    {"doctor", cli_doctor},   {"serve", cli_serve},
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	return cli_usage("unknown command \"%s\"", argv[1]);
}
