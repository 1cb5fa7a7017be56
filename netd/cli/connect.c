/* SPDX-License-Identifier: MIT */
/*
 * netd connect | disconnect: one more network for a running container, or one less. The
 * container is an nsbox container by name (its record, $NETD_STATE_DIR/nsbox/NAME/record, names
 * its PID 1: the network namespace is /proc/PID/ns/net; docs/nsbox.md) or any namespace given
 * with --netns and --id.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netd/addr.h>
#include <netd/util.h>
#include "cli.h"

/* The value of key in an nsbox record (key=value lines); false when absent. */
static bool record_value(const char *text, const char *key, char *out, size_t len)
{
	const char *pos = text, *end = text + strlen(text);
	struct netd_kv kv = {0};
	size_t kl = strlen(key);

	while (netd_kv_next(&pos, end, &kv))
		if (kv.key && kv.key_len == kl && !memcmp(kv.key, key, kl)) {
			snprintf(out, len, "%.*s", (int)kv.val_len, kv.val);
			return true;
		}
	return false;
}

/* A running nsbox container's network namespace, /proc/PID/ns/net. */
static int nsbox_netns(const char *name, char *netns, size_t len, struct netd_err *err)
{
	char path[4096], text[8192], pid[16], mode[16] = "", joined[128] = "", exited[16];
	int fd, r;
	ssize_t n;
	long v;
	char *end;

	r = netd_name_check_id(name, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/nsbox/%s/record", netd_state_dir(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return netd_err_set(err, ESRCH,
				    "container %s: no such nsbox container (for another namespace: "
				    "--netns PATH --id ID)",
				    name);
	if (fd < 0)
		return netd_err_sys(err, errno, "container %s: %s", name, path);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return netd_err_sys(err, errno, "container %s: read %s", name, path);
	text[n] = '\0';
	record_value(text, "net_mode", mode, sizeof(mode));
	record_value(text, "net_container", joined, sizeof(joined));
	if (!record_value(text, "pid", pid, sizeof(pid)))
		return netd_err_set(err, EINVAL, "container %s: %s has no pid", name, path);
	errno = 0;
	v = strtol(pid, &end, 10);
	if (errno || *end || v <= 0 || record_value(text, "exit", exited, sizeof(exited)))
		return netd_err_set(err, ESRCH, "container %s: not running", name);
	if (!strcmp(mode, "host"))
		return netd_err_set(
		    err, EINVAL,
		    "container %s uses the host's network namespace: no network can "
		    "be connected to it",
		    name);
	if (!strcmp(mode, "container"))
		return netd_err_set(err, EINVAL,
				    "container %s shares container %s's network namespace: connect "
				    "%s",
				    name, joined, joined);
	snprintf(netns, len, "/proc/%ld/ns/net", v);
	if (access(netns, F_OK) < 0)
		return netd_err_set(err, ESRCH, "container %s: not running (no process %ld)", name,
				    v);
	return 0;
}

/* NETWORK CONTAINER, or NETWORK --netns PATH --id ID: fills netns and id. */
static int target(int argc, char **argv, const char *verb, const char *netns_opt, const char **id,
		  char *netns, size_t len, struct netd_err *err)
{
	if (netns_opt) {
		if (optind != argc - 1 || !*id)
			return cli_usage("%s: NETWORK --netns PATH --id ID, or NETWORK CONTAINER",
					 verb);
		snprintf(netns, len, "%s", netns_opt);
		return 0;
	}
	if (optind != argc - 2 || *id)
		return cli_usage("%s: NETWORK CONTAINER, or NETWORK --netns PATH --id ID", verb);
	*id = argv[optind + 1];
	if (nsbox_netns(*id, netns, len, err) < 0)
		return cli_fail(err, verb);
	return 0;
}

int cli_connect(int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_ATTACH_OPTIONS,
	    {0},
	};
	struct netd_attach_req req = {0};
	struct netd_endpoint ep;
	struct netd_err err = {0};
	const char *aliases[NETD_ALIASES_MAX];
	const char *netns_opt, *id;
	char netns[NETD_NETNS_PATH_MAX], ifname[NETD_IFNAME_MAX + 1];
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		r = cli_attach_opt(&req, aliases, "connect", c, optarg);
		if (r < 0)
			return cli_usage("connect: bad option");
		if (r)
			return r;
	}
	netns_opt = req.netns;
	id = req.id;
	r = target(argc, argv, "connect", netns_opt, &id, netns, sizeof(netns), &err);
	if (r)
		return r;
	req.network = argv[optind];
	req.netns = netns;
	req.id = id;
	/* An nsbox container is found by its name on the network, as on the ones it started on. */
	if (!req.name && !netns_opt && netd_name_check_dns(id, &err) == 0)
		req.name = id;
	if (!req.ifname) {
		if (netd_netns_free_ifname(netns, ifname, sizeof(ifname), &err) < 0)
			return cli_fail(&err, "connect");
		req.ifname = ifname;
	}
	r = netd_network_attach(&req, &ep, &err);
	cli_forward_notices(&ep);
	if (r < 0)
		return cli_fail(&err, NULL);
	r = cli_print_json(cli_endpoint_json(&ep));
	netd_endpoint_clear(&ep);
	return r;
}

int cli_disconnect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"netns", required_argument, NULL, 'n'},
	    {"id", required_argument, NULL, 'i'},
	    {0},
	};
	struct netd_endpoint *eps = NULL;
	struct netd_err err = {0};
	const char *netns_opt = NULL, *id = NULL, *network;
	char netns[NETD_NETNS_PATH_MAX];
	size_t n = 0, found = 0;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			netns_opt = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		default:
			return cli_usage("disconnect: bad option");
		}
	}
	r = target(argc, argv, "disconnect", netns_opt, &id, netns, sizeof(netns), &err);
	if (r)
		return r;
	network = argv[optind];
	if (netd_endpoint_list(network, &eps, &n, &err) < 0)
		return cli_fail(&err, "disconnect");
	/* every interface of that namespace on the network (one, unless attached by hand twice) */
	for (size_t i = 0; i < n && r == 0; i++) {
		if (strcmp(eps[i].id, id) || strcmp(eps[i].netns, netns))
			continue;
		found++;
		r = netd_network_detach(network, id, eps[i].ifname, &err);
	}
	netd_endpoints_free(eps, n);
	if (r < 0)
		return cli_fail(&err, NULL);
	if (!found) {
		netd_err_set(&err, ENOENT, "disconnect: %s is not connected to network %s", id,
			     network);
		return cli_fail(&err, NULL);
	}
	return CLI_EXIT_OK;
}
