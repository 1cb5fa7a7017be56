/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: nsbox's option values (runtime/opts.c). The first byte picks the parser:
 * --memory SIZE, --cpus N.N, --pids-limit N, -u UID[:GID], --hostname, and cgroup.procs as the
 * kill path reads it. Accepted values must be in range and survive a round trip through their
 * canonical form.
 */
#include <errno.h>
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
	switch (data[0] % 6) {
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
	case 5: {
		pid_t pids[64];
		size_t n = 0, off = 0;
		char out[1024];
		int r = nsbox_parse_pid_list(s, size - 1, pids, 64, &n);
		if (r == 0) {
			for (size_t i = 0; i < n; i++) {
				if (pids[i] < 1 || pids[i] > 4194304)
					abort();
				off += (size_t)snprintf(out + off, sizeof(out) - off, "%d\n",
							(int)pids[i]);
			}
			if (off != size - 1 || memcmp(out, s, off))
				abort(); /* only the canonical form parses */
		} else if (r != -EINVAL && r != -E2BIG) {
			abort();
		}
		break;
	}
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
