/* SPDX-License-Identifier: MIT */
/*
 * The state dir's endpoint records and host port claims (layout in store.h). Records are
 * key=value text written atomically; port claims are files created by link()ing a complete temp
 * file into place, so a claim never exists half written.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <netd/addr.h>
#include <netd/names.h>
#include "store.h"
#include "util.h"

#define MAX_PORTS     65536 /* per record: a full range 1-65535 fits */
#define WILDCARD_NAME "0.0.0.0"

/* ---- small helpers (names, protocols, keys) ---- */

/* The rules of names.c; err may be NULL. */
static int check_names(const char *network, const char *id, const char *ifname,
		       struct netd_err *err)
{
	int r = netd_name_check_network(network, err);

	if (r == 0)
		r = netd_name_check_id(id, err);
	if (r == 0)
		r = netd_name_check_ifname(ifname, err);
	return r;
}

int netd_store_key(char *buf, size_t len, const char *network, const char *id, const char *ifname)
{
	return netd_path_fmt(buf, len, "%s/%s@%s", network, id, ifname);
}

/* Reads an owner key file, trailing newline stripped; -ENOENT passes through. */
/* ---- locks ---- */

static int lock_network(const char *network, bool create, struct netd_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int r;

	if (netd_name_check_network(network, err) < 0)
		return -EINVAL;
	if (netd_path_fmt(path, sizeof(path), "%s/networks/%s/lock", netd_state_dir(), network) < 0)
		return netd_err_set(err, ENAMETOOLONG, "network %s: state path too long", network);
	for (int i = 0; create && i < 2; i++) {
		if (netd_path_fmt(dir, sizeof(dir), "%s/networks/%s/%s", netd_state_dir(), network,
				  i ? "endpoints" : "ips") < 0)
			return netd_err_set(err, ENAMETOOLONG, "network %s: state path too long",
					    network);
		r = netd_mkdirs(dir, false, err);
		if (r < 0)
			return netd_err_prefix(err, "network %s: lock", network);
	}
	r = netd_lock_file(path, err);
	if (r == -ENOENT && !create)
		return netd_err_set(err, ENOENT, "network %s: no state", network);
	if (r < 0)
		return netd_err_prefix(err, "network %s", network);
	return r;
}

int netd_store_lock_network(const char *network, struct netd_err *err)
{
	return lock_network(network, true, err);
}

int netd_store_lock_network_existing(const char *network, struct netd_err *err)
{
	return lock_network(network, false, err);
}

int netd_store_lock_ports(struct netd_err *err)
{
	char path[PATH_MAX];
	int r;

	r = netd_mkdirs(netd_state_dir(), false, err);
	if (r < 0)
		return netd_err_prefix(err, "ports lock");
	if (netd_path_fmt(path, sizeof(path), "%s/ports.lock", netd_state_dir()) < 0)
		return netd_err_set(err, ENAMETOOLONG, "ports lock: state path too long");
	r = netd_lock_file(path, err);
	if (r < 0)
		return netd_err_prefix(err, "ports");
	return r;
}

/* ---- endpoint records: text form ---- */

void netd_endpoint_clear(struct netd_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->ports);
	memset(ep, 0, sizeof(*ep));
}

void netd_endpoints_free(struct netd_endpoint *eps, size_t n)
{
	if (!eps)
		return;
	for (size_t i = 0; i < n; i++)
		netd_endpoint_clear(&eps[i]);
	free(eps);
}

/* A free-text field (netns path): printable, no newline, fits its buffer. */
static bool text_ok(const char *s, size_t size)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n + 1 >= size || (unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return false;
	return true;
}

static bool state_ok(const char *s, size_t size)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n + 1 >= size || !((s[n] >= 'a' && s[n] <= 'z') || s[n] == '-' || s[n] == '_'))
			return false;
	return true;
}

/* Buffer growing by appends; on allocation failure it stays failed. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void NETD_PRINTF(2, 3) sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t want = b->len + (size_t)n + 1;
		size_t cap = b->cap ? b->cap : 512;
		while (cap < want)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

/* The names of an endpoint on its network (dns.c): DNS labels, at most NETD_ALIASES_MAX. */
static int dns_names_ok(const struct netd_endpoint *ep, struct netd_err *err)
{
	struct netd_err e2;

	if (ep->n_aliases > NETD_ALIASES_MAX)
		return netd_err_set(err, EINVAL, "endpoint %s@%s: more than %d aliases", ep->id,
				    ep->ifname, NETD_ALIASES_MAX);
	if (ep->name[0] && netd_name_check_dns(ep->name, &e2) < 0)
		return netd_err_set(err, EINVAL, "endpoint %s@%s: %s", ep->id, ep->ifname, e2.msg);
	for (size_t i = 0; i < ep->n_aliases; i++)
		if (netd_name_check_dns(ep->aliases[i], &e2) < 0)
			return netd_err_set(err, EINVAL, "endpoint %s@%s: alias: %s", ep->id,
					    ep->ifname, e2.msg);
	return 0;
}

int netd_endpoint_format(const struct netd_endpoint *ep, char **out, struct netd_err *err)
{
	struct sbuf b = {0};
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], hip[INET_ADDRSTRLEN];
	char mac[NETD_MAC_STRLEN];
	int r;

	r = check_names(ep->network, ep->id, ep->ifname, err);
	if (r < 0)
		return netd_err_prefix(err, "endpoint record");
	if ((ep->host_ifname[0] && netd_name_check_ifname(ep->host_ifname, NULL) < 0) ||
	    (ep->bridge[0] && netd_name_check_ifname(ep->bridge, NULL) < 0))
		return netd_err_set(err, EINVAL, "endpoint %s@%s: invalid interface name", ep->id,
				    ep->ifname);
	if (!text_ok(ep->netns, sizeof(ep->netns)) || !state_ok(ep->state, sizeof(ep->state)))
		return netd_err_set(err, EINVAL, "endpoint %s@%s: invalid netns path or state",
				    ep->id, ep->ifname);
	if (ep->prefix > 32 || ep->mtu > 65535 || ep->host_ifindex < 0 || ep->ctr_ifindex < 0 ||
	    ep->created < 0 || ep->pid < 0)
		return netd_err_set(err, EINVAL, "endpoint %s@%s: field out of range", ep->id,
				    ep->ifname);
	if (ep->n_routes > ARRAY_SIZE(ep->routes))
		return netd_err_set(err, EINVAL, "endpoint %s@%s: too many routes", ep->id,
				    ep->ifname);
	if (ep->n_ports > MAX_PORTS || (ep->n_ports && !ep->ports))
		return netd_err_set(err, EINVAL, "endpoint %s@%s: bad port list", ep->id,
				    ep->ifname);
	r = dns_names_ok(ep, err);
	if (r < 0)
		return r;
	netd_ip4_format(ep->ip, ip, sizeof(ip));
	netd_ip4_format(ep->gateway, gw, sizeof(gw));

	sb_printf(&b, "network=%s\nid=%s\nifname=%s\nhost_ifname=%s\nbridge=%s\nnetns=%s\n",
		  ep->network, ep->id, ep->ifname, ep->host_ifname, ep->bridge, ep->netns);
	sb_printf(&b, "mac=%s\n", netd_mac_format(ep->mac, mac, sizeof(mac)));
	sb_printf(&b, "ip=%s/%u\ngateway=%s\nmtu=%u\nhost_ifindex=%d\nctr_ifindex=%d\n", ip,
		  ep->prefix, gw, ep->mtu, ep->host_ifindex, ep->ctr_ifindex);
	sb_printf(&b, "created=%" PRId64 "\nstate=%s\npid=%d\n", (int64_t)ep->created, ep->state,
		  ep->pid);
	if (ep->external_ipam)
		sb_printf(&b, "ipam=external\n");
	if (ep->name[0])
		sb_printf(&b, "name=%s\n", ep->name);
	for (size_t i = 0; i < ep->n_aliases; i++)
		sb_printf(&b, "alias=%s\n", ep->aliases[i]);
	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct netd_port *p = &ep->ports[i];
		const char *pn = netd_proto_name(p->proto);

		if (!pn || !p->host_port || !p->ctr_port) {
			free(b.p);
			return netd_err_set(err, EINVAL, "endpoint %s@%s: port %zu is invalid",
					    ep->id, ep->ifname, i + 1);
		}
		netd_ip4_format(p->host_ip, hip, sizeof(hip));
		sb_printf(&b, "port=%s %s %u %u\n", pn, hip, p->host_port, p->ctr_port);
	}
	/* "none" keeps a record without routes apart from one written before routes were. */
	if (!ep->n_routes)
		sb_printf(&b, "route=none\n");
	for (size_t i = 0; i < ep->n_routes && i < ARRAY_SIZE(ep->routes); i++) {
		netd_ip4_format(ep->routes[i].dst, ip, sizeof(ip));
		netd_ip4_format(ep->routes[i].gw, gw, sizeof(gw));
		sb_printf(&b, "route=%s/%u %s\n", ip, ep->routes[i].prefix, gw);
	}
	if (b.oom) {
		free(b.p);
		return netd_err_set(err, ENOMEM, "endpoint %s@%s: format: out of memory", ep->id,
				    ep->ifname);
	}
	*out = b.p;
	return 0;
}

/* Strict unsigned decimal of [s, s+len): digits only, at most max. */
static bool parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool parse_ip(const char *s, size_t len, struct in_addr *a)
{
	struct netd_ip ip;

	if (netd_ip_parse_n(s, len, AF_INET, &ip, NULL) < 0)
		return false;
	*a = ip.v4;
	return true;
}

static bool parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	return netd_mac_parse_n(s, len, mac, NULL) == 0;
}

/* Copies a value into a fixed field; false when it does not fit. */
static bool copy_field(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

/* "DST/PREFIX GW", or "none" (then nothing is added) */
static bool parse_route(const char *s, size_t len, struct netd_endpoint *ep)
{
	const char *sp = memchr(s, ' ', len);
	struct netd_route rt = {0};
	struct netd_prefix dst;

	if (len == 4 && !memcmp(s, "none", 4))
		return true;
	if (!sp || ep->n_routes >= ARRAY_SIZE(ep->routes))
		return false;
	if (netd_prefix_parse_n(s, (size_t)(sp - s), AF_INET, &dst, NULL) < 0 ||
	    !parse_ip(sp + 1, len - (size_t)(sp + 1 - s), &rt.gw))
		return false;
	rt.dst = dst.ip.v4;
	rt.prefix = dst.len;
	ep->routes[ep->n_routes++] = rt;
	return true;
}

/* "PROTO HOSTIP HOSTPORT CTRPORT" */
static bool parse_port(const char *s, size_t len, struct netd_port *p)
{
	const char *f[4];
	size_t fl[4];
	size_t i = 0, nf = 0;
	uint64_t v;

	/* Exactly four fields separated by single spaces. */
	for (;;) {
		size_t st = i;
		while (i < len && s[i] != ' ')
			i++;
		if (nf == 4)
			return false;
		f[nf] = s + st;
		fl[nf] = i - st;
		nf++;
		if (i == len)
			break;
		i++;
	}
	if (nf != 4)
		return false;
	memset(p, 0, sizeof(*p));
	p->proto = netd_proto_from_text(f[0], fl[0]);
	if (!p->proto || !parse_ip(f[1], fl[1], &p->host_ip))
		return false;
	if (!parse_uint(f[2], fl[2], 65535, &v) || v == 0)
		return false;
	p->host_port = (uint16_t)v;
	if (!parse_uint(f[3], fl[3], 65535, &v) || v == 0)
		return false;
	p->ctr_port = (uint16_t)v;
	return true;
}

enum ep_key {
	K_NETWORK,
	K_ID,
	K_IFNAME,
	K_HOST_IFNAME,
	K_BRIDGE,
	K_NETNS,
	K_MAC,
	K_IP,
	K_GATEWAY,
	K_MTU,
	K_HOST_IFINDEX,
	K_CTR_IFINDEX,
	K_CREATED,
	K_STATE,
	K_PID,
	K_IPAM,
	K_PORT,
	K_ROUTE,
	K_NAME,
	K_ALIAS,
	K_COUNT,
};

static const char *const ep_keys[K_COUNT] = {
    [K_NETWORK] = "network",
    [K_ID] = "id",
    [K_IFNAME] = "ifname",
    [K_HOST_IFNAME] = "host_ifname",
    [K_BRIDGE] = "bridge",
    [K_NETNS] = "netns",
    [K_MAC] = "mac",
    [K_IP] = "ip",
    [K_GATEWAY] = "gateway",
    [K_MTU] = "mtu",
    [K_HOST_IFINDEX] = "host_ifindex",
    [K_CTR_IFINDEX] = "ctr_ifindex",
    [K_CREATED] = "created",
    [K_STATE] = "state",
    [K_PID] = "pid",
    [K_IPAM] = "ipam",
    [K_PORT] = "port",
    [K_ROUTE] = "route",
    [K_NAME] = "name",
    [K_ALIAS] = "alias",
};

/* Sets one field from a value; false when the value is not valid for it. */
static bool set_field(struct netd_endpoint *ep, enum ep_key k, const char *v, size_t vl)
{
	struct netd_err e2;
	uint64_t u;

	switch (k) {
	case K_NETWORK:
		return copy_field(ep->network, sizeof(ep->network), v, vl) &&
		       netd_name_check_network(ep->network, NULL) == 0;
	case K_ID:
		return copy_field(ep->id, sizeof(ep->id), v, vl) &&
		       netd_name_check_id(ep->id, NULL) == 0;
	case K_IFNAME:
		return copy_field(ep->ifname, sizeof(ep->ifname), v, vl) &&
		       netd_name_check_ifname(ep->ifname, NULL) == 0;
	case K_HOST_IFNAME:
		return copy_field(ep->host_ifname, sizeof(ep->host_ifname), v, vl) &&
		       (!vl || netd_name_check_ifname(ep->host_ifname, NULL) == 0);
	case K_BRIDGE:
		return copy_field(ep->bridge, sizeof(ep->bridge), v, vl) &&
		       (!vl || netd_name_check_ifname(ep->bridge, NULL) == 0);
	case K_NETNS:
		return copy_field(ep->netns, sizeof(ep->netns), v, vl) &&
		       text_ok(ep->netns, sizeof(ep->netns));
	case K_MAC:
		return parse_mac(v, vl, ep->mac);
	case K_IP: {
		struct netd_prefix p;

		if (netd_prefix_parse_n(v, vl, AF_INET, &p, NULL) < 0)
			return false;
		ep->ip = p.ip.v4;
		ep->prefix = p.len;
		return true;
	}
	case K_GATEWAY:
		return parse_ip(v, vl, &ep->gateway);
	case K_MTU:
		if (!parse_uint(v, vl, 65535, &u))
			return false;
		ep->mtu = (unsigned)u;
		return true;
	case K_HOST_IFINDEX:
	case K_CTR_IFINDEX:
	case K_PID:
		if (!parse_uint(v, vl, INT_MAX, &u))
			return false;
		if (k == K_HOST_IFINDEX)
			ep->host_ifindex = (int)u;
		else if (k == K_CTR_IFINDEX)
			ep->ctr_ifindex = (int)u;
		else
			ep->pid = (int)u;
		return true;
	case K_CREATED:
		if (!parse_uint(v, vl, INT64_MAX, &u))
			return false;
		ep->created = (time_t)u;
		return true;
	case K_STATE:
		return copy_field(ep->state, sizeof(ep->state), v, vl) &&
		       state_ok(ep->state, sizeof(ep->state));
	case K_IPAM:
		if (vl == 4 && !memcmp(v, "netd", 4))
			ep->external_ipam = false;
		else if (vl == 8 && !memcmp(v, "external", 8))
			ep->external_ipam = true;
		else
			return false;
		return true;
	case K_NAME:
		return copy_field(ep->name, sizeof(ep->name), v, vl) &&
		       netd_name_check_dns(ep->name, &e2) == 0;
	case K_ALIAS:
		if (ep->n_aliases >= NETD_ALIASES_MAX ||
		    !copy_field(ep->aliases[ep->n_aliases], sizeof(ep->aliases[0]), v, vl) ||
		    netd_name_check_dns(ep->aliases[ep->n_aliases], &e2) < 0)
			return false;
		ep->n_aliases++;
		return true;
	case K_PORT:
	case K_ROUTE:
	case K_COUNT:
		break;
	}
	return false;
}

static int add_port(struct netd_endpoint *ep, size_t *cap, const struct netd_port *p)
{
	if (ep->n_ports == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct netd_port *np;

		if (ep->n_ports >= MAX_PORTS)
			return -E2BIG;
		np = realloc(ep->ports, ncap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		ep->ports = np;
		*cap = ncap;
	}
	ep->ports[ep->n_ports++] = *p;
	return 0;
}

int netd_endpoint_parse(const char *text, const char *where, struct netd_endpoint *ep,
			struct netd_err *err)
{
	struct netd_endpoint tmp = {0};
	bool seen[K_COUNT] = {false};
	size_t cap = 0;
	unsigned line = 0;
	const char *p = text;
	int r = 0;

	if (!where)
		where = "endpoint record";
	memset(ep, 0, sizeof(*ep));
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *eq;
		size_t kl;
		int k;

		line++;
		if (len == 0 || p[0] == '#')
			goto next;
		eq = memchr(p, '=', len);
		if (!eq) {
			r = netd_err_set(err, EINVAL, "%s:%u: expected key=value", where, line);
			goto fail;
		}
		kl = (size_t)(eq - p);
		for (k = 0; k < K_COUNT; k++)
			if (strlen(ep_keys[k]) == kl && !memcmp(ep_keys[k], p, kl))
				break;
		if (k == K_COUNT) {
			/* The key is not quoted: a damaged file may hold anything. */
			r = netd_err_set(
			    err, EINVAL,
			    "%s:%u: unknown key (a record has network, id, ifname, "
			    "host_ifname, bridge, netns, mac, ip, gateway, mtu, "
			    "host_ifindex, ctr_ifindex, created, state, pid, ipam, port)",
			    where, line);
			goto fail;
		}
		if (k == K_PORT) {
			struct netd_port port;

			if (!parse_port(eq + 1, len - kl - 1, &port)) {
				r = netd_err_set(err, EINVAL,
						 "%s:%u: bad port (want PROTO HOSTIP HOSTPORT "
						 "CTRPORT)",
						 where, line);
				goto fail;
			}
			r = add_port(&tmp, &cap, &port);
			if (r < 0) {
				r = netd_err_set(err, -r, "%s:%u: %s", where, line,
						 r == -ENOMEM ? "out of memory" : "too many ports");
				goto fail;
			}
			goto next;
		}
		if (k == K_ROUTE) {
			seen[k] = true;
			if (!parse_route(eq + 1, len - kl - 1, &tmp)) {
				r = netd_err_set(err, EINVAL,
						 "%s:%u: bad route (want DST/PREFIX GATEWAY)",
						 where, line);
				goto fail;
			}
			goto next;
		}
		if (seen[k] && k != K_ALIAS) {
			r = netd_err_set(err, EINVAL, "%s:%u: duplicate key '%s'", where, line,
					 ep_keys[k]);
			goto fail;
		}
		seen[k] = true;
		if (!set_field(&tmp, (enum ep_key)k, eq + 1, len - kl - 1)) {
			r = netd_err_set(err, EINVAL, "%s:%u: bad %s", where, line, ep_keys[k]);
			goto fail;
		}
	next:
		if (!nl)
			break;
		p = nl + 1;
	}
	for (int k = K_NETWORK; k <= K_IFNAME; k++) {
		if (!seen[k]) {
			r = netd_err_set(err, EINVAL, "%s: missing %s", where, ep_keys[k]);
			goto fail;
		}
	}
	/* Written before routes were recorded: every attach then set the default route. */
	if (!seen[K_ROUTE] && tmp.gateway.s_addr)
		tmp.routes[tmp.n_routes++] = (struct netd_route){.gw = tmp.gateway};
	*ep = tmp;
	return 0;
fail:
	free(tmp.ports);
	return r;
}

/* ---- endpoint records: files ---- */

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
		r = netd_file_write_atomic(path, text, strlen(text), 0644, err);
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
	r = netd_endpoint_parse(text, where ? where + 1 : path, ep, err);
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

	r = check_names(network, id, ifname, err);
	if (r < 0)
		return r;
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

	r = check_names(network, id, ifname, err);
	if (r < 0)
		return r;
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

int netd_store_endpoint_scan(const char *network, struct netd_endpoint **eps, size_t *n,
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
	if (network) {
		if (netd_name_check_network(network, NULL) < 0)
			return netd_err_set(err, EINVAL, "network %s: invalid name", network);
		r = list_network(network, &l, err);
	} else {
		char dir[PATH_MAX];
		struct dirent *de;
		DIR *d;

		if (netd_path_fmt(dir, sizeof(dir), "%s/networks", netd_state_dir()) < 0)
			return netd_err_set(err, ENAMETOOLONG, "list endpoints: path too long");
		d = opendir(dir);
		if (!d) {
			if (errno == ENOENT)
				return 0;
			return netd_err_sys(err, errno, "list endpoints: open %s", dir);
		}
		while (r == 0 && (de = readdir(d)))
			if (netd_name_check_network(de->d_name, NULL) == 0)
				r = list_network(de->d_name, &l, err);
		closedir(d);
	}
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

int netd_store_endpoint_list(const char *network, struct netd_endpoint **eps, size_t *n,
			     struct netd_err *err)
{
	return netd_store_endpoint_scan(network, eps, n, NULL, NULL, err);
}

/* ---- host port claims ---- */

static int port_dir(char *buf, size_t len, const struct netd_port *p, struct netd_err *err)
{
	const char *pn = netd_proto_name(p->proto);

	if (!pn)
		return netd_err_set(err, EINVAL, "port %u: unknown protocol %u", p->host_port,
				    p->proto);
	if (!p->host_port)
		return netd_err_set(err, EINVAL, "port 0/%s: no host port", pn);
	if (netd_path_fmt(buf, len, "%s/ports/%s-%u", netd_state_dir(), pn, p->host_port) < 0)
		return netd_err_set(err, ENAMETOOLONG, "port %u/%s: state path too long",
				    p->host_port, pn);
	return 0;
}

struct conflict {
	char addr[INET_ADDRSTRLEN]; /* the address that holds the port */
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
	char want[INET_ADDRSTRLEN];
	const char *names[2];
	size_t n_names = 0;
	int r;

	netd_ip4_format(p->host_ip, want, sizeof(want));
	if (p->host_ip.s_addr != INADDR_ANY) {
		names[n_names++] = want;
		names[n_names++] = WILDCARD_NAME;
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
			struct in_addr a;

			if (de->d_name[0] == '.' || netd_ip4_parse(de->d_name, &a, NULL) < 0)
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
			if (key && a.s_addr == INADDR_ANY && !strcmp(c->owner, key))
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
	char want[INET_ADDRSTRLEN];
	char net[NETD_NETNAME_MAX + 1];
	const char *pn = netd_proto_name(p->proto);
	const char *slash = strchr(c->owner, '/');
	const char *at = strrchr(c->owner, '@');
	char on[INET_ADDRSTRLEN + 8] = "";

	netd_ip4_format(p->host_ip, want, sizeof(want));
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
	char ip[INET_ADDRSTRLEN];
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

	netd_ip4_format(p->host_ip, ip, sizeof(ip));
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
	char ip[INET_ADDRSTRLEN];
	int r = port_dir(dir, PATH_MAX, p, err);

	if (r < 0)
		return r;
	netd_ip4_format(p->host_ip, ip, sizeof(ip));
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

		r = netd_owner_read(path, owner, sizeof(owner), &e2);
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

int netd_store_port_claimed(const struct netd_port *p, char *owner, size_t len,
			    struct netd_err *err)
{
	char dir[PATH_MAX];
	struct conflict c;
	int r;

	r = port_dir(dir, sizeof(dir), p, err);
	if (r < 0)
		return r;
	r = find_conflict(dir, p, NULL, &c, err);
	if (r < 0)
		return netd_err_prefix(err, "port %u/%s", p->host_port, netd_proto_name(p->proto));
	if (r > 0 && owner && len)
		snprintf(owner, len, "%s", c.owner);
	return r;
}

int netd_store_port_free(const struct netd_port *p, const char *key, struct netd_err *err)
{
	char dir[PATH_MAX];
	struct conflict c;
	int r;

	r = port_dir(dir, sizeof(dir), p, err);
	if (r < 0)
		return r;
	r = find_conflict(dir, p, key, &c, err);
	if (r < 0)
		return netd_err_prefix(err, "port %u/%s", p->host_port, netd_proto_name(p->proto));
	return r > 0 ? conflict_error(p, &c, err) : 0;
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
	if (!p->proto || !parse_uint(dash + 1, strlen(dash + 1), 65535, &v) || v == 0)
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
			    netd_ip4_parse(de2->d_name, &p.host_ip, NULL) < 0)
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
