/* SPDX-License-Identifier: MIT */
/* The watcher behind `netd serve`: gc when links die, restore our nft table when it vanishes. */
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netd/dns.h>
#include <netd/serve.h>
#include "endpoint_store.h"
#include "nat.h"
#include "tombstone.h"
#include "util.h"

int netd_serve_open(struct netd_err *err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	cleanup_close int fd =
	    socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return netd_err_sys(err, errno, "serve: netlink socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return netd_err_sys(err, errno, "serve: subscribe to link events");
	return steal_fd(&fd);
}

/* Reads every pending message; true when one of them was a link deletion. */
static int drain(int fd, bool *link_gone, struct netd_err *err)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Events were lost: assume the worst and let gc look. */
				*link_gone = true;
				continue;
			}
			return netd_err_sys(err, errno, "serve: read link events");
		}
		/* By offset, not NLMSG_NEXT: its char * cast trips -Wcast-align under clang. */
		for (size_t off = 0; off + NLMSG_HDRLEN <= (size_t)n;) {
			const struct nlmsghdr *h = (const void *)(buf + off);

			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > (size_t)n - off)
				break;
			if (h->nlmsg_type == RTM_DELLINK)
				*link_gone = true;
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
}

static bool have_endpoints(void)
{
	struct netd_endpoint *eps = NULL;
	struct netd_err e;
	size_t n = 0;
	bool any = false;

	if (netd_store_endpoint_list(NULL, &eps, &n, &e) < 0)
		return false;
	any = n > 0;
	netd_endpoints_free(eps, n);
	return any;
}

/* The kernel's handle of table ip netd: a new one each time the table is created; 0 if none. */
static uint64_t table_handle(void)
{
	struct netd_nat_table info;

	netd_nat_table_get(&info);
	return info.exists ? info.handle : 0;
}

/*
 * The handle of table ip netd when this watcher last made sure it holds everything the state
 * says. A different handle means the table was deleted and made again since (a flushed ruleset
 * followed by an attach, which creates the table with its own elements only): the other
 * endpoints' ports and the other networks' sets must be put back even though the table exists.
 */
static uint64_t seen_handle;

int netd_serve_step(int fd, int timeout_ms, struct netd_serve_report *rep, struct netd_err *err)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	bool gone = false;
	uint64_t h;
	int r;

	memset(rep, 0, sizeof(*rep));
	r = poll(&p, 1, timeout_ms);
	if (r < 0 && errno != EINTR)
		return netd_err_sys(err, errno, "serve: poll");
	if (r > 0) {
		r = drain(fd, &gone, err);
		if (r < 0)
			return r;
	}
	/* A deleter that died leaves its tombstone, and no link event says so. */
	if (gone || netd_tomb_stale()) {
		r = netd_gc(NULL, NULL, 0, &rep->gc, err);
		rep->gc_ran = true;
		if (r < 0)
			return r;
	}
	/*
	 * A firewall reload flushes the whole ruleset, ours included. The first look also restores:
	 * the table may have been flushed and made again while no watcher ran.
	 */
	h = table_handle();
	if (h != seen_handle || !h) {
		if (have_endpoints()) {
			r = netd_network_restore_nat(err);
			if (r < 0)
				return r;
			rep->nat_restored = !h || seen_handle;
			h = table_handle();
		}
		seen_handle = h;
	}
	/* A name server that was killed (or crashed) comes back within a round. */
	return netd_dns_ensure(&rep->dns_started, err);
}
