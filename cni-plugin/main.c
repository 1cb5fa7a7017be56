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
#include <time.h>
#include <unistd.h>
#include "cni.h"

#define CNI_STDIN_MAX (16u << 20)

static int read_stdin(char **out, size_t *out_len, struct cni_err *e)
{
	netd_cleanup_free char *buf = NULL;
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
	*out = netd_steal_pointer(&buf);
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

static const char help_text[] =
    "usage: netd-cni --version | --help\n"
    "\n"
    "netd-cni is a CNI plugin: container runtimes (containerd, podman, cnitool) run it with\n"
    "CNI_COMMAND (ADD, DEL, CHECK, GC, STATUS, VERSION), CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,\n"
    "CNI_ARGS and CNI_PATH in the environment and the network configuration as JSON on stdin,\n"
    "and read its result (or the spec's error object) as JSON on stdout. It does what the\n"
    "reference bridge, host-local and portmap plugins do together, with libnetd.\n"
    "State: NETD_STATE_DIR (default /var/lib/netd); the networks it defines from CNI configs:\n"
    "NETD_CNI_CONFIG_DIR (default $NETD_STATE_DIR/cni-networks). See netd-cni(8).\n";

/* The arguments a person may give. A runtime gives none and always sets CNI_COMMAND (the
 * spec passes everything in the environment), so with CNI_COMMAND set arguments are ignored and
 * CNI behaviour is unchanged. Returns -1 to go on as a plugin. */
static int cni_args_main(int argc, char **argv)
{
	const char *cmd = getenv("CNI_COMMAND");

	if (argc < 2 || (cmd && *cmd))
		return -1;
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("netd-cni %s\nCNI protocol versions supported:", netd_version());
		for (size_t i = 0; i < CNI_NVERSIONS; i++)
			printf("%s %s", i ? "," : "", cni_versions[i]);
		putchar('\n');
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(help_text, stdout);
		return 0;
	}
	fprintf(stderr, "netd-cni: unknown argument \"%s\"\n%s", argv[1], help_text);
	return 2;
}

/*
 * jansson seeds its hash on the first JSON object from /dev/urandom: an open, a read and a close
 * in every call, VERSION included. The input is the runtime's config, so the seed needs to be
 * unpredictable from outside, not strong: the clock and where ASLR put the stack (no system
 * call; jansson's own fallback is the clock and the pid).
 */
static void seed_json(void)
{
	struct timespec ts = {0};
	uint32_t seed;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	seed = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^ (uint32_t)((uintptr_t)&ts >> 4);
	json_object_seed(seed ? seed : 1);
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
	netd_cleanup_free char *text = NULL;
	struct cni_env env;
	struct cni_conf c = {0};
	struct cni_err e = {0};
	char version[32];
	size_t len = 0;
	bool by_hand;
	int r;

	r = cni_args_main(argc, argv);
	if (r >= 0)
		return r;
	seed_json();
	/* A person who runs the plugin by hand in a terminal gets a word instead of a wait for
	 * stdin; the answer on stdout stays the spec's error for a missing CNI_COMMAND. */
	by_hand = (!getenv("CNI_COMMAND") || !*getenv("CNI_COMMAND")) && isatty(0);
	if (by_hand)
		fputs("netd-cni: a CNI plugin, run by container runtimes (netd-cni --help)\n",
		      stderr);
	/* CNI networks live apart from hand-made netd networks unless told otherwise. */
	netd_netconf_use_cni_dir();

	if (!by_hand && read_stdin(&text, &len, &e) < 0)
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
