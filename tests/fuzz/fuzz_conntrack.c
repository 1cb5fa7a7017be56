/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a ctnetlink dump (nested tuples, zones, DONE and ERROR messages), as read to
 * find the conntrack entries of one published port. Whatever comes in, only entries of that
 * port are collected. The first byte picks the port's address (wildcard or 10.0.0.1); the rest
 * is the datagram.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "conntrack.h"

#define SEQ 1000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_port p = {.proto = NETD_PROTO_UDP, .host_port = 5353, .ctr_port = 53};
	struct netd_ct_matches m = {.p = &p};
	void *buf;
	size_t len;
	int r;

	if (size < 1 || size > 1 << 16)
		return 0;
	/* bit 1: an IPv6 port (the dump is read as the AF_INET6 table); bit 0: a specific address
	 */
	if (netd_ip_parse(data[0] & 2 ? (data[0] & 1 ? "fd00::1" : "::")
				      : (data[0] & 1 ? "10.0.0.1" : "0.0.0.0"),
			  AF_UNSPEC, &p.host_ip, NULL) < 0)
		abort();
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, len);
	r = netd_conntrack_parse_dump(buf, len, SEQ, &m);
	if (r > 1 || m.n > m.cap)
		abort();
	for (size_t i = 0; i < m.n; i++)
		if (m.v[i].proto != p.proto || m.v[i].dport != htons(p.host_port) ||
		    m.v[i].dst.family != p.host_ip.family ||
		    (!netd_ip_is_zero(&p.host_ip) && !netd_ip_equal(&m.v[i].dst, &p.host_ip)))
			abort();
	free(m.v);
	free(buf);
	return 0;
}
