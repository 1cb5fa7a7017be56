/* SPDX-License-Identifier: MIT */
#ifndef NETD_NETD_H
#define NETD_NETD_H

#include <netd/err.h>
#include <netd/names.h>
#include <netd/portspec.h>
#include <netd/netconf.h>
#include <netd/network.h>
#include <netd/doctor.h>
#include <netd/dns.h>
#include <netd/serve.h>
#include <netd/version.h>

#endif
