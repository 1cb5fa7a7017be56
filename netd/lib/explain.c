/* SPDX-License-Identifier: MIT */
/*
 * --explain: a sink for the shell commands equivalent to each kernel change, called by the
 * functions that make the changes (link.c, route.c, nat.c, util.c, ...). See netd/explain.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/sockios.h>
#include <netd/addr.h>
#include "explain_priv.h"
#include "util.h"

#define NETNS_SLOTS 16
#define FAKE_SLOTS  8
#define FAKE_BASE   0x7fff0000

static netd_explain_fn sink;
static void *sink_ctx;
static bool dry_run;

static struct {
	dev_t dev;
	ino_t ino;
	char path[256];
} netns_seen[NETNS_SLOTS];
static unsigned netns_next;

static char fake_names[FAKE_SLOTS][IFNAMSIZ];
static unsigned fake_next;

void netd_explain_set(netd_explain_fn fn, void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
	if (!fn)
		dry_run = false;
}

void netd_explain_set_dry_run(bool on)
{
	dry_run = on;
}

bool netd_explain_enabled(void)
{
	return sink != NULL;
}

bool netd_explain_dry_run(void)
{
	return sink && dry_run;
}

void netd_explain(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!sink)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sink(line, sink_ctx);
}

static void put(char *buf, size_t len, size_t *n, const char *s)
{
	for (; *s && *n + 1 < len; s++)
		buf[(*n)++] = *s;
}

const char *netd_explain_quote(const char *s, char *buf, size_t len)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789@%+=:,./_-";
	size_t n = 0;

	if (!len)
		return buf;
	if (*s && strspn(s, safe) == strlen(s)) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	/* '...', each ' inside as '\'' */
	put(buf, len, &n, "'");
	for (const char *p = s; *p; p++) {
		char one[2] = {*p, 0};
		put(buf, len, &n, *p == '\'' ? "'\\''" : one);
	}
	put(buf, len, &n, "'");
	buf[n] = '\0';
	return buf;
}

/* ---- namespaces ---- */

static bool ns_id(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return true;
}

void netd_explain_netns_register(int netns_fd, const char *path)
{
	dev_t dev;
	ino_t ino;
	unsigned i;

	if (!sink || !ns_id(netns_fd, &dev, &ino))
		return;
	for (i = 0; i < NETNS_SLOTS; i++)
		if (netns_seen[i].ino == ino && netns_seen[i].dev == dev)
			break;
	if (i == NETNS_SLOTS)
		i = netns_next++ % NETNS_SLOTS;
	netns_seen[i].dev = dev;
	netns_seen[i].ino = ino;
	snprintf(netns_seen[i].path, sizeof(netns_seen[i].path), "%s", path);
}

static const char *netns_path_of(int netns_fd)
{
	dev_t dev;
	ino_t ino;

	if (!ns_id(netns_fd, &dev, &ino))
		return NULL;
	for (unsigned i = 0; i < NETNS_SLOTS; i++)
		if (netns_seen[i].path[0] && netns_seen[i].ino == ino && netns_seen[i].dev == dev)
			return netns_seen[i].path;
	return NULL;
}

/* "/run/netns/c1" -> "c1" (what ip netns names); NULL for any other path. */
static const char *run_netns_name(const char *path)
{
	static const char dir[] = "/run/netns/";
	const char *name;

	if (!path || strncmp(path, dir, sizeof(dir) - 1) != 0)
		return NULL;
	name = path + sizeof(dir) - 1;
	return *name && !strchr(name, '/') ? name : NULL;
}

void netd_explain_netns_arg(int netns_fd, char *buf, size_t len)
{
	const char *path = netns_path_of(netns_fd);
	const char *name = run_netns_name(path);

	if (name)
		snprintf(buf, len, "%s", name);
	else if (path)
		netd_explain_quote(path, buf, len);
	else
		snprintf(buf, len, "/proc/self/fd/%d", netns_fd);
}

void netd_explain_ip(int sock_fd, char *buf, size_t len)
{
	cleanup_close int nsfd = -1;
	cleanup_close int self = -1;
	dev_t d1 = 0, d2 = 0;
	ino_t i1 = 0, i2 = 0;
	const char *path, *name;
	char q[300];

	snprintf(buf, len, "ip");
	if (sock_fd < 0)
		return;
	nsfd = ioctl(sock_fd, SIOCGSKNS);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (!ns_id(nsfd, &d1, &i1) || !ns_id(self, &d2, &i2) || (d1 == d2 && i1 == i2))
		return;
	path = netns_path_of(nsfd);
	name = run_netns_name(path);
	if (name)
		snprintf(buf, len, "ip -n %s", name);
	else if (path)
		snprintf(buf, len, "nsenter --net=%s ip", netd_explain_quote(path, q, sizeof(q)));
	else
		snprintf(buf, len, "nsenter --net=/proc/self/fd/%d ip", nsfd);
}

/* ---- links a dry run only pretends to create ---- */

int netd_explain_fake_ifindex(const char *name)
{
	unsigned i = fake_next++ % FAKE_SLOTS;

	snprintf(fake_names[i], sizeof(fake_names[i]), "%s", name);
	return FAKE_BASE + (int)i;
}

void netd_explain_ifname(int ifindex, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (ifindex >= FAKE_BASE && ifindex < FAKE_BASE + FAKE_SLOTS) {
		snprintf(buf, len, "%s", fake_names[ifindex - FAKE_BASE]);
		return;
	}
	if (ifindex > 0 && if_indextoname((unsigned)ifindex, name))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "if%d", ifindex);
}

void netd_explain_addr_add(const char *ip, const char *dev, struct in_addr a, unsigned prefix)
{
	char as[INET_ADDRSTRLEN], bs[INET_ADDRSTRLEN];
	struct in_addr b;

	if (!sink)
		return;
	netd_ip4_format(a, as, sizeof(as));
	if (prefix < 31) {
		b.s_addr = a.s_addr | htonl(~0u >> prefix);
		netd_ip4_format(b, bs, sizeof(bs));
		netd_explain("%s addr add %s/%u broadcast %s dev %s", ip, as, prefix, bs, dev);
	} else {
		netd_explain("%s addr add %s/%u dev %s", ip, as, prefix, dev);
	}
}
