/* spawn: time one exec of a program the way a runtime makes it, and nothing else.
 *
 *   spawn [-i STDIN] [-o STDOUT] [-e STDERR] PROG [ARG...]
 *
 * Opens the three files, then takes the clock, posix_spawn()s PROG with the environment it was
 * given (the CNI_* variables), waits for it and takes the clock again. Prints the microseconds
 * between and the child's exit status ("US RC") on its own stdout. The bench's shell forks and
 * execs this program outside the timed window: timing a plugin with bash's $EPOCHREALTIME around
 * a command also timed bash's fork of itself and its redirections (docs/perf.md, the method).
 * Exit status: 0 when PROG ran (whatever its status), 2 on a usage or spawn error.
 */
#ifndef _GNU_SOURCE /* the bench compiles it alone; the Makefile passes it */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int open_at(posix_spawn_file_actions_t *fa, const char *path, int fd, int flags)
{
	int f;

	if (!path)
		return 0;
	f = open(path, flags | O_CLOEXEC, 0644);
	if (f < 0) {
		fprintf(stderr, "spawn: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* dup2 in the child clears O_CLOEXEC on the copy; the original closes at exec */
	return posix_spawn_file_actions_adddup2(fa, f, fd) ? -1 : 0;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	const char *in = NULL, *out = NULL, *err = NULL;
	struct timespec t0, t1;
	pid_t pid;
	int opt, st, rc;

	while ((opt = getopt(argc, argv, "+i:o:e:")) != -1) {
		switch (opt) {
		case 'i':
			in = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'e':
			err = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	if (posix_spawn_file_actions_init(&fa) || open_at(&fa, in, 0, O_RDONLY) < 0 ||
	    open_at(&fa, out, 1, O_WRONLY | O_CREAT | O_TRUNC) < 0 ||
	    open_at(&fa, err, 2, O_WRONLY | O_CREAT | O_TRUNC) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = posix_spawn(&pid, argv[optind], &fa, NULL, argv + optind, environ);
	if (rc) {
		fprintf(stderr, "spawn: %s: %s\n", argv[optind], strerror(rc));
		return 2;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 2;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld %d\n",
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
usage:
	fprintf(stderr, "usage: spawn [-i STDIN] [-o STDOUT] [-e STDERR] PROG [ARG...]\n");
	return 2;
}
