/* SPDX-License-Identifier: MIT */
/* netd gc | doctor | serve */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "cli.h"

int cli_gc(int argc, char **argv)
{
	const char *net = NULL;
	bool json = false;
	struct netd_gc_stats st;
	struct netd_err err = {0};
	int r;

	r = cli_network_json_opts(argc, argv, "gc", &net, &json);
	if (r)
		return r;
	r = netd_gc(net, NULL, 0, &st, &err);
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "endpoints", json_integer(st.endpoints));
		json_object_set_new(o, "veths", json_integer(st.veths));
		json_object_set_new(o, "leases", json_integer(st.leases));
		json_object_set_new(o, "ports", json_integer(st.ports));
		json_object_set_new(o, "repaired", json_integer(st.repaired));
		json_object_set_new(o, "damaged", json_integer(st.damaged));
		json_object_set_new(o, "conflicts", json_integer(st.conflicts));
		cli_print_json(o);
	} else {
		printf("removed: %u endpoint(s), %u veth(s), %u lease(s), %u port(s)\n",
		       st.endpoints, st.veths, st.leases, st.ports);
		if (st.repaired)
			printf("repaired: %u lease(s) and port claim(s) rewritten from the "
			       "endpoint records\n",
			       st.repaired);
		if (st.damaged)
			printf("kept: %u damaged endpoint record(s) whose namespace lives (netd "
			       "doctor names them)\n",
			       st.damaged);
		if (st.conflicts)
			printf("conflicts: %u address(es) or port(s) claimed by two records, left "
			       "alone (netd doctor names them)\n",
			       st.conflicts);
	}
	return r < 0 ? cli_fail(&err, "gc") : CLI_EXIT_OK;
}

int cli_doctor(int argc, char **argv)
{
	static const char *const lvl[] = {"ok", "warn", "FAIL"};
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
	struct netd_doctor_finding *f = NULL;
	struct netd_err err = {0};
	size_t n = 0;
	int fails = 0;
	json_t *arr;

	if (argc > 2 || (argc == 2 && !json))
		return cli_usage("doctor: only --json is accepted");
	arr = json_array();
	if (netd_doctor_run(&f, &n, &err) < 0) {
		json_decref(arr);
		return cli_fail(&err, "doctor");
	}
	for (size_t i = 0; i < n; i++) {
		fails += f[i].level == NETD_DOCTOR_FAIL;
		if (json) {
			json_t *o = json_object();
			json_object_set_new(o, "level", json_string(lvl[f[i].level]));
			json_object_set_new(o, "check", json_string(f[i].what));
			json_object_set_new(o, "text", json_string(f[i].text));
			json_array_append_new(arr, o);
		} else {
			printf("[%-4s] %-15s %s\n", lvl[f[i].level], f[i].what, f[i].text);
		}
	}
	free(f);
	if (json)
		cli_print_json(arr);
	else
		json_decref(arr);
	return fails ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static volatile sig_atomic_t stop_serving;

static void on_stop(int sig)
{
	stop_serving = 1;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Under systemd (Type=notify; NOTIFY_SOCKET set) serve says READY=1 once the first round has put
 * table ip netd back, keeps STATUS= current, and pings the watchdog at half its interval when
 * WatchdogSec= is set. Without NOTIFY_SOCKET these calls do nothing.
 */
int cli_serve(int argc, char **argv)
{
	bool once = argc > 1 && strcmp(argv[1], "--once") == 0;
	struct sigaction sa = {.sa_handler = on_stop};
	struct netd_err err = {0};
	uint64_t watchdog = 0, last_ping = 0;
	bool ready = false;
	int fd;

	if (argc > 2 || (argc == 2 && !once))
		return cli_usage("serve: only --once is accepted");

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fd = netd_serve_open(&err);
	if (fd < 0) {
		sd_notifyf(0, "STATUS=failed: %s", err.msg);
		return cli_fail(&err, "serve");
	}
	if (sd_watchdog_enabled(0, &watchdog) <= 0)
		watchdog = 0;
	fprintf(stderr, "netd serve: watching link events (pid %d)\n", (int)getpid());
	while (!stop_serving) {
		struct netd_serve_report rep;
		/* Short waits keep the "within a second" promise for a flushed ruleset. */
		if (netd_serve_step(fd, 250, &rep, &err) < 0) {
			fprintf(stderr, "netd serve: %s\n", err.msg);
			sd_notifyf(0, "STATUS=watching link events; last error: %s", err.msg);
		}
		if (rep.gc_ran &&
		    (rep.gc.endpoints || rep.gc.veths || rep.gc.leases || rep.gc.ports)) {
			fprintf(stderr,
				"netd serve: gc removed %u endpoint(s), %u veth(s), %u lease(s), "
				"%u port(s)\n",
				rep.gc.endpoints, rep.gc.veths, rep.gc.leases, rep.gc.ports);
			sd_notifyf(0,
				   "STATUS=watching link events; last gc removed %u endpoint(s), "
				   "%u veth(s), %u lease(s), %u port(s)",
				   rep.gc.endpoints, rep.gc.veths, rep.gc.leases, rep.gc.ports);
		}
		if (rep.nat_restored) {
			fprintf(stderr, "netd serve: table ip netd or ip6 netd was missing or made "
					"again; restored from state\n");
			sd_notify(0, "STATUS=watching link events; tables ip netd and ip6 netd "
				     "restored from state");
		}
		if (rep.dns_started) {
			fprintf(stderr,
				"netd serve: the name server was not running; started it "
				"(pid %d)\n",
				netd_dns_server_pid());
			sd_notify(0, "STATUS=watching link events; name server restarted");
		}
		if (!ready) {
			sd_notify(0, "READY=1\nSTATUS=watching link events");
			ready = true;
		}
		if (watchdog && now_usec() - last_ping >= watchdog / 2) {
			sd_notify(0, "WATCHDOG=1");
			last_ping = now_usec();
		}
		if (once)
			break;
	}
	sd_notify(0, "STOPPING=1");
	close(fd);
	return CLI_EXIT_OK;
}
