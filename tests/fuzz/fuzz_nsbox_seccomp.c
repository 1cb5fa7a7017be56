/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: seccomp profiles in Docker's JSON format as nsbox reads them
 * (--security-opt seccomp=PROFILE.json; runtime/seccomp_profile.c). A profile that parses holds
 * only known actions and operators, argument indexes 0-5, errno values 0-4095 and named
 * syscalls; an error says what; nothing leaks (free after either).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nsbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsbox_sc_profile p;
	struct netd_err err = {0};

	if (size > 65536)
		return 0;
	if (nsbox_seccomp_parse((const char *)data, size, "fuzz.json", &p, &err) < 0) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (p.def_act < NSBOX_SC_ALLOW || p.def_act > NSBOX_SC_LOG || p.def_errno < 0 ||
	    p.def_errno > 4095 || p.n_arches > NSBOX_SC_MAX_ARCHES)
		abort();
	for (size_t i = 0; i < p.n_rules; i++) {
		const struct nsbox_sc_rule *r = &p.rules[i];
		if (!r->n_names || r->act < NSBOX_SC_ALLOW || r->act > NSBOX_SC_LOG ||
		    r->errno_ret < 0 || r->errno_ret > 4095 || r->n_args > NSBOX_SC_MAX_ARGS)
			abort();
		for (size_t j = 0; j < r->n_names; j++)
			if (!r->names[j] || !r->names[j][0])
				abort();
		for (size_t j = 0; j < r->n_args; j++)
			if (r->args[j].index > 5 || r->args[j].op < NSBOX_SC_NE ||
			    r->args[j].op > NSBOX_SC_MASKED_EQ)
				abort();
	}
	nsbox_seccomp_free(&p);
	return 0;
}
