/* SPDX-License-Identifier: MIT */
/*
 * The messages of table ip netd, built without a kernel (nat.c sends them). Published ports are
 * elements of two maps (pub_ip keyed by host ip . proto .
 * port, pub_any keyed by proto . port), masquerade, isolation and the forward filter use sets of
 * our networks. Every change is one atomic batch (see nftmsg.c). Nothing outside our table is
 * touched. The firewall model this table implements is stated in docs/design.md ("The network
 * boundary"); base_rules[] below is its one home.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include <netd/addr.h>
#include <netd/explain.h>
#include "nat_build.h"
#include "util.h"

#define T NETD_NFT_TABLE

/* nft's datatype ids (nftables src/datatype.h) and its concatenation: 6 bits per member. */
#define NFT_TYPE_BITS	      6
#define NFT_TYPE_IPADDR	      7
#define NFT_TYPE_IP6ADDR      8
#define NFT_TYPE_INET_PROTO   12
#define NFT_TYPE_INET_SERVICE 13
#define NFT_TYPE_IFNAME	      41
#define CONCAT2(a, b)	      (((a) << NFT_TYPE_BITS) | (b))
#define CONCAT3(a, b, c)      ((CONCAT2(a, b) << NFT_TYPE_BITS) | (c))
/* nft's byteorder values in set userdata */
#define NFT_BYTEORDER_HOST 1
#define NFT_BYTEORDER_BIG  2

enum {
	SET_NETS = 1,
	SET_MASQ,
	SET_BRIDGES,
	SET_PUB_ANY,
	SET_PUB_IP,
	SET_BRIDGE_SELF,
	SET_ROUTED,
	SET_INTERNAL,
	SET_DNS_GW,
};

/*
 * The table's comment names the layout of its chains and rules. A table made by an older netd
 * (another comment, or none) is replaced as a whole by netd_nat_ensure, so that a host running
 * since before an upgrade gets the current rules, not only new elements in old chains.
 */
#define LAYOUT "netd layout 5"

/* "ip" or "ip6": the nft family word of table fam (NFPROTO_IPV4 or NFPROTO_IPV6). */
static const char *fam_name(uint32_t fam)
{
	return fam == NFPROTO_IPV6 ? "ip6" : "ip";
}

uint32_t netd_nat_fam_of(const struct netd_port *p)
{
	return p->host_ip.family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

static const char *proto_name(uint8_t proto)
{
	const char *n = netd_proto_name(proto);

	return n ? n : "?";
}

void netd_nat_port_name(const struct netd_port *p, char *buf, size_t len)
{
	char ip[NETD_HOST_STRLEN];

	netd_port_host_format(p, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u/%s", ip, p->host_port, proto_name(p->proto));
}

/*
 * Keys are nft concatenations: every member padded to 4 bytes. pub_any: proto . port (8 bytes);
 * pub_ip: addr . proto . port (12 bytes, 24 for IPv6).
 */
const char *netd_nat_port_key(const struct netd_port *p, uint8_t key[NETD_NAT_KEY_MAX],
			      uint32_t *key_len)
{
	uint16_t port = htons(p->host_port);
	size_t alen = p->host_ip.family == AF_INET6 ? 16 : 4;

	memset(key, 0, NETD_NAT_KEY_MAX);
	if (netd_ip_is_zero(&p->host_ip)) {
		key[0] = p->proto;
		memcpy(key + 4, &port, 2);
		*key_len = 8;
		return "pub_any";
	}
	memcpy(key, alen == 16 ? (const void *)&p->host_ip.v6 : (const void *)&p->host_ip.v4, alen);
	key[alen] = p->proto;
	memcpy(key + alen + 4, &port, 2);
	*key_len = (uint32_t)alen + 8;
	return "pub_ip";
}

uint32_t netd_nat_port_data(const struct netd_ip *ctr_ip, uint16_t ctr_port,
			    uint8_t data[NETD_NAT_DATA_MAX])
{
	uint16_t port = htons(ctr_port);
	size_t alen = ctr_ip->family == AF_INET6 ? 16 : 4;

	memset(data, 0, NETD_NAT_DATA_MAX);
	memcpy(data, alen == 16 ? (const void *)&ctr_ip->v6 : (const void *)&ctr_ip->v4, alen);
	memcpy(data + alen, &port, 2);
	return (uint32_t)alen + 4;
}

/* ---- expressions ---- */

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int e_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return add_expr(r, e);
}

static int e_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return add_expr(r, e);
}

static int e_ct(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	}
	return add_expr(r, e);
}

static int e_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return add_expr(r, e);
}

/* reg1 = reg1 & mask (4 bytes); then reg1 != 0 */
static int e_bits_set(struct nftnl_rule *r, uint32_t mask)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	uint32_t zero = 0;
	int ret;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	}
	ret = add_expr(r, e);
	return ret < 0 ? ret : e_cmp(r, NFT_CMP_NEQ, &zero, 4);
}

static int e_lookup(struct nftnl_rule *r, const char *set, uint32_t set_id, uint32_t sreg, int dreg,
		    bool inv)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		if (dreg >= 0)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
		if (inv)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	}
	return add_expr(r, e);
}

static int e_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	return add_expr(r, e);
}

static int e_masq(struct nftnl_rule *r)
{
	return add_expr(r, nftnl_expr_alloc("masq"));
}

static bool rule_v6(struct nftnl_rule *r)
{
	return nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) == NFPROTO_IPV6;
}

/* The map's data (address . port) is in reg 0 on: the port follows the 1 or 4 words of it. */
static int e_dnat(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");
	bool v6 = rule_v6(r);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG32_00);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN,
				   v6 ? NFT_REG32_04 : NFT_REG32_01);
	}
	return add_expr(r, e);
}

static int e_fib_daddr_local(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("fib");
	uint32_t local = RTN_LOCAL;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	}
	if (add_expr(r, e) < 0)
		return -ENOMEM;
	return e_cmp(r, NFT_CMP_EQ, &local, 4);
}

/* ip saddr/daddr first byte ==/!= 127 */
static int e_loopback(struct nftnl_rule *r, bool daddr, uint32_t op)
{
	uint8_t lo = 127;

	if (e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, daddr ? 16 : 12, 1, NFT_REG_1) < 0)
		return -ENOMEM;
	return e_cmp(r, op, &lo, 1);
}

/* ip saddr/daddr (ip6 for a rule of table ip6) in set */
static int e_addr(struct nftnl_rule *r, bool daddr, uint32_t dreg)
{
	if (rule_v6(r))
		return e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, daddr ? 24 : 8, 16, dreg);
	return e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, daddr ? 16 : 12, 4, dreg);
}

static int e_addr_in(struct nftnl_rule *r, bool daddr, const char *set, uint32_t id, bool inv)
{
	if (e_addr(r, daddr, NFT_REG_1) < 0)
		return -ENOMEM;
	return e_lookup(r, set, id, NFT_REG_1, -1, inv);
}

static int e_ifname_in(struct nftnl_rule *r, uint32_t meta_key, const char *set, uint32_t id)
{
	if (e_meta(r, meta_key, NFT_REG_1) < 0)
		return -ENOMEM;
	return e_lookup(r, set, id, NFT_REG_1, -1, false);
}

static int e_ifname_in_bridges(struct nftnl_rule *r, uint32_t meta_key)
{
	return e_ifname_in(r, meta_key, "bridges", SET_BRIDGES);
}

/* meta iif != "lo": the loopback device is always ifindex 1 (LOOPBACK_IFINDEX). */
static int e_not_from_lo(struct nftnl_rule *r)
{
	uint32_t lo = 1;

	if (e_meta(r, NFT_META_IIF, NFT_REG_1) < 0)
		return -ENOMEM;
	return e_cmp(r, NFT_CMP_NEQ, &lo, 4);
}

static int e_ct_dnat(struct nftnl_rule *r)
{
	if (e_ct(r, NFT_CT_STATUS, NFT_REG_1) < 0)
		return -ENOMEM;
	return e_bits_set(r, IPS_DST_NAT);
}

/* ---- --explain: the nft commands of the batch being built ---- */

/*
 * Builders append the nft command of each message they add; the lines go out once the batch is
 * applied (explain_done(true)), or are dropped when it is not (a failed batch changes nothing).
 * Only collected while a sink is installed.
 */
static __thread char *xp_buf;
static __thread size_t xp_len, xp_cap;

static void NETD_PRINTF(1, 2) xp(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (!netd_explain_enabled())
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (xp_cap - xp_len < (size_t)n + 2) {
		size_t cap = (xp_cap + (size_t)n + 2) * 2;
		char *nb = realloc(xp_buf, cap);

		if (!nb)
			return;
		xp_buf = nb;
		xp_cap = cap;
	}
	memcpy(xp_buf + xp_len, line, (size_t)n + 1);
	xp_len += (size_t)n + 1;
}

void netd_nat_explain_done(bool applied)
{
	for (size_t off = 0; applied && off < xp_len; off += strlen(xp_buf + off) + 1)
		netd_explain("%s", xp_buf + off);
	free(xp_buf);
	xp_buf = NULL;
	xp_len = xp_cap = 0;
}

/* nft's names for the datatype ids we use; a concatenation is 6 bits per member. */
static void type_name(uint32_t type, char *buf, size_t len)
{
	uint32_t parts[5];
	size_t n = 0, used = 0;

	do {
		parts[n++] = type & ((1u << NFT_TYPE_BITS) - 1);
		type >>= NFT_TYPE_BITS;
	} while (type && n < 5);
	buf[0] = '\0';
	while (n--) {
		const char *name = parts[n] == NFT_TYPE_IPADDR	       ? "ipv4_addr"
				   : parts[n] == NFT_TYPE_IP6ADDR      ? "ipv6_addr"
				   : parts[n] == NFT_TYPE_INET_PROTO   ? "inet_proto"
				   : parts[n] == NFT_TYPE_INET_SERVICE ? "inet_service"
				   : parts[n] == NFT_TYPE_IFNAME       ? "ifname"
								       : "?";
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? " . " : "", name);
	}
}

static const char *hook_name(int hook)
{
	switch (hook) {
	case NF_INET_PRE_ROUTING:
		return "prerouting";
	case NF_INET_LOCAL_IN:
		return "input";
	case NF_INET_FORWARD:
		return "forward";
	case NF_INET_LOCAL_OUT:
		return "output";
	case NF_INET_POST_ROUTING:
		return "postrouting";
	}
	return "?";
}

/* ---- objects ---- */
/*
 * NEWTABLE carries the layout comment. DELTABLE with a handle deletes that very table only: when
 * a concurrent caller has replaced it already, the batch fails with ENOENT instead of deleting
 * the new one (and the elements added to it since).
 */
static int add_table(struct netd_nft_batch *b, uint32_t fam, uint16_t type, uint16_t flags,
		     const uint64_t *handle)
{
	const char *fn = fam_name(fam);
	cleanup_nft_table struct nftnl_table *t = nftnl_table_alloc();
	cleanup_nft_udata struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	struct nlmsghdr *nlh;

	if (!t || !ud)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, T);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, fam);
	if (handle)
		nftnl_table_set_u64(t, NFTNL_TABLE_HANDLE, *handle);
	if (type == NFT_MSG_NEWTABLE) {
		if (!nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, LAYOUT))
			return -ENOMEM;
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
				     nftnl_udata_buf_len(ud));
	}
	nlh = netd_nft_batch_add(b, (uint16_t)fam, type, flags, "table %s " T, fn);
	if (!nlh)
		return -ENOMEM;
	nftnl_table_nlmsg_build_payload(nlh, t);
	if (type == NFT_MSG_DELTABLE)
		xp("nft delete table %s " T, fn);
	else
		xp("nft add table %s " T " '{ comment \"" LAYOUT "\"; }'", fn);
	return 0;
}

static int add_chain(struct netd_nft_batch *b, uint32_t fam, const char *name, const char *type,
		     int hook, int prio)
{
	const char *fn = fam_name(fam);
	cleanup_nft_chain struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, T);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, fam);
	if (type) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = netd_nft_batch_add(b, (uint16_t)fam, NFT_MSG_NEWCHAIN, NLM_F_CREATE,
				 "table %s " T ": chain %s", fn, name);
	if (!nlh)
		return -ENOMEM;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	if (type)
		xp("nft add chain %s " T " %s '{ type %s hook %s priority %d; policy accept; }'",
		   fn, name, type, hook_name(hook), prio);
	else
		xp("nft add chain %s " T " %s", fn, name);
	return 0;
}

static int add_set(struct netd_nft_batch *b, uint32_t fam, const char *name, uint32_t id,
		   uint32_t flags, uint32_t key_type, uint32_t key_len, uint32_t key_order,
		   uint32_t data_type, uint32_t data_len)
{
	cleanup_nft_set struct nftnl_set *s = nftnl_set_alloc();
	cleanup_nft_udata struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	struct nlmsghdr *nlh;

	if (!s || !ud)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, T);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, fam);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	/* What nft itself stores, so `nft list` prints keys and data readably. */
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, key_order);
	if (flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, data_len);
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, NFT_BYTEORDER_BIG);
	}
	if (flags & NFT_SET_INTERVAL)
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_MERGE_ELEMENTS, 1);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nlh = netd_nft_batch_add(b, (uint16_t)fam, NFT_MSG_NEWSET, NLM_F_CREATE,
				 "table %s " T ": set %s", fam_name(fam), name);
	if (!nlh)
		return -ENOMEM;
	nftnl_set_nlmsg_build_payload(nlh, s);
	if (netd_explain_enabled()) {
		char kt[96], dt[96] = "";

		type_name(key_type, kt, sizeof(kt));
		if (flags & NFT_SET_MAP) {
			type_name(data_type, dt + 3, sizeof(dt) - 3);
			memcpy(dt, " : ", 3);
		}
		xp("nft add %s %s " T " %s '{ type %s%s;%s }'", flags & NFT_SET_MAP ? "map" : "set",
		   fam_name(fam), name, kt, dt,
		   flags & NFT_SET_INTERVAL ? " flags interval; auto-merge;" : "");
	}
	return 0;
}

static struct nftnl_rule *rule_new(uint32_t fam, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r) {
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, T);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, fam);
	}
	return r;
}

static int rule_put(struct netd_nft_batch *b, struct nftnl_rule *r, const char *what,
		    const char *nft)
{
	uint32_t fam = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	const char *fn = fam_name(fam);
	struct nlmsghdr *nlh = netd_nft_batch_add(
	    b, (uint16_t)fam, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
	    "table %s " T ": chain %s: rule %s", fn, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), what);

	if (!nlh)
		return -ENOMEM;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	xp("nft add rule %s " T " %s %s", fn, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), nft);
	return 0;
}

/* Each rule builder: fills r, returns 0 or -ENOMEM. */
static int rule_pub_ip(struct nftnl_rule *r)
{
	uint32_t after = rule_v6(r) ? NFT_REG32_04 : NFT_REG32_01; /* the word after the address */

	if (e_addr(r, true, NFT_REG32_00) < 0 || e_meta(r, NFT_META_L4PROTO, after) < 0 ||
	    e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, after + 1) < 0 ||
	    e_lookup(r, "pub_ip", SET_PUB_IP, NFT_REG32_00, NFT_REG32_00, false) < 0)
		return -ENOMEM;
	return e_dnat(r);
}

static int rule_pub_any(struct nftnl_rule *r)
{
	if (e_meta(r, NFT_META_L4PROTO, NFT_REG32_00) < 0 ||
	    e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01) < 0 ||
	    e_lookup(r, "pub_any", SET_PUB_ANY, NFT_REG32_00, NFT_REG32_00, false) < 0)
		return -ENOMEM;
	return e_dnat(r);
}

static int rule_prerouting(struct nftnl_rule *r)
{
	/* Never DNAT a packet from outside addressed to 127/8 (Docker's route_localnet hole). */
	if (e_fib_daddr_local(r) < 0 || e_loopback(r, true, NFT_CMP_NEQ) < 0)
		return -ENOMEM;
	return e_verdict(r, NFT_JUMP, "publish");
}

static int rule_output(struct nftnl_rule *r)
{
	if (e_fib_daddr_local(r) < 0)
		return -ENOMEM;
	return e_verdict(r, NFT_JUMP, "publish");
}

static int rule_masq_localhost(struct nftnl_rule *r)
{
	if (e_ct_dnat(r) < 0 || e_loopback(r, false, NFT_CMP_EQ) < 0)
		return -ENOMEM;
	return e_masq(r);
}

static int rule_masq_hairpin(struct nftnl_rule *r)
{
	if (e_ct_dnat(r) < 0 || e_addr_in(r, false, "nets", SET_NETS, false) < 0 ||
	    e_addr_in(r, true, "nets", SET_NETS, false) < 0)
		return -ENOMEM;
	return e_masq(r);
}

static int rule_masq_egress(struct nftnl_rule *r)
{
	if (e_addr_in(r, false, "masq_nets", SET_MASQ, false) < 0 ||
	    e_addr_in(r, true, "nets", SET_NETS, true) < 0)
		return -ENOMEM;
	return e_masq(r);
}

static int rule_fwd_dnat(struct nftnl_rule *r)
{
	if (e_ct_dnat(r) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_ACCEPT, NULL);
}

static int rule_fwd_established(struct nftnl_rule *r)
{
	uint32_t bits = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);

	if (e_ct(r, NFT_CT_STATE, NFT_REG_1) < 0 || e_bits_set(r, bits) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_ACCEPT, NULL);
}

/*
 * With br_netfilter loaded, traffic between two containers of one bridge passes the forward hook
 * with iifname == oifname == the bridge. nft cannot compare two registers, so bridge_self holds
 * one "br . br" element per bridge, and this rule lets that traffic through before isolation.
 */
static int rule_fwd_same_bridge(struct nftnl_rule *r)
{
	if (e_meta(r, NFT_META_IIFNAME, NFT_REG32_00) < 0 ||
	    e_meta(r, NFT_META_OIFNAME, NFT_REG32_04) < 0 ||
	    e_lookup(r, "bridge_self", SET_BRIDGE_SELF, NFT_REG32_00, -1, false) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_ACCEPT, NULL);
}

static int rule_fwd_isolate(struct nftnl_rule *r)
{
	if (e_ifname_in_bridges(r, NFT_META_IIFNAME) < 0 ||
	    e_ifname_in_bridges(r, NFT_META_OIFNAME) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_DROP, NULL);
}

static int rule_fwd_from_bridge(struct nftnl_rule *r)
{
	if (e_ifname_in_bridges(r, NFT_META_IIFNAME) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_ACCEPT, NULL);
}

/* A routed network (gateway_mode=routed) takes new connections from outside on every port. */
static int rule_fwd_to_routed(struct nftnl_rule *r)
{
	if (e_ifname_in(r, NFT_META_OIFNAME, "routed", SET_ROUTED) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_ACCEPT, NULL);
}

/*
 * What is left going into a bridge is a new connection from outside (another interface, a
 * neighbour routing our subnet via this host) that no published port DNATed: dropped, so an
 * unpublished container port is not reachable from the LAN.
 */
static int rule_fwd_to_bridge(struct nftnl_rule *r)
{
	if (e_ifname_in_bridges(r, NFT_META_OIFNAME) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_DROP, NULL);
}

/*
 * 127.0.0.0/8 never comes in from the wire. Bridges have route_localnet=1 (localhost publishing
 * sends 127.0.0.1-sourced packets out of them, and their replies come back to 127.0.0.1), which
 * would also let a container with CAP_NET_RAW, or a neighbour routing 127/8 at us, reach sockets
 * bound to 127.0.0.1 (CVE-2020-8558). Those replies still carry the container's and the bridge's
 * addresses here: their NAT is undone later, in the nat hooks. So at raw priority, before
 * conntrack, anything to or from 127/8 that did not come in on lo is dropped: it makes no
 * conntrack entry and reaches no socket.
 */
static int rule_guard_daddr(struct nftnl_rule *r)
{
	if (e_not_from_lo(r) < 0 || e_loopback(r, true, NFT_CMP_EQ) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_DROP, NULL);
}

static int rule_guard_saddr(struct nftnl_rule *r)
{
	if (e_not_from_lo(r) < 0 || e_loopback(r, false, NFT_CMP_EQ) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_DROP, NULL);
}

/* An internal network (internal=yes): nothing is forwarded out of its bridge or into it. */
static int rule_fwd_from_internal(struct nftnl_rule *r)
{
	if (e_ifname_in(r, NFT_META_IIFNAME, "internal", SET_INTERNAL) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_DROP, NULL);
}

static int rule_fwd_to_internal(struct nftnl_rule *r)
{
	if (e_ifname_in(r, NFT_META_OIFNAME, "internal", SET_INTERNAL) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_DROP, NULL);
}

/*
 * The name server answers on every gateway by the address it is asked on, and the host owns every
 * gateway: DNS to a gateway of ours (an address of @nets, on the input path) that comes in from
 * a bridge other than that gateway's is dropped, so a network's names are answered only on it.
 * dns_gw holds one "bridge . gateway" element per network: one lookup, whatever their number.
 */
static int rule_dns_scope(struct nftnl_rule *r, uint8_t proto)
{
	uint16_t port = htons(53);

	if (e_meta(r, NFT_META_L4PROTO, NFT_REG_1) < 0 || e_cmp(r, NFT_CMP_EQ, &proto, 1) < 0 ||
	    e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1) < 0 ||
	    e_cmp(r, NFT_CMP_EQ, &port, 2) < 0 || e_ifname_in_bridges(r, NFT_META_IIFNAME) < 0 ||
	    e_addr_in(r, true, "nets", SET_NETS, false) < 0 ||
	    e_meta(r, NFT_META_IIFNAME, NFT_REG32_00) < 0 || e_addr(r, true, NFT_REG32_04) < 0 ||
	    e_lookup(r, "dns_gw", SET_DNS_GW, NFT_REG32_00, -1, true) < 0)
		return -ENOMEM;
	return e_verdict(r, NF_DROP, NULL);
}

static int rule_dns_scope_udp(struct nftnl_rule *r)
{
	return rule_dns_scope(r, IPPROTO_UDP);
}

static int rule_dns_scope_tcp(struct nftnl_rule *r)
{
	return rule_dns_scope(r, IPPROTO_TCP);
}

/*
 * nft: the rule in nft's own syntax, as `nft list table ip netd` prints the bytecode built beside
 * it (--explain prints it; tests/integration/test_explain.sh rebuilds the table from it and
 * compares both listings, so the two cannot drift apart unnoticed). nft6: the same rule in table
 * ip6 netd; SAME when the text is the same, NULL when the rule has no IPv6 twin (the guard: the
 * kernel never routes ::1 from the wire).
 */
#define SAME ((const char *)1)
static const struct {
	const char *chain;
	const char *what;
	int (*build)(struct nftnl_rule *r);
	const char *nft, *nft6;
} base_rules[] = {
    {"guard", "127/8 not from lo: drop (daddr)", rule_guard_daddr,
     "iif != \"lo\" ip daddr 127.0.0.0/8 drop", NULL},
    {"guard", "127/8 not from lo: drop (saddr)", rule_guard_saddr,
     "iif != \"lo\" ip saddr 127.0.0.0/8 drop", NULL},
    {"publish", "pub_ip dnat", rule_pub_ip,
     "dnat ip to ip daddr . meta l4proto . th dport map @pub_ip",
     "dnat ip6 to ip6 daddr . meta l4proto . th dport map @pub_ip"},
    {"publish", "pub_any dnat", rule_pub_any, "dnat ip to meta l4proto . th dport map @pub_any",
     "dnat ip6 to meta l4proto . th dport map @pub_any"},
    {"prerouting", "local daddr not 127/8: jump publish", rule_prerouting,
     "fib daddr type local ip daddr != 127.0.0.0/8 jump publish", NULL},
    {"prerouting", "local daddr: jump publish", rule_output, NULL,
     "fib daddr type local jump publish"},
    {"output", "local daddr: jump publish", rule_output, "fib daddr type local jump publish", SAME},
    {"postrouting", "localhost masquerade", rule_masq_localhost,
     "ct status dnat ip saddr 127.0.0.0/8 masquerade", NULL},
    {"postrouting", "hairpin masquerade", rule_masq_hairpin,
     "ct status dnat ip saddr @nets ip daddr @nets masquerade",
     "ct status dnat ip6 saddr @nets ip6 daddr @nets masquerade"},
    {"postrouting", "egress masquerade", rule_masq_egress,
     "ip saddr @masq_nets ip daddr != @nets masquerade",
     "ip6 saddr @masq_nets ip6 daddr != @nets masquerade"},
    {"forward", "dnat accept", rule_fwd_dnat, "ct status dnat accept", SAME},
    {"forward", "established accept", rule_fwd_established, "ct state established,related accept",
     SAME},
    {"forward", "same bridge accept", rule_fwd_same_bridge, "iifname . oifname @bridge_self accept",
     SAME},
    {"forward", "from internal drop", rule_fwd_from_internal, "iifname @internal drop", SAME},
    {"forward", "to internal drop", rule_fwd_to_internal, "oifname @internal drop", SAME},
    {"forward", "isolation drop", rule_fwd_isolate, "iifname @bridges oifname @bridges drop", SAME},
    {"forward", "from bridges accept", rule_fwd_from_bridge, "iifname @bridges accept", SAME},
    {"forward", "to routed accept", rule_fwd_to_routed, "oifname @routed accept", SAME},
    {"forward", "to bridges drop", rule_fwd_to_bridge, "oifname @bridges drop", SAME},
    {"input", "dns of another network drop (udp)", rule_dns_scope_udp,
     "udp dport 53 iifname @bridges ip daddr @nets iifname . ip daddr != @dns_gw drop",
     "udp dport 53 iifname @bridges ip6 daddr @nets iifname . ip6 daddr != @dns_gw drop"},
    {"input", "dns of another network drop (tcp)", rule_dns_scope_tcp,
     "tcp dport 53 iifname @bridges ip daddr @nets iifname . ip daddr != @dns_gw drop",
     "tcp dport 53 iifname @bridges ip6 daddr @nets iifname . ip6 daddr != @dns_gw drop"},
};

/* Table fam with its sets, chains and base rules, after deleting the stale one when given. */
static int build_table(struct netd_nft_batch *b, uint32_t fam, const uint64_t *stale)
{
	bool v6 = fam == NFPROTO_IPV6;
	uint32_t addr = v6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR, alen = v6 ? 16 : 4;
	uint32_t any_key = CONCAT2(NFT_TYPE_INET_PROTO, NFT_TYPE_INET_SERVICE);
	uint32_t ip_key = CONCAT3(addr, NFT_TYPE_INET_PROTO, NFT_TYPE_INET_SERVICE);
	uint32_t data = CONCAT2(addr, NFT_TYPE_INET_SERVICE);

	if (stale && add_table(b, fam, NFT_MSG_DELTABLE, 0, stale) < 0)
		return -ENOMEM;
	/* Exclusive: when the table exists the whole batch fails with EEXIST, nothing doubles. */
	if (add_table(b, fam, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, NULL) < 0)
		return -ENOMEM;
	if (add_set(b, fam, "nets", SET_NETS, NFT_SET_INTERVAL, addr, alen, NFT_BYTEORDER_BIG, 0,
		    0) < 0 ||
	    add_set(b, fam, "masq_nets", SET_MASQ, NFT_SET_INTERVAL, addr, alen, NFT_BYTEORDER_BIG,
		    0, 0) < 0 ||
	    add_set(b, fam, "bridges", SET_BRIDGES, 0, NFT_TYPE_IFNAME, IFNAMSIZ,
		    NFT_BYTEORDER_HOST, 0, 0) < 0 ||
	    add_set(b, fam, "bridge_self", SET_BRIDGE_SELF, 0,
		    CONCAT2(NFT_TYPE_IFNAME, NFT_TYPE_IFNAME), 2 * IFNAMSIZ, NFT_BYTEORDER_HOST, 0,
		    0) < 0 ||
	    add_set(b, fam, "routed", SET_ROUTED, 0, NFT_TYPE_IFNAME, IFNAMSIZ, NFT_BYTEORDER_HOST,
		    0, 0) < 0 ||
	    add_set(b, fam, "internal", SET_INTERNAL, 0, NFT_TYPE_IFNAME, IFNAMSIZ,
		    NFT_BYTEORDER_HOST, 0, 0) < 0 ||
	    add_set(b, fam, "dns_gw", SET_DNS_GW, 0, CONCAT2(NFT_TYPE_IFNAME, addr),
		    IFNAMSIZ + alen, NFT_BYTEORDER_HOST, 0, 0) < 0 ||
	    add_set(b, fam, "pub_any", SET_PUB_ANY, NFT_SET_MAP, any_key, 8, NFT_BYTEORDER_BIG,
		    data, alen + 4) < 0 ||
	    add_set(b, fam, "pub_ip", SET_PUB_IP, NFT_SET_MAP, ip_key, alen + 8, NFT_BYTEORDER_BIG,
		    data, alen + 4) < 0)
		return -ENOMEM;
	if ((!v6 && add_chain(b, fam, "guard", "filter", NF_INET_PRE_ROUTING, -300) < 0) ||
	    add_chain(b, fam, "publish", NULL, 0, 0) < 0 ||
	    add_chain(b, fam, "prerouting", "nat", NF_INET_PRE_ROUTING, -100) < 0 ||
	    add_chain(b, fam, "output", "nat", NF_INET_LOCAL_OUT, -100) < 0 ||
	    add_chain(b, fam, "postrouting", "nat", NF_INET_POST_ROUTING, 100) < 0 ||
	    add_chain(b, fam, "forward", "filter", NF_INET_FORWARD, 0) < 0 ||
	    add_chain(b, fam, "input", "filter", NF_INET_LOCAL_IN, 0) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(base_rules); i++) {
		const char *nft = v6 ? base_rules[i].nft6 : base_rules[i].nft;
		cleanup_nft_rule struct nftnl_rule *r = NULL;

		if (!nft)
			continue;
		r = rule_new(fam, base_rules[i].chain);
		if (!r || base_rules[i].build(r) < 0 ||
		    rule_put(b, r, base_rules[i].what, nft == SAME ? base_rules[i].nft : nft) < 0)
			return -ENOMEM;
	}
	return 0;
}

int netd_nat_build_ensure(struct netd_nft_batch *b, const struct netd_nat_table *t4,
			  const struct netd_nat_table *t6)
{
	const struct netd_nat_table *t[2] = {t4, t6};
	const uint32_t fams[2] = {NFPROTO_IPV4, NFPROTO_IPV6};

	for (size_t i = 0; i < 2; i++) {
		if (t[i] && t[i]->exists && t[i]->current)
			continue;
		/* An older layout: deleted and made anew in one batch, its elements with it. */
		if (build_table(b, fams[i], t[i] && t[i]->exists ? &t[i]->handle : NULL) < 0)
			return -ENOMEM;
	}
	return netd_nft_batch_end(b);
}

int netd_nat_build_destroy(struct netd_nft_batch *b)
{
	if (add_table(b, NFPROTO_IPV4, NFT_MSG_DELTABLE, 0, NULL) < 0)
		return -ENOMEM;
	return netd_nft_batch_end(b);
}

int netd_nat_build_destroy6(struct netd_nft_batch *b)
{
	if (add_table(b, NFPROTO_IPV6, NFT_MSG_DELTABLE, 0, NULL) < 0)
		return -ENOMEM;
	return netd_nft_batch_end(b);
}

/* One NEWSETELEM/DELSETELEM message for set with the given elements. */
struct elem {
	const void *key;
	uint32_t key_len;
	const void *data;
	uint32_t data_len;
	uint32_t flags;
};

/* nft: the elements in nft syntax ("tcp . 8080 : 10.77.0.2 . 80"), for --explain. */
static int add_elems(struct netd_nft_batch *b, uint32_t fam, const char *set, bool add,
		     uint16_t flags, const struct elem *el, size_t n, const char *what,
		     const char *nft)
{
	cleanup_nft_set struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, T);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, fam);
	for (size_t i = 0; i < n; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();

		if (!e)
			return -ENOMEM;
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, el[i].key, el[i].key_len);
		if (el[i].data)
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, el[i].data, el[i].data_len);
		if (el[i].flags)
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, el[i].flags);
		nftnl_set_elem_add(s, e);
	}
	nlh = netd_nft_batch_add(b, (uint16_t)fam, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
				 flags, "%s: %s %s%s", what, strncmp(set, "pub", 3) ? "set" : "map",
				 set, fam == NFPROTO_IPV6 ? " (ip6)" : "");
	if (!nlh)
		return -ENOMEM;
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	xp("nft %s element %s " T " %s '{ %s }'", add ? "add" : "delete", fam_name(fam), set, nft);
	return 0;
}

/* The container address a port of p's family goes to; NULL when the endpoint has none. */
static const struct netd_ip *ctr_for(const struct netd_port *p, const struct netd_nat_ctr *ctr,
				     struct netd_ip *v4)
{
	if (p->host_ip.family == AF_INET6)
		return ctr->ip6.family == AF_INET6 ? &ctr->ip6 : NULL;
	if (p->host_ip.family != AF_INET || !ctr->ip.s_addr)
		return NULL;
	*v4 = netd_ip_from4(ctr->ip);
	return v4;
}

static int build_publish_elems(struct netd_nft_batch *b, const struct netd_port *ports, size_t n,
			       const struct netd_nat_ctr *ctr, bool add)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t key[NETD_NAT_KEY_MAX], data[NETD_NAT_DATA_MAX];
		uint32_t key_len, data_len;
		const char *map = netd_nat_port_key(&ports[i], key, &key_len);
		struct netd_ip v4, none = {.family = ports[i].host_ip.family};
		const struct netd_ip *cip = ctr_for(&ports[i], ctr, &v4);
		struct elem e;
		char name[80], what[96], nft[192] = "", hip[NETD_IP_STRLEN], cs[NETD_HOST_STRLEN];
		int n1 = 0;

		/* A port of a family the endpoint has no address of (a delete needs none). */
		if (!cip && add)
			return -EAFNOSUPPORT;
		if (!cip)
			cip = &none;
		data_len = netd_nat_port_data(cip, ports[i].ctr_port, data);
		e = (struct elem){key, key_len, add ? data : NULL, data_len, 0};
		netd_nat_port_name(&ports[i], name, sizeof(name));
		snprintf(what, sizeof(what), "%s %s", add ? "publish" : "unpublish", name);
		if (netd_explain_enabled()) {
			netd_ip_format(&ports[i].host_ip, hip, sizeof(hip));
			netd_ip_format(cip, cs, sizeof(cs));
			if (key_len > 8)
				n1 = snprintf(nft, sizeof(nft), "%s . ", hip);
			n1 += snprintf(nft + n1, sizeof(nft) - (size_t)n1, "%s . %u",
				       proto_name(ports[i].proto), ports[i].host_port);
			if (add)
				snprintf(nft + n1, sizeof(nft) - (size_t)n1, " : %s . %u", cs,
					 ports[i].ctr_port);
		}
		if (add_elems(b, netd_nat_fam_of(&ports[i]), map, add,
			      add ? NLM_F_CREATE | NLM_F_EXCL : 0, &e, 1, what, nft) < 0)
			return -ENOMEM;
	}
	return 0;
}

int netd_nat_build_publish(struct netd_nft_batch *b, const struct netd_port *ports, size_t n,
			   const struct netd_nat_ctr *ctr, bool add)
{
	int r = build_publish_elems(b, ports, n, ctr, add);

	return r < 0 ? r : netd_nft_batch_end(b);
}

/*
 * A network's element in an optional set (masq_nets, routed): added when the network has the
 * property; when it has not, added and deleted again in the same batch, which removes an element
 * left from before the subnet file changed and is no error when there is none.
 */
static int put_optional(struct netd_nft_batch *b, uint32_t fam, const char *set, bool want,
			uint16_t flags, const struct elem *el, size_t n, const char *what,
			const char *nft)
{
	if (add_elems(b, fam, set, true, flags, el, n, what, nft) < 0)
		return -ENOMEM;
	if (!want && add_elems(b, fam, set, false, 0, el, n, what, nft) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * The elements of a network's options: internal (a set of bridges) and its dns_gw pair (bridge .
 * gateway) in the table of the gateway's family. On delete both go whatever the flags say now
 * (they may have changed since the add).
 */
static int build_network_opts(struct netd_nft_batch *b, uint32_t fam,
			      const struct netd_nat_net *net, bool add, const struct elem *br,
			      const char *what, const char *nft_br)
{
	bool v6 = fam == NFPROTO_IPV6;
	struct netd_ip gw = v6 ? net->gateway6 : netd_ip_from4(net->gateway);
	uint8_t key[IFNAMSIZ + 16] = {0};
	size_t alen = v6 ? 16 : 4;
	struct elem el = {key, IFNAMSIZ + alen, NULL, 0, 0};
	uint16_t flags = add ? NLM_F_CREATE : 0;
	char ip[NETD_IP_STRLEN], nft_gw[IFNAMSIZ + NETD_IP_STRLEN + 8];

	if (add && put_optional(b, fam, "internal", net->internal, flags, br, 1, what, nft_br) < 0)
		return -ENOMEM;
	if (!add && add_elems(b, fam, "internal", false, flags, br, 1, what, nft_br) < 0)
		return -ENOMEM;
	if (gw.family != (v6 ? AF_INET6 : AF_INET) || netd_ip_is_zero(&gw))
		return 0;
	memcpy(key, br->key, IFNAMSIZ);
	memcpy(key + IFNAMSIZ, v6 ? (const void *)&gw.v6 : (const void *)&gw.v4, alen);
	netd_ip_format(&gw, ip, sizeof(ip));
	snprintf(nft_gw, sizeof(nft_gw), "%s . %s", nft_br, ip);
	return add_elems(b, fam, "dns_gw", add, flags, &el, 1, what, nft_gw);
}

/*
 * The network's subnet of table fam as an interval: [start, end) with end the first address
 * after it, left out when the subnet reaches the end of the address space. Returns the number of
 * elements (0: the network has no subnet of this family).
 */
static size_t subnet_range(const struct netd_nat_net *net, uint32_t fam, struct netd_ip *start,
			   struct netd_ip *end)
{
	struct netd_prefix p =
	    fam == NFPROTO_IPV6 ? net->subnet6 : netd_prefix_from4(net->subnet, net->prefix);

	if ((fam == NFPROTO_IPV6 && p.ip.family != AF_INET6) || (fam == NFPROTO_IPV4 && !p.len))
		return 0;
	p = netd_prefix_network(&p);
	*start = p.ip;
	*end = netd_prefix_last(&p);
	return netd_ip_add(end, 1, end) == 0 ? 2 : 1;
}

static const void *ip_bytes(const struct netd_ip *ip)
{
	return ip->family == AF_INET6 ? (const void *)&ip->v6 : (const void *)&ip->v4;
}

static int build_network_fam(struct netd_nft_batch *b, uint32_t fam, const struct netd_nat_net *net,
			     bool add)
{
	char ifname[IFNAMSIZ] = {0}, pair[2 * IFNAMSIZ] = {0};
	struct netd_ip start, end;
	size_t nrange = subnet_range(net, fam, &start, &end);
	uint32_t alen = fam == NFPROTO_IPV6 ? 16 : 4;
	struct elem range[2] = {
	    {ip_bytes(&start), alen, NULL, 0, 0},
	    {ip_bytes(&end), alen, NULL, 0, NFT_SET_ELEM_INTERVAL_END},
	};
	struct elem br = {ifname, IFNAMSIZ, NULL, 0, 0};
	struct elem self = {pair, sizeof(pair), NULL, 0, 0};
	uint16_t flags = add ? NLM_F_CREATE : 0;
	bool masq = fam == NFPROTO_IPV6 ? net->masquerade6 : net->masquerade;
	char what[96], cidr[NETD_PREFIX_STRLEN] = "-", nft_br[24], nft_self[48];

	memcpy(ifname, net->bridge, strlen(net->bridge));
	memcpy(pair, ifname, IFNAMSIZ);
	memcpy(pair + IFNAMSIZ, ifname, IFNAMSIZ);
	if (nrange) {
		struct netd_prefix sp = fam == NFPROTO_IPV6
					    ? net->subnet6
					    : netd_prefix_from4(net->subnet, net->prefix);

		sp = netd_prefix_network(&sp);
		netd_prefix_format(&sp, cidr, sizeof(cidr));
	}
	snprintf(what, sizeof(what), "network %s (%s)", net->bridge, cidr);
	snprintf(nft_br, sizeof(nft_br), "\"%s\"", net->bridge);
	snprintf(nft_self, sizeof(nft_self), "\"%s\" . \"%s\"", net->bridge, net->bridge);
	if (nrange && add_elems(b, fam, "nets", add, flags, range, nrange, what, cidr) < 0)
		return -ENOMEM;
	if (add) {
		if ((nrange && put_optional(b, fam, "masq_nets", masq, flags, range, nrange, what,
					    cidr) < 0) ||
		    put_optional(b, fam, "routed", net->routed, flags, &br, 1, what, nft_br) < 0)
			return -ENOMEM;
	} else if ((nrange &&
		    add_elems(b, fam, "masq_nets", false, flags, range, nrange, what, cidr) < 0) ||
		   add_elems(b, fam, "routed", false, flags, &br, 1, what, nft_br) < 0) {
		/* On delete both are always cleaned: the flags may have changed since the add. */
		return -ENOMEM;
	}
	if (add_elems(b, fam, "bridges", add, flags, &br, 1, what, nft_br) < 0 ||
	    add_elems(b, fam, "bridge_self", add, flags, &self, 1, what, nft_self) < 0 ||
	    build_network_opts(b, fam, net, add, &br, what, nft_br) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * Both tables get the network's bridge (the forward filter of table ip6 keeps new IPv6
 * connections out of every bridge of ours, a network without an IPv6 subnet included); its
 * subnets go to the table of their family.
 */
static int build_network_elems(struct netd_nft_batch *b, const struct netd_nat_net *net, bool add)
{
	if (net->prefix > 32 || !net->bridge || strlen(net->bridge) >= IFNAMSIZ ||
	    (net->subnet6.ip.family && net->subnet6.ip.family != AF_INET6) ||
	    (net->subnet6.ip.family && net->subnet6.len > 128))
		return -EINVAL;
	if (build_network_fam(b, NFPROTO_IPV4, net, add) < 0 ||
	    build_network_fam(b, NFPROTO_IPV6, net, add) < 0)
		return -ENOMEM;
	return 0;
}

int netd_nat_build_network(struct netd_nft_batch *b, const struct netd_nat_net *net, bool add)
{
	int r = build_network_elems(b, net, add);

	return r < 0 ? r : netd_nft_batch_end(b);
}

int netd_nat_build_attach(struct netd_nft_batch *b, const struct netd_nat_net *net,
			  const struct netd_port *ports, size_t n, const struct netd_nat_ctr *ctr)
{
	int r = build_network_elems(b, net, true);

	if (r == 0)
		r = build_publish_elems(b, ports, n, ctr, true);
	return r < 0 ? r : netd_nft_batch_end(b);
}

void netd_nat_net_of(const struct netd_netconf *nc, struct netd_nat_net *nn)
{
	*nn = (struct netd_nat_net){
	    .bridge = nc->bridge,
	    .subnet = nc->subnet,
	    .prefix = nc->prefix,
	    .masquerade = nc->masquerade,
	    .routed = nc->gateway_mode == NETD_GATEWAY_ROUTED,
	    .internal = nc->internal,
	    .gateway = nc->gateway,
	    .subnet6 = nc->subnet6,
	    .masquerade6 = nc->masquerade6,
	    .gateway6 = nc->gateway6,
	};
}

/* ---- operations ---- */
bool netd_nat_layout_matches(const void *udata, uint32_t len)
{
	const uint8_t *p = udata;
	size_t n = strlen(LAYOUT) + 1;

	/* struct nftnl_udata: type (1 byte), len (1 byte), value */
	return len == 2 + n && p[0] == NFTNL_UDATA_TABLE_COMMENT && p[1] == n &&
	       memcmp(p + 2, LAYOUT, n) == 0;
}

/*
 * NFTA_SET_ELEM_LIST_ELEMENTS > NFTA_LIST_ELEM > NFTA_SET_ELEM_DATA > NFTA_DATA_VALUE, read with
 * libmnl's bounded attribute walk: the data is all a lookup needs, and libnftnl's element parser
 * reads past the end of an expression name that lacks its NUL (found by fuzz_nft_reply).
 */
int netd_nat_lookup_cb(const struct nlmsghdr *nlh, void *data)
{
	struct netd_nat_lookup *ctx = data;
	const struct nlattr *a, *el, *x, *v;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a)
		{
			if (mnl_attr_get_type(el) != NFTA_LIST_ELEM)
				continue;
			mnl_attr_for_each_nested(x, el)
			{
				if (mnl_attr_get_type(x) != NFTA_SET_ELEM_DATA)
					continue;
				mnl_attr_for_each_nested(v, x)
				{
					if (mnl_attr_get_type(v) != NFTA_DATA_VALUE ||
					    mnl_attr_get_payload_len(v) > sizeof(ctx->data))
						continue;
					ctx->len = mnl_attr_get_payload_len(v);
					memcpy(ctx->data, mnl_attr_get_payload(v), ctx->len);
					ctx->found = true;
				}
			}
		}
	}
	return MNL_CB_OK;
}

int netd_nat_parse_lookup(const void *buf, size_t len, uint32_t seq, struct netd_nat_lookup *out)
{
	memset(out, 0, sizeof(*out));
	return netd_nft_reply_parse(buf, len, seq, 0, netd_nat_lookup_cb, out);
}
