/* SPDX-License-Identifier: MIT */
/*
 * Privileges, as a Docker container has them: the capability set (Docker's default list, or
 * what --cap-add/--cap-drop/--privileged made of it) as bounding, permitted and effective set,
 * ambient set cleared, the requested user and groups, no_new_privs, and the seccomp filter.
 *
 * Order: with no_new_privs (nsbox's default) the filter goes on last, right before exec, so it
 * constrains only the container's program. Without it (no-new-privileges=false, --privileged
 * with a profile) installing a filter needs CAP_SYS_ADMIN, so it goes on first, while nsbox
 * still has it; the profile must then allow what follows (setgroups, setresuid, capset, prctl),
 * as Docker's default does. runc orders them the same way.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "nsbox.h"

/* Docker's default capability set (moby oci/caps/defaults.go). */
static const int docker_caps[] = {
    CAP_CHOWN,	 CAP_DAC_OVERRIDE, CAP_FSETID,		 CAP_FOWNER,
    CAP_MKNOD,	 CAP_NET_RAW,	   CAP_SETGID,		 CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,	   CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,	 CAP_AUDIT_WRITE,
};

uint64_t nsbox_caps_default(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < sizeof(docker_caps) / sizeof(docker_caps[0]); i++)
		m |= 1ULL << docker_caps[i];
	return m;
}

int nsbox_last_cap(void)
{
	static int n = -1;

	if (n < 0) {
		FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
		n = CAP_LAST_CAP;
		if (f) {
			if (fscanf(f, "%d", &n) != 1 || n < 0 || n > 63)
				n = CAP_LAST_CAP;
			fclose(f);
		}
	}
	return n;
}

int nsbox_caps_apply(const struct nsbox_opts *o, struct netd_err *err)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	int last = nsbox_last_cap();
	bool filter = o->bpf.n > 0;

	for (int cap = 0; cap <= last; cap++) {
		if (o->caps & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return netd_err_sys(err, errno, "drop capability %d from the bounding set",
					    cap);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return netd_err_sys(err, errno, "clear ambient capabilities");
	if (filter && !o->no_new_privs && nsbox_seccomp_load(&o->bpf, err) < 0)
		return -err->code;
	/* the host's supplementary groups never reach the container: none, or the user's */
	if (setgroups(o->n_groups, o->groups) < 0)
		return netd_err_sys(err, errno, "set supplementary groups");
	if (o->has_user) {
		int pdeath = 0;
		/* a change of euid or egid clears the parent-death signal: keep it as it was */
		if (prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0) < 0)
			pdeath = 0;
		if (setresgid(o->gid, o->gid, o->gid) < 0)
			return netd_err_sys(err, errno, "set group %u", (unsigned)o->gid);
		/* a non-root uid loses every capability here, as in Docker */
		if (setresuid(o->uid, o->uid, o->uid) < 0)
			return netd_err_sys(err, errno, "set user %u", (unsigned)o->uid);
		if (pdeath && prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0) < 0)
			return netd_err_sys(err, errno, "parent-death signal");
	}
	/* Permitted and effective = the set (what is left of it); inheritable empty. */
	if (syscall(SYS_capget, &hdr, data) < 0)
		return netd_err_sys(err, errno, "capget");
	uint32_t keep[2] = {(uint32_t)o->caps, (uint32_t)(o->caps >> 32)};
	for (int i = 0; i < 2; i++) {
		data[i].permitted &= keep[i];
		data[i].effective &= keep[i];
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return netd_err_sys(err, errno, "capset");
	if (o->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return netd_err_sys(err, errno, "no_new_privs");
	if (filter && o->no_new_privs && nsbox_seccomp_load(&o->bpf, err) < 0)
		return -err->code;
	return 0;
}
