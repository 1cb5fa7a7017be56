/* SPDX-License-Identifier: MIT */
/*
 * Endpoint record files (endpoint_store.c): networks/NET/endpoints/ID@IFNAME (layout in store.h).
 * Writes happen under the network lock. Private to libnetd. Names (network, id, ifname, and
 * those of a record saved): already checked by the caller; records read back are checked here.
 */
#ifndef NETD_ENDPOINT_STORE_H
#define NETD_ENDPOINT_STORE_H

#include <stddef.h>
#include <netd/err.h>
#include <netd/network.h>

int netd_store_endpoint_save(const struct netd_endpoint *ep, struct netd_err *err) NETD_MUST_USE;
/* -ENOENT when there is no such record. */
int netd_store_endpoint_load(const char *network, const char *id, const char *ifname,
			     struct netd_endpoint *ep, struct netd_err *err) NETD_MUST_USE;
/* A missing record counts as done. */
int netd_store_endpoint_delete(const char *network, const char *id, const char *ifname,
			       struct netd_err *err) NETD_MUST_USE;
/*
 * Every record of network (NULL: of all networks), sorted. -NETD_EDAMAGED from load (and those
 * in bad): a record file that is no such record. A permission error fails the scan: it is never
 * taken for "no record". bad NULL: damaged records are left out.
 */
int netd_store_endpoint_scan(const char *network, struct netd_endpoint **eps, size_t *n,
			     struct netd_endpoint_damaged **bad, size_t *n_bad,
			     struct netd_err *err) NETD_MUST_USE;
/* The same over networks[0..n_networks) (netd_store_networks). */
int netd_store_endpoint_scan_in(char *const *networks, size_t n_networks,
				struct netd_endpoint **eps, size_t *n,
				struct netd_endpoint_damaged **bad, size_t *n_bad,
				struct netd_err *err) NETD_MUST_USE;
int netd_store_endpoint_list(const char *network, struct netd_endpoint **eps, size_t *n,
			     struct netd_err *err) NETD_MUST_USE;

#endif
