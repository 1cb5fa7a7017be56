/* SPDX-License-Identifier: MIT */
/*
 * The container's filesystem, built in the child's new mount namespace: the root (a bind mount
 * of the rootfs, or an overlay over it), /proc, /sys (read-only), a tmpfs /dev with the usual
 * nodes, /dev/pts, /dev/shm, the generated /etc files; then pivot_root and the old root
 * unmounted; then masked and read-only /proc paths. Mount points inside the rootfs are opened
 * with RESOLVE_IN_ROOT, so a symlink in the rootfs cannot point a mount at the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/openat2.h>
#include "nsbox.h"

/* --explain: the new root's path while it is being built (mount targets are ROOT/rel). */
static const char *x_root = "";

/* A mount(2) call as mount(8) would make it (-o rbind / -o bind: busybox's mount takes them too,
 * and after pivot_root the container's own mount runs these). */
static void explain_mount(const char *src, const char *target, const char *fstype,
			  unsigned long flags, const char *data)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} names[] = {
	    {MS_RDONLY, "ro"},	       {MS_NOSUID, "nosuid"},		{MS_NODEV, "nodev"},
	    {MS_NOEXEC, "noexec"},     {MS_STRICTATIME, "strictatime"}, {MS_NOATIME, "noatime"},
	    {MS_RELATIME, "relatime"},
	};
	char opts[512] = "";
	size_t n = 0;

	if (!netd_explain_enabled())
		return;
	if (flags & MS_PRIVATE) {
		netd_explain("mount --make-%sprivate %s", flags & MS_REC ? "r" : "", target);
		return;
	}
	if (flags & MS_REMOUNT)
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, "remount,");
	if (flags & MS_BIND)
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, "%sbind,",
				      (flags & MS_REC) && !(flags & MS_REMOUNT) ? "r" : "");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].flag)
			n += (size_t)snprintf(opts + n, n < sizeof(opts) ? sizeof(opts) - n : 0,
					      "%s,", names[i].name);
	if (data && n < sizeof(opts))
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, "%s,", data);
	if (n && n <= sizeof(opts))
		opts[n - 1] = '\0';
	if (flags & MS_REMOUNT)
		netd_explain("mount -o %s %s", opts, target);
	else if (flags & MS_BIND)
		netd_explain("mount -o %s %s %s", opts, src, target);
	else
		netd_explain("mount -t %s%s%s %s %s", fstype, opts[0] ? " -o " : "", opts, src,
			     target);
}

static int open_in_root(int root, const char *rel, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) /* before 5.6 (or valgrind): plain openat */
		fd = openat(root, rel, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* rel's parent directories inside the root, made when missing (mkdir -p, in-root). */
static int parents_in_root(int root, const char *rel, int depth)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(rel, '/');

	if (!slash)
		return 0;
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - rel), rel);
	int fd = open_in_root(root, parent, O_PATH | O_DIRECTORY);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd != -ENOENT || depth > 64)
		return fd;
	int r = parents_in_root(root, parent, depth + 1);
	if (r < 0)
		return r;
	const char *ps = strrchr(parent, '/');
	char pp[PATH_MAX];
	snprintf(pp, sizeof(pp), "%.*s", ps ? (int)(ps - parent) : 1, ps ? parent : ".");
	netd_cleanup_close int pfd = open_in_root(root, pp, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return pfd;
	if (mkdirat(pfd, ps ? ps + 1 : parent, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Makes sure rel exists in the rootfs as a directory (dir) or file; returns an O_PATH fd. */
static int mountpoint(int root, const char *rel, bool dir, struct netd_err *err)
{
	int fd = open_in_root(root, rel, O_PATH);

	netd_explain("%s %s/%s", dir ? "mkdir -p" : "touch", x_root, rel);

	if (fd == -ENOENT) {
		char parent[PATH_MAX];
		const char *slash = strrchr(rel, '/');
		const char *base = slash ? slash + 1 : rel;
		int r = parents_in_root(root, rel, 0);
		if (r < 0)
			return netd_err_sys(err, -r, "mount point /%s: parent", rel);
		snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - rel) : 1,
			 slash ? rel : ".");
		netd_cleanup_close int pfd = open_in_root(root, parent, O_PATH | O_DIRECTORY);
		if (pfd < 0)
			return netd_err_sys(err, -pfd, "mount point /%s: parent", rel);
		/* never through a symlink: a dangling one would point the new file at the host */
		if (dir) {
			if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST)
				return netd_err_sys(err, errno, "mkdir /%s", rel);
		} else {
			int f = openat(pfd, base,
				       O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
			if (f < 0 && errno != EEXIST)
				return netd_err_sys(err, errno, "create /%s", rel);
			if (f >= 0)
				close(f);
		}
		fd = open_in_root(root, rel, O_PATH);
	}
	if (fd < 0)
		return netd_err_sys(err, -fd, "mount point /%s", rel);
	return fd;
}

static int mount_fd(const char *src, int fd, const char *fstype, unsigned long flags,
		    const char *data)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return mount(src, p, fstype, flags, data) < 0 ? -errno : 0;
}

static int mount_in(int root, const char *rel, bool dir, const char *src, const char *fstype,
		    unsigned long flags, const char *data, struct netd_err *err)
{
	netd_cleanup_close int fd = mountpoint(root, rel, dir, err);
	int r;

	if (fd < 0)
		return fd;
	{
		char target[PATH_MAX];
		snprintf(target, sizeof(target), "%s/%s", x_root, rel);
		explain_mount(src, target, fstype, flags, data);
	}
	r = mount_fd(src, fd, fstype, flags, data);
	if (r < 0)
		return netd_err_sys(err, -r, "mount %s on /%s", fstype ? fstype : src, rel);
	return 0;
}

/* The flags a remount must keep (in a user namespace the kernel refuses to drop locked ones). */
static unsigned long kept_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int remount_ro(const char *path, bool bind_first, struct netd_err *err)
{
	struct stat st;

	if (bind_first && stat(path, &st) == 0)
		explain_mount(path, path, NULL, MS_BIND | MS_REC, NULL);
	if (bind_first && mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return 0;
		return netd_err_sys(err, errno, "bind %s", path);
	}
	explain_mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(path), NULL);
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(path), NULL) < 0)
		return netd_err_sys(err, errno, "remount %s read-only", path);
	return 0;
}

struct devnode {
	const char *name;
	unsigned maj, min;
};

static const struct devnode devnodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},	 {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static int dev_setup(int root, bool console, struct netd_err *err)
{
	netd_cleanup_close int dev = -1;
	int r;

	r = mount_in(root, "dev", true, "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
		     "mode=755,size=65536k", err);
	if (r < 0)
		return r;
	dev = open_in_root(root, "dev", O_PATH | O_DIRECTORY);
	if (dev < 0)
		return netd_err_sys(err, -dev, "open /dev");
	for (size_t i = 0; i < sizeof(devnodes) / sizeof(devnodes[0]); i++) {
		const struct devnode *d = &devnodes[i];
		mode_t old = umask(0);
		netd_explain("mknod -m 666 %s/dev/%s c %u %u", x_root, d->name, d->maj, d->min);
		int mr = mknodat(dev, d->name, S_IFCHR | 0666, makedev(d->maj, d->min));
		umask(old);
		if (mr == 0)
			continue;
		if (errno != EPERM)
			return netd_err_sys(err, errno, "mknod /dev/%s", d->name);
		/* in a user namespace: bind the host's node */
		char host[32], rel[32];
		snprintf(host, sizeof(host), "/dev/%s", d->name);
		snprintf(rel, sizeof(rel), "dev/%s", d->name);
		r = mount_in(root, rel, false, host, NULL, MS_BIND, NULL, err);
		if (r < 0)
			return r;
	}
	static const char *const links[][2] = {
	    {"fd", "/proc/self/fd"},	   {"stdin", "/proc/self/fd/0"},
	    {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
	    {"ptmx", "pts/ptmx"},	   {"core", "/proc/kcore"},
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		netd_explain("ln -s %s %s/dev/%s", links[i][1], x_root, links[i][0]);
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			return netd_err_sys(err, errno, "symlink /dev/%s", links[i][0]);
	}
	r = mount_in(root, "dev/pts", true, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620,gid=5", err);
	if (r < 0) /* gid 5 may not exist in a user namespace */
		r = mount_in(root, "dev/pts", true, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
			     "newinstance,ptmxmode=0666,mode=0620", err);
	if (r < 0)
		return r;
	r = mount_in(root, "dev/shm", true, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "mode=1777,size=65536k", err);
	if (r < 0)
		return r;
	r = mount_in(root, "dev/mqueue", true, "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     NULL, err);
	if (r < 0)
		return r;
	if (console) { /* the mount point for the pty slave (run.c binds it after pivot_root) */
		netd_cleanup_close int fd = mountpoint(root, "dev/console", false, err);
		if (fd < 0)
			return fd;
	}
	return 0;
}

static const char *const masked_paths[] = {
    "/proc/acpi",	   "/proc/asound",	  "/proc/kcore",
    "/proc/keys",	   "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats",   "/proc/sched_debug",	  "/proc/scsi",
    "/proc/sysrq-trigger", "/sys/firmware",	  "/sys/devices/virtual/powercap",
};

static const char *const ro_paths[] = {
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
};

static int mask_paths(struct netd_err *err)
{
	struct stat st;

	for (size_t i = 0; i < sizeof(masked_paths) / sizeof(masked_paths[0]); i++) {
		const char *p = masked_paths[i];
		int r;
		if (stat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			explain_mount("tmpfs", p, "tmpfs",
				      MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
			r = mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				  "size=0");
		} else {
			explain_mount("/dev/null", p, NULL, MS_BIND, NULL);
			r = mount("/dev/null", p, NULL, MS_BIND, NULL);
		}
		if (r < 0)
			return netd_err_sys(err, errno, "mask %s", p);
	}
	for (size_t i = 0; i < sizeof(ro_paths) / sizeof(ro_paths[0]); i++) {
		int r = remount_ro(ro_paths[i], true, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int etc_files(int root, const char *state_dir, struct netd_err *err)
{
	static const char *const files[] = {"hosts", "hostname", "resolv.conf"};
	netd_cleanup_close int etc = mountpoint(root, "etc", true, err);

	if (etc < 0)
		return etc;
	for (size_t i = 0; i < 3; i++) {
		char src[PATH_MAX], rel[32];
		int r;
		snprintf(src, sizeof(src), "%s/%s", state_dir, files[i]);
		snprintf(rel, sizeof(rel), "etc/%s", files[i]);
		r = mount_in(root, rel, false, src, NULL, MS_BIND, NULL, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A read-only bind stays read-only below too: mount_setattr(AT_RECURSIVE) where the kernel has
 * it (5.12), else a remount of the top. */
static int bind_readonly(int root, const char *rel, struct netd_err *err)
{
	struct mount_attr {
		uint64_t attr_set, attr_clr, propagation, userns_fd;
	} attr = {.attr_set = 0x00000001 /* MOUNT_ATTR_RDONLY */};
	netd_cleanup_close int fd = open_in_root(root, rel, O_PATH);
	char target[PATH_MAX], p[64];

	if (fd < 0)
		return netd_err_sys(err, -fd, "mount point /%s", rel);
	snprintf(target, sizeof(target), "%s/%s", x_root, rel);
	explain_mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
	if (syscall(SYS_mount_setattr, fd, "",
		    0x1000 /* AT_EMPTY_PATH */ | 0x8000 /* AT_RECURSIVE */, &attr,
		    sizeof(attr)) == 0)
		return 0;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(p), NULL) < 0)
		return netd_err_sys(err, errno, "remount /%s read-only", rel);
	return 0;
}

/* -v, --tmpfs, --mount, in order (parents first). A bind's source is opened on the host (the
 * path the user gave); its target is made inside the new root (RESOLVE_IN_ROOT), which is the
 * overlay's merged dir with --overlay or --read-only, so the rootfs itself is not touched. */
static int user_mounts(int root, const struct nsbox_opts *o, struct netd_err *err)
{
	for (size_t i = 0; i < o->n_mounts; i++) {
		const struct nsbox_mount *m = &o->mounts[i];
		const char *rel = m->dst + 1;
		int r;
		if (m->type == NSBOX_MOUNT_TMPFS) {
			char data[96];
			int n =
			    snprintf(data, sizeof(data), "mode=%o", m->has_mode ? m->mode : 01777);
			if (m->size)
				snprintf(data + n, sizeof(data) - (size_t)n, ",size=%lld", m->size);
			r = mount_in(root, rel, true, "tmpfs", "tmpfs",
				     m->flags | (m->ro ? MS_RDONLY : 0), data, err);
			if (r < 0)
				return r;
			continue;
		}
		netd_cleanup_close int src = open(m->src, O_PATH | O_CLOEXEC);
		struct stat st;
		char sp[64];
		if (src < 0 || fstat(src, &st) < 0)
			return netd_err_sys(err, errno, "bind source %s", m->src);
		netd_cleanup_close int dst = mountpoint(root, rel, S_ISDIR(st.st_mode), err);
		if (dst < 0)
			return dst;
		snprintf(sp, sizeof(sp), "/proc/self/fd/%d", src);
		{
			char target[PATH_MAX];
			snprintf(target, sizeof(target), "%s/%s", x_root, rel);
			explain_mount(m->src, target, NULL, MS_BIND | MS_REC, NULL);
		}
		r = mount_fd(sp, dst, NULL, MS_BIND | MS_REC, NULL);
		if (r < 0)
			return netd_err_sys(err, -r, "bind %s on %s", m->src, m->dst);
		if (m->ro && (r = bind_readonly(root, rel, err)) < 0)
			return r;
	}
	return 0;
}

/* -w: made when missing (root's, 0755), as Docker does, before the root may turn read-only. */
static int workdir(const char *dir, struct netd_err *err)
{
	char p[PATH_MAX];

	netd_explain("mkdir -p %s", dir);
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return netd_err_sys(err, errno, "workdir %s: mkdir %s", dir, p);
		*s = c;
		if (!c)
			break;
	}
	return 0;
}

int nsbox_mounts_setup(const struct nsbox_mount_ctx *ctx, struct netd_err *err)
{
	const struct nsbox_opts *o = ctx->o;
	char merged[PATH_MAX];
	const char *newroot = o->rootfs;
	netd_cleanup_close int root = -1;
	int r;

	/* Nothing we mount may propagate back to the host. */
	explain_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return netd_err_sys(err, errno, "make / private");
	if (o->overlay) {
		char opts[3 * PATH_MAX + 64];
		if (strpbrk(o->rootfs, ",:"))
			return netd_err_set(err, EINVAL, "overlay: rootfs path has ',' or ':'");
		snprintf(merged, sizeof(merged), "%s/merged", ctx->state_dir);
		snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work",
			 o->rootfs, ctx->state_dir, ctx->state_dir);
		explain_mount("overlay", merged, "overlay", 0, opts);
		if (mount("overlay", merged, "overlay", 0, opts) < 0)
			return netd_err_sys(err, errno, "overlay on %s", merged);
		newroot = merged;
	} else {
		explain_mount(o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL);
		if (mount(o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
			return netd_err_sys(err, errno, "bind rootfs %s", o->rootfs);
	}
	x_root = newroot;
	root = open(newroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return netd_err_sys(err, errno, "open %s", newroot);

	r = mount_in(root, "proc", true, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
		     err);
	if (r == 0) /* --privileged: /sys writable, as Docker's */
		r = mount_in(root, "sys", true, "sysfs", "sysfs",
			     (o->privileged ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     NULL, err);
	if (r == 0)
		r = dev_setup(root, ctx->console, err);
	if (r == 0)
		r = etc_files(root, ctx->state_dir, err);
	if (r == 0)
		r = user_mounts(root, o, err);
	if (r < 0)
		return r;

	/* pivot_root(".", "."): the old root ends up on top of the new one, then goes. */
	netd_explain("cd %s", newroot);
	if (fchdir(root) < 0)
		return netd_err_sys(err, errno, "chdir %s", newroot);
	netd_explain("pivot_root . .");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return netd_err_sys(err, errno, "pivot_root %s", newroot);
	netd_explain("umount -l .   # the old root, stacked on the new one");
	if (umount2(".", MNT_DETACH) < 0)
		return netd_err_sys(err, errno, "unmount old root");
	netd_explain("cd /");
	if (chdir("/") < 0)
		return netd_err_sys(err, errno, "chdir /");
	x_root = "";

	if (!o->privileged) { /* --privileged: nothing masked or read-only, as Docker's */
		r = mask_paths(err);
		if (r < 0)
			return r;
	}
	if (o->workdir && (r = workdir(o->workdir, err)) < 0)
		return r;
	if (o->read_only)
		return remount_ro("/", false, err);
	return 0;
}

int nsbox_mount_console(const char *slave, struct netd_err *err)
{
	if (mount(slave, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return netd_err_sys(err, errno, "bind %s on /dev/console", slave);
	return 0;
}
