/* SPDX-License-Identifier: MIT */
/*
 * "Is a process of this netns bound to the port?" through NETLINK_SOCK_DIAG: dump TCP (LISTEN),
 * UDP (any state) and SCTP (LISTEN, when the kernel has it) sockets of AF_INET and AF_INET6,
 * with the source port given in the request so the kernel filters where it can, and check the
 * bound address against host_ip (a v6 wildcard without V6ONLY takes v4 ports too; no v4 socket
 * takes a v6 port).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "mnlsock.h"
#include "nat_build.h"
#include "portcheck.h"
#include "util.h"

#define TCP_LISTEN 10

struct diag_ctx {
	const struct netd_port *p;
	int family;
	bool in_use;
};

static int v6only_cb(const struct nlattr *a, void *data)
{
	int *v6only = data;

	if (mnl_attr_get_type(a) == INET_DIAG_SKV6ONLY && mnl_attr_get_payload_len(a) >= 1)
		*v6only = mnl_attr_get_u8(a);
	return MNL_CB_OK;
}

/* Whether p takes connections of family fam (family 0: both). */
static bool takes(const struct netd_port *p, int fam)
{
	return !p->host_ip.family || p->host_ip.family == fam;
}

static bool v4_matches(const struct netd_port *p, uint32_t bound)
{
	if (!takes(p, AF_INET))
		return false;
	return netd_ip_is_zero(&p->host_ip) || bound == htonl(INADDR_ANY) ||
	       bound == p->host_ip.v4.s_addr;
}

/* A socket bound to a (non-mapped) IPv6 address a. */
static bool v6_matches(const struct netd_port *p, const void *a)
{
	static const uint8_t zero[16];

	if (!takes(p, AF_INET6))
		return false;
	return netd_ip_is_zero(&p->host_ip) || !memcmp(a, zero, 16) ||
	       !memcmp(a, &p->host_ip.v6, 16);
}

static int diag_cb(const struct nlmsghdr *nlh, void *data)
{
	struct diag_ctx *c = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	static const uint32_t zero[4];
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	if (m->id.idiag_sport != htons(c->p->host_port))
		return MNL_CB_OK;
	if (m->idiag_family == AF_INET) {
		if (v4_matches(c->p, m->id.idiag_src[0]))
			c->in_use = true;
	} else if (m->idiag_family == AF_INET6) {
		int v6only = 0;

		if (memcmp(m->id.idiag_src, zero, sizeof(zero)) == 0) {
			mnl_attr_parse(nlh, sizeof(*m), v6only_cb, &v6only);
			/* [::] takes every v6 address, and 0.0.0.0 too unless V6ONLY */
			if (takes(c->p, AF_INET6) || !v6only)
				c->in_use = true;
		} else if (memcmp(m->id.idiag_src, mapped, sizeof(mapped)) == 0) {
			if (v4_matches(c->p, m->id.idiag_src[3]))
				c->in_use = true;
		} else if (v6_matches(c->p, m->id.idiag_src)) {
			c->in_use = true;
		}
	}
	return MNL_CB_OK;
}

static int diag_dump(struct mnl_socket *nl, struct diag_ctx *c, uint8_t proto, uint32_t states,
		     uint32_t seq)
{
	char buf[16384];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	struct netd_mnl_run_args a = {.seq = seq, .cb = diag_cb, .data = c};

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)c->family;
	req->sdiag_protocol = proto;
	req->idiag_states = states;
	req->id.idiag_sport = htons(c->p->host_port);
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	return netd_mnl_talk(nl, nlh, nlh->nlmsg_len, buf, sizeof(buf), netd_mnl_run_parse, &a,
			     NULL);
}

int netd_port_diag_parse(const void *buf, size_t len, uint32_t seq, const struct netd_port *p,
			 int family, bool *in_use)
{
	struct diag_ctx c = {.p = p, .family = family, .in_use = *in_use};
	int r = netd_mnl_run(buf, len, seq, 0, diag_cb, &c);

	*in_use = c.in_use;
	return r;
}

int netd_port_in_use(const struct netd_port *p, bool *in_use, struct netd_err *err)
{
	cleanup_mnl struct mnl_socket *nl = NULL;
	static const int families[] = {AF_INET, AF_INET6};
	uint32_t states, seq = (uint32_t)time(NULL);
	struct diag_ctx c = {.p = p};
	char name[80], what[100];
	int r;

	netd_nat_port_name(p, name, sizeof(name));
	switch (p->proto) {
	case IPPROTO_TCP:
	case IPPROTO_SCTP:
		states = 1u << TCP_LISTEN;
		break;
	case IPPROTO_UDP:
		states = ~0u;
		break;
	default:
		return netd_err_set(err, EPROTONOSUPPORT, "port check %s: unknown protocol %u",
				    name, p->proto);
	}
	snprintf(what, sizeof(what), "port check %s: sock_diag", name);
	r = netd_mnl_open(NETLINK_SOCK_DIAG, &nl, what, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(families) && !c.in_use; i++) {
		/* No IPv4 socket takes an IPv6 port. */
		if (families[i] == AF_INET && !takes(p, AF_INET))
			continue;
		c.family = families[i];
		r = diag_dump(nl, &c, p->proto, states, seq++);
		/* No SCTP (or no v6) in this kernel: nothing can be bound there. */
		if (r == -ENOENT || r == -EAFNOSUPPORT || r == -EPROTONOSUPPORT ||
		    (r == -EINVAL && p->proto == IPPROTO_SCTP))
			continue;
		if (r < 0)
			return netd_err_sys(err, -r, "port check %s: sock_diag dump (%s)", name,
					    families[i] == AF_INET ? "ipv4" : "ipv6");
	}
	*in_use = c.in_use;
	return 0;
}
