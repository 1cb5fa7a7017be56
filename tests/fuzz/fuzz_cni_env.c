/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the CNI_* environment and CNI_ARGS. The input is newline-separated values
 * of CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH (missing or empty:
 * unset), and the whole input is also parsed as CNI_ARGS alone and as the small values (IP,
 * CIDR, MAC). The container id and ifname of an accepted ADD/DEL/CHECK must be valid names.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const vars[] = {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
				   "CNI_IFNAME",  "CNI_ARGS",	     "CNI_PATH"};

static void check_err(const struct cni_err *e)
{
	json_t *j;

	if (e->code != CNI_ERR_ENV || !e->msg[0] || !memchr(e->msg, '\0', sizeof(e->msg)))
		abort();
	j = cni_error_json("1.1.0", e);
	if (!j)
		abort();
	json_decref(j);
}

static void check_args(const struct cni_args *a)
{
	if (!memchr(a->pod_name, '\0', sizeof(a->pod_name)) ||
	    !memchr(a->pod_namespace, '\0', sizeof(a->pod_namespace)))
		abort();
	if (a->has_mac && (a->mac[0] & 1))
		abort(); /* unicast only */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_env env;
	struct cni_args a;
	struct cni_err e = {0};
	struct netd_err ne = {0};
	struct in_addr ip;
	unsigned prefix;
	uint8_t mac[6];
	char *s, *p;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (cni_args_parse(s, &a, &e) == 0)
		check_args(&a);
	else
		check_err(&e);
	if (cni_parse_cidr4(s, &ip, &prefix) == 0 && prefix > 32)
		abort();
	if (cni_parse_mac(s, mac) == 0 && (mac[0] & 1))
		abort();
	(void)cni_parse_ip4(s, &ip);

	p = s;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		char *nl = p ? strchr(p, '\n') : NULL;

		if (nl)
			*nl = '\0';
		if (p && *p)
			setenv(vars[i], p, 1);
		else
			unsetenv(vars[i]);
		p = nl ? nl + 1 : NULL;
	}
	memset(&e, 0, sizeof(e));
	if (cni_env_parse(&env, &e) == 0) {
		if (env.cmd == CNI_CMD_NONE || !env.command)
			abort();
		if (env.cmd == CNI_ADD || env.cmd == CNI_DEL || env.cmd == CNI_CHECK) {
			if (!env.containerid || netd_name_check_id(env.containerid, &ne) < 0 ||
			    !env.ifname || netd_name_check_ifname(env.ifname, &ne) < 0)
				abort();
			if (env.netns && strlen(env.netns) >= NETD_NETNS_PATH_MAX)
				abort();
			check_args(&env.a);
		}
	} else {
		check_err(&e);
	}
	free(s);
	return 0;
}
