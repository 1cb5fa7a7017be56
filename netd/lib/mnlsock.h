/* SPDX-License-Identifier: MIT */
/*
 * The libmnl socket that nftmsg.c, conntrack.c and portcheck.c talk on: opened with a bounded
 * receive wait, and one request sent and its replies read until the caller's parser says done.
 * Private to the library.
 */
#ifndef NETD_MNLSOCK_H
#define NETD_MNLSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include <netd/err.h>

/* How long a read waits for the kernel; it answers synchronously, so only a safety net. */
#define NETD_MNL_RECV_TIMEOUT_SEC 10

static inline void netd_mnl_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
}
#define cleanup_mnl __attribute__((cleanup(netd_mnl_closep)))

/*
 * A bound socket of netlink family bus with the receive timeout set. Errors: "WHAT: open netlink
 * socket" / "WHAT: bind netlink socket".
 */
int netd_mnl_open(int bus, struct mnl_socket **out, const char *what,
		  struct netd_err *err) NETD_MUST_USE;

/* One datagram of replies: < 0 -errno, 0 the answer is complete, > 0 more to come. */
typedef int (*netd_mnl_parse_fn)(const void *buf, size_t len, void *data);

/*
 * Runs cb over one datagram of replies to request seq (portid 0: any), after checking that the
 * datagram is well formed (netd_nlmsgs_ok). Returns what mnl_cb_run does (1: more to come, 0:
 * done) or -errno: the kernel's error or a malformed reply.
 */
int netd_mnl_run(const void *buf, size_t len, uint32_t seq, uint32_t portid, mnl_cb_t cb,
		 void *data);

/* netd_mnl_run as a netd_mnl_parse_fn: data is a struct netd_mnl_run_args. */
struct netd_mnl_run_args {
	uint32_t seq, portid;
	mnl_cb_t cb;
	void *data;
	bool single; /* the answer is one datagram (a request, not a dump) */
};
int netd_mnl_run_parse(const void *buf, size_t len, void *args);

/* Where netd_mnl_talk failed, for callers that word each step. */
enum netd_mnl_step { NETD_MNL_SEND, NETD_MNL_RECV, NETD_MNL_PARSE };

/*
 * Sends the len bytes of req, then reads replies into rbuf (rlen bytes) and hands each datagram
 * to parse until it returns 0. Returns 0 or -errno (a read that timed out: -ETIMEDOUT), and then
 * sets *failed (when not NULL) to the step.
 */
int netd_mnl_talk(struct mnl_socket *nl, const void *req, size_t len, void *rbuf, size_t rlen,
		  netd_mnl_parse_fn parse, void *data, enum netd_mnl_step *failed) NETD_MUST_USE;

#endif
