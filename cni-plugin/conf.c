/* SPDX-License-Identifier: MIT */
/* netd-cni: the CNI_* environment, CNI_ARGS and the network config on stdin. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netd/addr.h>
#include "cni.h"

const char *const cni_versions[CNI_NVERSIONS] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};

int cni_version_index(const char *v)
{
	if (!v)
		return -1;
	for (int i = 0; i < CNI_NVERSIONS; i++)
		if (strcmp(v, cni_versions[i]) == 0)
			return i;
	return -1;
}

int cni_err_set(struct cni_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->details[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- small values ---- */

int cni_parse_ip4(const char *s, struct in_addr *ip)
{
	return netd_ip4_parse(s, ip, NULL) == 0 ? 0 : -1;
}

int cni_parse_cidr4(const char *s, struct in_addr *ip, unsigned *prefix)
{
	struct netd_prefix p;

	if (netd_prefix_parse(s, AF_INET, &p, NULL) < 0)
		return -1;
	*ip = p.ip.v4;
	*prefix = p.len;
	return 0;
}

int cni_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[NETD_MAC_LEN];

	if (netd_mac_parse(s, m, NULL) < 0)
		return -1;
	/* A container interface needs a unicast address. */
	if (m[0] & 1)
		return -1;
	memcpy(mac, m, 6);
	return 0;
}

/*
 * A requested address ("10.1.2.3", "fd00::3", either with a /prefix, which host-local ignores
 * too) into the slot of its family: 0; -EINVAL when s is no address, -EEXIST when that family's
 * slot holds another address (one per family, as host-local hands out one per range set; it
 * merges its sources, so the same address twice is one request).
 */
static int take_ip(const char *s, bool *has4, struct in_addr *ip4, struct netd_ip *ip6)
{
	struct netd_prefix p;
	struct netd_ip ip;

	if (netd_ip_parse(s, AF_UNSPEC, &ip, NULL) < 0) {
		if (netd_prefix_parse(s, AF_UNSPEC, &p, NULL) < 0)
			return -EINVAL;
		ip = p.ip;
	}
	if (ip.family == AF_INET) {
		if (*has4 && ip4->s_addr != ip.v4.s_addr)
			return -EEXIST;
		*has4 = true;
		*ip4 = ip.v4;
	} else {
		if (ip6->family && !netd_ip_equal(ip6, &ip))
			return -EEXIST;
		*ip6 = ip;
	}
	return 0;
}

static const char *family_of(const char *s)
{
	return strchr(s, ':') ? "IPv6" : "IPv4";
}

/* take_ip for the JSON lists (runtimeConfig.ips, args.cni.ips), errors naming key[i]. */
static int take_json_ips(struct cni_conf *c, json_t *ips, const char *key, struct cni_err *e)
{
	json_t *v;
	size_t i;

	json_array_foreach(ips, i, v)
	{
		const char *s = json_string_value(v);
		int r;

		if (!s)
			return cni_err_set(e, CNI_ERR_CONFIG, "%s[%zu]: expected a string", key, i);
		r = take_ip(s, &c->has_ip, &c->ip, &c->ip6);
		if (r == -EINVAL)
			return cni_err_set(e, CNI_ERR_CONFIG,
					   "%s[%zu]: \"%.64s\" is not an IP address", key, i, s);
		if (r == -EEXIST)
			return cni_err_set(e, CNI_ERR_CONFIG,
					   "%s[%zu]: a second %s address (%.64s); one address per "
					   "family",
					   key, i, family_of(s), s);
	}
	return 0;
}

/* ---- environment ---- */

static const char *env_get(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static const struct {
	const char *name;
	enum cni_cmd cmd;
} commands[] = {
    {"ADD", CNI_ADD}, {"DEL", CNI_DEL},	      {"CHECK", CNI_CHECK},
    {"GC", CNI_GC},   {"STATUS", CNI_STATUS}, {"VERSION", CNI_VERSION},
};

static int take_value(char *dst, size_t len, const char *v, size_t vlen, const char *key,
		      struct cni_err *e)
{
	if (vlen >= len)
		return cni_err_set(e, CNI_ERR_ENV, "CNI_ARGS: %s is too long (%zu bytes)", key,
				   vlen);
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	return 0;
}

int cni_args_parse(const char *s, struct cni_args *a, struct cni_err *e)
{
	char unknown[64] = "";
	const char *p = s;

	memset(a, 0, sizeof(*a));
	if (!s)
		return 0;
	/* Whether unknown keys are an error depends on IgnoreUnknown wherever it appears. */
	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t klen, vlen;
		const char *v;
		char key[64], val[256];

		if (len == 0) {
			p = end ? end + 1 : NULL;
			continue;
		}
		if (!eq)
			return cni_err_set(
			    e, CNI_ERR_ENV,
			    "CNI_ARGS: \"%.*s\" is not KEY=VALUE (pairs are separated "
			    "by ';')",
			    (int)(len > 64 ? 64 : len), p);
		klen = (size_t)(eq - p);
		v = eq + 1;
		vlen = len - klen - 1;
		if (klen == 0 || klen >= sizeof(key))
			return cni_err_set(e, CNI_ERR_ENV, "CNI_ARGS: bad key in \"%.*s\"",
					   (int)(len > 64 ? 64 : len), p);
		memcpy(key, p, klen);
		key[klen] = '\0';
		if (strcmp(key, "IgnoreUnknown") == 0) {
			if (take_value(val, sizeof(val), v, vlen, key, e) < 0)
				return -1;
			a->ignore_unknown = strcmp(val, "1") == 0 || strcasecmp(val, "true") == 0;
		} else if (strcmp(key, "IP") == 0) {
			char *tok, *save = NULL;

			if (take_value(val, sizeof(val), v, vlen, key, e) < 0)
				return -1;
			/* host-local's form: IP=10.0.0.5 or a list IP=10.0.0.5,fd00::5 */
			for (tok = strtok_r(val, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				int r = take_ip(tok, &a->has_ip, &a->ip, &a->ip6);

				if (r == -EINVAL)
					return cni_err_set(e, CNI_ERR_ENV,
							   "CNI_ARGS: IP=%s is not an IP address",
							   tok);
				if (r == -EEXIST)
					return cni_err_set(e, CNI_ERR_ENV,
							   "CNI_ARGS: IP= has a second %s address "
							   "(%s); one address per family",
							   family_of(tok), tok);
			}
		} else if (strcmp(key, "MAC") == 0) {
			if (take_value(val, sizeof(val), v, vlen, key, e) < 0)
				return -1;
			if (val[0]) {
				if (cni_parse_mac(val, a->mac) < 0)
					return cni_err_set(e, CNI_ERR_ENV,
							   "CNI_ARGS: MAC=%s is not a unicast MAC "
							   "address (aa:bb:cc:dd:ee:ff)",
							   val);
				a->has_mac = true;
			}
		} else if (strcmp(key, "K8S_POD_NAME") == 0) {
			if (take_value(a->pod_name, sizeof(a->pod_name), v, vlen, key, e) < 0)
				return -1;
		} else if (strcmp(key, "K8S_POD_NAMESPACE") == 0) {
			if (take_value(a->pod_namespace, sizeof(a->pod_namespace), v, vlen, key,
				       e) < 0)
				return -1;
		} else if (strcmp(key, "K8S_POD_INFRA_CONTAINER_ID") == 0 ||
			   strcmp(key, "K8S_POD_UID") == 0) {
			/* known, not needed */
		} else if (!unknown[0]) {
			snprintf(unknown, sizeof(unknown), "%s", key);
		}
		p = end ? end + 1 : NULL;
	}
	if (unknown[0] && !a->ignore_unknown)
		return cni_err_set(
		    e, CNI_ERR_ENV,
		    "CNI_ARGS: unknown key %s (add IgnoreUnknown=1 to pass keys this "
		    "plugin does not use)",
		    unknown);
	return 0;
}

int cni_env_parse(struct cni_env *env, struct cni_err *e)
{
	struct netd_err ne = {0};

	memset(env, 0, sizeof(*env));
	env->command = env_get("CNI_COMMAND");
	env->containerid = env_get("CNI_CONTAINERID");
	env->netns = env_get("CNI_NETNS");
	env->ifname = env_get("CNI_IFNAME");
	env->args = env_get("CNI_ARGS");
	env->path = env_get("CNI_PATH");
	if (!env->command)
		return cni_err_set(e, CNI_ERR_ENV,
				   "CNI_COMMAND is not set (one of ADD, DEL, CHECK, GC, STATUS, "
				   "VERSION)");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(env->command, commands[i].name) == 0)
			env->cmd = commands[i].cmd;
	if (env->cmd == CNI_CMD_NONE)
		return cni_err_set(
		    e, CNI_ERR_ENV,
		    "CNI_COMMAND=%.32s is not a CNI command (one of ADD, DEL, CHECK, "
		    "GC, STATUS, VERSION)",
		    env->command);
	if (env->cmd != CNI_ADD && env->cmd != CNI_DEL && env->cmd != CNI_CHECK)
		return 0;

	if (!env->containerid)
		return cni_err_set(e, CNI_ERR_ENV, "CNI_CONTAINERID is not set");
	if (netd_name_check_id(env->containerid, &ne) < 0)
		return cni_err_set(e, CNI_ERR_ENV, "CNI_CONTAINERID: %s", ne.msg);
	if (!env->ifname)
		return cni_err_set(e, CNI_ERR_ENV, "CNI_IFNAME is not set");
	if (netd_name_check_ifname(env->ifname, &ne) < 0)
		return cni_err_set(e, CNI_ERR_ENV, "CNI_IFNAME: %s", ne.msg);
	/* DEL may come after the sandbox is gone, with CNI_NETNS empty (containerd does that). */
	if (env->cmd != CNI_DEL && !env->netns)
		return cni_err_set(e, CNI_ERR_ENV, "CNI_NETNS is not set");
	if (env->netns && strlen(env->netns) >= NETD_NETNS_PATH_MAX)
		return cni_err_set(e, CNI_ERR_ENV, "CNI_NETNS is too long (at most %d bytes)",
				   NETD_NETNS_PATH_MAX - 1);
	return cni_args_parse(env->args, &env->a, e);
}

/* ---- the network config ---- */

void cni_conf_free(struct cni_conf *c)
{
	free(c->ports);
	free(c->keep);
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* Optional string value v of member key: 0 and *out NULL when v is absent (or null), -1 when
 * of another type. */
static int str_value(json_t *v, const char *where, const char *key, const char **out,
		     struct cni_err *e)
{
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cni_err_set(e, CNI_ERR_CONFIG, "%s%s: expected a string, got %s", where, key,
				   json_kind(v));
	*out = json_string_value(v);
	return 0;
}

static int get_str(json_t *obj, const char *where, const char *key, const char **out,
		   struct cni_err *e)
{
	return str_value(json_object_get(obj, key), where, key, out, e);
}

/*
 * A member matched as Go's encoding/json matches a struct field: the exact name, else the
 * name in any case. Runtimes written in Go rely on it: containerd's CRI plugin (go-cni, whose
 * PortMapping has no json tags) sends {"HostPort": 8080, "ContainerPort": 80, "Protocol":
 * "tcp", "HostIP": ""}, which the reference portmap plugin reads as hostPort, containerPort...
 */
static json_t *go_member(json_t *obj, const char *key)
{
	const char *k;
	json_t *v = json_object_get(obj, key);

	if (v)
		return v;
	json_object_foreach(obj, k, v)
	{
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

static int get_bool(json_t *obj, const char *where, const char *key, bool *out, bool *set,
		    struct cni_err *e)
{
	json_t *v = json_object_get(obj, key);

	if (set)
		*set = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return cni_err_set(e, CNI_ERR_CONFIG, "%s%s: expected true or false, got %s", where,
				   key, json_kind(v));
	*out = json_is_true(v);
	if (set)
		*set = true;
	return 0;
}

/* Optional member key of obj of type want (an object or an array): *out NULL when absent. */
static int get_typed(json_t *obj, const char *where, const char *key, json_type want, json_t **out,
		     struct cni_err *e)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_typeof(v) != want)
		return cni_err_set(e, CNI_ERR_CONFIG, "%s%s: expected %s, got %s", where, key,
				   want == JSON_OBJECT ? "an object" : "an array", json_kind(v));
	*out = v;
	return 0;
}

static int get_obj(json_t *obj, const char *where, const char *key, json_t **out, struct cni_err *e)
{
	return get_typed(obj, where, key, JSON_OBJECT, out, e);
}

static int get_arr(json_t *obj, const char *where, const char *key, json_t **out, struct cni_err *e)
{
	return get_typed(obj, where, key, JSON_ARRAY, out, e);
}

/*
 * Calls fn for each element of arr, a list of objects named key in messages: at is "KEY[I]",
 * where "KEY[I]." (the prefix get_str and friends take).
 */
typedef int (*object_fn)(json_t *o, const char *at, const char *where, void *arg,
			 struct cni_err *e);
static int each_object(json_t *arr, const char *key, object_fn fn, void *arg, struct cni_err *e)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		char at[96], where[100];

		snprintf(at, sizeof(at), "%s[%zu]", key, i);
		snprintf(where, sizeof(where), "%s.", at);
		if (!json_is_object(v))
			return cni_err_set(e, CNI_ERR_CONFIG, "%s: expected an object, got %s", at,
					   json_kind(v));
		if (fn(v, at, where, arg, e) < 0)
			return -1;
	}
	return 0;
}

/* A JSON integer in [lo, hi]; whole-valued reals are accepted too (some tools write 80.0). */
static int int_in(json_t *v, long lo, long hi, long *out)
{
	double d;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < lo || i > hi)
			return -1;
		*out = (long)i;
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d < (double)lo || d > (double)hi || d != (double)(long)d)
			return -1;
		*out = (long)d;
		return 0;
	}
	return -1;
}

/* One of runtimeConfig.portMappings, into the next of c->ports. */
static int parse_port(json_t *pm, const char *at, const char *where, void *conf, struct cni_err *e)
{
	struct cni_conf *c = conf;
	struct netd_port *p = &c->ports[c->n_ports];
	const char *proto = NULL, *host_ip = NULL;
	json_t *hp, *cp;
	long hport, cport;

	(void)at;
	hp = go_member(pm, "hostPort");
	cp = go_member(pm, "containerPort");
	if (!hp || int_in(hp, 1, 65535, &hport) < 0)
		return cni_err_set(e, CNI_ERR_CONFIG, "%shostPort: expected a port 1-65535", where);
	if (!cp || int_in(cp, 1, 65535, &cport) < 0)
		return cni_err_set(e, CNI_ERR_CONFIG, "%scontainerPort: expected a port 1-65535",
				   where);
	if (str_value(go_member(pm, "protocol"), where, "protocol", &proto, e) < 0 ||
	    str_value(go_member(pm, "hostIP"), where, "hostIP", &host_ip, e) < 0)
		return -1;
	memset(p, 0, sizeof(*p));
	if (!proto || !*proto) {
		p->proto = NETD_PROTO_TCP;
	} else {
		char lower[8];
		size_t n = strlen(proto);

		if (n >= sizeof(lower))
			n = sizeof(lower) - 1;
		for (size_t k = 0; k < n; k++)
			lower[k] = (char)tolower((unsigned char)proto[k]);
		lower[n] = '\0';
		p->proto = netd_proto_from_name(lower);
		if (!p->proto || strlen(proto) >= sizeof(lower))
			return cni_err_set(e, CNI_ERR_CONFIG,
					   "%sprotocol: \"%.16s\" is not tcp, udp or sctp", where,
					   proto);
	}
	/* An IPv6 hostIP is kept here; cmd.c drops it when the network gives no IPv6 address. */
	if (host_ip && *host_ip && netd_ip_parse(host_ip, AF_UNSPEC, &p->host_ip, NULL) < 0)
		return cni_err_set(e, CNI_ERR_CONFIG, "%shostIP: \"%.64s\" is not an IP address",
				   where, host_ip);
	p->host_port = (uint16_t)hport;
	p->host_port_max = 0;
	p->ctr_port = (uint16_t)cport;
	c->n_ports++;
	return 0;
}

/* "aliases": {"NETWORK": ["web", "www"]}: the names on this network (dns.h). */
static int parse_aliases(struct cni_conf *c, json_t *rc, struct cni_err *e)
{
	json_t *all = NULL, *mine, *v;
	struct netd_err ne;
	size_t i;

	if (get_obj(rc, "runtimeConfig.", "aliases", &all, e) < 0)
		return -1;
	mine = all && c->name ? json_object_get(all, c->name) : NULL;
	if (!mine)
		return 0;
	if (!json_is_array(mine))
		return cni_err_set(e, CNI_ERR_CONFIG, "runtimeConfig.aliases.%s: expected an array",
				   c->name);
	json_array_foreach(mine, i, v)
	{
		const char *a = json_string_value(v);

		if (!a || netd_name_check_dns(a, &ne) < 0)
			return cni_err_set(e, CNI_ERR_CONFIG, "runtimeConfig.aliases.%s[%zu]: %s",
					   c->name, i, a ? ne.msg : "expected a string");
		if (c->n_aliases == NETD_ALIASES_MAX)
			return cni_err_set(e, CNI_ERR_CONFIG,
					   "runtimeConfig.aliases.%s: more than %d names", c->name,
					   NETD_ALIASES_MAX);
		c->aliases[c->n_aliases++] = a;
	}
	return 0;
}

static int parse_runtime_config(struct cni_conf *c, struct cni_err *e)
{
	json_t *rc, *pms = NULL, *ips = NULL;
	const char *mac = NULL;

	if (get_obj(c->root, "", "runtimeConfig", &rc, e) < 0)
		return -1;
	if (!rc)
		return 0;
	if (get_arr(rc, "runtimeConfig.", "portMappings", &pms, e) < 0 ||
	    get_arr(rc, "runtimeConfig.", "ips", &ips, e) < 0 ||
	    get_str(rc, "runtimeConfig.", "mac", &mac, e) < 0)
		return -1;
	if (pms && json_array_size(pms)) {
		if (json_array_size(pms) > 4096)
			return cni_err_set(e, CNI_ERR_CONFIG,
					   "runtimeConfig.portMappings: %zu entries (at most 4096)",
					   json_array_size(pms));
		c->ports = calloc(json_array_size(pms), sizeof(*c->ports));
		if (!c->ports)
			return cni_err_set(e, CNI_ERR_GENERIC, "out of memory");
		if (each_object(pms, "runtimeConfig.portMappings", parse_port, c, e) < 0)
			return -1;
	}
	if (ips && take_json_ips(c, ips, "runtimeConfig.ips", e) < 0)
		return -1;
	if (mac && *mac) {
		if (cni_parse_mac(mac, c->mac) < 0)
			return cni_err_set(
			    e, CNI_ERR_CONFIG,
			    "runtimeConfig.mac: \"%.32s\" is not a unicast MAC address", mac);
		c->has_mac = true;
	}
	return parse_aliases(c, rc, e);
}

/* host-local's "args": {"cni": {"ips": [...]}} */
static int parse_args_ips(struct cni_conf *c, struct cni_err *e)
{
	json_t *args, *cni, *ips;

	if (get_obj(c->root, "", "args", &args, e) < 0)
		return -1;
	if (!args)
		return 0;
	if (get_obj(args, "args.", "cni", &cni, e) < 0)
		return -1;
	if (!cni)
		return 0;
	if (get_arr(cni, "args.cni.", "ips", &ips, e) < 0)
		return -1;
	return ips ? take_json_ips(c, ips, "args.cni.ips", e) : 0;
}

static int parse_keep(json_t *v, const char *at, const char *where, void *conf, struct cni_err *e)
{
	struct cni_conf *c = conf;
	const char *id = NULL, *ifname = NULL;

	if (get_str(v, where, "containerID", &id, e) < 0 ||
	    get_str(v, where, "ifname", &ifname, e) < 0)
		return -1;
	if (!id || !ifname)
		return cni_err_set(e, CNI_ERR_CONFIG, "%s: needs containerID and ifname", at);
	c->keep[c->n_keep].id = id;
	c->keep[c->n_keep].ifname = ifname;
	c->n_keep++;
	return 0;
}

static int parse_keep_list(struct cni_conf *c, json_t *list, const char *key, struct cni_err *e)
{
	c->has_keep = true;
	if (!json_array_size(list))
		return 0;
	c->keep = calloc(json_array_size(list), sizeof(*c->keep));
	if (!c->keep)
		return cni_err_set(e, CNI_ERR_GENERIC, "out of memory");
	return each_object(list, key, parse_keep, c, e);
}

/* "gatewayMode": "nat" | "routed", the subnet file's gateway_mode (Docker's name). */
static int parse_gateway_mode(struct cni_conf *c, struct cni_err *e)
{
	const char *mode = NULL;

	if (get_str(c->root, "", "gatewayMode", &mode, e) < 0)
		return -1;
	c->gw_mode_set = mode != NULL;
	if (mode && netd_gateway_mode_parse(mode, &c->nc.gateway_mode) < 0)
		return cni_err_set(e, CNI_ERR_CONFIG,
				   "gatewayMode \"%.32s\": expected \"nat\" or \"routed\"", mode);
	return 0;
}

/* "internal": true and "icc": false, the subnet file's internal=yes and icc=no. */
static int parse_net_options(struct cni_conf *c, struct cni_err *e)
{
	bool icc = true;

	if (get_bool(c->root, "", "internal", &c->nc.internal, &c->internal_set, e) < 0 ||
	    get_bool(c->root, "", "icc", &icc, &c->icc_set, e) < 0)
		return -1;
	c->nc.no_icc = !icc;
	return 0;
}

int cni_conf_parse(const char *text, size_t len, enum cni_cmd cmd, struct cni_conf *c,
		   struct cni_err *e)
{
	struct netd_err ne = {0};
	json_error_t jerr;
	json_t *ipam = NULL, *dns = NULL, *prev = NULL, *list = NULL;
	bool dummy;

	memset(c, 0, sizeof(*c));
	if (!text || len == 0) {
		cni_err_set(e, CNI_ERR_DECODE, "no network config on stdin");
		return -1;
	}
	c->root = json_loadb(text, len, 0, &jerr);
	if (!c->root) {
		cni_err_set(e, CNI_ERR_DECODE, "network config on stdin is not valid JSON: %s",
			    jerr.text);
		snprintf(e->details, sizeof(e->details), "line %d, column %d", jerr.line,
			 jerr.column);
		return -1;
	}
	if (!json_is_object(c->root)) {
		cni_err_set(e, CNI_ERR_DECODE,
			    "network config on stdin: expected an object, got %s",
			    json_kind(c->root));
		goto fail;
	}
	if (get_str(c->root, "", "cniVersion", &c->cni_version, e) < 0)
		goto fail;
	c->ver = cni_version_index(c->cni_version);
	if (c->ver < 0) {
		cni_err_set(
		    e, CNI_ERR_INCOMPATIBLE,
		    "cniVersion \"%.32s\" is not supported (supported: 0.3.0, 0.3.1, 0.4.0, "
		    "1.0.0, 1.1.0)",
		    c->cni_version ? c->cni_version : "");
		goto fail;
	}
	if (get_str(c->root, "", "name", &c->name, e) < 0 ||
	    get_str(c->root, "", "type", &c->type, e) < 0)
		goto fail;
	if (!c->name) {
		cni_err_set(e, CNI_ERR_CONFIG, "the network config has no \"name\"");
		goto fail;
	}
	if (netd_name_check_network(c->name, &ne) < 0) {
		cni_err_set(e, CNI_ERR_CONFIG, "name: %s", ne.msg);
		goto fail;
	}
	if (cmd == CNI_CHECK && c->ver < CNI_V040) {
		cni_err_set(e, CNI_ERR_INCOMPATIBLE,
			    "CHECK needs cniVersion 0.4.0 or later (the config says %s)",
			    c->cni_version);
		goto fail;
	}

	if (get_obj(c->root, "", "ipam", &ipam, e) < 0)
		goto fail;
	if (ipam && get_str(ipam, "ipam.", "type", &c->ipam_type, e) < 0)
		goto fail;
	c->ipam_delegate = c->ipam_type && strcmp(c->ipam_type, "netd") != 0 &&
			   !(c->type && strcmp(c->ipam_type, c->type) == 0);
	if (c->ipam_delegate &&
	    (strchr(c->ipam_type, '/') || !c->ipam_type[0] || strcmp(c->ipam_type, ".") == 0 ||
	     strcmp(c->ipam_type, "..") == 0)) {
		cni_err_set(e, CNI_ERR_CONFIG, "ipam.type \"%.64s\" is not a plugin name",
			    c->ipam_type);
		goto fail;
	}
	if (get_str(c->root, "", "subnetFile", &c->subnet_file, e) < 0)
		goto fail;

	c->is_gateway = false;
	c->is_default_gateway = false;
	if (get_bool(c->root, "", "isGateway", &c->is_gateway, NULL, e) < 0 ||
	    get_bool(c->root, "", "isDefaultGateway", &c->is_default_gateway, NULL, e) < 0 ||
	    get_bool(c->root, "", "ipMasq", &c->nc.masquerade, &c->masq_set, e) < 0 ||
	    get_bool(c->root, "", "ipMasq6", &c->nc.masquerade6, &c->masq6_set, e) < 0 ||
	    get_bool(c->root, "", "hairpinMode", &dummy, NULL, e) < 0 ||
	    get_bool(c->root, "", "promiscMode", &dummy, NULL, e) < 0)
		goto fail;
	/* As the reference bridge: isDefaultGateway implies isGateway. */
	if (c->is_default_gateway)
		c->is_gateway = true;
	if (parse_gateway_mode(c, e) < 0 || parse_net_options(c, e) < 0)
		goto fail;

	if (get_obj(c->root, "", "dns", &dns, e) < 0 ||
	    get_obj(c->root, "", "prevResult", &prev, e) < 0)
		goto fail;
	c->dns = dns;
	c->prev_result = prev;

	if (cmd == CNI_ADD || cmd == CNI_CHECK) {
		if (parse_runtime_config(c, e) < 0 || parse_args_ips(c, e) < 0)
			goto fail;
	}
	if (cmd == CNI_CHECK && !c->prev_result) {
		cni_err_set(e, CNI_ERR_CONFIG,
			    "CHECK needs the prevResult of the ADD in the config (the runtime "
			    "caches it)");
		goto fail;
	}
	if (cmd == CNI_GC) {
		/* libcni sends both names; the spec renamed valid-attachments to attachments. */
		if (get_arr(c->root, "", "cni.dev/valid-attachments", &list, e) < 0)
			goto fail;
		if (list && parse_keep_list(c, list, "cni.dev/valid-attachments", e) < 0)
			goto fail;
		if (!list) {
			if (get_arr(c->root, "", "cni.dev/attachments", &list, e) < 0)
				goto fail;
			if (list && parse_keep_list(c, list, "cni.dev/attachments", e) < 0)
				goto fail;
		}
	}
	return 0;
fail:
	cni_conf_free(c);
	return -1;
}

static const char *family_word(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* An optional address member of a range, of the range's family: 0 and *ip zero when absent. */
static int range_ip(json_t *r, const char *where, const char *key, int family, struct netd_ip *ip,
		    struct cni_err *e)
{
	const char *s = NULL;

	memset(ip, 0, sizeof(*ip));
	if (get_str(r, where, key, &s, e) < 0)
		return -1;
	if (s && netd_ip_parse(s, family, ip, NULL) < 0)
		return cni_err_set(e, CNI_ERR_CONFIG, "%s%s \"%.64s\" is not an %s address", where,
				   key, s, family_word(family));
	return 0;
}

/*
 * One host-local range (subnet, rangeStart, rangeEnd, gateway) into the netconf's half of the
 * subnet's family. Bounds, gateway and prefix length are netd_netconf_finish's to check, as for a
 * subnet file; here only the family and the text.
 */
static int parse_range(struct cni_conf *c, json_t *r, const char *where, struct netd_netconf *nc,
		       struct cni_err *e)
{
	const char *subnet = NULL;
	struct netd_ip start, end, gw;
	struct netd_prefix sub;
	int fam;

	if (get_str(r, where, "subnet", &subnet, e) < 0)
		return -1;
	if (!subnet)
		return 0;
	if (netd_prefix_parse(subnet, AF_UNSPEC, &sub, NULL) < 0)
		return cni_err_set(e, CNI_ERR_CONFIG,
				   "%ssubnet \"%.64s\" is not a CIDR (like 10.22.0.0/16 or "
				   "fd22::/64)",
				   where, subnet);
	fam = sub.ip.family;
	if (fam == AF_INET && (sub.len < 8 || sub.len > 30))
		return cni_err_set(e, CNI_ERR_CONFIG,
				   "%ssubnet %.64s: prefix /%u is not supported (use /8 to /30)",
				   where, subnet, sub.len);
	if (range_ip(r, where, "rangeStart", fam, &start, e) < 0 ||
	    range_ip(r, where, "rangeEnd", fam, &end, e) < 0 ||
	    range_ip(r, where, "gateway", fam, &gw, e) < 0)
		return -1;
	/* host-local accepts an address inside the subnet and takes its network. */
	sub = netd_prefix_network(&sub);
	/* host-local's defaults when only one end is given: the subnet's first host, its last
	 * (IPv4: the one before the broadcast address). */
	if (start.family && !end.family) {
		end = netd_prefix_last(&sub);
		if (fam == AF_INET) /* /8 to /30: the subnet has a last host */
			end.v4.s_addr = htonl(ntohl(end.v4.s_addr) - 1);
	}
	if (end.family && !start.family && netd_ip_add(&sub.ip, 1, &start) < 0)
		memset(&start, 0, sizeof(start));
	if (fam == AF_INET) {
		nc->subnet = sub.ip.v4;
		nc->prefix = sub.len;
		nc->range_start = start.v4;
		nc->range_end = end.v4;
		nc->gateway = gw.v4;
		c->has_subnet = true;
	} else {
		nc->subnet6 = sub;
		nc->range6.first = start;
		nc->range6.last = end;
		nc->gateway6 = gw;
		c->has_subnet6 = true;
	}
	return 0;
}

/* The family of one range of a range set into *fam; all of a set must be of one. */
static int range_family(json_t *r, const char *at, const char *where, void *fam, struct cni_err *e)
{
	const char *subnet = NULL;
	int *f = fam, this;

	if (get_str(r, where, "subnet", &subnet, e) < 0)
		return -1;
	if (!subnet)
		return cni_err_set(e, CNI_ERR_CONFIG, "%ssubnet is missing", where);
	this = strchr(subnet, ':') ? AF_INET6 : AF_INET;
	if (*f && *f != this)
		return cni_err_set(
		    e, CNI_ERR_CONFIG,
		    "%.*s: mixes IPv4 and IPv6 ranges (a range set is of one family)",
		    (int)(strrchr(at, '[') - at), at);
	*f = this;
	return 0;
}

/*
 * The built-in IPAM's subnets, from either form of host-local's "ipam": flat (subnet,
 * rangeStart, ... in ipam itself) or "ranges", a list of range sets where each set is a list of
 * ranges of one family and gives one address. A network has one range per family: at most one
 * IPv4 set and one IPv6 set, each of one range.
 */
static int parse_ipam_range(struct cni_conf *c, json_t *ipam, struct netd_netconf *nc,
			    struct cni_err *e)
{
	json_t *ranges = NULL, *set;
	size_t i;

	if (get_arr(ipam, "ipam.", "ranges", &ranges, e) < 0)
		return -1;
	if (!ranges || !json_array_size(ranges))
		return parse_range(c, ipam, "ipam.", nc, e);
	if (json_array_size(ranges) > 2)
		return cni_err_set(e, CNI_ERR_CONFIG,
				   "ipam.ranges: %zu range sets; netd-cni serves one IPv4 and one "
				   "IPv6 set",
				   json_array_size(ranges));
	json_array_foreach(ranges, i, set)
	{
		int fam = 0;
		char where[48];

		if (!json_is_array(set) || !json_array_size(set))
			return cni_err_set(e, CNI_ERR_CONFIG,
					   "ipam.ranges[%zu]: expected an array of range objects "
					   "([{\"subnet\": ...}])",
					   i);
		snprintf(where, sizeof(where), "ipam.ranges[%zu]", i);
		if (each_object(set, where, range_family, &fam, e) < 0)
			return -1;
		if (json_array_size(set) > 1)
			return cni_err_set(
			    e, CNI_ERR_CONFIG,
			    "ipam.ranges[%zu]: %zu ranges; netd-cni serves one range "
			    "per set",
			    i, json_array_size(set));
		if ((fam == AF_INET && c->has_subnet) || (fam == AF_INET6 && c->has_subnet6))
			return cni_err_set(
			    e, CNI_ERR_CONFIG,
			    "ipam.ranges[%zu]: a second %s range set; netd-cni serves "
			    "one set per family (one address each)",
			    i, family_word(fam));
		snprintf(where, sizeof(where), "ipam.ranges[%zu][0].", i);
		if (parse_range(c, json_array_get(set, 0), where, nc, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * host-local's "routes": [{"dst": CIDR, "gw": IP}] of either family, installed in the container
 * (gw absent: the network's gateway of dst's family; ::/0 gives the IPv6 default route); host
 * bits of dst are dropped, as host-local's CIDR parsing does.
 */
static int parse_route(json_t *v, const char *at, const char *where, void *netconf,
		       struct cni_err *e)
{
	struct netd_netconf *nc = netconf;
	const char *dst = NULL, *gw = NULL;
	struct netd_route rt = {0};

	(void)at;
	if (get_str(v, where, "dst", &dst, e) < 0 || get_str(v, where, "gw", &gw, e) < 0)
		return -1;
	if (!dst || netd_prefix_parse(dst, AF_UNSPEC, &rt.dst, NULL) < 0)
		return cni_err_set(e, CNI_ERR_CONFIG,
				   "%sdst: expected a CIDR like 0.0.0.0/0 or ::/0", where);
	if (gw && netd_ip_parse(gw, rt.dst.ip.family, &rt.gw, NULL) < 0)
		return cni_err_set(e, CNI_ERR_CONFIG,
				   "%sgw: \"%.64s\" is not an %s address (dst is %.64s)", where, gw,
				   family_word(rt.dst.ip.family), dst);
	if (nc->n_routes == NETD_ROUTES_MAX)
		return cni_err_set(e, CNI_ERR_CONFIG, "ipam.routes: more than %d routes",
				   NETD_ROUTES_MAX);
	rt.dst = netd_prefix_network(&rt.dst);
	nc->routes[nc->n_routes++] = rt;
	return 0;
}

static int parse_ipam_routes(struct cni_conf *c, json_t *ipam, struct netd_netconf *nc,
			     struct cni_err *e)
{
	json_t *routes = NULL;

	if (get_arr(ipam, "ipam.", "routes", &routes, e) < 0)
		return -1;
	c->routes_set = routes != NULL;
	return each_object(routes, "ipam.routes", parse_route, nc, e);
}

int cni_conf_netconf(struct cni_conf *c, struct netd_netconf *nc, struct cni_err *e)
{
	const char *bridge = NULL;
	json_t *ipam = NULL, *mtu;
	long m;

	memset(nc, 0, sizeof(*nc));
	snprintf(nc->name, sizeof(nc->name), "%s", c->name);
	if (get_str(c->root, "", "bridge", &bridge, e) < 0)
		return -1;
	c->bridge_set = bridge && *bridge;
	if (c->bridge_set) {
		struct netd_err ne = {0};

		if (netd_name_check_ifname(bridge, &ne) < 0)
			return cni_err_set(e, CNI_ERR_CONFIG, "bridge: %s", ne.msg);
		snprintf(nc->bridge, sizeof(nc->bridge), "%s", bridge);
	} else {
		/* the reference bridge plugin's default */
		snprintf(nc->bridge, sizeof(nc->bridge), "cni0");
	}
	mtu = json_object_get(c->root, "mtu");
	c->mtu_set = false;
	if (mtu && !json_is_null(mtu)) {
		if (int_in(mtu, 0, 65535, &m) < 0 || (m && m < 68))
			return cni_err_set(e, CNI_ERR_CONFIG,
					   "mtu: expected a number 68-65535 (or 0 for the host's)");
		nc->mtu = (unsigned)m;
		c->mtu_set = m != 0;
	}
	nc->masquerade = c->masq_set ? c->nc.masquerade : false;
	/* ipMasq covers both families, as the reference bridge masquerades every address of its
	 * result; ipMasq6 (ours) sets IPv6 apart. */
	nc->masquerade6 = c->masq6_set ? c->nc.masquerade6 : nc->masquerade;
	nc->gateway_mode = c->gw_mode_set ? c->nc.gateway_mode : NETD_GATEWAY_NAT;
	nc->internal = c->internal_set && c->nc.internal;
	nc->no_icc = c->icc_set && c->nc.no_icc;
	if (get_obj(c->root, "", "ipam", &ipam, e) < 0)
		return -1;
	if (ipam && parse_ipam_range(c, ipam, nc, e) < 0)
		return -1;
	if (ipam && parse_ipam_routes(c, ipam, nc, e) < 0)
		return -1;
	c->nc = *nc;
	return 0;
}

void cni_conf_overlay(const struct cni_conf *c, struct netd_netconf *nc)
{
	if (c->bridge_set)
		snprintf(nc->bridge, sizeof(nc->bridge), "%s", c->nc.bridge);
	if (c->mtu_set)
		nc->mtu = c->nc.mtu;
	if (c->masq_set)
		nc->masquerade = c->nc.masquerade;
	if (c->masq6_set || c->masq_set)
		nc->masquerade6 = c->nc.masquerade6;
	if (c->routes_set) {
		memcpy(nc->routes, c->nc.routes, sizeof(nc->routes));
		nc->n_routes = c->nc.n_routes;
	}
	if (c->gw_mode_set)
		nc->gateway_mode = c->nc.gateway_mode;
	if (c->internal_set)
		nc->internal = c->nc.internal;
	if (c->icc_set)
		nc->no_icc = c->nc.no_icc;
}
