/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: nsbox's state record (runtime/record.c), the file that tells nsbox which
 * processes to kill and which cgroups to remove. A record that parses must hold only checked
 * values (cgroup dirs of its own container, pids in range, no control characters) and survive a
 * round trip through its formatter unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nsbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nsbox_record r, r2;
	struct netd_err err = {0};
	static char buf[16384];

	if (size > 16000)
		return 0;
	if (nsbox_record_parse((const char *)data, size, "fuzz", &r, &err) < 0) {
		if (!err.code || !err.msg[0])
			abort(); /* an error always says what */
		return 0;
	}
	if (!r.name[0] || r.pid < 0 || r.pid > 4194304 || r.monitor < 0 ||
	    r.cg.n > NSBOX_MAX_CGROUP || (r.exited && (r.exit_code < 0 || r.exit_code > 255)))
		abort();
	for (size_t i = 0; i < r.cg.n; i++) {
		const char *p = r.cg.dir[i].path;
		size_t nl = strlen(r.name), pl = strlen(p);
		if (strncmp(p, "/sys/fs/cgroup/", 15) || strstr(p, "/../") || strstr(p, "//") ||
		    pl < nl + 7 || strcmp(p + pl - nl, r.name) ||
		    strncmp(p + pl - nl - 7, "/nsbox/", 7))
			abort();
	}
	for (const char *p = r.command; *p; p++)
		if ((unsigned char)*p < 0x20)
			abort();
	int n = nsbox_record_format(&r, buf, sizeof(buf));
	if (n < 0)
		return 0;
	if (nsbox_record_parse(buf, (size_t)n, "fuzz", &r2, &err) < 0)
		abort();
	if (memcmp(&r, &r2, sizeof(r)))
		abort();
	return 0;
}
