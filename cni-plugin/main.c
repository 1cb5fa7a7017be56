/* SPDX-License-Identifier: MIT */
/*
 * netd-cni: the CNI plugin front end of libnetd (CNI spec 1.1.0; results for 0.3.0 to 1.1.0).
 * Environment and config in, one JSON document out on stdout (a result, a VERSION answer or
 * the spec's error object), exit status 0 or 1. Everything else goes to stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cni.h"

#define CNI_STDIN_MAX (16u << 20)

static int read_stdin(char **out, size_t *out_len, struct cni_err *e)
{
	cni_cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= CNI_STDIN_MAX)
				return cni_err_set(
				    e, CNI_ERR_DECODE,
				    "network config on stdin is larger than %u bytes",
				    CNI_STDIN_MAX);
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return cni_err_set(e, CNI_ERR_GENERIC, "out of memory");
			buf = nb;
		}
		r = read(0, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cni_err_set(e, CNI_ERR_IO, "reading stdin: %s", strerror(errno));
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = cni_steal(&buf);
	*out_len = len;
	return 0;
}

/* The config's cniVersion, if there is one to be read, for the error and VERSION answers. */
static void peek_version(const char *text, size_t len, char *buf, size_t blen)
{
	cni_cleanup_json json_t *j = NULL;
	const char *v;

	buf[0] = '\0';
	if (!text || !len)
		return;
	j = json_loadb(text, len, 0, NULL);
	v = json_string_value(json_object_get(j, "cniVersion"));
	if (v && strlen(v) < blen)
		snprintf(buf, blen, "%s", v);
}

static int fail(const char *version, const struct cni_err *e)
{
	cni_cleanup_json json_t *j = cni_error_json(version, e);

	if (cni_print_json(j) < 0)
		fprintf(stderr, "netd-cni: error %d: %s\n", e->code, e->msg);
	return 1;
}

int main(int argc, char **argv)
{
	cni_cleanup_free char *text = NULL;
	struct cni_env env;
	struct cni_conf c = {0};
	struct cni_err e = {0};
	char version[32];
	size_t len = 0;
	int r;

	(void)argc;
	(void)argv;
	/* CNI networks live apart from hand-made netd networks unless told otherwise. */
	netd_netconf_use_cni_dir();

	if (read_stdin(&text, &len, &e) < 0)
		return fail(NULL, &e);
	peek_version(text, len, version, sizeof(version));
	if (cni_env_parse(&env, &e) < 0)
		return fail(version, &e);
	if (env.cmd == CNI_VERSION) {
		cni_cleanup_json json_t *j = cni_version_result(version);

		if (cni_print_json(j) < 0) {
			cni_err_set(&e, CNI_ERR_IO, "writing the VERSION answer failed");
			return fail(version, &e);
		}
		return 0;
	}
	if (cni_conf_parse(text, len, env.cmd, &c, &e) < 0)
		return fail(version, &e);

	switch (env.cmd) {
	case CNI_ADD:
		r = cni_cmd_add(&env, &c, text, len, &e);
		break;
	case CNI_DEL:
		r = cni_cmd_del(&env, &c, text, len, &e);
		break;
	case CNI_CHECK:
		r = cni_cmd_check(&env, &c, text, len, &e);
		break;
	case CNI_GC:
		r = cni_cmd_gc(&env, &c, text, len, &e);
		break;
	case CNI_STATUS:
		r = cni_cmd_status(&env, &c, text, len, &e);
		break;
	default:
		r = cni_err_set(&e, CNI_ERR_ENV, "CNI_COMMAND %s is not handled", env.command);
		break;
	}
	cni_conf_free(&c);
	return r < 0 ? fail(version, &e) : 0;
}
