/* SPDX-License-Identifier: MIT */
/*
 * Seccomp profiles as nsbox holds them, pure (no libseccomp, no I/O; the JSON parser is fuzzed
 * by tests/fuzz/fuzz_nsbox_seccomp.c): the default profile, equivalent in effect to Docker's
 * default (default action EPERM; an allow list; clone without namespace flags; clone3 ENOSYS so
 * libcs fall back to clone; personality with the five harmless values; socket but not AF_VSOCK;
 * more syscalls for each capability that needs them), and Docker's JSON profile format
 * (seccomp=PROFILE.json), the documented subset: defaultAction, defaultErrnoRet, architectures
 * or archMap, syscalls[] with names (or name), action, errnoRet, args (index, value, valueTwo,
 * op), includes/excludes (caps, arches, minKernel). seccomp.c compiles either into BPF.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <linux/capability.h>
#include "nsbox.h"

#define CAPB(c) (1ULL << (c))

static const char *const allow_always[] = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_time64",
    "futex_waitv",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
};

static const char *const n_ptrace[] = {"process_vm_readv", "process_vm_writev", "ptrace"};
static const char *const n_socket[] = {"socket"};
static const char *const n_personality[] = {"personality"};
static const char *const n_arch_prctl[] = {"arch_prctl"};
static const char *const n_modify_ldt[] = {"modify_ldt"};
static const char *const n_arm[] = {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
				    "breakpoint",	"cacheflush",	       "set_tls"};
static const char *const n_dac_read_search[] = {"open_by_handle_at"};
static const char *const n_sys_admin[] = {
    "bpf",	     "clone",	      "clone3",	     "fanotify_init",	"fsconfig",
    "fsmount",	     "fsopen",	      "fspick",	     "lookup_dcookie",	"mount",
    "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
    "quotactl_fd",   "setdomainname", "sethostname", "setns",		"syslog",
    "umount",	     "umount2",	      "unshare",
};
static const char *const n_clone[] = {"clone"};
static const char *const n_clone3[] = {"clone3"};
static const char *const n_reboot[] = {"reboot"};
static const char *const n_chroot[] = {"chroot"};
static const char *const n_module[] = {"delete_module", "init_module", "finit_module"};
static const char *const n_acct[] = {"acct"};
static const char *const n_sys_ptrace[] = {
    "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"};
static const char *const n_rawio[] = {"iopl", "ioperm"};
static const char *const n_time[] = {"settimeofday", "stime", "clock_settime", "clock_settime64"};
static const char *const n_tty[] = {"vhangup"};
static const char *const n_nice[] = {"get_mempolicy", "mbind", "set_mempolicy",
				     "set_mempolicy_home_node"};
static const char *const n_syslog[] = {"syslog"};
static const char *const n_bpf[] = {"bpf"};
static const char *const n_perf[] = {"perf_event_open"};

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (and CLONE_NEWTIME's neighbour) */
#define CLONE_NS_MASK 2114060288ULL

#define NAMES(a) (a), sizeof(a) / sizeof((a)[0])
#define ALLOW	 .act = NSBOX_SC_ALLOW
#define ARG(i, o, v)                                                                               \
	.n_args = 1, .args = (const struct nsbox_sc_arg[])                                         \
	{                                                                                          \
		{                                                                                  \
			.index = (i), .op = (o), .value = (v)                                      \
		}                                                                                  \
	}

static const struct nsbox_sc_rule default_rules[] = {
    {NAMES(allow_always), ALLOW},
    {NAMES(n_ptrace), ALLOW, .min_kernel = {4, 8}},
    {NAMES(n_socket), ALLOW, ARG(0, NSBOX_SC_NE, 40)}, /* not AF_VSOCK */
    {NAMES(n_personality), ALLOW, ARG(0, NSBOX_SC_EQ, 0x0)},
    {NAMES(n_personality), ALLOW, ARG(0, NSBOX_SC_EQ, 0x8)},
    {NAMES(n_personality), ALLOW, ARG(0, NSBOX_SC_EQ, 0x20000)},
    {NAMES(n_personality), ALLOW, ARG(0, NSBOX_SC_EQ, 0x20008)},
    {NAMES(n_personality), ALLOW, ARG(0, NSBOX_SC_EQ, 0xffffffff)},
    {NAMES(n_arm), ALLOW, .arch_inc = NSBOX_SC_ARCH_ARM | NSBOX_SC_ARCH_ARM64},
    {NAMES(n_arch_prctl), ALLOW, .arch_inc = NSBOX_SC_ARCH_AMD64 | NSBOX_SC_ARCH_X32},
    {NAMES(n_modify_ldt), ALLOW,
     .arch_inc = NSBOX_SC_ARCH_AMD64 | NSBOX_SC_ARCH_X32 | NSBOX_SC_ARCH_X86},
    {NAMES(n_dac_read_search), ALLOW, .caps_inc = CAPB(CAP_DAC_READ_SEARCH)},
    {NAMES(n_sys_admin), ALLOW, .caps_inc = CAPB(CAP_SYS_ADMIN)},
    {NAMES(n_clone), ALLOW, ARG(0, NSBOX_SC_MASKED_EQ, CLONE_NS_MASK),
     .caps_exc = CAPB(CAP_SYS_ADMIN), .arch_exc = NSBOX_SC_ARCH_S390},
    {NAMES(n_clone), ALLOW, ARG(1, NSBOX_SC_MASKED_EQ, CLONE_NS_MASK),
     .caps_exc = CAPB(CAP_SYS_ADMIN), .arch_inc = NSBOX_SC_ARCH_S390},
    {NAMES(n_clone3), .act = NSBOX_SC_ERRNO, .errno_ret = ENOSYS, .caps_exc = CAPB(CAP_SYS_ADMIN)},
    {NAMES(n_reboot), ALLOW, .caps_inc = CAPB(CAP_SYS_BOOT)},
    {NAMES(n_chroot), ALLOW, .caps_inc = CAPB(CAP_SYS_CHROOT)},
    {NAMES(n_module), ALLOW, .caps_inc = CAPB(CAP_SYS_MODULE)},
    {NAMES(n_acct), ALLOW, .caps_inc = CAPB(CAP_SYS_PACCT)},
    {NAMES(n_sys_ptrace), ALLOW, .caps_inc = CAPB(CAP_SYS_PTRACE)},
    {NAMES(n_rawio), ALLOW, .caps_inc = CAPB(CAP_SYS_RAWIO)},
    {NAMES(n_time), ALLOW, .caps_inc = CAPB(CAP_SYS_TIME)},
    {NAMES(n_tty), ALLOW, .caps_inc = CAPB(CAP_SYS_TTY_CONFIG)},
    {NAMES(n_nice), ALLOW, .caps_inc = CAPB(CAP_SYS_NICE)},
    {NAMES(n_syslog), ALLOW, .caps_inc = CAPB(CAP_SYSLOG)},
    {NAMES(n_bpf), ALLOW, .caps_inc = CAPB(CAP_BPF)},
    {NAMES(n_perf), ALLOW, .caps_inc = CAPB(CAP_PERFMON)},
};

/* On x86_64, as Docker: x86_64 plus the two ABIs a 64-bit kernel runs beside it. */
static const char *const x86_64_arches[] = {"x86_64", "x86", "x32"};

void nsbox_seccomp_default(struct nsbox_sc_profile *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "default");
	p->def_act = NSBOX_SC_ERRNO;
	p->def_errno = EPERM;
	p->rules = default_rules;
	p->n_rules = sizeof(default_rules) / sizeof(default_rules[0]);
	if (!strcmp(nsbox_seccomp_native_arch(), "x86_64")) {
		p->arches = x86_64_arches;
		p->n_arches = sizeof(x86_64_arches) / sizeof(x86_64_arches[0]);
	} else {
		p->own_arches[0] = nsbox_seccomp_native_arch();
		p->arches = p->own_arches;
		p->n_arches = 1;
	}
}

/* ---- Docker's JSON format ---- */

static const struct {
	const char *name;
	int act;
} actions[] = {
    {"SCMP_ACT_ALLOW", NSBOX_SC_ALLOW},
    {"SCMP_ACT_ERRNO", NSBOX_SC_ERRNO},
    {"SCMP_ACT_KILL", NSBOX_SC_KILL_THREAD},
    {"SCMP_ACT_KILL_THREAD", NSBOX_SC_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", NSBOX_SC_KILL_PROCESS},
    {"SCMP_ACT_TRAP", NSBOX_SC_TRAP},
    {"SCMP_ACT_TRACE", NSBOX_SC_TRACE},
    {"SCMP_ACT_LOG", NSBOX_SC_LOG},
};

static const struct {
	const char *name;
	int op;
} ops[] = {
    {"SCMP_CMP_NE", NSBOX_SC_NE},
    {"SCMP_CMP_LT", NSBOX_SC_LT},
    {"SCMP_CMP_LE", NSBOX_SC_LE},
    {"SCMP_CMP_EQ", NSBOX_SC_EQ},
    {"SCMP_CMP_GE", NSBOX_SC_GE},
    {"SCMP_CMP_GT", NSBOX_SC_GT},
    {"SCMP_CMP_MASKED_EQ", NSBOX_SC_MASKED_EQ},
};

/* Go's GOARCH names, as includes.arches uses them */
static const struct {
	const char *name;
	unsigned bit;
} goarches[] = {
    {"amd64", NSBOX_SC_ARCH_AMD64},   {"x32", NSBOX_SC_ARCH_X32},
    {"x86", NSBOX_SC_ARCH_X86},	      {"386", NSBOX_SC_ARCH_X86},
    {"arm64", NSBOX_SC_ARCH_ARM64},   {"arm", NSBOX_SC_ARCH_ARM},
    {"s390", NSBOX_SC_ARCH_S390},     {"s390x", NSBOX_SC_ARCH_S390},
    {"ppc64le", NSBOX_SC_ARCH_OTHER}, {"riscv64", NSBOX_SC_ARCH_OTHER},
    {"mips", NSBOX_SC_ARCH_OTHER},    {"mips64", NSBOX_SC_ARCH_OTHER},
    {"mipsel", NSBOX_SC_ARCH_OTHER},  {"mips64le", NSBOX_SC_ARCH_OTHER},
    {"ppc64", NSBOX_SC_ARCH_OTHER},   {"loong64", NSBOX_SC_ARCH_OTHER},
};

/* The libseccomp names of the architectures a profile may list (SCMP_ARCH_X86_64 -> x86_64). */
static const char *const scmp_arches[] = {
    "x86",	 "x86_64", "x32",      "arm",	      "aarch64", "mips",	"mips64",
    "mips64n32", "mipsel", "mipsel64", "mipsel64n32", "ppc",	 "ppc64",	"ppc64le",
    "s390",	 "s390x",  "parisc",   "parisc64",    "riscv64", "loongarch64",
};

static int perr(struct netd_err *err, const char *file, const char *key, const char *what)
{
	return netd_err_set(err, EINVAL, "seccomp profile %s: %s: %s", file, key, what);
}

static const char *arch_name(const char *s)
{
	char low[32];
	size_t n;

	if (strncmp(s, "SCMP_ARCH_", 10) || (n = strlen(s + 10)) >= sizeof(low))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		low[i] =
		    (char)((s[10 + i] >= 'A' && s[10 + i] <= 'Z') ? s[10 + i] + 32 : s[10 + i]);
	for (size_t i = 0; i < sizeof(scmp_arches) / sizeof(scmp_arches[0]); i++)
		if (!strcmp(low, scmp_arches[i]))
			return scmp_arches[i];
	return NULL;
}

static int add_arch(struct nsbox_sc_profile *p, const char *name)
{
	for (size_t i = 0; i < p->n_arches; i++)
		if (!strcmp(p->arches[i], name))
			return 0;
	if (p->n_arches >= NSBOX_SC_MAX_ARCHES)
		return -1;
	p->own_arches[p->n_arches] = name;
	p->n_arches++;
	p->arches = p->own_arches;
	return 0;
}

static int parse_arches(json_t *root, struct nsbox_sc_profile *p, const char *file,
			struct netd_err *err)
{
	json_t *a = json_object_get(root, "architectures"), *m = json_object_get(root, "archMap");
	size_t i;
	json_t *v;

	if (a && !json_is_null(a)) {
		if (!json_is_array(a))
			return perr(err, file, "architectures", "want an array");
		json_array_foreach(a, i, v)
		{
			const char *n = json_is_string(v) ? arch_name(json_string_value(v)) : NULL;
			if (!n)
				return perr(err, file, "architectures", "unknown architecture");
			if (add_arch(p, n) < 0)
				return perr(err, file, "architectures", "too many");
		}
	}
	if (m && !json_is_null(m)) {
		if (!json_is_array(m))
			return perr(err, file, "archMap", "want an array");
		json_array_foreach(m, i, v)
		{
			json_t *arch = json_object_get(v, "architecture");
			json_t *subs = json_object_get(v, "subArchitectures");
			const char *n =
			    json_is_string(arch) ? arch_name(json_string_value(arch)) : NULL;
			size_t j;
			json_t *s;
			if (!json_is_object(v) || !n)
				return perr(err, file, "archMap", "unknown architecture");
			if (subs && !json_is_null(subs) && !json_is_array(subs))
				return perr(err, file, "subArchitectures", "want an array");
			/* only the entry of the machine's own architecture applies */
			if (strcmp(n, nsbox_seccomp_native_arch()))
				continue;
			if (add_arch(p, n) < 0)
				return perr(err, file, "archMap", "too many");
			json_array_foreach(subs, j, s)
			{
				const char *sn =
				    json_is_string(s) ? arch_name(json_string_value(s)) : NULL;
				if (!sn)
					return perr(err, file, "subArchitectures",
						    "unknown architecture");
				if (add_arch(p, sn) < 0)
					return perr(err, file, "archMap", "too many");
			}
		}
	}
	return 0;
}

static int parse_action(json_t *v, int *act, const char *file, struct netd_err *err)
{
	if (!json_is_string(v))
		return perr(err, file, "action", "want a string");
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(json_string_value(v), actions[i].name)) {
			*act = actions[i].act;
			return 0;
		}
	return perr(err, file, "action", "unknown (SCMP_ACT_NOTIFY is not supported)");
}

static int parse_caps(json_t *v, uint64_t *mask, const char *file, struct netd_err *err)
{
	size_t i;
	json_t *c;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return perr(err, file, "caps", "want an array");
	json_array_foreach(v, i, c)
	{
		int cap = json_is_string(c) ? nsbox_cap_parse(json_string_value(c)) : -1;
		if (cap < 0)
			return perr(err, file, "caps", "unknown capability");
		*mask |= CAPB(cap);
	}
	return 0;
}

static int parse_goarches(json_t *v, unsigned *mask, const char *file, struct netd_err *err)
{
	size_t i;
	json_t *a;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return perr(err, file, "arches", "want an array");
	json_array_foreach(v, i, a)
	{
		size_t k;
		for (k = 0; k < sizeof(goarches) / sizeof(goarches[0]); k++)
			if (json_is_string(a) && !strcmp(json_string_value(a), goarches[k].name))
				break;
		if (k == sizeof(goarches) / sizeof(goarches[0]))
			return perr(err, file, "arches", "unknown architecture");
		*mask |= goarches[k].bit;
	}
	return 0;
}

static int parse_filter(json_t *v, struct nsbox_sc_rule *r, bool inc, const char *file,
			struct netd_err *err)
{
	json_t *mk;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return perr(err, file, "%s: want an object", inc ? "includes" : "excludes");
	if (parse_caps(json_object_get(v, "caps"), inc ? &r->caps_inc : &r->caps_exc, file, err) <
		0 ||
	    parse_goarches(json_object_get(v, "arches"), inc ? &r->arch_inc : &r->arch_exc, file,
			   err) < 0)
		return -EINVAL;
	mk = json_object_get(v, "minKernel");
	if (inc && mk && !json_is_null(mk)) {
		unsigned maj, min;
		char tail;
		if (!json_is_string(mk) ||
		    sscanf(json_string_value(mk), "%u.%u%c", &maj, &min, &tail) != 2 || maj > 255 ||
		    min > 255)
			return perr(err, file, "minKernel", "want MAJOR.MINOR");
		r->min_kernel[0] = (unsigned char)maj;
		r->min_kernel[1] = (unsigned char)min;
	}
	return 0;
}

static int parse_args(json_t *v, struct nsbox_sc_rule *r, const char *file, struct netd_err *err)
{
	size_t i;
	json_t *a;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > NSBOX_SC_MAX_ARGS)
		return perr(err, file, "args", "want an array of at most 6");
	json_array_foreach(v, i, a)
	{
		json_t *idx = json_object_get(a, "index"), *val = json_object_get(a, "value");
		json_t *v2 = json_object_get(a, "valueTwo"), *op = json_object_get(a, "op");
		struct nsbox_sc_arg *x = &r->own_args[i];
		size_t k;
		if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
		    json_integer_value(idx) > 5)
			return perr(err, file, "args: index", "want 0..5");
		/* uint64 values beyond INT64_MAX come as reals from jansson: refuse them */
		if (!json_is_integer(val) || (v2 && !json_is_null(v2) && !json_is_integer(v2)))
			return perr(err, file, "args: value", "want an integer");
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (json_is_string(op) && !strcmp(json_string_value(op), ops[k].name))
				break;
		if (k == sizeof(ops) / sizeof(ops[0]))
			return perr(err, file, "args: op", "unknown");
		x->index = (unsigned)json_integer_value(idx);
		x->value = (uint64_t)json_integer_value(val);
		x->value2 = v2 && json_is_integer(v2) ? (uint64_t)json_integer_value(v2) : 0;
		x->op = ops[k].op;
	}
	r->n_args = json_array_size(v);
	r->args = r->own_args;
	return 0;
}

static int parse_rule(json_t *v, struct nsbox_sc_rule *r, const char *file, struct netd_err *err)
{
	json_t *names = json_object_get(v, "names"), *name = json_object_get(v, "name");
	json_t *en = json_object_get(v, "errnoRet");
	size_t i;
	json_t *n;

	if (!json_is_object(v))
		return perr(err, file, "syscalls", "want objects");
	if (names && !json_is_null(names) && !json_is_array(names))
		return perr(err, file, "names", "want an array");
	size_t cnt = (names && json_is_array(names) ? json_array_size(names) : 0) +
		     (json_is_string(name) ? 1 : 0);
	if (!cnt || cnt > 4096)
		return perr(err, file, "syscalls", "a rule without syscall names");
	r->own_names = calloc(cnt, sizeof(char *));
	if (!r->own_names)
		return netd_err_set(err, ENOMEM, "seccomp profile %s: out of memory", file);
	r->names = (const char *const *)r->own_names;
	if (json_is_string(name))
		r->own_names[r->n_names++] = strdup(json_string_value(name));
	json_array_foreach(names, i, n)
	{
		if (!json_is_string(n) || !*json_string_value(n) ||
		    strlen(json_string_value(n)) > 64)
			return perr(err, file, "names", "want syscall names");
		r->own_names[r->n_names++] = strdup(json_string_value(n));
	}
	for (i = 0; i < r->n_names; i++)
		if (!r->own_names[i])
			return netd_err_set(err, ENOMEM, "seccomp profile %s: out of memory", file);
	if (parse_action(json_object_get(v, "action"), &r->act, file, err) < 0)
		return -EINVAL;
	if (en && !json_is_null(en)) {
		if (!json_is_integer(en) || json_integer_value(en) < 0 ||
		    json_integer_value(en) > 4095)
			return perr(err, file, "errnoRet", "want 0..4095");
		r->errno_ret = (int)json_integer_value(en);
	} else if (r->act == NSBOX_SC_ERRNO) {
		r->errno_ret = EPERM;
	}
	if (parse_args(json_object_get(v, "args"), r, file, err) < 0 ||
	    parse_filter(json_object_get(v, "includes"), r, true, file, err) < 0 ||
	    parse_filter(json_object_get(v, "excludes"), r, false, file, err) < 0)
		return -EINVAL;
	return 0;
}

int nsbox_seccomp_parse(const char *json, size_t len, const char *file, struct nsbox_sc_profile *p,
			struct netd_err *err)
{
	json_error_t je;
	json_t *root, *sc, *v;
	size_t i;
	int r = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", file);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return netd_err_set(err, EINVAL, "seccomp profile %s: line %d: not JSON: %s", file,
				    je.line, je.text);
	if (!json_is_object(root)) {
		r = perr(err, file, "profile", "want a JSON object");
		goto out;
	}
	if (parse_action(json_object_get(root, "defaultAction"), &p->def_act, file, err) < 0) {
		r = -EINVAL;
		goto out;
	}
	v = json_object_get(root, "defaultErrnoRet");
	p->def_errno = EPERM;
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 4095) {
			r = perr(err, file, "defaultErrnoRet", "want 0..4095");
			goto out;
		}
		p->def_errno = (int)json_integer_value(v);
	}
	r = parse_arches(root, p, file, err);
	if (r < 0)
		goto out;
	sc = json_object_get(root, "syscalls");
	if (sc && !json_is_null(sc) && !json_is_array(sc)) {
		r = perr(err, file, "syscalls", "want an array");
		goto out;
	}
	if (sc && json_array_size(sc) > 4096) {
		r = perr(err, file, "syscalls", "more than 4096 rules");
		goto out;
	}
	if (sc && json_array_size(sc)) {
		p->own_rules = calloc(json_array_size(sc), sizeof(*p->own_rules));
		if (!p->own_rules) {
			r = netd_err_set(err, ENOMEM, "seccomp profile %s: out of memory", file);
			goto out;
		}
		p->rules = p->own_rules;
	}
	json_array_foreach(sc, i, v)
	{
		p->n_rules++; /* counted first: free() finds what was allocated */
		r = parse_rule(v, &p->own_rules[i], file, err);
		if (r < 0)
			goto out;
	}
out:
	json_decref(root);
	if (r < 0)
		nsbox_seccomp_free(p);
	return r;
}

void nsbox_seccomp_free(struct nsbox_sc_profile *p)
{
	for (size_t i = 0; p->own_rules && i < p->n_rules; i++) {
		for (size_t j = 0; j < p->own_rules[i].n_names; j++)
			free(p->own_rules[i].own_names[j]);
		free(p->own_rules[i].own_names);
	}
	free(p->own_rules);
	p->own_rules = NULL;
	p->rules = NULL;
	p->n_rules = 0;
}

const char *nsbox_seccomp_native_arch(void)
{
#if defined(__x86_64__) && defined(__ILP32__)
	return "x32";
#elif defined(__x86_64__)
	return "x86_64";
#elif defined(__i386__)
	return "x86";
#elif defined(__aarch64__)
	return "aarch64";
#elif defined(__arm__)
	return "arm";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#else
	return "";
#endif
}

unsigned nsbox_seccomp_native_goarch(void)
{
#if defined(__x86_64__) && defined(__ILP32__)
	return NSBOX_SC_ARCH_X32;
#elif defined(__x86_64__)
	return NSBOX_SC_ARCH_AMD64;
#elif defined(__i386__)
	return NSBOX_SC_ARCH_X86;
#elif defined(__aarch64__)
	return NSBOX_SC_ARCH_ARM64;
#elif defined(__arm__)
	return NSBOX_SC_ARCH_ARM;
#elif defined(__s390x__)
	return NSBOX_SC_ARCH_S390;
#else
	return NSBOX_SC_ARCH_OTHER;
#endif
}
