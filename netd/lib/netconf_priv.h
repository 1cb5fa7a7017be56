/* SPDX-License-Identifier: MIT */
/* Private to libnetd: subnet-file helpers beyond the public netconf.h, and name quoting. */
#ifndef NETD_NETCONF_PRIV_H
#define NETD_NETCONF_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <netd/err.h>
#include <netd/netconf.h>

/*
 * Writes nc's subnet file atomically, replacing an existing definition (temp file in the config
 * dir, fsync, rename over). Validates nc first, as netd_netconf_save does (its name: already
 * checked by the caller).
 */
int netd_netconf_replace(const struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;

/* netd_netconf_load, _find, _finish and _save; the name: already checked by the caller. */
int netd_netconf_load_checked(const char *name, struct netd_netconf *nc,
			      struct netd_err *err) NETD_MUST_USE;
int netd_netconf_find_checked(const char *name, struct netd_netdef *def,
			      struct netd_err *err) NETD_MUST_USE;
int netd_netconf_finish_checked(struct netd_netconf *nc, const char *where,
				struct netd_err *err) NETD_MUST_USE;
int netd_netconf_save_checked(const struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;
/* Whether NAME.conf is in the config dir, name checked by the caller (one lstat; attach asks again
 * under the network lock, which network rm holds while it removes the network). */
bool netd_netconf_defined(const char *name);
/* The first of defs[0..n) whose subnet of net's family overlaps net, NULL when none; self (a
 * name) skips that network's own definition in this process's dir. Files that do not load are
 * skipped. */
const struct netd_netdef *netd_netdef_overlapping(const struct netd_netdef *defs, size_t n,
						  const char *self, const struct netd_prefix *net);
/*
 * The rule that keeps networks apart on a host: -EEXIST naming the other network when one in
 * either config dir has nc's name (its own file in this process's dir aside) or a subnet that
 * overlaps nc's. Every path that defines or uses a network calls it.
 */
int netd_netconf_check_unique(const struct netd_netconf *nc, struct netd_err *err) NETD_MUST_USE;

/* Longest part of an outside string that error messages quote. */
#define NETD_QUOTE_SHOW 40
/* Enough for a quoted string of NETD_QUOTE_SHOW characters, each escaped as \xNN, plus "...". */
#define NETD_QUOTE_MAX (2 + 4 * NETD_QUOTE_SHOW + 3 + 1)

/*
 * Quotes s for an error message: "s" with '"', '\\', control and non-ASCII bytes escaped (\xNN)
 * and the text cut after NETD_QUOTE_SHOW characters (marked "..."). Returns buf.
 */
static inline const char *netd_quote(char *buf, size_t len, const char *s)
{
	size_t o = 0, i;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	if (!s)
		s = "";
	buf[o++] = '"';
	for (i = 0; s[i] && i < NETD_QUOTE_SHOW; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 4 + 5 > len)
			break;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (s[i] && o + 5 <= len) {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

#endif
