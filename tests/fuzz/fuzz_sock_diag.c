/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a sock_diag dump as the kernel answers "who binds this port" (inet_diag_msg,
 * the V6ONLY attribute, DONE and ERROR messages). The first byte picks the question: v4 or v6
 * dump, port on the wildcard or on 127.0.0.1, tcp or udp; the rest is the datagram.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "portcheck.h"

#define SEQ 1000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_port p = {.host_port = 8080, .ctr_port = 80};
	bool in_use = false;
	void *buf;
	size_t len;
	int r;

	if (size < 1 || size > 1 << 16)
		return 0;
	p.proto = data[0] & 4 ? NETD_PROTO_UDP : NETD_PROTO_TCP;
	/* bits 1 and 3: the port's host address (0.0.0.0, 127.0.0.1, ::, fd00::1) */
	if (netd_ip_parse(data[0] & 8 ? (data[0] & 2 ? "fd00::1" : "::")
				      : (data[0] & 2 ? "127.0.0.1" : "0.0.0.0"),
			  AF_UNSPEC, &p.host_ip, NULL) < 0)
		abort();
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, len);
	r = netd_port_diag_parse(buf, len, SEQ, &p, data[0] & 1 ? AF_INET6 : AF_INET, &in_use);
	if (r > 1)
		abort();
	free(buf);
	return 0;
}
