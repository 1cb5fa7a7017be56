/* SPDX-License-Identifier: MIT */
/* rtnetlink sockets, in the current network namespace or in another one; netns files. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <netd/network.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include "explain_priv.h"
#include "link.h"
#include "nlerr.h"
#include "util.h"

int netd_rtnl_open(struct netd_rtnl **out, struct netd_err *err)
{
	struct netd_rtnl *r = calloc(1, sizeof(*r));
	int nle;

	if (!r)
		return netd_err_set(err, ENOMEM, "rtnetlink socket: out of memory");
	r->sk = nl_socket_alloc();
	if (!r->sk) {
		free(r);
		return netd_err_set(err, ENOMEM, "rtnetlink socket: out of memory");
	}
	nle = nl_connect(r->sk, NETLINK_ROUTE);
	if (nle == 0)
		nle = netd_nl_track_errors(r);
	if (nle < 0) {
		int e = netd_nl_err(err, NULL, nle, "rtnetlink socket: connect");
		netd_rtnl_close(r);
		return e;
	}
	*out = r;
	return 0;
}

void netd_rtnl_close(struct netd_rtnl *r)
{
	if (!r)
		return;
	nl_socket_free(r->sk); /* closes the fd as well */
	free(r);
}

int netd_rtnl_open_in_netns(int netns_fd, struct netd_rtnl **out, struct netd_err *err)
{
	cleanup_close int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct netd_rtnl *r = NULL;
	int rc;

	if (self < 0)
		return netd_err_sys(err, errno, "netns: save current namespace");
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return netd_err_sys(err, errno, "netns fd %d: enter", netns_fd);
	rc = netd_rtnl_open(&r, err);
	/* Always come back, whatever happened inside. */
	if (setns(self, CLONE_NEWNET) < 0) {
		int e = errno;
		netd_rtnl_close(r);
		return netd_err_sys(err, e, "netns: return to the original namespace");
	}
	if (rc < 0)
		return netd_err_prefix(err, "netns fd %d", netns_fd);
	*out = r;
	return 0;
}

int netd_netns_ip6conf_write(int netns_fd, const char *ifname, const struct netd_if_sysctl *kv,
			     size_t n, struct netd_err *err)
{
	cleanup_close int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fds[4] = {-1, -1, -1, -1};
	char path[96];
	size_t opened = 0;
	int rc = 0, e = 0;

	if (n > ARRAY_SIZE(fds))
		return netd_err_set(err, E2BIG, "sysctl: %zu keys at once", n);
	if (self < 0)
		return netd_err_sys(err, errno, "netns: save current namespace");
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return netd_err_sys(err, errno, "netns fd %d: enter", netns_fd);
	/* /proc/sys/net shows the namespace of the thread that opens the file; the fd keeps it. */
	for (; opened < n; opened++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname,
			 kv[opened].key);
		fds[opened] = open(path, O_WRONLY | O_CLOEXEC);
		if (fds[opened] < 0) {
			e = errno;
			break;
		}
	}
	if (setns(self, CLONE_NEWNET) < 0)
		rc = netd_err_sys(err, errno, "netns: return to the original namespace");
	else if (opened < n)
		rc = netd_err_sys(err, e, "sysctl net.ipv6.conf.%s.%s in the namespace", ifname,
				  kv[opened].key);
	for (size_t i = 0; i < opened; i++) {
		size_t len = strlen(kv[i].value);
		ssize_t w = rc < 0 ? 0 : write(fds[i], kv[i].value, len);

		if (rc == 0 && w < 0)
			rc = netd_err_sys(err, errno,
					  "sysctl net.ipv6.conf.%s.%s=%s in the namespace", ifname,
					  kv[i].key, kv[i].value);
		else if (rc == 0 && (size_t)w != len)
			rc = netd_err_sys(err, EIO, "sysctl net.ipv6.conf.%s.%s=%s: short write",
					  ifname, kv[i].key, kv[i].value);
		close(fds[i]);
	}
	return rc;
}

/* A bare name ("c1") is a relative path: say so when ip netns knows it by that name. */
static int netns_missing(const char *path, struct netd_err *err)
{
	char named[NETD_NETNS_PATH_MAX];
	struct stat st;

	if (!strchr(path, '/') && netd_path_fmt(named, sizeof(named), "/run/netns/%s", path) == 0 &&
	    stat(named, &st) == 0)
		return netd_err_set(err, ENOENT, "netns %s: does not exist (did you mean %s?)",
				    path, named);
	return netd_err_set(err, ENOENT, "netns %s: does not exist", path);
}

int netd_netns_open(const char *path, struct netd_err *err)
{
	cleanup_close int fd = -1;
	struct statfs sfs;
	struct stat st;
	int type;

	/*
	 * Looked at first (following links: /proc/PID/ns/net is one): a namespace file is a
	 * regular nsfs inode, and opening a FIFO would block, a device act. O_NONBLOCK for a
	 * FIFO put in its place meanwhile.
	 */
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return netns_missing(path, err);
		return netd_err_sys(err, errno, "netns %s: open", path);
	}
	if (!S_ISREG(st.st_mode))
		return netd_err_set(err, EINVAL,
				    "netns %s: is not a network namespace (not even "
				    "a regular file)",
				    path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return netns_missing(path, err);
		return netd_err_sys(err, errno, "netns %s: open", path);
	}
	if (fstatfs(fd, &sfs) < 0)
		return netd_err_sys(err, errno, "netns %s: statfs", path);
	/* An unmounted /run/netns entry is a plain empty file: reject it here, not at setns. */
	if ((unsigned long)sfs.f_type != NSFS_MAGIC)
		return netd_err_set(err, EINVAL, "netns %s: is not a network namespace", path);
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0 && errno != ENOTTY)
		return netd_err_sys(err, errno, "netns %s: namespace type", path);
	if (type >= 0 && type != CLONE_NEWNET)
		return netd_err_set(err, EINVAL, "netns %s: is not a network namespace", path);
	netd_explain_netns_register(fd, path);
	return steal_fd(&fd);
}

int netd_netns_is_own(int netns_fd, bool *own, struct netd_err *err)
{
	cleanup_close int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat a, b;

	if (self < 0)
		return netd_err_sys(err, errno, "netns: open the calling thread's own");
	if (fstat(self, &a) < 0 || fstat(netns_fd, &b) < 0)
		return netd_err_sys(err, errno, "netns: stat");
	/* nsfs identifies a namespace by device and inode (what ip netns identify compares). */
	*own = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	return 0;
}

int netd_netns_free_ifname(const char *netns, char *out, size_t len, struct netd_err *err)
{
	cleanup_close int fd = netd_netns_open(netns, err);
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	struct netd_link_info li;
	struct netd_err e2;
	int r;

	if (fd < 0)
		return fd;
	r = netd_rtnl_open_in_netns(fd, &rt, err);
	if (r < 0)
		return r;
	/* bounded: a namespace with a hundred eths has no use for one more */
	for (unsigned i = 0; i < 100; i++) {
		char name[NETD_IFNAME_MAX + 1];

		snprintf(name, sizeof(name), "eth%u", i);
		r = netd_link_get(rt, name, &li, &e2);
		if (r == -ENODEV) {
			if (snprintf(out, len, "%s", name) >= (int)len)
				return netd_err_set(err, ENAMETOOLONG, "%s: name too long", name);
			return 0;
		}
		if (r < 0) {
			*err = e2;
			return r;
		}
	}
	return netd_err_set(err, ENOSPC, "netns %s: eth0 to eth99 are all taken", netns);
}
