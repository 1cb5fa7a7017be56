/* SPDX-License-Identifier: MIT */
/*
 * The state dir of a container: $NETD_STATE_DIR/nsbox/NAME/ with
 *   lock         flock held by the nsbox process that waits for the container (liveness)
 *   record       key=value: pid, network, ip, ports, since, command, cgroup dirs
 *   hosts, hostname, resolv.conf   bind-mounted into the container's /etc
 *   log          stdout/stderr of a detached (-d) container
 *   upper, work, merged            the --overlay layers
 * and the verbs that read it: ps, stop, logs, rm. A record whose lock is free belongs to an
 * nsbox that was killed; it is cleaned (network detached, cgroups removed) when seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <dirent.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <arpa/inet.h>
#include <netd/addr.h>
#include "nsbox.h"

static int base_dir(char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/nsbox", netd_state_dir());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int nsbox_state_path(char *buf, size_t len, const char *name, const char *file)
{
	int n = snprintf(buf, len, "%s/nsbox/%s%s%s", netd_state_dir(), name, file ? "/" : "",
			 file ? file : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int nsbox_state_probe(const char *name)
{
	char path[PATH_MAX];
	netd_cleanup_close int fd = -1;

	if (nsbox_state_path(path, sizeof(path), name, "lock") < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 1 : -errno;
	return 0; /* closing releases it */
}

int nsbox_state_probe_say(const char *verb, const char *name)
{
	int live = nsbox_state_probe(name);

	if (live < 0)
		nsbox_error_state(verb, name, -live);
	return live;
}

const char *nsbox_name_arg(int argc, char **argv, const char *verb)
{
	struct netd_err err;

	if (argc != 2 || netd_name_check_id(argv[1], &err) < 0) {
		nsbox_error("usage: nsbox %s NAME", verb);
		return NULL;
	}
	return argv[1];
}

void nsbox_error_state(const char *verb, const char *name, int e)
{
	if (e == EACCES || e == EPERM)
		nsbox_error("%s %s: its state in %s/nsbox is root's (%s): nsbox %s needs root; "
			    "nothing changed",
			    verb, name, netd_state_dir(), strerror(e), verb);
	else
		nsbox_error("%s %s: state: %s", verb, name, strerror(e));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void nsbox_state_remove(const char *name)
{
	char path[PATH_MAX];

	if (nsbox_state_path(path, sizeof(path), name, NULL) < 0)
		return;
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int nsbox_state_put(const char *name, const char *file, const char *text, struct netd_err *err)
{
	char path[PATH_MAX];
	netd_cleanup_close int fd = -1;
	size_t n = strlen(text);

	if (nsbox_state_path(path, sizeof(path), name, file) < 0)
		return netd_err_set(err, ENAMETOOLONG, "state path for %s too long", name);
	/* in place: the container's bind mount of this file follows the inode */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return netd_err_sys(err, errno, "open %s", path);
	if (ftruncate(fd, 0) < 0 || write(fd, text, n) != (ssize_t)n)
		return netd_err_sys(err, errno, "write %s", path);
	return 0;
}

int nsbox_state_write(const struct nsbox_record *r, struct netd_err *err)
{
	char path[PATH_MAX], buf[8192];
	int n;

	if (nsbox_state_path(path, sizeof(path), r->name, "record") < 0)
		return netd_err_set(err, ENAMETOOLONG, "state path for %s too long", r->name);
	n = nsbox_record_format(r, buf, sizeof(buf));
	if (n < 0)
		return netd_err_set(err, E2BIG, "record for %s too long", r->name);
	/* atomically: readers (ps) never see half a record */
	return netd_file_replace(path, buf, (size_t)n, 0644, err);
}

int nsbox_state_read(const char *name, struct nsbox_record *r, struct netd_err *err)
{
	char path[PATH_MAX], buf[16384];
	struct stat st;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (nsbox_state_path(path, sizeof(path), name, "record") < 0)
		return netd_err_set(err, ENAMETOOLONG, "state path for %s too long", name);
	/* a FIFO, a device or a symlink out of the state dir is refused at once */
	netd_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return netd_err_sys(err, errno == ELOOP ? EINVAL : errno, "record %s", path);
	if (fstat(fd, &st) < 0)
		return netd_err_sys(err, errno, "record %s", path);
	if (!S_ISREG(st.st_mode))
		return netd_err_set(err, EINVAL, "record %s: not a regular file", path);
	if (st.st_size >= (off_t)sizeof(buf))
		return netd_err_set(err, EINVAL, "record %s: larger than %zu bytes", path,
				    sizeof(buf) - 1);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return netd_err_sys(err, errno, "record %s", path);
	int rc = nsbox_record_parse(buf, (size_t)n, path, r, err);
	if (rc < 0)
		return rc;
	if (strcmp(r->name, name))
		return netd_err_set(err, EINVAL, "record %s: names another container", path);
	return 0;
}

static int rm_except_kept(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *base = path + ftw->base;

	if (ftw->level == 0 ||
	    (ftw->level == 1 &&
	     (!strcmp(base, "log") || !strcmp(base, "record") || !strcmp(base, "config.json"))))
		return 0;
	return rm_entry(path, st, flag, ftw);
}

void nsbox_state_retire(struct nsbox_record *r, int exit_code)
{
	char path[PATH_MAX];
	struct netd_err err = {0};

	r->exited = true;
	r->exit_code = exit_code;
	r->pid = 0;
	r->cg.n = 0;
	r->ip[0] = '\0';
	r->network[0] = '\0'; /* detached already */
	if (nsbox_state_write(r, &err) < 0 ||
	    nsbox_state_path(path, sizeof(path), r->name, NULL) < 0) {
		nsbox_state_remove(r->name);
		return;
	}
	nftw(path, rm_except_kept, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int nsbox_net_endpoints(const char *name, pid_t pid, struct netd_endpoint **out, size_t *n_out,
			struct netd_err *err)
{
	struct netd_endpoint *eps = NULL;
	size_t n = 0, k = 0;
	char netns[64];
	int r;

	*out = NULL;
	*n_out = 0;
	if (pid <= 0)
		return 0;
	snprintf(netns, sizeof(netns), "/proc/%d/ns/net", (int)pid);
	r = netd_endpoint_list(NULL, &eps, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(eps[i].id, name) || strcmp(eps[i].netns, netns)) {
			netd_endpoint_clear(&eps[i]);
			continue;
		}
		if (k != i)
			eps[k] = eps[i];
		k++;
	}
	*out = eps;
	*n_out = k;
	return 0;
}

/* A running container that joined name's network namespace (--network container:name). */
static bool has_joiners(const char *name)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	bool found = false;

	if (base_dir(dir, sizeof(dir)) < 0 || !(d = opendir(dir)))
		return false;
	while (!found && (de = readdir(d))) {
		struct nsbox_record r;
		struct netd_err err;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, name) ||
		    netd_name_check_id(de->d_name, &err) < 0 ||
		    nsbox_state_read(de->d_name, &r, &err) < 0)
			continue;
		found = !r.exited && !strcmp(r.net_mode, "container") &&
			!strcmp(r.net_container, name) && nsbox_state_probe(de->d_name) > 0;
	}
	closedir(d);
	return found;
}

int nsbox_net_teardown(const char *name, pid_t pid, bool dying)
{
	struct netd_endpoint *eps = NULL;
	struct netd_err err = {0};
	size_t n = 0;
	int ret = 0;

	if (nsbox_net_endpoints(name, pid, &eps, &n, &err) < 0) {
		nsbox_error("teardown %s: %s", name, err.msg);
		return -err.code;
	}
	/* A joiner keeps the namespace alive: its veths would outlive the detach. */
	unsigned flags = dying && n && !has_joiners(name) ? NETD_DETACH_NETNS_DYING : 0;
	for (size_t i = 0; i < n; i++) {
		if (netd_network_detach_flags(eps[i].network, name, eps[i].ifname, flags, &err) <
		    0) {
			nsbox_error("teardown %s: %s", name, err.msg);
			if (!ret)
				ret = -err.code;
		}
	}
	netd_endpoints_free(eps, n);
	return ret;
}

/*
 * What a killed nsbox left: the network attachment, cgroups, the dir. An exited -d container
 * is kept (for logs) unless force. A permission error changes nothing (the record stays for a
 * run with root); a damaged record is not acted on (its cgroup lines could name anything): its
 * dir goes only with force (nsbox rm), and the network's leftovers are netd gc's.
 * Returns 0, or -errno of the first failure (the state dir is kept then).
 */
static int cleanup_stale(const char *name, bool force)
{
	struct nsbox_record r;
	struct netd_err err = {0};
	int ret = 0;

	if (nsbox_state_read(name, &r, &err) == 0) {
		if (r.exited && !force)
			return 0;
		if (r.network[0] && netd_network_detach(r.network, name, NSBOX_IFNAME, &err) < 0) {
			nsbox_error("clean %s: %s", name, err.msg);
			ret = -err.code;
		}
		/* the other networks: its own and those netd connect added */
		int nr = nsbox_net_teardown(name, r.pid, false);
		if (nr < 0 && !ret)
			ret = nr;
		if (r.cg.n && nsbox_cgroup_remove(&r.cg, &err) < 0) {
			nsbox_error("clean %s: %s", name, err.msg);
			if (!ret)
				ret = -err.code;
		}
		if (ret == -EPERM || ret == -EACCES)
			return ret;
	} else if (err.code != ENOENT) {
		if (!force)
			return -err.code;
		nsbox_error("rm %s: %s: removing its state dir only (netd gc removes what it "
			    "left on the network)",
			    name, err.msg);
	}
	nsbox_state_remove(name);
	return ret;
}

static int global_lock(void)
{
	char path[PATH_MAX];

	if (base_dir(path, sizeof(path)) < 0 || mkdir_p(path) < 0)
		return -1;
	strncat(path, "/.lock", sizeof(path) - strlen(path) - 1);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int nsbox_state_create(const char *name, int *lock_fd, struct netd_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	netd_cleanup_close int glk __attribute__((unused)) = global_lock();
	int fd;

	if (glk < 0)
		return netd_err_sys(err, errno, "state dir %s/nsbox: lock", netd_state_dir());
	if (nsbox_state_path(dir, sizeof(dir), name, NULL) < 0 ||
	    nsbox_state_path(path, sizeof(path), name, "lock") < 0)
		return netd_err_set(err, ENAMETOOLONG, "state path for %s too long", name);
	if (mkdir(dir, 0700) < 0) {
		if (errno != EEXIST)
			return netd_err_sys(err, errno, "mkdir %s", dir);
		int live = nsbox_state_probe(name);
		if (live > 0)
			return netd_err_set(err, EEXIST, "container %s already exists", name);
		if (live < 0)
			return netd_err_sys(err, -live, "container %s: state", name);
		/* killed, or an exited -d one: the name is free again */
		int r = cleanup_stale(name, true);
		if (r < 0)
			return netd_err_sys(err, -r, "container %s: clean what its last run left",
					    name);
		if (mkdir(dir, 0700) < 0)
			return netd_err_sys(err, errno, "mkdir %s", dir);
	}
	/* traversable for a --userns container's root, which reads the bind-mounted /etc files */
	chmod(dir, 0711);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		nsbox_state_remove(name);
		return netd_err_sys(err, e, "lock %s", path);
	}
	*lock_fd = fd;
	return 0;
}

static void fmt_age(long long secs, char *buf, size_t len)
{
	if (secs < 60)
		snprintf(buf, len, "%llds", secs);
	else if (secs < 3600)
		snprintf(buf, len, "%lldm", secs / 60);
	else if (secs < 86400)
		snprintf(buf, len, "%lldh", secs / 3600);
	else
		snprintf(buf, len, "%lldd", secs / 86400);
}

/* The addresses of every network, the first network's first (netd connect's too). */
static void ps_ips(const struct nsbox_record *r, char *buf, size_t len)
{
	struct netd_endpoint *eps = NULL;
	struct netd_err err;
	size_t n = 0, k;

	k = (size_t)snprintf(buf, len, "%s", r->ip);
	if (nsbox_net_endpoints(r->name, r->pid, &eps, &n, &err) < 0)
		return;
	for (size_t i = 0; i < n && k < len; i++) {
		char ip[NETD_IP_STRLEN];
		/* an endpoint of an IPv6-only network shows its IPv6 address */
		if (eps[i].ip.s_addr)
			netd_ip4_format(eps[i].ip, ip, sizeof(ip));
		else if (eps[i].ip6.family == AF_INET6)
			netd_ip_format(&eps[i].ip6, ip, sizeof(ip));
		else
			continue;
		if (!strcmp(ip, r->ip))
			continue;
		k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? "," : "", ip);
	}
	netd_endpoints_free(eps, n);
}

int nsbox_cmd_ps(int argc, char **argv)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	long long now = (long long)time(NULL);
	int rc = 0;

	if (argc > 1) {
		nsbox_error("ps: no arguments");
		return NSBOX_EXIT_ERROR;
	}
	if (base_dir(dir, sizeof(dir)) < 0)
		return NSBOX_EXIT_ERROR;
	d = opendir(dir);
	if (!d && errno != ENOENT) {
		nsbox_error_state("ps", dir, errno);
		return 1;
	}
	printf("%-20s %-8s %-15s %-28s %-6s %s\n", "NAME", "PID", "IP", "PORTS", "SINCE",
	       "COMMAND");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct nsbox_record r;
		struct netd_err err = {0};
		char age[16];
		if (de->d_name[0] == '.')
			continue;
		if (netd_name_check_id(de->d_name, &err) < 0) {
			nsbox_error("ps: %s/%s: not a container's state dir", dir, de->d_name);
			rc = 1;
			continue;
		}
		int live = nsbox_state_probe(de->d_name);
		if (live == 0) {
			netd_cleanup_close int glk __attribute__((unused)) = global_lock();
			if (nsbox_state_probe(de->d_name) == 0)
				cleanup_stale(de->d_name, false);
		}
		if (live < 0) {
			/* never taken for death: nothing is cleaned, and ps says why it cannot tell
			 */
			nsbox_error_state("ps", de->d_name, -live);
			rc = 1;
			continue;
		}
		if (nsbox_state_read(de->d_name, &r, &err) < 0) {
			if (err.code == ENOENT) /* cleaned just now */
				continue;
			printf("%-20s %-8s %-15s %-28s %-6s %s\n", de->d_name, "-", "damaged", "-",
			       "-", "-");
			nsbox_error("ps: %s", err.msg);
			rc = 1;
			continue;
		}
		if (r.exited) {
			char st[24];
			snprintf(st, sizeof(st), "exited(%d)", r.exit_code);
			printf("%-20s %-8s %-15s %-28s %-6s %s\n", r.name, "-", st, "-", "-",
			       r.command);
			continue;
		}
		if (nsbox_state_probe(de->d_name) <= 0)
			continue;
		fmt_age(now - r.since, age, sizeof(age));
		char ips[256] = "";
		ps_ips(&r, ips, sizeof(ips));
		printf("%-20s %-8d %-15s %-28s %-6s %s\n", r.name, (int)r.pid,
		       ips[0] ? ips : r.net_mode, r.ports[0] ? r.ports : "-", age, r.command);
	}
	closedir(d);
	return rc;
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int send_sig(int pfd, pid_t pid, int sig)
{
	if (pfd >= 0 && syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) == 0)
		return 0;
	if (pfd >= 0 && errno != ENOSYS)
		return -1;
	return kill(pid, sig);
}

/* Waits up to ms for the process to exit (its pidfd becomes readable). */
static bool wait_exit(int pfd, pid_t pid, int ms)
{
	struct pollfd p = {.fd = pfd, .events = POLLIN};

	if (pfd >= 0)
		return poll(&p, 1, ms) > 0;
	for (int i = 0; i < ms / 10; i++) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Whether SIGTERM can reach pid: PID 1 of a pid namespace gets from outside only the signals
 * it handles (or blocks, to take them with sigwait); the kernel drops the rest. */
static bool sigterm_reaches(pid_t pid)
{
	char path[64], line[256];
	unsigned long long blk = 0, ign = 0, cgt = 0, bit = 1ULL << (SIGTERM - 1);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true; /* cannot tell: wait as usual */
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "SigBlk:", 7))
			blk = strtoull(line + 7, NULL, 16);
		else if (!strncmp(line, "SigIgn:", 7))
			ign = strtoull(line + 7, NULL, 16);
		else if (!strncmp(line, "SigCgt:", 7))
			cgt = strtoull(line + 7, NULL, 16);
	}
	fclose(f);
	if (ign & bit)
		return false;
	if ((blk | cgt) & bit)
		return true;
	/* in sigwaitinfo (nsbox's --init, tini): /proc shows the waited-for signals unblocked
	 * for the time of the wait; which ones it waits for is not shown: assume SIGTERM */
	char wchan[64] = "";
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	netd_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, wchan, sizeof(wchan) - 1) : -1;
	return n > 0 && !strncmp(wchan, "do_sigtimedwait", 15);
}

static void proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	netd_cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	snprintf(buf, len, "?");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, len - 1)) <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int nsbox_cmd_stop(int argc, char **argv)
{
	struct nsbox_record r;
	struct netd_err err = {0};
	long secs = 10;
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "+t:")) != -1) {
		if (c != 't') {
			nsbox_error("usage: nsbox stop [-t SECS] NAME");
			return NSBOX_EXIT_ERROR;
		}
		secs = nsbox_parse_long(optarg, 0, 3600);
		if (secs < 0) {
			nsbox_error("stop -t %s: want seconds, 0 to 3600", optarg);
			return NSBOX_EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		nsbox_error("usage: nsbox stop [-t SECS] NAME");
		return NSBOX_EXIT_ERROR;
	}
	const char *name = argv[optind];
	if (netd_name_check_id(name, &err) < 0) {
		nsbox_error("%s", err.msg);
		return NSBOX_EXIT_ERROR;
	}
	int live = nsbox_state_probe_say("stop", name);
	if (live < 0)
		return 1;
	if (live && nsbox_state_read(name, &r, &err) < 0) {
		nsbox_error("stop %s: %s", name, err.msg);
		return 1;
	}
	if (!live) {
		nsbox_error("container %s is not running", name);
		return 1;
	}
	/* first the flag: a --restart supervisor must not start it again */
	char flag[PATH_MAX];
	if (nsbox_state_path(flag, sizeof(flag), name, "stopping") == 0) {
		int ffd = open(flag, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (ffd >= 0)
			close(ffd);
	}
	/* pid 0: between two runs of --restart; the supervisor sees the flag */
	if (r.pid > 0) {
		/* a pidfd pins the process: no signal to a recycled pid; plain kill() where there
		 * is none
		 */
		netd_cleanup_close int pfd = pidfd_open_(r.pid);
		char comm[32];
		proc_comm(r.pid, comm, sizeof(comm));
		if (!sigterm_reaches(r.pid)) {
			nsbox_error(
			    "stop %s: PID 1 (%s) has no SIGTERM handler, and PID 1 of a namespace "
			    "is not ended by signals it does not handle (nsbox run --init forwards "
			    "them): SIGKILL",
			    name, comm);
			secs = 0;
		}
		if (send_sig(pfd, r.pid, secs ? SIGTERM : SIGKILL) < 0) {
			nsbox_error("stop %s: %s", name, strerror(errno));
			return 1;
		}
		/* the first second in silence; after that, say what is being waited for */
		long first = secs * 1000 < 1000 ? secs * 1000 : 1000;
		if (secs && !wait_exit(pfd, r.pid, (int)first)) {
			nsbox_error(
			    "stop %s: SIGTERM sent to PID 1 (%s); waiting up to %ld s more for it "
			    "to exit, then SIGKILL",
			    name, comm, secs - 1);
			if (!wait_exit(pfd, r.pid, (int)(secs * 1000 - first))) {
				nsbox_error("stop %s: still running after %ld s: SIGKILL", name,
					    secs);
				send_sig(pfd, r.pid, SIGKILL);
			}
		}
	}
	/* the owning nsbox tears down and lets go of the lock; bounded */
	for (int i = 0; i < 500 && nsbox_state_probe(name) > 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (nsbox_state_probe(name) > 0) {
		nsbox_error("stop %s: still being torn down", name);
		return 1;
	}
	return 0;
}

int nsbox_cmd_logs(int argc, char **argv)
{
	char path[PATH_MAX], buf[8192];
	ssize_t n;

	if (!nsbox_name_arg(argc, argv, "logs"))
		return NSBOX_EXIT_ERROR;
	if (nsbox_state_path(path, sizeof(path), argv[1], "log") < 0)
		return NSBOX_EXIT_ERROR;
	netd_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			nsbox_error("logs %s: no such detached container", argv[1]);
		else
			nsbox_error_state("logs", argv[1], errno);
		return 1;
	}
	fflush(stdout);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			return 1;
	return 0;
}

int nsbox_cmd_rm(int argc, char **argv)
{
	char dir[PATH_MAX];
	struct stat st;

	if (!nsbox_name_arg(argc, argv, "rm"))
		return NSBOX_EXIT_ERROR;
	if (nsbox_state_path(dir, sizeof(dir), argv[1], NULL) < 0 || stat(dir, &st) < 0) {
		nsbox_error("rm %s: no such container", argv[1]);
		return 1;
	}
	netd_cleanup_close int glk __attribute__((unused)) = global_lock();
	int live = nsbox_state_probe(argv[1]);
	if (glk < 0 || live < 0) {
		nsbox_error_state("rm", argv[1], glk < 0 ? errno : -live);
		return 1;
	}
	if (live) {
		nsbox_error("rm %s: running; nsbox stop it first", argv[1]);
		return 1;
	}
	return cleanup_stale(argv[1], true) < 0 ? 1 : 0;
}
