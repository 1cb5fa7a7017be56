/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "mnlsock.h"
#include "util.h"

int netd_mnl_open(int bus, struct mnl_socket **out, const char *what, struct netd_err *err)
{
	struct timeval tv = {.tv_sec = NETD_MNL_RECV_TIMEOUT_SEC};
	cleanup_mnl struct mnl_socket *nl = mnl_socket_open(bus);

	if (!nl)
		return netd_err_sys(err, errno, "%s: open netlink socket", what);
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return netd_err_sys(err, errno, "%s: bind netlink socket", what);
	*out = steal_pointer(&nl);
	return 0;
}

int netd_mnl_run(const void *buf, size_t len, uint32_t seq, uint32_t portid, mnl_cb_t cb,
		 void *data)
{
	int r;

	if (!netd_nlmsgs_ok(buf, len))
		return -EBADMSG;
	errno = 0;
	r = mnl_cb_run(buf, len, seq, portid, cb, data);
	if (r < 0)
		return -netd_nl_errno_sane();
	return r;
}

int netd_mnl_run_parse(const void *buf, size_t len, void *args)
{
	const struct netd_mnl_run_args *a = args;
	int r = netd_mnl_run(buf, len, a->seq, a->portid, a->cb, a->data);

	return r > 0 && a->single ? 0 : r;
}

static int fail(enum netd_mnl_step *failed, enum netd_mnl_step step, int r)
{
	if (failed)
		*failed = step;
	return r;
}

int netd_mnl_talk(struct mnl_socket *nl, const void *req, size_t len, void *rbuf, size_t rlen,
		  netd_mnl_parse_fn parse, void *data, enum netd_mnl_step *failed)
{
	if (mnl_socket_sendto(nl, req, len) < 0)
		return fail(failed, NETD_MNL_SEND, -errno);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, rbuf, rlen);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(failed, NETD_MNL_RECV, errno == EAGAIN ? -ETIMEDOUT : -errno);
		}
		r = parse(rbuf, (size_t)n, data);
		if (r < 0)
			return fail(failed, NETD_MNL_PARSE, r);
		if (r == 0)
			return 0;
	}
}
