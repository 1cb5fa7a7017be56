/* SPDX-License-Identifier: MIT */
/*
 * nsbox: a compact container runtime over libnetd. A container is a process in new pid, mount,
 * uts, ipc, net and cgroup namespaces (user too with --userns), in a cgroup with limits, with
 * its own root (pivot_root), a reduced capability bounding set and no_new_privs.
 *
 * One job per file: main.c (CLI), run.c (clone, parent/child sync, wait, teardown), mounts.c,
 * cgroup.c, caps.c, state.c (state dir; ps/stop/logs/rm), record.c (the record file, pure),
 * exec.c, init.c (--init), fds.c (what the container inherits; why an exec failed).
 */
#ifndef NSBOX_H
#define NSBOX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include <netd/explain.h>
#include <netd/netd.h>
#include <netd/util.h>

#define NSBOX_MAX_PORTS	   256
#define NSBOX_MAX_ENV	   256
#define NSBOX_MAX_CGROUP   8
#define NSBOX_IFNAME	   "eth0"
#define NSBOX_MAX_NETWORKS 8
#define NSBOX_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Exit codes of nsbox itself, as Docker: 125 runtime error, 126 not executable, 127 not found. */
#define NSBOX_EXIT_ERROR    125
#define NSBOX_EXIT_NOEXEC   126
#define NSBOX_EXIT_NOTFOUND 127

#define NSBOX_MAX_MOUNTS 64
#define NSBOX_MAX_HOSTS	 64
#define NSBOX_MAX_DNS	 16
#define NSBOX_MAX_GROUPS 64

/* A compiled filter: BPF instructions (struct sock_filter, 8 bytes each). */
struct nsbox_bpf {
	void *insns;
	size_t n;
};

enum { NSBOX_MOUNT_BIND, NSBOX_MOUNT_TMPFS };

/* -v, --tmpfs, --mount: one mount into the container. */
struct nsbox_mount {
	int type;
	char src[PATH_MAX]; /* bind: the host path (absolute) */
	char dst[PATH_MAX]; /* in the container: absolute, normalised */
	bool ro;
	unsigned long flags; /* tmpfs: MS_NOSUID|MS_NODEV|MS_NOEXEC by default */
	long long size;	     /* tmpfs: bytes, 0: the kernel's default */
	unsigned mode;
	bool has_mode;
};

enum { NSBOX_RESTART_NO, NSBOX_RESTART_ON_FAILURE, NSBOX_RESTART_ALWAYS };
enum { NSBOX_SECCOMP_DEFAULT, NSBOX_SECCOMP_UNCONFINED, NSBOX_SECCOMP_PROFILE };

/* A line of the rootfs' /etc/passwd. */
struct nsbox_pwent {
	char name[64];
	uid_t uid;
	gid_t gid;
	char home[256];
};

enum nsbox_net_mode {
	NSBOX_NET_BRIDGE,    /* a libnetd network (default or --network NAME) */
	NSBOX_NET_HOST,	     /* the host's network namespace */
	NSBOX_NET_NONE,	     /* a new namespace with only lo */
	NSBOX_NET_CONTAINER, /* another container's (--network container:NAME) */
};

struct nsbox_opts {
	char rootfs[PATH_MAX];	 /* absolute, resolved */
	char **argv;		 /* the command and its arguments */
	char cmd_path[PATH_MAX]; /* the command resolved inside the rootfs */
	char name[NETD_ID_MAX + 1];
	bool name_given; /* --name: also the container's name on its network (nsbox-PID is not) */
	char hostname[65];
	const char *env[NSBOX_MAX_ENV + 8];
	size_t n_env;
	const char *workdir;
	bool has_user;
	uid_t uid;
	gid_t gid;
	enum nsbox_net_mode net_mode;
	/* --network NAME, repeatable: one interface each (eth0, eth1, ...); none given: libnetd's
	 * default network. The first has the default route and the published ports. */
	const char *networks[NSBOX_MAX_NETWORKS];
	size_t n_networks;
	bool net_given;		   /* a --network came (host, none, container: stand alone) */
	const char *net_container; /* container:NAME */
	const char *aliases[NETD_ALIASES_MAX]; /* --network-alias: more names on the network */
	size_t n_aliases;
	long long memory;  /* bytes, 0: no limit */
	long cpu_quota_us; /* per 100 ms period, 0: no limit */
	long pids_limit;   /* 0: no limit */
	bool read_only, overlay, init, detach, interactive, tty, userns;
	bool explain;		  /* --explain[=FILE]: the equivalent shell commands (run.c) */
	const char *explain_file; /* NULL: stderr */
	struct netd_port ports[NSBOX_MAX_PORTS];
	size_t n_ports;
	char *port_specs[NSBOX_MAX_PORTS]; /* as given, for ps */
	size_t n_port_specs;
	/* issue 18 */
	struct nsbox_mount mounts[NSBOX_MAX_MOUNTS]; /* sorted: parents before children */
	size_t n_mounts;
	const char *user_spec;		/* -u as given */
	gid_t groups[NSBOX_MAX_GROUPS]; /* setgroups(2): the primary group and the user's others */
	size_t n_groups;
	char home[256]; /* from the rootfs' /etc/passwd */
	bool rm;
	int restart;	  /* NSBOX_RESTART_* */
	long restart_max; /* on-failure:N; 0: no limit */
	uint64_t caps;	  /* the capability set: Docker's default, --cap-add/--cap-drop */
	bool privileged;
	int seccomp;		  /* NSBOX_SECCOMP_* */
	const char *seccomp_file; /* seccomp=PROFILE.json */
	bool no_new_privs;	  /* default on; --security-opt no-new-privileges=false */
	struct nsbox_bpf bpf;	  /* the compiled filter (main.c, before anything is made) */
	uint64_t seccomp_key;	  /* its cache key */
	bool seccomp_cached;
	char seccomp_name[256];		       /* default, unconfined, or the profile's file */
	const char *hosts[NSBOX_MAX_HOSTS][2]; /* --add-host NAME:IP */
	size_t n_hosts;
	const char *dns[NSBOX_MAX_DNS];
	size_t n_dns;
	const char *dns_search[NSBOX_MAX_DNS];
	size_t n_dns_search;
};

/* A container's cgroup: one directory per hierarchy used. */
struct nsbox_cgroup {
	size_t n;
	struct {
		char path[PATH_MAX];
		bool v2;
	} dir[NSBOX_MAX_CGROUP];
};

/* What the state dir records about a running container (the "record" file). */
struct nsbox_record {
	char name[NETD_ID_MAX + 1];
	bool name_given; /* --name: also the container's name on its network (nsbox-PID is not) */
	pid_t pid;	 /* the container's PID 1, as the host sees it */
	pid_t monitor;	 /* the nsbox process that waits for it */
	char network[NETD_NETNAME_MAX + 1]; /* "" for host/none */
	char net_mode[16];
	char net_container[NETD_ID_MAX + 1]; /* net_mode container: whose namespace it joined */
	char ip[16];
	char ports[512];
	long long since;
	char command[256];
	bool detached;
	bool exited; /* a -d container that ended: its record and log stay until rm */
	int exit_code;
	struct nsbox_cgroup cg;
	/* what nsbox exec needs to treat a process as the container's (absent in old records) */
	bool has_caps;
	uint64_t caps;
	bool nnp;
	char seccomp[256];    /* default, unconfined, or the profile's file */
	uint64_t seccomp_key; /* of the filter in the state dir's seccomp.bpf; 0: none */
	bool has_user;
	uid_t uid;
	gid_t gid;
	gid_t groups[NSBOX_MAX_GROUPS];
	size_t n_groups;
	char restart[32]; /* no, always, on-failure[:N] */
	long restarts;	  /* how many times the supervisor restarted it */
	bool rm;	  /* --rm: the state goes when it ends */
};

/* --- seccomp: profiles (seccomp_profile.c, pure) compiled to BPF (seccomp.c, libseccomp) --- */
enum {
	NSBOX_SC_ALLOW,
	NSBOX_SC_ERRNO,
	NSBOX_SC_KILL_THREAD,
	NSBOX_SC_KILL_PROCESS,
	NSBOX_SC_TRAP,
	NSBOX_SC_TRACE,
	NSBOX_SC_LOG,
};
enum {
	NSBOX_SC_NE,
	NSBOX_SC_LT,
	NSBOX_SC_LE,
	NSBOX_SC_EQ,
	NSBOX_SC_GE,
	NSBOX_SC_GT,
	NSBOX_SC_MASKED_EQ
};
/* includes/excludes.arches: the machine's own architecture (Go's names) */
#define NSBOX_SC_ARCH_AMD64 (1u << 0)
#define NSBOX_SC_ARCH_X32   (1u << 1)
#define NSBOX_SC_ARCH_X86   (1u << 2)
#define NSBOX_SC_ARCH_ARM64 (1u << 3)
#define NSBOX_SC_ARCH_ARM   (1u << 4)
#define NSBOX_SC_ARCH_S390  (1u << 5)
#define NSBOX_SC_ARCH_OTHER (1u << 6)
#define NSBOX_SC_MAX_ARGS   6
#define NSBOX_SC_MAX_ARCHES 8

struct nsbox_sc_arg {
	unsigned index;
	int op;
	uint64_t value, value2; /* MASKED_EQ: (arg & value) == value2 */
};

struct nsbox_sc_rule {
	const char *const *names;
	size_t n_names;
	int act;
	int errno_ret;
	const struct nsbox_sc_arg *args;
	size_t n_args;
	uint64_t caps_inc,
	    caps_exc; /* applies when all of caps_inc and none of caps_exc are held */
	unsigned arch_inc, arch_exc;
	unsigned char min_kernel[2];
	char **own_names; /* parsed profiles own their names and args */
	struct nsbox_sc_arg own_args[NSBOX_SC_MAX_ARGS];
};

struct nsbox_sc_profile {
	char name[PATH_MAX]; /* "default" or the profile's file */
	int def_act, def_errno;
	const char *const *arches; /* libseccomp names; none: the native one */
	size_t n_arches;
	const char *own_arches[NSBOX_SC_MAX_ARCHES];
	const struct nsbox_sc_rule *rules;
	size_t n_rules;
	struct nsbox_sc_rule *own_rules;
};

void nsbox_seccomp_default(struct nsbox_sc_profile *p);
/* Docker's JSON profile format; file names the profile in errors. */
int nsbox_seccomp_parse(const char *json, size_t len, const char *file, struct nsbox_sc_profile *p,
			struct netd_err *err) NETD_MUST_USE;
void nsbox_seccomp_free(struct nsbox_sc_profile *p);
const char *nsbox_seccomp_native_arch(void);
unsigned nsbox_seccomp_native_goarch(void);
/* The rules of p that apply to a container with capability set caps, as BPF. */
int nsbox_seccomp_compile(const struct nsbox_sc_profile *p, uint64_t caps, struct nsbox_bpf *out,
			  struct netd_err *err) NETD_MUST_USE;
/* nsbox_seccomp_compile, or the cache in the state dir when it has the filter (seccomp.c);
 * *cached says which. Writes nothing: bad input changes nothing. */
int nsbox_seccomp_prepare(const struct nsbox_sc_profile *p, uint64_t caps, struct nsbox_bpf *out,
			  uint64_t *key, bool *cached, struct netd_err *err) NETD_MUST_USE;
/* Once a container is being made: the compiled filter into the cache. */
void nsbox_seccomp_cache_store(uint64_t key, const struct nsbox_bpf *b);
/* The state dir's copy of a container's filter (for nsbox exec), in the cache's format. */
int nsbox_seccomp_save(const char *path, uint64_t key, const struct nsbox_bpf *b) NETD_MUST_USE;
bool nsbox_seccomp_read(const char *path, uint64_t key, struct nsbox_bpf *out);
/* Installs the filter on the calling thread (it needs no_new_privs or CAP_SYS_ADMIN). */
int nsbox_seccomp_load(const struct nsbox_bpf *b, struct netd_err *err) NETD_MUST_USE;

/* --- main.c --- */
/* Prints "nsbox: msg" as one line on the error stream (stderr, or the -d caller's). */
void nsbox_error(const char *fmt, ...) NETD_PRINTF(1, 2);
extern int nsbox_errfd;

/* --- opts.c: option values, pure (fuzzed by tests/fuzz/fuzz_nsbox_opts.c) --- */
/*
 * One --network value into o: host, none, container:NAME, or a network name. Names repeat (one
 * interface per network, in order; a name twice is refused); host, none and container:NAME stand
 * alone. The net mode, networks and net_container change only on success.
 */
int nsbox_net_add(struct nsbox_opts *o, const char *v, struct netd_err *err) NETD_MUST_USE;
/* The network options together: -p, --network-alias and --userns where the net mode allows. */
int nsbox_net_finish(const struct nsbox_opts *o, struct netd_err *err) NETD_MUST_USE;
/* "32m", "1g", "65536", "512k" -> bytes; <= 0 on error. */
long long nsbox_parse_size(const char *s);
/* "1.5" -> 150000 (us per 100 ms); <= 0 on error. Parsed by hand: no locale, no float. */
long nsbox_parse_cpus(const char *s);
/* A decimal in [min, max]; -1 on error (min must be >= 0). */
long nsbox_parse_long(const char *s, long min, long max);
/* "UID[:GID]" (numbers; GID defaults to UID); -1 on error, outputs untouched then. */
int nsbox_parse_user(const char *s, uid_t *uid, gid_t *gid) NETD_MUST_USE;
/* 1-63 letters, digits, '-' or '.'. */
bool nsbox_hostname_ok(const char *h);
/* cgroup.procs as the kernel writes it: one pid (1..4194304) per line, each line ending in '\n'.
 * Fills pids (up to cap) and *n; -EINVAL on anything else (nothing may be killed then), -E2BIG
 * past cap. */
int nsbox_parse_pid_list(const char *text, size_t len, pid_t *pids, size_t cap,
			 size_t *n) NETD_MUST_USE;

/* "NET_RAW", "cap_net_raw", "CAP_NET_RAW" -> its number; -1 when unknown ("ALL" too). */
int nsbox_cap_parse(const char *name);
const char *nsbox_cap_name(int cap);
/* Docker's rule for --cap-add/--cap-drop over a base set: add ALL = every capability but the
 * dropped ones; drop ALL = only the added ones; else base minus drops plus adds. */
uint64_t nsbox_caps_resolve(uint64_t base, uint64_t add, bool add_all, uint64_t drop, bool drop_all,
			    int last_cap);

/* -v HOST:CTR[:ro|rw], --tmpfs PATH[:size=..,mode=..,...], --mount type=bind|tmpfs,... */
int nsbox_parse_volume(const char *spec, struct nsbox_mount *m, struct netd_err *err) NETD_MUST_USE;
int nsbox_parse_tmpfs(const char *spec, struct nsbox_mount *m, struct netd_err *err) NETD_MUST_USE;
int nsbox_parse_mount(const char *spec, struct nsbox_mount *m, struct netd_err *err) NETD_MUST_USE;
/* no | always | on-failure[:N] (unless-stopped: always); -1 on error. */
int nsbox_parse_restart(const char *s, int *policy, long *max) NETD_MUST_USE;
bool nsbox_ip_ok(const char *s);
/* NAME:IP (IPv4, IPv6, or [IPv6]); -1 on error. */
int nsbox_parse_add_host(const char *s, char *name, size_t nlen, char *ip,
			 size_t iplen) NETD_MUST_USE;
bool nsbox_dns_search_ok(const char *s);
/* A line of an --env-file: 1 and out = KEY[=VALUE], 0 for a blank or comment line, -1 bad. */
int nsbox_env_line(const char *line, size_t len, char *out, size_t cap);
/* /etc/passwd and /etc/group of a rootfs, as text (who: a name, or digits for an id). */
bool nsbox_passwd_find(const char *text, size_t len, const char *who, struct nsbox_pwent *pw);
bool nsbox_group_find(const char *text, size_t len, const char *who, gid_t *gid);
/* The gids of the groups that list user as a member (at most cap). */
size_t nsbox_group_members(const char *text, size_t len, const char *user, gid_t *out, size_t cap);

/* --- record.c: the state dir's record file as text, pure (fuzzed by fuzz_nsbox_record.c) --- */
/* Returns the length written, -E2BIG when it does not fit. */
int nsbox_record_format(const struct nsbox_record *r, char *buf, size_t len);
/* Strict: every key known and once, every value checked, cgroup dirs only of this container.
 * file names the record in the error (its content is never echoed). */
int nsbox_record_parse(const char *text, size_t len, const char *file, struct nsbox_record *r,
		       struct netd_err *err) NETD_MUST_USE;

/* --- fds.c --- */
/* Closes every descriptor above 2 except those in keep (negative entries are ignored). */
void nsbox_close_fds(const int *keep, size_t n_keep);
/* After execve(path) failed with ENOENT although path exists: what is missing (the ELF
 * interpreter of a dynamically linked program, or a script's #! interpreter), as a message in
 * buf. Returns false when path itself is missing or nothing better can be said. */
bool nsbox_enoent_hint(const char *path, char *buf, size_t len);

/* --- run.c --- */
int nsbox_run(struct nsbox_opts *o);
/* Resolves argv[0] inside rootfs along PATH (RESOLVE_IN_ROOT); fills out with the in-root path. */
int nsbox_resolve_cmd(const char *rootfs, const char *cmd, const char *path_env, char *out,
		      size_t len, struct netd_err *err) NETD_MUST_USE;

/* --- mounts.c --- */
struct nsbox_mount_ctx {
	const struct nsbox_opts *o;
	const char *state_dir; /* hosts, hostname, resolv.conf, overlay upper/work live here */
	bool console;	       /* -t: a /dev/console mount point for the pty */
};
/* In the child, in its new mount namespace: builds the root and pivots into it. */
int nsbox_mounts_setup(const struct nsbox_mount_ctx *ctx, struct netd_err *err) NETD_MUST_USE;
/* After pivot_root, -t: the container's pty slave also as /dev/console. */
int nsbox_mount_console(const char *slave, struct netd_err *err) NETD_MUST_USE;

/* Writes len bytes of a --explain line straight to the explain fd (parent and child share it). */
extern int nsbox_explain_fd;

/* --- cgroup.c --- */
int nsbox_cgroup_create(const struct nsbox_opts *o, struct nsbox_cgroup *cg,
			struct netd_err *err) NETD_MUST_USE;
int nsbox_cgroup_add(const struct nsbox_cgroup *cg, pid_t pid, struct netd_err *err) NETD_MUST_USE;
/* Kills what is left, removes the directories; bounded. */
int nsbox_cgroup_remove(const struct nsbox_cgroup *cg, struct netd_err *err);

/* --- caps.c --- */
uint64_t nsbox_caps_default(void);
int nsbox_last_cap(void);
/* Drops the bounding set to Docker's default list, switches user, sets capabilities and
 * no_new_privs. Runs last before execve. */
int nsbox_caps_apply(const struct nsbox_opts *o, struct netd_err *err) NETD_MUST_USE;

/* --- state.c --- */
int nsbox_state_path(char *buf, size_t len, const char *name, const char *file) NETD_MUST_USE;
/* Creates the container's state dir and takes its lock (fd in *lock_fd); a stale one left
 * by a killed nsbox is cleaned first; a live one is -EEXIST. */
int nsbox_state_create(const char *name, int *lock_fd, struct netd_err *err) NETD_MUST_USE;
int nsbox_state_write(const struct nsbox_record *r, struct netd_err *err) NETD_MUST_USE;
int nsbox_state_read(const char *name, struct nsbox_record *r, struct netd_err *err) NETD_MUST_USE;
/* Removes the state dir (overlay upper layer included). */
void nsbox_state_remove(const char *name);
/*
 * The container's endpoints: those of its network namespace (/proc/PID/ns/net) recorded with its
 * name as id, wherever they came from (nsbox run's networks, netd connect). Free with
 * netd_endpoints_free.
 */
int nsbox_net_endpoints(const char *name, pid_t pid, struct netd_endpoint **eps, size_t *n,
			struct netd_err *err) NETD_MUST_USE;
/* Detaches all of them, going on past errors (said on stderr); dying: PID 1 was reaped (see
 * NETD_DETACH_NETNS_DYING), unless a container joined the namespace. Returns the first error. */
int nsbox_net_teardown(const char *name, pid_t pid, bool dying);
/* A -d container ended: keeps its log and the record (marked exited) for logs/ps, until rm. */
void nsbox_state_retire(struct nsbox_record *r, int exit_code);
/* 1 when the nsbox process that owns name still holds its lock, 0 when nobody does, -errno when
 * that cannot be told (-EACCES without root): never a reason to call the container gone. */
int nsbox_state_probe(const char *name);
/* nsbox_state_probe, having said why when it cannot tell (nsbox_error_state for verb). */
int nsbox_state_probe_say(const char *verb, const char *name);
/* The NAME of `nsbox VERB NAME` (argv[1], a valid name), or NULL having printed the usage. */
const char *nsbox_name_arg(int argc, char **argv, const char *verb);
/* The error for a verb that could not look at name's state: "needs root" for EACCES/EPERM. */
void nsbox_error_state(const char *verb, const char *name, int e);
/* Writes a small file in the state dir in place (bind-mounted files keep their inode). */
int nsbox_state_put(const char *name, const char *file, const char *text,
		    struct netd_err *err) NETD_MUST_USE;
int nsbox_cmd_ps(int argc, char **argv);
int nsbox_cmd_stop(int argc, char **argv);
int nsbox_cmd_logs(int argc, char **argv);
int nsbox_cmd_rm(int argc, char **argv);

/* --- inspect.c --- */
/* config.json in the state dir: what the container was started with, for inspect. */
int nsbox_config_write(const struct nsbox_opts *o, struct netd_err *err) NETD_MUST_USE;
int nsbox_cmd_inspect(int argc, char **argv);
int nsbox_cmd_wait(int argc, char **argv);

/* --- exec.c --- */
int nsbox_cmd_exec(int argc, char **argv);

/* --- init.c --- */
/* Runs as the container's PID 1: forks the command, forwards signals, reaps zombies; returns
 * the exit status to exit with (128+N when the command died of signal N). */
int nsbox_init_run(const char *path, char **argv, char **envp, int errfd);

#endif
