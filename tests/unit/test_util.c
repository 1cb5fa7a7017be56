/* SPDX-License-Identifier: MIT */
/* <netd/util.h>: the key=value line tokenizer and the atomic file writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <netd/util.h>

static void expect_line(const char **pos, const char *end, struct netd_kv *kv, unsigned lineno,
			const char *line, const char *key, const char *val)
{
	assert_int_equal(netd_kv_next(pos, end, kv), 1);
	assert_int_equal(kv->lineno, lineno);
	assert_int_equal(kv->len, strlen(line));
	assert_memory_equal(kv->line, line, kv->len);
	if (!key) {
		assert_null(kv->key);
		assert_null(kv->val);
		return;
	}
	assert_non_null(kv->key);
	assert_int_equal(kv->key_len, strlen(key));
	assert_memory_equal(kv->key, key, kv->key_len);
	assert_int_equal(kv->val_len, strlen(val));
	assert_memory_equal(kv->val, val, kv->val_len);
}

static void test_kv_lines(void **state)
{
	const char *text = "a=1\n\n# c\nb==2 \nnoeq\n=x\nlast=";
	const char *p = text, *end = text + strlen(text);
	struct netd_kv kv = {0};

	(void)state;
	expect_line(&p, end, &kv, 1, "a=1", "a", "1");
	expect_line(&p, end, &kv, 2, "", NULL, NULL);
	expect_line(&p, end, &kv, 3, "# c", NULL, NULL);
	/* the first '=' splits; the rest (spaces too) is the value's */
	expect_line(&p, end, &kv, 4, "b==2 ", "b", "=2 ");
	expect_line(&p, end, &kv, 5, "noeq", NULL, NULL);
	expect_line(&p, end, &kv, 6, "=x", "", "x");
	/* no final newline: the last line still counts */
	expect_line(&p, end, &kv, 7, "last=", "last", "");
	assert_int_equal(netd_kv_next(&p, end, &kv), 0);
	assert_ptr_equal(p, end);
}

static void test_kv_final_newline(void **state)
{
	const char *text = "k=v\n";
	const char *p = text, *end = text + strlen(text);
	struct netd_kv kv = {0};

	(void)state;
	expect_line(&p, end, &kv, 1, "k=v", "k", "v");
	/* a final newline ends the last line; it does not start an empty one */
	assert_int_equal(netd_kv_next(&p, end, &kv), 0);
	p = end;
	assert_int_equal(netd_kv_next(&p, end, &kv), 0);
}

static void test_kv_bounded(void **state)
{
	/* [pos, end) bounds the walk: what lies past end (no NUL needed) is never read */
	const char text[] = {'x', '=', '1', '\n', 'y', '=', '2'};
	const char *p = text, *end = text + 5;
	struct netd_kv kv = {0};

	(void)state;
	expect_line(&p, end, &kv, 1, "x=1", "x", "1");
	expect_line(&p, end, &kv, 2, "y", NULL, NULL);
	assert_int_equal(netd_kv_next(&p, end, &kv), 0);
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/netd-test-util.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	return rmdir(dir);
}

static void read_back(const char *path, const char *want, unsigned mode)
{
	char buf[64] = "";
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(st.st_mode & 07777, mode);
}

/* Both writers replace the file whole and leave no temp file behind. */
static void test_write_atomic_and_replace(void **state)
{
	struct netd_err err = {0};
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(netd_file_write_atomic(path, "one\n", 4, 0644, &err), 0);
	read_back(path, "one\n", 0644);
	assert_int_equal(netd_file_replace(path, "2", 1, 0600, &err), 0);
	read_back(path, "2", 0600);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			assert_string_equal(de->d_name, "f");
	closedir(d);
	/* a missing directory is an error that names the path, not a crash */
	snprintf(path, sizeof(path), "%s/missing/f", dir);
	assert_true(netd_file_replace(path, "x", 1, 0644, &err) < 0);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, "missing"));
}

/* netd_closep keeps errno: a cleanup on an error path must not change the error it reports. */
static void test_cleanup_keeps_errno(void **state)
{
	(void)state;
	{
		netd_cleanup_close int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		netd_cleanup_free char *p = malloc(8);

		assert_true(fd >= 0);
		assert_non_null(p);
		errno = ENOSPC;
	}
	assert_int_equal(errno, ENOSPC);
	{
		netd_cleanup_close int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int kept = netd_steal_fd(&fd);

		assert_int_equal(fd, -1);
		assert_int_equal(close(kept), 0); /* still open: cleanup skipped it */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kv_lines),
	    cmocka_unit_test(test_kv_final_newline),
	    cmocka_unit_test(test_kv_bounded),
	    cmocka_unit_test_setup_teardown(test_write_atomic_and_replace, setup, teardown),
	    cmocka_unit_test(test_cleanup_keeps_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
