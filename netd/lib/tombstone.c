/* SPDX-License-Identifier: MIT */
/* Tombstones: detach without waiting for the veth's unregister (see tombstone.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <limits.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/route/link.h>
#include "explain_priv.h"
#include "link.h"
#include "nlerr.h"
#include "tombstone.h"
#include "util.h"

#define TOMB_PREFIX "nt"

/* "nt" + 8 lowercase hex digits: the name's digits are the host end's ifindex. */
static bool tomb_parse(const char *name, int *ifindex)
{
	char *end;
	unsigned long v;

	if (strncmp(name, TOMB_PREFIX, 2) != 0 || strlen(name) != 10)
		return false;
	for (const char *p = name + 2; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	v = strtoul(name + 2, &end, 16);
	if (*end || v == 0 || v > 0x7fffffff)
		return false;
	*ifindex = (int)v;
	return true;
}

static int tomb_path(char *buf, size_t len, const char *name)
{
	if (name)
		return netd_path_fmt(buf, len, "%s/tombstones/%s", netd_state_dir(), name);
	return netd_path_fmt(buf, len, "%s/tombstones", netd_state_dir());
}

/* The tombstone's file, created and locked (the lock says "a deleter is on it"); holds the alias.
 */
static int tomb_file_create(const char *name, const char *alias, struct netd_err *err)
{
	char dir[4096], path[4096];
	int r, fd;

	r = tomb_path(dir, sizeof(dir), NULL);
	if (r == 0)
		r = tomb_path(path, sizeof(path), name);
	if (r < 0)
		return netd_err_set(err, -r, "tombstone %s: path too long", name);
	r = netd_mkdirs(dir, false, err);
	if (r < 0)
		return r;
	fd = netd_lock_file(path, err);
	if (fd < 0)
		return fd;
	/* No fsync: after a crash gc finds the host end by its alias alone (no record owns it). */
	if (ftruncate(fd, 0) < 0 || netd_write_all(fd, alias, strlen(alias)) < 0 ||
	    netd_write_all(fd, "\n", 1) < 0) {
		r = netd_err_sys(err, errno, "tombstone %s: write", path);
		unlink(path);
		close(fd);
		return r;
	}
	return fd;
}

/*
 * Renamed to `to`, and taken down when `down` (the host end: a down end stops the pair, so the
 * released address and ports carry no traffic; the container end then has no carrier). One
 * RTM_NEWLINK: the kernel renames before it changes flags, and since Linux 6.2 it renames a
 * device that is up. Taking a device down waits for an RCU grace period, so only one end is.
 * An older kernel refuses the rename of an up device (EBUSY): down first, then renamed.
 */
static int bury_link(struct netd_rtnl *r, int ifindex, const char *to, bool down)
{
	cleanup_nl_link struct rtnl_link *orig = rtnl_link_alloc();
	cleanup_nl_link struct rtnl_link *ch = rtnl_link_alloc();
	cleanup_nl_link struct rtnl_link *off = rtnl_link_alloc();
	int nle;

	if (!orig || !ch || !off)
		return -NLE_NOMEM;
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_set_name(ch, to);
	if (down)
		rtnl_link_unset_flags(ch, IFF_UP);
	netd_nl_reset(r);
	nle = rtnl_link_change(r->sk, orig, ch, 0);
	if (nle == 0 || netd_nl_errno(r, nle) != EBUSY)
		return nle;
	rtnl_link_unset_flags(off, IFF_UP);
	netd_nl_reset(r);
	nle = rtnl_link_change(r->sk, orig, off, 0);
	if (nle == 0) {
		netd_nl_reset(r);
		nle = rtnl_link_change(r->sk, orig, ch, 0);
	}
	return nle;
}

/*
 * The deleter: what it needs, prepared by its parent in a mapping of its own, which is also its
 * stack. It runs in the parent's memory (clone with CLONE_VM: no page tables copied, no pages
 * made copy-on-write; a fork costs 1-3 ms on this kind of VM, most of a DEL), so it calls no
 * libc function (nothing that writes errno or other thread state it shares with its parent, no
 * sanitizer runtime): raw system calls only, on data that its parent never touches again.
 */
struct deleter_args {
	char path[PATH_MAX];
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req;
	char ack[512] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fault; /* test builds: 1 killed at work, 2 slow */
};

#define DELETER_MAP (64 * 1024)
_Static_assert(sizeof(struct deleter_args) + 16 * 1024 < DELETER_MAP, "deleter stack too small");

#define NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

#if defined(__x86_64__) || defined(__aarch64__)
#define DELETER_CLONE 1
NO_SANITIZE static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#else
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
#endif
}
#define SYS(n, a, b, c, d, e, f)                                                                   \
	raw6(SYS_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#else
/* Elsewhere the deleter is a forked child, where libc's wrappers are safe. */
#define SYS(n, a, b, c, d, e, f) syscall(SYS_##n, a, b, c, d, e, f)
#endif

/*
 * It keeps no fd of its parent's (a runtime reading the plugin's stdout must see EOF when the
 * plugin exits, not when the deleter does), runs in a session of its own with every signal but
 * SIGKILL blocked (its parent's handlers would run on its stack), and takes the tombstone's
 * lock itself, which its parent holds until the spawn is done. A file swept meanwhile (gc found
 * it unlocked in between) means gc did the job. One RTM_DELLINK by ifindex, on a socket of its
 * own.
 */
NO_SANITIZE static int deleter(void *arg)
{
	struct deleter_args *a = arg;
	struct sockaddr_nl kernel;
	struct stat st1, st2;
	struct timespec slow;
	long fd, nl, r;

	SYS(setsid, 0, 0, 0, 0, 0, 0);
	SYS(close_range, 0, ~0u, 0, 0, 0, 0);
	if (SYS(openat, AT_FDCWD, "/dev/null", O_RDWR, 0, 0, 0) == 0) {
		SYS(dup3, 0, 1, 0, 0, 0, 0);
		SYS(dup3, 0, 2, 0, 0, 0, 0);
	}
	fd = SYS(openat, AT_FDCWD, a->path, O_RDWR | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return 0;
	while ((r = SYS(flock, fd, LOCK_EX, 0, 0, 0, 0)) == -EINTR)
		;
	if (r < 0 || SYS(newfstatat, fd, "", &st1, AT_EMPTY_PATH, 0, 0) < 0 ||
	    SYS(newfstatat, AT_FDCWD, a->path, &st2, 0, 0, 0) < 0 || st1.st_ino != st2.st_ino ||
	    st1.st_dev != st2.st_dev)
		return 0;
	/* Test builds: a deleter killed at work (gc and serve must finish its tombstone), or a
	 * slow one (its caller must not wait for it). */
	if (a->fault == 1)
		SYS(kill, SYS(getpid, 0, 0, 0, 0, 0, 0), SIGKILL, 0, 0, 0, 0);
	if (a->fault == 2) {
		slow.tv_sec = 3;
		slow.tv_nsec = 0;
		SYS(nanosleep, &slow, 0, 0, 0, 0, 0);
	}
	nl = SYS(socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, 0, 0, 0);
	if (nl >= 0) {
		kernel.nl_family = AF_NETLINK;
		kernel.nl_pad = 0;
		kernel.nl_pid = 0;
		kernel.nl_groups = 0;
		if (SYS(sendto, nl, &a->req, a->req.h.nlmsg_len, 0, &kernel, sizeof(kernel)) >= 0)
			SYS(recvfrom, nl, a->ack, sizeof(a->ack), 0, 0, 0);
		SYS(close, nl, 0, 0, 0, 0, 0);
	}
	SYS(unlinkat, AT_FDCWD, a->path, 0, 0, 0, 0);
	return 0;
}

/*
 * Deleters are children of the caller. netd-cni and the netd CLI exit at once and leave them to
 * init or the runtime's subreaper; a long-lived caller gets the finished ones reaped (and their
 * mappings unmapped) at its next burial, and waits for one when 32 are still at work.
 */
static struct {
	pid_t pid;
	void *map;
} deleters[32];

static void deleter_reaped(size_t i)
{
	if (deleters[i].map)
		munmap(deleters[i].map, DELETER_MAP);
	deleters[i].pid = 0;
	deleters[i].map = NULL;
}

/*
 * valgrind runs no CLONE_VM child that is not a thread: it ends the whole process instead of
 * refusing the clone. Its preloads give it away; there the deleter is forked.
 */
static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

static bool spawn_deleter(const char *name, int ifindex)
{
	size_t slot = ARRAY_SIZE(deleters);
	struct deleter_args *a;
	sigset_t all, old;
	pid_t c = -1;

	for (size_t i = 0; i < ARRAY_SIZE(deleters); i++) {
		if (deleters[i].pid > 0 && waitpid(deleters[i].pid, NULL, WNOHANG) != 0)
			deleter_reaped(i);
		if (deleters[i].pid <= 0)
			slot = i;
	}
	if (slot == ARRAY_SIZE(deleters)) {
		slot = 0;
		ignore_result(waitpid(deleters[0].pid, NULL, 0));
		deleter_reaped(0);
	}
	a = mmap(NULL, DELETER_MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		 -1, 0);
	if (a == MAP_FAILED)
		return false;
	if (tomb_path(a->path, sizeof(a->path), name) < 0) {
		munmap(a, DELETER_MAP);
		errno = ENAMETOOLONG;
		return false;
	}
	a->req.h.nlmsg_len = sizeof(a->req);
	a->req.h.nlmsg_type = RTM_DELLINK;
	a->req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	a->req.h.nlmsg_seq = 1;
	a->req.ifi.ifi_family = AF_UNSPEC;
	a->req.ifi.ifi_index = ifindex;
#ifdef NETD_FAULT_INJECTION
	if (getenv("NETD_FAIL_AT") && strcmp(getenv("NETD_FAIL_AT"), "deleter") == 0)
		a->fault = 1;
	if (getenv("NETD_FAIL_AT") && strcmp(getenv("NETD_FAIL_AT"), "deleter-slow") == 0)
		a->fault = 2;
#endif
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
#ifdef DELETER_CLONE
	if (!under_valgrind())
		c = clone(deleter, (char *)a + DELETER_MAP, CLONE_VM | SIGCHLD, a);
#endif
	/* Elsewhere, under valgrind, or where clone is refused: a fork. */
	if (c < 0) {
		c = fork();
		if (c == 0)
			_exit(deleter(a));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (c < 0) {
		int e = errno;

		munmap(a, DELETER_MAP);
		errno = e;
		return false;
	}
	deleters[slot].pid = c;
	deleters[slot].map = a;
	return true;
}

/*
 * The container end, when it is still ours (named ctr_ifname, the peer of the host end): down
 * and renamed. 0 also when the namespace or the end is gone.
 */
static int bury_ctr_end(const char *netns, const char *ctr_ifname, int peer, const char *tomb,
			struct netd_err *err)
{
	cleanup_close int nsfd = -1;
	cleanup_nl_link struct rtnl_link *l = NULL;
	cleanup_rtnl struct netd_rtnl *ns = NULL;
	struct netd_err e2;
	char ip[400];
	int nle;

	if (!netns || !*netns || peer <= 0)
		return 0;
	nsfd = netd_netns_open(netns, &e2);
	if (nsfd < 0)
		return 0;
	if (netd_rtnl_open_in_netns(nsfd, &ns, err) < 0)
		return -1;
	if (netd_nl_link_lookup(ns, ctr_ifname, &l) < 0 || rtnl_link_get_ifindex(l) != peer)
		return 0; /* gone with its namespace, or not our peer: not ours to touch */
	nle = netd_dry() ? 0 : bury_link(ns, peer, tomb, false);
	if (nle < 0)
		return netd_nl_err(err, ns, nle, "link %s: bury as %s", ctr_ifname, tomb);
	if (netd_explain_enabled()) {
		netd_explain_ip(nl_socket_get_fd(ns->sk), ip, sizeof(ip));
		netd_explain("%s link set %s name %s", ip, ctr_ifname, tomb);
	}
	return 0;
}

int netd_tomb_bury(struct netd_rtnl *rt, const char *host_ifname, const char *alias,
		   const char *ctr_ifname, const char *netns, struct netd_err *err)
{
	cleanup_nl_link struct rtnl_link *l = NULL;
	cleanup_close int lk = -1;
	char tomb[NETD_IFNAME_MAX + 1], path[4096];
	const char *a;
	int nle, ifindex, r;

	nle = netd_nl_link_lookup(rt, host_ifname, &l);
	if (nle < 0) {
		if (netd_nl_errno(rt, nle) == ENODEV)
			return netd_err_set(err, ENODEV, "link %s: does not exist", host_ifname);
		return netd_nl_err(err, rt, nle, "link %s: get", host_ifname);
	}
	a = rtnl_link_get_ifalias(l);
	if (!a || strcmp(a, alias) != 0)
		return netd_err_set(err, EPERM, "link %s: not %s's (alias %s)", host_ifname, alias,
				    a ? a : "none");
	ifindex = rtnl_link_get_ifindex(l);
	snprintf(tomb, sizeof(tomb), TOMB_PREFIX "%08x", (unsigned)ifindex);
	if (!netd_dry()) {
		lk = tomb_file_create(tomb, alias, err);
		if (lk < 0)
			return lk;
	}
	r = bury_ctr_end(netns, ctr_ifname, (int)rtnl_link_get_link(l), tomb, err);
	/* The host end too: its name is free for the next attach of this endpoint at once. */
	if (r == 0 && !netd_dry()) {
		nle = bury_link(rt, ifindex, tomb, true);
		if (nle < 0)
			r = netd_nl_err(err, rt, nle, "link %s: bury as %s", host_ifname, tomb);
	}
	if (r == 0)
		netd_explain("ip link set %s name %s down", host_ifname, tomb);
	if (r == 0 && !netd_dry() && !spawn_deleter(tomb, ifindex))
		r = netd_err_sys(err, errno, "link %s: start its deleter", host_ifname);
	if (r < 0) {
		struct netd_err e2;

		if (tomb_path(path, sizeof(path), tomb) == 0)
			unlink(path);
		/* Renamed already: the caller deletes the pair by the name it knows. */
		if (!netd_dry())
			ignore_result(netd_link_del(rt, tomb, &e2));
		return r;
	}
	netd_explain("ip link del %s 2>/dev/null || true", tomb);
	return 0;
}

/* fd of name's tombstone file, locked by us (its deleter is gone); -1 when busy or absent. */
static int tomb_take(const char *name, char *path, size_t len)
{
	int fd;

	if (tomb_path(path, len, name) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

bool netd_tomb_pending(const char *name)
{
	char path[4096];
	int ifindex, fd;

	if (!tomb_parse(name, &ifindex) || tomb_path(path, sizeof(path), name) < 0 ||
	    access(path, F_OK) < 0)
		return false;
	fd = tomb_take(name, path, sizeof(path));
	if (fd < 0)
		return true;
	close(fd);
	return false;
}

/* Deletes the host end at ifindex when it still carries the tombstone's alias. */
static bool finish(struct netd_rtnl *rt, int ifindex, const char *path)
{
	cleanup_nl_link struct rtnl_link *l = NULL;
	cleanup_free char *alias = NULL;
	struct netd_err e2;
	const char *a;

	if (netd_file_read(path, 0, &alias, NULL, &e2) < 0)
		return false;
	alias[strcspn(alias, "\n")] = '\0';
	netd_nl_reset(rt);
	if (rtnl_link_get_kernel(rt->sk, ifindex, NULL, &l) < 0)
		return false;
	a = rtnl_link_get_ifalias(l);
	if (!a || strcmp(a, alias) != 0)
		return false;
	return netd_link_del(rt, rtnl_link_get_name(l), &e2) == 0;
}

/* Every tombstone whose deleter is gone: finished when act, else only counted (first one). */
static unsigned foreach_dead(struct netd_rtnl *rt, bool act)
{
	char dir[4096], path[4096];
	struct dirent *d;
	unsigned n = 0;
	DIR *dp;

	if (tomb_path(dir, sizeof(dir), NULL) < 0 || !(dp = opendir(dir)))
		return 0;
	while ((d = readdir(dp))) {
		int fd, ifindex;

		if (!tomb_parse(d->d_name, &ifindex))
			continue;
		fd = tomb_take(d->d_name, path, sizeof(path));
		if (fd < 0)
			continue;
		if (!act) {
			close(fd);
			n++;
			break;
		}
		if (finish(rt, ifindex, path))
			n++;
		unlink(path);
		close(fd);
	}
	closedir(dp);
	return n;
}

unsigned netd_tomb_sweep(struct netd_rtnl *rt)
{
	return foreach_dead(rt, true);
}

bool netd_tomb_stale(void)
{
	return foreach_dead(NULL, false) > 0;
}
