/* SPDX-License-Identifier: MIT */
/*
 * nsbox run: clone the container process into new namespaces, and the parent/child handshake.
 *
 *   parent                                   child (PID 1 of a new pid namespace)
 *   clone3(NEWPID|NEWNS|NEWUTS|NEWIPC|NEWNET[|NEWUSER])
 *   uid/gid maps (--userns), cgroup.procs
 *   send 'G'  ------------------------------> unshare(NEWCGROUP), hostname, lo up, mounts,
 *   netd_network_attach(/proc/PID/ns/net)      pivot_root (runs while the parent attaches)
 *   /etc/hosts gets the address
 *   send 'N'  ------------------------------> caps, no_new_privs, execve (or --init)
 *   read: EOF = exec'd (CLOEXEC), 'E' = error <---
 *   record, wait (signals forwarded), teardown on every path
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <linux/openat2.h>
#include <netd/addr.h>
#include "nsbox.h"

/* struct clone_args of <linux/sched.h>, spelled out: that header clashes with glibc's. */
struct nsbox_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

struct run_ctx {
	struct nsbox_opts *o;
	char state_dir[PATH_MAX];
	int lock_fd;
	int sync_fd;  /* parent end */
	int child_fd; /* child end */
	int pty_master;
	int ready_fd; /* -d: tells the waiting foreground nsbox that the container started */
	pid_t pid;
	struct nsbox_cgroup cg;
	/* eps[0] on the first network (eth0), eps[1] on the second (eth1), ... */
	struct netd_endpoint eps[NSBOX_MAX_NETWORKS];
	size_t n_attached;
	int join_fd; /* --network container:NAME: that container's netns, until the child joined */
	pid_t net_pid; /* whose /proc/PID/ns/net the endpoints name (PID 1 of this run) */
	struct nsbox_record rec;
	bool tty_raw;
	struct termios saved_tio;
	long restarts;	     /* --restart: how many times the container was started again */
	bool stop_requested; /* a forwarded SIGINT/SIGTERM/SIGHUP/SIGQUIT: no restart */
};

static const int fwd_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

/*
 * --explain: libnetd's sink, shared by the parent and (after clone) the child, one write(2) per
 * line. The container's state dir becomes "$d" and its PID "$pid", so the lines form a script that
 * starts an equivalent container anywhere (see docs/design.md, "--explain").
 */
int nsbox_explain_fd = -1;
static char x_state[PATH_MAX];
static pid_t x_pid;

static void explain_line(const char *line, void *ctx)
{
	char out[4096], proc[32];
	size_t n = 0, sl = strlen(x_state), pl;

	snprintf(proc, sizeof(proc), "/proc/%d/", (int)x_pid);
	pl = strlen(proc);
	for (const char *p = line; *p && n < sizeof(out) - 16;) {
		if (sl && !strncmp(p, x_state, sl)) {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "$d");
			p += sl;
		} else if (x_pid > 0 && !strncmp(p, proc, pl)) {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "/proc/$pid/");
			p += pl;
		} else {
			out[n++] = *p++;
		}
	}
	out[n++] = '\n';
	if (write(nsbox_explain_fd, out, n) < 0) {
		/* nowhere to say it */
	}
}

/* A file nsbox writes for the container (hosts, hostname, resolv.conf), as printf lines. */
static void explain_put(const char *dir, const char *file, const char *text)
{
	char line[8192], q[1024];
	size_t n;

	if (!netd_explain_enabled())
		return;
	n = (size_t)snprintf(line, sizeof(line), "printf '%%s\\n'");
	for (const char *p = text; *p && n < sizeof(line);) {
		const char *e = strchrnul(p, '\n');
		char one[1024];
		snprintf(one, sizeof(one), "%.*s", (int)(e - p), p);
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s",
				      netd_explain_quote(one, q, sizeof(q)));
		p = *e ? e + 1 : e;
	}
	if (n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " > %s/%s", dir, file);
	netd_explain("%s", line);
}

int nsbox_resolve_cmd(const char *rootfs, const char *cmd, const char *path_env, char *out,
		      size_t len, struct netd_err *err)
{
	netd_cleanup_close int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
	bool seen_noexec = false;
	const char *p = path_env;

	if (root < 0)
		return netd_err_sys(err, errno, "rootfs %s", rootfs);
	if (!*cmd)
		return netd_err_set(err, ENOENT, "empty command");
	for (;;) {
		char cand[PATH_MAX];
		struct stat st;

		if (strchr(cmd, '/')) {
			snprintf(cand, sizeof(cand), "%s%s", cmd[0] == '/' ? "" : "/", cmd);
		} else {
			const char *e = strchrnul(p, ':');
			int dl = (int)(e - p);
			snprintf(cand, sizeof(cand), "%.*s/%s", dl ? dl : 1, dl ? p : ".", cmd);
			p = *e ? e + 1 : NULL;
		}
		int fd = (int)syscall(SYS_openat2, root, cand, &how, sizeof(how));
		if (fd < 0 && errno == ENOSYS) /* before 5.6 (or valgrind): no in-root resolution */
			fd = openat(root, cand + 1, O_PATH | O_CLOEXEC);
		if (fd >= 0) {
			bool ok =
			    fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
			close(fd);
			if (ok) {
				snprintf(out, len, "%s", cand);
				return 0;
			}
			seen_noexec = true;
		}
		if (strchr(cmd, '/') || !p)
			break;
	}
	if (seen_noexec)
		return netd_err_set(err, EACCES, "command %s in rootfs %s: not an executable file",
				    cmd, rootfs);
	return netd_err_set(err, ENOENT, "command %s not found in rootfs %s", cmd, rootfs);
}

/* ---- the child ---- */

static void __attribute__((noreturn)) child_fail(int fd, int code, const struct netd_err *err)
{
	char buf[2 + NETD_ERR_MSG_MAX];

	buf[0] = 'E';
	buf[1] = (char)code;
	size_t n = strlen(err->msg);
	memcpy(buf + 2, err->msg, n);
	if (write(fd, buf, 2 + n) < 0) {
		/* nobody to tell */
	}
	_exit(code);
}

static int child_wait(int fd, char want)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 && c == want ? 0 : -1;
}

static int lo_up(struct netd_err *err)
{
	netd_cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};

	if (s < 0)
		return netd_err_sys(err, errno, "lo: socket");
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return netd_err_sys(err, errno, "lo: get flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return netd_err_sys(err, errno, "lo: up");
	return 0;
}

/* Sends fd over the sync socket with a one-byte tag (SCM_RIGHTS). */
static int send_fd(int sock, char tag, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &tag, .iov_len = 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -errno;
}

/*
 * -t: a pseudo-terminal from the container's own devpts (after pivot_root), as runc's console
 * socket does: the slave becomes the controlling terminal and stdio (and /dev/console), the
 * master goes to the parent, which relays it.
 */
static int child_tty(struct run_ctx *c, struct netd_err *err)
{
	const struct nsbox_opts *o = c->o;
	char slave[64];
	int m, fd, r;

	if (!o->tty)
		return 0;
	m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return netd_err_sys(err, errno, "open /dev/ptmx");
	if (unlockpt(m) < 0 || ptsname_r(m, slave, sizeof(slave)))
		return netd_err_sys(err, errno, "pty");
	if (setsid() < 0)
		return netd_err_sys(err, errno, "setsid");
	fd = open(slave, O_RDWR);
	if (fd < 0)
		return netd_err_sys(err, errno, "open %s", slave);
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		return netd_err_sys(err, errno, "TIOCSCTTY");
	if ((o->interactive && dup2(fd, 0) < 0) || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return netd_err_sys(err, errno, "dup2 pty");
	if (fd > 2)
		close(fd);
	if (nsbox_mount_console(slave, err) < 0)
		return -err->code;
	r = send_fd(c->child_fd, 'T', m);
	close(m);
	if (r < 0)
		return netd_err_sys(err, -r, "send pty");
	return 0;
}

static int child_stdin_null(const struct nsbox_opts *o, struct netd_err *err)
{
	int null;

	if (o->interactive)
		return 0;
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0)
		return netd_err_sys(err, errno, "stdin /dev/null");
	if (null > 2)
		close(null);
	return 0;
}

static char **child_env(const struct nsbox_opts *o)
{
	static char *envp[NSBOX_MAX_ENV + 8];
	static char hostbuf[80];
	size_t n = 0;
	bool have_path = false, have_home = false, have_term = false;

	for (size_t i = 0; i < o->n_env; i++) {
		have_path |= !strncmp(o->env[i], "PATH=", 5);
		have_home |= !strncmp(o->env[i], "HOME=", 5);
		have_term |= !strncmp(o->env[i], "TERM=", 5);
	}
	if (!have_path)
		envp[n++] = (char *)"PATH=" NSBOX_DEFAULT_PATH;
	snprintf(hostbuf, sizeof(hostbuf), "HOSTNAME=%s", o->hostname);
	envp[n++] = hostbuf;
	if (!have_home && o->home[0]) {
		static char homebuf[300];
		snprintf(homebuf, sizeof(homebuf), "HOME=%s", o->home);
		envp[n++] = homebuf;
	} else if (!have_home) {
		envp[n++] = (char *)((!o->has_user || o->uid == 0) ? "HOME=/root" : "HOME=/");
	}
	if (o->tty && !have_term)
		envp[n++] = (char *)"TERM=xterm";
	for (size_t i = 0; i < o->n_env; i++)
		envp[n++] = (char *)o->env[i];
	envp[n] = NULL;
	return envp;
}

/* --explain: the privilege steps, as comments (setpriv(1) and seccomp are not in the rootfs). */
static void explain_privileges(const struct nsbox_opts *o)
{
	char caps[1024] = "";
	size_t n = 0;

	if (o->privileged)
		snprintf(caps, sizeof(caps), "all (--privileged)");
	else if (o->caps == nsbox_caps_default())
		snprintf(caps, sizeof(caps), "Docker's default list");
	else if (!o->caps)
		snprintf(caps, sizeof(caps), "none");
	bool list = !caps[0];
	for (int i = 0; list && i <= nsbox_last_cap(); i++)
		if (o->caps & (1ULL << i))
			n += (size_t)snprintf(caps + n, n < sizeof(caps) ? sizeof(caps) - n : 0,
					      "%s%s", n ? "," : "", nsbox_cap_name(i));
	netd_explain("# capabilities (bounding, permitted, effective): %s; ambient cleared", caps);
	if (o->has_user) {
		char g[512] = "";
		size_t k = 0;
		for (size_t i = 0; i < o->n_groups && k < sizeof(g); i++)
			k += (size_t)snprintf(g + k, sizeof(g) - k, "%s%u", i ? "," : "",
					      (unsigned)o->groups[i]);
		netd_explain("# user %s: setgroups(%s), setresgid(%u), setresuid(%u)", o->user_spec,
			     g, (unsigned)o->gid, (unsigned)o->uid);
	} else {
		netd_explain("# user root: setgroups() (none of the host's groups)");
	}
	netd_explain("# no_new_privs: %s", o->no_new_privs ? "on" : "off");
	if (o->bpf.n)
		netd_explain("# seccomp: filter \"%s\" (%zu BPF instructions%s), installed with "
			     "seccomp(2) %s exec",
			     o->seccomp_name, o->bpf.n, o->seccomp_cached ? ", from the cache" : "",
			     o->no_new_privs ? "right before"
					     : "before the user switch, well before");
	else
		netd_explain("# seccomp: none (%s)", o->seccomp_name);
	netd_explain(
	    "# (setpriv(1) and seccomp are not inside the rootfs: these steps are left out)");
}

static void __attribute__((noreturn)) child_main(struct run_ctx *c)
{
	const struct nsbox_opts *o = c->o;
	struct netd_err err = {0};
	struct nsbox_mount_ctx mc = {.o = o, .state_dir = c->state_dir};
	int fd = c->child_fd;
	sigset_t all;

	/*
	 * Only the sync socket and the --explain output stay: nsbox's own descriptors (lock, the
	 * -d caller's stderr and ready pipe, the parent's socket end) and whatever nsbox's caller
	 * left open must not reach the container (fds.c).
	 */
	int keep[] = {fd, nsbox_explain_fd, c->join_fd};
	nsbox_close_fds(keep, sizeof(keep) / sizeof(keep[0]));
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (child_wait(fd, 'G') < 0)
		_exit(NSBOX_EXIT_ERROR);
	if (c->join_fd >= 0) {
		netd_explain("# setns(CLONE_NEWNET) to container %s's network namespace",
			     o->net_container);
		if (setns(c->join_fd, CLONE_NEWNET) < 0) {
			netd_err_sys(&err, errno,
				     "--network container:%s: join its network namespace",
				     o->net_container);
			child_fail(fd, NSBOX_EXIT_ERROR, &err);
		}
		close(c->join_fd);
	}
	if (o->userns) {
		/* Become the namespace's root (host uid 100000): the maps are written now. */
		if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0) {
			netd_err_sys(&err, errno, "user namespace: become root");
			child_fail(fd, NSBOX_EXIT_ERROR, &err);
		}
		/* a change of euid clears the parent-death signal: arm it again */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	}
	/* In its cgroup now: a cgroup namespace rooted there. */
	netd_explain("# unshare(CLONE_NEWCGROUP): a cgroup namespace rooted at the container's "
		     "cgroup (a shell cannot do that to itself: left out here)");
	if (unshare(CLONE_NEWCGROUP) < 0) {
		netd_err_sys(&err, errno, "unshare cgroup namespace");
		child_fail(fd, NSBOX_EXIT_ERROR, &err);
	}
	netd_explain("hostname %s", o->hostname);
	if (sethostname(o->hostname, strlen(o->hostname)) < 0) {
		netd_err_sys(&err, errno, "sethostname %s", o->hostname);
		child_fail(fd, NSBOX_EXIT_ERROR, &err);
	}
	bool own_net = o->net_mode != NSBOX_NET_HOST && o->net_mode != NSBOX_NET_CONTAINER;
	if (own_net)
		netd_explain("ip link set lo up");
	if (own_net && lo_up(&err) < 0)
		child_fail(fd, NSBOX_EXIT_ERROR, &err);
	mc.console = o->tty;
	if (nsbox_mounts_setup(&mc, &err) < 0 || child_tty(c, &err) < 0 ||
	    child_stdin_null(o, &err) < 0)
		child_fail(fd, NSBOX_EXIT_ERROR, &err);
	/* The network is attached and /etc/hosts written when 'N' comes. */
	if (o->explain) {
		netd_explain(
		    "# wait for the parent's 'N' (network attached): the rest comes through "
		    "the fifo, once the host side is done");
		netd_explain(". /dev/fd/4");
		if (write(fd, "M", 1) != 1)
			_exit(NSBOX_EXIT_ERROR);
	}
	if (child_wait(fd, 'N') < 0)
		_exit(NSBOX_EXIT_ERROR);
	if (o->workdir)
		netd_explain("cd %s", o->workdir);
	if (o->workdir && chdir(o->workdir) < 0) {
		netd_err_sys(&err, errno, "workdir %s", o->workdir);
		child_fail(fd, NSBOX_EXIT_ERROR, &err);
	}
	char **envp = child_env(o);
	if (netd_explain_enabled())
		explain_privileges(o);
	if (nsbox_caps_apply(o, &err) < 0)
		child_fail(fd, NSBOX_EXIT_ERROR, &err);
	for (size_t i = 0; i < sizeof(fwd_signals) / sizeof(fwd_signals[0]); i++)
		signal(fwd_signals[i], SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (o->init) {
		/* PID 1 never execs: --explain's descriptor closes here, not on exec */
		if (nsbox_explain_fd >= 0)
			close(nsbox_explain_fd);
		nsbox_explain_fd = -1;
		_exit(nsbox_init_run(o->cmd_path, o->argv, envp, fd));
	}
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (netd_explain_enabled()) {
		char line[4096], q[1024];
		size_t n = (size_t)snprintf(line, sizeof(line), "exec env -i");
		for (char **e = envp; *e && n < sizeof(line); e++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s",
					      netd_explain_quote(*e, q, sizeof(q)));
		if (n < sizeof(line))
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s",
					      netd_explain_quote(o->cmd_path, q, sizeof(q)));
		for (char **a = o->argv + 1; *a && n < sizeof(line); a++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s",
					      netd_explain_quote(*a, q, sizeof(q)));
		netd_explain("%s", line);
	}
	execve(o->cmd_path, o->argv, envp);
	int e = errno;
	if (e != ENOENT || !nsbox_enoent_hint(o->cmd_path, err.msg, sizeof(err.msg)))
		netd_err_sys(&err, e, "exec %s", o->cmd_path);
	child_fail(fd, e == ENOENT ? NSBOX_EXIT_NOTFOUND : NSBOX_EXIT_NOEXEC, &err);
}

/* ---- the parent ---- */

static int write_file(const char *path, const char *text, struct netd_err *err)
{
	netd_cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(text);

	if (fd < 0)
		return netd_err_sys(err, errno, "open %s", path);
	if (write(fd, text, n) != (ssize_t)n)
		return netd_err_sys(err, errno, "write %s", path);
	return 0;
}

static int write_idmaps(pid_t pid, struct netd_err *err)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	r = write_file(path, "0 100000 65536\n", err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	return write_file(path, "0 100000 65536\n", err);
}

static void hosts_text(const struct run_ctx *c, char *buf, size_t len)
{
	const struct nsbox_opts *o = c->o;
	char ip[NETD_IP_STRLEN] = "", gw[NETD_IP_STRLEN] = "";
	int n;

	n = snprintf(buf, len, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (c->n_attached) {
		/* the container's names on each of its addresses, every network's, as Docker
		 * writes them: a line per address */
		for (size_t k = 0; k < 2 * c->n_attached && (size_t)n < len; k++) {
			const struct netd_endpoint *ep = &c->eps[k / 2];
			bool v6 = k % 2;

			/* (an IPv6-only network gives no IPv4 address) */
			if (v6 ? ep->ip6.family != AF_INET6 : !ep->ip.s_addr)
				continue;
			if (v6)
				netd_ip_format(&ep->ip6, ip, sizeof(ip));
			else
				netd_ip4_format(ep->ip, ip, sizeof(ip));
			n += snprintf(buf + n, len - (size_t)n, "%s\t%s", ip, o->hostname);
			if (strcmp(o->hostname, o->name) && (size_t)n < len)
				n += snprintf(buf + n, len - (size_t)n, " %s", o->name);
			if ((size_t)n < len)
				n += snprintf(buf + n, len - (size_t)n, "\n");
		}
		if (c->eps[0].gateway.s_addr)
			netd_ip4_format(c->eps[0].gateway, gw, sizeof(gw));
		else if (c->eps[0].gateway6.family == AF_INET6)
			netd_ip_format(&c->eps[0].gateway6, gw, sizeof(gw));
		if ((size_t)n < len && gw[0])
			snprintf(buf + n, len - (size_t)n, "%s\thost.nsbox.internal gateway\n", gw);
	} else {
		snprintf(buf + n, len - (size_t)n, "127.0.1.1\t%s\n", o->hostname);
	}
	n = (int)strlen(buf);
	for (size_t i = 0; i < o->n_hosts && (size_t)n < len; i++) /* --add-host */
		n += snprintf(buf + n, len - (size_t)n, "%s\t%s\n", o->hosts[i][1], o->hosts[i][0]);
}

/* libnetd's rule: the first network's name server when the container has names there, else
 * the host's resolvers of the families its networks give it; --dns and --dns-search replace
 * what they name. */
static void resolv_text(const struct run_ctx *c, char *buf, size_t len)
{
	const struct netd_dns_user user = {
	    .nameservers = c->o->dns,
	    .n_nameservers = c->o->n_dns,
	    .search = c->o->dns_search,
	    .n_search = c->o->n_dns_search,
	};

	netd_dns_resolv_conf(c->eps, c->n_attached, c->o->net_mode == NSBOX_NET_HOST, &user, buf,
			     len);
}

static int state_files(struct run_ctx *c, struct netd_err *err)
{
	char buf[4096];
	int r;

	hosts_text(c, buf, sizeof(buf));
	explain_put(c->state_dir, "hosts", buf);
	r = nsbox_state_put(c->o->name, "hosts", buf, err);
	if (r == 0) {
		snprintf(buf, sizeof(buf), "%s\n", c->o->hostname);
		explain_put(c->state_dir, "hostname", buf);
		r = nsbox_state_put(c->o->name, "hostname", buf, err);
	}
	if (r == 0) {
		resolv_text(c, buf, sizeof(buf));
		explain_put(c->state_dir, "resolv.conf", buf);
		r = nsbox_state_put(c->o->name, "resolv.conf", buf, err);
	}
	return r;
}

static void record_fill(struct run_ctx *c)
{
	const struct nsbox_opts *o = c->o;
	struct nsbox_record *r = &c->rec;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", o->name);
	r->pid = c->pid;
	r->monitor = getpid();
	r->since = (long long)time(NULL);
	r->detached = o->detach;
	r->cg = c->cg;
	r->has_caps = true;
	r->caps = o->caps;
	r->nnp = o->no_new_privs;
	snprintf(r->seccomp, sizeof(r->seccomp), "%s", o->seccomp_name);
	for (char *p = r->seccomp; *p; p++) /* a profile's path is shown, never parsed */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	r->seccomp_key = o->bpf.n ? o->seccomp_key : 0;
	if (o->has_user) {
		r->has_user = true;
		r->uid = o->uid;
		r->gid = o->gid;
		r->n_groups = o->n_groups;
		memcpy(r->groups, o->groups, o->n_groups * sizeof(gid_t));
	}
	if (o->restart == NSBOX_RESTART_ON_FAILURE && o->restart_max)
		snprintf(r->restart, sizeof(r->restart), "on-failure:%ld", o->restart_max);
	else
		snprintf(r->restart, sizeof(r->restart), "%s",
			 o->restart == NSBOX_RESTART_ALWAYS	  ? "always"
			 : o->restart == NSBOX_RESTART_ON_FAILURE ? "on-failure"
								  : "no");
	r->restarts = c->restarts;
	r->rm = o->rm;
	snprintf(r->net_mode, sizeof(r->net_mode), "%s",
		 o->net_mode == NSBOX_NET_HOST	      ? "host"
		 : o->net_mode == NSBOX_NET_NONE      ? "none"
		 : o->net_mode == NSBOX_NET_CONTAINER ? "container"
						      : "bridge");
	if (o->net_mode == NSBOX_NET_CONTAINER)
		snprintf(r->net_container, sizeof(r->net_container), "%s", o->net_container);
	/* the first network; the others are the endpoints of the container's netns (nsbox.h) */
	if (o->net_mode == NSBOX_NET_BRIDGE)
		snprintf(r->network, sizeof(r->network), "%s",
			 c->n_attached	 ? c->eps[0].network
			 : o->n_networks ? o->networks[0]
					 : NETD_DEFAULT_NETWORK);
	if (c->n_attached) {
		if (c->eps[0].ip.s_addr) /* IPv4 only, as Docker's IPAddress */
			netd_ip4_format(c->eps[0].ip, r->ip, sizeof(r->ip));
		for (size_t i = 0; i < c->eps[0].n_ports; i++) {
			char pb[96];
			netd_port_format(&c->eps[0].ports[i], pb, sizeof(pb));
			n += (size_t)snprintf(r->ports + n,
					      n < sizeof(r->ports) ? sizeof(r->ports) - n : 0,
					      "%s%s", i ? "," : "", pb);
			if (n >= sizeof(r->ports))
				break;
		}
	}
	n = 0;
	for (char **a = o->argv; *a && n < sizeof(r->command); a++)
		n += (size_t)snprintf(r->command + n, sizeof(r->command) - n, "%s%s",
				      a == o->argv ? "" : " ", *a);
	/* one line of the record: a newline or other control character in an argument is shown
	 * as a space (the record's parser refuses control characters) */
	for (char *p = r->command; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* What one run of the container holds: its network attachment and cgroups. */
static void teardown_run(struct run_ctx *c)
{
	struct netd_err err = {0};

	/*
	 * Both callers reaped PID 1 first, and with it every process of the container's pid
	 * namespace; nothing else holds its network namespace (but a joiner: nsbox_net_teardown),
	 * so the veth pairs die with it. netd connect's networks go too.
	 */
	if (c->net_pid > 0)
		nsbox_net_teardown(c->o->name, c->net_pid, true);
	for (size_t i = 0; i < c->n_attached; i++)
		netd_endpoint_clear(&c->eps[i]);
	c->n_attached = 0;
	c->net_pid = 0;
	if (c->cg.n && nsbox_cgroup_remove(&c->cg, &err) < 0)
		nsbox_error("teardown: %s", err.msg);
	c->cg.n = 0;
}

/* exit_code >= 0: the container ran and ended (a -d one keeps its log); -1: start failed. */
static void teardown(struct run_ctx *c, int exit_code)
{
	teardown_run(c);
	if (c->o->detach && exit_code >= 0 && !c->o->rm)
		nsbox_state_retire(&c->rec, exit_code);
	else
		nsbox_state_remove(c->o->name);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	c->lock_fd = -1;
}

/* -d: the foreground nsbox waits here for the monitor to say the container started. */
static int detach_fork(struct run_ctx *c)
{
	int p[2];
	pid_t pid;
	char b;

	if (pipe2(p, O_CLOEXEC) < 0) {
		nsbox_error("pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		nsbox_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		c->ready_fd = p[1];
		setsid();
		return 0;
	}
	close(p[1]);
	ssize_t n;
	do
		n = read(p[0], &b, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1) {
		printf("%s\n", c->o->name);
		exit(0);
	}
	exit(NSBOX_EXIT_ERROR);
}

static int detach_stdio(struct run_ctx *c, struct netd_err *err)
{
	char path[PATH_MAX];
	int fd, null;

	if (nsbox_state_path(path, sizeof(path), c->o->name, "log") < 0)
		return netd_err_set(err, ENAMETOOLONG, "log path too long");
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return netd_err_sys(err, errno, "open %s", path);
	nsbox_errfd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return netd_err_sys(err, errno, "stdio to %s", path);
	close(null);
	close(fd);
	return 0;
}

/* -t with a terminal on stdin: raw mode, so keys go to the container as typed. */
static void tty_prepare(struct run_ctx *c)
{
	if (c->o->interactive && !c->o->detach && isatty(0) && tcgetattr(0, &c->saved_tio) == 0) {
		struct termios raw = c->saved_tio;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST; /* keep \n -> \r\n for our own messages */
		if (tcsetattr(0, TCSANOW, &raw) == 0)
			c->tty_raw = true;
	}
}

/* One message from the child: 'E' + code + text, 'T' + the pty master; 0 at EOF (exec'd). */
static ssize_t child_msg(struct run_ctx *c, char *buf, size_t len, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = len - 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n;

	do
		n = recvmsg(c->sync_fd, &mh, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return n;
	buf[n] = '\0';
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		int fd;
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (n == 1 && buf[0] == 'T' && c->pty_master < 0) {
			struct winsize ws;
			c->pty_master = fd;
			if (ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(fd, TIOCSWINSZ, &ws);
		} else {
			close(fd);
		}
	}
	return n;
}

static bool copy_fd(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return true; /* reader gone: drop, keep going */
		}
		off += w;
	}
	return true;
}

/* Waits for the container, forwarding signals and relaying the pty; returns its wait status. */
static int wait_loop(struct run_ctx *c, int sigfd)
{
	bool stdin_open = c->pty_master >= 0 && c->o->interactive && !c->o->detach;
	bool master_open = c->pty_master >= 0;
	int status = 0;

	for (;;) {
		struct pollfd pf[3] = {
		    {.fd = sigfd, .events = POLLIN},
		    {.fd = master_open ? c->pty_master : -1, .events = POLLIN},
		    {.fd = stdin_open ? 0 : -1, .events = POLLIN},
		};
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents) {
			if (!copy_fd(c->pty_master, 1))
				master_open = false;
		}
		if (pf[2].revents) {
			if (!copy_fd(0, c->pty_master))
				stdin_open = false;
		}
		if (!(pf[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			pid_t w = waitpid(c->pid, &status, WNOHANG);
			if (w == c->pid)
				break;
			continue;
		}
		if (si.ssi_signo == SIGWINCH && c->pty_master >= 0) {
			struct winsize ws;
			if (ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(c->pty_master, TIOCSWINSZ, &ws);
			continue;
		}
		if (si.ssi_signo != SIGUSR1 && si.ssi_signo != SIGUSR2)
			c->stop_requested = true; /* no --restart after this */
		kill(c->pid, (int)si.ssi_signo);
	}
	/* what the container wrote last */
	if (master_open) {
		for (int i = 0; i < 64; i++) {
			struct pollfd p = {.fd = c->pty_master, .events = POLLIN};
			if (poll(&p, 1, 0) <= 0 || !copy_fd(c->pty_master, 1))
				break;
		}
	}
	return status;
}

static int start_fail(struct run_ctx *c, const char *msg, int code)
{
	char cmsg[2 + NETD_ERR_MSG_MAX + 1];

	/* A child that failed first says why; its error explains ours (a dead netns, ...). */
	for (int i = 0; i < 2 && c->sync_fd >= 0; i++) {
		ssize_t n = child_msg(c, cmsg, sizeof(cmsg), MSG_DONTWAIT);
		if (n >= 2 && cmsg[0] == 'E') {
			msg = cmsg + 2;
			code = (unsigned char)cmsg[1];
			break;
		}
		if (n <= 0)
			break;
	}
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
	teardown(c, -1);
	if (c->tty_raw)
		tcsetattr(0, TCSANOW, &c->saved_tio);
	nsbox_error("%s", msg);
	return code;
}

/* --explain: the sink, and the script's header ($d: a fresh state dir). */
static int explain_start(struct run_ctx *c)
{
	const struct nsbox_opts *o = c->o;
	char q[1024];

	if (o->explain_file && *o->explain_file && strcmp(o->explain_file, "-"))
		nsbox_explain_fd =
		    open(o->explain_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	else
		nsbox_explain_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (nsbox_explain_fd < 0)
		return -1;
	netd_explain_set(explain_line, NULL);
	netd_explain("# nsbox run --explain: container %s, rootfs %s, command %s", o->name,
		     o->rootfs, netd_explain_quote(o->argv[0], q, sizeof(q)));
	netd_explain(
	    "# what nsbox did, as shell commands, in the order it did it; run with sh -e.");
	netd_explain("# $d is the container's state dir (%s), $pid its PID 1 as the host sees it.",
		     c->state_dir);
	netd_explain("d=$(mktemp -d)");
	snprintf(x_state, sizeof(x_state), "%s", c->state_dir);
	return 0;
}

/* --explain: nsbox's clone3 as a shell in new namespaces that waits on fifos. */
static void explain_clone(const struct nsbox_opts *o)
{
	if (!netd_explain_enabled())
		return;
	netd_explain("# clone3(CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC%s%s): the "
		     "container's PID 1. nsbox's child waits on a socket for 'G' (in its cgroup),",
		     o->net_mode != NSBOX_NET_HOST ? "|CLONE_NEWNET" : "",
		     o->userns ? "|CLONE_NEWUSER" : "");
	netd_explain("# sets itself up, then waits for 'N' (network attached) and execs. Here: a "
		     "shell in new namespaces; fifo go is 'G', fifo start brings the rest ('N').");
	netd_explain("mkfifo $d/go $d/start");
	netd_explain("unshare --pid --mount --uts --ipc%s%s --fork -- sh -ec 'd=$0; read x < "
		     "\"$d/go\"; exec 4< \"$d/start\"; . \"$d/setup.sh\"' \"$d\" &",
		     o->net_mode != NSBOX_NET_HOST ? " --net" : "", o->userns ? " --user" : "");
	netd_explain("ctr=$!");
	netd_explain("for i in $(seq 100); do read -r pid x < /proc/$ctr/task/$ctr/children "
		     "2>/dev/null || true; [ -n \"$pid\" ] && break; sleep 0.05; done");
	netd_explain("exec 5<> $d/start");
}

/* Whether the container is known by name on network: --name, or (Docker's user-defined
 * networks: every container uses the embedded DNS) its generated name off the default one. */
static const char *dns_name(const struct nsbox_opts *o, const char *network)
{
	struct netd_err e2;

	/* A --name that is no DNS label (my_app) is no name on the network. */
	if (netd_name_check_dns(o->name, &e2) < 0)
		return NULL;
	if (o->name_given || (network && strcmp(network, NETD_DEFAULT_NETWORK)))
		return o->name;
	return NULL;
}

/*
 * Every network in order, eth0 first; the default route stays on the first (AUTO: the namespace
 * has one by then), the ports are published through the first only. A failure leaves the ones
 * before attached: start_fail's teardown detaches them.
 */
static int attach_all(struct run_ctx *c, struct netd_err *err)
{
	const struct nsbox_opts *o = c->o;
	size_t n = o->n_networks ? o->n_networks : 1;
	char netns[64];

	snprintf(netns, sizeof(netns), "/proc/%d/ns/net", (int)c->pid);
	c->net_pid = c->pid;
	for (size_t i = 0; i < n; i++) {
		const char *network = o->n_networks ? o->networks[i] : NULL;
		char ifname[NETD_IFNAME_MAX + 1];
		snprintf(ifname, sizeof(ifname), "eth%zu", i);
		struct netd_attach_req req = {
		    .network = network,
		    .netns = netns,
		    .id = o->name,
		    .ifname = ifname,
		    .ports = i ? NULL : o->ports,
		    .n_ports = i ? 0 : o->n_ports,
		    .name = dns_name(o, network),
		    .aliases = o->aliases,
		    .n_aliases = o->n_aliases,
		    .default_route = NETD_DEFAULT_ROUTE_AUTO,
		};
		int ar = netd_network_attach(&req, &c->eps[i], err);

		for (int fam = 0; fam < 2; fam++) {
			bool to_file = o->explain_file && *o->explain_file &&
				       strcmp(o->explain_file, "-") != 0;
			const char *notice =
			    fam ? netd_ip6_forward_notice() : netd_ip_forward_notice();

			if (!(fam ? c->eps[i].ip6_forward_switched_on
				  : c->eps[i].ip_forward_switched_on))
				continue;
			/*
			 * A comment in the explained script; and to the user's stderr (also with
			 * -d, where stderr is the log by now) unless the script goes there.
			 */
			netd_explain("# nsbox: %s", notice);
			if (!o->explain || to_file)
				nsbox_error("%s", notice);
		}
		if (ar < 0)
			return ar;
		c->n_attached = i + 1;
	}
	char hosts[4096];
	hosts_text(c, hosts, sizeof(hosts));
	explain_put(c->state_dir, "hosts", hosts);
	if (nsbox_state_put(o->name, "hosts", hosts, err) < 0)
		return -err->code;
	char resolv[4096];
	resolv_text(c, resolv, sizeof(resolv));
	explain_put(c->state_dir, "resolv.conf", resolv);
	return nsbox_state_put(o->name, "resolv.conf", resolv, err);
}

/* --network container:NAME: the target's /etc/hosts and resolv.conf, as Docker gives them. */
static int join_files(struct run_ctx *c, struct netd_err *err)
{
	static const char *const files[] = {"hosts", "resolv.conf"};

	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX], buf[8192];
		netd_cleanup_close int fd = -1;
		ssize_t n;

		if (nsbox_state_path(path, sizeof(path), c->o->net_container, files[i]) < 0)
			return netd_err_set(err, ENAMETOOLONG, "state path too long");
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return netd_err_sys(err, errno, "--network container:%s: %s",
					    c->o->net_container, path);
		n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0)
			return netd_err_sys(err, errno, "read %s", path);
		buf[n] = '\0';
		explain_put(c->state_dir, files[i], buf);
		if (nsbox_state_put(c->o->name, files[i], buf, err) < 0)
			return -err->code;
	}
	return 0;
}

/*
 * --network container:NAME, before anything is made: NAME runs and has a network namespace of its
 * own (a joiner's is someone else's: join that one), which is held open until the child joins.
 */
static int join_open(struct run_ctx *c, struct netd_err *err)
{
	const char *t = c->o->net_container;
	struct nsbox_record r;
	char ns[64];

	if (!strcmp(t, c->o->name))
		return netd_err_set(err, EINVAL, "--network container:%s: that is this container",
				    t);
	if (nsbox_state_probe(t) <= 0 || nsbox_state_read(t, &r, err) < 0 || r.exited || r.pid <= 0)
		return netd_err_set(err, ESRCH, "--network container:%s: no such running container",
				    t);
	if (!strcmp(r.net_mode, "container"))
		return netd_err_set(
		    err, EINVAL,
		    "--network container:%s: %s itself joined container %s's network "
		    "(join that one)",
		    t, t, r.net_container);
	if (!strcmp(r.net_mode, "host"))
		return netd_err_set(err, EINVAL,
				    "--network container:%s: %s uses the host's network (say "
				    "--network host)",
				    t, t);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)r.pid);
	c->join_fd = open(ns, O_RDONLY | O_CLOEXEC);
	if (c->join_fd < 0)
		return netd_err_sys(err, errno, "--network container:%s: %s", t, ns);
	return 0;
}

/*
 * One start of the container, from its /etc files to the running command: cgroups, clone,
 * setup, network. Returns 0 once it runs; on failure everything is torn down (start_fail) and
 * its exit code is in *code.
 */
static int start_once(struct run_ctx *c, int *code)
{
	struct nsbox_opts *o = c->o;
	struct netd_err err = {0};
	int sv[2];

	if (state_files(c, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}
	if (o->overlay) {
		char p[PATH_MAX];
		static const char *const dirs[] = {"upper", "work", "merged"};
		for (size_t i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s/%s", c->state_dir, dirs[i]);
			if ((mkdir(p, 0755) < 0 && (errno != EEXIST || !c->restarts)) ||
			    (o->userns && i < 2 && chown(p, 100000, 100000) < 0)) {
				netd_err_sys(&err, errno, "overlay: %s", p);
				{
					*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
					return -1;
				}
			}
		}
	}
	if (nsbox_cgroup_create(o, &c->cg, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}
	/* The cgroups are known to cleanup only through the record: a kill -9 from here on must
	 * find them (nsbox ps, netd gc). */
	record_fill(c);
	if (nsbox_state_write(&c->rec, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}
	if (o->tty && !c->restarts)
		tty_prepare(c);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		netd_err_sys(&err, errno, "socketpair");
		{
			*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
			return -1;
		}
	}
	c->sync_fd = sv[0];
	c->child_fd = sv[1];

	uint64_t flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
	if (o->net_mode == NSBOX_NET_BRIDGE || o->net_mode == NSBOX_NET_NONE)
		flags |= CLONE_NEWNET;
	if (o->userns)
		flags |= CLONE_NEWUSER;
	struct nsbox_clone_args ca = {.flags = flags, .exit_signal = SIGCHLD};
	/* a restart joins again: the target may have restarted too */
	if (o->net_mode == NSBOX_NET_CONTAINER && c->join_fd < 0 && join_open(c, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}
	if (c->restarts)
		netd_explain("# --restart %s: start %ld", c->rec.restart, c->restarts + 1);
	explain_clone(o);
	fflush(NULL);
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0 && errno == ENOSYS) /* before 5.3, or under valgrind: the fork-like clone */
		pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		netd_err_sys(&err, errno, "clone3");
		{
			*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
			return -1;
		}
	}
	if (pid == 0)
		child_main(c);
	c->pid = (pid_t)pid;
	x_pid = c->pid;
	/* its own netns (none too): netd connect may add networks, teardown finds them */
	if (flags & CLONE_NEWNET)
		c->net_pid = c->pid;
	close(c->child_fd);
	c->child_fd = -1;
	if (c->join_fd >= 0)
		close(c->join_fd);
	c->join_fd = -1;

	if (o->userns && write_idmaps(c->pid, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}
	if (nsbox_cgroup_add(&c->cg, c->pid, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}
	netd_explain("# what the container's PID 1 does on 'G' (nsbox's child, as it did it):");
	netd_explain("cat > $d/setup.sh <<'NSBOX_SETUP'");
	if (write(c->sync_fd, "G", 1) != 1) {
		*code = start_fail(c, "container died before setup", NSBOX_EXIT_ERROR);
		return -1;
	}
	if (o->explain) {
		/* The child's lines first, so they make one block of the script. */
		char m[2 + NETD_ERR_MSG_MAX + 1];
		ssize_t mn;
		do
			mn = child_msg(c, m, sizeof(m), 0);
		while (mn == 1 && m[0] == 'T');
		if (mn >= 2 && m[0] == 'E')
			return *code = start_fail(c, m + 2, (unsigned char)m[1]), -1;
		if (mn != 1 || m[0] != 'M') {
			*code = start_fail(c, "container died during setup", NSBOX_EXIT_ERROR);
			return -1;
		}
		netd_explain("NSBOX_SETUP");
		netd_explain("echo go > $d/go");
	}
	/* A record before the network, so what a killed nsbox leaves can be cleaned up. */
	record_fill(c);
	if (nsbox_state_write(&c->rec, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}

	if (o->net_mode == NSBOX_NET_BRIDGE && attach_all(c, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}
	if (o->net_mode == NSBOX_NET_CONTAINER && join_files(c, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}
	/* record_fill again: the attach result (network, ip, ports) */
	record_fill(c);
	if (nsbox_state_write(&c->rec, &err) < 0) {
		*code = start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		return -1;
	}
	netd_explain("# 'N': the rest of the container's PID 1, through the fifo:");
	netd_explain("cat >&5 <<'NSBOX_START'");
	if (write(c->sync_fd, "N", 1) != 1) {
		/* the child failed and said why: read it below */
	}
	char msg[2 + NETD_ERR_MSG_MAX + 1];
	ssize_t n;
	do /* 'T' (the pty) may come first */
		n = child_msg(c, msg, sizeof(msg), 0);
	while (n == 1 && msg[0] == 'T');
	if (n >= 2 && msg[0] == 'E') {
		*code = start_fail(c, msg + 2, (unsigned char)msg[1]);
		return -1;
	}
	close(c->sync_fd);
	c->sync_fd = -1;
	if (n != 0 || (o->tty && c->pty_master < 0)) {
		*code = start_fail(c, "container died during setup", NSBOX_EXIT_ERROR);
		return -1;
	}
	netd_explain("NSBOX_START");
	netd_explain("exec 5>&-");
	netd_explain("wait $ctr || true   # nsbox waits for the container, then tears down:");

	return 0;
}

/* --restart: whether the supervisor starts the container again after it ended with code. */
static bool restart_wanted(struct run_ctx *c, int code)
{
	const struct nsbox_opts *o = c->o;
	char flag[PATH_MAX + 16];

	if (o->restart == NSBOX_RESTART_NO || c->stop_requested)
		return false;
	snprintf(flag, sizeof(flag), "%s/stopping", c->state_dir);
	if (access(flag, F_OK) == 0) /* nsbox stop */
		return false;
	if (o->restart == NSBOX_RESTART_ON_FAILURE &&
	    (code == 0 || (o->restart_max && c->restarts >= o->restart_max)))
		return false;
	return true;
}

/* Docker's back-off between restarts: 100 ms, doubling, at most 10 s; false when stopped
 * meanwhile (nsbox stop, or a signal to nsbox). */
static bool restart_backoff(struct run_ctx *c, const sigset_t *mask)
{
	long ms = 100L << (c->restarts < 7 ? c->restarts : 7);
	char flag[PATH_MAX + 16];

	if (ms > 10000)
		ms = 10000;
	snprintf(flag, sizeof(flag), "%s/stopping", c->state_dir);
	for (long t = 0; t < ms; t += 50) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		int sig = sigtimedwait(mask, NULL, &ts);
		if (sig > 0 && sig != SIGCHLD && sig != SIGWINCH)
			return false;
		if (access(flag, F_OK) == 0)
			return false;
	}
	return true;
}

int nsbox_run(struct nsbox_opts *o)
{
	static struct run_ctx ctx;
	struct run_ctx *c = &ctx;
	struct netd_err err = {0};
	sigset_t mask;
	int r;

	memset(c, 0, sizeof(*c));
	c->o = o;
	c->lock_fd = c->sync_fd = c->child_fd = c->pty_master = c->ready_fd = c->join_fd = -1;

	/* Everything that can be checked is checked before anything is created. */
	if (o->net_mode == NSBOX_NET_BRIDGE &&
	    netd_ports_check(o->n_networks ? o->networks[0] : NULL, o->ports, o->n_ports, &err) <
		0) {
		nsbox_error("%s", err.msg);
		return NSBOX_EXIT_ERROR;
	}
	/* every network defined (the default one is made on first use) */
	for (size_t i = 0; o->net_mode == NSBOX_NET_BRIDGE && i < o->n_networks; i++) {
		struct netd_netdef def;
		if (strcmp(o->networks[i], NETD_DEFAULT_NETWORK) &&
		    netd_netconf_find(o->networks[i], &def, &err) < 0) {
			nsbox_error("%s", err.msg);
			return NSBOX_EXIT_ERROR;
		}
	}
	if (o->net_mode == NSBOX_NET_CONTAINER && join_open(c, &err) < 0) {
		nsbox_error("%s", err.msg);
		return NSBOX_EXIT_ERROR;
	}
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(fwd_signals) / sizeof(fwd_signals[0]); i++)
		sigaddset(&mask, fwd_signals[i]);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (o->detach && detach_fork(c) < 0)
		return NSBOX_EXIT_ERROR;
	r = nsbox_state_create(o->name, &c->lock_fd, &err);
	if (r < 0) {
		nsbox_error("%s", err.msg);
		return NSBOX_EXIT_ERROR;
	}
	if (nsbox_state_path(c->state_dir, sizeof(c->state_dir), o->name, NULL) < 0)
		return start_fail(c, "state path too long", NSBOX_EXIT_ERROR);
	if (o->explain && explain_start(c) < 0)
		return start_fail(c, "--explain: cannot open the output", NSBOX_EXIT_ERROR);
	if (o->detach && detach_stdio(c, &err) < 0)
		return start_fail(c, err.msg, NSBOX_EXIT_ERROR);
	netd_explain("# nsbox: %s/config.json: what the container was started with (nsbox inspect)",
		     c->state_dir);
	if (nsbox_config_write(o, &err) < 0)
		return start_fail(c, err.msg, NSBOX_EXIT_ERROR);
	if (o->bpf.n && !o->seccomp_cached)
		nsbox_seccomp_cache_store(o->seccomp_key, &o->bpf);
	/* for nsbox exec: the container's filter, beside its record */
	if (o->bpf.n) {
		char p[PATH_MAX + 16];
		snprintf(p, sizeof(p), "%s/seccomp.bpf", c->state_dir);
		netd_explain("# nsbox: %s: the container's seccomp filter, for nsbox exec", p);
		r = nsbox_seccomp_save(p, o->seccomp_key, &o->bpf);
		if (r < 0) {
			netd_err_sys(&err, -r, "save %s", p);
			return start_fail(c, err.msg, NSBOX_EXIT_ERROR);
		}
	}
	int code = 0;
	for (;;) {
		if (start_once(c, &code) < 0)
			return code;
		/* Started. */
		if (c->ready_fd >= 0) {
			if (write(c->ready_fd, "", 1) < 0) {
				/* the foreground nsbox is gone; keep running */
			}
			close(c->ready_fd);
			c->ready_fd = -1;
			if (nsbox_errfd != 2) {
				close(nsbox_errfd);
				nsbox_errfd = 2;
			}
		}
		int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
		int status = 0;
		if (sigfd < 0) {
			while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
				;
		} else {
			status = wait_loop(c, sigfd);
			close(sigfd);
		}
		c->pid = 0;
		code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		if (c->pty_master >= 0)
			close(c->pty_master);
		c->pty_master = -1;
		if (!restart_wanted(c, code))
			break;
		/* the supervisor: this run's network and cgroups go, the state dir stays */
		teardown_run(c);
		c->restarts++;
		record_fill(c);
		c->rec.pid = 0;
		if (nsbox_state_write(&c->rec, &err) < 0)
			nsbox_error("restart: %s", err.msg);
		if (!restart_backoff(c, &mask))
			break;
	}
	if (c->tty_raw)
		tcsetattr(0, TCSANOW, &c->saved_tio);
	teardown(c, code);
	return code;
}
