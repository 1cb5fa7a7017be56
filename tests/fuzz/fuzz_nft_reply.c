/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: what nf_tables answers. The ACKs and errors of a batch (matched back to the
 * batch's messages by sequence number, with the kernel's extended-ack text) and a GETSETELEM
 * reply (the lookup of a published port), both read from the same datagram. The first byte
 * gives the number of messages in the batch (0-7); the rest is the datagram.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include "nat.h"

#define SEQ 1000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_nft_batch b;
	struct netd_err err = {0};
	struct netd_nat_lookup elem;
	size_t nmsgs, len;
	void *buf;
	int r;

	if (size < 1 || size > 1 << 16)
		return 0;
	nmsgs = data[0] % 8;
	len = size - 1;
	if (netd_nft_batch_init(&b, SEQ) < 0)
		return 0;
	for (size_t i = 0; i < nmsgs; i++)
		if (!netd_nft_batch_add(&b, NFPROTO_IPV4, NFT_MSG_NEWSETELEM, 0, "message %zu", i))
			abort();
	if (netd_nft_batch_end(&b) < 0)
		abort();
	/* netlink messages are read in place: give them an aligned buffer of their own */
	buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, len);

	r = netd_nft_batch_parse_acks(&b, buf, len);
	if (r > 1 || (r < 0 && r != -EBADMSG && r != -EINVAL))
		abort();
	if (b.acked > b.nmsgs + len / 16)
		abort();
	r = netd_nft_batch_result(&b, &err);
	if (r > 0 || (r < 0 && (err.code != -r || !memchr(err.msg, '\0', sizeof(err.msg)))))
		abort();
	if (!memchr(b.extack, '\0', sizeof(b.extack)))
		abort();
	netd_nft_batch_free(&b);

	r = netd_nat_parse_lookup(buf, len, SEQ, &elem);
	if (r > 1 || elem.len > sizeof(elem.data))
		abort();
	free(buf);
	return 0;
}
