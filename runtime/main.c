/* SPDX-License-Identifier: MIT */
/* nsbox CLI: parses the command line, validates everything before anything is created. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
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
    {"wait", "usage: nsbox wait NAME\n"
	     "Waits until the container NAME ends (a --restart supervisor included) and prints\n"
	     "its exit status (kept for -d containers without --rm).\n"},
    {"inspect", "usage: nsbox inspect NAME\n"
		"Prints what nsbox knows of the container NAME as JSON (an array of one object,\n"
		"as docker inspect): state, pid, network, capabilities, seccomp, user, restart\n"
		"policy, cgroups, and the configuration it was started with.\n"},
    {"rm", "usage: nsbox rm NAME\n"
	   "Removes a container that is not running: its record and log, and whatever a killed\n"
	   "nsbox left (network attachment, cgroups).\n"},
};

static void usage(FILE *f)
{
	fputs(
	    "usage: nsbox run [OPTIONS] ROOTFS CMD [ARG...]\n"
	    "       nsbox ps | exec NAME CMD [ARG...] | stop [-t SECS] NAME | logs NAME | rm NAME\n"
	    "       nsbox wait NAME | inspect NAME\n"
	    "       nsbox --version | VERB --help\n"
	    "run options:\n"
	    "  -p, --publish SPEC     publish a port ([IP:][HOST:]CTR[/PROTO], ranges); "
	    "repeatable\n"
	    "  --name NAME            container name (default: nsbox-PID); given, also its name\n"
	    "                         on its network (a DNS label)\n"
	    "  --hostname NAME        hostname (default: the name)\n"
	    "  -e, --env KEY=VALUE    environment variable; repeatable\n"
	    "  -w, --workdir DIR      working directory inside the container\n"
	    "  -u, --user USER[:GROUP]  name (the rootfs' /etc/passwd, /etc/group) or number\n"
	    "  --network NAME|host|none|container:NAME  network (default: the default network);\n"
	    "                         repeat with names for more networks (eth0, eth1, ...: the\n"
	    "                         first has the default route and the published ports);\n"
	    "                         container:NAME joins that running container's network\n"
	    "  --network-alias NAME   one more name the container is found by on its networks\n"
	    "                         (a --name is one already); repeatable\n"
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
	    "  --explain[=FILE]       print what is done as shell commands (stderr or FILE)\n"
	    "  -v, --volume HOST:CTR[:ro]  bind mount a host file or directory\n"
	    "  --tmpfs PATH[:OPTS]    a tmpfs (size=, mode=, ro, [no]exec, [no]suid, [no]dev)\n"
	    "  --mount type=bind|tmpfs,source=,target=,readonly,tmpfs-size=,tmpfs-mode=\n"
	    "  --env-file FILE        KEY=VALUE lines\n"
	    "  --rm                   remove the state when it ends (-d too)\n"
	    "  --restart POLICY       no, on-failure[:N], always (nsbox stop ends it)\n"
	    "  --cap-add CAP, --cap-drop CAP  over Docker's default set; ALL\n"
	    "  --privileged           every capability, no seccomp, nothing masked (docs)\n"
	    "  --security-opt OPT     seccomp=unconfined|PROFILE.json, no-new-privileges[=false]\n"
	    "  --add-host NAME:IP, --dns IP, --dns-search DOMAIN  the container's /etc files\n",
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
	OPT_TMPFS,
	OPT_MOUNT,
	OPT_ENV_FILE,
	OPT_RM,
	OPT_RESTART,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_SECURITY_OPT,
	OPT_ADD_HOST,
	OPT_DNS,
	OPT_DNS_SEARCH,
	OPT_ALIAS,
};

/* A small file of the rootfs (/etc/passwd, /etc/group), resolved inside it: a symlink cannot
 * lead out of the rootfs, and a FIFO or device is refused. Missing: empty text. */
static char *rootfs_file(const char *rootfs, const char *rel, size_t *len, struct netd_err *err)
{
	netd_cleanup_close int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	netd_cleanup_close int fd = -1;
	struct stat st;
	char *buf;
	ssize_t n;

	*len = 0;
	if (root < 0) {
		netd_err_sys(err, errno, "rootfs %s", rootfs);
		return NULL;
	}
	fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = openat(root, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return calloc(1, 1);
	if (fd < 0 || fstat(fd, &st) < 0) {
		netd_err_sys(err, errno, "%s/%s", rootfs, rel);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
		netd_err_set(err, EINVAL, "%s/%s: not a regular file of at most 1 MiB", rootfs,
			     rel);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		netd_err_set(err, ENOMEM, "%s/%s: out of memory", rootfs, rel);
		return NULL;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		netd_err_sys(err, errno, "%s/%s", rootfs, rel);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* -u NAME[:GROUP] / UID[:GID] against the rootfs' /etc/passwd and /etc/group (Docker's rules:
 * a name must exist; a number need not; the primary group comes from passwd unless given; the
 * supplementary groups are those of /etc/group that list the user). */
static int resolve_user(struct nsbox_opts *o, struct netd_err *err)
{
	char user[256], *group = NULL;
	struct nsbox_pwent pw = {0};
	size_t plen = 0, glen = 0;
	bool have_pw, numeric;

	if (!o->user_spec) /* root; no supplementary groups (the host's are not passed on) */
		return 0;
	if (strlen(o->user_spec) >= sizeof(user) || !*o->user_spec)
		return netd_err_set(err, EINVAL, "-u %s: want NAME[:GROUP] or UID[:GID]",
				    o->user_spec);
	strcpy(user, o->user_spec);
	group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	netd_cleanup_free char *passwd = rootfs_file(o->rootfs, "etc/passwd", &plen, err);
	if (!passwd)
		return -err->code;
	netd_cleanup_free char *groups = rootfs_file(o->rootfs, "etc/group", &glen, err);
	if (!groups)
		return -err->code;
	numeric = isdigit((unsigned char)user[0]);
	have_pw = nsbox_passwd_find(passwd, plen, user, &pw);
	if (numeric) {
		long u = nsbox_parse_long(user, 0, 0x7fffffff);
		if (u < 0)
			return netd_err_set(err, EINVAL, "-u %s: want NAME[:GROUP] or UID[:GID]",
					    o->user_spec);
		o->uid = (uid_t)u;
		o->gid = have_pw ? pw.gid : (gid_t)u;
	} else {
		if (!have_pw)
			return netd_err_set(err, ENOENT, "-u %s: no user %s in %s/etc/passwd",
					    o->user_spec, user, o->rootfs);
		o->uid = pw.uid;
		o->gid = pw.gid;
	}
	if (group) {
		gid_t g;
		if (isdigit((unsigned char)group[0])) {
			long v = nsbox_parse_long(group, 0, 0x7fffffff);
			if (v < 0)
				return netd_err_set(err, EINVAL, "-u %s: bad group", o->user_spec);
			o->gid = (gid_t)v;
		} else if (nsbox_group_find(groups, glen, group, &g)) {
			o->gid = g;
		} else {
			return netd_err_set(err, ENOENT, "-u %s: no group %s in %s/etc/group",
					    o->user_spec, group, o->rootfs);
		}
	}
	o->groups[0] = o->gid;
	o->n_groups = 1;
	if (have_pw) {
		gid_t more[NSBOX_MAX_GROUPS];
		size_t n = nsbox_group_members(groups, glen, pw.name, more, NSBOX_MAX_GROUPS - 1);
		for (size_t i = 0; i < n; i++)
			if (more[i] != o->gid)
				o->groups[o->n_groups++] = more[i];
		if (pw.home[0])
			snprintf(o->home, sizeof(o->home), "%s", pw.home);
	}
	o->has_user = true;
	return 0;
}

/* --env-file FILE (on the host, as Docker reads it): KEY=VALUE lines; KEY alone takes nsbox's
 * own value; blank lines and # comments are skipped. */
static int read_env_file(struct nsbox_opts *o, const char *path, struct netd_err *err)
{
	FILE *f = fopen(path, "re");
	char line[8192], kv[8192];
	unsigned lineno = 0;
	int r = 0;

	if (!f)
		return netd_err_sys(err, errno, "--env-file %s", path);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f)) {
			r = netd_err_set(err, EINVAL, "--env-file %s: line %u: longer than 8 KiB",
					 path, lineno);
			break;
		}
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		int k = nsbox_env_line(line, n, kv, sizeof(kv));
		if (k == 0)
			continue;
		if (k < 0) {
			r = netd_err_set(
			    err, EINVAL,
			    "--env-file %s: line %u: want KEY=VALUE (no spaces in KEY)", path,
			    lineno);
			break;
		}
		char *v = strchr(kv, '=') ? strdup(kv) : NULL;
		if (!strchr(kv, '=')) {
			const char *e = getenv(kv);
			if (!e)
				continue;
			if (asprintf(&v, "%s=%s", kv, e) < 0)
				v = NULL;
		}
		if (!v || o->n_env >= NSBOX_MAX_ENV) {
			r = netd_err_set(err, E2BIG, "--env-file %s: too many variables", path);
			break;
		}
		o->env[o->n_env++] = v; /* lives until exit */
	}
	fclose(f);
	return r;
}

static int mount_depth(const char *p)
{
	int d = 0;

	for (; *p; p++)
		d += *p == '/';
	return d;
}

/* Mounts, checked and ordered: sources exist (resolved on the host), no target twice, parents
 * before their children (a -v on /data and one on /data/x). */
static int mounts_check(struct nsbox_opts *o, struct netd_err *err)
{
	for (size_t i = 0; i < o->n_mounts; i++) {
		struct nsbox_mount *m = &o->mounts[i];
		char real[PATH_MAX];
		struct stat st;
		if (m->type == NSBOX_MOUNT_BIND) {
			if (!realpath(m->src, real) || stat(real, &st) < 0)
				return netd_err_sys(err, errno, "bind source %s", m->src);
			if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
				return netd_err_set(err, EINVAL,
						    "bind source %s: not a directory or a file",
						    m->src);
			snprintf(m->src, sizeof(m->src), "%s", real);
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(o->mounts[j].dst, m->dst))
				return netd_err_set(err, EEXIST, "mount point %s given twice",
						    m->dst);
	}
	/* insertion sort by depth: stable, and there are few */
	for (size_t i = 1; i < o->n_mounts; i++) {
		struct nsbox_mount t = o->mounts[i];
		size_t j = i;
		while (j > 0 && mount_depth(o->mounts[j - 1].dst) > mount_depth(t.dst)) {
			o->mounts[j] = o->mounts[j - 1];
			j--;
		}
		o->mounts[j] = t;
	}
	return 0;
}

static int cap_list(const char *arg, uint64_t *mask, bool *all, struct netd_err *err)
{
	char buf[1024];

	if (strlen(arg) >= sizeof(buf))
		return netd_err_set(err, EINVAL, "capability list too long");
	strcpy(buf, arg);
	for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
		if (!strcasecmp(t, "ALL")) {
			*all = true;
			continue;
		}
		int c = nsbox_cap_parse(t);
		if (c < 0)
			return netd_err_set(err, EINVAL,
					    "capability %s: unknown (CAP_NET_RAW, NET_RAW, "
					    "ALL, ...)",
					    t);
		*mask |= 1ULL << c;
	}
	return 0;
}

static int security_opt(struct nsbox_opts *o, const char *v, int *nnp, struct netd_err *err)
{
	if (!strcmp(v, "seccomp=unconfined") || !strcmp(v, "seccomp:unconfined")) {
		o->seccomp = NSBOX_SECCOMP_UNCONFINED;
	} else if (!strncmp(v, "seccomp=", 8) || !strncmp(v, "seccomp:", 8)) {
		if (!v[8])
			return netd_err_set(err, EINVAL, "--security-opt %s: want a profile file",
					    v);
		o->seccomp = NSBOX_SECCOMP_PROFILE;
		o->seccomp_file = v + 8;
	} else if (!strcmp(v, "no-new-privileges") || !strcmp(v, "no-new-privileges=true") ||
		   !strcmp(v, "no-new-privileges:true")) {
		*nnp = 1;
	} else if (!strcmp(v, "no-new-privileges=false") || !strcmp(v, "no-new-privileges:false")) {
		*nnp = 0;
	} else {
		return netd_err_set(
		    err, EINVAL,
		    "--security-opt %s: seccomp=unconfined, seccomp=PROFILE.json or "
		    "no-new-privileges[=true|false] (AppArmor and SELinux labels are "
		    "not supported)",
		    v);
	}
	return 0;
}

/* The profile file, read as root reads it: a regular file of at most 1 MiB. */
static int load_profile(struct nsbox_opts *o, struct nsbox_sc_profile *p, struct netd_err *err)
{
	netd_cleanup_close int fd = open(o->seccomp_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return netd_err_sys(err, errno, "seccomp profile %s", o->seccomp_file);
	if (!S_ISREG(st.st_mode) || st.st_size > (1 << 20))
		return netd_err_set(err, EINVAL,
				    "seccomp profile %s: not a regular file of at most "
				    "1 MiB",
				    o->seccomp_file);
	netd_cleanup_free char *text = malloc((size_t)st.st_size + 1);
	if (!text)
		return netd_err_set(err, ENOMEM, "seccomp profile: out of memory");
	ssize_t n = read(fd, text, (size_t)st.st_size);
	if (n < 0)
		return netd_err_sys(err, errno, "seccomp profile %s", o->seccomp_file);
	return nsbox_seccomp_parse(text, (size_t)n, o->seccomp_file, p, err);
}

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
	    {"network-alias", required_argument, NULL, OPT_ALIAS},
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
	    {"volume", required_argument, NULL, 'v'},
	    {"tmpfs", required_argument, NULL, OPT_TMPFS},
	    {"mount", required_argument, NULL, OPT_MOUNT},
	    {"env-file", required_argument, NULL, OPT_ENV_FILE},
	    {"rm", no_argument, NULL, OPT_RM},
	    {"restart", required_argument, NULL, OPT_RESTART},
	    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
	    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
	    {"privileged", no_argument, NULL, OPT_PRIVILEGED},
	    {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
	    {"add-host", required_argument, NULL, OPT_ADD_HOST},
	    {"dns", required_argument, NULL, OPT_DNS},
	    {"dns-search", required_argument, NULL, OPT_DNS_SEARCH},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct nsbox_opts o; /* large; static keeps it off the stack */
	struct netd_err err = {0};
	struct stat st;
	const char *hostname = NULL, *name = NULL;
	const char *env_files[16];
	size_t n_env_files = 0;
	uint64_t cap_add = 0, cap_drop = 0;
	bool add_all = false, drop_all = false;
	int nnp = -1, c;

	memset(&o, 0, sizeof(o));
	o.net_mode = NSBOX_NET_BRIDGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:e:w:u:v:dith", lopts, NULL)) != -1) {
		switch (c) {
		case 'v':
		case OPT_TMPFS:
		case OPT_MOUNT: {
			if (o.n_mounts >= NSBOX_MAX_MOUNTS) {
				nsbox_error("more than %d mounts", NSBOX_MAX_MOUNTS);
				return NSBOX_EXIT_ERROR;
			}
			struct nsbox_mount *m = &o.mounts[o.n_mounts];
			int r = c == 'v'	 ? nsbox_parse_volume(optarg, m, &err)
				: c == OPT_TMPFS ? nsbox_parse_tmpfs(optarg, m, &err)
						 : nsbox_parse_mount(optarg, m, &err);
			if (r < 0) {
				nsbox_error("%s", err.msg);
				return NSBOX_EXIT_ERROR;
			}
			o.n_mounts++;
			break;
		}
		case OPT_ENV_FILE:
			if (n_env_files >= sizeof(env_files) / sizeof(env_files[0])) {
				nsbox_error("too many --env-file");
				return NSBOX_EXIT_ERROR;
			}
			env_files[n_env_files++] = optarg;
			break;
		case OPT_RM:
			o.rm = true;
			break;
		case OPT_RESTART:
			if (nsbox_parse_restart(optarg, &o.restart, &o.restart_max) < 0) {
				nsbox_error("--restart %s: want no, always or on-failure[:N]",
					    optarg);
				return NSBOX_EXIT_ERROR;
			}
			break;
		case OPT_CAP_ADD:
		case OPT_CAP_DROP:
			if (cap_list(optarg, c == OPT_CAP_ADD ? &cap_add : &cap_drop,
				     c == OPT_CAP_ADD ? &add_all : &drop_all, &err) < 0) {
				nsbox_error("%s %s: %s",
					    c == OPT_CAP_ADD ? "--cap-add" : "--cap-drop", optarg,
					    err.msg);
				return NSBOX_EXIT_ERROR;
			}
			break;
		case OPT_PRIVILEGED:
			o.privileged = true;
			break;
		case OPT_SECURITY_OPT:
			if (security_opt(&o, optarg, &nnp, &err) < 0) {
				nsbox_error("%s", err.msg);
				return NSBOX_EXIT_ERROR;
			}
			break;
		case OPT_ADD_HOST: {
			char hn[256], ip[64];
			if (o.n_hosts >= NSBOX_MAX_HOSTS ||
			    nsbox_parse_add_host(optarg, hn, sizeof(hn), ip, sizeof(ip)) < 0) {
				nsbox_error("--add-host %s: want NAME:IP", optarg);
				return NSBOX_EXIT_ERROR;
			}
			o.hosts[o.n_hosts][0] = strdup(hn);
			o.hosts[o.n_hosts][1] = strdup(ip);
			o.n_hosts++;
			break;
		}
		case OPT_DNS:
			if (o.n_dns >= NSBOX_MAX_DNS || !nsbox_ip_ok(optarg)) {
				nsbox_error("--dns %s: want an IP address", optarg);
				return NSBOX_EXIT_ERROR;
			}
			o.dns[o.n_dns++] = optarg;
			break;
		case OPT_DNS_SEARCH:
			if (o.n_dns_search >= NSBOX_MAX_DNS || !nsbox_dns_search_ok(optarg)) {
				nsbox_error("--dns-search %s: want a domain", optarg);
				return NSBOX_EXIT_ERROR;
			}
			o.dns_search[o.n_dns_search++] = optarg;
			break;
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
			o.user_spec = optarg; /* resolved against the rootfs below */
			break;
		case OPT_NETWORK:
			if (nsbox_net_add(&o, optarg, &err) < 0) {
				nsbox_error("%s", err.msg);
				return NSBOX_EXIT_ERROR;
			}
			break;
		case OPT_ALIAS:
			if (netd_name_check_dns(optarg, &err) < 0) {
				nsbox_error("--network-alias: %s", err.msg);
				return NSBOX_EXIT_ERROR;
			}
			if (o.n_aliases == NETD_ALIASES_MAX) {
				nsbox_error("--network-alias: at most %d", NETD_ALIASES_MAX);
				return NSBOX_EXIT_ERROR;
			}
			o.aliases[o.n_aliases++] = optarg;
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
	if (nsbox_net_finish(&o, &err) < 0) {
		nsbox_error("%s", err.msg);
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

	for (size_t i = 0; i < n_env_files; i++)
		if (read_env_file(&o, env_files[i], &err) < 0) {
			nsbox_error("%s", err.msg);
			return NSBOX_EXIT_ERROR;
		}
	if (resolve_user(&o, &err) < 0 || mounts_check(&o, &err) < 0) {
		nsbox_error("%s", err.msg);
		return NSBOX_EXIT_ERROR;
	}
	if (o.rm && o.restart != NSBOX_RESTART_NO) {
		nsbox_error("--rm and --restart exclude each other");
		return NSBOX_EXIT_ERROR;
	}
	/* mount points are made in an overlay's upper layer, never in the read-only rootfs */
	if (o.read_only && o.n_mounts)
		o.overlay = true;
	o.caps = o.privileged ? nsbox_caps_resolve(0, 0, true, 0, false, nsbox_last_cap())
			      : nsbox_caps_resolve(nsbox_caps_default(), cap_add, add_all, cap_drop,
						   drop_all, nsbox_last_cap());
	o.no_new_privs = nnp >= 0 ? nnp == 1 : !o.privileged;
	if (o.privileged && o.seccomp == NSBOX_SECCOMP_DEFAULT)
		o.seccomp = NSBOX_SECCOMP_UNCONFINED;
	snprintf(o.seccomp_name, sizeof(o.seccomp_name), "%s",
		 o.seccomp == NSBOX_SECCOMP_UNCONFINED ? "unconfined"
		 : o.seccomp == NSBOX_SECCOMP_PROFILE  ? o.seccomp_file
						       : "default");
	if (o.seccomp != NSBOX_SECCOMP_UNCONFINED) {
		struct nsbox_sc_profile prof;
		bool cached;
		if (o.seccomp == NSBOX_SECCOMP_PROFILE) {
			if (load_profile(&o, &prof, &err) < 0) {
				nsbox_error("%s", err.msg);
				return NSBOX_EXIT_ERROR;
			}
		} else {
			nsbox_seccomp_default(&prof);
		}
		int r = nsbox_seccomp_prepare(&prof, o.caps, &o.bpf, &o.seccomp_key, &cached, &err);
		o.seccomp_cached = cached;
		nsbox_seccomp_free(&prof);
		if (r < 0) {
			nsbox_error("%s", err.msg);
			return NSBOX_EXIT_ERROR;
		}
	}

	if (name) {
		if (netd_name_check_id(name, &err) < 0) {
			nsbox_error("--name: %s", err.msg);
			return NSBOX_EXIT_ERROR;
		}
		snprintf(o.name, sizeof(o.name), "%s", name);
		o.name_given = true;
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
	if (!strcmp(verb, "wait"))
		return nsbox_cmd_wait(argc, argv);
	if (!strcmp(verb, "inspect"))
		return nsbox_cmd_inspect(argc, argv);
	nsbox_error("unknown command %s (nsbox --help)", verb);
	return NSBOX_EXIT_ERROR;
}
