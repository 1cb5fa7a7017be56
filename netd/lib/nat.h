/* SPDX-License-Identifier: MIT */
/*
 * nf_tables through libnftnl + libmnl: our own table "ip netd" only. Published ports are
 * elements of maps, so a publish is one element add in one atomic batch. Also conntrack
 * flushing (ctnetlink) and the "is a host process listening on this port" check (sock_diag).
 * Everything acts on the calling thread's current netns. Private to libnetd.
 */
#ifndef NETD_NAT_H
#define NETD_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/netconf.h>
#include <netd/portspec.h>

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

/*
 * Creates table ip netd with its chains, maps and base rules if it does not exist (atomic: one
 * batch whose first message is an exclusive NEWTABLE, so concurrent callers cannot duplicate
 * rules). Idempotent: 0. A table of an older layout (its comment says which) is replaced in one
 * batch; then 1 is returned: its elements are gone, and the caller puts them back from state
 * (netd_network_restore_nat).
 */
int netd_nat_ensure(struct netd_err *err) NETD_MUST_USE;
/* Deletes the whole table (every trace of us in nf_tables); missing counts as done. */
int netd_nat_destroy(struct netd_err *err) NETD_MUST_USE;
bool netd_nat_table_exists(void);
/* Whether table ip netd exists: 0 with *exists, or the error that kept us from knowing (EPERM:
 * nf_tables answers nothing without CAP_NET_ADMIN; that is never "missing"). */
int netd_nat_table_probe(bool *exists, struct netd_err *err) NETD_MUST_USE;

struct netd_nat_table {
	bool exists;
	bool commented;	 /* it has a comment (any) */
	bool current;	 /* made by this netd's layout */
	uint64_t handle; /* the kernel's: a new one each time the table is made */
};
/* One GETTABLE (and a GETCHAIN for a table without comment); all false/0 when there is no
 * table (or nf_tables cannot be asked). */
void netd_nat_table_get(struct netd_nat_table *info);
/* The same, telling "no table" (0, info->exists false) from "could not ask" (the error: EPERM
 * without CAP_NET_ADMIN is never "missing"). */
int netd_nat_table_query(struct netd_nat_table *info, struct netd_err *err) NETD_MUST_USE;
/* True when a table's userdata is the comment of the current layout. */
bool netd_nat_layout_matches(const void *udata, uint32_t len);

/* Adds (idempotent) / removes (missing is fine) a network's masquerade and isolation entries. */
int netd_nat_network_add(const struct netd_nat_net *net, struct netd_err *err) NETD_MUST_USE;
int netd_nat_network_del(const struct netd_nat_net *net, struct netd_err *err) NETD_MUST_USE;

/*
 * What one attach adds, in one batch: the network's elements (as netd_nat_network_add) and the
 * endpoint's ports (as netd_nat_publish). The caller has made sure of the table
 * (netd_nat_ensure); a table deleted meanwhile is made again once.
 */
int netd_nat_attach(const struct netd_nat_net *net, const struct netd_port *ports, size_t n,
		    struct in_addr ctr_ip, struct netd_err *err) NETD_MUST_USE;
/*
 * Publishes ports (host_port already resolved) to ctr_ip in one batch: all or nothing.
 * An element that already exists fails the batch with -EEXIST naming the port.
 */
int netd_nat_publish(const struct netd_port *ports, size_t n, struct in_addr ctr_ip,
		     struct netd_err *err) NETD_MUST_USE;
/* Removes ports' elements in one batch; elements already gone are fine. */
int netd_nat_unpublish(const struct netd_port *ports, size_t n, struct in_addr ctr_ip,
		       struct netd_err *err) NETD_MUST_USE;
/* True when the map holds this port's element pointing at ctr_ip (CHECK). */
int netd_nat_port_lookup(const struct netd_port *p, struct in_addr ctr_ip, bool *present,
			 struct netd_err *err) NETD_MUST_USE;
/* Number of elements in our port maps (tests count leftovers). */
int netd_nat_count_ports(size_t *n, struct netd_err *err) NETD_MUST_USE;

/* Deletes conntrack entries whose original destination is (proto, host_port) [and host_ip]. */
int netd_conntrack_flush_port(const struct netd_port *p, struct netd_err *err) NETD_MUST_USE;

/* sock_diag: true when a socket of this netns listens on (proto, port) at host_ip or wildcard. */
int netd_port_in_use(const struct netd_port *p, bool *in_use, struct netd_err *err) NETD_MUST_USE;

/* The reply parsers of the two above, pure so they can be fuzzed. Each takes one datagram of
 * replies to request seq; 1: more to come, 0: done, -errno: the kernel's error or a malformed
 * reply. */
struct netd_ct_tuple {
	uint32_t src, dst;     /* network order */
	uint16_t sport, dport; /* network order */
	uint8_t proto;
	uint16_t zone; /* host order; 0 when none */
};
/* The conntrack entries of a dump whose original destination is p's (proto, port[, ip]). */
struct netd_ct_matches {
	const struct netd_port *p;
	struct netd_ct_tuple *v; /* free() */
	size_t n, cap;
	int error; /* E2BIG, ENOMEM: the matches are incomplete */
};
int netd_conntrack_parse_dump(const void *buf, size_t len, uint32_t seq, struct netd_ct_matches *m);
/* Sets *in_use when a socket in the sock_diag dump of family binds p's port (and address). */
int netd_port_diag_parse(const void *buf, size_t len, uint32_t seq, const struct netd_port *p,
			 int family, bool *in_use);

/*
 * Below: seams for the unit tests (tests/unit/test_nat.c). A batch is built into a buffer before
 * any socket exists; every message records its sequence number and what it acts on, so a kernel
 * error can be matched back to the object by sequence number.
 */
#define NETD_NFT_WHAT_MAX 112

struct netd_nft_msg {
	uint32_t seq;
	size_t off; /* offset of the message in buf */
	int error;  /* positive errno from the kernel's ACK, 0 when fine */
	char what[NETD_NFT_WHAT_MAX];
};

struct netd_nft_batch {
	char *buf;
	size_t len, cap;
	uint32_t seq_begin, seq_next;
	struct netd_nft_msg *msgs; /* the messages between BEGIN and END */
	size_t nmsgs, msgs_cap;
	bool ended;
	/* filled while reading ACKs */
	size_t acked;
	int batch_error;  /* an error addressed to BEGIN (the whole batch) */
	char extack[192]; /* the kernel's message for the first failing message */
};

/* Starts a batch (writes BEGIN with seq). */
int netd_nft_batch_init(struct netd_nft_batch *b, uint32_t seq) NETD_MUST_USE;
void netd_nft_batch_free(struct netd_nft_batch *b);
/* Writes END; after that the batch is ready to send (buf, len). */
int netd_nft_batch_end(struct netd_nft_batch *b) NETD_MUST_USE;
/* Feeds received bytes (NLMSG_ERROR ACKs) to the batch; returns 1 when every message is answered
 * (or the batch as a whole failed), 0 when more are expected, negative on malformed input. */
int netd_nft_batch_parse_acks(struct netd_nft_batch *b, const void *buf, size_t len) NETD_MUST_USE;
/* After parsing: 0, or the first failing message's -errno with err naming it. */
int netd_nft_batch_result(const struct netd_nft_batch *b, struct netd_err *err) NETD_MUST_USE;

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

/* Internal to nat.c/nftmsg.c. */
struct nlmsghdr;
/* Appends a message of type (NFT_MSG_*) with flags (NLM_F_ACK is added) and returns its header,
 * to be filled in by a libnftnl payload builder before the next add/end. NULL on ENOMEM. */
struct nlmsghdr *netd_nft_batch_add(struct netd_nft_batch *b, uint16_t type, uint16_t flags,
				    const char *what_fmt, ...) NETD_PRINTF(4, 5);
/* A fresh sequence number (batches and requests). */
uint32_t netd_nft_seq(void);
/* Sends a finished batch on a new NETLINK_NETFILTER socket and reads every ACK. */
int netd_nft_batch_send(struct netd_nft_batch *b, struct netd_err *err) NETD_MUST_USE;
/* Resends each message of a failed batch as its own batch; errors equal to ignore count as done.
 * Goes on past errors; returns the first one (err says how many more). */
int netd_nft_batch_retry_each(const struct netd_nft_batch *b, int ignore,
			      struct netd_err *err) NETD_MUST_USE;
/* One request (or dump when NLM_F_DUMP) on a new socket; cb gets each reply message. */
typedef int (*netd_nft_cb)(const struct nlmsghdr *nlh, void *data);
/* One datagram of replies to request seq (pure; fuzzed): runs cb over each message. 1: more to
 * come (a dump), 0: done, -errno: the kernel's error or a malformed reply. */
int netd_nft_reply_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid, netd_nft_cb cb,
			 void *data);
/* A GETSETELEM reply (pure; fuzzed): the element's data, when the reply holds one. */
int netd_nat_parse_lookup(const void *buf, size_t len, uint32_t seq, uint8_t data[8], bool *found);
int netd_nft_request(struct nlmsghdr *nlh, netd_nft_cb cb, void *data, const char *what,
		     struct netd_err *err) NETD_MUST_USE;

#endif
