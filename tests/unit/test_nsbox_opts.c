/* SPDX-License-Identifier: MIT */
/* nsbox's --network values (runtime/opts.c): several networks, host/none/container:NAME alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../runtime/nsbox.h"

/* The values in order; returns the first failure's code (0: all taken). */
static int add_all(struct nsbox_opts *o, const char *const *v, struct netd_err *err)
{
	memset(o, 0, sizeof(*o));
	o->net_mode = NSBOX_NET_BRIDGE;
	for (; *v; v++) {
		int r = nsbox_net_add(o, *v, err);
		if (r < 0)
			return r;
	}
	return nsbox_net_finish(o, err);
}

static void expect_bad(const char *const *v, const char *needle)
{
	struct nsbox_opts o;
	struct netd_err err = {0};

	assert_true(add_all(&o, v, &err) < 0);
	if (!strstr(err.msg, needle))
		fail_msg("\"%s\" not in \"%s\"", needle, err.msg);
}

static void test_networks_in_order(void **state)
{
	static const char *const v[] = {"front", "back", "db", NULL};
	struct nsbox_opts o;
	struct netd_err err = {0};

	(void)state;
	assert_int_equal(add_all(&o, v, &err), 0);
	assert_int_equal(o.net_mode, NSBOX_NET_BRIDGE);
	assert_int_equal(o.n_networks, 3);
	assert_string_equal(o.networks[0], "front");
	assert_string_equal(o.networks[2], "db");
	assert_null(o.net_container);
}

static void test_none_given(void **state)
{
	static const char *const v[] = {NULL};
	struct nsbox_opts o;
	struct netd_err err = {0};

	(void)state;
	assert_int_equal(add_all(&o, v, &err), 0);
	assert_int_equal(o.n_networks, 0); /* the default network */
	assert_false(o.net_given);
}

static void test_modes(void **state)
{
	struct nsbox_opts o;
	struct netd_err err = {0};

	(void)state;
	assert_int_equal(add_all(&o, (const char *const[]){"host", NULL}, &err), 0);
	assert_int_equal(o.net_mode, NSBOX_NET_HOST);
	assert_int_equal(add_all(&o, (const char *const[]){"none", NULL}, &err), 0);
	assert_int_equal(o.net_mode, NSBOX_NET_NONE);
	assert_int_equal(add_all(&o, (const char *const[]){"container:web", NULL}, &err), 0);
	assert_int_equal(o.net_mode, NSBOX_NET_CONTAINER);
	assert_string_equal(o.net_container, "web");
	assert_int_equal(o.n_networks, 0);
}

static void test_bad(void **state)
{
	(void)state;
	expect_bad((const char *const[]){"a", "a", NULL}, "--network a: given twice");
	expect_bad((const char *const[]){"a", "host", NULL}, "stand alone");
	expect_bad((const char *const[]){"none", "a", NULL}, "stand alone");
	expect_bad((const char *const[]){"container:x", "container:y", NULL}, "stand alone");
	expect_bad((const char *const[]){"host", "host", NULL}, "stand alone");
	expect_bad((const char *const[]){"container:", NULL}, "--network container:");
	expect_bad((const char *const[]){"container:../x", NULL}, "--network container:../x");
	expect_bad((const char *const[]){"a,b", NULL}, "--network");
	expect_bad((const char *const[]){"", NULL}, "--network");
	expect_bad((const char *const[]){"1", "2", "3", "4", "5", "6", "7", "8", "9", NULL},
		   "at most 8 networks");
}

static void test_bad_leaves_opts(void **state)
{
	struct nsbox_opts o;
	struct netd_err err = {0};

	(void)state;
	assert_int_equal(add_all(&o, (const char *const[]){"a", NULL}, &err), 0);
	assert_true(nsbox_net_add(&o, "a", &err) < 0);
	assert_true(nsbox_net_add(&o, "container:x", &err) < 0);
	assert_int_equal(o.net_mode, NSBOX_NET_BRIDGE);
	assert_int_equal(o.n_networks, 1);
	assert_null(o.net_container);
}

static void test_finish(void **state)
{
	struct nsbox_opts o;
	struct netd_err err = {0};

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(nsbox_net_add(&o, "container:web", &err), 0);
	o.n_ports = 1;
	assert_true(nsbox_net_finish(&o, &err) < 0);
	assert_non_null(strstr(err.msg, "-p needs a network (not --network container:NAME)"));
	o.n_ports = 0;
	o.n_aliases = 1;
	assert_true(nsbox_net_finish(&o, &err) < 0);
	assert_non_null(strstr(err.msg, "--network-alias needs a network"));
	o.n_aliases = 0;
	o.userns = true;
	assert_true(nsbox_net_finish(&o, &err) < 0);
	assert_non_null(strstr(err.msg, "--userns with --network container:NAME"));
	memset(&o, 0, sizeof(o));
	assert_int_equal(nsbox_net_add(&o, "none", &err), 0);
	o.userns = true;
	assert_int_equal(nsbox_net_finish(&o, &err), 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(nsbox_net_add(&o, "host", &err), 0);
	o.userns = true;
	assert_true(nsbox_net_finish(&o, &err) < 0);
	assert_non_null(strstr(err.msg, "--userns with --network host"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_networks_in_order),
	    cmocka_unit_test(test_none_given),
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_bad_leaves_opts),
	    cmocka_unit_test(test_finish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
