/* SPDX-License-Identifier: MIT */
/* nf_tables message builders and ACK matching, without a kernel: what nat.c would send. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <cmocka.h>
#include "nat.h"

static struct netd_port port(const char *hip, uint16_t hport, uint16_t cport, uint8_t proto)
{
	struct netd_port p = {0};

	if (strchr(hip, ':')) {
		p.host_ip.family = AF_INET6;
		inet_pton(AF_INET6, hip, &p.host_ip.v6);
	} else {
		p.host_ip.family = AF_INET;
		inet_pton(AF_INET, hip, &p.host_ip.v4);
	}
	p.host_port = hport;
	p.ctr_port = cport;
	p.proto = proto;
	return p;
}

static const struct nlmsghdr *msg_at(const struct netd_nft_batch *b, size_t i)
{
	return (const struct nlmsghdr *)(const void *)(b->buf + b->msgs[i].off);
}

static uint16_t msg_type(const struct netd_nft_batch *b, size_t i)
{
	return msg_at(b, i)->nlmsg_type & 0xff;
}

static bool has_what(const struct netd_nft_batch *b, const char *needle)
{
	for (size_t i = 0; i < b->nmsgs; i++)
		if (strstr(b->msgs[i].what, needle))
			return true;
	return false;
}

static void test_port_key(void **state)
{
	struct netd_port any = port("0.0.0.0", 8080, 80, IPPROTO_TCP);
	struct netd_port lo = port("127.0.0.1", 53, 5353, IPPROTO_UDP);
	struct netd_port any6 = port("::", 8080, 80, IPPROTO_TCP);
	struct netd_port one6 = port("2001:db8::1", 443, 8443, IPPROTO_TCP);
	uint8_t key[NETD_NAT_KEY_MAX], data[NETD_NAT_DATA_MAX];
	struct netd_ip ctr = {.family = AF_INET}, ctr6 = {.family = AF_INET6};
	uint32_t len;
	char name[64];

	(void)state;
	assert_string_equal(netd_nat_port_key(&any, key, &len), "pub_any");
	assert_int_equal(len, 8);
	assert_int_equal(key[0], IPPROTO_TCP);
	assert_int_equal(key[4] << 8 | key[5], 8080); /* network order, after the padded proto */
	assert_string_equal(netd_nat_port_key(&lo, key, &len), "pub_ip");
	assert_int_equal(len, 12);
	assert_memory_equal(key, "\x7f\x00\x00\x01", 4);
	assert_int_equal(key[4], IPPROTO_UDP);
	assert_int_equal(key[8] << 8 | key[9], 53);

	inet_pton(AF_INET, "10.1.2.3", &ctr.v4);
	assert_int_equal(netd_nat_port_data(&ctr, 80, data), 8);
	assert_memory_equal(data, "\x0a\x01\x02\x03\x00\x50\x00\x00", 8);
	netd_nat_port_name(&lo, name, sizeof(name));
	assert_string_equal(name, "127.0.0.1:53/udp");

	/* IPv6: [::] goes to pub_any of table ip6 (the same 8-byte key), an address to pub_ip
	 * (16 + 4 + 4 bytes); the data is the container's v6 address . port (20 bytes). */
	assert_int_equal(netd_nat_fam_of(&any6), NFPROTO_IPV6);
	assert_int_equal(netd_nat_fam_of(&lo), NFPROTO_IPV4);
	assert_string_equal(netd_nat_port_key(&any6, key, &len), "pub_any");
	assert_int_equal(len, 8);
	assert_string_equal(netd_nat_port_key(&one6, key, &len), "pub_ip");
	assert_int_equal(len, 24);
	assert_memory_equal(key, "\x20\x01\x0d\xb8", 4);
	assert_int_equal(key[15], 1);
	assert_int_equal(key[16], IPPROTO_TCP);
	assert_int_equal(key[20] << 8 | key[21], 443);
	inet_pton(AF_INET6, "fd00::5", &ctr6.v6);
	assert_int_equal(netd_nat_port_data(&ctr6, 8443, data), 20);
	assert_int_equal(data[0], 0xfd);
	assert_int_equal(data[15], 5);
	assert_int_equal(data[16] << 8 | data[17], 8443);
	netd_nat_port_name(&one6, name, sizeof(name));
	assert_string_equal(name, "[2001:db8::1]:443/tcp");
}

/* The i-th message parsed back as a rule, rendered by libnftnl ("[ meta load iif => reg 1 ]...").
 */
static void rule_text(const struct netd_nft_batch *b, size_t i, char *buf, size_t len)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	assert_non_null(r);
	assert_int_equal(msg_type(b, i), NFT_MSG_NEWRULE);
	assert_int_equal(nftnl_rule_nlmsg_parse(msg_at(b, i), r), 0);
	nftnl_rule_snprintf(buf, len, r, NFTNL_OUTPUT_DEFAULT, 0);
	nftnl_rule_free(r);
	/* one line: "ip netd CHAIN [ expr ] [ expr ] ..." */
	for (char *in = buf, *out = buf;; in++) {
		if (*in == '\n') {
			while (in[1] == ' ')
				in++;
			*in = ' ';
		}
		*out++ = *in;
		if (!*in)
			break;
	}
}

static size_t find_what(const struct netd_nft_batch *b, const char *needle)
{
	for (size_t i = 0; i < b->nmsgs; i++)
		if (strstr(b->msgs[i].what, needle))
			return i;
	fail_msg("no message for %s", needle);
	return 0;
}

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not in '%s'", needle, hay);
}

static void test_build_ensure(void **state)
{
	struct netd_nft_batch b;
	struct nftnl_table *t;
	struct nftnl_chain *c;
	const void *ud;
	uint32_t udlen = 0;
	char text[1024];
	struct netd_nat_table cur = {.exists = true, .current = true};
	struct netd_nat_table stale = {.exists = true, .handle = 42};

	(void)state;
	/* table ip6 netd is there: table ip netd alone */
	assert_int_equal(netd_nft_batch_init(&b, 100), 0);
	assert_int_equal(netd_nat_build_ensure(&b, NULL, &cur), 0);
	assert_true(b.ended);
	/* The table first, exclusively: a second ensure fails as a whole instead of doubling. */
	assert_int_equal(msg_type(&b, 0), NFT_MSG_NEWTABLE);
	assert_true(msg_at(&b, 0)->nlmsg_flags & NLM_F_EXCL);
	for (size_t i = 0; i < b.nmsgs; i++) {
		assert_true(msg_at(&b, i)->nlmsg_flags & NLM_F_ACK);
		assert_int_equal(b.msgs[i].seq, 101 + i); /* BEGIN took 100 */
	}
	/* The table's comment names the layout; parsed back it matches, anything else not. */
	t = nftnl_table_alloc();
	assert_int_equal(nftnl_table_nlmsg_parse(msg_at(&b, 0), t), 0);
	ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &udlen);
	assert_non_null(ud);
	assert_true(netd_nat_layout_matches(ud, udlen));
	assert_false(netd_nat_layout_matches(ud, udlen - 1));
	assert_false(netd_nat_layout_matches("\0\x0enetd layout 1", 16));
	nftnl_table_free(t);

	assert_true(has_what(&b, "set pub_any"));
	assert_true(has_what(&b, "set pub_ip"));
	assert_true(has_what(&b, "set bridge_self"));
	assert_true(has_what(&b, "set routed"));
	assert_true(has_what(&b, "chain prerouting"));
	assert_true(has_what(&b, "rule same bridge accept"));
	assert_true(has_what(&b, "rule isolation drop"));

	/* The 127/8 guard: a filter chain on prerouting at raw priority, before conntrack. */
	c = nftnl_chain_alloc();
	assert_int_equal(nftnl_chain_nlmsg_parse(msg_at(&b, find_what(&b, "chain guard")), c), 0);
	assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "filter");
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), NF_INET_PRE_ROUTING);
	assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), -300);
	nftnl_chain_free(c);
	rule_text(&b, find_what(&b, "127/8 not from lo: drop (daddr)"), text, sizeof(text));
	assert_has(text, "guard");
	assert_has(text, "[ meta load iif => reg 1 ] [ cmp neq reg 1 0x00000001 ]");
	assert_has(text, "[ payload load 1b @ network header + 16 => reg 1 ] [ cmp eq reg 1 "
			 "0x0000007f ] [ immediate reg 0 drop ]");
	rule_text(&b, find_what(&b, "127/8 not from lo: drop (saddr)"), text, sizeof(text));
	assert_has(text, "[ payload load 1b @ network header + 12 => reg 1 ] [ cmp eq reg 1 "
			 "0x0000007f ] [ immediate reg 0 drop ]");
	/* The forward chain ends: routed networks accept, every other bridge drops. */
	rule_text(&b, find_what(&b, "to routed accept"), text, sizeof(text));
	assert_has(text, "[ meta load oifname => reg 1 ] [ lookup reg 1 set routed ] [ immediate "
			 "reg 0 accept ]");
	rule_text(&b, find_what(&b, "to bridges drop"), text, sizeof(text));
	assert_has(text, "[ meta load oifname => reg 1 ] [ lookup reg 1 set bridges ] [ immediate "
			 "reg 0 drop ]");
	/* Rules are appended in order: accepts before the drops they must escape. */
	assert_true(find_what(&b, "same bridge accept") < find_what(&b, "isolation drop"));
	assert_true(find_what(&b, "dnat accept") < find_what(&b, "to bridges drop"));
	assert_true(find_what(&b, "established accept") < find_what(&b, "to bridges drop"));
	assert_true(find_what(&b, "from bridges accept") < find_what(&b, "to bridges drop"));
	assert_true(find_what(&b, "to routed accept") < find_what(&b, "to bridges drop"));
	/* Internal networks: nothing forwarded out of or into their bridges, before any accept of
	 * traffic between bridges or from them. */
	rule_text(&b, find_what(&b, "from internal drop"), text, sizeof(text));
	assert_has(text, "[ meta load iifname => reg 1 ] [ lookup reg 1 set internal ] [ immediate "
			 "reg 0 drop ]");
	assert_true(find_what(&b, "to internal drop") < find_what(&b, "from bridges accept"));
	assert_true(find_what(&b, "same bridge accept") < find_what(&b, "from internal drop"));
	assert_int_equal(find_what(&b, "to bridges drop"), b.nmsgs - 3);
	/* DNS to a gateway from another network's bridge: one lookup of bridge . gateway. */
	c = nftnl_chain_alloc();
	assert_int_equal(nftnl_chain_nlmsg_parse(msg_at(&b, find_what(&b, "chain input")), c), 0);
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), NF_INET_LOCAL_IN);
	nftnl_chain_free(c);
	rule_text(&b, find_what(&b, "dns of another network drop (udp)"), text, sizeof(text));
	assert_has(text, "[ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000011 ]");
	assert_has(text, "[ payload load 2b @ transport header + 2 => reg 1 ] [ cmp eq reg 1 "
			 "0x00003500 ]");
	assert_has(text, "[ meta load iifname => reg 8 ] [ payload load 4b @ network header + 16 "
			 "=> reg 12 ] [ lookup reg 8 set dns_gw 0x1 ] [ immediate reg 0 drop ]");
	rule_text(&b, find_what(&b, "dns of another network drop (tcp)"), text, sizeof(text));
	assert_has(text, "[ cmp eq reg 1 0x00000006 ]");
	assert_int_equal(find_what(&b, "dns of another network drop (tcp)"), b.nmsgs - 1);
	netd_nft_batch_free(&b);

	/* Replacing an older layout: that very table (by handle) goes first, in the same batch. */
	assert_int_equal(netd_nft_batch_init(&b, 100), 0);
	assert_int_equal(netd_nat_build_ensure(&b, &stale, &cur), 0);
	assert_int_equal(msg_type(&b, 0), NFT_MSG_DELTABLE);
	t = nftnl_table_alloc();
	assert_int_equal(nftnl_table_nlmsg_parse(msg_at(&b, 0), t), 0);
	assert_int_equal(nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE), 42);
	nftnl_table_free(t);
	assert_int_equal(msg_type(&b, 1), NFT_MSG_NEWTABLE);
	assert_true(msg_at(&b, 1)->nlmsg_flags & NLM_F_EXCL);
	netd_nft_batch_free(&b);

	/* Both current: nothing but BEGIN/END. Both missing: ip, then ip6, in one batch. */
	assert_int_equal(netd_nft_batch_init(&b, 100), 0);
	assert_int_equal(netd_nat_build_ensure(&b, &cur, &cur), 0);
	assert_int_equal(b.nmsgs, 0);
	netd_nft_batch_free(&b);
	assert_int_equal(netd_nft_batch_init(&b, 100), 0);
	assert_int_equal(netd_nat_build_ensure(&b, NULL, NULL), 0);
	assert_true(has_what(&b, "table ip netd: chain guard"));
	assert_true(has_what(&b, "table ip6 netd: chain forward"));
	netd_nft_batch_free(&b);
}

/* Table ip6 netd: the ip table's chains without the guard, v6 payload offsets. */
static void test_build_ensure6(void **state)
{
	struct netd_nat_table cur = {.exists = true, .current = true};
	struct netd_nft_batch b;
	struct nftnl_table *t;
	struct nftnl_set *st;
	char text[1024];

	(void)state;
	assert_int_equal(netd_nft_batch_init(&b, 100), 0);
	assert_int_equal(netd_nat_build_ensure(&b, &cur, NULL), 0);
	t = nftnl_table_alloc();
	assert_int_equal(msg_type(&b, 0), NFT_MSG_NEWTABLE);
	assert_int_equal(nftnl_table_nlmsg_parse(msg_at(&b, 0), t), 0);
	assert_int_equal(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY), NFPROTO_IPV6);
	nftnl_table_free(t);
	for (size_t i = 0; i < b.nmsgs; i++) {
		assert_non_null(strstr(b.msgs[i].what, "table ip6 netd"));
		assert_null(strstr(b.msgs[i].what, "guard"));
	}
	/* pub_ip: ipv6_addr . proto . port (24 bytes) -> ipv6_addr . port (20 bytes) */
	st = nftnl_set_alloc();
	assert_int_equal(nftnl_set_nlmsg_parse(msg_at(&b, find_what(&b, "set pub_ip")), st), 0);
	assert_int_equal(nftnl_set_get_u32(st, NFTNL_SET_KEY_LEN), 24);
	assert_int_equal(nftnl_set_get_u32(st, NFTNL_SET_DATA_LEN), 20);
	nftnl_set_free(st);
	rule_text(&b, find_what(&b, "pub_ip dnat"), text, sizeof(text));
	assert_has(text, "[ payload load 16b @ network header + 24 => reg 8 ]");
	assert_has(text, "[ meta load l4proto => reg 12 ]");
	assert_has(text, "[ payload load 2b @ transport header + 2 => reg 13 ]");
	assert_has(text, "[ nat dnat ip6 addr_min reg 8 proto_min reg 12 ]");
	rule_text(&b, find_what(&b, "pub_any dnat"), text, sizeof(text));
	assert_has(text, "[ nat dnat ip6 addr_min reg 8 proto_min reg 12 ]");
	rule_text(&b, find_what(&b, "hairpin masquerade"), text, sizeof(text));
	assert_has(text, "[ payload load 16b @ network header + 8 => reg 1 ] [ lookup reg 1 set "
			 "nets ]");
	assert_has(text, "[ payload load 16b @ network header + 24 => reg 1 ] [ lookup reg 1 set "
			 "nets ]");
	rule_text(&b, find_what(&b, "to bridges drop"), text, sizeof(text));
	assert_has(text, "[ lookup reg 1 set bridges ] [ immediate reg 0 drop ]");
	/* DNS scope: iifname . ip6 daddr (16 + 16 bytes) not in dns_gw */
	st = nftnl_set_alloc();
	assert_int_equal(nftnl_set_nlmsg_parse(msg_at(&b, find_what(&b, "set dns_gw")), st), 0);
	assert_int_equal(nftnl_set_get_u32(st, NFTNL_SET_KEY_LEN), 32);
	nftnl_set_free(st);
	rule_text(&b, find_what(&b, "dns of another network drop (udp)"), text, sizeof(text));
	assert_has(text, "[ payload load 16b @ network header + 24 => reg 1 ] [ lookup reg 1 set "
			 "nets ]");
	assert_has(text, "[ meta load iifname => reg 8 ] [ payload load 16b @ network header + 24 "
			 "=> reg 12 ] [ lookup reg 8 set dns_gw 0x1 ] [ immediate reg 0 drop ]");
	assert_int_equal(find_what(&b, "dns of another network drop (tcp)"), b.nmsgs - 1);
	netd_nft_batch_free(&b);
}

/* Publishing is one element message per port, whatever else is published: cost stays flat. */
static void test_build_publish(void **state)
{
	struct netd_port ports[3] = {
	    port("0.0.0.0", 8080, 80, IPPROTO_TCP),
	    port("127.0.0.1", 8081, 80, IPPROTO_TCP),
	    port("0.0.0.0", 5353, 53, IPPROTO_UDP),
	};
	struct netd_port ports6[2] = {
	    port("::", 8080, 80, IPPROTO_TCP),
	    port("2001:db8::1", 8081, 80, IPPROTO_TCP),
	};
	struct netd_nat_ctr ctr = {0}, ctr4 = {0};
	struct netd_nft_batch b;
	struct nftnl_set *s;

	(void)state;
	inet_pton(AF_INET, "10.1.2.3", &ctr.ip);
	ctr4 = ctr;
	ctr.ip6.family = AF_INET6;
	inet_pton(AF_INET6, "fd00::3", &ctr.ip6.v6);
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 3, &ctr, true), 0);
	assert_int_equal(b.nmsgs, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(msg_type(&b, i), NFT_MSG_NEWSETELEM);
		/* add refuses an existing element: a port never silently moves to another container
		 */
		assert_true(msg_at(&b, i)->nlmsg_flags & NLM_F_EXCL);
	}
	assert_non_null(strstr(b.msgs[0].what, "publish 0.0.0.0:8080/tcp: map pub_any"));
	assert_non_null(strstr(b.msgs[1].what, "publish 127.0.0.1:8081/tcp: map pub_ip"));
	assert_non_null(strstr(b.msgs[2].what, "5353/udp"));
	netd_nft_batch_free(&b);

	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 1, &ctr, false), 0);
	assert_int_equal(b.nmsgs, 1);
	assert_int_equal(msg_type(&b, 0), NFT_MSG_DELSETELEM);
	assert_non_null(strstr(b.msgs[0].what, "unpublish"));
	netd_nft_batch_free(&b);

	/* IPv6 ports: one element each in table ip6 netd, pointing at the v6 address; v4 and v6
	 * together in one batch. */
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports6, 2, &ctr, true), 0);
	assert_int_equal(b.nmsgs, 2);
	assert_non_null(strstr(b.msgs[0].what, "publish [::]:8080/tcp: map pub_any (ip6)"));
	assert_non_null(strstr(b.msgs[1].what, "publish [2001:db8::1]:8081/tcp: map pub_ip (ip6)"));
	s = nftnl_set_alloc();
	assert_int_equal(nftnl_set_elems_nlmsg_parse(msg_at(&b, 1), s), 0);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FAMILY), NFPROTO_IPV6);
	{
		struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
		struct nftnl_set_elem *e = nftnl_set_elems_iter_next(it);
		uint32_t klen = 0, dlen = 0;
		const uint8_t *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
		const uint8_t *d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dlen);

		assert_int_equal(klen, 24);
		assert_int_equal(dlen, 20);
		assert_int_equal(k[0], 0x20);
		assert_int_equal(d[0], 0xfd);
		assert_int_equal(d[15], 3);
		assert_int_equal(d[16] << 8 | d[17], 80);
		nftnl_set_elems_iter_destroy(it);
	}
	nftnl_set_free(s);
	netd_nft_batch_free(&b);
	/* no v6 address: adding a v6 port is refused before anything is sent; deleting is fine */
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports6, 2, &ctr4, true), -EAFNOSUPPORT);
	netd_nft_batch_free(&b);
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports6, 2, &ctr4, false), 0);
	assert_int_equal(b.nmsgs, 2);
	netd_nft_batch_free(&b);
}

/* The keys (16 bytes) and flags of the first two elements of one NEWSETELEM message, read with
 * libmnl. */
static size_t elem_keys(const struct nlmsghdr *nlh, uint8_t keys[2][16], uint32_t flags[2])
{
	const struct nlattr *a, *el, *x, *v;
	size_t n = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a)
		{
			if (n == 2)
				return n;
			mnl_attr_for_each_nested(x, el)
			{
				if (mnl_attr_get_type(x) == NFTA_SET_ELEM_FLAGS)
					flags[n] = ntohl(mnl_attr_get_u32(x));
				if (mnl_attr_get_type(x) != NFTA_SET_ELEM_KEY)
					continue;
				mnl_attr_for_each_nested(v, x)
				{
					if (mnl_attr_get_payload_len(v) == 16)
						memcpy(keys[n], mnl_attr_get_payload(v), 16);
				}
			}
			n++;
		}
	}
	return n;
}

static void test_build_network(void **state)
{
	struct netd_nat_net net = {.bridge = "br-lab", .prefix = 24, .masquerade = true};
	struct netd_netconf nc = {.bridge = "br-x", .prefix = 16, .masquerade = false};
	struct netd_nft_batch b;

	(void)state;
	inet_pton(AF_INET, "10.9.8.0", &net.subnet);
	inet_pton(AF_INET, "10.9.8.1", &net.gateway);
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, true), 0);
	/* nets, masq_nets, routed added and deleted again (not routed), bridges, bridge_self,
	 * internal added and deleted again, dns_gw; then in table ip6 (no v6 subnet): routed,
	 * bridges, bridge_self, internal */
	assert_int_equal(b.nmsgs, 15);
	assert_true(has_what(&b, "set dns_gw"));
	assert_int_equal(msg_type(&b, 6), NFT_MSG_NEWSETELEM);
	assert_int_equal(msg_type(&b, 7), NFT_MSG_DELSETELEM);
	assert_non_null(strstr(b.msgs[7].what, "set internal"));
	assert_true(has_what(&b, "network br-lab (10.9.8.0/24): set masq_nets"));
	assert_true(has_what(&b, "set bridge_self"));
	assert_int_equal(msg_type(&b, 2), NFT_MSG_NEWSETELEM);
	assert_non_null(strstr(b.msgs[2].what, "set routed"));
	assert_int_equal(msg_type(&b, 3), NFT_MSG_DELSETELEM);
	assert_non_null(strstr(b.msgs[3].what, "set routed"));
	netd_nft_batch_free(&b);

	/* Not masqueraded: its masq_nets element is made sure to be absent too. */
	net.masquerade = false;
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, true), 0);
	assert_int_equal(b.nmsgs, 16);
	assert_int_equal(msg_type(&b, 1), NFT_MSG_NEWSETELEM);
	assert_int_equal(msg_type(&b, 2), NFT_MSG_DELSETELEM);
	assert_non_null(strstr(b.msgs[2].what, "set masq_nets"));
	netd_nft_batch_free(&b);

	/* Routed: one element in set routed, no rule of its own. */
	net.routed = true;
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, true), 0);
	assert_int_equal(b.nmsgs, 14);
	for (size_t i = 0; i < b.nmsgs; i++) {
		assert_true(msg_type(&b, i) == NFT_MSG_NEWSETELEM ||
			    msg_type(&b, i) == NFT_MSG_DELSETELEM);
		if (strstr(b.msgs[i].what, "set routed"))
			assert_int_equal(msg_type(&b, i), NFT_MSG_NEWSETELEM);
	}
	netd_nft_batch_free(&b);

	/* Removal always cleans masq_nets and routed: the flags may have changed since the add. */
	net.routed = false;
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, false), 0);
	assert_int_equal(b.nmsgs, 11);
	for (size_t i = 0; i < b.nmsgs; i++)
		assert_int_equal(msg_type(&b, i), NFT_MSG_DELSETELEM);
	assert_true(has_what(&b, "set masq_nets"));
	assert_true(has_what(&b, "set routed"));
	assert_true(has_what(&b, "set internal"));
	assert_true(has_what(&b, "set dns_gw"));
	netd_nft_batch_free(&b);

	/* Internal: its element stays (added, not deleted again). */
	net.internal = true;
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, true), 0);
	for (size_t i = 0; i < b.nmsgs; i++)
		if (strstr(b.msgs[i].what, "set internal"))
			assert_int_equal(msg_type(&b, i), NFT_MSG_NEWSETELEM);
	netd_nft_batch_free(&b);
	net.internal = false;

	/* An IPv6 subnet: nets and masq_nets of table ip6 get its interval. */
	net.subnet6.ip.family = AF_INET6;
	inet_pton(AF_INET6, "fd77::", &net.subnet6.ip.v6);
	net.subnet6.len = 64;
	net.masquerade6 = true;
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, true), 0);
	assert_true(has_what(&b, "network br-lab (fd77::/64): set nets (ip6)"));
	assert_true(has_what(&b, "network br-lab (fd77::/64): set masq_nets (ip6)"));
	{
		uint8_t keys[2][16];
		uint32_t flags[2] = {0, 0};
		size_t n = elem_keys(msg_at(&b, find_what(&b, "set nets (ip6)")), keys, flags);

		assert_int_equal(n, 2);
		assert_int_equal(keys[0][0], 0xfd);
		assert_int_equal(keys[0][1], 0x77);
		assert_int_equal(keys[0][7], 0);
		assert_int_equal(keys[1][7], 1); /* the interval end: fd77:0:0:1:: */
		assert_int_equal(flags[0], 0);
		assert_int_equal(flags[1], NFT_SET_ELEM_INTERVAL_END);
	}
	netd_nft_batch_free(&b);
	net.subnet6 = (struct netd_prefix){0};

	net.bridge = "a-bridge-name-far-too-long";
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, true), -EINVAL);
	netd_nft_batch_free(&b);

	/* The nat view of a subnet file: one place maps gateway_mode to the routed flag. */
	netd_nat_net_of(&nc, &net);
	assert_string_equal(net.bridge, "br-x");
	assert_false(net.masquerade);
	assert_false(net.routed);
	nc.gateway_mode = NETD_GATEWAY_ROUTED;
	nc.masquerade = true;
	netd_nat_net_of(&nc, &net);
	assert_true(net.routed);
	assert_true(net.masquerade);
}

/* An NLMSG_ERROR ACK for seq with error (negative errno or 0). */
static size_t put_ack(char *buf, uint32_t seq, int error)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;
	struct nlmsgerr *e = NLMSG_DATA(h);

	memset(buf, 0, NLMSG_SPACE(sizeof(*e)));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = NLM_F_CAPPED;
	h->nlmsg_seq = seq;
	e->error = error;
	e->msg.nlmsg_seq = seq;
	return NLMSG_SPACE(sizeof(*e));
}

static void test_acks(void **state)
{
	struct netd_port ports[2] = {port("0.0.0.0", 8080, 80, IPPROTO_TCP),
				     port("0.0.0.0", 8081, 81, IPPROTO_TCP)};
	struct netd_nat_ctr ctr = {.ip = {htonl(0x0a000002)}};
	struct netd_nft_batch b;
	struct netd_err err = {0};
	_Alignas(4) char buf[512];
	size_t n = 0;

	(void)state;
	/* all fine: one ACK per message */
	assert_int_equal(netd_nft_batch_init(&b, 10), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 2, &ctr, true), 0);
	n = put_ack(buf, 11, 0);
	assert_int_equal(netd_nft_batch_parse_acks(&b, buf, n), 0); /* one more expected */
	n = put_ack(buf, 12, 0);
	assert_int_equal(netd_nft_batch_parse_acks(&b, buf, n), 1);
	assert_int_equal(netd_nft_batch_result(&b, &err), 0);
	netd_nft_batch_free(&b);

	/* the second element exists: the error names that port, not the first */
	assert_int_equal(netd_nft_batch_init(&b, 10), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 2, &ctr, true), 0);
	n = put_ack(buf, 11, 0);
	n += put_ack(buf + n, 12, -EEXIST);
	assert_int_equal(netd_nft_batch_parse_acks(&b, buf, n), 1);
	assert_int_equal(netd_nft_batch_result(&b, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "8081/tcp"));
	netd_nft_batch_free(&b);

	/* an error addressed to BEGIN fails the whole batch at once */
	assert_int_equal(netd_nft_batch_init(&b, 10), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 2, &ctr, true), 0);
	n = put_ack(buf, 10, -EPERM);
	assert_int_equal(netd_nft_batch_parse_acks(&b, buf, n), 1);
	assert_int_equal(netd_nft_batch_result(&b, &err), -EPERM);
	netd_nft_batch_free(&b);

	/* a truncated ACK is malformed input, not a success */
	assert_int_equal(netd_nft_batch_init(&b, 10), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 1, &ctr, true), 0);
	n = put_ack(buf, 11, 0);
	((struct nlmsghdr *)(void *)buf)->nlmsg_len = NLMSG_LENGTH(2);
	assert_true(netd_nft_batch_parse_acks(&b, buf, NLMSG_SPACE(2)) < 0);
	netd_nft_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_port_key),	  cmocka_unit_test(test_build_ensure),
	    cmocka_unit_test(test_build_ensure6), cmocka_unit_test(test_build_publish),
	    cmocka_unit_test(test_build_network), cmocka_unit_test(test_acks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
