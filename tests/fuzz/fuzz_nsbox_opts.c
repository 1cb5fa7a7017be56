/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: nsbox's option values (runtime/opts.c). The first byte picks the parser:
 * --memory SIZE, --cpus N.N, --pids-limit N, -u UID[:GID], --hostname. Accepted values must be
 * in range and survive a round trip through their canonical form.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nsbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[64];
	char *s;
	uid_t uid = 7;
	gid_t gid = 7;

	if (size < 1 || size > 256)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0: {
		long long v = nsbox_parse_size(s);
		if (v > 0) {
			if (v > (1LL << 50))
				abort();
			snprintf(buf, sizeof(buf), "%lld", v);
			if (nsbox_parse_size(buf) != v)
				abort();
		}
		break;
	}
	case 1: {
		long q = nsbox_parse_cpus(s);
		if (q > 0) {
			if (q < 1000 || q > 1024L * 100000 + 99999)
				abort();
			snprintf(buf, sizeof(buf), "%ld.%05ld", q / 100000, q % 100000);
			if (nsbox_parse_cpus(buf) != q)
				abort();
		}
		break;
	}
	case 2: {
		long v = nsbox_parse_long(s, 1, 4194304);
		if (v != -1 && (v < 1 || v > 4194304))
			abort();
		break;
	}
	case 3:
		if (nsbox_parse_user(s, &uid, &gid) == 0) {
			if (uid > 0x7fffffff || gid > 0x7fffffff)
				abort();
			snprintf(buf, sizeof(buf), "%u:%u", (unsigned)uid, (unsigned)gid);
			uid_t u2;
			gid_t g2;
			if (nsbox_parse_user(buf, &u2, &g2) != 0 || u2 != uid || g2 != gid)
				abort();
		} else if (uid != 7 || gid != 7) {
			abort(); /* outputs untouched on error */
		}
		break;
	default:
		if (nsbox_hostname_ok(s)) {
			size_t n = strlen(s);
			if (n == 0 || n > 63 || strchr(s, '/'))
				abort();
		}
		break;
	}
	free(s);
	return 0;
}
