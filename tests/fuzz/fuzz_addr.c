/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the address module. Whatever parses formats back to text that parses to
 * the same value (one canonical form); overlap is symmetric and agrees with containment;
 * arithmetic round-trips (ip + (hi - ip) == hi).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netd/addr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ip_roundtrip(const char *s, size_t len)
{
	struct netd_ip a, b;
	char t[NETD_IP_STRLEN], h[NETD_HOST_STRLEN];
	const char *rest = NULL;
	uint64_t off;

	if (netd_ip_parse_n(s, len, AF_UNSPEC, &a, NULL) < 0)
		return;
	netd_ip_format(&a, t, sizeof(t));
	if (netd_ip_parse(t, a.family, &b, NULL) < 0 || !netd_ip_equal(&a, &b))
		abort();
	/* the host form with a port after it reads back too */
	netd_ip_format_host(&a, h, sizeof(h));
	strcat(h, ":1");
	if (netd_ip_parse_host(h, AF_UNSPEC, &b, &rest, NULL) < 0 || !netd_ip_equal(&a, &b) ||
	    strcmp(rest, "1"))
		abort();
	if (netd_ip_add(&a, 0, &b) < 0 || !netd_ip_equal(&a, &b))
		abort();
	if (netd_ip_add(&a, 12345, &b) == 0 &&
	    (netd_ip_diff(&a, &b, &off) < 0 || off != 12345 || netd_ip_cmp(&a, &b) >= 0))
		abort();
}

static bool prefix_of(const char *s, size_t len, struct netd_prefix *p)
{
	struct netd_prefix q;
	char t[NETD_PREFIX_STRLEN];

	if (netd_prefix_parse_n(s, len, AF_UNSPEC, p, NULL) < 0)
		return false;
	netd_prefix_format(p, t, sizeof(t));
	if (netd_prefix_parse(t, p->ip.family, &q, NULL) < 0 || q.len != p->len ||
	    !netd_ip_equal(&q.ip, &p->ip))
		abort();
	return true;
}

static void two_prefixes(const struct netd_prefix *a, const struct netd_prefix *b)
{
	struct netd_prefix na = netd_prefix_network(a), nb = netd_prefix_network(b);
	struct netd_ip la = netd_prefix_last(&na), lb = netd_prefix_last(&nb);
	bool ov = netd_prefix_overlap(a, b);

	if (ov != netd_prefix_overlap(b, a))
		abort();
	/* overlap means one holds the other's first address */
	if (ov != (netd_prefix_contains(a, &nb.ip) || netd_prefix_contains(b, &na.ip)))
		abort();
	if (!netd_prefix_is_network(&na) || !netd_prefix_contains(a, &la) ||
	    !netd_prefix_contains(b, &lb) || netd_prefix_contains(a, &na.ip) != true)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const uint8_t *sep = memchr(data, '\n', size);
	size_t l1 = sep ? (size_t)(sep - data) : size;
	struct netd_prefix a, b;
	struct netd_ip_range r;
	uint8_t mac[NETD_MAC_LEN], mac2[NETD_MAC_LEN];
	char t[NETD_MAC_STRLEN];
	char *z;

	if (size > 512)
		return 0;
	ip_roundtrip(s, l1);
	if (netd_mac_parse_n(s, l1, mac, NULL) == 0 &&
	    (netd_mac_parse(netd_mac_format(mac, t, sizeof(t)), mac2, NULL) < 0 ||
	     memcmp(mac, mac2, sizeof(mac))))
		abort();
	z = malloc(l1 + 1);
	if (!z)
		return 0;
	memcpy(z, s, l1);
	z[l1] = '\0';
	if (netd_range_parse(z, AF_UNSPEC, &r, NULL) == 0 && r.first.family != r.last.family)
		abort();
	free(z);
	if (!prefix_of(s, l1, &a) || !sep)
		return 0;
	if (prefix_of(s + l1 + 1, size - l1 - 1, &b))
		two_prefixes(&a, &b);
	return 0;
}
