/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the host's resolv.conf (and systemd-resolved's) become a container's. Input:
 * one byte of families (NETD_DNS_* bits), then the host's text, a NUL, the resolved text.
 * Whatever the texts hold, the result is search/nameserver/options lines only, one to four name
 * servers (three read from the host at most, or a fallback pair per family), each an address
 * the families allow: in a container's namespace one of its families, never loopback or
 * link-local.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netd/addr.h>
#include <netd/dns.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_server(const char *a, unsigned fam)
{
	struct netd_ip ip;

	if (netd_ip_parse(a, AF_UNSPEC, &ip, NULL) < 0)
		abort();
	if (!(fam & (NETD_DNS_V4 | NETD_DNS_V6)))
		fam |= NETD_DNS_V4; /* none given: IPv4 (dns.h) */
	if (fam & NETD_DNS_HOST)
		return;
	if (ip.family == AF_INET && (!(fam & NETD_DNS_V4) || (ntohl(ip.v4.s_addr) >> 24) == 127))
		abort();
	if (ip.family == AF_INET6 &&
	    (!(fam & NETD_DNS_V6) || IN6_IS_ADDR_LOOPBACK(&ip.v6) || IN6_IS_ADDR_LINKLOCAL(&ip.v6)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[2048], *host, *resolved, *save = NULL;
	unsigned fam;
	size_t n_ns = 0;
	int n;

	if (size < 1)
		return 0;
	fam = data[0] & (NETD_DNS_V4 | NETD_DNS_V6 | NETD_DNS_HOST);
	host = calloc(1, size + 1); /* data[1..] and a NUL; resolved: after the first NUL */
	if (!host)
		return 0;
	memcpy(host, data + 1, size - 1);
	resolved = host + strlen(host) + 1;
	if (resolved > host + size - 1)
		resolved = NULL;
	n = netd_dns_resolv_render(host, resolved, NULL, 0, fam, NULL, out, sizeof(out));
	if (n < 0 || (size_t)n >= sizeof(out) || strlen(out) != (size_t)n)
		abort();
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "nameserver ", 11)) {
			check_server(l + 11, fam);
			n_ns++;
		} else if (strncmp(l, "search ", 7) && strncmp(l, "options ", 8)) {
			abort();
		}
	}
	if (n_ns < 1 || n_ns > 4)
		abort();
	free(host);
	return 0;
}
