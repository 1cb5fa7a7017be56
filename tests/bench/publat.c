/* SPDX-License-Identifier: MIT */
/*
 * publat: lib-level publish latency. In the current netns (a lab host), times netd_nat_publish
 * and netd_nat_unpublish of one tcp port while 0 and then BG other ports are published (BG added
 * in batches of 1,000 beforehand, not timed per port). Prints one line per sample:
 *   PHASE<TAB>publish|unpublish<TAB>microseconds
 * and "bulk<TAB>publish<TAB>us" for the background batches.
 * Usage: publat BG SAMPLES      (tests/bench/netd.sh builds and runs it)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netd/err.h>
#include <netd/portspec.h>
#include "nat.h"

#define BULK 100

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int sample(const char *phase, int samples, const struct netd_nat_ctr *ip)
{
	struct netd_port p = {.proto = IPPROTO_TCP,
			      .host_ip = {.family = AF_INET},
			      .host_port = 18080,
			      .host_port_max = 18080,
			      .ctr_port = 80};
	struct netd_err err = {0};

	for (int i = 0; i < samples; i++) {
		double t0 = now_us();
		if (netd_nat_publish(&p, 1, ip, &err) < 0)
			goto fail;
		double t1 = now_us();
		if (netd_nat_unpublish(&p, 1, ip, &err) < 0)
			goto fail;
		double t2 = now_us();
		printf("%s\tpublish\t%.1f\n%s\tunpublish\t%.1f\n", phase, t1 - t0, phase, t2 - t1);
	}
	return 0;
fail:
	fprintf(stderr, "publat: %s: %s\n", phase, err.msg);
	return -1;
}

int main(int argc, char **argv)
{
	struct netd_err err = {0};
	struct netd_nat_ctr ip = {0};
	int bg, samples;
	size_t have = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: publat BG SAMPLES\n");
		return 2;
	}
	bg = atoi(argv[1]);
	samples = atoi(argv[2]);
	if (bg < 0 || bg > 40000 || samples < 1) {
		fprintf(stderr, "publat: BG 0..40000, SAMPLES >= 1\n");
		return 2;
	}
	inet_pton(AF_INET, "10.99.0.2", &ip.ip);
	if (netd_nat_ensure(&err) < 0) {
		fprintf(stderr, "publat: ensure: %s\n", err.msg);
		return 1;
	}
	/* warm up: the first publish pays for caches and the kernel's map growth */
	if (sample("warm", 3, &ip) < 0 || sample("first", samples, &ip) < 0)
		return 1;

	struct netd_port *ports = calloc(BULK, sizeof(*ports));
	if (!ports)
		return 1;
	for (int base = 0; base < bg; base += BULK) {
		int n = bg - base < BULK ? bg - base : BULK;
		for (int i = 0; i < n; i++) {
			uint16_t hp = (uint16_t)(20000 + base + i);
			ports[i] = (struct netd_port){.proto = IPPROTO_TCP,
						      .host_ip = {.family = AF_INET},
						      .host_port = hp,
						      .host_port_max = hp,
						      .ctr_port = hp};
		}
		double t0 = now_us();
		if (netd_nat_publish(ports, (size_t)n, &ip, &err) < 0) {
			fprintf(stderr, "publat: bulk at %d: %s\n", base, err.msg);
			return 1;
		}
		printf("bulk\tpublish\t%.1f\n", now_us() - t0);
	}
	free(ports);
	if (netd_nat_count_ports(&have, &err) < 0) {
		fprintf(stderr, "publat: count: %s\n", err.msg);
		return 1;
	}
	fprintf(stderr, "publat: %zu ports published in the background\n", have);
	char phase[32];
	snprintf(phase, sizeof(phase), "at%d", bg);
	return sample(phase, samples, &ip) < 0 ? 1 : 0;
}
