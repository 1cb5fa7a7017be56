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

bool nsbox_state_live(const char *name)
{
	char path[PATH_MAX];
	nsbox_cleanup_close int fd = -1;

	if (nsbox_state_path(path, sizeof(path), name, "lock") < 0)
		return false;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return false; /* closing releases it */
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
	nsbox_cleanup_close int fd = -1;
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
	char path[PATH_MAX], tmp[PATH_MAX + 8], buf[8192];
	int n;

	if (nsbox_state_path(path, sizeof(path), r->name, "record") < 0)
		return netd_err_set(err, ENAMETOOLONG, "state path for %s too long", r->name);
	n = snprintf(buf, sizeof(buf),
		     "name=%s\npid=%d\nmonitor=%d\nnet_mode=%s\nnetwork=%s\nip=%s\nports=%s\n"
		     "since=%lld\ndetached=%d\ncommand=%s\n",
		     r->name, (int)r->pid, (int)r->monitor, r->net_mode, r->network, r->ip,
		     r->ports, r->since, r->detached ? 1 : 0, r->command);
	if (r->exited && n > 0 && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "exit=%d\n", r->exit_code);
	for (size_t i = 0; i < r->cg.n && n > 0 && (size_t)n < sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "cgroup=%s:%s\n",
			      r->cg.dir[i].v2 ? "v2" : "v1", r->cg.dir[i].path);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return netd_err_set(err, E2BIG, "record for %s too long", r->name);
	/* atomically: readers (ps) never see half a record */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	nsbox_cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return netd_err_sys(err, errno, "open %s", tmp);
	if (write(fd, buf, (size_t)n) != n)
		return netd_err_sys(err, errno, "write %s", tmp);
	if (rename(tmp, path) < 0)
		return netd_err_sys(err, errno, "rename %s", tmp);
	return 0;
}

int nsbox_state_read(const char *name, struct nsbox_record *r, struct netd_err *err)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	FILE *f;

	memset(r, 0, sizeof(*r));
	if (nsbox_state_path(path, sizeof(path), name, "record") < 0)
		return netd_err_set(err, ENAMETOOLONG, "state path for %s too long", name);
	f = fopen(path, "re");
	if (!f)
		return netd_err_sys(err, errno, "container %s", name);
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '='), *nl = strchr(line, '\n');
		if (!v)
			continue;
		*v++ = '\0';
		if (nl)
			*nl = '\0';
#define STR(k) else if (!strcmp(line, #k)) snprintf(r->k, sizeof(r->k), "%s", v)
		if (!strcmp(line, "pid"))
			r->pid = atoi(v);
		else if (!strcmp(line, "monitor"))
			r->monitor = atoi(v);
		else if (!strcmp(line, "since"))
			r->since = atoll(v);
		else if (!strcmp(line, "detached"))
			r->detached = atoi(v) != 0;
		else if (!strcmp(line, "exit")) {
			r->exited = true;
			r->exit_code = atoi(v);
		}
		STR(name);
		STR(net_mode);
		STR(network);
		STR(ip);
		STR(ports);
		STR(command);
		else if (!strcmp(line, "cgroup") && r->cg.n < NSBOX_MAX_CGROUP && strlen(v) > 3)
		{
			r->cg.dir[r->cg.n].v2 = !strncmp(v, "v2:", 3);
			snprintf(r->cg.dir[r->cg.n].path, PATH_MAX, "%s", v + 3);
			r->cg.n++;
		}
#undef STR
	}
	fclose(f);
	if (!r->name[0])
		snprintf(r->name, sizeof(r->name), "%s", name);
	return 0;
}

static int rm_except_kept(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *base = path + ftw->base;

	if (ftw->level == 0 ||
	    (ftw->level == 1 && (!strcmp(base, "log") || !strcmp(base, "record"))))
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

/*
 * What a killed nsbox left: the network attachment, cgroups, the dir. An exited -d container
 * is kept (for logs) unless force.
 */
static void cleanup_stale(const char *name, bool force)
{
	struct nsbox_record r;
	struct netd_err err = {0};

	if (nsbox_state_read(name, &r, &err) == 0) {
		if (r.exited && !force)
			return;
		if (r.network[0] && netd_network_detach(r.network, name, NSBOX_IFNAME, &err) < 0)
			nsbox_error("clean %s: %s", name, err.msg);
		if (r.cg.n && nsbox_cgroup_remove(&r.cg, &err) < 0)
			nsbox_error("clean %s: %s", name, err.msg);
	}
	nsbox_state_remove(name);
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
	nsbox_cleanup_close int glk __attribute__((unused)) = global_lock();
	int fd;

	if (glk < 0)
		return netd_err_sys(err, errno, "state dir %s/nsbox: lock", netd_state_dir());
	if (nsbox_state_path(dir, sizeof(dir), name, NULL) < 0 ||
	    nsbox_state_path(path, sizeof(path), name, "lock") < 0)
		return netd_err_set(err, ENAMETOOLONG, "state path for %s too long", name);
	if (mkdir(dir, 0700) < 0) {
		if (errno != EEXIST)
			return netd_err_sys(err, errno, "mkdir %s", dir);
		if (nsbox_state_live(name))
			return netd_err_set(err, EEXIST, "container %s already exists", name);
		cleanup_stale(name, true); /* killed, or an exited -d one: the name is free again */
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

int nsbox_cmd_ps(int argc, char **argv)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	long long now = (long long)time(NULL);

	if (argc > 1) {
		nsbox_error("ps: no arguments");
		return NSBOX_EXIT_ERROR;
	}
	printf("%-20s %-8s %-15s %-28s %-6s %s\n", "NAME", "PID", "IP", "PORTS", "SINCE",
	       "COMMAND");
	if (base_dir(dir, sizeof(dir)) < 0)
		return NSBOX_EXIT_ERROR;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct nsbox_record r;
		struct netd_err err = {0};
		char age[16];
		if (de->d_name[0] == '.')
			continue;
		if (!nsbox_state_live(de->d_name)) {
			nsbox_cleanup_close int glk __attribute__((unused)) = global_lock();
			if (!nsbox_state_live(de->d_name))
				cleanup_stale(de->d_name, false);
		}
		if (nsbox_state_read(de->d_name, &r, &err) < 0)
			continue;
		if (r.exited) {
			char st[24];
			snprintf(st, sizeof(st), "exited(%d)", r.exit_code);
			printf("%-20s %-8s %-15s %-28s %-6s %s\n", r.name, "-", st, "-", "-",
			       r.command);
			continue;
		}
		if (!nsbox_state_live(de->d_name))
			continue;
		fmt_age(now - r.since, age, sizeof(age));
		printf("%-20s %-8d %-15s %-28s %-6s %s\n", r.name, (int)r.pid,
		       r.ip[0] ? r.ip : r.net_mode, r.ports[0] ? r.ports : "-", age, r.command);
	}
	closedir(d);
	return 0;
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
		secs = strtol(optarg, NULL, 10);
		if (secs < 0 || secs > 3600)
			secs = 10;
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
	if (!nsbox_state_live(name) || nsbox_state_read(name, &r, &err) < 0 || r.pid <= 0) {
		nsbox_error("container %s is not running", name);
		return 1;
	}
	/* a pidfd pins the process: no signal to a recycled pid; plain kill() where there is none
	 */
	nsbox_cleanup_close int pfd = pidfd_open_(r.pid);
	if (send_sig(pfd, r.pid, SIGTERM) < 0) {
		nsbox_error("stop %s: %s", name, strerror(errno));
		return 1;
	}
	if (!wait_exit(pfd, r.pid, (int)secs * 1000))
		send_sig(pfd, r.pid, SIGKILL);
	/* the owning nsbox tears down and lets go of the lock; bounded */
	for (int i = 0; i < 500 && nsbox_state_live(name); i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (nsbox_state_live(name)) {
		nsbox_error("stop %s: still being torn down", name);
		return 1;
	}
	return 0;
}

int nsbox_cmd_logs(int argc, char **argv)
{
	char path[PATH_MAX], buf[8192];
	struct netd_err err = {0};
	ssize_t n;

	if (argc != 2 || netd_name_check_id(argv[1], &err) < 0) {
		nsbox_error("usage: nsbox logs NAME");
		return NSBOX_EXIT_ERROR;
	}
	if (nsbox_state_path(path, sizeof(path), argv[1], "log") < 0)
		return NSBOX_EXIT_ERROR;
	nsbox_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		nsbox_error("logs %s: %s", argv[1],
			    errno == ENOENT ? "no such detached container" : strerror(errno));
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
	struct netd_err err = {0};
	char dir[PATH_MAX];
	struct stat st;

	if (argc != 2 || netd_name_check_id(argv[1], &err) < 0) {
		nsbox_error("usage: nsbox rm NAME");
		return NSBOX_EXIT_ERROR;
	}
	if (nsbox_state_path(dir, sizeof(dir), argv[1], NULL) < 0 || stat(dir, &st) < 0) {
		nsbox_error("rm %s: no such container", argv[1]);
		return 1;
	}
	nsbox_cleanup_close int glk __attribute__((unused)) = global_lock();
	if (nsbox_state_live(argv[1])) {
		nsbox_error("rm %s: running; nsbox stop it first", argv[1]);
		return 1;
	}
	cleanup_stale(argv[1], true);
	return 0;
}
