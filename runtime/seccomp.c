/* SPDX-License-Identifier: MIT */
/*
 * A seccomp profile (seccomp_profile.c) compiled to BPF with libseccomp, for the container's
 * capability set, and installed right before the container's first process runs.
 *
 * The parent prepares the filter before clone; the child loads the instructions it inherited
 * with one seccomp(2) call. Compiling Docker's default profile for x86_64, x86 and x32 takes
 * libseccomp 12-30 ms on a 2-core machine, more than all of `nsbox run --network none` (measured:
 * docs/nsbox.md), so the BPF is cached in the state dir ($NETD_STATE_DIR/nsbox/.seccomp/KEY.bpf),
 * keyed by a hash of everything the compilation reads: the profile (rules, as parsed), the
 * capability set, the kernel's version (minKernel), the native architecture and libseccomp's
 * version. A cache file is used only when it is a regular file of root's, not writable by
 * others, with the right key, size and checksum; anything else is compiled again and replaced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include "nsbox.h"

static uint32_t scmp_action(int act, int errno_ret)
{
	switch (act) {
	case NSBOX_SC_ALLOW:
		return SCMP_ACT_ALLOW;
	case NSBOX_SC_ERRNO:
		return SCMP_ACT_ERRNO((uint32_t)errno_ret);
	case NSBOX_SC_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case NSBOX_SC_TRAP:
		return SCMP_ACT_TRAP;
	case NSBOX_SC_TRACE:
		return SCMP_ACT_TRACE((uint32_t)errno_ret);
	case NSBOX_SC_LOG:
		return SCMP_ACT_LOG;
	default:
		return SCMP_ACT_KILL;
	}
}

static const enum scmp_compare scmp_ops[] = {
    [NSBOX_SC_NE] = SCMP_CMP_NE,
    [NSBOX_SC_LT] = SCMP_CMP_LT,
    [NSBOX_SC_LE] = SCMP_CMP_LE,
    [NSBOX_SC_EQ] = SCMP_CMP_EQ,
    [NSBOX_SC_GE] = SCMP_CMP_GE,
    [NSBOX_SC_GT] = SCMP_CMP_GT,
    [NSBOX_SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static bool kernel_at_least(const unsigned char want[2])
{
	static int maj = -1, min = -1;
	struct utsname u;

	if (!want[0] && !want[1])
		return true;
	if (maj < 0) {
		if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &maj, &min) != 2)
			maj = min = 0;
	}
	return maj > want[0] || (maj == want[0] && min >= want[1]);
}

/* Whether a rule applies to this container (Docker: includes need all, excludes any). */
static bool applies(const struct nsbox_sc_rule *r, uint64_t caps)
{
	unsigned arch = nsbox_seccomp_native_goarch();

	if ((r->caps_inc & caps) != r->caps_inc || (r->caps_exc & caps))
		return false;
	if ((r->arch_inc && !(r->arch_inc & arch)) || (r->arch_exc & arch))
		return false;
	return kernel_at_least(r->min_kernel);
}

static int add_rule(scmp_filter_ctx ctx, const struct nsbox_sc_rule *r, const char *name,
		    const char *profile, struct netd_err *err)
{
	struct scmp_arg_cmp cmp[NSBOX_SC_MAX_ARGS];
	int nr = seccomp_syscall_resolve_name(name);
	uint32_t act = scmp_action(r->act, r->errno_ret);
	bool same_index = false;
	int rc;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* a syscall this libseccomp does not know: nothing to allow or deny */
	for (size_t i = 0; i < r->n_args; i++) {
		cmp[i] = (struct scmp_arg_cmp){
		    .arg = r->args[i].index,
		    .op = scmp_ops[r->args[i].op],
		    .datum_a = r->args[i].value,
		    .datum_b = r->args[i].value2,
		};
		for (size_t j = 0; j < i; j++)
			same_index |= r->args[j].index == r->args[i].index;
	}
	if (same_index) {
		/* as Docker: two conditions on one argument are two rules (either matches) */
		for (size_t i = 0; i < r->n_args; i++) {
			rc = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[i]);
			if (rc < 0 && rc != -EEXIST)
				goto fail;
		}
		return 0;
	}
	rc = seccomp_rule_add_array(ctx, act, nr, (unsigned)r->n_args, cmp);
	if (rc >= 0 || rc == -EEXIST)
		return 0;
fail:
	return netd_err_sys(err, -rc, "seccomp profile %s: syscall %s", profile, name);
}

int nsbox_seccomp_compile(const struct nsbox_sc_profile *p, uint64_t caps, struct nsbox_bpf *out,
			  struct netd_err *err)
{
	scmp_filter_ctx ctx = seccomp_init(scmp_action(p->def_act, p->def_errno));
	int fd = -1, rc;
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (!ctx)
		return netd_err_set(err, ENOMEM, "seccomp: init");
	/* a binary tree of syscall numbers, not a list: the same decisions, and the kernel loads
	 * (JITs) it in 0.8 ms instead of 1.5 ms here, and evaluates it in O(log n) per syscall */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
		/* libseccomp before 2.5: the list */
	}
	for (size_t i = 0; i < p->n_arches; i++) {
		uint32_t a = seccomp_arch_resolve_name(p->arches[i]);
		if (!a) {
			rc = netd_err_set(err, EINVAL, "seccomp profile %s: architecture %s",
					  p->name, p->arches[i]);
			goto out;
		}
		rc = seccomp_arch_add(ctx, a);
		if (rc < 0 && rc != -EEXIST) {
			rc = netd_err_sys(err, -rc, "seccomp profile %s: architecture %s", p->name,
					  p->arches[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct nsbox_sc_rule *r = &p->rules[i];
		if (!applies(r, caps))
			continue;
		/* a rule with the default's own action adds nothing (libseccomp refuses it) */
		if (r->act == p->def_act &&
		    (r->act != NSBOX_SC_ERRNO || r->errno_ret == p->def_errno))
			continue;
		for (size_t j = 0; j < r->n_names; j++) {
			rc = add_rule(ctx, r, r->names[j], p->name, err);
			if (rc < 0)
				goto out;
		}
	}
	fd = memfd_create("nsbox-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		rc = netd_err_sys(err, errno, "seccomp: memfd");
		goto out;
	}
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		rc = netd_err_sys(err, -rc, "seccomp profile %s: export", p->name);
		goto out;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size > (off_t)(BPF_MAXINSNS * sizeof(struct sock_filter))) {
		rc = netd_err_set(err, E2BIG, "seccomp profile %s: the filter has %lld bytes",
				  p->name, (long long)st.st_size);
		goto out;
	}
	out->insns = malloc((size_t)st.st_size);
	if (!out->insns || pread(fd, out->insns, (size_t)st.st_size, 0) != st.st_size) {
		free(out->insns);
		out->insns = NULL;
		rc = netd_err_set(err, EIO, "seccomp profile %s: read the filter", p->name);
		goto out;
	}
	out->n = (size_t)st.st_size / sizeof(struct sock_filter);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return rc;
}

int nsbox_seccomp_load(const struct nsbox_bpf *b, struct netd_err *err)
{
	struct sock_fprog prog = {.len = (unsigned short)b->n, .filter = b->insns};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return netd_err_sys(err, errno, "seccomp: install the filter");
	return 0;
}

/* ---- the cache ---- */

#define FNV_OFF	  0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	for (const unsigned char *b = p; n--; b++)
		h = (h ^ *b) * FNV_PRIME;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	return fnv(h, &v, sizeof(v));
}

static uint64_t profile_key(const struct nsbox_sc_profile *p, uint64_t caps)
{
	struct utsname u;
	uint64_t h = FNV_OFF;
	int maj = 0, min = 0;

	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &maj, &min) != 2)
		maj = min = 0;
	h = fnv_str(h, "nsbox-seccomp-2"); /* 2: binary tree */
	h = fnv_u64(h, caps);
	h = fnv_u64(h, ((uint64_t)maj << 16) | (uint64_t)min);
	h = fnv_u64(h, ((uint64_t)SCMP_VER_MAJOR << 16) | (SCMP_VER_MINOR << 8) | SCMP_VER_MICRO);
	h = fnv_str(h, nsbox_seccomp_native_arch());
	h = fnv_u64(h, ((uint64_t)(unsigned)p->def_act << 32) | (unsigned)p->def_errno);
	for (size_t i = 0; i < p->n_arches; i++)
		h = fnv_str(h, p->arches[i]);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct nsbox_sc_rule *r = &p->rules[i];
		h = fnv_u64(h, r->n_names);
		for (size_t j = 0; j < r->n_names; j++)
			h = fnv_str(h, r->names[j]);
		h = fnv_u64(h, ((uint64_t)(unsigned)r->act << 32) | (unsigned)r->errno_ret);
		h = fnv_u64(h, r->n_args);
		for (size_t j = 0; j < r->n_args; j++) {
			h = fnv_u64(h,
				    ((uint64_t)r->args[j].index << 32) | (unsigned)r->args[j].op);
			h = fnv_u64(h, r->args[j].value);
			h = fnv_u64(h, r->args[j].value2);
		}
		h = fnv_u64(h, r->caps_inc);
		h = fnv_u64(h, r->caps_exc);
		h = fnv_u64(h, ((uint64_t)r->arch_inc << 32) | r->arch_exc);
		h = fnv(h, r->min_kernel, 2);
	}
	return h;
}

struct cache_head {
	char magic[8]; /* "NSBXBPF1" */
	uint64_t key;
	uint64_t n;
	uint64_t sum; /* FNV-1a of the instructions */
};

static int cache_path(char *buf, size_t len, uint64_t key)
{
	int n = snprintf(buf, len, "%s/nsbox/.seccomp/%016llx.bpf", netd_state_dir(),
			 (unsigned long long)key);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

bool nsbox_seccomp_read(const char *path, uint64_t key, struct nsbox_bpf *out)
{
	struct cache_head h;
	struct stat st;
	netd_cleanup_close int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || st.st_size < (off_t)sizeof(h) ||
	    st.st_size > (off_t)(sizeof(h) + BPF_MAXINSNS * sizeof(struct sock_filter)))
		return false;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h.magic, "NSBXBPF1", 8) ||
	    h.key != key || !h.n || h.n > BPF_MAXINSNS ||
	    st.st_size != (off_t)(sizeof(h) + h.n * sizeof(struct sock_filter)))
		return false;
	size_t bytes = (size_t)h.n * sizeof(struct sock_filter);
	void *insns = malloc(bytes);
	if (!insns || pread(fd, insns, bytes, sizeof(h)) != (ssize_t)bytes ||
	    fnv(FNV_OFF, insns, bytes) != h.sum) {
		free(insns);
		return false;
	}
	out->insns = insns;
	out->n = (size_t)h.n;
	return true;
}

int nsbox_seccomp_save(const char *path, uint64_t key, const struct nsbox_bpf *b)
{
	size_t bytes = b->n * sizeof(struct sock_filter);
	struct cache_head h = {.key = key, .n = b->n, .sum = fnv(FNV_OFF, b->insns, bytes)};
	struct netd_err err;
	netd_cleanup_free char *buf = malloc(sizeof(h) + bytes);

	if (!buf)
		return -ENOMEM;
	memcpy(h.magic, "NSBXBPF1", 8);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), b->insns, bytes);
	return netd_file_replace(path, buf, sizeof(h) + bytes, 0600, &err);
}

int nsbox_seccomp_prepare(const struct nsbox_sc_profile *p, uint64_t caps, struct nsbox_bpf *out,
			  uint64_t *key, bool *cached, struct netd_err *err)
{
	char path[PATH_MAX];

	*key = profile_key(p, caps);
	*cached = cache_path(path, sizeof(path), *key) == 0 && nsbox_seccomp_read(path, *key, out);
	if (*cached)
		return 0;
	return nsbox_seccomp_compile(p, caps, out, err);
}

void nsbox_seccomp_cache_store(uint64_t key, const struct nsbox_bpf *b)
{
	char path[PATH_MAX], dir[PATH_MAX];

	/* best effort: without a cache the next container starts too, only slower */
	if (cache_path(path, sizeof(path), key) < 0)
		return;
	snprintf(dir, sizeof(dir), "%s/nsbox/.seccomp", netd_state_dir());
	if ((mkdir(dir, 0700) == 0 || errno == EEXIST) && nsbox_seccomp_save(path, key, b) < 0) {
		/* not cached */
	}
}
