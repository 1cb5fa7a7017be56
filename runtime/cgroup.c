/* SPDX-License-Identifier: MIT */
/*
 * The container's cgroup, on any of the three layouts hosts run: pure v2, pure v1, and the
 * hybrid one (v1 controllers plus an almost empty v2 at /sys/fs/cgroup/unified). For each
 * controller (memory, cpu, pids) the hierarchy that actually has it is used: v2 when its root
 * lists the controller in cgroup.controllers, else the v1 mount whose options name it. The v2
 * hierarchy, when mounted, is always joined too (cgroup.kill ends the whole container); without
 * one, the v1 freezer is joined, to freeze the container before killing it.
 *
 * Paths: v2 <mnt>/nsbox/NAME; v1 <mnt><nsbox's own cgroup>/nsbox/NAME, so limits already on the
 * caller (a session's memory cap) still hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "nsbox.h"

/* freezer: v1 only (v2 has cgroup.freeze and cgroup.kill in every cgroup); used when no v2
 * hierarchy is mounted, so the container can be frozen before it is killed (no fork races). */
enum { CTRL_MEMORY, CTRL_CPU, CTRL_PIDS, CTRL_FREEZER, N_CTRL };
static const char *const ctrl_names[N_CTRL] = {"memory", "cpu", "pids", "freezer"};

struct hier {
	char mnt[PATH_MAX];
	char self[PATH_MAX]; /* nsbox's own cgroup in this hierarchy */
	bool v2;
	bool ctrl[N_CTRL];
};

static bool opt_has(const char *opts, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = opts; p && *p;) {
		const char *e = strchrnul(p, ',');
		if ((size_t)(e - p) == wl && !strncmp(p, word, wl))
			return true;
		p = *e ? e + 1 : NULL;
	}
	return false;
}

/* nsbox's own cgroup for a v1 controller (or the v2 path with ctrl NULL) from /proc/self/cgroup. */
static void self_cgroup(const char *ctrl, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 128];

	snprintf(out, len, "/");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		char *nl = strchr(c2 + 1, '\n');
		if (nl)
			*nl = '\0';
		bool match = ctrl ? opt_has(c1 + 1, ctrl) : c1[1] == '\0';
		if (match) {
			snprintf(out, len, "%s", c2 + 1);
			break;
		}
	}
	fclose(f);
}

static int read_str(const char *path, char *buf, size_t len)
{
	netd_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int write_str(const char *path, const char *s)
{
	netd_cleanup_close int fd = -1;
	size_t n = strlen(s);

	/* a PID means nothing in another run: nsbox_cgroup_add explains it as "$pid" */
	if (!strstr(path, "/cgroup.procs"))
		netd_explain("echo %s > %s", s, path);
	fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (write(fd, s, n) != (ssize_t)n)
		return -errno;
	return 0;
}

/* The cgroup mounts, one per hierarchy, from /proc/self/mountinfo. */
static size_t find_hierarchies(struct hier *h, size_t cap)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	size_t n = 0;

	if (!f)
		return 0;
	while (n < cap && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		char *sep = strstr(line, " - ");
		char mnt[PATH_MAX], fstype[32], src[256], sopts[1024];
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (sscanf(sep + 3, "%31s %255s %1023s", fstype, src, sopts) != 3)
			continue;
		bool v2 = !strcmp(fstype, "cgroup2");
		if (!v2 && strcmp(fstype, "cgroup"))
			continue;
		struct hier *x = &h[n];
		memset(x, 0, sizeof(*x));
		x->v2 = v2;
		snprintf(x->mnt, sizeof(x->mnt), "%s", mnt);
		if (v2) {
			char path[PATH_MAX + 32], ctrls[512];
			snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
			if (read_str(path, ctrls, sizeof(ctrls)) < 0)
				continue;
			for (char *t = strtok(ctrls, " \n"); t; t = strtok(NULL, " \n"))
				for (int i = 0; i < N_CTRL; i++)
					if (!strcmp(t, ctrl_names[i]))
						x->ctrl[i] = true;
			self_cgroup(NULL, x->self, sizeof(x->self));
		} else {
			bool any = false;
			for (int i = 0; i < N_CTRL; i++)
				any |= x->ctrl[i] = opt_has(sopts, ctrl_names[i]);
			if (!any)
				continue;
			for (int i = 0; i < N_CTRL; i++)
				if (x->ctrl[i]) {
					self_cgroup(ctrl_names[i], x->self, sizeof(x->self));
					break;
				}
		}
		/* the same hierarchy mounted twice: keep the first */
		bool dup = false;
		for (size_t j = 0; j < n; j++)
			dup |= h[j].v2 == v2 && !memcmp(h[j].ctrl, x->ctrl, sizeof(x->ctrl));
		if (!dup)
			n++;
	}
	fclose(f);
	return n;
}

static int set_limit(const char *dir, const char *file, const char *val, struct netd_err *err)
{
	char path[PATH_MAX + 64];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	r = write_str(path, val);
	if (r < 0)
		return netd_err_sys(err, -r, "cgroup: write %s to %s", val, path);
	return 0;
}

int nsbox_cgroup_create(const struct nsbox_opts *o, struct nsbox_cgroup *cg, struct netd_err *err)
{
	struct hier h[16];
	size_t nh = find_hierarchies(h, 16);
	int use[N_CTRL];
	struct hier *v2 = NULL;
	int r;

	memset(cg, 0, sizeof(*cg));
	for (size_t i = 0; i < nh; i++)
		if (h[i].v2 && !v2)
			v2 = &h[i];
	for (int c = 0; c < N_CTRL; c++) {
		use[c] = -1;
		if (c == CTRL_FREEZER && v2)
			continue;
		if (v2 && v2->ctrl[c]) {
			use[c] = (int)(v2 - h);
			continue;
		}
		for (size_t i = 0; i < nh; i++)
			if (!h[i].v2 && h[i].ctrl[c]) {
				use[c] = (int)i;
				break;
			}
	}
	if (o->memory && use[CTRL_MEMORY] < 0)
		return netd_err_set(err, ENOTSUP,
				    "--memory: no cgroup hierarchy has the memory controller");
	if (o->cpu_quota_us && use[CTRL_CPU] < 0)
		return netd_err_set(err, ENOTSUP,
				    "--cpus: no cgroup hierarchy has the cpu controller");
	if (o->pids_limit && use[CTRL_PIDS] < 0)
		return netd_err_set(err, ENOTSUP,
				    "--pids-limit: no cgroup hierarchy has the pids controller");

	for (size_t i = 0; i < nh && cg->n < NSBOX_MAX_CGROUP; i++) {
		struct hier *x = &h[i];
		bool used = x == v2;
		char ctrl_list[64] = "";
		for (int c = 0; c < N_CTRL; c++)
			if (use[c] == (int)i) {
				used = true;
				if (x->v2 && c != CTRL_FREEZER) {
					strcat(ctrl_list, " +");
					strcat(ctrl_list, ctrl_names[c]);
				}
			}
		if (!used)
			continue;
		char base[PATH_MAX], *dir = cg->dir[cg->n].path;
		if (x->v2)
			snprintf(base, sizeof(base), "%s/nsbox", x->mnt);
		else
			snprintf(base, sizeof(base), "%s%s/nsbox", x->mnt,
				 strcmp(x->self, "/") ? x->self : "");
		if ((size_t)snprintf(dir, PATH_MAX, "%s/%s", base, o->name) >= PATH_MAX)
			return netd_err_set(err, ENAMETOOLONG, "cgroup path too long");
		/*
		 * The last container to go removes the empty parent (nsbox_cgroup_remove): when
		 * it does so between our mkdir of base and of dir, dir's mkdir says ENOENT and
		 * the parent is made (and given its controllers) again. Bounded.
		 */
		int e = 0;
		for (int tries = 0; tries < 8; tries++) {
			netd_explain("mkdir -p %s", base);
			if (mkdir(base, 0755) < 0 && errno != EEXIST) {
				e = errno;
				nsbox_cgroup_remove(cg, NULL);
				return netd_err_sys(err, e, "cgroup: mkdir %s", base);
			}
			if (x->v2 && ctrl_list[0]) {
				/* controllers flow down from the root one level at a time */
				char sc[PATH_MAX + 32], cl[64];
				snprintf(cl, sizeof(cl), "%s", ctrl_list);
				snprintf(sc, sizeof(sc), "%s/cgroup.subtree_control", x->mnt);
				for (char *t = strtok(cl, " "); t; t = strtok(NULL, " ")) {
					write_str(sc, t);
					snprintf(sc, sizeof(sc), "%s/cgroup.subtree_control", base);
					r = write_str(sc, t);
					if (r == -ENOENT)
						break;
					if (r < 0) {
						nsbox_cgroup_remove(cg, NULL);
						return netd_err_sys(
						    err, -r, "cgroup: enable %s in %s", t, base);
					}
					snprintf(sc, sizeof(sc), "%s/cgroup.subtree_control",
						 x->mnt);
				}
			}
			/* an empty leftover of a container whose state was lost goes first */
			netd_explain("mkdir %s", dir);
			e = 0;
			if (mkdir(dir, 0755) == 0)
				break;
			e = errno;
			if (e == EEXIST && rmdir(dir) == 0 && mkdir(dir, 0755) == 0) {
				e = 0;
				break;
			}
			if (e != ENOENT)
				break;
		}
		if (e) {
			nsbox_cgroup_remove(cg, NULL);
			return netd_err_sys(err, e, "cgroup: mkdir %s", dir);
		}
		cg->dir[cg->n].v2 = x->v2;
		cg->n++;

		char val[64];
		r = 0;
		if (o->memory && use[CTRL_MEMORY] == (int)i) {
			snprintf(val, sizeof(val), "%lld", o->memory);
			if (x->v2) {
				r = set_limit(dir, "memory.max", val, err);
				if (r == 0)
					set_limit(dir, "memory.swap.max", "0", NULL);
			} else {
				r = set_limit(dir, "memory.limit_in_bytes", val, err);
				/* no swap on top (absent without swap accounting) */
				if (r == 0)
					set_limit(dir, "memory.memsw.limit_in_bytes", val, NULL);
			}
		}
		if (r == 0 && o->cpu_quota_us && use[CTRL_CPU] == (int)i) {
			if (x->v2) {
				snprintf(val, sizeof(val), "%ld 100000", o->cpu_quota_us);
				r = set_limit(dir, "cpu.max", val, err);
			} else {
				r = set_limit(dir, "cpu.cfs_period_us", "100000", err);
				snprintf(val, sizeof(val), "%ld", o->cpu_quota_us);
				if (r == 0)
					r = set_limit(dir, "cpu.cfs_quota_us", val, err);
			}
		}
		if (r == 0 && o->pids_limit && use[CTRL_PIDS] == (int)i) {
			snprintf(val, sizeof(val), "%ld", o->pids_limit);
			r = set_limit(dir, "pids.max", val, err);
		}
		if (r < 0) {
			nsbox_cgroup_remove(cg, NULL);
			return r;
		}
	}
	return 0;
}

int nsbox_cgroup_add(const struct nsbox_cgroup *cg, pid_t pid, struct netd_err *err)
{
	char val[32];

	snprintf(val, sizeof(val), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dir[i].path);
		netd_explain("echo \"$pid\" > %s", path);
		int r = write_str(path, val);
		if (r < 0)
			return netd_err_sys(err, -r, "cgroup: add %d to %s", (int)pid,
					    cg->dir[i].path);
	}
	return 0;
}

/* The whole of a cgroup file (cgroup.procs of a big container is many pages); malloc'd. */
static char *read_all(const char *path, size_t *len)
{
	netd_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	for (;;) {
		if (n == cap || !buf) {
			/* 4 Mi pids of 8 bytes at most */
			if (buf && cap >= (64u << 20)) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			char *nb = realloc(buf, buf ? cap *= 2 : cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

/* SIGKILL to every process of dir's cgroup.procs, read whole and parsed strictly: a list that
 * does not parse kills nothing. Returns how many were signalled, or -errno. */
static int kill_procs(const char *dir)
{
	char path[PATH_MAX + 32];
	size_t len = 0, n = 0;
	int r;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	netd_cleanup_free char *text = read_all(path, &len);
	if (!text)
		return -errno;
	netd_cleanup_free pid_t *pids = malloc((len / 2 + 1) * sizeof(pid_t));
	if (!pids)
		return -ENOMEM;
	r = nsbox_parse_pid_list(text, len, pids, len / 2 + 1, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	return (int)n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};
	nanosleep(&ts, NULL);
}

/*
 * v1 without cgroup.kill: freeze, so nothing forks between reading the list and the kills,
 * SIGKILL everyone listed (the signals wait while frozen), thaw: they all die at once.
 */
static bool freeze_kill(const char *dir)
{
	char st[PATH_MAX + 32], now[32];

	snprintf(st, sizeof(st), "%s/freezer.state", dir);
	if (write_str(st, "FROZEN") < 0)
		return false;
	for (int i = 0; i < 200; i++) { /* bounded: 200 x 5 ms */
		if (read_str(st, now, sizeof(now)) < 0 || !strncmp(now, "FROZEN", 6))
			break;
		sleep_ms(5);
	}
	int r = kill_procs(dir);
	write_str(st, "THAWED");
	return r >= 0;
}

/* Ends every process of the container: cgroup.kill (v2, 5.14+), else the v1 freezer, else
 * kill per process (the caller repeats until the cgroups are empty). */
static void kill_all(const struct nsbox_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		char path[PATH_MAX + 32];
		if (!cg->dir[i].v2)
			continue;
		snprintf(path, sizeof(path), "%s/cgroup.kill", cg->dir[i].path);
		if (write_str(path, "1") == 0)
			return; /* every process of the container is in its v2 cgroup */
	}
	for (size_t i = 0; i < cg->n; i++) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/freezer.state", cg->dir[i].path);
		if (!cg->dir[i].v2 && access(path, F_OK) == 0 && freeze_kill(cg->dir[i].path))
			return;
	}
	for (size_t i = 0; i < cg->n; i++)
		kill_procs(cg->dir[i].path);
}

/* The parent "nsbox" dir, once its last container is gone; EBUSY/ENOTEMPTY: another one lives
 * there (or is being made: nsbox_cgroup_create makes the parent again), which is fine. */
static void remove_parent(const char *dir)
{
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash)
		return;
	*slash = '\0';
	size_t l = strlen(parent);
	if (l < 6 || strcmp(parent + l - 6, "/nsbox"))
		return;
	if (rmdir(parent) == 0)
		netd_explain("rmdir %s   # the last container of nsbox's parent cgroup", parent);
}

int nsbox_cgroup_remove(const struct nsbox_cgroup *cg, struct netd_err *err)
{
	int ret = 0;
	bool killed = false;

	for (size_t i = 0; i < cg->n; i++) {
		const char *dir = cg->dir[i].path;
		bool gone = false;
		/* bounded: 200 x 5 ms */
		for (int tries = 0; tries < 200 && !gone; tries++) {
			if (rmdir(dir) == 0) {
				netd_explain("rmdir %s", dir);
				gone = true;
				break;
			}
			if (errno == ENOENT) {
				gone = true;
				break;
			}
			if (errno != EBUSY)
				break;
			if (!killed || tries % 20 == 19) {
				kill_all(cg);
				killed = true;
			}
			sleep_ms(5);
		}
		if (gone)
			remove_parent(dir);
		else if (ret == 0)
			ret = netd_err_sys(err, errno, "cgroup: rmdir %s", dir);
	}
	return ret;
}
