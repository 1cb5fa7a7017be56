/* SPDX-License-Identifier: MIT */
/* nsbox CLI: parses the command line, validates everything before anything is created. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "nsbox.h"

int nsbox_errfd = 2;

void nsbox_error(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* one line, always */
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	dprintf(nsbox_errfd, "nsbox: %s\n", buf);
}

#ifndef NETD_VERSION
#define NETD_VERSION "0.1.0"
#endif

static const struct verb_help {
	const char *verb, *text;
} verb_help[] = {
    {"ps", "usage: nsbox ps\n"
	   "The containers of this host: NAME, PID 1 as the host sees it, IP, PORTS, SINCE and\n"
	   "COMMAND; a -d container that ended shows exited(N) until nsbox rm. Cleans up what a\n"
	   "killed nsbox left. Exit status 1 when a record is damaged or cannot be read (root).\n"},
    {"exec", "usage: nsbox exec NAME CMD [ARG...]\n"
	     "Runs CMD inside the running container NAME: its namespaces, cgroups and\n"
	     "privileges (as nsenter would). Exit status: CMD's.\n"},
    {"stop",
     "usage: nsbox stop [-t SECS] NAME\n"
     "Sends SIGTERM to the container's PID 1 and SIGKILL after SECS (default 10) seconds;\n"
     "at once when PID 1 has no SIGTERM handler (it would never see SIGTERM: use --init).\n"},
    {"logs", "usage: nsbox logs NAME\n"
	     "Prints what the detached (-d) container NAME wrote on stdout and stderr.\n"},
    {"rm", "usage: nsbox rm NAME\n"
	   "Removes a container that is not running: its record and log, and whatever a killed\n"
	   "nsbox left (network attachment, cgroups).\n"},
};

static void usage(FILE *f)
{
	fputs(
	    "usage: nsbox run [OPTIONS] ROOTFS CMD [ARG...]\n"
	    "       nsbox ps | exec NAME CMD [ARG...] | stop [-t SECS] NAME | logs NAME | rm NAME\n"
	    "       nsbox --version | VERB --help\n"
	    "run options:\n"
	    "  -p, --publish SPEC     publish a port ([IP:][HOST:]CTR[/PROTO], ranges); "
	    "repeatable\n"
	    "  --name NAME            container name (default: nsbox-PID)\n"
	    "  --hostname NAME        hostname (default: the name)\n"
	    "  -e, --env KEY=VALUE    environment variable; repeatable\n"
	    "  -w, --workdir DIR      working directory inside the container\n"
	    "  -u, --user UID[:GID]   numeric user and group\n"
	    "  --network NAME|host|none  network (default: the default network)\n"
	    "  --memory SIZE          memory limit (k/m/g)\n"
	    "  --cpus N.N             CPU limit\n"
	    "  --pids-limit N         process limit\n"
	    "  --read-only            read-only root\n"
	    "  --overlay              rootfs as the lower layer of a throwaway overlay\n"
	    "  --userns               user namespace: container root is an unprivileged host uid\n"
	    "  --init                 a tiny PID 1 that reaps zombies and forwards signals\n"
	    "  -d, --detach           run in the background (see ps, logs, stop)\n"
	    "  -i, --interactive      keep stdin\n"
	    "  -t, --tty              a pseudo-terminal\n"
	    "  --explain[=FILE]       print what is done as shell commands (stderr or FILE)\n",
	    f);
}

static const char *env_get(const struct nsbox_opts *o, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = o->n_env; i-- > 0;)
		if (!strncmp(o->env[i], key, kl) && o->env[i][kl] == '=')
			return o->env[i] + kl + 1;
	return NULL;
}

enum {
	OPT_NAME = 256,
	OPT_HOSTNAME,
	OPT_NETWORK,
	OPT_MEMORY,
	OPT_CPUS,
	OPT_PIDS,
	OPT_RO,
	OPT_OVERLAY,
	OPT_INIT,
	OPT_USERNS,
	OPT_EXPLAIN,
};

static int cmd_run(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"publish", required_argument, NULL, 'p'},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"hostname", required_argument, NULL, OPT_HOSTNAME},
	    {"env", required_argument, NULL, 'e'},
	    {"workdir", required_argument, NULL, 'w'},
	    {"user", required_argument, NULL, 'u'},
	    {"network", required_argument, NULL, OPT_NETWORK},
	    {"net", required_argument, NULL, OPT_NETWORK},
	    {"memory", required_argument, NULL, OPT_MEMORY},
	    {"cpus", required_argument, NULL, OPT_CPUS},
	    {"pids-limit", required_argument, NULL, OPT_PIDS},
	    {"read-only", no_argument, NULL, OPT_RO},
	    {"overlay", no_argument, NULL, OPT_OVERLAY},
	    {"init", no_argument, NULL, OPT_INIT},
	    {"userns", no_argument, NULL, OPT_USERNS},
	    {"explain", optional_argument, NULL, OPT_EXPLAIN},
	    {"detach", no_argument, NULL, 'd'},
	    {"interactive", no_argument, NULL, 'i'},
	    {"tty", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct nsbox_opts o; /* large; static keeps it off the stack */
	struct netd_err err = {0};
	struct stat st;
	const char *hostname = NULL, *name = NULL;
	int c;

	memset(&o, 0, sizeof(o));
	o.net_mode = NSBOX_NET_BRIDGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:e:w:u:dith", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (o.n_port_specs >= NSBOX_MAX_PORTS) {
				nsbox_error("too many -p");
				return NSBOX_EXIT_ERROR;
			}
			if (netd_portspec_parse(optarg, o.ports, NSBOX_MAX_PORTS, &o.n_ports,
						&err) < 0) {
				nsbox_error("-p %s: %s", optarg, err.msg);
				return NSBOX_EXIT_ERROR;
			}
			o.port_specs[o.n_port_specs++] = optarg;
			break;
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_HOSTNAME:
			hostname = optarg;
			break;
		case 'e':
			if (o.n_env >= NSBOX_MAX_ENV) {
				nsbox_error("too many -e");
				return NSBOX_EXIT_ERROR;
			}
			if (!strchr(optarg, '=')) {
				/* -e KEY: take it from nsbox's environment, as docker does */
				const char *v = getenv(optarg);
				if (!v)
					break;
				char *kv;
				if (asprintf(&kv, "%s=%s", optarg, v) < 0)
					return NSBOX_EXIT_ERROR;
				optarg = kv; /* lives until exit */
			}
			if (optarg[0] == '=') {
				nsbox_error("-e %s: empty variable name", optarg);
				return NSBOX_EXIT_ERROR;
			}
			o.env[o.n_env++] = optarg;
			break;
		case 'w':
			if (optarg[0] != '/') {
				nsbox_error("-w %s: must be an absolute path", optarg);
				return NSBOX_EXIT_ERROR;
			}
			o.workdir = optarg;
			break;
		case 'u':
			if (nsbox_parse_user(optarg, &o.uid, &o.gid) < 0) {
				nsbox_error("-u %s: want UID[:GID] (numbers)", optarg);
				return NSBOX_EXIT_ERROR;
			}
			o.has_user = true;
			break;
		case OPT_NETWORK:
			if (!strcmp(optarg, "host")) {
				o.net_mode = NSBOX_NET_HOST;
			} else if (!strcmp(optarg, "none")) {
				o.net_mode = NSBOX_NET_NONE;
			} else {
				if (netd_name_check_network(optarg, &err) < 0) {
					nsbox_error("--network: %s", err.msg);
					return NSBOX_EXIT_ERROR;
				}
				o.net_mode = NSBOX_NET_BRIDGE;
				o.network = optarg;
			}
			break;
		case OPT_MEMORY:
			o.memory = nsbox_parse_size(optarg);
			if (o.memory < (4 << 20)) {
				nsbox_error("--memory %s: want a size of at least 4m (k/m/g)",
					    optarg);
				return NSBOX_EXIT_ERROR;
			}
			break;
		case OPT_CPUS:
			o.cpu_quota_us = nsbox_parse_cpus(optarg);
			if (o.cpu_quota_us <= 0) {
				nsbox_error("--cpus %s: want a number of CPUs from 0.01 to 1024",
					    optarg);
				return NSBOX_EXIT_ERROR;
			}
			break;
		case OPT_PIDS:
			o.pids_limit = nsbox_parse_long(optarg, 1, 4194304);
			if (o.pids_limit <= 0) {
				nsbox_error("--pids-limit %s: want a positive number", optarg);
				return NSBOX_EXIT_ERROR;
			}
			break;
		case OPT_RO:
			o.read_only = true;
			break;
		case OPT_OVERLAY:
			o.overlay = true;
			break;
		case OPT_INIT:
			o.init = true;
			break;
		case OPT_EXPLAIN:
			o.explain = true;
			o.explain_file = optarg;
			break;
		case OPT_USERNS:
			o.userns = true;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'i':
			o.interactive = true;
			break;
		case 't':
			o.tty = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return NSBOX_EXIT_ERROR;
		}
	}
	if (argc - optind < 2) {
		nsbox_error("run: want ROOTFS CMD [ARG...] (nsbox run --help)");
		return NSBOX_EXIT_ERROR;
	}
	if (o.n_ports && o.net_mode != NSBOX_NET_BRIDGE) {
		nsbox_error("-p needs a network (not --network host or none)");
		return NSBOX_EXIT_ERROR;
	}
	if (o.userns && o.net_mode == NSBOX_NET_HOST) {
		nsbox_error("--userns with --network host is not supported");
		return NSBOX_EXIT_ERROR;
	}

	const char *rootfs = argv[optind];
	if (!realpath(rootfs, o.rootfs) || stat(o.rootfs, &st) < 0) {
		nsbox_error("rootfs %s: %s", rootfs, strerror(errno));
		return NSBOX_EXIT_ERROR;
	}
	if (!S_ISDIR(st.st_mode) || !strcmp(o.rootfs, "/")) {
		nsbox_error("rootfs %s: not a directory other than /", rootfs);
		return NSBOX_EXIT_ERROR;
	}
	o.argv = argv + optind + 1;

	if (name) {
		if (netd_name_check_id(name, &err) < 0) {
			nsbox_error("--name: %s", err.msg);
			return NSBOX_EXIT_ERROR;
		}
		snprintf(o.name, sizeof(o.name), "%s", name);
	} else {
		snprintf(o.name, sizeof(o.name), "nsbox-%d", (int)getpid());
	}
	if (!hostname) {
		hostname = o.name;
		if (strlen(hostname) > 63 || !nsbox_hostname_ok(hostname))
			hostname = "nsbox";
	}
	if (!nsbox_hostname_ok(hostname)) {
		nsbox_error("--hostname %s: want 1-63 letters, digits, '-' or '.'", hostname);
		return NSBOX_EXIT_ERROR;
	}
	snprintf(o.hostname, sizeof(o.hostname), "%s", hostname);

	const char *path_env = env_get(&o, "PATH");
	int r = nsbox_resolve_cmd(o.rootfs, o.argv[0], path_env ? path_env : NSBOX_DEFAULT_PATH,
				  o.cmd_path, sizeof(o.cmd_path), &err);
	if (r < 0) {
		nsbox_error("%s", err.msg);
		return r == -EACCES ? NSBOX_EXIT_NOEXEC : NSBOX_EXIT_NOTFOUND;
	}
	return nsbox_run(&o);
}

int main(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;

	if (!verb || !strcmp(verb, "-h") || !strcmp(verb, "--help") || !strcmp(verb, "help")) {
		usage(verb ? stdout : stderr);
		return verb ? 0 : NSBOX_EXIT_ERROR;
	}
	if (!strcmp(verb, "--version") || !strcmp(verb, "version")) {
		printf("nsbox %s\n", NETD_VERSION);
		return 0;
	}
	argc--;
	argv++;
	/* VERB --help (only as VERB's first argument: later ones belong to exec's command) */
	for (size_t i = 0; i < sizeof(verb_help) / sizeof(verb_help[0]); i++)
		if (!strcmp(verb, verb_help[i].verb) && argc > 1 &&
		    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(verb_help[i].text, stdout);
			return 0;
		}
	if (!strcmp(verb, "run"))
		return cmd_run(argc, argv);
	if (!strcmp(verb, "ps"))
		return nsbox_cmd_ps(argc, argv);
	if (!strcmp(verb, "exec"))
		return nsbox_cmd_exec(argc, argv);
	if (!strcmp(verb, "stop"))
		return nsbox_cmd_stop(argc, argv);
	if (!strcmp(verb, "logs"))
		return nsbox_cmd_logs(argc, argv);
	if (!strcmp(verb, "rm"))
		return nsbox_cmd_rm(argc, argv);
	nsbox_error("unknown command %s (nsbox --help)", verb);
	return NSBOX_EXIT_ERROR;
}
