/* SPDX-License-Identifier: MIT */
/* mnlsock.c: how one datagram of replies ends a request (done, more, the kernel's error). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "mnlsock.h"

#define SEQ 4242

/* A reply message of type (a data message, DONE or ERROR with code) for SEQ at buf + *len. */
static void put_msg(char *buf, size_t *len, uint16_t type, int code)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = SEQ;
	if (type == NLMSG_ERROR) {
		struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

		e->error = code;
	} else if (type == NLMSG_DONE) {
		int *zero = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

		*zero = 0;
	} else {
		mnl_attr_put_u32(nlh, 1, 7);
	}
	*len += nlh->nlmsg_len;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(int *)data)++;
	return MNL_CB_OK;
}

static void test_run_dump(void **state)
{
	char buf[1024];
	size_t len = 0;
	int n = 0;

	(void)state;
	put_msg(buf, &len, 0x20, 0);
	put_msg(buf, &len, 0x20, 0);
	assert_int_equal(netd_mnl_run(buf, len, SEQ, 0, count_cb, &n), MNL_CB_OK);
	assert_int_equal(n, 2);
	put_msg(buf, &len, NLMSG_DONE, 0);
	n = 0;
	assert_int_equal(netd_mnl_run(buf, len, SEQ, 0, count_cb, &n), MNL_CB_STOP);
	assert_int_equal(n, 2);
}

static void test_run_ack_and_error(void **state)
{
	char buf[256];
	size_t len = 0;

	(void)state;
	put_msg(buf, &len, NLMSG_ERROR, 0);
	assert_int_equal(netd_mnl_run(buf, len, SEQ, 0, NULL, NULL), MNL_CB_STOP);
	len = 0;
	put_msg(buf, &len, NLMSG_ERROR, -EPERM);
	assert_int_equal(netd_mnl_run(buf, len, SEQ, 0, NULL, NULL), -EPERM);
	/* a reply to another request is no answer to this one */
	assert_true(netd_mnl_run(buf, len, SEQ + 1, 0, NULL, NULL) < 0);
}

static void test_run_malformed(void **state)
{
	char buf[256];
	size_t len = 0;

	(void)state;
	put_msg(buf, &len, 0x20, 0);
	((struct nlmsghdr *)(void *)buf)->nlmsg_len = 0x80000000u;
	assert_int_equal(netd_mnl_run(buf, len, SEQ, 0, count_cb, &(int){0}), -EBADMSG);
	/* the second message runs past the datagram */
	len = 0;
	put_msg(buf, &len, 0x20, 0);
	put_msg(buf, &len, 0x20, 0);
	assert_int_equal(netd_mnl_run(buf, len - 4, SEQ, 0, count_cb, &(int){0}), -EBADMSG);
}

/* A request (not a dump) is answered in one datagram: done after it, with no DONE message. */
static void test_run_parse_single(void **state)
{
	char buf[256];
	size_t len = 0;
	int n = 0;
	struct netd_mnl_run_args a = {.seq = SEQ, .cb = count_cb, .data = &n};

	(void)state;
	put_msg(buf, &len, 0x20, 0);
	assert_int_equal(netd_mnl_run_parse(buf, len, &a), 1);
	a.single = true;
	assert_int_equal(netd_mnl_run_parse(buf, len, &a), 0);
	assert_int_equal(n, 2);
	len = 0;
	put_msg(buf, &len, NLMSG_ERROR, -ENOENT);
	assert_int_equal(netd_mnl_run_parse(buf, len, &a), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_dump),
	    cmocka_unit_test(test_run_ack_and_error),
	    cmocka_unit_test(test_run_malformed),
	    cmocka_unit_test(test_run_parse_single),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
