/* SPDX-License-Identifier: MIT */
/*
 * nf_tables batches: built into one buffer before any socket exists, sent on one
 * NETLINK_NETFILTER socket, every message ACKed; errors are matched back to the message (and so
 * to the object it acts on) by sequence number, as nftables does.
 */
#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "mnlsock.h"
#include "nftmsg.h"
#include "util.h"

/* The most one message may take (libnftnl's builders do not check room; ours are far smaller). */
#define MSG_ROOM 16384

uint32_t netd_nft_seq(void)
{
	static uint32_t next;
	uint32_t s = __atomic_load_n(&next, __ATOMIC_RELAXED);

	if (!s) {
		uint32_t seed = (uint32_t)time(NULL) << 8;
		__atomic_compare_exchange_n(&next, &s, seed ? seed : 1, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	}
	return __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
}

static int batch_reserve(struct netd_nft_batch *b)
{
	if (b->cap - b->len < MSG_ROOM) {
		size_t cap = b->cap * 2 + MSG_ROOM;
		char *p = realloc(b->buf, cap);

		if (!p)
			return -ENOMEM;
		memset(p + b->cap, 0, cap - b->cap);
		b->buf = p;
		b->cap = cap;
	}
	if (netd_grow((void **)&b->msgs, &b->msgs_cap, b->nmsgs, sizeof(*b->msgs)) < 0)
		return -ENOMEM;
	return 0;
}

/* The last message's length is only known once its payload is in: account for it now. */
static void batch_commit(struct netd_nft_batch *b)
{
	if (b->nmsgs && b->msgs[b->nmsgs - 1].off == b->len) {
		const struct nlmsghdr *nlh =
		    (const struct nlmsghdr *)(const void *)(b->buf + b->len);
		b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
}

int netd_nft_batch_init(struct netd_nft_batch *b, uint32_t seq)
{
	struct nlmsghdr *nlh;

	memset(b, 0, sizeof(*b));
	if (batch_reserve(b) < 0)
		return -ENOMEM;
	b->seq_begin = seq;
	b->seq_next = seq + 1;
	nlh = nftnl_batch_begin(b->buf, seq);
	b->len = NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

void netd_nft_batch_free(struct netd_nft_batch *b)
{
	free(b->buf);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}

struct nlmsghdr *netd_nft_batch_add(struct netd_nft_batch *b, uint16_t family, uint16_t type,
				    uint16_t flags, const char *what_fmt, ...)
{
	struct netd_nft_msg *m;
	struct nlmsghdr *nlh;
	va_list ap;

	if (b->ended)
		return NULL;
	batch_commit(b);
	if (batch_reserve(b) < 0)
		return NULL;
	m = &b->msgs[b->nmsgs++];
	memset(m, 0, sizeof(*m));
	m->seq = b->seq_next++;
	m->off = b->len;
	va_start(ap, what_fmt);
	vsnprintf(m->what, sizeof(m->what), what_fmt, ap);
	va_end(ap);
	nlh = nftnl_nlmsg_build_hdr(b->buf + b->len, type, family, flags | NLM_F_ACK, m->seq);
	return nlh;
}

int netd_nft_batch_end(struct netd_nft_batch *b)
{
	struct nlmsghdr *nlh;

	if (b->ended)
		return 0;
	batch_commit(b);
	if (b->cap - b->len < NLMSG_HDRLEN + 64)
		return -ENOMEM; /* cannot happen: batch_reserve keeps MSG_ROOM free */
	nlh = nftnl_batch_end(b->buf + b->len, b->seq_next++);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->ended = true;
	return 0;
}

static struct netd_nft_msg *batch_find(struct netd_nft_batch *b, uint32_t seq)
{
	/* Sequence numbers are consecutive from seq_begin + 1. */
	uint32_t i = seq - b->seq_begin - 1;

	if (seq == b->seq_begin || i >= b->nmsgs)
		return NULL;
	return &b->msgs[i];
}

/* The extended ACK's message (NLMSGERR_ATTR_MSG), when the kernel sent one. */
static void ack_extack(const struct nlmsghdr *nlh, char *out, size_t len)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&e->msg);
	if (mnl_nlmsg_get_payload_len(nlh) < off)
		return;
	mnl_attr_for_each_payload((const struct nlattr *)(const void *)((const char *)e + off),
				  mnl_nlmsg_get_payload_len(nlh) - off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(out, len, "%s", mnl_attr_get_str(attr));
			return;
		}
	}
}

int netd_nft_batch_parse_acks(struct netd_nft_batch *b, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	if (len > INT32_MAX)
		return -EINVAL;
	if (!netd_nlmsgs_ok(buf, len))
		return -EBADMSG;
	while (mnl_nlmsg_ok(nlh, left)) {
		const struct nlmsgerr *e;
		struct netd_nft_msg *m;

		if (nlh->nlmsg_type != NLMSG_ERROR)
			goto next; /* nothing else is expected; ignore */
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
			return -EBADMSG;
		e = mnl_nlmsg_get_payload(nlh);
		if (e->error > 0 || e->error < -4095)
			return -EBADMSG; /* no errno the kernel sends */
		m = batch_find(b, nlh->nlmsg_seq);
		if (!m) {
			/* Addressed to BEGIN (or unknown): the batch as a whole failed. */
			if (e->error) {
				b->batch_error = -e->error;
				if (!b->extack[0])
					ack_extack(nlh, b->extack, sizeof(b->extack));
				return 1;
			}
			goto next;
		}
		if (m->error == 0 && e->error) {
			bool first = true;

			for (size_t i = 0; i < b->nmsgs; i++)
				if (b->msgs[i].error)
					first = false;
			m->error = -e->error;
			if (first)
				ack_extack(nlh, b->extack, sizeof(b->extack));
		}
		b->acked++;
	next:
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return b->acked >= b->nmsgs ? 1 : 0;
}

int netd_nft_batch_result(const struct netd_nft_batch *b, struct netd_err *err)
{
	const struct netd_nft_msg *first = NULL;
	size_t more = 0;
	int r;

	if (b->batch_error)
		return netd_err_sys(err, b->batch_error, "nf_tables batch%s%s",
				    b->extack[0] ? ": " : "", b->extack);
	for (size_t i = 0; i < b->nmsgs; i++) {
		if (!b->msgs[i].error)
			continue;
		if (!first)
			first = &b->msgs[i];
		else
			more++;
	}
	if (!first)
		return 0;
	r = netd_err_sys(err, first->error, "%s", first->what);
	if (err && b->extack[0]) {
		size_t used = strlen(err->msg);
		snprintf(err->msg + used, sizeof(err->msg) - used, " (%s)", b->extack);
	}
	if (err && more) {
		size_t used = strlen(err->msg);
		snprintf(err->msg + used, sizeof(err->msg) - used, " (and %zu more)", more);
	}
	return r;
}

/*
 * The kernel runs a whole batch inside sendmsg and queues every ACK before we read one; each ACK
 * is its own skb whose truesize is far above its length. The receive buffer must hold all of
 * them, or the batch commits and its ACKs are lost (ENOBUFS): size it by message count.
 */
#define ACK_TRUESIZE_MAX 2048

static int nft_socket(struct mnl_socket **out, size_t sndbuf, size_t nacks, struct netd_err *err)
{
	int one = 1;
	int fd, r = netd_mnl_open(NETLINK_NETFILTER, out, "nf_tables", err);

	if (r < 0)
		return r;
	fd = mnl_socket_get_fd(*out);
	/* Short ACKs (no copy of our request) plus the kernel's text for errors. */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (sndbuf > 128 * 1024) {
		int sz = (int)(sndbuf + 4096);

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	if (nacks > 64) {
		size_t want = nacks * ACK_TRUESIZE_MAX + 65536;
		int sz = want > INT32_MAX / 2 ? INT32_MAX / 2 : (int)want;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return 0;
}

/* netd_nft_batch_parse_acks as a netd_mnl_parse_fn (it says "done" with > 0). */
static int parse_acks(const void *buf, size_t len, void *b)
{
	int r = netd_nft_batch_parse_acks(b, buf, len);

	return r < 0 ? r : !r;
}

int netd_nft_batch_send(struct netd_nft_batch *b, struct netd_err *err)
{
	cleanup_mnl struct mnl_socket *nl = NULL;
	cleanup_free char *rbuf = NULL;
	size_t rlen = MNL_SOCKET_BUFFER_SIZE * 4;
	enum netd_mnl_step step = NETD_MNL_PARSE;
	int r;

	if (!b->ended && netd_nft_batch_end(b) < 0)
		return netd_err_sys(err, ENOMEM, "nf_tables: build batch");
	if (!b->nmsgs)
		return 0;
	r = nft_socket(&nl, b->len, b->nmsgs + 2, err);
	if (r < 0)
		return r;
	rbuf = malloc(rlen);
	if (!rbuf)
		return netd_err_sys(err, ENOMEM, "nf_tables: receive buffer");
	r = netd_mnl_talk(nl, b->buf, b->len, rbuf, rlen, parse_acks, b, &step);
	if (r < 0 && step == NETD_MNL_SEND)
		return netd_err_sys(err, -r, "nf_tables: send batch (%s)", b->msgs[0].what);
	if (r == -ETIMEDOUT && step == NETD_MNL_RECV)
		return netd_err_set(err, ETIMEDOUT, "nf_tables: no answer to batch (%s)",
				    b->msgs[0].what);
	if (r < 0)
		return netd_err_sys(err, -r, "nf_tables: read ACKs (%s)", b->msgs[0].what);
	return netd_nft_batch_result(b, err);
}

int netd_nft_batch_retry_each(const struct netd_nft_batch *b, int ignore, struct netd_err *err)
{
	int first = 0;
	size_t more = 0;

	for (size_t i = 0; i < b->nmsgs; i++) {
		const struct nlmsghdr *src =
		    (const struct nlmsghdr *)(const void *)(b->buf + b->msgs[i].off);
		struct netd_nft_batch one;
		struct netd_err e = {0};
		struct nlmsghdr *dst;
		int r;

		if (netd_nft_batch_init(&one, netd_nft_seq()) < 0) {
			r = netd_err_sys(&e, ENOMEM, "%s", b->msgs[i].what);
			goto failed;
		}
		dst = netd_nft_batch_add(&one, NFPROTO_UNSPEC, 0, 0, "%s", b->msgs[i].what);
		if (!dst || src->nlmsg_len > MSG_ROOM) {
			netd_nft_batch_free(&one);
			r = netd_err_sys(&e, ENOMEM, "%s", b->msgs[i].what);
			goto failed;
		}
		memcpy(dst, src, src->nlmsg_len);
		dst->nlmsg_seq = one.msgs[0].seq;
		r = netd_nft_batch_send(&one, &e);
		netd_nft_batch_free(&one);
		if (r == 0 || r == -ignore)
			continue;
	failed:
		if (!first) {
			first = r;
			if (err)
				*err = e;
		} else {
			more++;
		}
	}
	if (first && more && err) {
		size_t used = strlen(err->msg);
		snprintf(err->msg + used, sizeof(err->msg) - used, " (and %zu more)", more);
	}
	return first;
}

int netd_nft_reply_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid, netd_nft_cb cb,
			 void *data)
{
	return netd_mnl_run(buf, len, seq, portid, (mnl_cb_t)cb, data);
}

int netd_nft_request(struct nlmsghdr *nlh, netd_nft_cb cb, void *data, const char *what,
		     struct netd_err *err)
{
	cleanup_mnl struct mnl_socket *nl = NULL;
	cleanup_free char *rbuf = NULL;
	size_t rlen = MNL_SOCKET_BUFFER_SIZE * 4;
	struct netd_mnl_run_args a = {.seq = nlh->nlmsg_seq,
				      .cb = (mnl_cb_t)cb,
				      .data = data,
				      .single = !(nlh->nlmsg_flags & NLM_F_DUMP)};
	enum netd_mnl_step step = NETD_MNL_PARSE;
	int r;

	r = nft_socket(&nl, 0, 0, err);
	if (r < 0)
		return r;
	rbuf = malloc(rlen);
	if (!rbuf)
		return netd_err_sys(err, ENOMEM, "%s", what);
	a.portid = mnl_socket_get_portid(nl);
	r = netd_mnl_talk(nl, nlh, nlh->nlmsg_len, rbuf, rlen, netd_mnl_run_parse, &a, &step);
	if (r < 0 && step == NETD_MNL_SEND)
		return netd_err_sys(err, -r, "%s: send", what);
	if (r == -ETIMEDOUT && step == NETD_MNL_RECV)
		return netd_err_set(err, ETIMEDOUT, "%s: no answer", what);
	if (r < 0 && step == NETD_MNL_RECV)
		return netd_err_sys(err, -r, "%s: receive", what);
	if (r < 0)
		return netd_err_sys(err, -r, "%s", what);
	return 0;
}
