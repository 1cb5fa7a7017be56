/* SPDX-License-Identifier: MIT */
/*
 * netd-cni: the exec of a delegated IPAM plugin (fake plugins written as shell scripts in a temp
 * dir: result, error object, garbage, a signal, a large config) and the libnetd errno -> CNI code
 * mapping. No kernel objects.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The plugin's logic, as libnetdcni.a holds it (everything but main.c). */
#include "cni.h"

static char dir[64];

static void write_plugin(const char *name, const char *body)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test-cni-delegate.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* echoes what it got: command, the config's length and its first bytes */
	write_plugin("fake-ipam",
		     "in=$(cat)\n"
		     "printf '%s' \"$in\" > \"$(dirname \"$0\")/stdin.$CNI_COMMAND\"\n"
		     "[ \"$CNI_COMMAND\" = ADD ] || exit 0\n"
		     "printf '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.5.0.9/24\","
		     "\"gateway\":\"10.5.0.1\"}],\"dns\":{\"domain\":\"%s\"}}' \"$CNI_IFNAME\"");
	write_plugin("busy-ipam",
		     "cat >/dev/null\n"
		     "printf '{\"code\":11,\"msg\":\"store locked\",\"details\":\"d\"}'\n"
		     "exit 1");
	write_plugin("mute-ipam", "exit 3");
	write_plugin("junk-ipam", "echo 'this is not json'");
	write_plugin("kill-ipam", "kill -9 $$");
	write_plugin("notexec", "exit 0");
	{
		char p[128];
		snprintf(p, sizeof(p), "%s/notexec", dir);
		assert_int_equal(chmod(p, 0644), 0);
	}
	setenv("CNI_IFNAME", "eth7", 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct cni_env env_with_path(const char *path)
{
	struct cni_env env;

	memset(&env, 0, sizeof(env));
	env.path = path;
	return env;
}

static char *slurp(const char *name)
{
	char path[128];
	char *buf = calloc(1, 1 << 20);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_delegate_add_del(void **state)
{
	char path[160];
	struct cni_env env;
	struct cni_err e = {0};
	const char *conf =
	    "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"fake-ipam\"}}";
	struct cni_ipam_addrs a;
	json_t *res = NULL;
	char *got;

	/* the plugin is found in the second CNI_PATH entry */
	snprintf(path, sizeof(path), "/nonexistent:%s", dir);
	env = env_with_path(path);
	assert_int_equal(cni_delegate_run(&env, "fake-ipam", "ADD", conf, strlen(conf), &res, &e),
			 0);
	assert_non_null(res);
	assert_int_equal(cni_result_ips(res, &a, &e), 0);
	assert_true(a.has_ip);
	assert_int_equal(a.prefix, 24);
	assert_int_equal(ntohl(a.ip.s_addr), 0x0a050009);
	assert_int_equal(ntohl(a.gateway.s_addr), 0x0a050001);
	/* the rest of the environment is passed on */
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(res, "dns"), "domain")), "eth7");
	json_decref(res);
	got = slurp("stdin.ADD");
	assert_string_equal(got, conf); /* the same config, byte for byte */
	free(got);

	assert_int_equal(cni_delegate_run(&env, "fake-ipam", "DEL", conf, strlen(conf), NULL, &e),
			 0);
	got = slurp("stdin.DEL");
	assert_string_equal(got, conf);
	free(got);
}

static void test_delegate_large_config(void **state)
{
	struct cni_env env = env_with_path(dir);
	struct cni_err e = {0};
	size_t len = 300000; /* several pipe buffers */
	char *conf = malloc(len + 1), *got;
	json_t *res = NULL;

	assert_non_null(conf);
	memset(conf, 'x', len);
	conf[len] = '\0';
	assert_int_equal(cni_delegate_run(&env, "fake-ipam", "ADD", conf, len, &res, &e), 0);
	json_decref(res);
	got = slurp("stdin.ADD");
	assert_int_equal(strlen(got), len);
	free(got);
	free(conf);
}

static void test_delegate_errors(void **state)
{
	struct cni_env env = env_with_path(dir);
	struct cni_err e = {0};
	json_t *res = NULL;

	/* its error object is passed on with its code, the plugin named */
	assert_int_equal(cni_delegate_run(&env, "busy-ipam", "ADD", "{}", 2, &res, &e), -1);
	assert_null(res);
	assert_int_equal(e.code, 11);
	assert_non_null(strstr(e.msg, "busy-ipam"));
	assert_non_null(strstr(e.msg, "store locked"));
	assert_string_equal(e.details, "d");

	assert_int_equal(cni_delegate_run(&env, "mute-ipam", "ADD", "{}", 2, &res, &e), -1);
	assert_int_equal(e.code, CNI_ERR_GENERIC);
	assert_non_null(strstr(e.msg, "exit status 3"));

	assert_int_equal(cni_delegate_run(&env, "junk-ipam", "ADD", "{}", 2, &res, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	assert_null(res);

	assert_int_equal(cni_delegate_run(&env, "kill-ipam", "ADD", "{}", 2, &res, &e), -1);
	assert_non_null(strstr(e.msg, "signal 9"));

	assert_int_equal(cni_delegate_run(&env, "no-such-ipam", "ADD", "{}", 2, &res, &e), -1);
	assert_int_equal(e.code, CNI_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "no-such-ipam"));
	/* present but not executable: not a plugin */
	assert_int_equal(cni_delegate_run(&env, "notexec", "ADD", "{}", 2, &res, &e), -1);
	assert_int_equal(e.code, CNI_ERR_CONFIG);

	env = env_with_path(NULL);
	assert_int_equal(cni_delegate_run(&env, "fake-ipam", "ADD", "{}", 2, &res, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	assert_non_null(strstr(e.msg, "CNI_PATH"));
}

static void test_err_from_netd(void **state)
{
	static const struct {
		int errnum, code;
	} cases[] = {
	    {EEXIST, CNI_ERR_CONFIG},	 {EINVAL, CNI_ERR_CONFIG},   {EADDRINUSE, CNI_ERR_CONFIG},
	    {EAGAIN, CNI_ERR_TRY_AGAIN}, {EBUSY, CNI_ERR_TRY_AGAIN}, {EIO, CNI_ERR_IO},
	    {ENOENT, CNI_ERR_GENERIC},	 {EPERM, CNI_ERR_GENERIC},
	};
	struct netd_err ne = {0};
	struct cni_err e = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		netd_err_set(&ne, cases[i].errnum, "bridge br0: step %zu", i);
		assert_int_equal(cni_err_from_netd(&e, -cases[i].errnum, &ne), -1);
		assert_int_equal(e.code, cases[i].code);
		assert_string_equal(e.msg, ne.msg);
		assert_string_equal(e.details, strerror(cases[i].errnum));
	}
	/* no message from the library: strerror */
	assert_int_equal(cni_err_from_netd(&e, -ENOSPC, NULL), -1);
	assert_string_equal(e.msg, strerror(ENOSPC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_delegate_add_del),
	    cmocka_unit_test(test_delegate_large_config),
	    cmocka_unit_test(test_delegate_errors),
	    cmocka_unit_test(test_err_from_netd),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
