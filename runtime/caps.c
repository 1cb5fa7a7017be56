/* SPDX-License-Identifier: MIT */
/*
 * Privileges, as a default Docker container has them: the capability bounding set reduced to
 * Docker's default list, ambient set cleared, the requested user, no_new_privs.
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

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = CAP_LAST_CAP;
		fclose(f);
	}
	return n;
}

static bool allowed(int cap)
{
	for (size_t i = 0; i < sizeof(docker_caps) / sizeof(docker_caps[0]); i++)
		if (docker_caps[i] == cap)
			return true;
	return false;
}

int nsbox_caps_apply(const struct nsbox_opts *o, struct netd_err *err)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	int last = last_cap();

	for (int cap = 0; cap <= last; cap++) {
		if (allowed(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return netd_err_sys(err, errno, "drop capability %d from the bounding set",
					    cap);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return netd_err_sys(err, errno, "clear ambient capabilities");
	if (o->has_user) {
		int pdeath = 0;
		gid_t g = o->gid;
		/* a change of euid or egid clears the parent-death signal: keep it as it was */
		if (prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0) < 0)
			pdeath = 0;
		if (setgroups(1, &g) < 0 || setresgid(o->gid, o->gid, o->gid) < 0)
			return netd_err_sys(err, errno, "set group %u", (unsigned)o->gid);
		/* a non-root uid loses every capability here, as in Docker */
		if (setresuid(o->uid, o->uid, o->uid) < 0)
			return netd_err_sys(err, errno, "set user %u", (unsigned)o->uid);
		if (pdeath && prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0) < 0)
			return netd_err_sys(err, errno, "parent-death signal");
	}
	/* Permitted and effective = Docker's list (what is left of it); inheritable empty. */
	if (syscall(SYS_capget, &hdr, data) < 0)
		return netd_err_sys(err, errno, "capget");
	uint32_t keep[2] = {0, 0};
	for (size_t i = 0; i < sizeof(docker_caps) / sizeof(docker_caps[0]); i++)
		keep[docker_caps[i] / 32] |= 1u << (docker_caps[i] % 32);
	for (int i = 0; i < 2; i++) {
		data[i].permitted &= keep[i];
		data[i].effective &= keep[i];
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return netd_err_sys(err, errno, "capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return netd_err_sys(err, errno, "no_new_privs");
	return 0;
}
