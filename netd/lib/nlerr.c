/* SPDX-License-Identifier: MIT */
/* libnl NLE_* codes and kernel NLMSG_ERRORs to errno: the one place where that happens. */
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>
#include "nlerr.h"

int netd_nle_to_errno(int nle)
{
	if (nle < 0)
		nle = -nle;
	switch (nle) {
	case NLE_SUCCESS:
		return 0;
	case NLE_INTR:
		return EINTR;
	case NLE_BAD_SOCK:
		return EBADF;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_EXIST:
		return EEXIST;
	case NLE_INVAL:
	case NLE_NOATTR:
	case NLE_MISSING_ATTR:
	case NLE_AF_MISMATCH:
	case NLE_OBJ_MISMATCH:
	case NLE_PARSE_ERR:
	case NLE_ATTRSIZE:
		return EINVAL;
	case NLE_RANGE:
		return ERANGE;
	case NLE_MSGSIZE:
	case NLE_MSG_TRUNC:
		return EMSGSIZE;
	case NLE_OPNOTSUPP:
	case NLE_SRCRT_NOSUPPORT:
	case NLE_MSGTYPE_NOSUPPORT:
		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return ENODEV;
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_TOOSHORT:
		return EPROTO;
	case NLE_MSG_OVERFLOW:
		return ENOBUFS;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	case NLE_NOCACHE:
	case NLE_PKTLOC_FILE:
		return ENOENT;
	case NLE_BUSY:
		return EBUSY;
	case NLE_PROTO_MISMATCH:
		return EPROTONOSUPPORT;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_PERM:
	case NLE_IMMUTABLE:
		return EPERM;
	case NLE_DUMP_INTR:
		return EAGAIN;
	default:
		return EIO;
	}
}

/* Records the kernel's errno and extended-ack message, then lets libnl stop as it would. */
static int record_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct netd_rtnl *r = arg;
	const struct nlmsghdr *h =
	    (const struct nlmsghdr *)(const void *)((const char *)e - NLMSG_HDRLEN);
	const char *end = (const char *)h + h->nlmsg_len;
	const char *tlvs;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	(void)nla;
	r->kerr = e->error < 0 ? -e->error : e->error;
	r->extack[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (h->nlmsg_flags & NLM_F_CAPPED)
		tlvs = (const char *)(e + 1);
	else
		tlvs = (const char *)&e->msg + NLMSG_ALIGN(e->msg.nlmsg_len);
	if (tlvs >= end)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)(uintptr_t)tlvs, (int)(end - tlvs),
		      NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(r->extack, tb[NLMSGERR_ATTR_MSG], sizeof(r->extack));
	return NL_STOP;
}

int netd_nl_track_errors(struct netd_rtnl *r)
{
	int fd = nl_socket_get_fd(r->sk);
	int one = 1;

	r->kerr = 0;
	r->extack[0] = '\0';
	/* Best effort: older kernels lack these and we lose only detail. */
	if (fd >= 0) {
		(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
		(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
		(void)setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	}
	return nl_socket_modify_err_cb(r->sk, NL_CB_CUSTOM, record_error, r);
}

void netd_nl_reset(struct netd_rtnl *r)
{
	r->kerr = 0;
	r->extack[0] = '\0';
}

int netd_nl_errno(const struct netd_rtnl *r, int nle)
{
	/* The kernel's errno is only trusted when libnl's code came from it. */
	if (r && r->kerr && nl_syserr2nlerr(r->kerr) == (nle < 0 ? -nle : nle))
		return r->kerr;
	return netd_nle_to_errno(nle);
}

int netd_nl_err(struct netd_err *err, const struct netd_rtnl *r, int nle, const char *fmt, ...)
{
	int code = netd_nl_errno(r, nle);
	bool ext;
	size_t used;
	va_list ap;

	if (!code)
		code = EIO;
	if (!err)
		return -code;
	ext = r && r->kerr == code && r->extack[0];
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	used = strlen(err->msg);
	if (ext)
		snprintf(err->msg + used, sizeof(err->msg) - used, ": %s (kernel: %s)",
			 strerror(code), r->extack);
	else
		snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", strerror(code));
	return -code;
}
