/* SPDX-License-Identifier: MIT */
/*
 * nsbox inspect NAME (JSON, as an array of one object like docker inspect) and nsbox wait NAME,
 * and the config.json that nsbox run leaves in the state dir for inspect: what the container
 * was started with (rootfs, command, environment, mounts, user, DNS). The record says what it
 * is now (pid, state, address, capabilities, seccomp, restarts).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netd/addr.h>
#include "nsbox.h"

static json_t *str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int nsbox_config_write(const struct nsbox_opts *o, struct netd_err *err)
{
	char path[PATH_MAX];
	json_t *c = json_object(), *mounts = json_array(), *hosts = json_array();
	size_t argc = 0;
	int r = 0;

	while (o->argv[argc])
		argc++;
	for (size_t i = 0; i < o->n_mounts; i++) {
		const struct nsbox_mount *m = &o->mounts[i];
		json_t *j = json_pack("{s:s, s:s, s:b}", "Type",
				      m->type == NSBOX_MOUNT_BIND ? "bind" : "tmpfs", "Destination",
				      m->dst, "ReadOnly", m->ro);
		if (m->type == NSBOX_MOUNT_BIND)
			json_object_set_new(j, "Source", json_string(m->src));
		else if (m->size)
			json_object_set_new(j, "Size", json_integer(m->size));
		json_array_append_new(mounts, j);
	}
	for (size_t i = 0; i < o->n_hosts; i++)
		json_array_append_new(
		    hosts, json_pack("{s:s, s:s}", "Name", o->hosts[i][0], "IP", o->hosts[i][1]));
	json_object_set_new(c, "Rootfs", json_string(o->rootfs));
	json_object_set_new(c, "Cmd", str_array((const char *const *)o->argv, argc));
	json_object_set_new(c, "Path", json_string(o->cmd_path));
	json_object_set_new(c, "Env", str_array(o->env, o->n_env));
	json_object_set_new(c, "WorkingDir", json_string(o->workdir ? o->workdir : "/"));
	json_object_set_new(c, "Hostname", json_string(o->hostname));
	json_object_set_new(c, "User", json_string(o->user_spec ? o->user_spec : ""));
	json_object_set_new(c, "Mounts", mounts);
	json_object_set_new(c, "ExtraHosts", hosts);
	json_object_set_new(c, "Dns", str_array(o->dns, o->n_dns));
	json_object_set_new(c, "DnsSearch", str_array(o->dns_search, o->n_dns_search));
	json_object_set_new(c, "Init", json_boolean(o->init));
	json_object_set_new(c, "ReadonlyRootfs", json_boolean(o->read_only));
	json_object_set_new(c, "Overlay", json_boolean(o->overlay));
	json_object_set_new(c, "UsernsRemap", json_boolean(o->userns));
	json_object_set_new(c, "Privileged", json_boolean(o->privileged));
	json_object_set_new(c, "Memory", json_integer(o->memory));
	json_object_set_new(c, "CpuQuotaUs", json_integer(o->cpu_quota_us));
	json_object_set_new(c, "PidsLimit", json_integer(o->pids_limit));
	if (nsbox_state_path(path, sizeof(path), o->name, "config.json") < 0) {
		json_decref(c);
		return netd_err_set(err, ENAMETOOLONG, "state path for %s too long", o->name);
	}
	char *text = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	if (!text)
		return netd_err_set(err, ENOMEM, "write %s: out of memory", path);
	r = netd_file_replace(path, text, strlen(text), 0644, err);
	free(text);
	return r;
}

static json_t *config_read(const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	netd_cleanup_close int fd = -1;

	if (nsbox_state_path(path, sizeof(path), name, "config.json") < 0)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))
		return NULL;
	return json_loadfd(fd, JSON_REJECT_DUPLICATES, NULL);
}

static void iso_time(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", t);
}

int nsbox_cmd_inspect(int argc, char **argv)
{
	struct nsbox_record r;
	struct netd_err err = {0};
	char when[64];

	const char *name = nsbox_name_arg(argc, argv, "inspect");
	if (!name)
		return NSBOX_EXIT_ERROR;
	int live = nsbox_state_probe_say("inspect", name);
	if (live < 0)
		return 1;
	if (nsbox_state_read(name, &r, &err) < 0) {
		if (err.code == ENOENT)
			nsbox_error("inspect %s: no such container", name);
		else
			nsbox_error("inspect %s: %s", name, err.msg);
		return 1;
	}
	const char *status = r.exited			? "exited"
			     : !live			? "dead"
			     : r.pid <= 0 && r.restarts ? "restarting"
			     : r.pid <= 0		? "created"
							: "running";
	json_t *caps = json_array(), *cgs = json_array(), *groups = json_array();
	for (int i = 0; r.has_caps && i < 64; i++)
		if ((r.caps & (1ULL << i)) && nsbox_cap_name(i)) {
			char cn[40];
			snprintf(cn, sizeof(cn), "CAP_%s", nsbox_cap_name(i));
			json_array_append_new(caps, json_string(cn));
		}
	for (size_t i = 0; i < r.cg.n; i++)
		json_array_append_new(cgs, json_string(r.cg.dir[i].path));
	for (size_t i = 0; i < r.n_groups; i++)
		json_array_append_new(groups, json_integer(r.groups[i]));
	iso_time(r.since, when, sizeof(when));
	json_t *state =
	    json_pack("{s:s, s:b, s:i, s:i, s:s, s:i}", "Status", status, "Running",
		      !strcmp(status, "running"), "Pid", (int)r.pid, "Monitor", (int)r.monitor,
		      "StartedAt", when, "RestartCount", (int)r.restarts);
	if (r.exited)
		json_object_set_new(state, "ExitCode", json_integer(r.exit_code));
	json_t *o = json_pack(
	    "{s:s, s:o, s:s, s:b, s:{s:s, s:s, s:s, s:s}, s:{s:o, s:b, s:s}, s:{s:s, s:b}, s:o}",
	    "Name", r.name, "State", state, "Command", r.command, "Detached", r.detached,
	    "NetworkSettings", "Mode", r.net_mode, "Network", r.network, "IPAddress", r.ip, "Ports",
	    r.ports, "Security", "Capabilities", caps, "NoNewPrivileges", r.nnp, "Seccomp",
	    r.seccomp[0] ? r.seccomp : "unknown", "RestartPolicy", "Name",
	    r.restart[0] ? r.restart : "no", "AutoRemove", r.rm, "Cgroups", cgs);
	json_t *ns = json_object_get(o, "NetworkSettings");
	if (r.net_container[0])
		json_object_set_new(ns, "Container", json_string(r.net_container));
	/* every network of its namespace: run's and netd connect's */
	struct netd_endpoint *eps = NULL;
	size_t n_eps = 0;
	if (!r.exited && nsbox_net_endpoints(name, r.pid, &eps, &n_eps, &err) == 0) {
		json_t *nets = json_object();
		for (size_t i = 0; i < n_eps; i++) {
			char ip[INET_ADDRSTRLEN] = "", gw[INET_ADDRSTRLEN] = "";
			/* "" on an IPv6-only network, as Docker leaves them */
			if (eps[i].ip.s_addr)
				netd_ip4_format(eps[i].ip, ip, sizeof(ip));
			if (eps[i].gateway.s_addr)
				netd_ip4_format(eps[i].gateway, gw, sizeof(gw));
			json_t *net = json_pack("{s:s, s:s, s:s, s:i}", "Interface", eps[i].ifname,
						"IPAddress", ip, "Gateway", gw, "IPPrefixLen",
						(int)eps[i].prefix);
			if (eps[i].ip6.family == AF_INET6) { /* Docker's names for them */
				char ip6[NETD_IP_STRLEN], gw6[NETD_IP_STRLEN];

				netd_ip_format(&eps[i].ip6, ip6, sizeof(ip6));
				netd_ip_format(&eps[i].gateway6, gw6, sizeof(gw6));
				json_object_set_new(net, "GlobalIPv6Address", json_string(ip6));
				json_object_set_new(net, "GlobalIPv6PrefixLen",
						    json_integer((int)eps[i].prefix6));
				json_object_set_new(net, "IPv6Gateway", json_string(gw6));
			}
			json_object_set_new(nets, eps[i].network, net);
		}
		json_object_set_new(ns, "Networks", nets);
		netd_endpoints_free(eps, n_eps);
	}
	if (r.has_user)
		json_object_set_new(o, "User",
				    json_pack("{s:i, s:i, s:o}", "Uid", (int)r.uid, "Gid",
					      (int)r.gid, "Groups", groups));
	else
		json_decref(groups);
	json_t *cfg = config_read(name);
	if (cfg)
		json_object_set_new(o, "Config", cfg);
	json_t *all = json_array();
	json_array_append_new(all, o);
	fflush(stdout);
	int rc = json_dumpf(all, stdout, JSON_INDENT(2)) < 0 ? 1 : 0;
	putchar('\n');
	json_decref(all);
	return rc;
}

int nsbox_cmd_wait(int argc, char **argv)
{
	struct nsbox_record r;
	struct netd_err err = {0};
	char path[PATH_MAX];

	const char *name = nsbox_name_arg(argc, argv, "wait");
	if (!name)
		return NSBOX_EXIT_ERROR;
	int live = nsbox_state_probe_say("wait", name);
	if (live < 0)
		return 1;
	if (live) {
		/* the nsbox that runs it holds the lock until the container is gone for good
		 * (its --restart supervisor included) */
		if (nsbox_state_path(path, sizeof(path), name, "lock") < 0)
			return 1;
		netd_cleanup_close int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno != ENOENT) { /* ENOENT: it ended just now */
			nsbox_error_state("wait", name, errno);
			return 1;
		}
		while (fd >= 0 && flock(fd, LOCK_SH) < 0)
			if (errno != EINTR) {
				nsbox_error("wait %s: lock: %s", name, strerror(errno));
				return 1;
			}
	}
	if (nsbox_state_read(name, &r, &err) < 0) {
		if (err.code == ENOENT && live)
			nsbox_error("wait %s: ended; its exit status is not kept (a foreground or "
				    "--rm container)",
				    name);
		else if (err.code == ENOENT)
			nsbox_error("wait %s: no such container", name);
		else
			nsbox_error("wait %s: %s", name, err.msg);
		return 1;
	}
	if (!r.exited) {
		nsbox_error("wait %s: the nsbox that ran it was killed; no exit status", name);
		return 1;
	}
	printf("%d\n", r.exit_code);
	return 0;
}
