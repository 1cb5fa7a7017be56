/* SPDX-License-Identifier: MIT */
/* nf_tables message builders and ACK matching, without a kernel: what nat.c would send. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <cmocka.h>
#include "nat.h"

static struct netd_port port(const char *hip, uint16_t hport, uint16_t cport, uint8_t proto)
{
	struct netd_port p = {0};

	inet_pton(AF_INET, hip, &p.host_ip);
	p.host_port = hport;
	p.ctr_port = cport;
	p.proto = proto;
	return p;
}

static const struct nlmsghdr *msg_at(const struct netd_nft_batch *b, size_t i)
{
	return (const struct nlmsghdr *)(const void *)(b->buf + b->msgs[i].off);
}

static uint16_t msg_type(const struct netd_nft_batch *b, size_t i)
{
	return msg_at(b, i)->nlmsg_type & 0xff;
}

static bool has_what(const struct netd_nft_batch *b, const char *needle)
{
	for (size_t i = 0; i < b->nmsgs; i++)
		if (strstr(b->msgs[i].what, needle))
			return true;
	return false;
}

static void test_port_key(void **state)
{
	struct netd_port any = port("0.0.0.0", 8080, 80, IPPROTO_TCP);
	struct netd_port lo = port("127.0.0.1", 53, 5353, IPPROTO_UDP);
	uint8_t key[12], data[8];
	struct in_addr ctr;
	uint32_t len;
	char name[64];

	(void)state;
	assert_string_equal(netd_nat_port_key(&any, key, &len), "pub_any");
	assert_int_equal(len, 8);
	assert_int_equal(key[0], IPPROTO_TCP);
	assert_int_equal(key[4] << 8 | key[5], 8080); /* network order, after the padded proto */
	assert_string_equal(netd_nat_port_key(&lo, key, &len), "pub_ip");
	assert_int_equal(len, 12);
	assert_memory_equal(key, "\x7f\x00\x00\x01", 4);
	assert_int_equal(key[4], IPPROTO_UDP);
	assert_int_equal(key[8] << 8 | key[9], 53);

	inet_pton(AF_INET, "10.1.2.3", &ctr);
	netd_nat_port_data(ctr, 80, data);
	assert_memory_equal(data, "\x0a\x01\x02\x03\x00\x50\x00\x00", 8);
	netd_nat_port_name(&lo, name, sizeof(name));
	assert_string_equal(name, "127.0.0.1:53/udp");
}

static void test_build_ensure(void **state)
{
	struct netd_nft_batch b;

	(void)state;
	assert_int_equal(netd_nft_batch_init(&b, 100), 0);
	assert_int_equal(netd_nat_build_ensure(&b), 0);
	assert_true(b.ended);
	/* The table first, exclusively: a second ensure fails as a whole instead of doubling. */
	assert_int_equal(msg_type(&b, 0), NFT_MSG_NEWTABLE);
	assert_true(msg_at(&b, 0)->nlmsg_flags & NLM_F_EXCL);
	for (size_t i = 0; i < b.nmsgs; i++) {
		assert_true(msg_at(&b, i)->nlmsg_flags & NLM_F_ACK);
		assert_int_equal(b.msgs[i].seq, 101 + i); /* BEGIN took 100 */
	}
	assert_true(has_what(&b, "set pub_any"));
	assert_true(has_what(&b, "set pub_ip"));
	assert_true(has_what(&b, "set bridge_self"));
	assert_true(has_what(&b, "chain prerouting"));
	assert_true(has_what(&b, "rule same bridge accept"));
	assert_true(has_what(&b, "rule isolation drop"));
	/* Rules are appended in order: same-bridge accept must come before the isolation drop. */
	{
		size_t same = 0, drop = 0;

		for (size_t i = 0; i < b.nmsgs; i++) {
			if (strstr(b.msgs[i].what, "same bridge accept"))
				same = i;
			if (strstr(b.msgs[i].what, "isolation drop"))
				drop = i;
		}
		assert_true(same < drop);
	}
	netd_nft_batch_free(&b);
}

/* Publishing is one element message per port, whatever else is published: cost stays flat. */
static void test_build_publish(void **state)
{
	struct netd_port ports[3] = {
	    port("0.0.0.0", 8080, 80, IPPROTO_TCP),
	    port("127.0.0.1", 8081, 80, IPPROTO_TCP),
	    port("0.0.0.0", 5353, 53, IPPROTO_UDP),
	};
	struct in_addr ctr;
	struct netd_nft_batch b;

	(void)state;
	inet_pton(AF_INET, "10.1.2.3", &ctr);
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 3, ctr, true), 0);
	assert_int_equal(b.nmsgs, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(msg_type(&b, i), NFT_MSG_NEWSETELEM);
		/* add refuses an existing element: a port never silently moves to another container
		 */
		assert_true(msg_at(&b, i)->nlmsg_flags & NLM_F_EXCL);
	}
	assert_non_null(strstr(b.msgs[0].what, "publish 0.0.0.0:8080/tcp: map pub_any"));
	assert_non_null(strstr(b.msgs[1].what, "publish 127.0.0.1:8081/tcp: map pub_ip"));
	assert_non_null(strstr(b.msgs[2].what, "5353/udp"));
	netd_nft_batch_free(&b);

	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 1, ctr, false), 0);
	assert_int_equal(b.nmsgs, 1);
	assert_int_equal(msg_type(&b, 0), NFT_MSG_DELSETELEM);
	assert_non_null(strstr(b.msgs[0].what, "unpublish"));
	netd_nft_batch_free(&b);
}

static void test_build_network(void **state)
{
	struct netd_nat_net net = {.bridge = "br-lab", .prefix = 24, .masquerade = true};
	struct netd_nft_batch b;

	(void)state;
	inet_pton(AF_INET, "10.9.8.0", &net.subnet);
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, true), 0);
	/* nets, masq_nets, bridges, bridge_self */
	assert_int_equal(b.nmsgs, 4);
	assert_true(has_what(&b, "network br-lab (10.9.8.0/24): set masq_nets"));
	assert_true(has_what(&b, "set bridge_self"));
	netd_nft_batch_free(&b);

	net.masquerade = false;
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, true), 0);
	assert_int_equal(b.nmsgs, 3);
	assert_false(has_what(&b, "masq_nets"));
	netd_nft_batch_free(&b);

	/* Removal always cleans masq_nets: the flag may have changed since the add. */
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, false), 0);
	assert_int_equal(b.nmsgs, 4);
	netd_nft_batch_free(&b);

	net.bridge = "a-bridge-name-far-too-long";
	assert_int_equal(netd_nft_batch_init(&b, 1), 0);
	assert_int_equal(netd_nat_build_network(&b, &net, true), -EINVAL);
	netd_nft_batch_free(&b);
}

/* An NLMSG_ERROR ACK for seq with error (negative errno or 0). */
static size_t put_ack(char *buf, uint32_t seq, int error)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;
	struct nlmsgerr *e = NLMSG_DATA(h);

	memset(buf, 0, NLMSG_SPACE(sizeof(*e)));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = NLM_F_CAPPED;
	h->nlmsg_seq = seq;
	e->error = error;
	e->msg.nlmsg_seq = seq;
	return NLMSG_SPACE(sizeof(*e));
}

static void test_acks(void **state)
{
	struct netd_port ports[2] = {port("0.0.0.0", 8080, 80, IPPROTO_TCP),
				     port("0.0.0.0", 8081, 81, IPPROTO_TCP)};
	struct in_addr ctr = {htonl(0x0a000002)};
	struct netd_nft_batch b;
	struct netd_err err = {0};
	_Alignas(4) char buf[512];
	size_t n = 0;

	(void)state;
	/* all fine: one ACK per message */
	assert_int_equal(netd_nft_batch_init(&b, 10), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 2, ctr, true), 0);
	n = put_ack(buf, 11, 0);
	assert_int_equal(netd_nft_batch_parse_acks(&b, buf, n), 0); /* one more expected */
	n = put_ack(buf, 12, 0);
	assert_int_equal(netd_nft_batch_parse_acks(&b, buf, n), 1);
	assert_int_equal(netd_nft_batch_result(&b, &err), 0);
	netd_nft_batch_free(&b);

	/* the second element exists: the error names that port, not the first */
	assert_int_equal(netd_nft_batch_init(&b, 10), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 2, ctr, true), 0);
	n = put_ack(buf, 11, 0);
	n += put_ack(buf + n, 12, -EEXIST);
	assert_int_equal(netd_nft_batch_parse_acks(&b, buf, n), 1);
	assert_int_equal(netd_nft_batch_result(&b, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "8081/tcp"));
	netd_nft_batch_free(&b);

	/* an error addressed to BEGIN fails the whole batch at once */
	assert_int_equal(netd_nft_batch_init(&b, 10), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 2, ctr, true), 0);
	n = put_ack(buf, 10, -EPERM);
	assert_int_equal(netd_nft_batch_parse_acks(&b, buf, n), 1);
	assert_int_equal(netd_nft_batch_result(&b, &err), -EPERM);
	netd_nft_batch_free(&b);

	/* a truncated ACK is malformed input, not a success */
	assert_int_equal(netd_nft_batch_init(&b, 10), 0);
	assert_int_equal(netd_nat_build_publish(&b, ports, 1, ctr, true), 0);
	n = put_ack(buf, 11, 0);
	((struct nlmsghdr *)(void *)buf)->nlmsg_len = NLMSG_LENGTH(2);
	assert_true(netd_nft_batch_parse_acks(&b, buf, NLMSG_SPACE(2)) < 0);
	netd_nft_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_port_key),	  cmocka_unit_test(test_build_ensure),
	    cmocka_unit_test(test_build_publish), cmocka_unit_test(test_build_network),
	    cmocka_unit_test(test_acks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
