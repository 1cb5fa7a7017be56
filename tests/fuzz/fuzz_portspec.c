/* SPDX-License-Identifier: MIT */
/* libFuzzer target: Docker -p specs, then format of every entry parsed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netd/portspec.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_port out[32];
	struct netd_err err = {0};
	char buf[64];
	char *spec;
	size_t n = 0, cap;
	int r;

	if (size > 4096)
		return 0;
	spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	/* vary the room left, to reach the cap check */
	cap = size ? (data[0] % 33) : 32;
	r = netd_portspec_parse(spec, out, cap, &n, &err);
	if (r == 0) {
		if (n == 0 || n > cap)
			abort();
		for (size_t i = 0; i < n; i++) {
			if (!out[i].ctr_port || !netd_proto_name(out[i].proto))
				abort();
			if (netd_port_format(&out[i], buf, sizeof(buf)) >= (int)sizeof(buf))
				abort();
		}
	} else if (n != 0 || err.code == 0 || !memchr(err.msg, '\0', sizeof(err.msg)) ||
		   strncmp(err.msg, "port spec ", 10)) {
		abort();
	}
	free(spec);
	return 0;
}
