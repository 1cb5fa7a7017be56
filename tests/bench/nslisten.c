/* SPDX-License-Identifier: MIT */
/*
 * nslisten PORT NETNS...: one process that listens on 0.0.0.0:PORT inside each network namespace
 * (a socket keeps the namespace it was made in) and answers every connection with "ok\n" and
 * close. For tests/bench/churn.sh: 100 pods that answer on their published ports without 100
 * server processes. Runs until killed; prints "ready" once every socket listens.
 */
#ifndef _GNU_SOURCE /* the bench compiles it alone; the Makefile passes it */
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), n = argc - 2;
	struct pollfd *p = calloc((size_t)(n > 0 ? n : 1), sizeof(*p));

	if (argc < 3 || self < 0 || !p) {
		fprintf(stderr, "usage: nslisten PORT NETNS...\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
		int one = 1, ns = open(argv[i + 2], O_RDONLY | O_CLOEXEC), s;

		if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
			perror(argv[i + 2]);
			return 1;
		}
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 64) < 0) {
			perror("listen");
			return 1;
		}
		close(ns);
		p[i].fd = s;
		p[i].events = POLLIN;
	}
	if (setns(self, CLONE_NEWNET) < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		for (int i = 0; i < n; i++) {
			int c;

			if (!(p[i].revents & POLLIN))
				continue;
			c = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				if (write(c, "ok\n", 3) < 0) {
					/* the client left: nothing to answer */
				}
				close(c);
			}
		}
	}
}
