/* SPDX-License-Identifier: MIT */
/*
 * Conntrack flush for one published port, through ctnetlink with libmnl: dump the table of the
 * port's family, pick the entries whose original destination is (proto, host_port [, host_ip]),
 * and delete each by its original tuple. A UDP "connection" to a port that was just moved to
 * another container would otherwise keep its old DNAT until it times out.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "conntrack.h"
#include "mnlsock.h"
#include "nat_build.h"
#include "util.h"

#define CT_MAX_MATCHES 65536

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= CTA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static void parse_nested(const struct nlattr *a, const struct nlattr **tb, size_t n)
{
	memset(tb, 0, n * sizeof(*tb));
	mnl_attr_parse_nested(a, attr_cb, tb);
}

/* An address attribute of the family's length into ip. */
static bool get_addr(const struct nlattr *a, int family, struct netd_ip *ip)
{
	size_t len = family == AF_INET6 ? 16 : 4;

	if (!a || mnl_attr_get_payload_len(a) < len)
		return false;
	ip->family = family;
	memcpy(family == AF_INET6 ? (void *)&ip->v6 : (void *)&ip->v4, mnl_attr_get_payload(a),
	       len);
	return true;
}

static bool parse_tuple(const struct nlattr *orig, int family, struct netd_ct_tuple *t)
{
	bool v6 = family == AF_INET6;
	const struct nlattr *tb[CTA_MAX + 1], *ip[CTA_MAX + 1], *pr[CTA_MAX + 1];

	parse_nested(orig, tb, ARRAY_SIZE(tb));
	if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO])
		return false;
	parse_nested(tb[CTA_TUPLE_IP], ip, ARRAY_SIZE(ip));
	parse_nested(tb[CTA_TUPLE_PROTO], pr, ARRAY_SIZE(pr));
	if (!pr[CTA_PROTO_NUM] || !pr[CTA_PROTO_SRC_PORT] || !pr[CTA_PROTO_DST_PORT])
		return false;
	if (!get_addr(ip[v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC], family, &t->src) ||
	    !get_addr(ip[v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST], family, &t->dst) ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_NUM]) < 1 ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_SRC_PORT]) < 2 ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_DST_PORT]) < 2)
		return false;
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	t->sport = mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]);
	t->dport = mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]);
	return true;
}

/* The conntrack table a port's connections are in (family 0 counts as IPv4, as attach does). */
static int ct_family(const struct netd_port *p)
{
	return p->host_ip.family == AF_INET6 ? AF_INET6 : AF_INET;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct netd_ct_matches *d = data;
	const struct nlattr *tb[CTA_MAX + 1] = {0};
	struct netd_ct_tuple t = {0};

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0 || !tb[CTA_TUPLE_ORIG])
		return MNL_CB_OK;
	if (!parse_tuple(tb[CTA_TUPLE_ORIG], ct_family(d->p), &t))
		return MNL_CB_OK;
	if (t.proto != d->p->proto || t.dport != htons(d->p->host_port))
		return MNL_CB_OK;
	if (!netd_ip_is_zero(&d->p->host_ip) && !netd_ip_equal(&t.dst, &d->p->host_ip))
		return MNL_CB_OK;
	if (tb[CTA_ZONE] && mnl_attr_get_payload_len(tb[CTA_ZONE]) >= 2)
		t.zone = ntohs(mnl_attr_get_u16(tb[CTA_ZONE]));
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct netd_ct_tuple *v;

		if (cap > CT_MAX_MATCHES) {
			d->error = E2BIG;
			return MNL_CB_OK; /* keep reading so the dump ends cleanly */
		}
		v = realloc(d->v, cap * sizeof(*v));
		if (!v) {
			d->error = ENOMEM;
			return MNL_CB_OK;
		}
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = t;
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_hdr(char *buf, uint16_t msg, uint16_t flags, uint32_t seq, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static void put_tuple(struct nlmsghdr *nlh, const struct netd_ct_tuple *t)
{
	struct nlattr *orig = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	struct nlattr *pr;

	if (t->src.family == AF_INET6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, &t->src.v6);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, &t->dst.v6);
	} else {
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, t->src.v4.s_addr);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, t->dst.v4.s_addr);
	}
	mnl_attr_nest_end(nlh, ip);
	pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, t->sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, t->dport);
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, orig);
	if (t->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(t->zone));
}

int netd_conntrack_parse_dump(const void *buf, size_t len, uint32_t seq, struct netd_ct_matches *m)
{
	return netd_mnl_run(buf, len, seq, 0, dump_cb, m);
}

/* Sends nlh and runs cb (NULL: an ACK is the answer) over the replies; returns 0 or -errno. */
static int ct_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct netd_mnl_run_args a = {.seq = nlh->nlmsg_seq, .cb = cb, .data = data};
	char buf[16384];

	return netd_mnl_talk(nl, nlh, nlh->nlmsg_len, buf, sizeof(buf), netd_mnl_run_parse, &a,
			     NULL);
}

int netd_conntrack_flush_port(const struct netd_port *p, struct netd_err *err)
{
	cleanup_mnl struct mnl_socket *nl = NULL;
	struct netd_ct_matches d = {.p = p};
	char buf[16384];
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL);
	int r, first = 0;
	size_t failed = 0;
	char name[80], what[100];

	netd_nat_port_name(p, name, sizeof(name));
	snprintf(what, sizeof(what), "conntrack flush %s", name);
	r = netd_mnl_open(NETLINK_NETFILTER, &nl, what, err);
	if (r < 0)
		return r;

	nlh = ct_hdr(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq++, ct_family(p));
	r = ct_talk(nl, nlh, dump_cb, &d);
	if (r < 0 || d.error) {
		free(d.v);
		return netd_err_sys(err, r < 0 ? -r : d.error, "conntrack flush %s: dump", name);
	}
	for (size_t i = 0; i < d.n; i++) {
		nlh = ct_hdr(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, seq++, ct_family(p));
		put_tuple(nlh, &d.v[i]);
		r = ct_talk(nl, nlh, NULL, NULL);
		if (r < 0 && r != -ENOENT) { /* ENOENT: it went away meanwhile */
			if (!first)
				first = r;
			failed++;
		}
	}
	free(d.v);
	if (first)
		return netd_err_sys(err, -first, "conntrack flush %s: delete %zu of the entries",
				    name, failed);
	return 0;
}
