/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <netd/err.h>

/* A failure must never be reported as success, so a zero code becomes EIO. */
static int err_code(int code)
{
	if (code < 0)
		code = -code;
	return code ? code : EIO;
}

/* err (when not NULL) gets code and the formatted text; returns -code. */
static int err_vset(struct netd_err *err, int code, const char *fmt, va_list ap) NETD_PRINTF(3, 0);
static int err_vset(struct netd_err *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return -code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -code;
}

int netd_err_set(struct netd_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = err_vset(err, err_code(code), fmt, ap);
	va_end(ap);
	return r;
}

int netd_err_sys(struct netd_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	size_t used;
	int r;

	code = err_code(code);
	va_start(ap, fmt);
	r = err_vset(err, code, fmt, ap);
	va_end(ap);
	if (!err)
		return r;
	used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, ": %s", strerror(code));
	return r;
}

int netd_err_prefix(struct netd_err *err, const char *fmt, ...)
{
	char head[NETD_ERR_MSG_MAX];
	char tail[NETD_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return -EIO;
	if (!err->code)
		err->code = EIO;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(tail, err->msg, sizeof(tail));
	tail[sizeof(tail) - 1] = '\0';
	snprintf(err->msg, sizeof(err->msg), "%s: %s", head, tail);
	return -err->code;
}

void netd_err_clear(struct netd_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
