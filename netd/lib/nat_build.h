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
#include <netd/err.h>
#include <netd/netconf.h>
#include <netd/portspec.h>
#include "nftmsg.h"

#define NETD_NFT_TABLE "netd"

/*
 * A network as nat.c needs it: its bridge, subnet, whether egress is masqueraded and whether it
 * is routed (new connections from outside reach every port of its containers).
 */
struct netd_nat_net {
	const char *bridge;
	struct in_addr subnet;
	unsigned prefix;
	bool masquerade;
	bool routed;
	bool internal;		/* nothing forwarded out of or into its bridge */
	struct in_addr gateway; /* DNS to it is answered only from its own bridge */
};

/* The nat view of a network definition (nn borrows nc's bridge name). */
void netd_nat_net_of(const struct netd_netconf *nc, struct netd_nat_net *nn);

/* Builders (no kernel). stale: the handle of a table of an older layout to replace, or NULL. */
int netd_nat_build_ensure(struct netd_nft_batch *b, const uint64_t *stale) NETD_MUST_USE;
int netd_nat_build_publish(struct netd_nft_batch *b, const struct netd_port *ports, size_t n,
			   struct in_addr ctr_ip, bool add) NETD_MUST_USE;
int netd_nat_build_attach(struct netd_nft_batch *b, const struct netd_nat_net *net,
			  const struct netd_port *ports, size_t n,
			  struct in_addr ctr_ip) NETD_MUST_USE;
int netd_nat_build_network(struct netd_nft_batch *b, const struct netd_nat_net *net,
			   bool add) NETD_MUST_USE;
/* The map a port lives in and its key bytes (8 or 12); data is ctr ip + ctr port (8 bytes). */
const char *netd_nat_port_key(const struct netd_port *p, uint8_t key[12], uint32_t *key_len);
void netd_nat_port_data(struct in_addr ctr_ip, uint16_t ctr_port, uint8_t data[8]);
/* "0.0.0.0:8080/tcp" */
void netd_nat_port_name(const struct netd_port *p, char *buf, size_t len);

/* A batch that deletes the whole table. */
int netd_nat_build_destroy(struct netd_nft_batch *b) NETD_MUST_USE;
/* True when a table's userdata is the comment of the current layout. */
bool netd_nat_layout_matches(const void *udata, uint32_t len);

/*
 * --explain: builders collect the nft command of each message they add; explain_done(true) prints
 * them once the batch is applied, explain_done(false) drops them (a failed batch changes nothing).
 */
void netd_nat_explain_done(bool applied);

/* A GETSETELEM reply (pure; fuzzed): the element's data, when the reply holds one. */
int netd_nat_parse_lookup(const void *buf, size_t len, uint32_t seq, uint8_t data[8], bool *found);
/* What a GETSETELEM reply said (netd_nat_lookup_cb fills it). */
struct netd_nat_lookup {
	uint8_t data[8];
	bool found;
};
struct nlmsghdr;
int netd_nat_lookup_cb(const struct nlmsghdr *nlh, void *data);

#endif
