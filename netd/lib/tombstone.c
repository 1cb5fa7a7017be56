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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
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

/* Down, then renamed (the kernel refuses to rename an interface that is up). */
static int down_and_rename(struct netd_rtnl *r, int ifindex, const char *to)
{
	cleanup_nl_link struct rtnl_link *orig = rtnl_link_alloc();
	cleanup_nl_link struct rtnl_link *down = rtnl_link_alloc();
	cleanup_nl_link struct rtnl_link *ren = rtnl_link_alloc();
	int nle;

	if (!orig || !down || !ren)
		return -NLE_NOMEM;
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_unset_flags(down, IFF_UP);
	rtnl_link_set_name(ren, to);
	netd_nl_reset(r);
	nle = rtnl_link_change(r->sk, orig, down, 0);
	if (nle == 0) {
		netd_nl_reset(r);
		nle = rtnl_link_change(r->sk, orig, ren, 0);
	}
	return nle;
}

/* One RTM_DELLINK by ifindex on a socket of its own: the deleter uses nothing of its parent's. */
static void dellink_raw(int ifindex)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;

	if (!nl)
		return;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0) {
		h = mnl_nlmsg_put_header(buf);
		h->nlmsg_type = RTM_DELLINK;
		h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		h->nlmsg_seq = 1;
		ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = ifindex;
		if (mnl_socket_sendto(nl, h, h->nlmsg_len) >= 0)
			ignore_result(mnl_socket_recvfrom(nl, buf, sizeof(buf)));
	}
	mnl_socket_close(nl);
}

/*
 * The deleter. It keeps no fd of its parent's (a runtime reading the plugin's stdout must see
 * EOF when the plugin exits, not when the deleter does) and takes the tombstone's lock itself,
 * which its parent holds until the fork is done. A file swept meanwhile (gc found it unlocked
 * in between) means gc did the job.
 */
__attribute__((noreturn)) static void deleter(const char *path, int ifindex)
{
	struct stat a, b;
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	close_range(0, ~0u, 0);
	if (open("/dev/null", O_RDWR) == 0) {
		ignore_result(dup2(0, 1));
		ignore_result(dup2(0, 2));
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		_exit(0);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			_exit(1);
	if (fstat(fd, &a) < 0 || stat(path, &b) < 0 || a.st_ino != b.st_ino)
		_exit(0);
#ifdef NETD_FAULT_INJECTION
	/*
	 * Test builds only: a deleter killed at work (gc and serve must finish its tombstone), or
	 * a slow one (its caller must not wait for it).
	 */
	if (getenv("NETD_FAIL_AT") && strcmp(getenv("NETD_FAIL_AT"), "deleter") == 0)
		raise(SIGKILL);
	if (getenv("NETD_FAIL_AT") && strcmp(getenv("NETD_FAIL_AT"), "deleter-slow") == 0)
		sleep(3);
#endif
	dellink_raw(ifindex);
	unlink(path);
	_exit(0);
}

/*
 * Deleters are children of the caller (one fork: on this kind of VM a fork costs ~1-3 ms, a
 * double fork twice that). netd-cni and the netd CLI exit at once and leave them to init or the
 * runtime's subreaper; a long-lived caller gets the finished ones reaped at its next burial.
 */
static pid_t deleters[32];

static bool spawn_deleter(const char *name, int ifindex)
{
	char path[4096];
	size_t slot = sizeof(deleters) / sizeof(deleters[0]);
	pid_t c;

	for (size_t i = 0; i < sizeof(deleters) / sizeof(deleters[0]); i++) {
		if (deleters[i] > 0 && waitpid(deleters[i], NULL, WNOHANG) != 0)
			deleters[i] = 0;
		if (deleters[i] <= 0)
			slot = i;
	}
	if (tomb_path(path, sizeof(path), name) < 0)
		return false;
	c = fork();
	if (c == 0)
		deleter(path, ifindex);
	if (c > 0 && slot < sizeof(deleters) / sizeof(deleters[0]))
		deleters[slot] = c;
	return c > 0;
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
	nle = netd_dry() ? 0 : down_and_rename(ns, peer, tomb);
	if (nle < 0)
		return netd_nl_err(err, ns, nle, "link %s: bury as %s", ctr_ifname, tomb);
	if (netd_explain_enabled()) {
		netd_explain_ip(nl_socket_get_fd(ns->sk), ip, sizeof(ip));
		netd_explain("%s link set %s down", ip, ctr_ifname);
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
		nle = down_and_rename(rt, ifindex, tomb);
		if (nle < 0)
			r = netd_nl_err(err, rt, nle, "link %s: bury as %s", host_ifname, tomb);
	}
	if (r == 0 && netd_explain_enabled()) {
		netd_explain("ip link set %s down", host_ifname);
		netd_explain("ip link set %s name %s", host_ifname, tomb);
	}
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
