/* SPDX-License-Identifier: MIT */
/*
 * rawget: what a container with CAP_NET_RAW can do that the kernel's own stack would refuse.
 * It writes one hand-made Ethernet + IPv4 + TCP SYN on an AF_PACKET socket of IFNAME, to DST_MAC
 * (e.g. its gateway's) and DST_IP:DST_PORT from SRC_IP, resends it every 200 ms, and waits up
 * to TIMEOUT_MS for any TCP answer from DST_IP:DST_PORT to SRC_IP:its port.
 *
 *   rawget IFNAME DST_MAC SRC_IP DST_IP DST_PORT [TIMEOUT_MS]
 *
 * Prints what came back and exits 0 for a SYN-ACK (something listens there and answered),
 * 3 for another TCP answer (an RST: the stack was reached, nothing listens), 1 for no answer
 * within the timeout, 2 for bad usage or a failed system call. Built static (Makefile) so that
 * it runs inside a busybox rootfs as well as in a plain network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESEND_MS 200

struct target {
	int ifindex;
	uint8_t src_mac[6], dst_mac[6];
	struct in_addr src, dst;
	uint16_t sport, dport; /* host order */
	uint32_t isn;
};

static int usage(void)
{
	fprintf(stderr, "usage: rawget IFNAME DST_MAC SRC_IP DST_IP DST_PORT [TIMEOUT_MS]\n");
	return 2;
}

static int sys_fail(const char *what)
{
	fprintf(stderr, "rawget: %s: %s\n", what, strerror(errno));
	return 2;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

static long parse_num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Ethernet + IPv4 (20 bytes) + TCP (20 bytes + MSS option): the SYN a connect() would send. */
static size_t build_syn(const struct target *t, uint8_t *buf)
{
	struct ether_header *eth = (struct ether_header *)(void *)buf;
	struct iphdr *ip = (struct iphdr *)(void *)(buf + sizeof(*eth));
	struct tcphdr *tcp = (struct tcphdr *)(void *)(buf + sizeof(*eth) + sizeof(*ip));
	uint8_t *opt = (uint8_t *)(tcp + 1);
	size_t tcp_len = sizeof(*tcp) + 4;
	struct {
		uint32_t src, dst;
		uint8_t zero, proto;
		uint16_t len;
	} pseudo = {t->src.s_addr, t->dst.s_addr, 0, IPPROTO_TCP, htons((uint16_t)tcp_len)};
	uint32_t sum;

	memset(buf, 0, sizeof(*eth) + sizeof(*ip) + tcp_len);
	memcpy(eth->ether_dhost, t->dst_mac, 6);
	memcpy(eth->ether_shost, t->src_mac, 6);
	eth->ether_type = htons(ETHERTYPE_IP);

	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + tcp_len));
	ip->id = htons((uint16_t)getpid());
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = t->src.s_addr;
	ip->daddr = t->dst.s_addr;
	ip->check = csum_fold(csum_add(0, ip, sizeof(*ip)));

	tcp->source = htons(t->sport);
	tcp->dest = htons(t->dport);
	tcp->seq = htonl(t->isn);
	tcp->doff = (uint16_t)(tcp_len / 4);
	tcp->syn = 1;
	tcp->window = htons(64240);
	opt[0] = TCPOPT_MAXSEG;
	opt[1] = TCPOLEN_MAXSEG;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 0xff;
	sum = csum_add(0, &pseudo, sizeof(pseudo));
	sum = csum_add(sum, tcp, tcp_len);
	tcp->check = csum_fold(sum);
	return sizeof(*eth) + sizeof(*ip) + tcp_len;
}

/* 0: not an answer to our SYN; else the TCP flags byte of the answer. */
static int answer_flags(const struct target *t, const uint8_t *buf, size_t len)
{
	const struct ether_header *eth = (const void *)buf;
	const struct iphdr *ip = (const void *)(buf + sizeof(*eth));
	const struct tcphdr *tcp;
	size_t ihl;

	if (len < sizeof(*eth) + sizeof(*ip) || ntohs(eth->ether_type) != ETHERTYPE_IP)
		return 0;
	ihl = (size_t)ip->ihl * 4;
	if (ip->version != 4 || ihl < sizeof(*ip) || ip->protocol != IPPROTO_TCP ||
	    len < sizeof(*eth) + ihl + sizeof(*tcp))
		return 0;
	tcp = (const void *)(buf + sizeof(*eth) + ihl);
	if (ip->saddr != t->dst.s_addr || ip->daddr != t->src.s_addr ||
	    ntohs(tcp->source) != t->dport || ntohs(tcp->dest) != t->sport)
		return 0;
	return buf[sizeof(*eth) + ihl + 13] | 0x100; /* never 0, even for no flags */
}

int main(int argc, char **argv)
{
	struct target t = {0};
	struct sockaddr_ll to = {0}, bind_to = {0};
	struct ifreq ifr = {0};
	uint8_t frame[128], rbuf[2048];
	long timeout, port, start, last_send;
	size_t flen;
	int fd;

	if (argc != 6 && argc != 7)
		return usage();
	port = parse_num(argv[5], 1, 65535);
	timeout = argc == 7 ? parse_num(argv[6], 1, 600000) : 2000;
	if (strlen(argv[1]) >= IFNAMSIZ || parse_mac(argv[2], t.dst_mac) < 0 ||
	    inet_pton(AF_INET, argv[3], &t.src) != 1 || inet_pton(AF_INET, argv[4], &t.dst) != 1 ||
	    port < 0 || timeout < 0)
		return usage();
	t.dport = (uint16_t)port;
	srand((unsigned)(getpid() ^ now_ms()));
	t.sport = (uint16_t)(40000 + rand() % 20000);
	t.isn = (uint32_t)rand();

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0)
		return sys_fail("AF_PACKET socket (needs CAP_NET_RAW)");
	memcpy(ifr.ifr_name, argv[1], strlen(argv[1]));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return sys_fail(argv[1]);
	t.ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return sys_fail(argv[1]);
	memcpy(t.src_mac, ifr.ifr_hwaddr.sa_data, 6);
	bind_to.sll_family = AF_PACKET;
	bind_to.sll_protocol = htons(ETH_P_IP);
	bind_to.sll_ifindex = t.ifindex;
	if (bind(fd, (struct sockaddr *)&bind_to, sizeof(bind_to)) < 0)
		return sys_fail("bind");
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_IP);
	to.sll_ifindex = t.ifindex;
	to.sll_halen = 6;
	memcpy(to.sll_addr, t.dst_mac, 6);
	flen = build_syn(&t, frame);

	start = now_ms();
	last_send = start - RESEND_MS;
	for (;;) {
		long now = now_ms(), wait;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r;

		if (now - start >= timeout)
			break;
		if (now - last_send >= RESEND_MS) {
			if (sendto(fd, frame, flen, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
				return sys_fail("send");
			last_send = now;
		}
		wait = last_send + RESEND_MS - now;
		if (wait > start + timeout - now)
			wait = start + timeout - now;
		r = poll(&p, 1, (int)(wait > 0 ? wait : 0));
		if (r < 0 && errno != EINTR)
			return sys_fail("poll");
		while (r > 0) {
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fl);
			int flags;

			if (n < 0)
				break;
			if (from.sll_pkttype == PACKET_OUTGOING)
				continue;
			flags = answer_flags(&t, rbuf, (size_t)n);
			if (!flags)
				continue;
			if ((flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
				printf("syn-ack from %s:%ld\n", argv[4], port);
				return 0;
			}
			printf("tcp answer (flags 0x%02x%s) from %s:%ld\n", flags & 0xff,
			       flags & TH_RST ? ", rst" : "", argv[4], port);
			return 3;
		}
	}
	printf("no reply from %s:%ld within %ld ms\n", argv[4], port, timeout);
	return 1;
}
