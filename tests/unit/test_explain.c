/* SPDX-License-Identifier: MIT */
/* --explain: shell quoting of what goes into the printed commands, and the sink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <netd/explain.h>

static void test_quote(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(netd_explain_quote("eth0", buf, sizeof(buf)), "eth0");
	assert_string_equal(netd_explain_quote("/run/netns/c1", buf, sizeof(buf)), "/run/netns/c1");
	assert_string_equal(netd_explain_quote("a b", buf, sizeof(buf)), "'a b'");
	assert_string_equal(netd_explain_quote("it's", buf, sizeof(buf)), "'it'\\''s'");
	/* anything the shell would expand or split is quoted */
	assert_string_equal(netd_explain_quote("$(reboot)", buf, sizeof(buf)), "'$(reboot)'");
	assert_string_equal(netd_explain_quote("a;b", buf, sizeof(buf)), "'a;b'");
	assert_string_equal(netd_explain_quote("*", buf, sizeof(buf)), "'*'");
	assert_string_equal(netd_explain_quote("", buf, sizeof(buf)), "''");
	/* cut, but always terminated */
	assert_true(strlen(netd_explain_quote("a b c d e f g", buf, 6)) < 6);
}

struct seen {
	char lines[4][128];
	int n;
};

static void sink(const char *line, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 4)
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s", line);
	s->n++;
}

static void test_sink(void **state)
{
	struct seen s = {0};

	(void)state;
	netd_explain("not seen: no sink");
	assert_false(netd_explain_enabled());
	netd_explain_set(sink, &s);
	assert_true(netd_explain_enabled());
	assert_false(netd_explain_dry_run());
	netd_explain("ip link add %s type bridge", "br0");
	netd_explain_set_dry_run(true);
	assert_true(netd_explain_dry_run());
	netd_explain_set(NULL, NULL); /* off, and dry run with it */
	assert_false(netd_explain_dry_run());
	netd_explain("not seen either");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "ip link add br0 type bridge");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quote),
	    cmocka_unit_test(test_sink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
