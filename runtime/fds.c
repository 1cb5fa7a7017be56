/* SPDX-License-Identifier: MIT */
/*
 * What a container's process inherits, and why an exec failed.
 *
 * Descriptors: CLOEXEC is not enough. --init's PID 1 never execs, and whatever nsbox's caller
 * left open without CLOEXEC (a shell's `exec 6>file`, the write end of a pipe) would otherwise
 * reach the container: it could write to the host's file through /proc/1/fd/6, and a reader of
 * that pipe (`nsbox run -d ... | sed`) would wait until the container ends.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nsbox.h"

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static bool kept(const int *keep, size_t n, int fd)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

void nsbox_close_fds(const int *keep, size_t n_keep)
{
	int k[16];
	size_t n = 0;
	unsigned lo = 3;

	for (size_t i = 0; i < n_keep && n < sizeof(k) / sizeof(k[0]); i++)
		if (keep[i] > 2)
			k[n++] = keep[i];
	qsort(k, n, sizeof(k[0]), cmp_int);
	for (size_t i = 0; i <= n; i++) {
		unsigned hi = i < n ? (unsigned)k[i] - 1 : ~0U;
		if (i < n && (unsigned)k[i] < lo) /* a duplicate */
			continue;
		if (hi >= lo && close_range(lo, hi, 0) < 0)
			goto slow;
		if (i < n)
			lo = (unsigned)k[i] + 1;
	}
	return;
slow : /* before 5.9: one by one, from the list of what is open */
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int fds[1024];
	size_t m = 0;

	if (!d) {
		for (int fd = 3; fd < 65536; fd++)
			if (!kept(k, n, fd))
				close(fd);
		return;
	}
	while ((de = readdir(d)) && m < sizeof(fds) / sizeof(fds[0])) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && fd > 2 && fd != dirfd(d) &&
		    !kept(k, n, fd))
			fds[m++] = fd;
	}
	closedir(d);
	for (size_t i = 0; i < m; i++)
		close(fds[i]);
}
}

/* The interpreter an ELF file asks for (PT_INTERP), or false. */
static bool elf_interp(int fd, char *out, size_t len)
{
	unsigned char id[EI_NIDENT];
	uint64_t phoff;
	unsigned phnum, phentsize;

	if (pread(fd, id, sizeof(id), 0) != (ssize_t)sizeof(id) || memcmp(id, ELFMAG, SELFMAG))
		return false;
	if (id[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;
		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return false;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf64_Phdr))
			return false;
	} else if (id[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;
		if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return false;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf32_Phdr))
			return false;
	} else {
		return false;
	}
	for (unsigned i = 0; i < phnum && i < 256; i++) {
		uint64_t type, off, size;
		off_t at = (off_t)(phoff + (uint64_t)i * phentsize);
		if (id[EI_CLASS] == ELFCLASS64) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), at) != (ssize_t)sizeof(ph))
				return false;
			type = ph.p_type;
			off = ph.p_offset;
			size = ph.p_filesz;
		} else {
			Elf32_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), at) != (ssize_t)sizeof(ph))
				return false;
			type = ph.p_type;
			off = ph.p_offset;
			size = ph.p_filesz;
		}
		if (type != PT_INTERP)
			continue;
		if (size < 2 || size > len)
			return false;
		if (pread(fd, out, size, (off_t)off) != (ssize_t)size || out[size - 1] != '\0')
			return false;
		return memchr(out, '\0', size) == out + size - 1;
	}
	return false;
}

/* The first word of a "#!" line, or false. */
static bool shebang(int fd, char *out, size_t len)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return false;
	buf[n] = '\0';
	char *p = buf + 2 + strspn(buf + 2, " \t");
	size_t w = strcspn(p, " \t\n");
	if (!w || w >= len || p[w] == '\0')
		return false;
	memcpy(out, p, w);
	out[w] = '\0';
	return true;
}

bool nsbox_enoent_hint(const char *path, char *buf, size_t len)
{
	char interp[PATH_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	bool elf = false, script = false;

	if (fd < 0)
		return false;
	elf = elf_interp(fd, interp, sizeof(interp));
	if (!elf)
		script = shebang(fd, interp, sizeof(interp));
	close(fd);
	if ((!elf && !script) || access(interp, F_OK) == 0)
		return false;
	if (elf)
		snprintf(buf, len,
			 "exec %s: its ELF interpreter %s is missing from the rootfs (the program "
			 "is dynamically linked: its loader and shared libraries must be inside)",
			 path, interp);
	else
		snprintf(buf, len,
			 "exec %s: its interpreter %s (the #! line) is missing from the "
			 "rootfs",
			 path, interp);
	return true;
}
