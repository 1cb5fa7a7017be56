/* SPDX-License-Identifier: MIT */
/*
 * The pure half of table ip netd (nat_build.c): nf_tables messages for the table, its chains,
 * sets and rules, and for networks' and ports' elements, built into a batch without a kernel
 * (tests/unit/test_nat.c parses them back); the nft commands --explain prints for them; the
 * parsers of the replies nat.c reads. nat.c sends them. Private to libnetd.
 */
#ifndef NETD_NAT_BUILD_H
#define NETD_NAT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netd/addr.h>
#include <netd/err.h>
#include <netd/netconf.h>
#include <netd/portspec.h>
#include "nftmsg.h"

#define NETD_NFT_TABLE "netd"

/*
 * A network as nat.c needs it: its bridge, subnets, whether egress is masqueraded and whether it
 * is routed (new connections from outside reach every port of its containers). Its IPv4 part
 * goes to table ip netd, its IPv6 part to table ip6 netd; both tables get its bridge.
 */
struct netd_nat_net {
	const char *bridge;
	struct in_addr subnet;
	unsigned prefix;
	bool masquerade;
	bool routed;
	bool internal;		    /* nothing forwarded out of or into its bridge */
	struct in_addr gateway;	    /* DNS to it is answered only from its own bridge */
	struct netd_prefix subnet6; /* ip.family 0: no IPv6 subnet */
	bool masquerade6;
	struct netd_ip gateway6; /* family 0: none; DNS to it as to gateway */
};

/* The nat view of a network definition (nn borrows nc's bridge name). */
void netd_nat_net_of(const struct netd_netconf *nc, struct netd_nat_net *nn);

/* The container a port's element points to: a port of each family goes to its address. */
struct netd_nat_ctr {
	struct in_addr ip;  /* 0: none */
	struct netd_ip ip6; /* family 0: none */
};

/* What nat.c knows of one of our tables (netd_nat_table_query). */
struct netd_nat_table {
	bool exists;
	bool commented;	 /* it has a comment (any) */
	bool current;	 /* made by this netd's layout */
	uint64_t handle; /* the kernel's: a new one each time the table is made */
};

/*
 * Builders (no kernel). ensure: makes table ip netd (t4) and table ip6 netd (t6) where they are
 * not current: a missing one is made, one of an older layout deleted (by its handle) and made
 * anew; NULL counts as missing.
 */
int netd_nat_build_ensure(struct netd_nft_batch *b, const struct netd_nat_table *t4,
			  const struct netd_nat_table *t6) NETD_MUST_USE;
/* -EAFNOSUPPORT: a port to add whose family ctr has no address of. */
int netd_nat_build_publish(struct netd_nft_batch *b, const struct netd_port *ports, size_t n,
			   const struct netd_nat_ctr *ctr, bool add) NETD_MUST_USE;
int netd_nat_build_attach(struct netd_nft_batch *b, const struct netd_nat_net *net,
			  const struct netd_port *ports, size_t n,
			  const struct netd_nat_ctr *ctr) NETD_MUST_USE;
int netd_nat_build_network(struct netd_nft_batch *b, const struct netd_nat_net *net,
			   bool add) NETD_MUST_USE;
/* A batch that deletes table ip netd / table ip6 netd. */
int netd_nat_build_destroy(struct netd_nft_batch *b) NETD_MUST_USE;
int netd_nat_build_destroy6(struct netd_nft_batch *b) NETD_MUST_USE;

#define NETD_NAT_KEY_MAX  24 /* ipv6_addr . inet_proto . inet_service */
#define NETD_NAT_DATA_MAX 20 /* ipv6_addr . inet_service */
/* NFPROTO_IPV4 or NFPROTO_IPV6: the table of a port (host_ip of family AF_INET or AF_INET6). */
uint32_t netd_nat_fam_of(const struct netd_port *p);
/* The map a port lives in (in the table of its family) and its key bytes (8, 12 or 24). */
const char *netd_nat_port_key(const struct netd_port *p, uint8_t key[NETD_NAT_KEY_MAX],
			      uint32_t *key_len);
/* The element's data: ctr address . ctr port; returns its length (8 or 20). */
uint32_t netd_nat_port_data(const struct netd_ip *ctr_ip, uint16_t ctr_port,
			    uint8_t data[NETD_NAT_DATA_MAX]);
/* "0.0.0.0:8080/tcp", "[::]:8080/tcp" */
void netd_nat_port_name(const struct netd_port *p, char *buf, size_t len);

/* True when a table's userdata is the comment of the current layout. */
bool netd_nat_layout_matches(const void *udata, uint32_t len);

/*
 * --explain: builders collect the nft command of each message they add; explain_done(true) prints
 * them once the batch is applied, explain_done(false) drops them (a failed batch changes nothing).
 */
void netd_nat_explain_done(bool applied);

/* What a GETSETELEM reply said (netd_nat_lookup_cb fills it). */
struct netd_nat_lookup {
	uint8_t data[NETD_NAT_DATA_MAX];
	uint32_t len;
	bool found;
};
struct nlmsghdr;
int netd_nat_lookup_cb(const struct nlmsghdr *nlh, void *data);
/* A GETSETELEM reply (pure; fuzzed): the element's data, when the reply holds one. */
int netd_nat_parse_lookup(const void *buf, size_t len, uint32_t seq, struct netd_nat_lookup *out);

#endif
