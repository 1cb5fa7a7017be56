/* SPDX-License-Identifier: MIT */
/*
 * An endpoint record's text form (endpoint_record.c): key=value lines. Pure; private to libnetd.
 */
#ifndef NETD_ENDPOINT_RECORD_H
#define NETD_ENDPOINT_RECORD_H

#include <netd/err.h>
#include <netd/network.h>

/* The rules of names.c for a record's three names; err may be NULL. */
int netd_endpoint_names_check(const char *network, const char *id, const char *ifname,
			      struct netd_err *err) NETD_MUST_USE;

/* Text form (key=value lines) of a record, and back; exposed for unit tests. */
int netd_endpoint_format(const struct netd_endpoint *ep, char **out,
			 struct netd_err *err) NETD_MUST_USE;
int netd_endpoint_parse(const char *text, const char *where, struct netd_endpoint *ep,
			struct netd_err *err) NETD_MUST_USE;

#endif
