/* SPDX-License-Identifier: MIT */
/* netd: the command line over libnetd. Parses, calls the library, prints. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

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

int cli_network_json_opts(int argc, char **argv, const char *verb, const char **net, bool *json)
{
	static const struct option opts[] = {
	    {"network", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			*net = optarg;
			break;
		case 'j':
			*json = true;
			break;
		default:
			return cli_usage("%s: bad option", verb);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"network", cli_network},	    {"attach", cli_attach}, {"detach", cli_detach},
	    {"check", cli_check},	    {"ps", cli_ps},	    {"gc", cli_gc},
	    {"doctor", cli_doctor},	    {"serve", cli_serve},   {"connect", cli_connect},
	    {"disconnect", cli_disconnect},
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cli_help_all(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)
		return cli_version();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		/* network finds its subcommand first (cli_network) */
		if (cmds[i].fn != cli_network && cli_help_asked(argc - 1, argv + 1))
			return cli_help_cmd(cmds[i].name);
		return cmds[i].fn(argc - 1, argv + 1);
	}
	return cli_usage("unknown command \"%s\"", argv[1]);
}
