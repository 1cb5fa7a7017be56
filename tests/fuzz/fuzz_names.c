/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: names from outside (container ids, network names, ifnames, names on a
 * network) become file, interface and DNS names. Whatever is accepted must be one harmless path
 * component of bounded length; whatever is refused must say why in one printable line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netd/names.h>
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_msg(const struct netd_err *err)
{
	size_t n = strnlen(err->msg, sizeof(err->msg));

	if (err->code != EINVAL || n == 0 || n == sizeof(err->msg))
		abort();
	for (size_t i = 0; i < n; i++) /* quoted: no raw control or non-ASCII bytes */
		if ((unsigned char)err->msg[i] < 0x20 || (unsigned char)err->msg[i] >= 0x7f)
			abort();
}

static void check_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !strcmp(s, ".") || !strcmp(s, "..") || strchr(s, '/') ||
	    s[0] == '-' || s[0] == '.')
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[NETD_KEY_MAX + 1];
	struct netd_err err;
	bool id_ok, net_ok, if_ok;
	char *s;

	if (size > 1024)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0'; /* an embedded NUL cuts the name, as it would in argv or getenv */

	memset(&err, 0, sizeof(err));
	id_ok = netd_name_check_id(s, &err) == 0;
	if (id_ok)
		check_ok(s, NETD_ID_MAX);
	else
		check_msg(&err);
	memset(&err, 0, sizeof(err));
	net_ok = netd_name_check_network(s, &err) == 0;
	if (net_ok)
		check_ok(s, NETD_NETNAME_MAX);
	else
		check_msg(&err);
	memset(&err, 0, sizeof(err));
	if_ok = netd_name_check_ifname(s, &err) == 0;
	if (if_ok)
		check_ok(s, NETD_IFNAME_MAX);
	else
		check_msg(&err);
	/* the shorter limits imply the longer ones: same alphabet */
	if ((if_ok && !net_ok) || (net_ok && !id_ok))
		abort();
	/* a name on a network (DNS label) is also a valid id: nsbox uses one as the other */
	memset(&err, 0, sizeof(err));
	if (netd_name_check_dns(s, &err) == 0) {
		check_ok(s, NETD_DNSNAME_MAX);
		if (!id_ok || strchr(s, '_') || strchr(s, '.') || s[strlen(s) - 1] == '-')
			abort();
	} else {
		check_msg(&err);
	}
	/* an owner key of valid names always fits */
	if (if_ok) {
		if (netd_store_key(key, sizeof(key), s, s, s) < 0 ||
		    strlen(key) != 3 * strlen(s) + 2)
			abort();
	}
	free(s);
	return 0;
}
