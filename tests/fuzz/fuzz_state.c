/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the files of the state dir as libnetd reads them back (anything with write
 * access to the dir, or a crash at the wrong moment, may have left them in any shape). The input,
 * cut at 0xff bytes, is the content of: a lease (owner key), the allocator's "last" hint, a port
 * claim, an endpoint record. They are written into a scratch state dir, then read the ways netd
 * does: lease owner and walk, allocation (which resumes after "last" and names the owner of a
 * taken address), port claims (walk, conflict, claim), endpoint load and list.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include "claims.h"
#include "endpoint_store.h"
#include "ipam.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char root[64];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

static void put(const char *rel, const void *buf, size_t len)
{
	char path[256], dir[256];
	char *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		abort();
	if (len && write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "%s/netd-fuzz-state.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(root))
		abort();
	setenv("NETD_STATE_DIR", root, 1);
	return 0;
}

/* An owner key handed out is a checked one (NULL: the file is damaged, its owner unknown). */
static void check_key(const char *key)
{
	char net[NETD_NETNAME_MAX + 1], id[NETD_ID_MAX + 1], ifn[NETD_IFNAME_MAX + 1];

	if (key && (strlen(key) > NETD_KEY_MAX || !netd_key_split(key, net, id, ifn)))
		abort();
}

static int lease_cb(struct in_addr ip, const char *key, void *arg)
{
	(void)ip;
	(void)arg;
	check_key(key);
	return 0;
}

static int claim_cb(const struct netd_port *p, const char *key, void *arg)
{
	(void)arg;
	if (!p->host_port || !netd_proto_name(p->proto))
		abort();
	check_key(key);
	return 0;
}

static void check_ep(const struct netd_endpoint *ep)
{
	struct netd_err e = {0};

	if (netd_name_check_network(ep->network, &e) < 0 || netd_name_check_id(ep->id, &e) < 0 ||
	    netd_name_check_ifname(ep->ifname, &e) < 0)
		abort(); /* a loaded record never names a path outside the state dir */
	if (ep->n_ports && !ep->ports)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[4] = {0};
	size_t plen[4] = {0}, k = 0;
	struct netd_netconf nc;
	struct netd_endpoint ep = {0}, *eps = NULL;
	struct netd_port port = {.proto = NETD_PROTO_TCP, .host_port = 8080, .ctr_port = 80};
	struct netd_err err = {0};
	char key[NETD_KEY_MAX + 1];
	struct in_addr ip, got;
	size_t n = 0;
	int r;

	if (size > 1 << 14)
		return 0;
	part[0] = data;
	for (size_t i = 0; i < size && k < 3; i++) {
		if (data[i] == 0xff) {
			plen[k] = (size_t)(data + i - part[k]);
			part[++k] = data + i + 1;
		}
	}
	plen[k] = (size_t)(data + size - part[k]);
	for (size_t i = k + 1; i < 4; i++)
		part[i] = data + size;

	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(root, 0700);
	put("networks/f0/ips/10.9.0.5", part[0], plen[0]);
	put("networks/f0/last", part[1], plen[1]);
	put("ports/tcp-8080/0.0.0.0", part[2], plen[2]);
	put("networks/f0/endpoints/c1@eth0", part[3], plen[3]);

	inet_pton(AF_INET, "10.9.0.5", &ip);
	if (netd_ipam_owner("f0", ip, key, sizeof(key), &err) == 0)
		check_key(key);
	if (netd_ipam_foreach("f0", lease_cb, NULL, &err) < 0 && err.code == 0)
		abort();

	memset(&nc, 0, sizeof(nc));
	snprintf(nc.name, sizeof(nc.name), "f0");
	inet_pton(AF_INET, "10.9.0.0", &nc.subnet);
	nc.prefix = 29;
	if (netd_netconf_finish(&nc, "fuzz", &err) < 0)
		abort();
	memset(&err, 0, sizeof(err));
	/* the lease of another owner: refused, naming it */
	r = netd_ipam_alloc(&nc, "f0/c9@eth0", ip, &got, &err);
	if (r < 0 && (err.code == 0 || !memchr(err.msg, '\0', sizeof(err.msg))))
		abort();
	/* the next free one, resuming after "last" */
	r = netd_ipam_alloc(&nc, "f0/c8@eth0", (struct in_addr){0}, &got, &err);
	if (r == 0) {
		uint32_t g = ntohl(got.s_addr), lo = ntohl(nc.range_start.s_addr),
			 hi = ntohl(nc.range_end.s_addr);
		if (g < lo || g > hi || got.s_addr == nc.gateway.s_addr)
			abort();
	}

	if (netd_store_port_foreach(claim_cb, NULL, &err) < 0 && err.code == 0)
		abort();
	(void)netd_store_port_claimed(&port, key, sizeof(key), &err);
	inet_pton(AF_INET, "127.0.0.1", &port.host_ip);
	r = netd_store_port_claim(&port, "f0/c9@eth0", &err);
	if (r == 0 && netd_store_port_release(&port, "f0/c9@eth0", &err) < 0)
		abort();

	if (netd_store_endpoint_load("f0", "c1", "eth0", &ep, &err) == 0) {
		check_ep(&ep);
		if (strcmp(ep.network, "f0") || strcmp(ep.id, "c1") || strcmp(ep.ifname, "eth0"))
			abort();
		netd_endpoint_clear(&ep);
	}
	{
		struct netd_endpoint_damaged *bad = NULL;
		size_t n_bad = 0;

		if (netd_store_endpoint_scan(NULL, &eps, &n, &bad, &n_bad, &err) == 0) {
			for (size_t i = 0; i < n; i++)
				check_ep(&eps[i]);
			/* a damaged record is named by its file, never by what it holds */
			for (size_t i = 0; i < n_bad; i++)
				if (strcmp(bad[i].network, "f0") || strcmp(bad[i].id, "c1") ||
				    strcmp(bad[i].ifname, "eth0") ||
				    !memchr(bad[i].why, '\0', sizeof(bad[i].why)))
					abort();
			if (n + n_bad != 1)
				abort(); /* the one record file is either */
			netd_endpoints_free(eps, n);
			free(bad);
		}
	}
	return 0;
}
