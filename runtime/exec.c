/* SPDX-License-Identifier: MIT */
/*
 * nsbox exec NAME CMD...: run a command inside a running container, as nsenter does: join the
 * container's cgroups, then setns into each of its namespaces (user first, when it has one),
 * fork so the command lands in the pid namespace, drop privileges like the container's PID 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "nsbox.h"

static const struct {
	const char *name;
	int type;
} ns_order[] = {
    {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},	  {"pid", CLONE_NEWPID},
    {"mnt", CLONE_NEWNS},
};

#define N_NS (sizeof(ns_order) / sizeof(ns_order[0]))

static bool same_ns(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

/* Where execvpe found (or would have found) cmd along the default PATH. */
static bool exec_lookup(const char *cmd, char *out, size_t len)
{
	const char *p = NSBOX_DEFAULT_PATH;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, F_OK) == 0;
	}
	while (p) {
		const char *e = strchrnul(p, ':');
		snprintf(out, len, "%.*s/%s", (int)(e - p), p, cmd);
		if (access(out, F_OK) == 0)
			return true;
		p = *e ? e + 1 : NULL;
	}
	return false;
}

static int wait_forward(pid_t pid, const sigset_t *mask)
{
	int status = 0;

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return NSBOX_EXIT_ERROR;
		int sig = sigwaitinfo(mask, NULL);
		if (sig > 0 && sig != SIGCHLD)
			kill(pid, sig);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int join_and_run(const struct nsbox_record *r, const char *name, char **cmd,
			const sigset_t *mask, const sigset_t *old)
{
	struct netd_err err = {0};
	int fds[N_NS];
	bool userns = false;

	/* all namespace files first: the pid cannot be recycled under us once they are open */
	for (size_t i = 0; i < N_NS; i++) {
		char path[64], self[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)r->pid, ns_order[i].name);
		snprintf(self, sizeof(self), "/proc/self/ns/%s", ns_order[i].name);
		fds[i] = -1;
		if (same_ns(path, self))
			continue; /* --network host shares net; no --userns shares user */
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			nsbox_error("exec %s: open %s: %s", name, path, strerror(errno));
			return NSBOX_EXIT_ERROR;
		}
		if (ns_order[i].type == CLONE_NEWUSER)
			userns = true;
	}
	int live = nsbox_state_probe_say("exec", name);
	if (live <= 0) {
		if (live == 0)
			nsbox_error("container %s is not running", name);
		return NSBOX_EXIT_ERROR;
	}
	/* the container's privileges: its capability set, user, groups and seccomp filter (read
	 * now: the state dir is out of reach once in the container's mount namespace) */
	static struct nsbox_opts o;
	o.caps = r->has_caps ? r->caps : nsbox_caps_default();
	o.no_new_privs = r->has_caps ? r->nnp : true;
	if (r->has_user) {
		o.has_user = true;
		o.uid = r->uid;
		o.gid = r->gid;
		o.n_groups = r->n_groups;
		memcpy(o.groups, r->groups, r->n_groups * sizeof(gid_t));
	}
	if (r->seccomp_key) {
		char bpf[PATH_MAX];
		if (nsbox_state_path(bpf, sizeof(bpf), name, "seccomp.bpf") < 0 ||
		    !nsbox_seccomp_read(bpf, r->seccomp_key, &o.bpf)) {
			nsbox_error("exec %s: its seccomp filter %s is missing or damaged", name,
				    bpf);
			return NSBOX_EXIT_ERROR;
		}
	}
	/* the container's cgroups, so its limits hold for what we start */
	char pidbuf[32];
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
	for (size_t i = 0; i < r->cg.n; i++) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/cgroup.procs", r->cg.dir[i].path);
		netd_cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, pidbuf, strlen(pidbuf)) < 0) {
			nsbox_error("exec %s: join cgroup %s: %s", name, r->cg.dir[i].path,
				    strerror(errno));
			return NSBOX_EXIT_ERROR;
		}
	}
	for (size_t i = 0; i < N_NS; i++) {
		if (fds[i] < 0)
			continue;
		if (setns(fds[i], ns_order[i].type) < 0) {
			nsbox_error("exec %s: setns %s: %s", name, ns_order[i].name,
				    strerror(errno));
			return NSBOX_EXIT_ERROR;
		}
		close(fds[i]);
	}
	pid_t pid = fork(); /* into the pid namespace */
	if (pid < 0) {
		nsbox_error("exec %s: fork: %s", name, strerror(errno));
		return NSBOX_EXIT_ERROR;
	}
	if (pid > 0)
		return wait_forward(pid, mask);

	char host[80];
	char *envp[] = {(char *)"PATH=" NSBOX_DEFAULT_PATH, host, (char *)"HOME=/root", NULL};
	if (userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		nsbox_error("exec %s: become root of its user namespace: %s", name,
			    strerror(errno));
		_exit(NSBOX_EXIT_ERROR);
	}
	if (chdir("/") < 0) {
		/* the mount namespace's root; cannot fail short of a broken container */
	}
	memcpy(host, "HOSTNAME=", 9);
	gethostname(host + 9, sizeof(host) - 9);
	host[sizeof(host) - 1] = '\0';
	if (nsbox_caps_apply(&o, &err) < 0) {
		nsbox_error("exec %s: %s", name, err.msg);
		_exit(NSBOX_EXIT_ERROR);
	}
	sigprocmask(SIG_SETMASK, old, NULL);
	/* what nsbox exec's caller left open stays outside (fds.c) */
	nsbox_close_fds(NULL, 0);
	execvpe(cmd[0], cmd, envp);
	int e = errno;
	char hint[PATH_MAX + 256], found[PATH_MAX];
	if (e == ENOENT && exec_lookup(cmd[0], found, sizeof(found)) &&
	    nsbox_enoent_hint(found, hint, sizeof(hint)))
		nsbox_error("exec %s: %s", name, hint);
	else
		nsbox_error("exec %s: %s: %s", name, cmd[0], strerror(e));
	_exit(e == ENOENT ? NSBOX_EXIT_NOTFOUND : NSBOX_EXIT_NOEXEC);
}

int nsbox_cmd_exec(int argc, char **argv)
{
	struct nsbox_record r;
	struct netd_err err = {0};
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "+it")) != -1) {
		if (c != 'i' && c != 't') {
			nsbox_error("usage: nsbox exec NAME CMD [ARG...]");
			return NSBOX_EXIT_ERROR;
		}
	}
	if (argc - optind < 2) {
		nsbox_error("usage: nsbox exec NAME CMD [ARG...]");
		return NSBOX_EXIT_ERROR;
	}
	const char *name = argv[optind];
	char **cmd = argv + optind + 1;
	if (netd_name_check_id(name, &err) < 0) {
		nsbox_error("%s", err.msg);
		return NSBOX_EXIT_ERROR;
	}
	int live = nsbox_state_probe_say("exec", name);
	if (live < 0)
		return NSBOX_EXIT_ERROR;
	if (live && nsbox_state_read(name, &r, &err) < 0) {
		nsbox_error("exec %s: %s", name, err.msg);
		return NSBOX_EXIT_ERROR;
	}
	if (!live || r.pid <= 0) {
		nsbox_error("container %s is not running", name);
		return NSBOX_EXIT_ERROR;
	}
	/*
	 * The joining happens in a child: a process that has entered another pid and mount
	 * namespace is a poor place to run the exit-time machinery (ASan's leak checker stops
	 * the world through /proc and a cloned tracer), so nsbox itself stays outside and the
	 * child ends with _exit.
	 */
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &old);
	fflush(NULL);
	pid_t joiner = fork();
	if (joiner < 0) {
		nsbox_error("exec %s: fork: %s", name, strerror(errno));
		return NSBOX_EXIT_ERROR;
	}
	if (joiner == 0)
		_exit(join_and_run(&r, name, cmd, &mask, &old));
	return wait_forward(joiner, &mask);
}
