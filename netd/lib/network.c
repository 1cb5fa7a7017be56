/* SPDX-License-Identifier: MIT */
/*
 * Orchestration: attach, detach, check, gc. Attach is a sequence of steps, each of which records
 * what it did so that a failure at step k undoes k-1..1 and leaves the host as it was. Teardown
 * works from host-side state only (the endpoint record), so it also works when the namespace is
 * gone, and it goes on past errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <netd/addr.h>
#include <netd/network.h>
#include "brcache.h"
#include "claims.h"
#include "dns_priv.h"
#include "endpoint_store.h"
#include "explain_priv.h"
#include "ipam.h"
#include "link.h"
#include "conntrack.h"
#include "nat.h"
#include "portcheck.h"
#include "netconf_priv.h"
#include "network_priv.h"
#include "store.h"
#include "tombstone.h"
#include "util.h"

#define HOST_IF_PREFIX "nd"

void netd_endpoint_key(const struct netd_endpoint *ep, char *buf, size_t len)
{
	netd_store_key(buf, len, ep->network, ep->id, ep->ifname);
}

/* A stable host-side name: "nd" + 8 hex digits of the owner key, so it fits IFNAMSIZ. */
static void host_ifname_for(const char *key, char out[NETD_IFNAME_MAX + 1])
{
	snprintf(out, NETD_IFNAME_MAX + 1, HOST_IF_PREFIX "%08x", netd_hash32(key));
}

#ifdef NETD_FAULT_INJECTION
/*
 * Fault injection for the rollback tests: NETD_FAIL_AT=<step> fails that step. With
 * NETD_FAIL_AT_KILL=1 the process dies of SIGKILL there instead (no rollback), as a crash would:
 * the chaos tests use it to prove gc finishes what a dead attach left. Test builds only (make
 * SAN=1): a library must not let an environment variable kill its caller.
 */
static int fail_at(const char *step, struct netd_err *err)
{
	const char *f = getenv("NETD_FAIL_AT");
	const char *k = getenv("NETD_FAIL_AT_KILL");

	if (f && strcmp(f, step) == 0) {
		if (k && strcmp(k, "1") == 0)
			raise(SIGKILL);
		return netd_err_set(err, EIO, "%s: injected failure (NETD_FAIL_AT)", step);
	}
	return 0;
}
#else
static inline int fail_at(const char *step, struct netd_err *err)
{
	(void)step;
	(void)err;
	return 0;
}
#endif

static bool port_is_udp_like(const struct netd_port *p)
{
	return p->proto == NETD_PROTO_UDP || p->proto == NETD_PROTO_SCTP;
}

/* Where an endpoint's map elements point: each family's port to its address. */
static struct netd_nat_ctr nat_ctr(const struct netd_endpoint *ep)
{
	return (struct netd_nat_ctr){ep->ip, ep->ip6};
}

/* name: already checked by the caller (NULL: the default network). */
static int network_open(const char *name, struct netd_netconf *nc, struct netd_err *err)
{
	struct netd_netconf tmp;
	int r;

	if (!nc)
		nc = &tmp;
	if (!name)
		name = NETD_DEFAULT_NETWORK;
	r = netd_netconf_load_checked(name, nc, err);
	if (r == -ENOENT && strcmp(name, NETD_DEFAULT_NETWORK) == 0)
		return netd_default_network_create(nc, err);
	return r;
}

int netd_network_open(const char *name, struct netd_netconf *nc, struct netd_err *err)
{
	int r = name ? netd_name_check_network(name, err) : 0;

	return r < 0 ? r : network_open(name, nc, err);
}

/* ---- attach ---- */

struct attach_ctx {
	const struct netd_attach_req *req;
	struct netd_netconf nc;
	struct netd_endpoint *ep;
	char key[NETD_KEY_MAX];
	int netns_fd;
	bool leased, leased6, recorded, claimed_ports, veth, published, resave, bridge_created, dns;
	bool configured, lo_was_down;
	size_t n_claimed;
};

/*
 * A bridge this attach created goes with its rollback unless another endpoint of the network
 * has appeared. Records are written under the network lock before their attach touches the
 * bridge, and the caller holds that lock: an attach that finds no record here has not reached
 * the bridge yet, and will create it again when it does.
 */
static void rollback_bridge(struct attach_ctx *c)
{
	struct netd_endpoint *eps = NULL;
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	struct netd_nat_net nn;
	struct netd_endpoint_damaged *bad = NULL;
	struct netd_err e2;
	size_t n = 0, n_bad = 0;

	/* A damaged record is an endpoint too: its veth may hang on the bridge. */
	if (netd_store_endpoint_scan(c->nc.name, &eps, &n, &bad, &n_bad, &e2) < 0)
		return;
	netd_endpoints_free(eps, n);
	free(bad);
	if (n || n_bad || netd_rtnl_open(&rt, &e2) < 0)
		return;
	ignore_result(netd_link_del(rt, c->nc.bridge, &e2));
	netd_brcache_drop(c->nc.name);
	netd_nat_net_of(&c->nc, &nn);
	if (netd_nat_table_exists())
		ignore_result(netd_nat_network_del(&nn, &e2));
}

/* Undoes what attach did, newest first; errors here are secondary to the one being reported. */
static void attach_rollback(struct attach_ctx *c)
{
	struct netd_endpoint *ep = c->ep;
	struct netd_err e2;

	if (netd_dry())
		return; /* nothing was made */
	/* The container's lo as it was found: configure brings it up. */
	if (c->configured && c->lo_was_down) {
		cleanup_rtnl struct netd_rtnl *ns = NULL;
		if (netd_rtnl_open_in_netns(c->netns_fd, &ns, &e2) == 0)
			ignore_result(netd_link_set_down(ns, "lo", &e2));
	}
	if (c->published) {
		struct netd_nat_ctr ctr = nat_ctr(ep);

		ignore_result(netd_nat_unpublish(ep->ports, ep->n_ports, &ctr, &e2));
		for (size_t i = 0; i < ep->n_ports; i++)
			if (port_is_udp_like(&ep->ports[i]))
				ignore_result(netd_conntrack_flush_port(&ep->ports[i], &e2));
	}
	if (c->veth) {
		cleanup_rtnl struct netd_rtnl *rt = NULL;
		if (netd_rtnl_open(&rt, &e2) == 0)
			ignore_result(netd_link_del(rt, ep->host_ifname, &e2));
	}
	if (c->n_claimed) {
		int lk = netd_store_lock_ports(&e2);
		for (size_t i = 0; i < c->n_claimed; i++)
			ignore_result(netd_store_port_release(&ep->ports[i], c->key, &e2));
		if (lk >= 0)
			close(lk);
	}
	if (c->recorded || c->leased || c->leased6 || c->bridge_created) {
		/* Not made again if network rm removed the network meanwhile: nothing is left. */
		int lk = netd_store_lock_network_existing(ep->network, &e2);
		struct netd_endpoint cur = {0};
		bool ours = !c->recorded;

		/* Whoever took the record away (a detach) took the lease with it; a record that is
		 * not this attach's belongs to a later one. */
		if (c->recorded &&
		    netd_store_endpoint_load(ep->network, ep->id, ep->ifname, &cur, &e2) == 0)
			ours = strcmp(cur.state, "creating") == 0 && cur.pid == (int)getpid() &&
			       cur.created == ep->created;
		netd_endpoint_clear(&cur);
		if (ours && c->recorded)
			ignore_result(
			    netd_store_endpoint_delete(ep->network, ep->id, ep->ifname, &e2));
		if (ours && c->leased)
			ignore_result(netd_ipam_release(ep->network, ep->ip, c->key, &e2));
		if (ours && c->leased6)
			ignore_result(netd_ipam_release_ip(ep->network, &ep->ip6, c->key, &e2));
		if (c->bridge_created && lk >= 0)
			rollback_bridge(c);
		if (lk >= 0)
			close(lk);
	}
	/* A concurrent sync may have put the names of the "creating" record in already. */
	if (c->dns || (c->recorded && netd_dns_named(ep)))
		ignore_result(netd_dns_sync(ep->network, &e2));
}

/* The IPv6 lease, when the network has an IPv6 subnet (the caller holds the network lock). */
static int reserve6(struct attach_ctx *c, struct netd_err *err)
{
	struct netd_endpoint *ep = c->ep;
	char ip[NETD_IP_STRLEN];
	int r;

	if (c->nc.subnet6.ip.family != AF_INET6)
		return 0;
	if (netd_dry())
		r = netd_ipam_peek6(&c->nc, c->key, &c->req->ip6, &ep->ip6, err);
	else
		r = netd_ipam_alloc6(&c->nc, c->key, &c->req->ip6, &ep->ip6, err);
	if (r < 0)
		return r;
	c->leased6 = !netd_dry();
	ep->prefix6 = c->nc.subnet6.len;
	ep->gateway6 = c->nc.gateway6;
	netd_explain("# netd: lease %s for %s%s", netd_ip_format(&ep->ip6, ip, sizeof(ip)), c->key,
		     netd_dry() ? " (dry run: the address the allocator would pick)" : "");
	return 0;
}

/* The IPv4 lease; none on an IPv6-only network, where an IPv4 --ip is an error. */
static int reserve4(struct attach_ctx *c, struct netd_err *err)
{
	struct netd_endpoint *ep = c->ep;
	char ip[INET_ADDRSTRLEN];
	int r;

	if (!netd_netconf_has4(&c->nc)) {
		if (!c->req->ip.s_addr)
			return 0;
		netd_ip4_format(c->req->ip, ip, sizeof(ip));
		return netd_err_set(
		    err, EINVAL,
		    "network %s has no IPv4 (it is IPv6 only): %s is not one of its "
		    "addresses",
		    ep->network, ip);
	}
	if (netd_dry())
		r = netd_ipam_peek(&c->nc, c->key, c->req->ip, &ep->ip, err);
	else
		r = netd_ipam_alloc(&c->nc, c->key, c->req->ip, &ep->ip, err);
	if (r < 0)
		return r;
	c->leased = !netd_dry();
	ep->prefix = c->nc.prefix;
	ep->gateway = c->nc.gateway;
	netd_ip4_format(ep->ip, ip, sizeof(ip));
	netd_explain("# netd: lease %s for %s%s", ip, c->key,
		     netd_dry() ? " (dry run: the address the allocator would pick)" : "");
	return 0;
}

/* Lease an address and write the "creating" record, both under the network lock. */
static int attach_reserve(struct attach_ctx *c, struct netd_err *err)
{
	const struct netd_attach_req *req = c->req;
	struct netd_endpoint *ep = c->ep;
	struct netd_endpoint old = {0};
	cleanup_close int lk = -1;
	int r;

	/* A dry run writes nothing, not even a lock file: it peeks without the lock. */
	lk = netd_dry() ? -1 : netd_store_lock_network(ep->network, err);
	if (lk < 0 && !netd_dry())
		return lk;
	/* network rm removes a network under this lock: it may have done so while we waited. */
	if (!netd_dry() && !netd_netconf_defined(ep->network)) {
		netd_ipam_drop_empty(ep->network);
		return netd_err_set(err, ENOENT, "network %s: removed while attaching",
				    ep->network);
	}
	r = netd_store_endpoint_load(ep->network, ep->id, ep->ifname, &old, err);
	if (r == 0) {
		netd_endpoint_clear(&old);
		return netd_err_set(
		    err, EEXIST,
		    "endpoint %s/%s is already attached to network %s (detach it first)", ep->id,
		    ep->ifname, ep->network);
	}
	if (r == -NETD_EDAMAGED)
		return netd_err_prefix(err,
				       "endpoint %s/%s exists (netd detach %s --id %s "
				       "--ifname %s removes it)",
				       ep->id, ep->ifname, ep->network, ep->id, ep->ifname);
	if (r != -ENOENT)
		return r;
	netd_err_clear(err);
	r = netd_dns_names_free(ep, err);
	if (r < 0)
		return r;
	if (req->external_ipam) {
		ep->external_ipam = true;
		ep->ip = req->ip;
		ep->prefix = req->prefix ? req->prefix : c->nc.prefix;
		ep->gateway = req->gateway;
		if (req->ip6.family == AF_INET6) {
			ep->ip6 = req->ip6;
			ep->prefix6 = req->prefix6 ? req->prefix6 : c->nc.subnet6.len;
			ep->gateway6 = req->gateway6;
		}
	} else {
		r = reserve4(c, err);
		if (r < 0)
			return r;
		r = reserve6(c, err);
		if (r < 0)
			return r;
	}
	r = fail_at("record", err);
	if (r < 0)
		return r;
	netd_explain("# netd: endpoint record %s (state creating)", c->key);
	if (netd_dry())
		return 0;
	/*
	 * Ports whose host port is still to be chosen cannot be written yet: the first record goes
	 * without ports and is rewritten once they are claimed. A crash in between leaves claims
	 * owned by a key whose record gets torn down; gc then releases them as orphans.
	 */
	for (size_t i = 0; i < ep->n_ports; i++)
		if (ep->ports[i].host_port == 0 ||
		    ep->ports[i].host_port_max > ep->ports[i].host_port)
			c->resave = true;
	if (c->resave) {
		struct netd_endpoint bare = *ep;

		bare.n_ports = 0;
		bare.ports = NULL;
		r = netd_store_endpoint_save(&bare, err);
	} else {
		r = netd_store_endpoint_save(ep, err);
	}
	if (r < 0)
		return r;
	c->recorded = true;
	return 0;
}

/*
 * Rewrites this attach's record under the network lock (every record write happens under it),
 * once sure the record is still the one this attach wrote: a detach or network rm --force may
 * have taken the endpoint away meanwhile, and must not see it come back.
 */
static int record_update(const struct netd_endpoint *ep, struct netd_err *err)
{
	struct netd_endpoint cur = {0};
	cleanup_close int lk = -1;
	int r;

	lk = netd_store_lock_network_existing(ep->network, err);
	if (lk < 0 && lk != -ENOENT)
		return lk;
	r = lk < 0 ? lk : netd_store_endpoint_load(ep->network, ep->id, ep->ifname, &cur, err);
	if (r == 0 && (strcmp(cur.state, "creating") != 0 || cur.pid != (int)getpid() ||
		       cur.created != ep->created))
		r = -ECANCELED;
	netd_endpoint_clear(&cur);
	if (r == -ENOENT || r == -ECANCELED)
		return netd_err_set(err, ECANCELED,
				    "endpoint %s/%s was detached (or its network removed) while "
				    "being attached",
				    ep->id, ep->ifname);
	if (r < 0)
		return r;
	return netd_store_endpoint_save(ep, err);
}

static int read_port_range(uint16_t *lo, uint16_t *hi)
{
	char buf[64];
	unsigned a, b;
	struct netd_err e2;

	*lo = 32768;
	*hi = 60999;
	if (netd_sysctl_read("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf), &e2) < 0)
		return 0;
	if (sscanf(buf, "%u %u", &a, &b) == 2 && a > 0 && a <= b && b <= 65535) {
		*lo = (uint16_t)a;
		*hi = (uint16_t)b;
	}
	return 0;
}

/* Claims a host port; a dry run only looks whether someone else holds it. */
static int port_claim(const struct netd_port *p, const char *key, struct netd_err *err)
{
	if (!netd_dry())
		return netd_store_port_claim(p, key, err);
	return netd_store_port_free(p, key, err);
}

/* A host process bound to the host port: DNAT would take its traffic from under it. */
static int port_no_listener(const struct netd_port *p, struct netd_err *err)
{
	char buf[96];
	bool busy = false;
	int r = netd_port_in_use(p, &busy, err);

	if (r < 0 || !busy)
		return r;
	netd_port_format(p, buf, sizeof(buf));
	return netd_err_set(err, EADDRINUSE,
			    "port %s: a host process is already listening on %u/%s", buf,
			    p->host_port, netd_proto_name(p->proto));
}

/*
 * The request's ports as the endpoint holds them, one per family: a port of family 0 (Docker's
 * "-p 8080:80") becomes 0.0.0.0 on a network with an IPv4 subnet and, on one with an IPv6
 * subnet, [::] right after it (claim_port gives the twin the host port chosen for the first).
 * An IPv4 host address on an IPv6-only network is refused: nothing could be reached through it.
 */
static int ports_per_family(struct netd_endpoint *ep, const struct netd_attach_req *req, bool v4,
			    bool v6, struct netd_err *err)
{
	size_t n = 0;

	ep->ports = calloc(req->n_ports * 2, sizeof(*ep->ports));
	if (!ep->ports)
		return netd_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < req->n_ports; i++) {
		struct netd_port p = req->ports[i];

		if (p.host_ip.family == AF_INET && !v4) {
			char buf[96];

			netd_port_format(&p, buf, sizeof(buf));
			ep->n_ports = n;
			return netd_err_set(err, EAFNOSUPPORT,
					    "port %s: network %s has no IPv4 (it is IPv6 only): "
					    "publish on [::] or an IPv6 host address, or leave the "
					    "address out",
					    buf, ep->network);
		}
		if (p.host_ip.family) {
			ep->ports[n++] = p;
			continue;
		}
		if (v4) {
			p.host_ip = netd_ip_from4((struct in_addr){.s_addr = INADDR_ANY});
			ep->ports[n++] = p;
		}
		if (v6) {
			p.host_ip = (struct netd_ip){.family = AF_INET6};
			ep->ports[n++] = p;
		}
	}
	ep->n_ports = n;
	return 0;
}

/* The [::] twin of a 0.0.0.0 port that ports_per_family made from one family-0 port. */
static bool is_v6_twin(const struct netd_port *p, const struct netd_port *prev)
{
	return p->host_ip.family == AF_INET6 && netd_ip_is_zero(&p->host_ip) &&
	       prev->host_ip.family == AF_INET && netd_ip_is_zero(&prev->host_ip) &&
	       prev->proto == p->proto && prev->ctr_port == p->ctr_port &&
	       prev->host_port == p->host_port && prev->host_port_max == p->host_port_max;
}

/*
 * Whether a host port we choose for the caller is free: claimed by nobody and bound by no host
 * process (a chosen port avoids listeners even when asked to ignore them). 1 free, 0 taken.
 */
static int port_choosable(const struct netd_port *p, struct netd_err *err)
{
	char owner[NETD_KEY_MAX];
	bool busy = false;
	int r = netd_store_port_claimed(p, owner, sizeof(owner), err);

	if (r != 0)
		return r < 0 ? r : 0;
	r = netd_port_in_use(p, &busy, err);
	return r < 0 ? r : !busy;
}

/*
 * Claims one port, choosing a free host port when asked to. twin (or NULL) is the [::] twin of a
 * chosen 0.0.0.0 port: Docker's "-p 80" is one host port on both families, so the port chosen
 * must be free on both (a v6-only listener or an IPv6 claim takes a port for IPv6 alone), and
 * both are claimed or neither. Caller holds the ports lock.
 */
static int claim_port(struct attach_ctx *c, struct netd_port *p, struct netd_port *twin,
		      struct netd_err *err)
{
	char buf[96];
	uint16_t lo = p->host_port, hi = p->host_port_max > p->host_port ? p->host_port_max : 0;
	bool choose = p->host_port == 0 || hi != 0;
	size_t n = twin ? 2 : 1;
	int r;

	if (!choose) {
		r = port_claim(p, c->key, err);
		if (r < 0)
			return r;
		if (!c->req->ignore_host_listeners)
			r = port_no_listener(p, err);
		if (r < 0 && !netd_dry()) {
			struct netd_err e2;
			ignore_result(netd_store_port_release(p, c->key, &e2));
		}
		return r;
	}
	if (p->host_port == 0)
		read_port_range(&lo, &hi);
	for (unsigned port = lo; port <= hi; port++) {
		struct netd_port cand[2] = {*p, twin ? *twin : *p};
		size_t k;

		for (k = 0, r = 1; k < n && r == 1; k++) {
			cand[k].host_port = (uint16_t)port;
			cand[k].host_port_max = 0;
			r = port_choosable(&cand[k], err);
		}
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		for (k = 0; k < n; k++) {
			r = port_claim(&cand[k], c->key, err);
			if (r < 0)
				break;
		}
		if (r < 0) {
			while (k-- > 0 && !netd_dry()) {
				struct netd_err e2;
				ignore_result(netd_store_port_release(&cand[k], c->key, &e2));
			}
			if (r == -EADDRINUSE)
				continue;
			return r;
		}
		*p = cand[0];
		if (twin)
			*twin = cand[1];
		return 0;
	}
	netd_port_format(p, buf, sizeof(buf));
	return netd_err_set(err, EADDRINUSE, "port %s: no free host port in %u-%u%s", buf, lo, hi,
			    twin ? " on both IPv4 and IPv6" : "");
}

static bool port_is_range(const struct netd_port *p)
{
	return p->host_port_max > p->host_port;
}

/* A fixed host port: given as one, not chosen from a range or by us. */
static bool port_is_fixed(const struct netd_port *p)
{
	return p->host_port && !port_is_range(p);
}

static int cmp_port(const void *a, const void *b)
{
	const struct netd_port *x = *(const struct netd_port *const *)a;
	const struct netd_port *y = *(const struct netd_port *const *)b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->host_port < y->host_port ? -1 : x->host_port > y->host_port;
}

static int port_twice(const struct netd_port *p, struct netd_err *err)
{
	char a[NETD_HOST_STRLEN], buf[80];
	bool any = netd_ip_is_zero(&p->host_ip);

	netd_port_host_format(p, a, sizeof(a));
	snprintf(buf, sizeof(buf), "%s%s%u/%s", any ? "" : a, any ? "" : ":", p->host_port,
		 netd_proto_name(p->proto));
	return netd_err_set(err, EINVAL, "host port %s given twice", buf);
}

/* A fixed host port that another port of the request names too (fixed, or inside a range);
 * ranges may share ports: each takes a free one. Sorted, so a long list costs n log n. */
static int ports_given_twice(const struct netd_endpoint *ep, struct netd_err *err)
{
	cleanup_free const struct netd_port **fx = calloc(ep->n_ports, sizeof(*fx));
	size_t nf = 0;

	if (!fx)
		return netd_err_set(err, ENOMEM, "ports: out of memory");
	for (size_t i = 0; i < ep->n_ports; i++)
		if (port_is_fixed(&ep->ports[i]))
			fx[nf++] = &ep->ports[i];
	qsort(fx, nf, sizeof(*fx), cmp_port);
	for (size_t i = 0; i < nf; i++)
		for (size_t k = i + 1; k < nf && !cmp_port(&fx[i], &fx[k]); k++)
			if (netd_port_hosts_meet(&fx[i]->host_ip, &fx[k]->host_ip))
				return port_twice(fx[i], err);
	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct netd_port *r = &ep->ports[i];
		struct netd_port lo = {.proto = r->proto, .host_port = r->host_port};
		const struct netd_port *key = &lo;
		size_t a = 0, b = nf;

		if (!port_is_range(r))
			continue;
		while (a < b) { /* the first fixed port at or after (proto, lo) */
			size_t m = a + (b - a) / 2;
			if (cmp_port(&fx[m], &key) < 0)
				a = m + 1;
			else
				b = m;
		}
		for (; a < nf && fx[a]->proto == r->proto && fx[a]->host_port <= r->host_port_max;
		     a++)
			if (netd_port_hosts_meet(&fx[a]->host_ip, &r->host_ip))
				return port_twice(fx[a], err);
	}
	return 0;
}

/*
 * What the ports ask for must be possible before any is claimed: no fixed host port named twice,
 * and a specific host address must be one of this host's (nothing else ever reaches it, and its
 * claim would block the port for all).
 */
static int ports_check(const struct netd_endpoint *ep, struct netd_err *err)
{
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	char buf[96], a[NETD_IP_STRLEN];
	struct netd_ip seen = {.family = 0};
	int r;

	r = ports_given_twice(ep, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct netd_port *p = &ep->ports[i];
		bool local = false;

		r = netd_port_check_host(&p->host_ip, err);
		if (r < 0)
			return r;
		if (p->host_ip.family == AF_INET6 && ep->ip6.family != AF_INET6) {
			netd_port_format(p, buf, sizeof(buf));
			return netd_err_set(err, EAFNOSUPPORT,
					    "port %s: network %s gives its containers no IPv6 "
					    "address, so nothing can be published on an IPv6 host "
					    "address",
					    buf, ep->network);
		}
		/* (ports of one address usually come together: one lookup for them) */
		if (netd_ip_is_zero(&p->host_ip) || netd_ip_equal(&p->host_ip, &seen))
			continue;
		if (!rt && (r = netd_rtnl_open(&rt, err)) < 0)
			return r;
		r = netd_route_is_local(rt, &p->host_ip, &local, err);
		if (r < 0)
			return r;
		if (local) {
			seen = p->host_ip;
			continue;
		}
		netd_ip_format(&p->host_ip, a, sizeof(a));
		netd_port_format(p, buf, sizeof(buf));
		return netd_err_set(err, EADDRNOTAVAIL,
				    "port %s: %s is not an address of this host (publish on one of "
				    "its addresses, or leave the address out for all of them)",
				    buf, a);
	}
	return 0;
}

static int ports_allowed(const struct netd_netconf *nc, size_t n_ports, struct netd_err *err)
{
	if (nc->internal && n_ports)
		return netd_err_set(err, EINVAL,
				    "network %s is internal: nothing from outside reaches its "
				    "containers, so no port can be published",
				    nc->name);
	return 0;
}

int netd_ports_check(const char *network, const struct netd_port *ports, size_t n,
		     struct netd_err *err)
{
	const struct netd_attach_req req = {.ports = ports, .n_ports = n};
	struct netd_endpoint ep = {0};
	struct netd_netconf nc = {0};
	bool v6;
	int r;

	if (!n)
		return 0;
	if (!network)
		network = NETD_DEFAULT_NETWORK;
	r = netd_name_check_network(network, err);
	if (r < 0)
		return r;
	/* The default network is made on first use: not there yet, it allows ports. */
	r = netd_netconf_load_checked(network, &nc, err);
	if (r == -ENOENT && !strcmp(network, NETD_DEFAULT_NETWORK)) {
		r = 0;
		nc.prefix = 16; /* it will be made with an IPv4 subnet */
	} else if (r == 0) {
		r = ports_allowed(&nc, n, err);
	}
	if (r < 0)
		return r;
	/* The ports as attach will hold them: one per family, the IPv6 ones where the network
	 * gives its containers an IPv6 address. */
	v6 = nc.subnet6.ip.family == AF_INET6;
	snprintf(ep.network, sizeof(ep.network), "%s", network);
	if (v6)
		ep.ip6.family = AF_INET6;
	r = ports_per_family(&ep, &req, netd_netconf_has4(&nc), v6, err);
	if (r == 0)
		r = ports_check(&ep, err);
	/* Claims are files per port, listeners a filtered dump: per port, whatever else runs. */
	for (size_t i = 0; i < ep.n_ports && r == 0; i++) {
		if (!port_is_fixed(&ep.ports[i]))
			continue;
		r = netd_store_port_free(&ep.ports[i], NULL, err);
		if (r == 0)
			r = port_no_listener(&ep.ports[i], err);
	}
	free(ep.ports);
	return r;
}

static int attach_claim_ports(struct attach_ctx *c, struct netd_err *err)
{
	struct netd_endpoint *ep = c->ep;
	int lk = -1;
	int r = 0;

	if (!ep->n_ports)
		return 0;
	if (c->req->bridge_no_address)
		return netd_err_set(
		    err, EINVAL,
		    "network %s: ports cannot be published through a bridge without "
		    "the gateway address (CNI isGateway false): the host has no route "
		    "to the containers",
		    ep->network);
	r = ports_check(ep, err);
	if (r < 0)
		return r;
	lk = netd_dry() ? -1 : netd_store_lock_ports(err);
	if (lk < 0 && !netd_dry())
		return lk;
	for (size_t i = 0; i < ep->n_ports && r == 0; i++) {
		struct netd_port *p = &ep->ports[i], *twin = NULL;
		char buf[96];

		/* Docker's "-p 80" is one port on both families: one host port chosen for both. */
		if (i + 1 < ep->n_ports && !port_is_fixed(p) && is_v6_twin(&ep->ports[i + 1], p))
			twin = &ep->ports[i + 1];
		r = claim_port(c, p, twin, err);
		if (r < 0)
			break;
		if (twin)
			i++;
		c->n_claimed = i + 1;
		for (; p <= &ep->ports[i]; p++) {
			netd_port_format(p, buf, sizeof(buf));
			netd_explain("# netd: claim host port %s for %s", buf, c->key);
		}
	}
	if (lk >= 0)
		close(lk); /* before the network lock: that one comes first */
	if (r == 0)
		r = fail_at("ports", err);
	if (r == 0 && c->resave && !netd_dry())
		r = record_update(ep, err);
	return r;
}

/*
 * Address and routes inside the namespace: the network's routes (a 0.0.0.0/0 among them is the
 * default route), else the default route as the request says. ep->routes ends up holding what
 * was installed.
 */
static int attach_configure(struct attach_ctx *c, struct netd_rtnl *ns, struct netd_err *err)
{
	struct netd_endpoint *ep = c->ep;
	const struct netd_route dflt = {.dst.ip.family = AF_INET, .gw = netd_ip_from4(ep->gateway)};
	const struct netd_route dflt6 = {.dst.ip.family = AF_INET6, .gw = ep->gateway6};
	struct netd_ctr_conf cc = {
	    .ifname = ep->ifname,
	    .ip = ep->ip,
	    .gw = ep->gateway,
	    .prefix = ep->prefix,
	    .ip6 = ep->ip6,
	    .gw6 = ep->gateway6,
	    .prefix6 = ep->prefix6,
	    .routes = ep->routes,
	    .netns_fd = c->netns_fd,
	};
	struct netd_ctr_defaults added = {0};
	bool has_default = false, has_default6 = false, gw6 = ep->gateway6.family == AF_INET6;
	/* An internal network has no way out: a default route through it would lead nowhere. */
	enum netd_default_route want =
	    c->nc.internal ? NETD_DEFAULT_ROUTE_NEVER : c->req->default_route;
	int r;

	ep->n_routes = 0;
	/* Without a gateway (an external IPAM gave none) no route has a next hop. */
	for (size_t i = 0; i < c->nc.n_routes; i++) {
		bool v6 = c->nc.routes[i].dst.ip.family == AF_INET6;
		struct netd_route *rt;

		if (v6 ? !gw6 || ep->ip6.family != AF_INET6 : !ep->gateway.s_addr)
			continue;
		rt = &ep->routes[ep->n_routes++];
		*rt = c->nc.routes[i];
		if (netd_ip_is_zero(&rt->gw))
			rt->gw = v6 ? ep->gateway6 : netd_ip_from4(ep->gateway);
		if (v6)
			has_default6 |= rt->dst.len == 0;
		else
			has_default |= rt->dst.len == 0;
	}
	gw6 = gw6 && ep->ip6.family == AF_INET6;
	/* Each family under the same rule (enum netd_default_route). */
	if (ep->gateway.s_addr && !has_default && want == NETD_DEFAULT_ROUTE_ALWAYS)
		ep->routes[ep->n_routes++] = dflt;
	if (gw6 && !has_default6 && want == NETD_DEFAULT_ROUTE_ALWAYS)
		ep->routes[ep->n_routes++] = dflt6;
	cc.n_routes = ep->n_routes;
	cc.default_if_none = ep->gateway.s_addr && !has_default && want == NETD_DEFAULT_ROUTE_AUTO;
	cc.default6_if_none = gw6 && !has_default6 && want == NETD_DEFAULT_ROUTE_AUTO;
	r = netd_ctr_configure(ns, &cc, &ep->ctr_ifindex, ep->mac, &added, err);
	if (r == 0 && added.v4)
		ep->routes[ep->n_routes++] = dflt;
	if (r == 0 && added.v6)
		ep->routes[ep->n_routes++] = dflt6;
	return r;
}

static bool stale_host_veth(struct netd_rtnl *rt, const char *name, const char *alias)
{
	struct netd_link_info li;
	struct netd_err e2;

	return netd_link_get(rt, name, &li, &e2) == 0 && strcmp(li.alias, alias) == 0;
}

/*
 * The bridge's ifindex: from the cache (brcache.h: the kernel is asked nothing), or after the
 * full setup, which is then cached. *cached says which.
 */
static int attach_bridge(struct attach_ctx *c, struct netd_rtnl *rt, bool use_cache,
			 int *br_ifindex, bool *cached, struct netd_err *err)
{
	const struct netd_brcache bc = {
	    .network = c->nc.name,
	    .bridge = c->nc.bridge,
	    .gw = c->req->bridge_no_address ? (struct in_addr){0} : c->nc.gateway,
	    .prefix = c->nc.prefix,
	    .mtu = c->nc.mtu,
	    .gw6 = c->req->bridge_no_address ? (struct netd_ip){0} : c->nc.gateway6,
	    .prefix6 = c->nc.subnet6.len,
	};
	bool created = false;
	int r;

	*cached = false;
	if (use_cache && !netd_dry()) {
		*br_ifindex = netd_brcache_lookup(&bc);
		*cached = *br_ifindex > 0;
		if (*cached) {
			netd_explain("# netd: bridge %s: set up already (cached in the state dir)",
				     c->nc.bridge);
			return 0;
		}
	}
	r = netd_bridge_ensure(rt, c->nc.bridge, bc.gw, c->nc.prefix, c->nc.mtu, br_ifindex,
			       &created, err);
	if (r < 0)
		return r;
	c->bridge_created |= created;
	if (bc.gw6.family == AF_INET6) {
		r = netd_bridge_addr6(rt, c->nc.bridge, *br_ifindex, &bc.gw6, bc.prefix6, err);
		if (r < 0)
			return r;
	}
	if (!netd_dry())
		netd_brcache_store(&bc, *br_ifindex);
	return 0;
}

static int attach_veth(struct attach_ctx *c, struct netd_rtnl *rt, const char *alias,
		       int br_ifindex, struct netd_err *err)
{
	struct netd_endpoint *ep = c->ep;
	int r;

	r = netd_veth_create_in_ns(rt, ep->host_ifname, ep->ifname, c->netns_fd, ep->mtu,
				   c->req->has_mac ? c->req->mac : NULL, br_ifindex, c->nc.no_icc,
				   alias, &ep->host_ifindex, err);
	/*
	 * A host veth with this endpoint's alias is a leftover: reserve found no record for the
	 * key, so it is the pair of an earlier attachment whose namespace is still dying
	 * (NETD_DETACH_NETNS_DYING) or whose teardown failed. Delete it and try once more.
	 */
	if (r == -EEXIST && stale_host_veth(rt, ep->host_ifname, alias)) {
		struct netd_err e2;

		if (netd_link_del(rt, ep->host_ifname, &e2) == 0)
			r = netd_veth_create_in_ns(rt, ep->host_ifname, ep->ifname, c->netns_fd,
						   ep->mtu, c->req->has_mac ? c->req->mac : NULL,
						   br_ifindex, c->nc.no_icc, alias,
						   &ep->host_ifindex, err);
	}
	return r;
}

static int attach_links(struct attach_ctx *c, struct netd_err *err)
{
	struct netd_endpoint *ep = c->ep;
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	cleanup_rtnl struct netd_rtnl *ns = NULL;
	struct netd_nat_net nn;
	char alias[NETD_KEY_MAX + 8];
	int br_ifindex;
	bool cached;
	int r;

	r = netd_rtnl_open(&rt, err);
	if (r < 0)
		return r;
	if (!ep->mtu) {
		r = netd_route_default_mtu(rt, &ep->mtu, err);
		if (r < 0)
			return r;
	}
	r = attach_bridge(c, rt, true, &br_ifindex, &cached, err);
	if (r < 0)
		return r;
	/* Forwarding of a family this network does not carry is not ours to switch on. */
	r = netd_netconf_has4(&c->nc) ? netd_ip_forward_on(&ep->ip_forward_switched_on, err) : 0;
	if (r == 0 && c->nc.subnet6.ip.family == AF_INET6)
		r = netd_ip6_forward_on(&ep->ip6_forward_switched_on, err);
	if (r < 0)
		return r;
	netd_nat_net_of(&c->nc, &nn);
	r = netd_nat_ensure(err);
	/* A table of an older netd was replaced: every network's and endpoint's elements back. */
	if (r == 1)
		r = netd_network_restore_nat(err);
	/*
	 * One nf_tables batch: the network's elements and the ports. From here the rollback
	 * unpublishes (a batch may have committed although its ACKs were lost); the ports are
	 * claimed by us, so their elements can belong to no one else.
	 */
	if (r == 0) {
		struct netd_nat_ctr ctr = nat_ctr(ep);

		c->published = ep->n_ports > 0;
		r = netd_nat_attach(&nn, ep->ports, ep->n_ports, &ctr, err);
	}
	if (r == 0)
		r = fail_at("veth", err);
	if (r < 0)
		return r;
	snprintf(alias, sizeof(alias), NETD_ALIAS_PREFIX "%s", c->key);
	r = attach_veth(c, rt, alias, br_ifindex, err);
	/*
	 * The cached bridge is gone (the kernel refused its ifindex as the master), or anything
	 * else failed: once more after the full setup of the bridge.
	 */
	if (r < 0 && cached) {
		netd_err_clear(err);
		netd_brcache_drop(c->nc.name);
		r = attach_bridge(c, rt, false, &br_ifindex, &cached, err);
		if (r == 0)
			r = attach_veth(c, rt, alias, br_ifindex, err);
	}
	if (r < 0)
		return r;
	c->veth = true;
	r = fail_at("configure", err);
	if (r == 0)
		r = netd_rtnl_open_in_netns(c->netns_fd, &ns, err);
	if (r == 0 && !netd_dry()) {
		struct netd_link_info lo;
		struct netd_err e2;

		c->lo_was_down = netd_link_get(ns, "lo", &lo, &e2) == 0 && !lo.up;
	}
	if (r == 0) {
		c->configured = true;
		r = attach_configure(c, ns, err);
	}
	return r;
}

/* What netd_conntrack_flush_port deletes (conntrack.c makes the ctnetlink request). */
static void explain_conntrack_flush(const struct netd_port *p)
{
	char ip[NETD_IP_STRLEN], dst[NETD_IP_STRLEN + 16] = "";
	bool v6 = p->host_ip.family == AF_INET6;

	if (!netd_explain_enabled())
		return;
	if (!netd_ip_is_zero(&p->host_ip)) {
		netd_ip_format(&p->host_ip, ip, sizeof(ip));
		snprintf(dst, sizeof(dst), " --orig-dst %s", ip);
	}
	netd_explain("conntrack%s -D -p %s --orig-port-dst %u%s 2>/dev/null || true",
		     v6 ? " -f ipv6" : "", netd_proto_name(p->proto), p->host_port, dst);
}

static int attach_publish(struct attach_ctx *c, struct netd_err *err)
{
	struct netd_endpoint *ep = c->ep;
	int r;

	if (!ep->n_ports)
		return 0;
	/* The ports were published with the network's elements (attach_links). */
	r = fail_at("publish", err);
	if (r < 0)
		return r;
	/* A re-published UDP port must not keep sending to a dead container's conntrack entry. */
	for (size_t i = 0; i < ep->n_ports; i++) {
		if (!port_is_udp_like(&ep->ports[i]))
			continue;
		explain_conntrack_flush(&ep->ports[i]);
		if (netd_dry())
			continue;
		r = netd_conntrack_flush_port(&ep->ports[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Names: the record holds them (reserve); the server's config is rebuilt from the records. */
static int attach_dns(struct attach_ctx *c, struct netd_err *err)
{
	char names[(NETD_ALIASES_MAX + 1) * (NETD_DNSNAME_MAX + 1)], ip[INET_ADDRSTRLEN] = "";
	char ip6[NETD_IP_STRLEN] = "";
	int r;

	if (!netd_dns_named(c->ep))
		return 0;
	netd_dns_names_text(c->ep, names, sizeof(names));
	if (c->ep->ip.s_addr)
		netd_ip4_format(c->ep->ip, ip, sizeof(ip));
	if (c->ep->ip6.family == AF_INET6)
		netd_ip_format(&c->ep->ip6, ip6, sizeof(ip6));
	netd_explain("# netd: dns: %s -> %s%s%s on network %s (%s)", names, ip,
		     ip[0] && ip6[0] ? " " : "", ip6, c->ep->network,
		     netd_dns_server_path() ? "answered on its gateways"
					    : "aardvark-dns is not installed: nothing answers");
	r = fail_at("dns", err);
	if (r < 0 || netd_dry())
		return r;
	c->dns = true;
	return netd_dns_sync(c->ep->network, err);
}

int netd_network_attach(const struct netd_attach_req *req, struct netd_endpoint *ep,
			struct netd_err *err)
{
	struct attach_ctx c = {.req = req, .ep = ep, .netns_fd = -1};
	const char *ifname = req->ifname ? req->ifname : "eth0";
	cleanup_close int nsfd = -1;
	bool own = false;
	int r;

	memset(ep, 0, sizeof(*ep));
	r = netd_dry() ? 0 : netd_need_admin("attach", err);
	if (r == 0)
		r = netd_name_check_id(req->id ? req->id : "", err);
	if (r == 0)
		r = netd_name_check_ifname(ifname, err);
	if (r == 0 && req->network)
		r = netd_name_check_network(req->network, err);
	if (r == 0)
		r = netd_dns_names_set(ep, req, err);
	if (r < 0)
		return r;
	if (!req->netns || !*req->netns)
		return netd_err_set(err, EINVAL, "attach %s: no network namespace given", req->id);
	if (strlen(req->netns) >= sizeof(ep->netns))
		return netd_err_set(err, ENAMETOOLONG, "attach %s: netns path too long", req->id);
	if (req->external_ipam && req->ip.s_addr == INADDR_ANY)
		return netd_err_set(err, EINVAL, "attach %s: external IPAM without an address",
				    req->id);
	if (req->ip6.family && req->ip6.family != AF_INET6)
		return netd_err_set(err, EINVAL, "attach %s: the IPv6 address is not IPv6",
				    req->id);
	/* The name server listens on the gateway address, which such a bridge does not have. */
	if (req->bridge_no_address && netd_dns_named(ep))
		return netd_err_set(err, EINVAL,
				    "attach %s: names cannot be answered on a bridge without the "
				    "gateway address (CNI isGateway false)",
				    req->id);
	nsfd = netd_netns_open(req->netns, err);
	if (nsfd < 0)
		return netd_err_prefix(err, "attach %s", req->id);
	r = netd_netns_is_own(nsfd, &own, err);
	if (r == 0 && own)
		r = netd_err_set(err, EINVAL,
				 "netns %s is the caller's own network namespace (the host's), not "
				 "a container's: its routes and addresses would be changed",
				 req->netns);
	if (r == 0)
		r = network_open(req->network, &c.nc, err);
	if (r == 0)
		r = netd_netconf_check_unique(&c.nc, err);
	if (r == 0 && req->ip6.family == AF_INET6 && c.nc.subnet6.ip.family != AF_INET6 &&
	    !req->external_ipam)
		r = netd_err_set(err, EINVAL,
				 "network %s has no IPv6 subnet: an IPv6 address cannot be given "
				 "(netd network create ... --subnet ADDR/LEN with an IPv6 prefix)",
				 c.nc.name);
	if (r == 0)
		r = ports_allowed(&c.nc, req->n_ports, err);
	if (r < 0)
		return netd_err_prefix(err, "attach %s", req->id);
	c.netns_fd = nsfd;

	snprintf(ep->network, sizeof(ep->network), "%s", c.nc.name);
	snprintf(ep->id, sizeof(ep->id), "%s", req->id);
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", ifname);
	snprintf(ep->bridge, sizeof(ep->bridge), "%s", c.nc.bridge);
	snprintf(ep->netns, sizeof(ep->netns), "%s", req->netns);
	netd_store_key(c.key, sizeof(c.key), ep->network, ep->id, ep->ifname);
	host_ifname_for(c.key, ep->host_ifname);
	ep->mtu = req->mtu ? req->mtu : c.nc.mtu;
	ep->created = time(NULL);
	snprintf(ep->state, sizeof(ep->state), "creating");
	ep->pid = (int)getpid();
	if (req->n_ports) {
		r = ports_per_family(ep, req, netd_netconf_has4(&c.nc),
				     c.nc.subnet6.ip.family == AF_INET6, err);
		if (r < 0)
			return netd_err_prefix(err, "attach %s", req->id);
	}

	r = attach_reserve(&c, err);
	if (r == 0)
		r = attach_claim_ports(&c, err);
	if (r == 0)
		r = attach_links(&c, err);
	if (r == 0)
		r = attach_publish(&c, err);
	if (r == 0)
		r = attach_dns(&c, err);
	if (r == 0) {
		snprintf(ep->state, sizeof(ep->state), "%s", netd_dry() ? "dry-run" : "ready");
		ep->pid = 0;
		r = fail_at("commit", err);
		netd_explain("# netd: endpoint record %s (state ready)", c.key);
		if (r == 0 && !netd_dry())
			r = record_update(ep, err);
		/* Only a whole attach moves the allocator on: a failed one leaves nothing. */
		if (r == 0 && c.leased)
			netd_ipam_note_last(ep->network, ep->ip);
		if (r == 0 && c.leased6)
			netd_ipam_note_last6(ep->network, &ep->ip6);
	}
	if (r < 0) {
		bool fwd = ep->ip_forward_switched_on, fwd6 = ep->ip6_forward_switched_on;

		attach_rollback(&c);
		netd_endpoint_clear(ep);
		ep->ip_forward_switched_on = fwd;
		ep->ip6_forward_switched_on = fwd6;
		return netd_err_prefix(err, "attach %s/%s", req->id, ifname);
	}
	return 0;
}

const char *netd_ip_forward_notice(void)
{
	return "turned on IP forwarding (net.ipv4.ip_forward was 0, now 1) so that containers "
	       "reach beyond this host: it now routes packets between all its interfaces, not "
	       "only for containers; see netd doctor";
}

const char *netd_ip6_forward_notice(void)
{
	return "turned on IPv6 forwarding (net.ipv6.conf.all.forwarding was 0, now 1) so that "
	       "containers reach beyond this host: it now routes IPv6 between all its interfaces, "
	       "and interfaces that took router advertisements stop accepting them (set "
	       "accept_ra=2 "
	       "on an uplink configured by RAs); see netd doctor";
}

/* ---- detach ---- */

/* Under the network lock unless the caller (network rm) holds it. */
static int lock_for(const char *network, unsigned flags, struct netd_err *err)
{
	if (flags & NETD_TD_LOCKED)
		return -1;
	return netd_store_lock_network_existing(network, err);
}

/*
 * Marks the record "removing" (with our pid) before anything is taken away: from here on no
 * reader sees a ready record whose parts are going, a table restore republishes none of its
 * ports, and a teardown that dies half-way is one gc finishes (the pid is dead). Returns 0 to go
 * on, 1 when the record is gone or is another attachment's by now (someone else tore it down and
 * maybe attached again: nothing of it is ours to touch).
 */
static int mark_removing(const struct netd_endpoint *ep, unsigned flags)
{
	struct netd_endpoint cur = {0}, m;
	struct netd_err e = {0};
	int lk, r;

	lk = lock_for(ep->network, flags, &e);
	if (lk < 0 && !(flags & NETD_TD_LOCKED))
		return lk == -ENOENT ? 1 : 0;
	r = netd_store_endpoint_load(ep->network, ep->id, ep->ifname, &cur, &e);
	if (r == -ENOENT ||
	    (r == 0 && (cur.created != ep->created || cur.ip.s_addr != ep->ip.s_addr))) {
		netd_endpoint_clear(&cur);
		if (lk >= 0)
			close(lk);
		return 1;
	}
	if (r == 0 && !(strcmp(cur.state, "removing") == 0 && cur.pid == (int)getpid())) {
		m = cur;
		snprintf(m.state, sizeof(m.state), "removing");
		m.pid = (int)getpid();
		/* Best effort: on a full disk the teardown goes on without the mark. */
		ignore_result(netd_store_endpoint_save(&m, &e));
	}
	netd_endpoint_clear(&cur);
	if (lk >= 0)
		close(lk);
	return 0;
}

/* Map elements and claims of ports go together under the ports lock, so a table restore (which
 * publishes only ports whose claim is the endpoint's own, under that lock) never puts back an
 * element whose claim is being released. */
static void td_ports(const char *key, const struct netd_port *ports, size_t n,
		     const struct netd_nat_ctr *ctr, struct netd_errs *es)
{
	struct netd_err e = {0};
	int lk = -1, r;

	if (!n)
		return;
	if (!netd_dry()) {
		lk = netd_store_lock_ports(&e);
		netd_errs_note(es, lk, &e);
	}
	r = netd_nat_unpublish(ports, n, ctr, &e);
	netd_errs_note(es, r, &e);
	netd_explain("# netd: release the host ports of %s", key);
	for (size_t i = 0; i < n && !netd_dry(); i++) {
		r = netd_store_port_release(&ports[i], key, &e);
		netd_errs_note(es, r, &e);
	}
	if (lk >= 0)
		close(lk);
	for (size_t i = 0; i < n; i++) {
		if (!port_is_udp_like(&ports[i]))
			continue;
		explain_conntrack_flush(&ports[i]);
		r = netd_dry() ? 0 : netd_conntrack_flush_port(&ports[i], &e);
		netd_errs_note(es, r, &e);
	}
}

/*
 * The veth pair, buried (tombstone.c) so that the caller does not wait for its unregister;
 * deleted here when it cannot be buried or the caller wants it gone on return.
 */
static int remove_veth(const struct netd_endpoint *ep, const char *key, unsigned flags,
		       struct netd_err *err)
{
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	char alias[NETD_KEY_MAX + 8];
	int r;

	r = netd_rtnl_open(&rt, err);
	if (r < 0)
		return r;
	if (!(flags & NETD_TEARDOWN_WAIT)) {
		snprintf(alias, sizeof(alias), NETD_ALIAS_PREFIX "%s", key);
		r = netd_tomb_bury(rt, ep->host_ifname, alias, ep->ifname, ep->netns, err);
		if (r == 0 || r == -ENODEV)
			return 0;
		netd_err_clear(err);
	}
	return netd_link_del(rt, ep->host_ifname, err);
}

int netd_endpoint_teardown(const struct netd_endpoint *ep, struct netd_err *err)
{
	return netd_endpoint_teardown_flags(ep, 0, err);
}

int netd_endpoint_teardown_flags(const struct netd_endpoint *ep, unsigned flags,
				 struct netd_err *err)
{
	struct netd_errs es = {.err = err};
	char key[NETD_KEY_MAX];
	struct netd_err e = {0};
	int r;

	netd_store_key(key, sizeof(key), ep->network, ep->id, ep->ifname);
	if (!netd_dry() && mark_removing(ep, flags) == 1)
		return 0;
	{
		struct netd_nat_ctr ctr = nat_ctr(ep);

		td_ports(key, ep->ports, ep->n_ports, &ctr, &es);
	}
	/* A teardown that dies here has unpublished and released its ports, nothing else. */
	r = netd_dry() ? 0 : fail_at("detach", &e);
	netd_errs_note(&es, r, &e);
	if (ep->host_ifname[0] && (flags & NETD_DETACH_NETNS_DYING)) {
		netd_explain("# %s goes with its namespace", ep->host_ifname);
	} else if (ep->host_ifname[0]) {
		r = remove_veth(ep, key, flags, &e);
		netd_errs_note(&es, r, &e);
	}
	netd_explain("# netd: release the lease of %s, then remove its endpoint record", key);
	if (!netd_dry()) {
		int lk = lock_for(ep->network, flags, &e);
		struct netd_endpoint cur = {0};

		if (lk == -ENOENT)
			return netd_errs_result(&es, key); /* the network's state is gone */
		if (!(flags & NETD_TD_LOCKED))
			netd_errs_note(&es, lk, &e);
		/* Still our record? Another teardown may have finished and a new attach begun. */
		r = netd_store_endpoint_load(ep->network, ep->id, ep->ifname, &cur, &e);
		if (r == 0 && cur.created == ep->created && cur.ip.s_addr == ep->ip.s_addr) {
			r = ep->ip.s_addr ? netd_ipam_release(ep->network, ep->ip, key, &e) : 0;
			netd_errs_note(&es, r, &e);
			if (ep->ip6.family == AF_INET6 && !ep->external_ipam) {
				r = netd_ipam_release_ip(ep->network, &ep->ip6, key, &e);
				netd_errs_note(&es, r, &e);
			}
			/* The record goes last: while it exists, gc can finish what failed here. */
			if (!es.first) {
				r = netd_store_endpoint_delete(ep->network, ep->id, ep->ifname, &e);
				netd_errs_note(&es, r, &e);
			}
		} else if (r < 0 && r != -ENOENT) {
			netd_errs_note(&es, r, &e);
		}
		netd_endpoint_clear(&cur);
		if (lk >= 0)
			close(lk);
	}
	if (netd_dns_named(ep)) {
		netd_explain("# netd: dns: the names of %s go with its record", key);
		/* Under the caller's network lock (network rm) the caller syncs: flock would wait
		 * for itself. */
		if (!es.first && !netd_dry() && !(flags & NETD_TD_LOCKED)) {
			r = netd_dns_sync(ep->network, &e);
			netd_errs_note(&es, r, &e);
		}
	}
	return netd_errs_result(&es, key);
}

struct owned_ports {
	const char *key;
	struct netd_port *v;
	size_t n, cap;
};

static int collect_owned_port(const struct netd_port *p, const char *key, void *arg)
{
	struct owned_ports *o = arg;

	if (!key || strcmp(key, o->key) != 0)
		return 0;
	if (netd_grow((void **)&o->v, &o->cap, o->n, sizeof(*o->v)) < 0)
		return -ENOMEM;
	o->v[o->n++] = *p;
	return 0;
}

struct owned_leases {
	const char *key;
	struct netd_ip ips[8];
	size_t n;
};

static int collect_owned_lease(const struct netd_ip *ip, const char *key, void *arg)
{
	struct owned_leases *o = arg;

	if (key && strcmp(key, o->key) == 0 && o->n < ARRAY_SIZE(o->ips))
		o->ips[o->n++] = *ip;
	return 0;
}

int netd_endpoint_teardown_damaged(const char *network, const char *id, const char *ifname,
				   unsigned flags, struct netd_err *err)
{
	struct netd_errs es = {.err = err};
	struct owned_ports op = {0};
	struct owned_leases ol = {0};
	char key[NETD_KEY_MAX], alias[NETD_KEY_MAX + 8], host[NETD_IFNAME_MAX + 1];
	struct netd_err e = {0};
	const struct netd_nat_ctr any = {0}; /* a delete needs no element data */
	int lk, r;

	netd_store_key(key, sizeof(key), network, id, ifname);
	host_ifname_for(key, host);
	snprintf(alias, sizeof(alias), NETD_ALIAS_PREFIX "%s", key);
	op.key = ol.key = key;
	/*
	 * The record cannot say what the endpoint owns; the kernel and the other files can. Claims
	 * and leases name their owner (a walk of each: this is the repair path, not the hot one),
	 * map elements are keyed by the claimed port, the host veth's name comes from the key and
	 * its alias names the owner.
	 */
	r = netd_store_port_foreach(collect_owned_port, &op, &e);
	if (r < 0 && r != -ENOMEM)
		netd_errs_note(&es, r, &e);
	else if (r == -ENOMEM)
		netd_errs_note(&es, netd_err_set(&e, ENOMEM, "%s: out of memory", key), &e);
	if (r == 0)
		td_ports(key, op.v, op.n, &any, &es);
	free(op.v);
	if (!(flags & NETD_DETACH_NETNS_DYING)) {
		cleanup_rtnl struct netd_rtnl *rt = NULL;
		struct netd_link_info li;

		r = netd_rtnl_open(&rt, &e);
		if (r == 0)
			r = netd_link_get(rt, host, &li, &e);
		/* Only a veth whose alias names this endpoint is its own. */
		if (r == 0 && strcmp(li.alias, alias) == 0)
			r = netd_link_del(rt, host, &e);
		netd_errs_note(&es, r, &e);
	}
	if (netd_dry())
		return netd_errs_result(&es, key);
	lk = lock_for(network, flags, &e);
	if (lk == -ENOENT)
		return netd_errs_result(&es, key);
	if (!(flags & NETD_TD_LOCKED))
		netd_errs_note(&es, lk, &e);
	r = netd_ipam_foreach_ip(network, collect_owned_lease, &ol, &e);
	netd_errs_note(&es, r, &e);
	for (size_t i = 0; i < ol.n; i++) {
		r = netd_ipam_release_ip(network, &ol.ips[i], key, &e);
		netd_errs_note(&es, r, &e);
	}
	if (!es.first) {
		r = netd_store_endpoint_delete(network, id, ifname, &e);
		netd_errs_note(&es, r, &e);
	}
	if (lk >= 0)
		close(lk);
	return netd_errs_result(&es, key);
}

/* The door of the calls that name an endpoint: the defaults (the default network, eth0), then
 * each name checked once; below it the names are trusted. */
static int endpoint_key_at_door(const char **network, const char *id, const char **ifname,
				struct netd_err *err)
{
	int r;

	if (!*network)
		*network = NETD_DEFAULT_NETWORK;
	if (!*ifname)
		*ifname = "eth0";
	r = netd_name_check_network(*network, err);
	if (r == 0)
		r = netd_name_check_id(id ? id : "", err);
	if (r == 0)
		r = netd_name_check_ifname(*ifname, err);
	return r;
}

int netd_network_detach(const char *network, const char *id, const char *ifname,
			struct netd_err *err)
{
	return netd_network_detach_flags(network, id, ifname, 0, err);
}

int netd_network_detach_flags(const char *network, const char *id, const char *ifname,
			      unsigned flags, struct netd_err *err)
{
	struct netd_endpoint ep = {0};
	int r;

	r = endpoint_key_at_door(&network, id, &ifname, err);
	if (r == 0 && !netd_dry())
		r = netd_need_admin("detach", err);
	if (r < 0)
		return r;
	r = netd_store_endpoint_load(network, id, ifname, &ep, err);
	if (r == -ENOENT) {
		/* Already gone: detach is idempotent. */
		netd_err_clear(err);
		return 0;
	}
	if (r == -NETD_EDAMAGED) {
		netd_err_clear(err);
		return netd_endpoint_teardown_damaged(network, id, ifname, flags & ~NETD_TD_LOCKED,
						      err);
	}
	if (r < 0)
		return netd_err_prefix(err, "detach %s/%s", id, ifname);
	r = netd_endpoint_teardown_flags(&ep, flags & ~NETD_TD_LOCKED, err);
	netd_endpoint_clear(&ep);
	return r;
}

/* ---- check ---- */

int netd_network_check(const char *network, const char *id, const char *ifname, const char *netns,
		       struct netd_err *err)
{
	struct netd_endpoint ep = {0};
	cleanup_rtnl struct netd_rtnl *rt = NULL;
	cleanup_rtnl struct netd_rtnl *ns = NULL;
	cleanup_close int nsfd = -1;
	struct netd_link_info li, bi;
	char key[NETD_KEY_MAX];
	int r;

	if (!network)
		network = NETD_DEFAULT_NETWORK;
	if (!ifname)
		ifname = "eth0";
	r = netd_endpoint_get(network, id, ifname, &ep, err);
	if (r < 0)
		return r;
	netd_store_key(key, sizeof(key), ep.network, ep.id, ep.ifname);
	if (!netns || !*netns)
		netns = ep.netns;
	r = netd_rtnl_open(&rt, err);
	if (r == 0)
		r = netd_link_get(rt, ep.host_ifname, &li, err);
	if (r == 0)
		r = netd_link_get(rt, ep.bridge, &bi, err);
	if (r == 0 && li.master != bi.ifindex)
		r = netd_err_set(err, ENOENT, "host veth %s is not attached to bridge %s",
				 ep.host_ifname, ep.bridge);
	if (r == 0) {
		nsfd = netd_netns_open(netns, err);
		r = nsfd < 0 ? nsfd : 0;
	}
	if (r == 0)
		r = netd_rtnl_open_in_netns(nsfd, &ns, err);
	if (r == 0)
		r = netd_ctr_check(ns,
				   &(struct netd_ctr_conf){.ifname = ep.ifname,
							   .ip = ep.ip,
							   .prefix = ep.prefix,
							   .ip6 = ep.ip6,
							   .prefix6 = ep.prefix6,
							   .routes = ep.routes,
							   .n_routes = ep.n_routes,
							   .netns_fd = -1},
				   err);
	for (int fam = 0; fam < 2 && r == 0 && !ep.external_ipam; fam++) {
		struct netd_ip ip = fam ? ep.ip6 : netd_ip_from4(ep.ip);

		/* (an endpoint of an IPv6-only network has no IPv4 address) */
		if (ip.family != (fam ? AF_INET6 : AF_INET) || netd_ip_is_zero(&ip))
			continue;
		r = netd_ipam_owned_by(ep.network, &ip, key, err);
		if (r == -ENOENT) {
			char a[NETD_IP_STRLEN];
			netd_ip_format(&ip, a, sizeof(a));
			r = netd_err_set(err, ENOENT, "lease of %s for %s is missing", a, key);
		}
	}
	for (size_t i = 0; r == 0 && i < ep.n_ports; i++) {
		bool present = false;
		struct netd_nat_ctr ctr = nat_ctr(&ep);

		r = netd_nat_port_lookup(&ep.ports[i], &ctr, &present, err);
		if (r == 0 && !present) {
			char buf[96];
			netd_port_format(&ep.ports[i], buf, sizeof(buf));
			r = netd_err_set(err, ENOENT,
					 "published port %s is missing from table %s netd", buf,
					 ep.ports[i].host_ip.family == AF_INET6 ? "ip6" : "ip");
		}
	}
	netd_endpoint_clear(&ep);
	if (r < 0)
		return netd_err_prefix(err, "check %s/%s", id, ifname);
	return 0;
}

int netd_endpoint_get(const char *network, const char *id, const char *ifname,
		      struct netd_endpoint *ep, struct netd_err *err)
{
	int r;

	r = endpoint_key_at_door(&network, id, &ifname, err);
	if (r == 0)
		r = netd_store_endpoint_load(network, id, ifname, ep, err);
	if (r == -ENOENT)
		return netd_err_set(err, ENOENT, "endpoint %s/%s: not attached to network %s", id,
				    ifname, network);
	return r;
}

int netd_endpoint_list(const char *network, struct netd_endpoint **eps, size_t *n,
		       struct netd_err *err)
{
	if (network) {
		int r = netd_name_check_network(network, err);
		if (r < 0)
			return r;
	}
	return netd_store_endpoint_list(network, eps, n, err);
}

int netd_endpoint_scan(const char *network, struct netd_endpoint **eps, size_t *n,
		       struct netd_endpoint_damaged **bad, size_t *n_bad, struct netd_err *err)
{
	if (network) {
		int r = netd_name_check_network(network, err);
		if (r < 0)
			return r;
	}
	return netd_store_endpoint_scan(network, eps, n, bad, n_bad, err);
}
