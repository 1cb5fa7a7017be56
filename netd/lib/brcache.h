/* SPDX-License-Identifier: MIT */
/*
 * The bridge as a network's last full setup left it, so that an attach asks the kernel nothing
 * about it: no GETLINK, no address add the kernel refuses, no sysctl writes (link.c's
 * netd_bridge_ensure does those on a miss). $NETD_STATE_DIR/networks/NAME/bridge holds the
 * bridge's ifindex with everything the setup was made for: the bridge's name, address, mtu, the
 * network namespace and the boot. Within one boot and namespace the kernel does not hand an
 * ifindex out twice (it allocates them cyclically over 2^31), so a cached ifindex names our
 * bridge or nothing; the attach passes it as the master of the new veth, and a refused veth
 * means the full setup again. A stale file is therefore harmless; it is dropped where the
 * bridge goes (attach rollback, network rm) and by gc, so that the next attach repairs a bridge
 * changed behind our back (taken down, address removed). Private to libnetd.
 */
#ifndef NETD_BRCACHE_H
#define NETD_BRCACHE_H

#include <netinet/in.h>
#include <netd/addr.h>

/* network: already checked by the caller (here and in netd_brcache_drop). */
struct netd_brcache {
	const char *network, *bridge;
	struct in_addr gw; /* 0: the bridge has no address */
	unsigned prefix, mtu;
	struct netd_ip gw6; /* family 0: no IPv6 address on the bridge */
	unsigned prefix6;
};

/* The cached ifindex when the file was written for exactly this setup here, this boot; else 0. */
int netd_brcache_lookup(const struct netd_brcache *b);
/* After a full setup; best effort (a lost write means the next attach does the full setup). */
void netd_brcache_store(const struct netd_brcache *b, int ifindex);
void netd_brcache_drop(const char *network);

#endif
