/* SPDX-License-Identifier: MIT */
/* Names on networks (dns.c), as network.c, gc.c and serve.c use them. Private to libnetd. */
#ifndef NETD_DNS_PRIV_H
#define NETD_DNS_PRIV_H

#include <stdbool.h>
#include <netd/dns.h>
#include <netd/network.h>

/* Checks req's name and aliases (DNS labels, at most NETD_ALIASES_MAX) and copies them into ep,
 * each once (case-insensitively). */
int netd_dns_names_set(struct netd_endpoint *ep, const struct netd_attach_req *req,
		       struct netd_err *err) NETD_MUST_USE;

/* Refuses (-EADDRINUSE, as a taken address) a name of ep that another endpoint of its network
 * holds. The caller holds the network lock, under which records are written, so two attaches cannot
 * both pass. */
int netd_dns_names_free(const struct netd_endpoint *ep, struct netd_err *err) NETD_MUST_USE;

/* "web,www" for explain lines and messages. */
void netd_dns_names_text(const struct netd_endpoint *ep, char *buf, size_t len);

/*
 * Rewrites network's server config from its endpoint records (takes the network lock), then
 * starts, reloads or stops the server to match. What a record says is the truth: run it after
 * every change of a named endpoint's record.
 */
int netd_dns_sync(const char *network, struct netd_err *err) NETD_MUST_USE; /* network checked */

/* gc: every network's config rebuilt from records, configs of removed networks and temp files
 * of dead writers removed, the server brought in line. */
int netd_dns_converge(struct netd_err *err) NETD_MUST_USE;

#endif
