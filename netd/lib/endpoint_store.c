/* SPDX-License-Identifier: MIT */
/*
 * Endpoint record files (layout in store.h): networks/NET/endpoints/ID@IFNAME, written
 * atomically; their text form is endpoint_record.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <netd/names.h>
#include <netd/netconf.h>
#include "endpoint_record.h"
#include "endpoint_store.h"
#include "store.h"
#include "util.h"

static int endpoint_path(char *buf, size_t len, const char *network, const char *id,
			 const char *ifname, struct netd_err *err)
{
	if (netd_path_fmt(buf, len, "%s/networks/%s/endpoints/%s@%s", netd_state_dir(), network, id,
			  ifname) < 0)
		return netd_err_set(err, ENAMETOOLONG, "endpoint %s@%s: state path too long", id,
				    ifname);
	return 0;
}

int netd_store_endpoint_save(const struct netd_endpoint *ep, struct netd_err *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	cleanup_free char *text = NULL;
	int r;

	r = netd_endpoint_format(ep, &text, err);
	if (r < 0)
		return r;
	if (netd_path_fmt(dir, sizeof(dir), "%s/networks/%s/endpoints", netd_state_dir(),
			  ep->network) < 0)
		return netd_err_set(err, ENAMETOOLONG, "network %s: state path too long",
				    ep->network);
	r = endpoint_path(path, sizeof(path), ep->network, ep->id, ep->ifname, err);
	if (r < 0)
		return r;
	r = netd_mkdirs(dir, false, err);
	if (r == 0)
		r = netd_file_replace(path, text, strlen(text), 0644, err);
	if (r < 0)
		return netd_err_prefix(err, "endpoint %s@%s: save", ep->id, ep->ifname);
	return 0;
}

/*
 * Reads and parses one record file; the record must be the one its name says. A file that is
 * there but is no such record (not a regular file, a symlink, garbage, truncated, another
 * endpoint's) is -NETD_EDAMAGED, with a message that names the file and never quotes it.
 */
static int load_file(const char *path, const char *network, const char *id, const char *ifname,
		     struct netd_endpoint *ep, struct netd_err *err)
{
	cleanup_free char *text = NULL;
	const char *where = strrchr(path, '/');
	size_t len = 0;
	int r;

	r = netd_file_read(path, 0, &text, &len, err);
	if (r < 0)
		return r;
	if (strlen(text) != len)
		return netd_err_set(err, NETD_EDAMAGED, "%s: damaged: holds a NUL byte", path);
	r = netd_endpoint_parse_of(text, where ? where + 1 : path, network, id, ifname, ep, err);
	if (r < 0) {
		netd_err_prefix(err, "%s: damaged", path);
		err->code = NETD_EDAMAGED;
		return -NETD_EDAMAGED;
	}
	if (strcmp(ep->network, network) || strcmp(ep->id, id) || strcmp(ep->ifname, ifname)) {
		netd_endpoint_clear(ep);
		return netd_err_set(err, NETD_EDAMAGED,
				    "%s: damaged: holds the record of another endpoint", path);
	}
	return 0;
}

int netd_store_endpoint_load(const char *network, const char *id, const char *ifname,
			     struct netd_endpoint *ep, struct netd_err *err)
{
	char path[PATH_MAX];
	int r;

	r = endpoint_path(path, sizeof(path), network, id, ifname, err);
	if (r < 0)
		return r;
	r = load_file(path, network, id, ifname, ep, err);
	if (r == -ENOENT)
		return netd_err_set(err, ENOENT, "endpoint %s@%s: not found on network %s", id,
				    ifname, network);
	if (r < 0)
		return netd_err_prefix(err, "endpoint %s@%s: load", id, ifname);
	return 0;
}

int netd_store_endpoint_delete(const char *network, const char *id, const char *ifname,
			       struct netd_err *err)
{
	char path[PATH_MAX];
	int r;

	r = endpoint_path(path, sizeof(path), network, id, ifname, err);
	if (r < 0)
		return r;
	/* A damaged record may be an empty directory in the record's place. */
	if (unlink(path) < 0 && errno != ENOENT && !(errno == EISDIR && rmdir(path) == 0))
		return netd_err_sys(err, errno, "endpoint %s@%s: delete %s", id, ifname, path);
	return 0;
}

struct eplist {
	struct netd_endpoint *v;
	size_t n, cap;
	struct netd_endpoint_damaged *bad; /* NULL: damaged records are not collected */
	size_t n_bad, cap_bad;
	bool want_bad;
};

/* A temp file of an atomic write: ".tmp-PID-N" now, "NAME.tmp.PID" before. Not a record. */
static bool temp_name(const char *name)
{
	const char *t = strstr(name, ".tmp.");

	if (name[0] == '.')
		return true;
	if (!t)
		return false;
	for (t += 5; *t; t++)
		if (*t < '0' || *t > '9')
			return false;
	return true;
}

/*
 * Appends every record of one network; a record that cannot be read as one is damaged (kept in
 * l->bad when asked for), a permission error fails the walk: it is never taken for "no record".
 */
static int list_network(const char *network, struct eplist *l, struct netd_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (netd_path_fmt(dir, sizeof(dir), "%s/networks/%s/endpoints", netd_state_dir(), network) <
	    0)
		return 0;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0; /* no endpoints dir: no endpoints */
		return netd_err_sys(err, errno, "list endpoints: open %s", dir);
	}
	while ((de = readdir(d))) {
		char name[NETD_ID_MAX + NETD_IFNAME_MAX + 2];
		struct netd_endpoint ep;
		struct netd_err e = {0};
		char *at;

		if (temp_name(de->d_name) || strlen(de->d_name) >= sizeof(name))
			continue;
		strcpy(name, de->d_name);
		at = strrchr(name, '@');
		if (!at)
			continue;
		*at = '\0';
		if (netd_name_check_id(name, NULL) < 0 || netd_name_check_ifname(at + 1, NULL) < 0)
			continue; /* not a name of ours: not a record */
		if (netd_path_fmt(path, sizeof(path), "%s/%s", dir, de->d_name) < 0)
			continue;
		r = load_file(path, network, name, at + 1, &ep, &e);
		if (r == -ENOENT) {
			r = 0; /* removed while we walk */
			continue;
		}
		if (r == -NETD_EDAMAGED) {
			r = 0;
			if (!l->want_bad)
				continue;
			if (netd_grow((void **)&l->bad, &l->cap_bad, l->n_bad, sizeof(*l->bad)) <
			    0) {
				r = netd_err_set(err, ENOMEM, "list endpoints: out of memory");
				break;
			}
			struct netd_endpoint_damaged *b = &l->bad[l->n_bad++];
			memset(b, 0, sizeof(*b));
			snprintf(b->network, sizeof(b->network), "%s", network);
			snprintf(b->id, sizeof(b->id), "%s", name);
			snprintf(b->ifname, sizeof(b->ifname), "%s", at + 1);
			snprintf(b->why, sizeof(b->why), "%s", e.msg);
			continue;
		}
		if (r < 0) {
			*err = e;
			netd_err_prefix(err, "list endpoints");
			break;
		}
		if (netd_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v)) < 0) {
			netd_endpoint_clear(&ep);
			r = netd_err_set(err, ENOMEM, "list endpoints: out of memory");
			break;
		}
		l->v[l->n++] = ep;
	}
	closedir(d);
	return r;
}

/* Records sort by network, id, ifname: the key's order. */
static int key_cmp(const char *na, const char *ia, const char *fa, const char *nb, const char *ib,
		   const char *fb)
{
	int c = strcmp(na, nb);

	if (!c)
		c = strcmp(ia, ib);
	if (!c)
		c = strcmp(fa, fb);
	return c;
}

static int ep_cmp(const void *a, const void *b)
{
	const struct netd_endpoint *x = a, *y = b;

	return key_cmp(x->network, x->id, x->ifname, y->network, y->id, y->ifname);
}

static int bad_cmp(const void *a, const void *b)
{
	const struct netd_endpoint_damaged *x = a, *y = b;

	return key_cmp(x->network, x->id, x->ifname, y->network, y->id, y->ifname);
}

int netd_store_endpoint_scan_in(char *const *networks, size_t n_networks,
				struct netd_endpoint **eps, size_t *n,
				struct netd_endpoint_damaged **bad, size_t *n_bad,
				struct netd_err *err)
{
	struct eplist l = {.want_bad = bad != NULL};
	int r = 0;

	*eps = NULL;
	*n = 0;
	if (bad) {
		*bad = NULL;
		*n_bad = 0;
	}
	for (size_t i = 0; i < n_networks && r == 0; i++)
		r = list_network(networks[i], &l, err);
	if (r < 0) {
		netd_endpoints_free(l.v, l.n);
		free(l.bad);
		return r;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), ep_cmp);
	if (l.n_bad > 1)
		qsort(l.bad, l.n_bad, sizeof(*l.bad), bad_cmp);
	*eps = l.v;
	*n = l.n;
	if (bad) {
		*bad = l.bad;
		*n_bad = l.n_bad;
	}
	return 0;
}

int netd_store_endpoint_scan(const char *network, struct netd_endpoint **eps, size_t *n,
			     struct netd_endpoint_damaged **bad, size_t *n_bad,
			     struct netd_err *err)
{
	char **nets = NULL;
	size_t nn = 0;
	int r;

	if (network)
		return netd_store_endpoint_scan_in((char *const *)&network, 1, eps, n, bad, n_bad,
						   err);
	r = netd_store_networks(&nets, &nn, err);
	if (r < 0)
		return netd_err_prefix(err, "list endpoints");
	r = netd_store_endpoint_scan_in(nets, nn, eps, n, bad, n_bad, err);
	netd_strv_free(nets, nn);
	return r;
}

int netd_store_endpoint_list(const char *network, struct netd_endpoint **eps, size_t *n,
			     struct netd_err *err)
{
	return netd_store_endpoint_scan(network, eps, n, NULL, NULL, err);
}
