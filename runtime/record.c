/* SPDX-License-Identifier: MIT */
/*
 * The "record" file of a container's state dir, as text: format and a strict parser, pure (no
 * I/O; fuzzed by tests/fuzz/fuzz_nsbox_record.c). A record decides which processes nsbox kills
 * and which cgroups it removes, and anything with write access to the state dir (or a crash, a
 * full disk, an editor) may have left it in any shape: every value is checked, an unknown or
 * repeated key is an error, and an error names the line and the key, never echoes content.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netd/addr.h>
#include "nsbox.h"

/* The kernel's PID_MAX_LIMIT (4 Mi): no pid is larger. */
#define NSBOX_PID_MAX 4194304

int nsbox_record_format(const struct nsbox_record *r, char *buf, size_t len)
{
	size_t n;

	n = (size_t)snprintf(
	    buf, len,
	    "name=%s\npid=%d\nmonitor=%d\nnet_mode=%s\nnetwork=%s\nip=%s\nports=%s\n"
	    "since=%lld\ndetached=%d\ncommand=%s\n",
	    r->name, (int)r->pid, (int)r->monitor, r->net_mode, r->network, r->ip, r->ports,
	    r->since, r->detached ? 1 : 0, r->command);
	if (r->exited && n < len)
		n += (size_t)snprintf(buf + n, len - n, "exit=%d\n", r->exit_code);
	if (r->has_caps && n < len)
		n += (size_t)snprintf(buf + n, len - n, "caps=%llx\nnnp=%d\n",
				      (unsigned long long)r->caps, r->nnp ? 1 : 0);
	if (r->seccomp[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, "seccomp=%s\nseccomp_key=%llx\n",
				      r->seccomp, (unsigned long long)r->seccomp_key);
	if (r->has_user && n < len) {
		n += (size_t)snprintf(buf + n, len - n, "user=%u:%u\n", (unsigned)r->uid,
				      (unsigned)r->gid);
		for (size_t i = 0; i < r->n_groups && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s%u%s",
					      i ? "" : "groups=", (unsigned)r->groups[i],
					      i + 1 < r->n_groups ? "," : "\n");
	}
	if (r->restart[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, "restart=%s\nrestarts=%ld\n", r->restart,
				      r->restarts);
	if (r->net_container[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, "net_container=%s\n", r->net_container);
	if (r->rm && n < len)
		n += (size_t)snprintf(buf + n, len - n, "rm=1\n");
	for (size_t i = 0; i < r->cg.n && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "cgroup=%s:%s\n",
				      r->cg.dir[i].v2 ? "v2" : "v1", r->cg.dir[i].path);
	if (n >= len)
		return -E2BIG;
	return (int)n;
}

/* A decimal in [min, max] and nothing else (no sign, no spaces, no leading zeros). */
static bool dec(const char *v, long long min, long long max, long long *out)
{
	long long x = 0;

	if (!*v || (v[0] == '0' && v[1]))
		return false;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		/* checked before the step, so that a long number cannot overflow */
		if (x > (max - (*p - '0')) / 10)
			return false;
		x = x * 10 + (*p - '0');
	}
	if (x < min)
		return false;
	*out = x;
	return true;
}

/* Up to 16 hex digits, lower case, no leading zeros (as %llx writes them). */
static bool hex64(const char *v, uint64_t *out)
{
	uint64_t x = 0;
	size_t n = strlen(v);

	if (!n || n > 16 || (v[0] == '0' && n > 1))
		return false;
	for (const char *p = v; *p; p++) {
		int d = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
						 : -1;
		if (d < 0)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*out = x;
	return true;
}

static bool restart_ok(const char *v)
{
	int pol;
	long max;
	char canon[32];

	if (nsbox_parse_restart(v, &pol, &max) < 0 || !strcmp(v, "unless-stopped"))
		return false;
	/* only the form nsbox writes */
	if (pol == NSBOX_RESTART_ON_FAILURE && max)
		snprintf(canon, sizeof(canon), "on-failure:%ld", max);
	else
		snprintf(canon, sizeof(canon), "%s",
			 pol == NSBOX_RESTART_NO       ? "no"
			 : pol == NSBOX_RESTART_ALWAYS ? "always"
						       : "on-failure");
	return !strcmp(canon, v);
}

/* Text meant for people (ports, command): printable, no control characters. */
static bool printable(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/*
 * A cgroup dir of this container: absolute, under /sys/fs/cgroup, ending in /nsbox/NAME, no
 * "." or ".." component and no empty one. Anything else could point nsbox's kill at another
 * cgroup (the root, a system service).
 */
static bool cgroup_path_ok(const char *p, const char *name)
{
	static const char prefix[] = "/sys/fs/cgroup/";
	char tail[NETD_ID_MAX + 8];
	size_t pl = strlen(p), tl;

	if (strncmp(p, prefix, sizeof(prefix) - 1) || pl >= PATH_MAX)
		return false;
	tl = (size_t)snprintf(tail, sizeof(tail), "/nsbox/%s", name);
	if (pl <= tl + sizeof(prefix) - 2 || strcmp(p + pl - tl, tail))
		return false;
	for (const char *s = p; *s;) {
		const char *e = strchrnul(s + 1, '/');
		size_t cl = (size_t)(e - s - 1);
		if (cl == 0 || (cl == 1 && s[1] == '.') || (cl == 2 && s[1] == '.' && s[2] == '.'))
			return false;
		s = e;
	}
	return true;
}

static int bad(struct netd_err *err, const char *file, unsigned line, const char *what)
{
	return netd_err_set(err, EINVAL, "record %s: line %u: %s", file, line, what);
}

int nsbox_record_parse(const char *text, size_t len, const char *file, struct nsbox_record *r,
		       struct netd_err *err)
{
	enum {
		K_NAME,
		K_PID,
		K_MON,
		K_MODE,
		K_NET,
		K_IP,
		K_PORTS,
		K_SINCE,
		K_DET,
		K_CMD,
		K_EXIT,
		K_CAPS,
		K_NNP,
		K_SECCOMP,
		K_SCKEY,
		K_USER,
		K_GROUPS,
		K_RESTART,
		K_RESTARTS,
		K_RM,
		K_NETCTR,
	};
	static const char *const keys[] = {
	    "name",	   "pid",      "monitor", "net_mode", "network",  "ip",	 "ports",
	    "since",	   "detached", "command", "exit",     "caps",	  "nnp", "seccomp",
	    "seccomp_key", "user",     "groups",  "restart",  "restarts", "rm",	 "net_container",
	};
	unsigned seen = 0;
	struct netd_kv kv = {0};
	const char *p = text, *end = text + len;
	struct netd_err e2 = {0};

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return netd_err_set(err, EINVAL, "record %s: empty", file);
	if (memchr(text, '\0', len))
		return netd_err_set(err, EINVAL, "record %s: a NUL byte", file);
	if (text[len - 1] != '\n')
		return netd_err_set(err, EINVAL, "record %s: cut short (no final newline)", file);
	while (netd_kv_next(&p, end, &kv)) {
		char line[PATH_MAX + 64];
		unsigned lineno = kv.lineno;
		long long x;
		int k;

		if (kv.len >= sizeof(line))
			return bad(err, file, lineno, "too long");
		if (!kv.key)
			return bad(err, file, lineno, "expected key=value");
		memcpy(line, kv.line, kv.len);
		line[kv.len] = '\0';
		line[kv.key_len] = '\0';
		char *v = line + kv.key_len + 1;
		if (!strcmp(line, "cgroup")) {
			if (r->cg.n >= NSBOX_MAX_CGROUP)
				return bad(err, file, lineno, "cgroup: more than 8");
			if (strncmp(v, "v1:", 3) && strncmp(v, "v2:", 3))
				return bad(err, file, lineno, "cgroup: want v1:PATH or v2:PATH");
			/* checked against the name once the name is known (below) */
			r->cg.dir[r->cg.n].v2 = v[1] == '2';
			snprintf(r->cg.dir[r->cg.n].path, PATH_MAX, "%s", v + 3);
			r->cg.n++;
			continue;
		}
		for (k = 0; k < (int)(sizeof(keys) / sizeof(keys[0])); k++)
			if (!strcmp(line, keys[k]))
				break;
		if (k == (int)(sizeof(keys) / sizeof(keys[0])))
			return bad(err, file, lineno, "unknown key");
		if (seen & (1u << k))
			return bad(err, file, lineno, "key given twice");
		seen |= 1u << k;
		switch (k) {
		case K_NAME:
			if (netd_name_check_id(v, &e2) < 0)
				return bad(err, file, lineno, "name: not a valid container name");
			snprintf(r->name, sizeof(r->name), "%s", v);
			break;
		case K_PID:
		case K_MON:
			if (!dec(v, 0, NSBOX_PID_MAX, &x))
				return bad(err, file, lineno,
					   k == K_PID ? "pid: want a number 0..4194304"
						      : "monitor: want a number 0..4194304");
			if (k == K_PID)
				r->pid = (pid_t)x;
			else
				r->monitor = (pid_t)x;
			break;
		case K_MODE:
			if (strcmp(v, "bridge") && strcmp(v, "host") && strcmp(v, "none") &&
			    strcmp(v, "container"))
				return bad(err, file, lineno,
					   "net_mode: want bridge, host, none or container");
			snprintf(r->net_mode, sizeof(r->net_mode), "%s", v);
			break;
		case K_NET:
			if (*v && netd_name_check_network(v, &e2) < 0)
				return bad(err, file, lineno, "network: not a valid network name");
			snprintf(r->network, sizeof(r->network), "%s", v);
			break;
		case K_IP: {
			struct in_addr a;
			if (*v && (strlen(v) >= sizeof(r->ip) || netd_ip4_parse(v, &a, NULL) < 0))
				return bad(err, file, lineno,
					   "ip: want an IPv4 address or nothing");
			snprintf(r->ip, sizeof(r->ip), "%s", v);
			break;
		}
		case K_PORTS:
		case K_CMD:
			if (!printable(v))
				return bad(err, file, lineno,
					   k == K_PORTS ? "ports: control characters"
							: "command: control characters");
			if (k == K_PORTS)
				snprintf(r->ports, sizeof(r->ports), "%s", v);
			else
				snprintf(r->command, sizeof(r->command), "%s", v);
			break;
		case K_SINCE:
			if (!dec(v, 0, (1LL << 62), &x))
				return bad(err, file, lineno, "since: want a time in seconds");
			r->since = x;
			break;
		case K_DET:
			if (strcmp(v, "0") && strcmp(v, "1"))
				return bad(err, file, lineno, "detached: want 0 or 1");
			r->detached = v[0] == '1';
			break;
		case K_EXIT:
			if (!dec(v, 0, 255, &x))
				return bad(err, file, lineno, "exit: want a status 0..255");
			r->exited = true;
			r->exit_code = (int)x;
			break;
		case K_CAPS:
			if (!hex64(v, &r->caps))
				return bad(err, file, lineno, "caps: want a hex mask");
			r->has_caps = true;
			break;
		case K_NNP:
		case K_RM:
			if (strcmp(v, "0") && strcmp(v, "1"))
				return bad(err, file, lineno,
					   k == K_NNP ? "nnp: want 0 or 1" : "rm: want 0 or 1");
			if (k == K_NNP)
				r->nnp = v[0] == '1';
			else
				r->rm = v[0] == '1';
			break;
		case K_SECCOMP:
			if (!*v || !printable(v) || strlen(v) >= sizeof(r->seccomp))
				return bad(err, file, lineno, "seccomp: want a profile name");
			snprintf(r->seccomp, sizeof(r->seccomp), "%s", v);
			break;
		case K_SCKEY:
			if (!hex64(v, &r->seccomp_key))
				return bad(err, file, lineno, "seccomp_key: want hex");
			break;
		case K_USER: {
			char *c = strchr(v, ':');
			long long u, g;
			if (!c)
				return bad(err, file, lineno, "user: want UID:GID");
			*c = '\0';
			if (!dec(v, 0, 0x7fffffff, &u) || !dec(c + 1, 0, 0x7fffffff, &g))
				return bad(err, file, lineno, "user: want UID:GID");
			r->has_user = true;
			r->uid = (uid_t)u;
			r->gid = (gid_t)g;
			break;
		}
		case K_GROUPS:
			for (char *t = v;;) {
				char *c = strchr(t, ',');
				if (c)
					*c = '\0';
				if (r->n_groups >= NSBOX_MAX_GROUPS || !dec(t, 0, 0x7fffffff, &x))
					return bad(err, file, lineno, "groups: want GID,GID,...");
				r->groups[r->n_groups++] = (gid_t)x;
				if (!c)
					break;
				t = c + 1;
			}
			break;
		case K_RESTART:
			if (!restart_ok(v))
				return bad(err, file, lineno,
					   "restart: want no, always or on-failure[:N]");
			snprintf(r->restart, sizeof(r->restart), "%s", v);
			break;
		case K_NETCTR:
			if (netd_name_check_id(v, &e2) < 0)
				return bad(err, file, lineno,
					   "net_container: not a valid container name");
			snprintf(r->net_container, sizeof(r->net_container), "%s", v);
			break;
		case K_RESTARTS:
			if (!dec(v, 0, 1000000000, &x))
				return bad(err, file, lineno, "restarts: want a count");
			r->restarts = (long)x;
			break;
		}
	}
	if (!(seen & (1u << K_NAME)) || !(seen & (1u << K_PID)) || !(seen & (1u << K_MODE)))
		return netd_err_set(err, EINVAL, "record %s: name, pid or net_mode missing", file);
	for (size_t i = 0; i < r->cg.n; i++)
		if (!cgroup_path_ok(r->cg.dir[i].path, r->name))
			return netd_err_set(err, EINVAL,
					    "record %s: cgroup %zu: not a cgroup dir of container "
					    "%s (/sys/fs/cgroup/.../nsbox/%s)",
					    file, i + 1, r->name, r->name);
	if ((seen & (1u << K_GROUPS)) && !r->has_user)
		return netd_err_set(err, EINVAL, "record %s: groups without user", file);
	if (((seen >> K_SECCOMP) & 1) != ((seen >> K_SCKEY) & 1) ||
	    ((seen >> K_RESTART) & 1) != ((seen >> K_RESTARTS) & 1) ||
	    ((seen >> K_CAPS) & 1) != ((seen >> K_NNP) & 1))
		return netd_err_set(err, EINVAL, "record %s: a key without its pair", file);
	if (strcmp(r->net_mode, "bridge") && r->network[0])
		return netd_err_set(err, EINVAL, "record %s: a network without net_mode=bridge",
				    file);
	if (!strcmp(r->net_mode, "container") != !!r->net_container[0])
		return netd_err_set(err, EINVAL,
				    "record %s: net_mode=container goes with net_container", file);
	return 0;
}
