/* SPDX-License-Identifier: MIT */
/*
 * Names on netd networks. An endpoint attached with a name (and aliases) is found by that name
 * from the other endpoints of its network: aardvark-dns (the server podman runs) listens on each
 * such network's gateway and answers what the network holds; other names go on to the host's
 * resolvers. One server per host, started with the first named endpoint and stopped with the
 * last. aardvark-dns is a soft dependency: without it everything else works, names are simply
 * not answered, and containers get the host's resolvers.
 */
#ifndef NETD_DNS_H
#define NETD_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <netd/err.h>
#include <netd/network.h>

/* The search domain containers get; "web.dns.netd" is "web" (podman's is dns.podman). */
#define NETD_DNS_DOMAIN "dns.netd"

/* The aardvark-dns binary: $NETD_AARDVARK when set, else the first packaged path that is
 * executable (/usr/lib/podman, /usr/libexec/podman, ...); NULL when there is none. */
const char *netd_dns_server_path(void);

/* True when ep has a name or an alias. */
bool netd_dns_named(const struct netd_endpoint *ep);

/* True when ep's names are served: it has a name or an alias and the server binary exists. */
bool netd_dns_serves(const struct netd_endpoint *ep);

/*
 * What a user asked for (nsbox --dns, --dns-search). Each list given replaces the one the rule
 * below would give, as Docker's options do: --dns servers win over the network's name server
 * (the names on the network are then not answered), --dns-search replaces the search list.
 * Checked by the front end (addresses, domains). NULL lists / 0: not asked.
 */
struct netd_dns_user {
	const char *const *nameservers;
	size_t n_nameservers;
	const char *const *search;
	size_t n_search;
};

/*
 * The addresses ep's resolver asks when its names are served (netd_dns_serves): its network's
 * gateway of each family ep has an address of (IPv4 first), where the server listens. Returns
 * how many (0: not served, or the network does not load).
 */
size_t netd_dns_gateways(const struct netd_endpoint *ep, struct netd_ip gws[2]);

/*
 * Which name servers a resolver can use: NETD_DNS_V4 and NETD_DNS_V6 for the families it has an
 * address of (its resolv.conf names only servers of those; none given: IPv4, as a Docker
 * container without IPv6); NETD_DNS_HOST when it runs in the host's network namespace (every
 * server of the host's file, loopback ones too; the families then choose only the fallback).
 */
#define NETD_DNS_V4   (1u << 0)
#define NETD_DNS_V6   (1u << 1)
#define NETD_DNS_HOST (1u << 2)

/* The families (NETD_DNS_V4, NETD_DNS_V6) the endpoints eps[0..n) have an address of: a
 * container on several networks can use the name servers of any of them. */
unsigned netd_dns_families(const struct netd_endpoint *eps, size_t n);

/*
 * The /etc/resolv.conf a container with endpoints eps[0..n_eps) gets (eps[0] on its first
 * network; none: no network). host_netns: it shares the host's network namespace, so the host's
 * file as it is (unless user asks for more). eps[0] served (netd_dns_serves): its gateways
 * (netd_dns_gateways) as the only nameservers, search NETD_DNS_DOMAIN and the host's search
 * domains. Otherwise the host's resolvers that the container can reach: of the families its
 * endpoints have (netd_dns_families), neither loopback nor link-local; a systemd-resolved stub
 * is replaced by the upstreams in /run/systemd/resolve/resolv.conf; none at all: Docker's public
 * fallbacks of those families (8.8.8.8, 8.8.4.4; 2001:4860:4860::8888, 2001:4860:4860::8844),
 * with the host's search and options lines. user may be NULL. Returns snprintf's result.
 */
int netd_dns_resolv_conf(const struct netd_endpoint *eps, size_t n_eps, bool host_netns,
			 const struct netd_dns_user *user, char *buf, size_t len);

/*
 * The same rule on given texts (for tests): host is /etc/resolv.conf, resolved the file of
 * systemd-resolved (NULL: none); n_gws 0: no name server of ours; families: NETD_DNS_* above.
 */
int netd_dns_resolv_render(const char *host, const char *resolved, const struct netd_ip *gws,
			   size_t n_gws, unsigned families, const struct netd_dns_user *user,
			   char *buf, size_t len);

/* The running server's pid (its pid file, checked against /proc), or 0. */
int netd_dns_server_pid(void);

/*
 * Brings the server in line with the state: starts it when a network has named endpoints and
 * it is not running (killed, crashed, never started), stops it when none has. netd serve calls
 * it every round; *started says it had to start one.
 */
int netd_dns_ensure(bool *started, struct netd_err *err) NETD_MUST_USE;

#endif
