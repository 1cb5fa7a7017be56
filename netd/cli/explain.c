/* SPDX-License-Identifier: MIT */
/*
 * --explain[=FILE] and --dry-run for attach, detach and network create: libnetd hands each
 * kernel change over as a shell command at the moment it makes it; this sink writes them, one
 * line each, flushed at once. To stderr by default, so stdout keeps the JSON result:
 *     netd attach lab --netns /run/netns/c1 --id c1 -p 8080:80 --explain 2>attach.sh
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netd/explain.h>
#include "cli.h"

static FILE *explain_out;

static void cli_explain_line(const char *line, void *ctx)
{
	FILE *f = ctx;

	fputs(line, f);
	fputc('\n', f);
	fflush(f);
}

bool cli_explain_opt(struct cli_explain_opts *xo, int c, const char *arg)
{
	if (c == 'X') {
		xo->explain = true;
		xo->file = arg;
		return true;
	}
	if (c == 'D') {
		xo->dry_run = true;
		return true;
	}
	return false;
}

int cli_explain_start(const struct cli_explain_opts *xo, const char *verb, int argc, char **argv)
{
	const char *file = xo->file;
	bool dry_run = xo->dry_run;
	char q[512];

	if (!xo->explain && !dry_run)
		return 0;
	explain_out = stderr;
	if (file && *file && strcmp(file, "-") != 0) {
		explain_out = fopen(file, "we");
		if (!explain_out) {
			fprintf(stderr, "netd: --explain=%s: %s\n", file, strerror(errno));
			explain_out = NULL;
			return CLI_EXIT_USAGE;
		}
	}
	netd_explain_set(cli_explain_line, explain_out);
	netd_explain_set_dry_run(dry_run);
	fprintf(explain_out, "# netd %s", verb);
	for (int i = 1; i < argc; i++)
		fprintf(explain_out, " %s", netd_explain_quote(argv[i], q, sizeof(q)));
	fprintf(explain_out, "\n# %s\n",
		dry_run ? "dry run: what netd would do, as shell commands (nothing was changed)"
			: "what netd did, as shell commands, in the order it did it");
	fflush(explain_out);
	return 0;
}

void cli_notice(const char *text)
{
	/* While the explained script goes to stderr, the notice is a comment in it. */
	fprintf(stderr, "%snetd: %s\n", explain_out == stderr ? "# " : "", text);
}

void cli_explain_end(void)
{
	netd_explain_set(NULL, NULL);
	if (explain_out && explain_out != stderr)
		fclose(explain_out);
	explain_out = NULL;
}
