/* SPDX-License-Identifier: MIT */
#ifndef NETD_DOCTOR_H
#define NETD_DOCTOR_H

#include <stddef.h>
#include <netd/err.h>

enum netd_doctor_level { NETD_DOCTOR_OK, NETD_DOCTOR_WARN, NETD_DOCTOR_FAIL };

struct netd_doctor_finding {
	enum netd_doctor_level level;
	char what[64];	/* short key: "ip_forward", "nft-table", ... */
	char text[384]; /* plain words: what is wrong and how to fix it */
};

/* Looks at the host (this netns) for what would stop container traffic. */
int netd_doctor_run(struct netd_doctor_finding **out, size_t *n,
		    struct netd_err *err) NETD_MUST_USE;

#endif
