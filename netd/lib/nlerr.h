/* SPDX-License-Identifier: MIT */
/*
 * Netlink plumbing shared by link.c, netns.c and route.c (private to those three):
 * the rtnl socket wrapper, and the one place where libnl's NLE_* codes become errno.
 *
 * libnl turns the kernel's errno into an NLE_* code and loses detail on the way (several errnos
 * share one code, unknown ones become NLE_FAILURE). So each socket gets an error callback that
 * keeps the kernel's own errno and its extended-ack text from the NLMSG_ERROR; netd_nl_err()
 * prefers those and falls back to mapping the NLE_* code.
 */
#ifndef NETD_NLERR_H
#define NETD_NLERR_H

#include <stdbool.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/addr.h>
#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/object.h>
#include <netlink/route/link.h>

struct netd_link_info;

#define NETD_NL_EXTACK_MAX 160

struct netd_rtnl {
	struct nl_sock *sk;
	int kerr;			 /* errno of the last NLMSG_ERROR, 0 if none */
	char extack[NETD_NL_EXTACK_MAX]; /* its extended-ack message, "" if none */
};

/* NLE_* code (either sign) to a positive errno. */
int netd_nle_to_errno(int nle);

/* Installs the error callback that records kerr/extack (call once, after nl_socket_alloc). */
int netd_nl_track_errors(struct netd_rtnl *r);

/* Forgets the last kernel error; call before each request. */
void netd_nl_reset(struct netd_rtnl *r);

/*
 * The errno for a libnl result nle (< 0): the kernel's errno when the last NLMSG_ERROR on r
 * produced it, else the mapping of the NLE_* code.
 */
int netd_nl_errno(const struct netd_rtnl *r, int nle);

/*
 * Fills err with "<fmt>: <strerror>" (plus " (kernel: <extack>)" when the kernel said more) for
 * the libnl result nle; returns the negative errno.
 */
int netd_nl_err(struct netd_err *err, const struct netd_rtnl *r, int nle, const char *fmt, ...)
    NETD_PRINTF(4, 5);

/* Cleanup helpers for libnl's types (each accepts NULL). */
static inline void netd_nl_linkp(struct rtnl_link **p)
{
	if (*p)
		rtnl_link_put(*p);
}
static inline void netd_nl_addrp(struct nl_addr **p)
{
	if (*p)
		nl_addr_put(*p);
}
static inline void netd_nl_msgp(struct nl_msg **p)
{
	if (*p)
		nlmsg_free(*p);
}
#define cleanup_nl_link __attribute__((cleanup(netd_nl_linkp)))
#define cleanup_nl_addr __attribute__((cleanup(netd_nl_addrp)))
#define cleanup_nl_msg	__attribute__((cleanup(netd_nl_msgp)))

/*
 * Requests shared by link.c and route.c. They return 0 or a libnl error (-NLE_*) and leave
 * the kernel's errno on r for netd_nl_err(); callers name the object and the step.
 */

/* -EINVAL with a message unless name is a valid interface name (1..15 chars, no '/', ' '). */
int netd_nl_check_ifname(const char *what, const char *name, struct netd_err *err);
/* RTM_GETLINK by name (no dump). */
int netd_nl_link_lookup(struct netd_rtnl *r, const char *name, struct rtnl_link **out);
/* One RTM_NEWLINK change of an existing link, by ifindex (or by name when ifindex is 0):
 * mtu when non-zero, IFF_UP when up, alias when non-NULL. */
int netd_nl_link_modify(struct netd_rtnl *r, int ifindex, const char *name, unsigned mtu, bool up,
			const char *alias);
/* RTM_NEWADDR ip/prefix on ifindex: IPv4 with its broadcast (below /31), IPv6 with
 * IFA_F_NODAD; -NLE_EXIST when it is already there. */
int netd_nl_addr_add(struct netd_rtnl *r, int ifindex, const struct netd_ip *ip, unsigned prefix);
/* Copies what struct netd_link_info holds out of a parsed link. */
void netd_nl_link_info(struct rtnl_link *l, struct netd_link_info *info);
/* Builds an nl_addr for an address with a prefix length (NULL when out of memory). */
struct nl_addr *netd_nl_ip_addr(const struct netd_ip *ip, unsigned prefix);

/*
 * Sends req (a GET, dump or not) and calls fn for every object parsed out of the replies
 * (rtnl_link, rtnl_addr, rtnl_route ...). Does not take ownership of req.
 */
typedef void (*netd_nl_obj_fn)(struct nl_object *obj, void *arg);
int netd_nl_request(struct netd_rtnl *r, struct nl_msg *req, netd_nl_obj_fn fn, void *arg);

#endif
