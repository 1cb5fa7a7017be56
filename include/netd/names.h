/* SPDX-License-Identifier: MIT */
#ifndef NETD_NAMES_H
#define NETD_NAMES_H

#include <netd/err.h>

/* Names end up as file names under the state dir, so they are checked before any use. */
#define NETD_ID_MAX	 128 /* endpoint/container id: [A-Za-z0-9][A-Za-z0-9_.-]* */
#define NETD_NETNAME_MAX 64  /* network name: same alphabet */
#define NETD_IFNAME_MAX	 15  /* IFNAMSIZ - 1; [A-Za-z0-9][A-Za-z0-9_.-]* */
#define NETD_DNSNAME_MAX 63  /* a name on a network: one DNS label (RFC 1123) */

int netd_name_check_id(const char *id, struct netd_err *err) NETD_MUST_USE;
int netd_name_check_network(const char *name, struct netd_err *err) NETD_MUST_USE;
int netd_name_check_ifname(const char *ifname, struct netd_err *err) NETD_MUST_USE;
/* A container's name or alias on a network: [A-Za-z0-9], then [A-Za-z0-9-], not ending in '-',
 * at most NETD_DNSNAME_MAX; compared without regard to case, as DNS does. */
int netd_name_check_dns(const char *name, struct netd_err *err) NETD_MUST_USE;

#endif
