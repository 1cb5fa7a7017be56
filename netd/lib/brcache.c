/* SPDX-License-Identifier: MIT */
/* The bridge setup cache (see brcache.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "brcache.h"
#include <netd/names.h>
#include <netd/netconf.h>
#include "util.h"

static int cache_path(char *buf, size_t len, const char *network)
{
	return netd_path_fmt(buf, len, "%s/networks/%s/bridge", netd_state_dir(), network);
}

/* Everything but the ifindex, as one line: what the setup was made for, where and when. */
static int cache_tag(const struct netd_brcache *b, char *buf, size_t len)
{
	char boot[64] = "", gw[INET_ADDRSTRLEN], gw6[NETD_IP_STRLEN] = "none";
	struct stat ns;
	struct netd_err e;
	int n;

	if (netd_sysctl_read("/proc/sys/kernel/random/boot_id", boot, sizeof(boot), &e) < 0 ||
	    !*boot || stat("/proc/thread-self/ns/net", &ns) < 0)
		return -1;
	inet_ntop(AF_INET, &b->gw, gw, sizeof(gw));
	if (b->gw6.family == AF_INET6)
		netd_ip_format(&b->gw6, gw6, sizeof(gw6));
	n = snprintf(buf, len, "bridge=%s gw=%s/%u gw6=%s/%u mtu=%u netns=%lu:%lu boot=%s",
		     b->bridge, gw, b->prefix, gw6, b->prefix6, b->mtu, (unsigned long)ns.st_dev,
		     (unsigned long)ns.st_ino, boot);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int netd_brcache_lookup(const struct netd_brcache *b)
{
	char path[PATH_MAX], tag[384];
	cleanup_free char *buf = NULL;
	struct netd_err e;
	char *end;
	long ifindex;

	if (cache_path(path, sizeof(path), b->network) < 0 ||
	    netd_file_read(path, 0, &buf, NULL, &e) < 0 || cache_tag(b, tag, sizeof(tag)) < 0)
		return 0;
	/* "ifindex=N TAG\n" */
	if (strncmp(buf, "ifindex=", 8) != 0)
		return 0;
	errno = 0;
	ifindex = strtol(buf + 8, &end, 10);
	if (errno || ifindex <= 0 || ifindex > INT_MAX || *end != ' ')
		return 0;
	end++;
	end[strcspn(end, "\n")] = '\0';
	return strcmp(end, tag) == 0 ? (int)ifindex : 0;
}

void netd_brcache_store(const struct netd_brcache *b, int ifindex)
{
	char path[PATH_MAX], tag[384], line[448];
	struct netd_err e;
	int n;

	if (ifindex <= 0 || cache_path(path, sizeof(path), b->network) < 0 ||
	    cache_tag(b, tag, sizeof(tag)) < 0)
		return;
	n = snprintf(line, sizeof(line), "ifindex=%d %s\n", ifindex, tag);
	if (n > 0 && (size_t)n < sizeof(line))
		ignore_result(netd_file_replace(path, line, (size_t)n, 0644, &e));
}

void netd_brcache_drop(const char *network)
{
	char path[PATH_MAX];

	if (cache_path(path, sizeof(path), network) == 0)
		(void)unlink(path);
}
