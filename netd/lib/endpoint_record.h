/* SPDX-License-Identifier: MIT */
/*
 * An endpoint record's text form (endpoint_record.c): key=value lines. Pure; private to libnetd.
 */
#ifndef NETD_ENDPOINT_RECORD_H
#define NETD_ENDPOINT_RECORD_H

#include <netd/err.h>
#include <netd/network.h>

/* Text form (key=value lines) of a record, and back; exposed for unit tests. format trusts the
 * names in ep (checked at the door, or by the parser); parse checks what it reads. */
int netd_endpoint_format(const struct netd_endpoint *ep, char **out,
			 struct netd_err *err) NETD_MUST_USE;
int netd_endpoint_parse(const char *text, const char *where, struct netd_endpoint *ep,
			struct netd_err *err) NETD_MUST_USE;
/* The same for the record of network/id/ifname (checked by the caller): a name equal to the
 * expected one is not checked again (the caller still compares what the record holds). */
int netd_endpoint_parse_of(const char *text, const char *where, const char *network, const char *id,
			   const char *ifname, struct netd_endpoint *ep,
			   struct netd_err *err) NETD_MUST_USE;

#endif
