/* SPDX-License-Identifier: MIT */
#ifndef NETD_VERSION_H
#define NETD_VERSION_H

/* libnetd's version ("0.1.0"): the Makefile's VERSION, which the tools report with --version. */
const char *netd_version(void);

#endif
