/* SPDX-License-Identifier: MIT */
#include <netd/version.h>

/* One home for the version: the Makefile's VERSION, passed to this file alone. */
#ifndef NETD_VERSION
#error "NETD_VERSION comes from the Makefile (make VERSION=...)"
#endif

const char *netd_version(void)
{
	return NETD_VERSION;
}
