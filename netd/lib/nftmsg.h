/* SPDX-License-Identifier: MIT */
/*
 * nf_tables batches (nftmsg.c): a batch is built into a buffer before any socket exists; every
 * message records its sequence number and what it acts on, so a kernel error can be matched back
 * to the object by sequence number. Also single requests and dumps. Private to libnetd.
 */
#ifndef NETD_NFTMSG_H
#define NETD_NFTMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netd/err.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

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

struct nlmsghdr;
/* Appends a message of type (NFT_MSG_*) for table family (NFPROTO_*) with flags (NLM_F_ACK is
 * added) and returns its header, to be filled in by a libnftnl payload builder before the next
 * add/end. NULL on ENOMEM. */
struct nlmsghdr *netd_nft_batch_add(struct netd_nft_batch *b, uint16_t family, uint16_t type,
				    uint16_t flags, const char *what_fmt, ...) NETD_PRINTF(5, 6);
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
int netd_nft_request(struct nlmsghdr *nlh, netd_nft_cb cb, void *data, const char *what,
		     struct netd_err *err) NETD_MUST_USE;

/* Cleanup for libnftnl objects (each accepts NULL). */
static inline void nft_rule_freep(struct nftnl_rule **r)
{
	if (*r)
		nftnl_rule_free(*r);
}
static inline void nft_set_freep(struct nftnl_set **s)
{
	if (*s)
		nftnl_set_free(*s);
}
static inline void nft_chain_freep(struct nftnl_chain **c)
{
	if (*c)
		nftnl_chain_free(*c);
}
static inline void nft_table_freep(struct nftnl_table **t)
{
	if (*t)
		nftnl_table_free(*t);
}
static inline void nft_udata_freep(struct nftnl_udata_buf **u)
{
	if (*u)
		nftnl_udata_buf_free(*u);
}
#define cleanup_nft_rule  __attribute__((cleanup(nft_rule_freep)))
#define cleanup_nft_set	  __attribute__((cleanup(nft_set_freep)))
#define cleanup_nft_chain __attribute__((cleanup(nft_chain_freep)))
#define cleanup_nft_table __attribute__((cleanup(nft_table_freep)))
#define cleanup_nft_udata __attribute__((cleanup(nft_udata_freep)))

#endif
