/* SPDX-License-Identifier: MIT */
/* libFuzzer target: subnet-file text; what parses must format and parse back to the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netd/netconf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_netconf a, b;
	struct netd_err err = {0};
	char text[8192]; /* 32 IPv6 routes and both subnets fit */
	char *in;
	int r;

	if (size > 65536)
		return 0;
	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	r = netd_netconf_parse("fuzz0", "fuzz.conf", in, &a, &err);
	free(in);
	if (r < 0) {
		if (err.code == 0 || !memchr(err.msg, '\0', sizeof(err.msg)) ||
		    strncmp(err.msg, "fuzz.conf", 9))
			abort();
		return 0;
	}
	r = netd_netconf_format(&a, text, sizeof(text));
	if (r < 0 || (size_t)r >= sizeof(text))
		abort();
	if (netd_netconf_parse("fuzz0", "fuzz.conf", text, &b, &err) < 0)
		abort();
	if (strcmp(a.bridge, b.bridge) || a.subnet.s_addr != b.subnet.s_addr ||
	    a.prefix != b.prefix || a.gateway.s_addr != b.gateway.s_addr ||
	    a.range_start.s_addr != b.range_start.s_addr ||
	    a.range_end.s_addr != b.range_end.s_addr || a.mtu != b.mtu ||
	    a.masquerade != b.masquerade || a.n_routes != b.n_routes ||
	    memcmp(a.routes, b.routes, a.n_routes * sizeof(a.routes[0])) ||
	    a.gateway_mode != b.gateway_mode)
		abort();
	return 0;
}
