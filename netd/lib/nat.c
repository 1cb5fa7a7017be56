/* SPDX-License-Identifier: MIT */
/*
 * Table ip netd in the kernel: made, replaced when its layout is old, queried, and changed one
 * atomic batch at a time (nat_build.c builds the batches, nftmsg.c sends them). Nothing outside
 * our table is touched.
 */
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include <netd/explain.h>
#include "nat.h"
#include "util.h"

#define T NETD_NFT_TABLE

/* Sends a built batch; a dry run sends nothing. The caller ends with netd_nat_explain_done(). */
static int send_built(struct netd_nft_batch *b, int built, const char *what, struct netd_err *err)
{
	if (built < 0)
		return netd_err_sys(err, -built, "%s: build nf_tables batch", what);
	if (netd_explain_dry_run())
		return 0;
	return netd_nft_batch_send(b, err);
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct netd_nat_table *info = data;
	cleanup_nft_table struct nftnl_table *t = nftnl_table_alloc();
	const void *ud;
	uint32_t len = 0;

	if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0)
		return MNL_CB_OK;
	info->exists = true;
	if (nftnl_table_is_set(t, NFTNL_TABLE_HANDLE))
		info->handle = nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE);
	ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	info->commented = ud != NULL;
	/* The comment is the only attribute we put there: a NUL-terminated TLV. */
	info->current = ud && netd_nat_layout_matches(ud, len);
	return MNL_CB_OK;
}

static int cb_ignore(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

static const char *fam_name(uint32_t fam)
{
	return fam == NFPROTO_IPV6 ? "ip6" : "ip";
}

/* True when our table of family fam has chain name (one GETCHAIN). */
static bool chain_exists(uint32_t fam, const char *name)
{
	char buf[512] = {0}, what[32];
	cleanup_nft_chain struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	struct netd_err e;

	if (!c)
		return false;
	snprintf(what, sizeof(what), "table %s " T, fam_name(fam));
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, T);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, (uint16_t)fam, 0, netd_nft_seq());
	nftnl_chain_nlmsg_build_payload(nlh, c);
	return netd_nft_request(nlh, cb_ignore, NULL, what, &e) == 0;
}

static int table_query(uint32_t fam, struct netd_nat_table *info, struct netd_err *err)
{
	char buf[512] = {0}; /* padding goes to the kernel too */
	char what[32];
	cleanup_nft_table struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int r;

	memset(info, 0, sizeof(*info));
	snprintf(what, sizeof(what), "table %s " T, fam_name(fam));
	if (!t)
		return netd_err_set(err, ENOMEM, "%s: out of memory", what);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, T);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, (uint16_t)fam, 0, netd_nft_seq());
	nftnl_table_nlmsg_build_payload(nlh, t);
	r = netd_nft_request(nlh, table_cb, info, what, err);
	if (r < 0) {
		memset(info, 0, sizeof(*info));
		if (r != -ENOENT)
			return r;
		netd_err_clear(err);
		return 0;
	}
	/*
	 * No comment at all: an older netd's table, or a kernel that keeps no table userdata
	 * (before Linux 5.13), which must not make every attach replace the table. This layout's
	 * first chain tells them apart (table ip6: chain input, new in layout 5); the extra
	 * request is made only in this case.
	 */
	if (info->exists && !info->commented)
		info->current = chain_exists(fam, fam == NFPROTO_IPV6 ? "input" : "guard");
	return 0;
}

int netd_nat_table_query(struct netd_nat_table *info, struct netd_err *err)
{
	return table_query(NFPROTO_IPV4, info, err);
}

int netd_nat_table_query6(struct netd_nat_table *info, struct netd_err *err)
{
	return table_query(NFPROTO_IPV6, info, err);
}

void netd_nat_table_get(struct netd_nat_table *info)
{
	struct netd_err e;

	if (netd_nat_table_query(info, &e) < 0)
		memset(info, 0, sizeof(*info));
}

void netd_nat_table_get6(struct netd_nat_table *info)
{
	struct netd_err e;

	if (netd_nat_table_query6(info, &e) < 0)
		memset(info, 0, sizeof(*info));
}

int netd_nat_table_probe(bool *exists, struct netd_err *err)
{
	struct netd_nat_table info;
	int r = netd_nat_table_query(&info, err);

	*exists = r == 0 && info.exists;
	return r;
}

bool netd_nat_table_exists(void)
{
	struct netd_nat_table t4, t6;

	netd_nat_table_get(&t4);
	netd_nat_table_get6(&t6);
	return t4.exists && t6.exists;
}

/* The first message of a failed batch the kernel refused, or NULL. */
static const struct netd_nft_msg *first_failed(const struct netd_nft_batch *b)
{
	for (size_t i = 0; i < b->nmsgs; i++)
		if (b->msgs[i].error)
			return &b->msgs[i];
	return NULL;
}

int netd_nat_ensure(struct netd_err *err)
{
	/* A dry run explains the tables once, as the first real ensure would create them once. */
	static bool dry_made;
	struct netd_nat_table t4, t6;
	int r = 0;

	if (netd_explain_dry_run() && dry_made)
		return 0;
	/*
	 * Bounded: each round either finds the current tables, makes them, or lost a race to a
	 * concurrent caller that changed them (then the next look sees what that caller made).
	 */
	for (int attempt = 0; attempt < 3; attempt++) {
		const struct netd_nft_msg *bad;
		struct netd_nft_batch b;
		bool raced, restore;

		/*
		 * The common case, the tables are there: one GETTABLE each costs the same at any
		 * number of elements, while the exclusive create batch the kernel refuses grows
		 * with them.
		 */
		netd_nat_table_get(&t4);
		netd_nat_table_get6(&t6);
		if (t4.exists && t4.current && t6.exists && t6.current)
			return 0;
		dry_made = netd_explain_dry_run();
		if (netd_nft_batch_init(&b, netd_nft_seq()) < 0)
			return netd_err_sys(err, ENOMEM, "tables ip/ip6 " T ": create");
		netd_nat_explain_done(false);
		r = send_built(&b, netd_nat_build_ensure(&b, &t4, &t6), "tables ip/ip6 " T, err);
		/*
		 * EEXIST on an exclusive NEWTABLE: someone made the table meanwhile (atomically,
		 * so whole). ENOENT on the DELTABLE of an old table: someone replaced or deleted
		 * it.
		 */
		bad = r < 0 ? first_failed(&b) : NULL;
		raced = bad && (bad->error == EEXIST || bad->error == ENOENT);
		netd_nat_explain_done(r == 0);
		netd_nft_batch_free(&b);
		/*
		 * The elements of a replaced table are gone, and so are those of a table made
		 * while its twin was there (it was deleted on its own): the caller restores them.
		 */
		restore = (t4.exists && !t4.current) || (t6.exists && !t6.current) ||
			  t4.exists != t6.exists;
		if (!raced)
			return r == 0 && restore ? 1 : r;
		netd_err_clear(err);
	}
	return r;
}

static int destroy_one(int (*build)(struct netd_nft_batch *b), const char *what,
		       struct netd_err *err)
{
	struct netd_nft_batch b;
	int r;

	if (netd_nft_batch_init(&b, netd_nft_seq()) < 0)
		return netd_err_sys(err, ENOMEM, "%s: delete", what);
	r = send_built(&b, build(&b), what, err);
	netd_nat_explain_done(r == 0);
	if (r == -ENOENT) {
		netd_err_clear(err);
		r = 0;
	}
	netd_nft_batch_free(&b);
	return r;
}

int netd_nat_destroy(struct netd_err *err)
{
	int r = destroy_one(netd_nat_build_destroy, "table ip " T, err);

	return r < 0 ? r : destroy_one(netd_nat_build_destroy6, "table ip6 " T, err);
}

/* The error of a build that refused its input (nothing was sent). */
static int build_error(int r, const struct netd_nat_net *net, struct netd_err *err)
{
	if (r == -EINVAL && net)
		return netd_err_set(err, EINVAL, "network %s: bad bridge name or prefix /%u",
				    net->bridge ? net->bridge : "(null)", net->prefix);
	if (r == -EINVAL)
		return netd_err_set(err, EINVAL, "network (null): bad bridge name or prefix");
	return netd_err_set(err, EAFNOSUPPORT,
			    "publish: a port of a family the container has no address of");
}

/* Starts b with net's chains and elements, added or deleted: 0 and the build's result in
 * *built (for send_built), or an error and nothing to free. */
static int network_batch(struct netd_nft_batch *b, const struct netd_nat_net *net, bool add,
			 int *built, struct netd_err *err)
{
	if (netd_nft_batch_init(b, netd_nft_seq()) < 0)
		return netd_err_sys(err, ENOMEM, "network %s", net->bridge);
	*built = netd_nat_build_network(b, net, add);
	if (*built == -EINVAL) {
		netd_nft_batch_free(b);
		return build_error(-EINVAL, net, err);
	}
	return 0;
}

int netd_nat_network_add(const struct netd_nat_net *net, struct netd_err *err)
{
	struct netd_nft_batch b;
	int r, built;

	r = netd_nat_ensure(err);
	if (r < 0)
		return r;
	r = network_batch(&b, net, true, &built, err);
	if (r < 0)
		return r;
	r = send_built(&b, built, "network", err);
	netd_nat_explain_done(r == 0);
	netd_nft_batch_free(&b);
	return r;
}

int netd_nat_attach(const struct netd_nat_net *net, const struct netd_port *ports, size_t n,
		    const struct netd_nat_ctr *ctr, struct netd_err *err)
{
	struct netd_nft_batch b;
	int r;

	for (int attempt = 0;; attempt++) {
		if (netd_nft_batch_init(&b, netd_nft_seq()) < 0)
			return netd_err_sys(err, ENOMEM, "network %s", net->bridge);
		netd_nat_explain_done(false);
		r = netd_nat_build_attach(&b, net, ports, n, ctr);
		if (r == -EINVAL || r == -EAFNOSUPPORT) {
			netd_nft_batch_free(&b);
			return build_error(r, net, err);
		}
		r = send_built(&b, r, n ? "network and publish" : "network", err);
		netd_nat_explain_done(r == 0);
		netd_nft_batch_free(&b);
		/* ENOENT: our table was deleted since the caller ensured it; once more. */
		if (r == -ENOENT && attempt == 0 && !netd_nat_table_exists()) {
			r = netd_nat_ensure(err);
			if (r < 0)
				return r;
			continue;
		}
		return r;
	}
}

/* A failed delete batch: when every error is ENOENT, redo the messages one by one (skipping
 * what is gone); teardown goes on past errors. */
static int retry_deletes(struct netd_nft_batch *b, int r, const struct netd_err *first,
			 struct netd_err *err)
{
	if (r == 0)
		return 0;
	if (b->batch_error) {
		if (err)
			*err = *first;
		return r;
	}
	return netd_nft_batch_retry_each(b, ENOENT, err);
}

int netd_nat_network_del(const struct netd_nat_net *net, struct netd_err *err)
{
	struct netd_nft_batch b;
	struct netd_err e = {0};
	int r, built;

	r = network_batch(&b, net, false, &built, err);
	if (r < 0)
		return r;
	r = send_built(&b, built, "network", &e);
	r = retry_deletes(&b, r, &e, err);
	netd_nat_explain_done(r == 0);
	netd_nft_batch_free(&b);
	return r;
}

int netd_nat_publish(const struct netd_port *ports, size_t n, const struct netd_nat_ctr *ctr,
		     struct netd_err *err)
{
	struct netd_nft_batch b;
	int r;

	if (!n)
		return 0;
	for (int attempt = 0;; attempt++) {
		if (netd_nft_batch_init(&b, netd_nft_seq()) < 0)
			return netd_err_sys(err, ENOMEM, "publish");
		netd_nat_explain_done(false);
		r = netd_nat_build_publish(&b, ports, n, ctr, true);
		if (r == -EAFNOSUPPORT) {
			netd_nft_batch_free(&b);
			return build_error(r, NULL, err);
		}
		r = send_built(&b, r, "publish", err);
		netd_nat_explain_done(r == 0);
		/* ENOENT: our table (or map) is missing; make it and try once more. */
		if (r == -ENOENT && attempt == 0 && !netd_nat_table_exists()) {
			netd_nft_batch_free(&b);
			r = netd_nat_ensure(err);
			if (r < 0)
				return r;
			continue;
		}
		netd_nft_batch_free(&b);
		return r;
	}
}

int netd_nat_unpublish(const struct netd_port *ports, size_t n, const struct netd_nat_ctr *ctr,
		       struct netd_err *err)
{
	struct netd_nft_batch b;
	struct netd_err e = {0};
	int r;

	if (!n)
		return 0;
	if (netd_nft_batch_init(&b, netd_nft_seq()) < 0)
		return netd_err_sys(err, ENOMEM, "unpublish");
	netd_nat_explain_done(false);
	r = send_built(&b, netd_nat_build_publish(&b, ports, n, ctr, false), "unpublish", &e);
	r = retry_deletes(&b, r, &e, err);
	netd_nat_explain_done(r == 0);
	netd_nft_batch_free(&b);
	return r;
}

int netd_nat_port_lookup(const struct netd_port *p, const struct netd_nat_ctr *ctr, bool *present,
			 struct netd_err *err)
{
	char buf[1024] = {0}, name[80], what[112];
	cleanup_nft_set struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct netd_nat_lookup ctx = {.found = false};
	uint8_t key[NETD_NAT_KEY_MAX], want[NETD_NAT_DATA_MAX];
	uint32_t key_len, want_len, fam = netd_nat_fam_of(p);
	const char *map = netd_nat_port_key(p, key, &key_len);
	struct netd_ip cip = fam == NFPROTO_IPV6 ? ctr->ip6 : netd_ip_from4(ctr->ip);
	struct nlmsghdr *nlh;
	int r;

	netd_nat_port_name(p, name, sizeof(name));
	snprintf(what, sizeof(what), "lookup %s: map %s %s", name, fam_name(fam), map);
	if (!s || !e) {
		if (e)
			nftnl_set_elem_free(e);
		return netd_err_sys(err, ENOMEM, "%s", what);
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, T);
	nftnl_set_set_str(s, NFTNL_SET_NAME, map);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, key_len);
	nftnl_set_elem_add(s, e);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)fam, 0, netd_nft_seq());
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	r = netd_nft_request(nlh, netd_nat_lookup_cb, &ctx, what, err);
	if (r == -ENOENT) {
		*present = false;
		return 0;
	}
	if (r < 0)
		return r;
	want_len = netd_nat_port_data(&cip, p->ctr_port, want);
	*present = ctx.found && ctx.len == want_len && memcmp(ctx.data, want, want_len) == 0;
	return 0;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	size_t *n = data;
	cleanup_nft_set struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;

	if (!s || nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		return MNL_CB_OK;
	it = nftnl_set_elems_iter_create(s);
	if (!it)
		return MNL_CB_OK;
	while (nftnl_set_elems_iter_next(it))
		(*n)++;
	nftnl_set_elems_iter_destroy(it);
	return MNL_CB_OK;
}

int netd_nat_count_ports(size_t *n, struct netd_err *err)
{
	static const char *const maps[] = {"pub_any", "pub_ip", "pub_any", "pub_ip"};
	size_t total = 0;

	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		uint32_t fam = i < 2 ? NFPROTO_IPV4 : NFPROTO_IPV6;
		char buf[512] = {0}, what[64];
		cleanup_nft_set struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *nlh;
		int r;

		if (!s)
			return netd_err_sys(err, ENOMEM, "count ports");
		snprintf(what, sizeof(what), "count ports: map %s %s", fam_name(fam), maps[i]);
		nftnl_set_set_str(s, NFTNL_SET_TABLE, T);
		nftnl_set_set_str(s, NFTNL_SET_NAME, maps[i]);
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)fam, NLM_F_DUMP,
					    netd_nft_seq());
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		r = netd_nft_request(nlh, count_cb, &total, what, err);
		if (r == -ENOENT)
			continue; /* no table: nothing published */
		if (r < 0)
			return r;
	}
	*n = total;
	return 0;
}
