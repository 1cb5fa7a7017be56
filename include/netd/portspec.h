/* SPDX-License-Identifier: MIT */
#ifndef NETD_PORTSPEC_H
#define NETD_PORTSPEC_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netd/err.h>

#define NETD_PROTO_TCP	6
#define NETD_PROTO_UDP	17
#define NETD_PROTO_SCTP 132

/* One published port. host_port 0 means "choose a free one"; when host_port_max > host_port
 * one free port in [host_port, host_port_max] is chosen (Docker's "8000-8010:80"). */
struct netd_port {
	uint8_t proto;
	struct in_addr host_ip; /* INADDR_ANY: every host address */
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
/* "0.0.0.0:8080->80/tcp"; returns snprintf's result. */
int netd_port_format(const struct netd_port *p, char *buf, size_t len);

#endif
