/* SPDX-License-Identifier: MIT */
/* Parsers of nsbox's option values (sizes, CPUs, numbers, UID:GID, hostnames): pure, no I/O. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <netd/addr.h>
#include "nsbox.h"

long long nsbox_parse_size(const char *s)
{
	char *end;
	unsigned long long v, mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		end++;
		break;
	case 'k':
		mult = 1ULL << 10;
		end++;
		break;
	case 'm':
		mult = 1ULL << 20;
		end++;
		break;
	case 'g':
		mult = 1ULL << 30;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v == 0 || v > (1ULL << 50) / mult)
		return -1;
	return (long long)(v * mult);
}

long nsbox_parse_cpus(const char *s)
{
	long whole = 0, frac = 0, scale = 100000;
	const char *p = s;

	if (!*p)
		return -1;
	while (isdigit((unsigned char)*p)) {
		whole = whole * 10 + (*p++ - '0');
		if (whole > 1024)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			scale /= 10;
			frac += (*p++ - '0') * scale;
		}
	}
	if (*p || p == s)
		return -1;
	long q = whole * 100000 + frac;
	return q >= 1000 ? q : -1; /* the kernel's minimum quota is 1 ms */
}

long nsbox_parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

int nsbox_parse_user(const char *s, uid_t *uid, gid_t *gid)
{
	char buf[64];
	char *colon;
	long u, g;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	u = nsbox_parse_long(buf, 0, 0x7fffffff);
	g = colon ? nsbox_parse_long(colon + 1, 0, 0x7fffffff) : u;
	if (u < 0 || g < 0)
		return -1;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

bool nsbox_hostname_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 63)
		return false;
	for (const char *p = h; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
	return true;
}

int nsbox_parse_pid_list(const char *text, size_t len, pid_t *pids, size_t cap, size_t *n)
{
	size_t k = 0;

	*n = 0;
	for (size_t i = 0; i < len;) {
		long v = 0;
		size_t start = i;
		while (i < len && text[i] >= '0' && text[i] <= '9') {
			v = v * 10 + (text[i] - '0');
			if (v > 4194304)
				return -EINVAL;
			i++;
		}
		if (i == start || i == len || text[i] != '\n' || v < 1 || text[start] == '0')
			return -EINVAL;
		i++;
		if (k >= cap)
			return -E2BIG;
		pids[k++] = (pid_t)v;
	}
	*n = k;
	return 0;
}

/* Capability names, by number (linux/capability.h; 0-40 as of Linux 5.9). */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

int nsbox_cap_parse(const char *name)
{
	char up[40];
	size_t n = strlen(name);

	if (n >= sizeof(up))
		return -1;
	for (size_t i = 0; i <= n; i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	const char *u = strncmp(up, "CAP_", 4) ? up : up + 4;
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (!strcmp(u, cap_names[i]))
			return (int)i;
	return -1;
}

const char *nsbox_cap_name(int cap)
{
	if (cap < 0 || cap >= (int)(sizeof(cap_names) / sizeof(cap_names[0])))
		return NULL;
	return cap_names[cap];
}

uint64_t nsbox_caps_resolve(uint64_t base, uint64_t add, bool add_all, uint64_t drop, bool drop_all,
			    int last_cap)
{
	uint64_t all = last_cap >= 63 ? ~0ULL : (1ULL << (last_cap + 1)) - 1;

	if (add_all)
		return all & ~(drop_all ? 0 : drop);
	if (drop_all)
		return add & all;
	return ((base & ~drop) | add) & all;
}

/* ---- run options of issue 18: mounts, users, restart, hosts, DNS (pure) ---- */

/* A container path: absolute, no "." or ".." component, not "/" itself; "//" and a trailing
 * "/" are folded. Written to out (len >= PATH_MAX). */
static bool ctr_path(const char *in, char *out, size_t len)
{
	size_t n = 0;

	if (in[0] != '/' || strlen(in) >= len)
		return false;
	for (const char *p = in; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchrnul(p, '/');
		size_t cl = (size_t)(e - p);
		if ((cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (const char *c = p; c < e; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return false;
		out[n++] = '/';
		memcpy(out + n, p, cl);
		n += cl;
		p = e;
	}
	out[n] = '\0';
	return n > 0;
}

static int mount_err(struct netd_err *err, const char *opt, const char *spec, const char *what)
{
	return netd_err_set(err, EINVAL, "%s %s: %s", opt, spec, what);
}

/* "ro", "rw", "noexec", ... of a tmpfs or bind; returns false on an unknown word. */
static bool mount_word(const char *w, size_t wl, struct nsbox_mount *m)
{
	static const struct {
		const char *w;
		unsigned long set, clear;
		bool ro, rw;
	} words[] = {
	    {"ro", 0, 0, true, false},
	    {"rw", 0, 0, false, true},
	    {"readonly", 0, 0, true, false},
	    {"noexec", MS_NOEXEC, 0, false, false},
	    {"exec", 0, MS_NOEXEC, false, false},
	    {"nosuid", MS_NOSUID, 0, false, false},
	    {"suid", 0, MS_NOSUID, false, false},
	    {"nodev", MS_NODEV, 0, false, false},
	    {"dev", 0, MS_NODEV, false, false},
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].w) != wl || strncmp(w, words[i].w, wl))
			continue;
		m->flags = (m->flags | words[i].set) & ~words[i].clear;
		if (words[i].ro)
			m->ro = true;
		if (words[i].rw)
			m->ro = false;
		return true;
	}
	return false;
}

static bool tmpfs_size(const char *v, size_t vl, struct nsbox_mount *m)
{
	char b[32];

	if (vl == 0 || vl >= sizeof(b))
		return false;
	memcpy(b, v, vl);
	b[vl] = '\0';
	m->size = nsbox_parse_size(b);
	return m->size > 0;
}

static bool tmpfs_mode(const char *v, size_t vl, struct nsbox_mount *m)
{
	unsigned mode = 0;

	if (vl == 0 || vl > 4)
		return false;
	for (size_t i = 0; i < vl; i++) {
		if (v[i] < '0' || v[i] > '7')
			return false;
		mode = mode * 8 + (unsigned)(v[i] - '0');
	}
	m->mode = mode;
	m->has_mode = true;
	return true;
}

int nsbox_parse_volume(const char *spec, struct nsbox_mount *m, struct netd_err *err)
{
	char buf[2 * PATH_MAX];
	char *c1, *c2;

	memset(m, 0, sizeof(*m));
	m->type = NSBOX_MOUNT_BIND;
	if (strlen(spec) >= sizeof(buf))
		return mount_err(err, "-v", "", "too long");
	strcpy(buf, spec);
	c1 = strchr(buf, ':');
	if (!c1)
		return mount_err(err, "-v", spec,
				 "want HOST:CTR[:ro] (anonymous volumes are not supported)");
	*c1 = '\0';
	c2 = strchr(c1 + 1, ':');
	if (c2)
		*c2 = '\0';
	if (buf[0] != '/')
		return mount_err(err, "-v", spec,
				 "HOST must be an absolute path (named volumes are not supported)");
	if (!ctr_path(c1 + 1, m->dst, sizeof(m->dst)))
		return mount_err(err, "-v", spec,
				 "CTR must be an absolute path other than /, without . or ..");
	if (strlen(buf) >= sizeof(m->src))
		return mount_err(err, "-v", spec, "HOST too long");
	strcpy(m->src, buf);
	for (char *p = c2 ? c2 + 1 : NULL; p && *p;) {
		char *e = strchrnul(p, ',');
		if (!(e - p == 2 && (!strncmp(p, "ro", 2) || !strncmp(p, "rw", 2))) &&
		    !(e - p == 1 && (*p == 'z' || *p == 'Z')))
			return mount_err(err, "-v", spec, "options: ro or rw");
		if (e - p == 2)
			m->ro = p[1] == 'o';
		p = *e ? e + 1 : e;
	}
	return 0;
}

int nsbox_parse_tmpfs(const char *spec, struct nsbox_mount *m, struct netd_err *err)
{
	const char *colon = strchr(spec, ':');
	char path[PATH_MAX];
	size_t pl = colon ? (size_t)(colon - spec) : strlen(spec);

	memset(m, 0, sizeof(*m));
	m->type = NSBOX_MOUNT_TMPFS;
	m->flags = MS_NOSUID | MS_NODEV | MS_NOEXEC; /* Docker's --tmpfs default */
	if (pl >= sizeof(path))
		return mount_err(err, "--tmpfs", "", "too long");
	memcpy(path, spec, pl);
	path[pl] = '\0';
	if (!ctr_path(path, m->dst, sizeof(m->dst)))
		return mount_err(err, "--tmpfs", spec,
				 "want an absolute path other than /, without . or ..");
	for (const char *p = colon ? colon + 1 : NULL; p && *p;) {
		const char *e = strchrnul(p, ',');
		size_t wl = (size_t)(e - p);
		if (wl > 5 && !strncmp(p, "size=", 5)) {
			if (!tmpfs_size(p + 5, wl - 5, m))
				return mount_err(err, "--tmpfs", spec, "size: want N[k|m|g]");
		} else if (wl > 5 && !strncmp(p, "mode=", 5)) {
			if (!tmpfs_mode(p + 5, wl - 5, m))
				return mount_err(err, "--tmpfs", spec,
						 "mode: want octal, e.g. 1777");
		} else if (!mount_word(p, wl, m)) {
			return mount_err(
			    err, "--tmpfs", spec,
			    "options: size=, mode=, ro, rw, [no]exec, [no]suid, [no]dev");
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

/* true/false/1/0 of a --mount flag; an empty value (the key alone) is true. */
static int flag_value(const char *v, size_t vl)
{
	if (vl == 0 || (vl == 4 && !strncmp(v, "true", 4)) || (vl == 1 && v[0] == '1'))
		return 1;
	if ((vl == 5 && !strncmp(v, "false", 5)) || (vl == 1 && v[0] == '0'))
		return 0;
	return -1;
}

int nsbox_parse_mount(const char *spec, struct nsbox_mount *m, struct netd_err *err)
{
	enum { T_NONE, T_BIND, T_TMPFS } type = T_NONE;
	char src[PATH_MAX] = "", dst[PATH_MAX] = "";
	bool has_size = false, has_mode = false, has_src = false;
	struct nsbox_mount t;

	memset(m, 0, sizeof(*m));
	memset(&t, 0, sizeof(t));
	for (const char *p = spec; *p;) {
		const char *e = strchrnul(p, ',');
		const char *eq = memchr(p, '=', (size_t)(e - p));
		size_t kl = eq ? (size_t)(eq - p) : (size_t)(e - p);
		const char *v = eq ? eq + 1 : e;
		size_t vl = (size_t)(e - v);
#define KEY(s) (kl == sizeof(s) - 1 && !strncmp(p, s, kl))
		if (KEY("type")) {
			if (vl == 4 && !strncmp(v, "bind", 4))
				type = T_BIND;
			else if (vl == 5 && !strncmp(v, "tmpfs", 5))
				type = T_TMPFS;
			else
				return mount_err(err, "--mount", spec,
						 "type: bind or tmpfs (volumes are not supported)");
		} else if (KEY("source") || KEY("src")) {
			if (!vl || vl >= sizeof(src))
				return mount_err(err, "--mount", spec, "source: want a path");
			memcpy(src, v, vl);
			src[vl] = '\0';
			has_src = true;
		} else if (KEY("target") || KEY("destination") || KEY("dst")) {
			if (!vl || vl >= sizeof(dst))
				return mount_err(err, "--mount", spec, "target: want a path");
			memcpy(dst, v, vl);
			dst[vl] = '\0';
		} else if (KEY("readonly") || KEY("ro")) {
			int f = flag_value(v, vl);
			if (f < 0)
				return mount_err(err, "--mount", spec, "readonly: true or false");
			t.ro = f == 1;
		} else if (KEY("bind-propagation")) {
			/* nothing nsbox mounts propagates back: only the private kinds */
			if (!(vl == 7 && !strncmp(v, "private", 7)) &&
			    !(vl == 8 && !strncmp(v, "rprivate", 8)))
				return mount_err(err, "--mount", spec,
						 "bind-propagation: only private or rprivate");
		} else if (KEY("tmpfs-size")) {
			if (!tmpfs_size(v, vl, &t))
				return mount_err(err, "--mount", spec, "tmpfs-size: want N[k|m|g]");
			has_size = true;
		} else if (KEY("tmpfs-mode")) {
			if (!tmpfs_mode(v, vl, &t))
				return mount_err(err, "--mount", spec, "tmpfs-mode: want octal");
			has_mode = true;
		} else {
			return mount_err(err, "--mount", spec,
					 "keys: type, source, target, readonly, bind-propagation, "
					 "tmpfs-size, tmpfs-mode");
		}
#undef KEY
		p = *e ? e + 1 : e;
	}
	if (type == T_NONE)
		return mount_err(err, "--mount", spec, "type= is missing");
	if (!ctr_path(dst, m->dst, sizeof(m->dst)))
		return mount_err(err, "--mount", spec,
				 "target: want an absolute path other than /, without . or ..");
	m->ro = t.ro;
	if (type == T_BIND) {
		if (!has_src || src[0] != '/')
			return mount_err(err, "--mount", spec,
					 "source: want an absolute host path");
		if (has_size || has_mode)
			return mount_err(err, "--mount", spec, "tmpfs-* options on a bind mount");
		m->type = NSBOX_MOUNT_BIND;
		strcpy(m->src, src);
	} else {
		if (has_src)
			return mount_err(err, "--mount", spec, "a tmpfs has no source");
		m->type = NSBOX_MOUNT_TMPFS;
		m->flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
		m->size = t.size;
		m->mode = t.mode;
		m->has_mode = has_mode;
	}
	return 0;
}

int nsbox_parse_restart(const char *s, int *policy, long *max)
{
	if (!strcmp(s, "no")) {
		*policy = NSBOX_RESTART_NO;
		*max = 0;
	} else if (!strcmp(s, "always") || !strcmp(s, "unless-stopped")) {
		*policy = NSBOX_RESTART_ALWAYS;
		*max = 0;
	} else if (!strcmp(s, "on-failure")) {
		*policy = NSBOX_RESTART_ON_FAILURE;
		*max = 0;
	} else if (!strncmp(s, "on-failure:", 11)) {
		long n = nsbox_parse_long(s + 11, 1, 1000000);
		if (n < 0)
			return -1;
		*policy = NSBOX_RESTART_ON_FAILURE;
		*max = n;
	} else {
		return -1;
	}
	return 0;
}

static bool host_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return false;
	return true;
}

bool nsbox_ip_ok(const char *s)
{
	struct netd_ip ip;

	return netd_ip_parse(s, AF_UNSPEC, &ip, NULL) == 0;
}

int nsbox_parse_add_host(const char *s, char *name, size_t nlen, char *ip, size_t iplen)
{
	const char *c = strchr(s, ':');
	struct netd_ip addr;
	size_t al;

	if (!c || !host_name_ok(s, (size_t)(c - s)) || (size_t)(c - s) >= nlen)
		return -1;
	c++;
	al = strlen(c);
	if (al >= 2 && c[0] == '[' && c[al - 1] == ']') { /* name:[::1] */
		c++;
		al -= 2;
	}
	if (al >= iplen || netd_ip_parse_n(c, al, AF_UNSPEC, &addr, NULL) < 0)
		return -1;
	memcpy(name, s, (size_t)(strchr(s, ':') - s));
	name[strchr(s, ':') - s] = '\0';
	/* as given, not canonical: the hosts file shows what the user wrote */
	memcpy(ip, c, al);
	ip[al] = '\0';
	return 0;
}

bool nsbox_dns_search_ok(const char *s)
{
	return host_name_ok(s, strlen(s)) || !strcmp(s, ".");
}

int nsbox_env_line(const char *line, size_t len, char *out, size_t cap)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] == '#')
		return 0; /* blank or comment */
	if (line[i] == '=' || memchr(line, '\0', len) || len - i >= cap)
		return -1;
	for (size_t k = i; k < len; k++)
		if (line[k] == '=')
			break;
		else if (line[k] == ' ' || line[k] == '\t')
			return -1; /* Docker refuses whitespace in a variable's name */
	memcpy(out, line + i, len - i);
	out[len - i] = '\0';
	return 1;
}

/* One field of a colon-separated line: [s, e) of field k (0-based), or false. */
static bool field(const char *line, size_t len, int k, const char **s, size_t *n)
{
	const char *p = line, *end = line + len;

	for (int i = 0; i < k; i++) {
		p = memchr(p, ':', (size_t)(end - p));
		if (!p)
			return false;
		p++;
	}
	const char *e = memchr(p, ':', (size_t)(end - p));
	*s = p;
	*n = (size_t)((e ? e : end) - p);
	return true;
}

static bool field_num(const char *s, size_t n, long *v)
{
	char b[16];

	if (n == 0 || n >= sizeof(b))
		return false;
	memcpy(b, s, n);
	b[n] = '\0';
	*v = nsbox_parse_long(b, 0, 0x7fffffff);
	return *v >= 0;
}

/* Walks lines of a passwd/group text: cb returns true to stop. Lines over 4 KiB or with NUL
 * bytes are skipped, as libc does with what it cannot parse. */
static bool each_line(const char *text, size_t len,
		      bool (*cb)(const char *line, size_t n, void *ctx), void *ctx)
{
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (n && n < 4096 && !memchr(p, '\0', n) && p[0] != '#' && cb(p, n, ctx))
			return true;
		p = nl ? nl + 1 : end;
	}
	return false;
}

struct pw_find {
	const char *who; /* a name, or digits for a uid */
	struct nsbox_pwent *pw;
};

static bool pw_cb(const char *line, size_t n, void *ctx)
{
	struct pw_find *f = ctx;
	const char *s;
	size_t sl;
	long uid, gid;

	if (!field(line, n, 0, &s, &sl) || !sl || sl >= sizeof(f->pw->name))
		return false;
	const char *us, *gs, *hs;
	size_t ul, gl, hl;
	if (!field(line, n, 2, &us, &ul) || !field_num(us, ul, &uid) ||
	    !field(line, n, 3, &gs, &gl) || !field_num(gs, gl, &gid))
		return false;
	bool by_uid = isdigit((unsigned char)f->who[0]);
	if (by_uid ? nsbox_parse_long(f->who, 0, 0x7fffffff) != uid
		   : (strlen(f->who) != sl || strncmp(f->who, s, sl)))
		return false;
	memcpy(f->pw->name, s, sl);
	f->pw->name[sl] = '\0';
	f->pw->uid = (uid_t)uid;
	f->pw->gid = (gid_t)gid;
	f->pw->home[0] = '\0';
	if (field(line, n, 5, &hs, &hl) && hl && hl < sizeof(f->pw->home) && hs[0] == '/') {
		memcpy(f->pw->home, hs, hl);
		f->pw->home[hl] = '\0';
	}
	return true;
}

bool nsbox_passwd_find(const char *text, size_t len, const char *who, struct nsbox_pwent *pw)
{
	struct pw_find f = {.who = who, .pw = pw};

	return *who && each_line(text, len, pw_cb, &f);
}

struct gr_find {
	const char *who;
	gid_t *gid;
};

static bool gr_cb(const char *line, size_t n, void *ctx)
{
	struct gr_find *f = ctx;
	const char *s, *gs;
	size_t sl, gl;
	long gid;

	if (!field(line, n, 0, &s, &sl) || !field(line, n, 2, &gs, &gl) || !field_num(gs, gl, &gid))
		return false;
	bool by_gid = isdigit((unsigned char)f->who[0]);
	if (by_gid ? nsbox_parse_long(f->who, 0, 0x7fffffff) != gid
		   : (strlen(f->who) != sl || strncmp(f->who, s, sl)))
		return false;
	*f->gid = (gid_t)gid;
	return true;
}

bool nsbox_group_find(const char *text, size_t len, const char *who, gid_t *gid)
{
	struct gr_find f = {.who = who, .gid = gid};

	return *who && each_line(text, len, gr_cb, &f);
}

struct gr_members {
	const char *user;
	gid_t *out;
	size_t cap, n;
};

static bool mem_cb(const char *line, size_t n, void *ctx)
{
	struct gr_members *m = ctx;
	const char *gs, *ms;
	size_t gl, ml;
	long gid;
	size_t ul = strlen(m->user);

	if (!field(line, n, 2, &gs, &gl) || !field_num(gs, gl, &gid) ||
	    !field(line, n, 3, &ms, &ml))
		return false;
	for (const char *p = ms, *end = ms + ml; p < end;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t wl = (size_t)((c ? c : end) - p);
		if (wl == ul && !strncmp(p, m->user, ul)) {
			bool dup = false;
			for (size_t i = 0; i < m->n; i++)
				dup |= m->out[i] == (gid_t)gid;
			if (!dup && m->n < m->cap)
				m->out[m->n++] = (gid_t)gid;
			break;
		}
		p = c ? c + 1 : end;
	}
	return m->n >= m->cap;
}

size_t nsbox_group_members(const char *text, size_t len, const char *user, gid_t *out, size_t cap)
{
	struct gr_members m = {.user = user, .out = out, .cap = cap};

	if (*user)
		each_line(text, len, mem_cb, &m);
	return m.n;
}

int nsbox_net_add(struct nsbox_opts *o, const char *v, struct netd_err *err)
{
	static const char cprefix[] = "container:";
	bool alone =
	    !strcmp(v, "host") || !strcmp(v, "none") || !strncmp(v, cprefix, sizeof(cprefix) - 1);

	if (o->net_given && (alone || o->net_mode != NSBOX_NET_BRIDGE))
		return netd_err_set(err, EINVAL,
				    "--network %s: host, none and container:NAME stand alone (more "
				    "than one --network is for networks)",
				    v);
	if (!strcmp(v, "host")) {
		o->net_mode = NSBOX_NET_HOST;
	} else if (!strcmp(v, "none")) {
		o->net_mode = NSBOX_NET_NONE;
	} else if (alone) {
		const char *name = v + sizeof(cprefix) - 1;
		if (netd_name_check_id(name, err) < 0)
			return netd_err_prefix(err, "--network %s", v);
		o->net_mode = NSBOX_NET_CONTAINER;
		o->net_container = name;
	} else {
		if (netd_name_check_network(v, err) < 0)
			return netd_err_prefix(err, "--network");
		for (size_t i = 0; i < o->n_networks; i++)
			if (!strcmp(o->networks[i], v))
				return netd_err_set(err, EINVAL, "--network %s: given twice", v);
		if (o->n_networks == NSBOX_MAX_NETWORKS)
			return netd_err_set(err, E2BIG, "--network: at most %d networks",
					    NSBOX_MAX_NETWORKS);
		o->net_mode = NSBOX_NET_BRIDGE;
		o->networks[o->n_networks++] = v;
	}
	o->net_given = true;
	return 0;
}

int nsbox_net_finish(const struct nsbox_opts *o, struct netd_err *err)
{
	const char *mode = o->net_mode == NSBOX_NET_HOST   ? "host"
			   : o->net_mode == NSBOX_NET_NONE ? "none"
							   : "container:NAME";

	if (o->net_mode == NSBOX_NET_BRIDGE)
		return 0;
	if (o->n_ports)
		return netd_err_set(err, EINVAL, "-p needs a network (not --network %s)%s", mode,
				    o->net_mode == NSBOX_NET_CONTAINER
					? ": publish on the container whose network it joins"
					: "");
	if (o->n_aliases)
		return netd_err_set(err, EINVAL,
				    "--network-alias needs a network (not --network %s)", mode);
	if (o->userns && o->net_mode != NSBOX_NET_NONE)
		return netd_err_set(err, EINVAL, "--userns with --network %s is not supported",
				    mode);
	return 0;
}
