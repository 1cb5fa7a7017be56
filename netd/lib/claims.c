/* SPDX-License-Identifier: MIT */
/*
 * Host port claims (layout in store.h): ports/PROTO-PORT/HOSTIP, files created by link()ing a
 * complete temp file into place, so a claim never exists half written.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <netd/addr.h>
#include <netd/netconf.h>
#include "claims.h"
#include "store.h"
#include "util.h"

static int port_dir(char *buf, size_t len, const struct netd_port *p, struct netd_err *err)
{
	const char *pn = netd_proto_name(p->proto);

	if (!pn)
		return netd_err_set(err, EINVAL, "port %u: unknown protocol %u", p->host_port,
				    p->proto);
	if (!p->host_port)
		return netd_err_set(err, EINVAL, "port 0/%s: no host port", pn);
	/* A claim is per family: attach has split a port of family 0 into one per family. */
	if (p->host_ip.family != AF_INET && p->host_ip.family != AF_INET6)
		return netd_err_set(err, EINVAL, "port %u/%s: no host address family", p->host_port,
				    pn);
	if (netd_path_fmt(buf, len, "%s/ports/%s-%u", netd_state_dir(), pn, p->host_port) < 0)
		return netd_err_set(err, ENAMETOOLONG, "port %u/%s: state path too long",
				    p->host_port, pn);
	return 0;
}

struct conflict {
	char addr[NETD_IP_STRLEN]; /* the address that holds the port */
	char owner[NETD_KEY_MAX + 1];
};

#define DAMAGED_OWNER "a damaged claim file (netd gc repairs it)"

/*
 * The owner of a claim file. A damaged claim still holds its port (its owner is unknown, not
 * absent): the owner reads as DAMAGED_OWNER. -ENOENT when there is none; other errors (a
 * permission error) fail.
 */
static int claim_owner(const char *path, char *owner, size_t len, struct netd_err *err)
{
	struct netd_err e = {0};
	int r = netd_owner_read(path, owner, len, &e);

	if (r == -NETD_EDAMAGED) {
		snprintf(owner, len, "%s", DAMAGED_OWNER);
		return 0;
	}
	if (r < 0 && r != -ENOENT)
		*err = e;
	return r;
}

/*
 * Looks for a claim that conflicts with (p, key): the same address, the wildcard when p is
 * specific, any address when p is the wildcard. key's own claim on the same address is no
 * conflict (key NULL: every claim is one). Returns 1 and fills c on conflict, 0 when free.
 */
static int find_conflict(const char *dir, const struct netd_port *p, const char *key,
			 struct conflict *c, struct netd_err *err)
{
	char path[PATH_MAX];
	char want[NETD_IP_STRLEN], wild[NETD_IP_STRLEN];
	const char *names[2];
	size_t n_names = 0;
	struct netd_ip any = {.family = p->host_ip.family};
	int r;

	netd_ip_format(&p->host_ip, want, sizeof(want));
	netd_ip_format(&any, wild, sizeof(wild));
	if (!netd_ip_is_zero(&p->host_ip)) {
		names[n_names++] = want;
		names[n_names++] = wild;
	} else {
		/* Every address that holds this port: one small directory. */
		DIR *d = opendir(dir);
		struct dirent *de;

		if (!d) {
			if (errno == ENOENT)
				return 0;
			return netd_err_sys(err, errno, "open %s", dir);
		}
		r = 0;
		while ((de = readdir(d))) {
			struct netd_ip a;

			/* Claims are per family: [::] does not take 0.0.0.0's connections. */
			if (de->d_name[0] == '.' ||
			    netd_ip_parse(de->d_name, AF_UNSPEC, &a, NULL) < 0 ||
			    !netd_port_hosts_meet(&a, &p->host_ip))
				continue;
			if (netd_path_fmt(path, sizeof(path), "%s/%s", dir, de->d_name) < 0)
				continue;
			r = claim_owner(path, c->owner, sizeof(c->owner), err);
			if (r == -ENOENT) {
				r = 0; /* released while we walk */
				continue;
			}
			if (r < 0)
				break;
			if (key && netd_ip_is_zero(&a) && !strcmp(c->owner, key))
				continue;
			snprintf(c->addr, sizeof(c->addr), "%s", de->d_name);
			r = 1;
			break;
		}
		closedir(d);
		return r;
	}
	for (size_t i = 0; i < n_names; i++) {
		if (netd_path_fmt(path, sizeof(path), "%s/%s", dir, names[i]) < 0)
			return netd_err_set(err, ENAMETOOLONG, "%s: path too long", dir);
		r = claim_owner(path, c->owner, sizeof(c->owner), err);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		if (i == 0 && key && !strcmp(c->owner, key))
			continue;
		snprintf(c->addr, sizeof(c->addr), "%s", names[i]);
		return 1;
	}
	return 0;
}

static int conflict_error(const struct netd_port *p, const struct conflict *c, struct netd_err *err)
{
	char want[NETD_IP_STRLEN];
	char net[NETD_NETNAME_MAX + 1];
	const char *pn = netd_proto_name(p->proto);
	const char *slash = strchr(c->owner, '/');
	const char *at = strrchr(c->owner, '@');
	char on[NETD_IP_STRLEN + 8] = "";

	netd_ip_format(&p->host_ip, want, sizeof(want));
	if (strcmp(want, c->addr))
		snprintf(on, sizeof(on), " on %s", c->addr);
	if (slash && at && at > slash && (size_t)(slash - c->owner) < sizeof(net)) {
		memcpy(net, c->owner, (size_t)(slash - c->owner));
		net[slash - c->owner] = '\0';
		return netd_err_set(
		    err, EADDRINUSE,
		    "port %u/%s is already published%s by endpoint %.*s (network %s)", p->host_port,
		    pn, on, (int)(at - slash - 1), slash + 1, net);
	}
	return netd_err_set(err, EADDRINUSE, "port %u/%s is already published%s by %s",
			    p->host_port, pn, on, c->owner);
}

int netd_store_port_claim(const struct netd_port *p, const char *key, struct netd_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
	char ip[NETD_IP_STRLEN];
	struct conflict c;
	cleanup_close int fd = -1;
	int r;

	r = port_dir(dir, sizeof(dir), p, err);
	if (r < 0)
		return r;
	if (!key || !*key || strlen(key) > NETD_KEY_MAX || strchr(key, '\n'))
		return netd_err_set(err, EINVAL, "port %u/%s: invalid owner key", p->host_port,
				    netd_proto_name(p->proto));
	r = find_conflict(dir, p, key, &c, err);
	if (r < 0)
		return netd_err_prefix(err, "port %u/%s: claim", p->host_port,
				       netd_proto_name(p->proto));
	if (r > 0)
		return conflict_error(p, &c, err);

	netd_ip_format(&p->host_ip, ip, sizeof(ip));
	if (netd_path_fmt(path, sizeof(path), "%s/%s", dir, ip) < 0)
		return netd_err_set(err, ENAMETOOLONG, "%s: path too long", dir);
	r = netd_mkdirs(dir, false, err);
	if (r < 0)
		return netd_err_prefix(err, "port %u/%s: claim", p->host_port,
				       netd_proto_name(p->proto));
	fd = netd_file_tmp(dir, 0644, tmp, sizeof(tmp), err);
	if (fd < 0)
		return netd_err_prefix(err, "port %u/%s: claim", p->host_port,
				       netd_proto_name(p->proto));
	r = netd_owner_write(fd, key);
	if (r == 0 && link(tmp, path) < 0)
		r = -errno;
	unlink(tmp);
	if (r == -EEXIST) {
		/* Claimed since we looked (by the same key, or without the lock): look again. */
		r = find_conflict(dir, p, key, &c, err);
		if (r > 0)
			return conflict_error(p, &c, err);
		if (r < 0)
			return netd_err_prefix(err, "port %u/%s: claim", p->host_port,
					       netd_proto_name(p->proto));
		return 0;
	}
	if (r < 0)
		return netd_err_write(err, -r, path, "port %u/%s: claim %s", p->host_port,
				      netd_proto_name(p->proto), path);
	netd_fsync_dir(dir);
	return 0;
}

/* The claim file of p (PORTS/PROTO-PORT/ADDR) and its directory; both PATH_MAX long. */
static int claim_file(const struct netd_port *p, char *dir, char *path, struct netd_err *err)
{
	char ip[NETD_IP_STRLEN];
	int r = port_dir(dir, PATH_MAX, p, err);

	if (r < 0)
		return r;
	netd_ip_format(&p->host_ip, ip, sizeof(ip));
	if (netd_path_fmt(path, PATH_MAX, "%s/%s", dir, ip) < 0)
		return netd_err_set(err, ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

int netd_store_port_repair(const struct netd_port *p, const char *key, struct netd_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int r;

	r = claim_file(p, dir, path, err);
	if (r < 0)
		return r;
	r = netd_mkdirs(dir, false, err);
	if (r == 0)
		r = netd_owner_replace(path, key, err);
	if (r < 0)
		return netd_err_prefix(err, "port %u/%s: repair claim", p->host_port,
				       netd_proto_name(p->proto));
	return 0;
}

int netd_store_port_release(const struct netd_port *p, const char *key, struct netd_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	char owner[NETD_KEY_MAX + 1];
	int r;

	r = claim_file(p, dir, path, err);
	if (r < 0)
		return r;
	if (key) {
		struct netd_err e2 = {0};

		r = netd_owner_read_known(path, key, owner, sizeof(owner), &e2);
		/* A damaged claim's owner is unknown: gc decides from the records. */
		if (r == -ENOENT || r == -NETD_EDAMAGED)
			return 0;
		if (r < 0) {
			*err = e2;
			return netd_err_prefix(err, "port %u/%s: release", p->host_port,
					       netd_proto_name(p->proto));
		}
		if (strcmp(owner, key))
			return 0; /* someone else's claim: not ours to drop */
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return netd_err_sys(err, errno, "port %u/%s: release %s", p->host_port,
				    netd_proto_name(p->proto), path);
	if (rmdir(dir) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
		return netd_err_sys(err, errno, "port %u/%s: remove %s", p->host_port,
				    netd_proto_name(p->proto), dir);
	return 0;
}

int netd_store_port_owner(const struct netd_port *p, char *owner, size_t len, struct netd_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int r;

	r = claim_file(p, dir, path, err);
	if (r < 0)
		return r;
	return netd_owner_read(path, owner, len, err);
}

/* The claim that stands in the way of p for key (NULL: anyone's): 1 with *c filled, 0 when none. */
static int port_conflict(const struct netd_port *p, const char *key, struct conflict *c,
			 struct netd_err *err)
{
	char dir[PATH_MAX];
	int r;

	r = port_dir(dir, sizeof(dir), p, err);
	if (r < 0)
		return r;
	r = find_conflict(dir, p, key, c, err);
	if (r < 0)
		return netd_err_prefix(err, "port %u/%s", p->host_port, netd_proto_name(p->proto));
	return r;
}

int netd_store_port_claimed(const struct netd_port *p, char *owner, size_t len,
			    struct netd_err *err)
{
	struct conflict c;
	int r = port_conflict(p, NULL, &c, err);

	if (r > 0 && owner && len)
		snprintf(owner, len, "%s", c.owner);
	return r;
}

int netd_store_port_free(const struct netd_port *p, const char *key, struct netd_err *err)
{
	struct conflict c;
	int r = port_conflict(p, key, &c, err);

	return r > 0 ? conflict_error(p, &c, err) : r;
}

/* "tcp-8080" -> proto, port */
static bool parse_port_dir(const char *name, struct netd_port *p)
{
	const char *dash = strchr(name, '-');
	uint64_t v;

	if (!dash)
		return false;
	memset(p, 0, sizeof(*p));
	p->proto = netd_proto_from_text(name, (size_t)(dash - name));
	if (!p->proto || !netd_parse_uint_n(dash + 1, strlen(dash + 1), 65535, &v) || v == 0)
		return false;
	p->host_port = (uint16_t)v;
	return true;
}

int netd_store_port_foreach(netd_portclaim_fn fn, void *arg, struct netd_err *err)
{
	char top[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	char owner[NETD_KEY_MAX + 1];
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (netd_path_fmt(top, sizeof(top), "%s/ports", netd_state_dir()) < 0)
		return netd_err_set(err, ENAMETOOLONG, "ports: state path too long");
	d = opendir(top);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return netd_err_sys(err, errno, "ports: open %s", top);
	}
	while (r >= 0 && (de = readdir(d))) {
		struct netd_port p;
		struct dirent *de2;
		DIR *d2;

		if (!parse_port_dir(de->d_name, &p))
			continue;
		if (netd_path_fmt(dir, sizeof(dir), "%s/%s", top, de->d_name) < 0)
			continue;
		d2 = opendir(dir);
		if (!d2) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue; /* removed while we walk; not a port dir */
			r = netd_err_sys(err, errno, "ports: open %s", dir);
			break;
		}
		while ((de2 = readdir(d2))) {
			struct netd_err e = {0};

			if (de2->d_name[0] == '.' ||
			    netd_ip_parse(de2->d_name, AF_UNSPEC, &p.host_ip, NULL) < 0)
				continue;
			if (netd_path_fmt(path, sizeof(path), "%s/%s", dir, de2->d_name) < 0)
				continue;
			r = netd_owner_read(path, owner, sizeof(owner), &e);
			if (r == -ENOENT)
				continue; /* released while we walk */
			if (r < 0 && r != -NETD_EDAMAGED) {
				*err = e;
				break;
			}
			r = fn(&p, r == 0 ? owner : NULL, arg);
			if (r < 0)
				break;
			r = 0;
		}
		closedir(d2);
	}
	closedir(d);
	return r;
}
