/* SPDX-License-Identifier: MIT */
/* Parsers of nsbox's option values (sizes, CPUs, numbers, UID:GID, hostnames): pure, no I/O. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "nsbox.h"

long long nsbox_parse_size(const char *s)
{
	char *end;
	unsigned long long v, mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		end++;
		break;
	case 'k':
		mult = 1ULL << 10;
		end++;
		break;
	case 'm':
		mult = 1ULL << 20;
		end++;
		break;
	case 'g':
		mult = 1ULL << 30;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v == 0 || v > (1ULL << 50) / mult)
		return -1;
	return (long long)(v * mult);
}

long nsbox_parse_cpus(const char *s)
{
	long whole = 0, frac = 0, scale = 100000;
	const char *p = s;

	if (!*p)
		return -1;
	while (isdigit((unsigned char)*p)) {
		whole = whole * 10 + (*p++ - '0');
		if (whole > 1024)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			scale /= 10;
			frac += (*p++ - '0') * scale;
		}
	}
	if (*p || p == s)
		return -1;
	long q = whole * 100000 + frac;
	return q >= 1000 ? q : -1; /* the kernel's minimum quota is 1 ms */
}

long nsbox_parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

int nsbox_parse_user(const char *s, uid_t *uid, gid_t *gid)
{
	char buf[64];
	char *colon;
	long u, g;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	u = nsbox_parse_long(buf, 0, 0x7fffffff);
	g = colon ? nsbox_parse_long(colon + 1, 0, 0x7fffffff) : u;
	if (u < 0 || g < 0)
		return -1;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

bool nsbox_hostname_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 63)
		return false;
	for (const char *p = h; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
	return true;
}

int nsbox_parse_pid_list(const char *text, size_t len, pid_t *pids, size_t cap, size_t *n)
{
	size_t k = 0;

	*n = 0;
	for (size_t i = 0; i < len;) {
		long v = 0;
		size_t start = i;
		while (i < len && text[i] >= '0' && text[i] <= '9') {
			v = v * 10 + (text[i] - '0');
			if (v > 4194304)
				return -EINVAL;
			i++;
		}
		if (i == start || i == len || text[i] != '\n' || v < 1 || text[start] == '0')
			return -EINVAL;
		i++;
		if (k >= cap)
			return -E2BIG;
		pids[k++] = (pid_t)v;
	}
	*n = k;
	return 0;
}
