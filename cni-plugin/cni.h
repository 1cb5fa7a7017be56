/* SPDX-License-Identifier: MIT */
/*
 * netd-cni: the CNI front end of libnetd. Private to cni-plugin/: environment and config
 * parsing (conf.c), results and errors in the shape of each cniVersion (result.c), the
 * commands (cmd.c) and the exec of a delegated IPAM plugin (delegate.c).
 */
#ifndef NETD_CNI_H
#define NETD_CNI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <netinet/in.h>
#include <jansson.h>
#include <netd/netd.h>
#include <netd/util.h>

/* The spec's well-known error codes. */
enum {
	CNI_ERR_INCOMPATIBLE = 1,  /* incompatible CNI version */
	CNI_ERR_UNKNOWN_CTR = 2,   /* unknown container */
	CNI_ERR_UNSUPPORTED = 3,   /* unsupported field in the network config */
	CNI_ERR_ENV = 4,	   /* invalid necessary environment variables */
	CNI_ERR_IO = 5,		   /* I/O failure */
	CNI_ERR_DECODE = 6,	   /* failed to decode content */
	CNI_ERR_CONFIG = 7,	   /* invalid network config */
	CNI_ERR_TRY_AGAIN = 11,	   /* try again later */
	CNI_ERR_UNAVAILABLE = 50,  /* STATUS: cannot serve ADDs */
	CNI_ERR_UNAVAILABLE2 = 51, /* STATUS: cannot serve ADDs, existing containers limited */
	CNI_ERR_GENERIC = 999,
};

#define CNI_MSG_MAX 512

struct cni_err {
	int code;
	char msg[CNI_MSG_MAX];
	char details[CNI_MSG_MAX];
};

/* Sets code and msg (details cleared); returns -1. */
int cni_err_set(struct cni_err *e, int code, const char *fmt, ...) NETD_PRINTF(3, 4);
/* Maps a libnetd error (negative errno + netd_err) to a CNI code, with a hint where useful. */
int cni_err_from_netd(struct cni_err *e, int r, const struct netd_err *ne);

/* Supported versions, oldest first; cni_version_index() is the index here or -1. */
enum { CNI_V030, CNI_V031, CNI_V040, CNI_V100, CNI_V110, CNI_NVERSIONS };
extern const char *const cni_versions[CNI_NVERSIONS];
int cni_version_index(const char *v);

enum cni_cmd { CNI_CMD_NONE, CNI_ADD, CNI_DEL, CNI_CHECK, CNI_GC, CNI_STATUS, CNI_VERSION };

/* CNI_ARGS: "K=V;K=V". Known keys: IgnoreUnknown, IP, MAC, K8S_POD_*. */
struct cni_args {
	bool ignore_unknown;
	bool has_ip; /* IP=: at most one address per family */
	struct in_addr ip;
	struct netd_ip ip6; /* family 0: none asked for */
	bool has_mac;
	uint8_t mac[6];
	char pod_name[254];
	char pod_namespace[254];
};

struct cni_env {
	enum cni_cmd cmd;
	const char *command;
	const char *containerid; /* NULL when unset or empty */
	const char *netns;
	const char *ifname;
	const char *args;
	const char *path;
	struct cni_args a;
};

/* Reads CNI_* from getenv() and checks what cmd needs (code 4 when missing or invalid). */
int cni_env_parse(struct cni_env *env, struct cni_err *e);
int cni_args_parse(const char *s, struct cni_args *a, struct cni_err *e);

/* Parsers of small values, shared with the tests. Return 0 or -1. */
int cni_parse_cidr4(const char *s, struct in_addr *ip, unsigned *prefix);
int cni_parse_ip4(const char *s, struct in_addr *ip);
int cni_parse_mac(const char *s, uint8_t mac[6]);

/* The network config from stdin. Pointers into root stay valid as long as root. */
struct cni_conf {
	json_t *root;
	const char *cni_version;
	int ver; /* index in cni_versions */
	const char *name;
	const char *type;
	const char *ipam_type; /* NULL: no ipam section or no type */
	bool ipam_delegate;    /* ipam.type names another plugin: exec it */
	const char *subnet_file;
	struct netd_netconf nc; /* from the config (subnet/ipam), before netd_netconf_finish */
	bool has_subnet, has_subnet6; /* an IPv4 / IPv6 range from ipam */
	bool bridge_set, mtu_set, masq_set, masq6_set, routes_set, gw_mode_set, internal_set,
	    icc_set;
	bool is_gateway, is_default_gateway;
	json_t *dns;	     /* borrowed, may be NULL */
	json_t *prev_result; /* borrowed, may be NULL */
	struct netd_port *ports;
	size_t n_ports;
	bool has_ip; /* runtimeConfig.ips or args.cni.ips: at most one address per family */
	struct in_addr ip;
	struct netd_ip ip6; /* family 0: none asked for */
	bool has_mac;	    /* runtimeConfig.mac */
	uint8_t mac[6];
	/* runtimeConfig.aliases (the "aliases" capability, as podman passes it): the names of
	 * this network's entry; borrowed from root. */
	const char *aliases[NETD_ALIASES_MAX];
	size_t n_aliases;
	bool has_keep; /* GC: cni.dev/valid-attachments or cni.dev/attachments */
	struct netd_attachment_ref *keep;
	size_t n_keep;
};

/*
 * Decodes and checks the config for cmd (code 6 for JSON that does not decode, 1 for an
 * unsupported cniVersion, 7 for values that make no sense). On error, c is freed.
 */
int cni_conf_parse(const char *text, size_t len, enum cni_cmd cmd, struct cni_conf *c,
		   struct cni_err *e);
void cni_conf_free(struct cni_conf *c);
/* Fills c->nc from the config (no subnet file): name, bridge, subnets and ranges of both
 * families (ipam, host-local's forms), mtu, masquerade (ipMasq, ipMasq6), routes (ipam.routes). */
int cni_conf_netconf(struct cni_conf *c, struct netd_netconf *nc, struct cni_err *e);
/* Applies the config's explicit bridge/mtu/ipMasq/ipMasq6/ipam.routes/gatewayMode over a
 * definition read from a subnet file. */
void cni_conf_overlay(const struct cni_conf *c, struct netd_netconf *nc);

/* What an ADD produced, to be written as a result. */
struct cni_iface {
	const char *name;
	bool has_mac;
	uint8_t mac[6];
	const char *sandbox; /* NULL: host side */
};

struct cni_add_result {
	struct cni_iface ifaces[3]; /* bridge, host veth, container interface */
	size_t n_ifaces;
	struct in_addr ip, gateway; /* ip INADDR_ANY: no IPv4 address */
	unsigned prefix;
	struct netd_ip ip6, gateway6; /* ip6.family 0: no IPv6 address */
	unsigned prefix6;
	const struct netd_route *routes; /* installed in the container */
	size_t n_routes;
};

/* The result JSON for conf's cniVersion (prevResult merged in when there is one). */
json_t *cni_result_build(const struct cni_conf *c, const struct cni_add_result *r,
			 struct cni_err *e);
/* Rewrites a result in place to the shape of version index ver (ips[].version for 0.x). */
int cni_result_convert(json_t *res, int ver, struct cni_err *e);
/* The addresses a delegated IPAM handed out: the first of each family in its result. */
struct cni_ipam_addrs {
	bool has_ip;
	struct in_addr ip, gateway; /* gateway INADDR_ANY: none given */
	unsigned prefix;
	struct netd_ip ip6, gateway6; /* ip6.family 0: none; gateway6.family 0: none given */
	unsigned prefix6;
};
/* At least one address, and each one's gateway of its own family (code 6 otherwise). */
int cni_result_ips(json_t *res, struct cni_ipam_addrs *a, struct cni_err *e);
/* CHECK: prevResult must describe ifname in netns with the attachment's addresses (ip
 * INADDR_ANY: none of IPv4; ip6 NULL or family 0: none of IPv6). */
int cni_prev_result_check(json_t *prev, const char *ifname, const char *netns, struct in_addr ip,
			  const struct netd_ip *ip6, struct cni_err *e);
json_t *cni_version_result(const char *cni_version);
json_t *cni_error_json(const char *cni_version, const struct cni_err *e);
/* Prints JSON on stdout with a newline; returns 0 or -1. */
int cni_print_json(json_t *j);

/* Delegated IPAM: execs CNI_PATH/type with stdin conf and CNI_COMMAND=command. */
int cni_delegate_run(const struct cni_env *env, const char *type, const char *command,
		     const char *stdin_text, size_t stdin_len, json_t **result, struct cni_err *e);

/*
 * The commands (cmd.c). Each prints its result (ADD) or nothing on stdout and returns 0, or
 * fills e and returns -1 (main prints the error). text is the config as read from stdin, handed
 * on unchanged to a delegated IPAM plugin.
 */
int cni_cmd_add(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
		struct cni_err *e);
int cni_cmd_del(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
		struct cni_err *e);
int cni_cmd_check(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
		  struct cni_err *e);
int cni_cmd_gc(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
	       struct cni_err *e);
int cni_cmd_status(const struct cni_env *env, struct cni_conf *c, const char *text, size_t len,
		   struct cni_err *e);

/* jansson's own cleanup (the others come from <netd/util.h>). */
static inline void cni_json_decrefp(json_t **j)
{
	json_decref(*j);
}

#define cni_cleanup_json __attribute__((cleanup(cni_json_decrefp)))

#endif
