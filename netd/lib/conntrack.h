/* SPDX-License-Identifier: MIT */
/*
 * Conntrack flushing through ctnetlink (conntrack.c). Private to libnetd.
 */
#ifndef NETD_CONNTRACK_H
#define NETD_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netd/addr.h>
#include <netd/err.h>
#include <netd/portspec.h>

/* Deletes conntrack entries whose original destination is (proto, host_port) [and host_ip]. */
int netd_conntrack_flush_port(const struct netd_port *p, struct netd_err *err) NETD_MUST_USE;

/* The reply parser, pure so it can be fuzzed: one datagram of replies to request seq; 1: more
 * to come, 0: done, -errno: the kernel's error or a malformed reply. */
struct netd_ct_tuple {
	struct netd_ip src, dst;
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

#endif
