/* SPDX-License-Identifier: MIT */
/* Names that become file names or interface names: checked before any use. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <netd/names.h>
#include "netconf_priv.h"

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static bool name_first_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * [A-Za-z0-9][A-Za-z0-9_.-]{0,max-1}: no '/', no "." or "..", no spaces, control characters or
 * non-ASCII bytes, so a valid name is always a single, harmless path component.
 */
static int name_check(const char *name, const char *what, size_t max, struct netd_err *err)
{
	char q[NETD_QUOTE_MAX];
	size_t len;

	if (!name || !*name)
		return netd_err_set(err, EINVAL,
				    "invalid %s \"\": empty; use letters, digits, '_', '.', '-', "
				    "starting with a letter or digit (at most %zu)",
				    what, max);
	len = strnlen(name, max + 1);
	if (len > max)
		return netd_err_set(err, EINVAL,
				    "invalid %s %s: too long (%zu characters, at most %zu)", what,
				    netd_quote(q, sizeof(q), name), strlen(name), max);
	if (!name_first_ok(name[0]))
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if (!name_char_ok(name[i]))
			goto bad;
	}
	return 0;
bad:
	return netd_err_set(err, EINVAL,
			    "invalid %s %s: use letters, digits, '_', '.', '-', starting with a "
			    "letter or digit (at most %zu)",
			    what, netd_quote(q, sizeof(q), name), max);
}

int netd_name_check_id(const char *id, struct netd_err *err)
{
	return name_check(id, "endpoint id", NETD_ID_MAX, err);
}

int netd_name_check_network(const char *name, struct netd_err *err)
{
	return name_check(name, "network name", NETD_NETNAME_MAX, err);
}

int netd_name_check_ifname(const char *ifname, struct netd_err *err)
{
	return name_check(ifname, "interface name", NETD_IFNAME_MAX, err);
}

static bool dns_char_ok(char c)
{
	return name_first_ok(c) || c == '-';
}

/* RFC 1123 host name labels: what every resolver accepts and nothing needs quoting. */
int netd_name_check_dns(const char *name, struct netd_err *err)
{
	char q[NETD_QUOTE_MAX];
	size_t len;

	if (!name || !*name)
		return netd_err_set(err, EINVAL,
				    "invalid name \"\": empty; a name on a network is a DNS label: "
				    "letters, digits and '-' (at most %d)",
				    NETD_DNSNAME_MAX);
	len = strnlen(name, NETD_DNSNAME_MAX + 1);
	if (len > NETD_DNSNAME_MAX)
		return netd_err_set(err, EINVAL,
				    "invalid name %s: too long (%zu characters, at most %d)",
				    netd_quote(q, sizeof(q), name), strlen(name), NETD_DNSNAME_MAX);
	for (size_t i = 0; i < len; i++)
		if (!dns_char_ok(name[i]))
			goto bad;
	if (name[0] == '-' || name[len - 1] == '-')
		goto bad;
	return 0;
bad:
	return netd_err_set(err, EINVAL,
			    "invalid name %s: a name on a network is a DNS label: letters, digits "
			    "and '-', starting and ending with a letter or digit (at most %d)",
			    netd_quote(q, sizeof(q), name), NETD_DNSNAME_MAX);
}
