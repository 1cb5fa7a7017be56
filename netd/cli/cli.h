/* SPDX-License-Identifier: MIT */
#ifndef NETD_CLI_H
#define NETD_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include <netd/netd.h>

/* Exit codes (documented in README and `netd --help`). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,     /* the operation failed */
	CLI_EXIT_USAGE = 2,    /* bad command line or bad input */
	CLI_EXIT_CONFLICT = 3, /* exists already / port or address in use / busy */
	CLI_EXIT_NOTFOUND = 4, /* no such network, endpoint or namespace */
	CLI_EXIT_NOSPACE = 5,  /* address range or port range exhausted */
};

int cli_fail(const struct netd_err *err, const char *verb);
/* help.c: `netd --help` (to f), `netd CMD --help` ("network rm"), --help or -h among argv[1..]. */
void cli_help_all(FILE *f);
int cli_help_cmd(const char *cmd);
bool cli_help_asked(int argc, char **argv);
int cli_version(void);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_print_json(json_t *j);
/* [--network NAME] [--json], the options of gc and ps; leaves optind after them. Returns 0 or
 * cli_usage's exit code. */
int cli_network_json_opts(int argc, char **argv, const char *verb, const char **net, bool *json);
json_t *cli_endpoint_json(const struct netd_endpoint *ep);
json_t *cli_netconf_json(const struct netd_netconf *nc);
/* Members k4 and k6 of o in one column, "10.77.0.2/24,fd77::2/64" (k6 when o has it). */
const char *cli_json_pair(json_t *o, const char *k4, const char *k6, char *buf, size_t len);
/* "internal,icc=no,routed", "-" when none: the options `network ls` shows. */
const char *cli_netconf_options(const struct netd_netconf *nc, char *buf, size_t len);

/* --explain[=FILE] / --dry-run (explain.c): the two getopt_long entries, and their values. */
#define CLI_EXPLAIN_OPTIONS                                                                        \
	{"explain", optional_argument, NULL, 'X'},                                                 \
	{                                                                                          \
		"dry-run", no_argument, NULL, 'D'                                                  \
	}
struct cli_explain_opts {
	bool explain, dry_run;
	const char *file;
};
/* Takes getopt's c when it is one of those two; false for any other option. */
bool cli_explain_opt(struct cli_explain_opts *xo, int c, const char *arg);
/* Installs libnetd's explain sink and writes a header ("# netd VERB ARGV[1..]") when asked.
 * Returns 0 or an exit code. */
int cli_explain_start(const struct cli_explain_opts *xo, const char *verb, int argc, char **argv);
void cli_explain_end(void);
/* A line for the user on stderr ("netd: TEXT"); call it before cli_explain_end. */
void cli_notice(const char *text);

int cli_network(int argc, char **argv);
/* The options attach and connect share, as getopt_long entries, and what each sets in req. */
#define CLI_ATTACH_OPTIONS                                                                         \
	{"netns", required_argument, NULL, 'n'}, {"id", required_argument, NULL, 'i'},             \
	    {"ifname", required_argument, NULL, 'f'}, {"ip", required_argument, NULL, 'a'},        \
	    {"default-route", no_argument, NULL, 'd'}, {"name", required_argument, NULL, 'N'},     \
	{                                                                                          \
		"alias", required_argument, NULL, 'A'                                              \
	}
/* Takes getopt's c into req when it is one of CLI_ATTACH_OPTIONS (an --alias into aliases, an
 * array of NETD_ALIASES_MAX that req->aliases then names). 0: taken; -1: not one of them;
 * else cli_usage's exit code. */
int cli_attach_opt(struct netd_attach_req *req, const char **aliases, const char *verb, int c,
		   const char *arg);
/* The forwarding notices an attach earned (IPv4, IPv6). */
void cli_forward_notices(const struct netd_endpoint *ep);
int cli_attach(int argc, char **argv);
int cli_detach(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_connect(int argc, char **argv);
int cli_disconnect(int argc, char **argv);
int cli_ps(int argc, char **argv);
int cli_gc(int argc, char **argv);
int cli_doctor(int argc, char **argv);
int cli_serve(int argc, char **argv);

#endif
