/* SPDX-License-Identifier: MIT */
/*
 * "Is a host process listening on this port" through sock_diag (portcheck.c). Private to
 * libnetd.
 */
#ifndef NETD_PORTCHECK_H
#define NETD_PORTCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netd/err.h>
#include <netd/portspec.h>

/* sock_diag: true when a socket of this netns listens on (proto, port) at host_ip or wildcard. */
int netd_port_in_use(const struct netd_port *p, bool *in_use, struct netd_err *err) NETD_MUST_USE;

/* The reply parser, pure so it can be fuzzed: one datagram of replies to request seq; 1: more
 * to come, 0: done, -errno: the kernel's error or a malformed reply. */
/* Sets *in_use when a socket in the sock_diag dump of family binds p's port (and address). */
int netd_port_diag_parse(const void *buf, size_t len, uint32_t seq, const struct netd_port *p,
			 int family, bool *in_use);

#endif
