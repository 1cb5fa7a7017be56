/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <netd/names.h>

typedef int (*check_fn)(const char *, struct netd_err *);

static void expect_ok(check_fn fn, const char *name)
{
	struct netd_err err = {.code = 77, .msg = "untouched"};

	assert_int_equal(fn(name, &err), 0);
	/* success leaves err alone */
	assert_int_equal(err.code, 77);
	assert_string_equal(err.msg, "untouched");
}

static void expect_bad(check_fn fn, const char *name, const char *needle)
{
	struct netd_err err = {0};

	assert_int_equal(fn(name, &err), -EINVAL);
	assert_int_equal(err.code, EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("\"%s\" not in \"%s\"", needle, err.msg);
}

static void test_id_ok(void **state)
{
	char max[NETD_ID_MAX + 1];

	(void)state;
	expect_ok(netd_name_check_id, "a");
	expect_ok(netd_name_check_id, "0");
	expect_ok(netd_name_check_id, "c1");
	expect_ok(netd_name_check_id, "Z9_.-x");
	expect_ok(netd_name_check_id, "a..b");
	expect_ok(netd_name_check_id,
		  "4f1d2c3b5a6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70");
	memset(max, 'a', NETD_ID_MAX);
	max[NETD_ID_MAX] = '\0';
	expect_ok(netd_name_check_id, max);
}

static void test_id_bad(void **state)
{
	char over[NETD_ID_MAX + 2];

	(void)state;
	expect_bad(netd_name_check_id, "", "invalid endpoint id \"\": empty");
	expect_bad(netd_name_check_id, NULL, "invalid endpoint id");
	expect_bad(netd_name_check_id, ".", "invalid endpoint id \".\": use letters");
	expect_bad(netd_name_check_id, "..", "\"..\"");
	expect_bad(netd_name_check_id, "/", "\"/\"");
	expect_bad(netd_name_check_id, "../etc",
		   "invalid endpoint id \"../etc\": use letters, digits, '_', '.', '-', "
		   "starting with a letter or digit (at most 128)");
	expect_bad(netd_name_check_id, "a/../b", "\"a/../b\"");
	expect_bad(netd_name_check_id, "a/b", "\"a/b\"");
	expect_bad(netd_name_check_id, "-a", "\"-a\"");
	expect_bad(netd_name_check_id, "_a", "\"_a\"");
	expect_bad(netd_name_check_id, ".hidden", "\".hidden\"");
	expect_bad(netd_name_check_id, "a b", "\"a b\"");
	expect_bad(netd_name_check_id, " a", "\" a\"");
	expect_bad(netd_name_check_id, "a\n", "\"a\\x0a\"");
	expect_bad(netd_name_check_id, "a\tb", "\"a\\x09b\"");
	expect_bad(netd_name_check_id, "a\x7f", "\"a\\x7f\"");
	expect_bad(netd_name_check_id, "caf\xc3\xa9", "\"caf\\xc3\\xa9\"");
	expect_bad(netd_name_check_id, "a\"b", "\"a\\x22b\"");
	expect_bad(netd_name_check_id, "a:b", "\"a:b\"");
	expect_bad(netd_name_check_id, "a@b", "\"a@b\"");
	expect_bad(netd_name_check_id, "a*", "\"a*\"");
	memset(over, 'a', NETD_ID_MAX + 1);
	over[NETD_ID_MAX + 1] = '\0';
	expect_bad(netd_name_check_id, over, "too long (129 characters, at most 128)");
}

static void test_quote_truncates(void **state)
{
	char big[4096];
	struct netd_err err = {0};

	(void)state;
	memset(big, '/', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(netd_name_check_id(big, &err), -EINVAL);
	/* the quoted name is cut and marked, the message still ends with the advice */
	assert_non_null(strstr(err.msg, "//...\""));
	assert_true(strlen(err.msg) < 300);

	memset(big, '\x01', 100);
	big[100] = '\0';
	assert_int_equal(netd_name_check_id(big, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "\\x01\\x01...\": use letters"));
}

static void test_network(void **state)
{
	char max[NETD_NETNAME_MAX + 2];

	(void)state;
	expect_ok(netd_name_check_network, "netd0");
	expect_ok(netd_name_check_network, "my-net.1_x");
	memset(max, 'n', NETD_NETNAME_MAX);
	max[NETD_NETNAME_MAX] = '\0';
	expect_ok(netd_name_check_network, max);
	max[NETD_NETNAME_MAX] = 'n';
	max[NETD_NETNAME_MAX + 1] = '\0';
	expect_bad(netd_name_check_network, max, "invalid network name");
	expect_bad(netd_name_check_network, max, "at most 64");
	expect_bad(netd_name_check_network, "", "invalid network name \"\"");
	expect_bad(netd_name_check_network, "..", "invalid network name \"..\"");
	expect_bad(netd_name_check_network, "../../etc/passwd", "\"../../etc/passwd\"");
	expect_bad(netd_name_check_network, "net/x", "(at most 64)");
}

static void test_ifname(void **state)
{
	(void)state;
	expect_ok(netd_name_check_ifname, "eth0");
	expect_ok(netd_name_check_ifname, "netd0");
	expect_ok(netd_name_check_ifname, "veth1234567890a"); /* 15 */
	expect_bad(netd_name_check_ifname, "veth1234567890ab",
		   "too long (16 characters, at most 15)");
	expect_bad(netd_name_check_ifname, "eth0:1", "invalid interface name \"eth0:1\"");
	expect_bad(netd_name_check_ifname, ".", "invalid interface name");
	expect_bad(netd_name_check_ifname, "..", "invalid interface name");
	expect_bad(netd_name_check_ifname, "a/b", "invalid interface name");
	expect_bad(netd_name_check_ifname, "", "invalid interface name");
}

static void test_null_err(void **state)
{
	(void)state;
	assert_int_equal(netd_name_check_id("../x", NULL), -EINVAL);
	assert_int_equal(netd_name_check_ifname("ok", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_ok),	    cmocka_unit_test(test_id_bad),
	    cmocka_unit_test(test_quote_truncates), cmocka_unit_test(test_network),
	    cmocka_unit_test(test_ifname),	    cmocka_unit_test(test_null_err),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
