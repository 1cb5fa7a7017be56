/* SPDX-License-Identifier: MIT */
/*
 * --init: a tiny PID 1 (what tini/docker-init do). The kernel gives PID 1 of a pid namespace
 * two jobs a normal program does not do: orphans are re-parented to it, so it must reap them,
 * and signals without a handler do not kill it, so `kill -TERM 1` would do nothing. This init
 * forks the command, forwards every catchable signal to it, reaps whatever dies, and exits
 * with the command's status (128+N when it was killed by signal N).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "nsbox.h"

int nsbox_init_run(const char *path, char **argv, char **envp, int errfd)
{
	sigset_t all, none;
	pid_t child;

	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	child = fork();
	if (child < 0) {
		char msg[128];
		int n = snprintf(msg, sizeof(msg), "E%cinit: fork: %s", NSBOX_EXIT_ERROR,
				 strerror(errno));
		if (write(errfd, msg, (size_t)n) < 0) {
			/* nobody to tell */
		}
		return NSBOX_EXIT_ERROR;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(path, argv, envp);
		int e = errno;
		char msg[2 * PATH_MAX + 256];
		int code = e == ENOENT ? NSBOX_EXIT_NOTFOUND : NSBOX_EXIT_NOEXEC;
		char hint[PATH_MAX + 256];
		int n;
		if (e == ENOENT && nsbox_enoent_hint(path, hint, sizeof(hint)))
			n = snprintf(msg, sizeof(msg), "E%c%s", code, hint);
		else
			n = snprintf(msg, sizeof(msg), "E%cexec %s: %s", code, path, strerror(e));
		if (write(errfd, msg, (size_t)n) < 0) {
			/* nobody to tell */
		}
		_exit(code);
	}
	close(errfd); /* the command's copy closes on exec: the parent sees EOF then */

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		/* reap everything: the command, and orphans re-parented to us */
		for (;;) {
			int status;
			pid_t w = waitpid(-1, &status, WNOHANG);
			if (w <= 0)
				break;
			if (w != child)
				continue;
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
			return WEXITSTATUS(status);
		}
	}
}
