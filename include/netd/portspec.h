/* SPDX-License-Identifier: MIT */
#ifndef NETD_PORTSPEC_H
#define NETD_PORTSPEC_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netd/addr.h>
#include <netd/err.h>

#define NETD_PROTO_TCP	6
#define NETD_PROTO_UDP	17
#define NETD_PROTO_SCTP 132

/* One published port. host_port 0 means "choose a free one"; when host_port_max > host_port
 * one free port in [host_port, host_port_max] is chosen (Docker's "8000-8010:80"). */
struct netd_port {
	uint8_t proto;
	/*
	 * family 0: every host address of both families, as Docker's "-p 8080:80" (0.0.0.0, and
	 * [::] when the endpoint has an IPv6 address; attach turns it into one port per family).
	 * AF_INET 0.0.0.0 / AF_INET6 ::: every address of that family only. Records, claims and
	 * the nat layer only ever see AF_INET or AF_INET6.
	 */
	struct netd_ip host_ip;
	uint16_t host_port;
	uint16_t host_port_max;
	uint16_t ctr_port;
};

/*
 * Parses one Docker -p spec: CTR, HOST:CTR, IP:HOST:CTR, IP::CTR, ranges (8000-8010:8000-8010,
 * 8000-8010:80), with an optional /tcp, /udp or /sctp. Ranges expand to one entry per port.
 * Appends to out[*n..cap); on error nothing is appended and err says what and where.
 */
int netd_portspec_parse(const char *spec, struct netd_port *out, size_t cap, size_t *n,
			struct netd_err *err) NETD_MUST_USE;
/* "tcp", "udp", "sctp" or NULL; and back (0 when unknown). */
const char *netd_proto_name(uint8_t proto);
uint8_t netd_proto_from_name(const char *name);
/* "0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp", "*:8080->80/tcp" (family 0); returns
 * snprintf's result. */
int netd_port_format(const struct netd_port *p, char *buf, size_t len);
/*
 * Whether two ports' host addresses take the same connections (the conflict rule of host ports,
 * with proto and port equal): family 0 meets every address, other families never meet, and
 * within a family the wildcard meets every address.
 */
bool netd_port_hosts_meet(const struct netd_ip *a, const struct netd_ip *b);
/* The host address as text: "0.0.0.0", "[fd00::1]", "*" for family 0 (len >= NETD_HOST_STRLEN). */
void netd_port_host_format(const struct netd_port *p, char *buf, size_t len);
/*
 * Whether a port can be published on host address ip: [::1] cannot (the kernel does not route
 * IPv6 loopback out of another interface; there is no route_localnet for IPv6), so it is refused
 * rather than accepted and never answered.
 */
int netd_port_check_host(const struct netd_ip *ip, struct netd_err *err) NETD_MUST_USE;

#endif
