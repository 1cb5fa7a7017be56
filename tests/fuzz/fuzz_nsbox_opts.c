/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: nsbox's option values (runtime/opts.c). The first byte picks the parser:
 * --memory SIZE, --cpus N.N, --pids-limit N, -u UID[:GID], --hostname, cgroup.procs as the
 * kill path reads it, -v, --tmpfs, --mount, --restart, --add-host, --env-file lines, capability
 * names, the rootfs' /etc/passwd and /etc/group (hostile: a container image's), and --network
 * values one per line (several networks, never one twice; host, none, container:NAME alone).
 * Accepted values must be in range and survive a round trip through their canonical form; container
 * paths are absolute and free of "." and "..".
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nsbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[64];
	char *s;
	uid_t uid = 7;
	gid_t gid = 7;

	if (size < 1 || size > 4096)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 16) {
	case 0: {
		long long v = nsbox_parse_size(s);
		if (v > 0) {
			if (v > (1LL << 50))
				abort();
			snprintf(buf, sizeof(buf), "%lld", v);
			if (nsbox_parse_size(buf) != v)
				abort();
		}
		break;
	}
	case 1: {
		long q = nsbox_parse_cpus(s);
		if (q > 0) {
			if (q < 1000 || q > 1024L * 100000 + 99999)
				abort();
			snprintf(buf, sizeof(buf), "%ld.%05ld", q / 100000, q % 100000);
			if (nsbox_parse_cpus(buf) != q)
				abort();
		}
		break;
	}
	case 2: {
		long v = nsbox_parse_long(s, 1, 4194304);
		if (v != -1 && (v < 1 || v > 4194304))
			abort();
		break;
	}
	case 3:
		if (nsbox_parse_user(s, &uid, &gid) == 0) {
			if (uid > 0x7fffffff || gid > 0x7fffffff)
				abort();
			snprintf(buf, sizeof(buf), "%u:%u", (unsigned)uid, (unsigned)gid);
			uid_t u2;
			gid_t g2;
			if (nsbox_parse_user(buf, &u2, &g2) != 0 || u2 != uid || g2 != gid)
				abort();
		} else if (uid != 7 || gid != 7) {
			abort(); /* outputs untouched on error */
		}
		break;
	case 5: {
		pid_t pids[64];
		size_t n = 0, off = 0;
		char out[1024];
		int r = nsbox_parse_pid_list(s, size - 1, pids, 64, &n);
		if (r == 0) {
			for (size_t i = 0; i < n; i++) {
				if (pids[i] < 1 || pids[i] > 4194304)
					abort();
				off += (size_t)snprintf(out + off, sizeof(out) - off, "%d\n",
							(int)pids[i]);
			}
			if (off != size - 1 || memcmp(out, s, off))
				abort(); /* only the canonical form parses */
		} else if (r != -EINVAL && r != -E2BIG) {
			abort();
		}
		break;
	}
	case 6:
	case 7:
	case 8: {
		static struct nsbox_mount m;
		struct netd_err err = {0};
		int r = data[0] % 14 == 6   ? nsbox_parse_volume(s, &m, &err)
			: data[0] % 14 == 7 ? nsbox_parse_tmpfs(s, &m, &err)
					    : nsbox_parse_mount(s, &m, &err);
		if (r == 0) {
			if (m.dst[0] != '/' || !m.dst[1] || strstr(m.dst, "/../") ||
			    strstr(m.dst, "//") ||
			    (strlen(m.dst) >= 3 && !strcmp(m.dst + strlen(m.dst) - 3, "/..")))
				abort();
			if (m.type == NSBOX_MOUNT_BIND && m.src[0] != '/')
				abort();
			if (m.type == NSBOX_MOUNT_TMPFS && (m.size < 0 || m.mode > 07777))
				abort();
		} else if (!err.msg[0]) {
			abort();
		}
		break;
	}
	case 9: {
		int pol = -1;
		long max = -1;
		if (nsbox_parse_restart(s, &pol, &max) == 0 &&
		    (pol < NSBOX_RESTART_NO || pol > NSBOX_RESTART_ALWAYS || max < 0 ||
		     max > 1000000))
			abort();
		break;
	}
	case 10: {
		char n[256], ip[64];
		if (nsbox_parse_add_host(s, n, sizeof(n), ip, sizeof(ip)) == 0 &&
		    (!n[0] || strchr(n, ':') || !nsbox_ip_ok(ip)))
			abort();
		break;
	}
	case 11: {
		char out[300];
		int r = nsbox_env_line(s, strlen(s), out, sizeof(out));
		if (r == 1 && (out[0] == '=' || out[0] == ' ' || out[0] == '#'))
			abort();
		int c = nsbox_cap_parse(s);
		if (c >= 0 && nsbox_cap_parse(nsbox_cap_name(c)) != c)
			abort();
		break;
	}
	case 12: {
		/* passwd: the input is the file, the user looked up is its first name or a uid */
		struct nsbox_pwent pw;
		if (nsbox_passwd_find(s, size - 1, "www-data", &pw) &&
		    (strcmp(pw.name, "www-data") || (pw.home[0] && pw.home[0] != '/')))
			abort();
		if (nsbox_passwd_find(s, size - 1, "0", &pw) && pw.uid != 0)
			abort();
		break;
	}
	case 13: {
		gid_t g[8], g1 = 12345;
		size_t n = nsbox_group_members(s, size - 1, "www-data", g, 8);
		if (n > 8)
			abort();
		if (nsbox_group_find(s, size - 1, "7", &g1) && g1 != 7)
			abort();
		break;
	}
	case 15: { /* (14 and seeds starting with it: hostnames) */
		struct nsbox_opts o = {0};
		struct netd_err err = {0};
		for (char *line = s, *nl; line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			if (nsbox_net_add(&o, line, &err) < 0 && !err.msg[0])
				abort();
		}
		if (o.n_networks > NSBOX_MAX_NETWORKS ||
		    (o.n_networks && o.net_mode != NSBOX_NET_BRIDGE) ||
		    (o.net_mode == NSBOX_NET_CONTAINER) != (o.net_container != NULL) ||
		    (o.net_container && netd_name_check_id(o.net_container, &err) < 0))
			abort();
		for (size_t i = 0; i < o.n_networks; i++) {
			if (netd_name_check_network(o.networks[i], &err) < 0)
				abort();
			for (size_t j = 0; j < i; j++)
				if (!strcmp(o.networks[i], o.networks[j]))
					abort();
		}
		break;
	}
	default:
		if (nsbox_hostname_ok(s)) {
			size_t n = strlen(s);
			if (n == 0 || n > 63 || strchr(s, '/'))
				abort();
		}
		break;
	}
	free(s);
	return 0;
}
