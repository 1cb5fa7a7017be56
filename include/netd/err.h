/* SPDX-License-Identifier: MIT */
#ifndef NETD_ERR_H
#define NETD_ERR_H

#include <stddef.h>

#define NETD_MUST_USE	     __attribute__((warn_unused_result))
#define NETD_PRINTF(fmt, va) __attribute__((format(printf, fmt, va)))

#define NETD_ERR_MSG_MAX 512

/*
 * Every fallible libnetd call takes one of these last. On failure it returns a negative errno
 * and fills in code (the positive errno) and a message that names the object and the step,
 * e.g. "bridge netd0: create: File exists". The buffer is fixed so error paths never allocate.
 * On success the struct is left alone.
 */
struct netd_err {
	int code;
	char msg[NETD_ERR_MSG_MAX];
};

/* Sets err->code = code and err->msg from fmt; returns -code. err may be NULL. */
int netd_err_set(struct netd_err *err, int code, const char *fmt, ...) NETD_PRINTF(3, 4);
/* As netd_err_set, with ": strerror(code)" appended. */
int netd_err_sys(struct netd_err *err, int code, const char *fmt, ...) NETD_PRINTF(3, 4);
/* Prepends "context: " to err->msg as the error climbs; returns -err->code. */
int netd_err_prefix(struct netd_err *err, const char *fmt, ...) NETD_PRINTF(2, 3);
void netd_err_clear(struct netd_err *err);

#endif
