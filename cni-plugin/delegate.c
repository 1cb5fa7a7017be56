/* SPDX-License-Identifier: MIT */
/*
 * netd-cni: a delegated IPAM plugin (ipam.type naming another plugin, e.g. host-local, static,
 * dhcp), exec'd from CNI_PATH as the spec says: same environment but CNI_COMMAND, the same
 * config on stdin, its result (or error) read from its stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cni.h"

#define DELEGATE_OUT_MAX     (1 << 20)
#define DELEGATE_TIMEOUT_SEC 120

extern char **environ;

static int find_plugin(const char *cni_path, const char *type, char *out, size_t len)
{
	const char *p = cni_path;

	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		struct stat st;

		if (n && (size_t)snprintf(out, len, "%.*s/%s", (int)n, p, type) < len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		p = end ? end + 1 : NULL;
	}
	return -1;
}

/* environ with CNI_COMMAND replaced; the strings are environ's but one. */
static char **delegate_env(const char *cmd_var)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CNI_COMMAND=", 12) != 0)
			env[k++] = environ[i];
	env[k++] = (char *)cmd_var;
	env[k] = NULL;
	return env;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Reads the child's stdout to EOF (bounded in size and time); -1 with e set on failure. */
static int read_output(int fd, pid_t pid, const char *type, char **out, size_t *out_len,
		       struct cni_err *e)
{
	netd_cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long left = DELEGATE_TIMEOUT_SEC * 1000L - ms_since(&t0);
		ssize_t r;
		int pr;

		if (left <= 0) {
			kill(pid, SIGKILL);
			return cni_err_set(e, CNI_ERR_TRY_AGAIN,
					   "ipam plugin %s did not answer within %d s", type,
					   DELEGATE_TIMEOUT_SEC);
		}
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return cni_err_set(e, CNI_ERR_IO, "ipam plugin %s: poll: %s", type,
					   strerror(errno));
		if (pr == 0)
			continue;
		if (cap - len < 4096) {
			char *nb;

			if (cap >= DELEGATE_OUT_MAX) {
				kill(pid, SIGKILL);
				return cni_err_set(e, CNI_ERR_DECODE,
						   "ipam plugin %s: more than %d bytes on stdout",
						   type, DELEGATE_OUT_MAX);
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return cni_err_set(e, CNI_ERR_GENERIC, "out of memory");
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cni_err_set(e, CNI_ERR_IO, "ipam plugin %s: read: %s", type,
					   strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return cni_err_set(e, CNI_ERR_GENERIC, "out of memory");
	}
	buf[len] = '\0';
	*out = netd_steal_pointer(&buf);
	*out_len = len;
	return 0;
}

/* The delegate's error object, passed on with its code and the plugin named. */
static int delegate_error(const char *type, const char *command, int status, const char *out,
			  size_t len, struct cni_err *e)
{
	json_t *j = len ? json_loadb(out, len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(j, "msg"));
	const char *details = json_string_value(json_object_get(j, "details"));
	json_t *code = json_object_get(j, "code");

	if (msg) {
		cni_err_set(e, json_is_integer(code) ? (int)json_integer_value(code) : 999,
			    "ipam plugin %s %s: %s", type, command, msg);
		if (details)
			snprintf(e->details, sizeof(e->details), "%s", details);
	} else if (WIFSIGNALED(status)) {
		cni_err_set(e, CNI_ERR_GENERIC, "ipam plugin %s %s: killed by signal %d", type,
			    command, WTERMSIG(status));
	} else {
		cni_err_set(e, CNI_ERR_GENERIC, "ipam plugin %s %s: exit status %d%s%.200s", type,
			    command, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			    len ? ", output: " : "", len ? out : "");
	}
	json_decref(j);
	return -1;
}

int cni_delegate_run(const struct cni_env *env, const char *type, const char *command,
		     const char *stdin_text, size_t stdin_len, json_t **result, struct cni_err *e)
{
	char path[4096], cmd_var[32];
	netd_cleanup_free char **envp = NULL;
	netd_cleanup_free char *out = NULL;
	netd_cleanup_close int in_fd = -1;
	int pipefd[2] = {-1, -1};
	size_t out_len = 0, off = 0;
	int status = 0, r;
	pid_t pid;

	if (result)
		*result = NULL;
	if (!env->path)
		return cni_err_set(e, CNI_ERR_ENV,
				   "CNI_PATH is not set, so ipam plugin %s cannot be found", type);
	if (find_plugin(env->path, type, path, sizeof(path)) < 0)
		return cni_err_set(
		    e, CNI_ERR_CONFIG,
		    "ipam plugin %.64s not found in CNI_PATH (%.200s); install it or "
		    "use \"type\": \"netd\" for the built-in IPAM",
		    type, env->path);
	snprintf(cmd_var, sizeof(cmd_var), "CNI_COMMAND=%s", command);
	envp = delegate_env(cmd_var);
	if (!envp)
		return cni_err_set(e, CNI_ERR_GENERIC, "out of memory");

	/* The config goes in through a memfd, so a large config cannot deadlock two pipes. */
	in_fd = memfd_create("netd-cni-stdin", MFD_CLOEXEC);
	if (in_fd < 0)
		return cni_err_set(e, CNI_ERR_IO, "memfd_create: %s", strerror(errno));
	while (off < stdin_len) {
		ssize_t w = write(in_fd, stdin_text + off, stdin_len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return cni_err_set(e, CNI_ERR_IO, "write config for %s: %s", type,
					   strerror(errno));
		off += (size_t)w;
	}
	if (lseek(in_fd, 0, SEEK_SET) < 0)
		return cni_err_set(e, CNI_ERR_IO, "lseek: %s", strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cni_err_set(e, CNI_ERR_IO, "pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		r = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return cni_err_set(e, CNI_ERR_TRY_AGAIN, "fork for ipam plugin %s: %s", type,
				   strerror(r));
	}
	if (pid == 0) {
		/* Child: async-signal-safe calls only. */
		if (dup2(in_fd, 0) < 0 || dup2(pipefd[1], 1) < 0)
			_exit(127);
		char *argv[] = {path, NULL};
		execve(path, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	r = read_output(pipefd[0], pid, type, &out, &out_len, e);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	if (r < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return delegate_error(type, command, status, out, out_len, e);
	if (!result)
		return 0;
	json_error_t jerr;
	*result = json_loadb(out, out_len, 0, &jerr);
	if (!*result || !json_is_object(*result)) {
		json_decref(*result);
		*result = NULL;
		return cni_err_set(e, CNI_ERR_DECODE,
				   "ipam plugin %s %s: result is not a JSON object: %s", type,
				   command, jerr.text);
	}
	return 0;
}
