/* SPDX-License-Identifier: MIT */
/*
 * Names on networks, answered by aardvark-dns (the server of podman's netavark; its 1.4 config
 * format). netd owns one server process per host and its config files:
 *
 *   $NETD_STATE_DIR/dns/NET           the config of network NET, rebuilt from its endpoint
 *                                     records on every change:
 *                                       GATEWAY UPSTREAM[,UPSTREAM...]
 *                                       ID IPV4 IPV6 NAME[,ALIAS...]     (one per named endpoint)
 *   $NETD_STATE_DIR/dns/aardvark.pid  the server's pid (aardvark writes it, we check /proc)
 *   $NETD_STATE_DIR/dns.tmp/          temp files; never in dns/, since aardvark rereads the
 *                                     whole directory on SIGHUP and exits on a file it cannot
 *                                     parse
 *   $NETD_STATE_DIR/dns.lock          flock held while the server is started, reloaded, stopped
 *
 * The server runs while any config file exists (a network has a named endpoint): started with
 * an explicit argv, a clean environment, no inherited fds and its own session; reloaded with
 * SIGHUP; stopped with SIGTERM. aardvark answers, on a network's gateway, the names that network
 * holds; everything else goes to the upstreams of the first line: the host's resolvers as the
 * host sees them (the server runs in the host's network namespace, so a loopback stub such as
 * systemd-resolved's works there).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netd/addr.h>
#include <netd/dns.h>
#include <netd/netconf.h>
#include "dns_priv.h"
#include "endpoint_store.h"
#include "explain_priv.h"
#include "netconf_priv.h"
#include "store.h"
#include "util.h"

#define DNS_DIR	     "dns"
#define DNS_TMP_DIR  "dns.tmp"
#define DNS_LOCK     "dns.lock"
#define PID_FILE     "aardvark.pid" /* aardvark's own name for it, in its config dir */
#define DNS_PORT     "53"
#define MAX_RESOLV   3 /* name servers a resolver uses (glibc's MAXNS) */
#define START_WAIT_S 5
#define STOP_WAIT_MS 2000

/* ---- names ---- */

bool netd_dns_named(const struct netd_endpoint *ep)
{
	return ep->name[0] || ep->n_aliases;
}

static bool has_name(const struct netd_endpoint *ep, const char *name)
{
	if (ep->name[0] && !strcasecmp(ep->name, name))
		return true;
	for (size_t i = 0; i < ep->n_aliases; i++)
		if (!strcasecmp(ep->aliases[i], name))
			return true;
	return false;
}

int netd_dns_names_set(struct netd_endpoint *ep, const struct netd_attach_req *req,
		       struct netd_err *err)
{
	int r;

	ep->name[0] = '\0';
	ep->n_aliases = 0;
	if (req->n_aliases && !req->aliases)
		return netd_err_set(err, EINVAL, "aliases: none given but a count of %zu",
				    req->n_aliases);
	if (req->name) {
		r = netd_name_check_dns(req->name, err);
		if (r < 0)
			return r;
		snprintf(ep->name, sizeof(ep->name), "%s", req->name);
	}
	for (size_t i = 0; i < req->n_aliases; i++) {
		r = netd_name_check_dns(req->aliases[i], err);
		if (r < 0)
			return netd_err_prefix(err, "alias");
		if (has_name(ep, req->aliases[i]))
			continue;
		if (ep->n_aliases == NETD_ALIASES_MAX)
			return netd_err_set(err, E2BIG, "more than %d aliases", NETD_ALIASES_MAX);
		snprintf(ep->aliases[ep->n_aliases++], sizeof(ep->aliases[0]), "%s",
			 req->aliases[i]);
	}
	return 0;
}

void netd_dns_names_text(const struct netd_endpoint *ep, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (ep->name[0])
		n = (size_t)snprintf(buf, len, "%s", ep->name);
	for (size_t i = 0; i < ep->n_aliases && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", ep->aliases[i]);
}

static const char *first_shared(const struct netd_endpoint *a, const struct netd_endpoint *b)
{
	if (a->name[0] && has_name(b, a->name))
		return a->name;
	for (size_t i = 0; i < a->n_aliases; i++)
		if (has_name(b, a->aliases[i]))
			return a->aliases[i];
	return NULL;
}

int netd_dns_names_free(const struct netd_endpoint *ep, struct netd_err *err)
{
	struct netd_endpoint *eps = NULL;
	size_t n = 0;
	int r = 0;

	if (!netd_dns_named(ep))
		return 0;
	r = netd_store_endpoint_list(ep->network, &eps, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *dup;

		if (!strcmp(eps[i].id, ep->id) && !strcmp(eps[i].ifname, ep->ifname))
			continue;
		dup = first_shared(ep, &eps[i]);
		if (dup)
			r = netd_err_set(err, EADDRINUSE,
					 "name %s is already taken on network %s by endpoint %s/%s",
					 dup, ep->network, eps[i].id, eps[i].ifname);
	}
	netd_endpoints_free(eps, n);
	return r;
}

/* ---- the host's resolvers ---- */

/* Docker's public fallbacks when a host has no resolver a container can reach (libnetwork
 * resolvconf's defaultIPv4Dns and defaultIPv6Dns): 2 + 2 lines, all written as Docker does. */
static const char *const fallback4[] = {"8.8.8.8", "8.8.4.4"};
static const char *const fallback6[] = {"2001:4860:4860::8888", "2001:4860:4860::8844"};
#define MAX_NS (ARRAY_SIZE(fallback4) + ARRAY_SIZE(fallback6))

struct resolv {
	char ns[MAX_NS][INET6_ADDRSTRLEN];
	size_t n_ns;
	char search[256];  /* the last search/domain line's list */
	char options[256]; /* every options line's words */
};

/* Whether a resolver with these families (NETD_DNS_*) can use name server ip: in the host's
 * namespace every one; in a container's, one of a family it has an address of, neither
 * loopback nor link-local (both are the host's own; scoped ones do not even parse). */
static bool usable(const struct netd_ip *ip, unsigned families)
{
	if (families & NETD_DNS_HOST)
		return true;
	if (ip->family == AF_INET)
		return (families & NETD_DNS_V4) && (ntohl(ip->v4.s_addr) >> 24) != 127;
	return (families & NETD_DNS_V6) && !IN6_IS_ADDR_LOOPBACK(&ip->v6) &&
	       !IN6_IS_ADDR_LINKLOCAL(&ip->v6);
}

/* The words after a keyword ("search a b"), trimmed; NULL when line is not that keyword. */
static const char *keyword(const char *line, size_t len, const char *kw, size_t *rest)
{
	size_t kl = strlen(kw), i;

	if (len <= kl || strncmp(line, kw, kl) || (line[kl] != ' ' && line[kl] != '\t'))
		return NULL;
	for (i = kl; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	*rest = len - i;
	return line + i;
}

/* Reads resolv.conf text: the first MAX_RESOLV name servers usable with families, in order. */
static void resolv_parse(const char *text, unsigned families, struct resolv *r)
{
	memset(r, 0, sizeof(*r));
	for (const char *p = text ? text : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p), wl;
		const char *w;

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if ((w = keyword(p, len, "nameserver", &wl))) {
			char a[INET6_ADDRSTRLEN];
			struct netd_ip ip;

			wl = strcspn(w, " \t\r\n") < wl ? strcspn(w, " \t\r\n") : wl;
			if (wl < sizeof(a) && r->n_ns < MAX_RESOLV) {
				memcpy(a, w, wl);
				a[wl] = '\0';
				if (netd_ip_parse(a, AF_UNSPEC, &ip, NULL) == 0 &&
				    usable(&ip, families))
					snprintf(r->ns[r->n_ns++], sizeof(r->ns[0]), "%s", a);
			}
		} else if ((w = keyword(p, len, "search", &wl)) ||
			   (w = keyword(p, len, "domain", &wl))) {
			if (wl < sizeof(r->search))
				snprintf(r->search, sizeof(r->search), "%.*s", (int)wl, w);
		} else if ((w = keyword(p, len, "options", &wl))) {
			size_t ol = strlen(r->options);
			if (ol + wl + 2 < sizeof(r->options))
				snprintf(r->options + ol, sizeof(r->options) - ol, "%s%.*s",
					 ol ? " " : "", (int)wl, w);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* The name servers from host, else from resolved, else the public fallback of each family.
 * No family given: IPv4, as for a Docker container without IPv6. */
static void upstreams(const char *host, const char *resolved, unsigned families, struct resolv *r)
{
	struct resolv s;

	if (!(families & (NETD_DNS_V4 | NETD_DNS_V6)))
		families |= NETD_DNS_V4;
	resolv_parse(host, families, r);
	if (r->n_ns)
		return;
	resolv_parse(resolved, families, &s);
	memcpy(r->ns, s.ns, sizeof(s.ns));
	r->n_ns = s.n_ns;
	if (r->n_ns)
		return;
	for (size_t i = 0; (families & NETD_DNS_V4) && i < ARRAY_SIZE(fallback4); i++)
		snprintf(r->ns[r->n_ns++], sizeof(r->ns[0]), "%s", fallback4[i]);
	for (size_t i = 0; (families & NETD_DNS_V6) && i < ARRAY_SIZE(fallback6); i++)
		snprintf(r->ns[r->n_ns++], sizeof(r->ns[0]), "%s", fallback6[i]);
}

int netd_dns_resolv_render(const char *host, const char *resolved, const struct netd_ip *gws,
			   size_t n_gws, unsigned families, const struct netd_dns_user *user,
			   char *buf, size_t len)
{
	static const struct netd_dns_user none;
	char g[NETD_IP_STRLEN];
	struct resolv r;
	size_t n = 0;
	bool gw;

	if (!user)
		user = &none;
	upstreams(host, resolved, families, &r);
	/* The user's servers win over ours: the gateway would only forward to them anyway. */
	gw = n_gws && gws && !user->n_nameservers;
	buf[0] = '\0';
#define OUT(...)                                                                                   \
	do {                                                                                       \
		if (n < len)                                                                       \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);                      \
	} while (0)
	if (user->n_search) {
		OUT("search");
		for (size_t i = 0; i < user->n_search; i++)
			OUT(" %s", user->search[i]);
		OUT("\n");
	} else if (gw) {
		OUT("search %s%s%s\n", NETD_DNS_DOMAIN, r.search[0] ? " " : "", r.search);
	} else if (r.search[0]) {
		OUT("search %s\n", r.search);
	}
	if (user->n_nameservers)
		for (size_t i = 0; i < user->n_nameservers; i++)
			OUT("nameserver %s\n", user->nameservers[i]);
	else if (gw)
		for (size_t i = 0; i < n_gws; i++)
			OUT("nameserver %s\n", netd_ip_format(&gws[i], g, sizeof(g)));
	else
		for (size_t i = 0; i < r.n_ns; i++)
			OUT("nameserver %s\n", r.ns[i]);
	if (r.options[0])
		OUT("options %s\n", r.options);
#undef OUT
	return (int)n;
}

#define HOST_RESOLV	"/etc/resolv.conf"
#define RESOLVED_RESOLV "/run/systemd/resolve/resolv.conf"

static char *read_or_null(const char *path)
{
	struct netd_err e;
	char *t = NULL;

	return netd_file_read(path, NETD_FILE_FOLLOW, &t, NULL, &e) == 0 ? t : NULL;
}

size_t netd_dns_gateways(const struct netd_endpoint *ep, struct netd_ip gws[2])
{
	struct netd_netconf nc;
	struct netd_err e;
	size_t n = 0;

	if (!ep || !netd_dns_serves(ep) || netd_netconf_load(ep->network, &nc, &e) < 0)
		return 0;
	/* The server listens on both gateways (render); the container reaches those of the
	 * families it has an address of. */
	if (ep->ip.s_addr && netd_netconf_has4(&nc))
		gws[n++] = netd_ip_from4(nc.gateway);
	if (ep->ip6.family == AF_INET6 && netd_netconf_has6(&nc))
		gws[n++] = nc.gateway6;
	return n;
}

unsigned netd_dns_families(const struct netd_endpoint *eps, size_t n)
{
	unsigned f = 0;

	for (size_t i = 0; eps && i < n; i++) {
		if (eps[i].ip.s_addr)
			f |= NETD_DNS_V4;
		if (eps[i].ip6.family == AF_INET6)
			f |= NETD_DNS_V6;
	}
	return f;
}

int netd_dns_resolv_conf(const struct netd_endpoint *eps, size_t n_eps, bool host_netns,
			 const struct netd_dns_user *user, char *buf, size_t len)
{
	cleanup_free char *host = read_or_null(HOST_RESOLV);
	cleanup_free char *resolved = NULL;
	struct netd_ip gws[2];
	size_t n = 0;

	if (host_netns && (!user || (!user->n_nameservers && !user->n_search)))
		return snprintf(buf, len, "%s", host ? host : "");
	if (!host_netns && n_eps)
		n = netd_dns_gateways(&eps[0], gws);
	if (!n)
		resolved = read_or_null(RESOLVED_RESOLV);
	return netd_dns_resolv_render(host, resolved, gws, n,
				      host_netns ? NETD_DNS_HOST | NETD_DNS_V4
						 : netd_dns_families(eps, n_eps),
				      user, buf, len);
}

/* ---- the server binary, its pid ---- */

static const char *const server_paths[] = {
    "/usr/lib/podman/aardvark-dns",	  /* Debian, Ubuntu */
    "/usr/libexec/podman/aardvark-dns",	  /* Fedora, RHEL, SUSE */
    "/usr/local/lib/podman/aardvark-dns", /* built from source */
    "/usr/local/libexec/podman/aardvark-dns",
};

const char *netd_dns_server_path(void)
{
	const char *env = getenv("NETD_AARDVARK");

	if (env && *env)
		return access(env, X_OK) == 0 ? env : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(server_paths); i++)
		if (access(server_paths[i], X_OK) == 0)
			return server_paths[i];
	return NULL;
}

bool netd_dns_serves(const struct netd_endpoint *ep)
{
	return netd_dns_named(ep) && netd_dns_server_path();
}

static int state_path(char *buf, size_t len, const char *a, const char *b)
{
	return netd_path_fmt(buf, len, "%s/%s%s%s", netd_state_dir(), a, b ? "/" : "", b ? b : "");
}

/* The start of /proc/PID/WHAT, NUL-terminated; its length, or <= 0 when there is none. */
static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	if (n > 0)
		buf[n] = '\0';
	return n;
}

/* A process that is gone or a zombie is no server. */
static bool alive(pid_t pid)
{
	char buf[512], *p;

	if (read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
		return false;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* pid is an aardvark-dns serving our config dir (a recycled pid is not ours to signal). */
static bool is_our_server(pid_t pid, const char *dir)
{
	char buf[4096];
	const char *a0, *end;
	ssize_t n = read_proc(pid, "cmdline", buf, sizeof(buf));

	if (n <= 0)
		return false;
	end = buf + n;
	a0 = strrchr(buf, '/');
	if (strcmp(a0 ? a0 + 1 : buf, "aardvark-dns") != 0)
		return false;
	for (const char *p = buf; p < end; p += strlen(p) + 1)
		if (!strcmp(p, "--config") && p + strlen(p) + 1 < end &&
		    !strcmp(p + strlen(p) + 1, dir))
			return true;
	return false;
}

static pid_t read_pid(void)
{
	char dir[PATH_MAX], path[PATH_MAX];
	cleanup_free char *text = NULL;
	struct netd_err e;
	size_t n = 0;
	char *end;
	long v;

	/* aardvark writes the pid with no newline; not an owner key, so not netd_owner_read. */
	if (state_path(dir, sizeof(dir), DNS_DIR, NULL) < 0 ||
	    state_path(path, sizeof(path), DNS_DIR, PID_FILE) < 0 ||
	    netd_file_read(path, 0, &text, &n, &e) < 0)
		return 0;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	if (n == 0 || n > 10 || strlen(text) != n || text[0] < '1' || text[0] > '9')
		return 0;
	v = strtol(text, &end, 10);
	if (*end || v <= 1 || v > INT_MAX)
		return 0;
	return alive((pid_t)v) && is_our_server((pid_t)v, dir) ? (pid_t)v : 0;
}

int netd_dns_server_pid(void)
{
	return (int)read_pid();
}

/* A config file of a network: anything in dns/ but the pid file and dot files. */
static bool config_name(const char *name)
{
	return name[0] != '.' && strcmp(name, PID_FILE) != 0;
}

static bool any_config(void)
{
	char dir[PATH_MAX];
	struct dirent *de;
	bool any = false;
	DIR *d;

	if (state_path(dir, sizeof(dir), DNS_DIR, NULL) < 0 || !(d = opendir(dir)))
		return false;
	while (!any && (de = readdir(d)))
		any = config_name(de->d_name);
	closedir(d);
	return any;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * aardvark-dns 1.4 opens its listeners in threads after its first process exits, and on SIGHUP
 * closes and reopens every one of them (later versions keep those that stay): a query in between
 * finds port 53 closed, and the container's resolver gives up at once ("bad address"). So after a
 * start or a reload netd waits, bounded, until every gateway of the configs listens again. The
 * server runs in this network namespace, so /proc/net/udp shows its sockets.
 */
#define LISTEN_MAX	64
#define LISTEN_WAIT_MS	2000
#define LISTEN_GRACE_MS 100 /* a listener kept across a reload (aardvark >= 1.5) counts then */

struct listeners {
	struct netd_ip gw[LISTEN_MAX];
	unsigned long inode[LISTEN_MAX]; /* of the socket bound to gw:53; 0: none */
	size_t n;
};

/* The gateways the configs name (each file's first word: addresses separated by commas). */
static void listeners_of_configs(struct listeners *l)
{
	char dir[PATH_MAX], path[PATH_MAX + 256], line[128];
	struct dirent *de;
	DIR *d;

	memset(l, 0, sizeof(*l));
	if (state_path(dir, sizeof(dir), DNS_DIR, NULL) < 0 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d)) && l->n < LISTEN_MAX) {
		FILE *f;

		if (!config_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			char *save = NULL;

			line[strcspn(line, " \n")] = '\0';
			for (char *a = strtok_r(line, ",", &save); a && l->n < LISTEN_MAX;
			     a = strtok_r(NULL, ",", &save))
				if (netd_ip_parse(a, AF_UNSPEC, &l->gw[l->n], NULL) == 0)
					l->n++;
		}
		fclose(f);
	}
	closedir(d);
}

/* The address as /proc/net/udp{,6} prints it: each 32-bit word in host order, in hex. */
static void proc_net_addr(const struct netd_ip *ip, char *buf, size_t len)
{
	const uint8_t *b = ip->family == AF_INET6 ? ip->v6.s6_addr : (const uint8_t *)&ip->v4;
	size_t words = ip->family == AF_INET6 ? 4 : 1, o = 0;

	for (size_t w = 0; w < words; w++) {
		uint32_t v;

		memcpy(&v, b + 4 * w, 4);
		o += (size_t)snprintf(buf + o, len - o, "%08X", (unsigned)v);
	}
	snprintf(buf + o, len - o, ":%04X", 53U);
}

/* Fills l->inode from /proc/net/udp and udp6: "sl local rem st ... uid timeout inode". */
static void listeners_scan(struct listeners *l)
{
	static const char *const files[] = {"/proc/net/udp", "/proc/net/udp6"};
	char line[512], want[LISTEN_MAX][40];

	for (size_t i = 0; i < l->n; i++) {
		l->inode[i] = 0;
		proc_net_addr(&l->gw[i], want[i], sizeof(want[i]));
	}
	for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
		FILE *f = fopen(files[k], "re");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char local[64];
			unsigned long inode;

			if (sscanf(line, " %*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local,
				   &inode) != 2)
				continue;
			for (size_t i = 0; i < l->n; i++)
				if (!strcmp(local, want[i]))
					l->inode[i] = inode;
		}
		fclose(f);
	}
}

/* before NULL: a start (every gateway listening); else a reload (every gateway's listener is
 * new, or kept past the grace period). Gives up quietly at the bound: answers come later. */
static void listeners_wait(const struct listeners *before)
{
	struct listeners now;
	bool ready = false;

	listeners_of_configs(&now);
	for (long ms = 0; !ready && ms <= LISTEN_WAIT_MS; ms += 5) {
		listeners_scan(&now);
		ready = true;
		for (size_t i = 0; i < now.n && ready; i++) {
			unsigned long old = 0;

			for (size_t j = 0; before && j < before->n; j++)
				if (netd_ip_equal(&before->gw[j], &now.gw[i]))
					old = before->inode[j];
			ready =
			    now.inode[i] && (!old || now.inode[i] != old || ms >= LISTEN_GRACE_MS);
		}
		if (!ready)
			sleep_ms(5);
	}
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn)) exec_server(const char *bin, const char *const argv[])
{
	static const char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int fd;

	/* A blocked or ignored signal survives exec: the server must get its SIGHUP. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(126);
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		for (int i = 3; i < 1024; i++)
			close(i);
	if (chdir("/") < 0)
		_exit(126);
	execve(bin, (char *const *)argv, (char *const *)envp);
	_exit(127);
}

static void explain_cmd(const char *bin, const char *dir, const char *what)
{
	netd_explain("# netd: dns server %s: %s --config %s -p " DNS_PORT
		     " --filter-search-domain ." NETD_DNS_DOMAIN " run",
		     what, bin, dir);
}

/* aardvark forks: its first process exits once the daemon serves (0) or failed (non-zero). */
static int server_start(const char *bin, struct netd_err *err)
{
	char dir[PATH_MAX];
	const char *argv[] = {
	    bin,   "--config", dir, "-p", DNS_PORT, "--filter-search-domain", "." NETD_DNS_DOMAIN,
	    "run", NULL};
	int status = 0;
	pid_t pid, w;

	if (state_path(dir, sizeof(dir), DNS_DIR, NULL) < 0)
		return netd_err_set(err, ENAMETOOLONG, "dns: state path too long");
	explain_cmd(bin, dir, "start");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return netd_err_sys(err, errno, "dns: start %s: fork", bin);
	if (pid == 0)
		exec_server(bin, argv);
	for (int i = 0; (w = waitpid(pid, &status, WNOHANG)) == 0 && i < START_WAIT_S * 500; i++)
		sleep_ms(2);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return netd_err_set(err, ETIMEDOUT, "dns: %s did not come up within %d s", bin,
				    START_WAIT_S);
	}
	if (w < 0)
		return netd_err_sys(err, errno, "dns: start %s: wait", bin);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return netd_err_set(
		    err, EIO,
		    "dns: %s failed to start (exit status %d): is port 53 of a "
		    "gateway taken by another server? Run by hand to see: %s "
		    "--config %s -p 53 run",
		    bin, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), bin,
		    dir);
	if (!read_pid())
		return netd_err_set(err, EIO, "dns: %s started but wrote no pid to %s/" PID_FILE,
				    bin, dir);
	return 0;
}

static int server_stop(pid_t pid, struct netd_err *err)
{
	char path[PATH_MAX];

	netd_explain("# netd: dns server stop: no named endpoint left (kill %d)", (int)pid);
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return netd_err_sys(err, errno, "dns: stop server %d", (int)pid);
	for (int i = 0; alive(pid) && i < STOP_WAIT_MS / 5; i++)
		sleep_ms(5);
	if (alive(pid)) {
		kill(pid, SIGKILL);
		for (int i = 0; alive(pid) && i < STOP_WAIT_MS / 5; i++)
			sleep_ms(5);
	}
	if (state_path(path, sizeof(path), DNS_DIR, PID_FILE) == 0)
		unlink(path);
	return 0;
}

/* Under dns.lock: start, reload or stop the server as the config files say. */
static int apply(bool reload, bool *started, struct netd_err *err)
{
	char path[PATH_MAX];
	cleanup_close int lk = -1;
	const char *bin;
	bool want;
	pid_t pid;

	if (started)
		*started = false;
	/* Nothing to run and nothing running (the common case for netd serve): no lock file. */
	if (!any_config() && !read_pid())
		return 0;
	if (state_path(path, sizeof(path), DNS_LOCK, NULL) < 0)
		return netd_err_set(err, ENAMETOOLONG, "dns: state path too long");
	lk = netd_lock_file(path, err);
	if (lk < 0)
		return lk;
	want = any_config();
	pid = read_pid();
	if (!want && pid)
		return server_stop(pid, err);
	if (!want)
		return 0;
	if (pid) {
		struct listeners before;

		if (!reload)
			return 0;
		netd_explain("# netd: dns server reload: kill -HUP %d", (int)pid);
		listeners_of_configs(&before);
		listeners_scan(&before);
		if (kill(pid, SIGHUP) < 0)
			return netd_err_sys(err, errno, "dns: reload server %d", (int)pid);
		if (!netd_dry())
			listeners_wait(&before);
		return 0;
	}
	bin = netd_dns_server_path();
	if (!bin)
		return 0; /* a soft dependency: names are kept, nothing answers them */
	if (server_start(bin, err) < 0)
		return -err->code;
	listeners_wait(NULL);
	if (started)
		*started = true;
	return 0;
}

int netd_dns_ensure(bool *started, struct netd_err *err)
{
	if (netd_dry())
		return 0;
	return apply(false, started, err);
}

/* ---- config files ---- */

/* An endpoint of an IPv6-only network has its IPv6 address only. */
static bool has_address(const struct netd_endpoint *ep)
{
	return ep->ip.s_addr || ep->ip6.family == AF_INET6;
}

/* The config text of a network, or NULL (no named endpoint: no file). */
static int render(const struct netd_netconf *nc, const struct netd_endpoint *eps, size_t n,
		  char **out, struct netd_err *err)
{
	cleanup_free char *host = read_or_null(HOST_RESOLV);
	cleanup_free char *resolved = read_or_null(RESOLVED_RESOLV);
	char gw[INET_ADDRSTRLEN] = "", ip[INET_ADDRSTRLEN], names[(NETD_ALIASES_MAX + 1) * 64];
	char ip6[NETD_IP_STRLEN], gw6[NETD_IP_STRLEN] = "";
	char *buf = NULL;
	size_t size = 0;
	bool any = false;
	struct resolv up;
	FILE *f;

	*out = NULL;
	for (size_t i = 0; i < n && !any; i++)
		any = netd_dns_named(&eps[i]) && has_address(&eps[i]);
	if (!any)
		return 0;
	f = open_memstream(&buf, &size);
	if (!f)
		return netd_err_set(err, ENOMEM, "dns %s: out of memory", nc->name);
	/* The server runs in the host's namespace; with nothing there, the fallback it always had.
	 */
	upstreams(host, resolved, NETD_DNS_HOST | NETD_DNS_V4, &up);
	/* It listens on every gateway of the network: a container asks the one of each family
	 * it has (netd_dns_gateways). */
	if (netd_netconf_has4(nc))
		netd_ip4_format(nc->gateway, gw, sizeof(gw));
	if (netd_netconf_has6(nc))
		netd_ip_format(&nc->gateway6, gw6, sizeof(gw6));
	fprintf(f, "%s%s%s ", gw, gw[0] && gw6[0] ? "," : "", gw6);
	for (size_t i = 0; i < up.n_ns; i++)
		fprintf(f, "%s%s", i ? "," : "", up.ns[i]);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		if (!netd_dns_named(&eps[i]) || !has_address(&eps[i]))
			continue;
		ip[0] = '\0';
		if (eps[i].ip.s_addr)
			netd_ip4_format(eps[i].ip, ip, sizeof(ip));
		netd_dns_names_text(&eps[i], names, sizeof(names));
		ip6[0] = '\0';
		if (eps[i].ip6.family == AF_INET6)
			netd_ip_format(&eps[i].ip6, ip6, sizeof(ip6));
		/* The second column is the IPv4 address, the third the IPv6 one (A and AAAA
		 * answers; empty: none), whichever gateway is asked. The id groups one container's
		 * endpoints across networks, which is how aardvark knows where a container may
		 * look names up. */
		fprintf(f, "%s %s %s %s\n", eps[i].id, ip, ip6, names);
	}
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return netd_err_set(err, ENOMEM, "dns %s: out of memory", nc->name);
	}
	*out = buf;
	return 0;
}

/* Writes a config file in dns.tmp/ and renames it into dns/: aardvark never sees half a file. */
static int put_config(const char *network, const char *text, struct netd_err *err)
{
	char tmpdir[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX];
	cleanup_close int fd = -1;
	int r;

	if (state_path(tmpdir, sizeof(tmpdir), DNS_TMP_DIR, NULL) < 0 ||
	    state_path(dir, sizeof(dir), DNS_DIR, NULL) < 0 ||
	    state_path(path, sizeof(path), DNS_DIR, network) < 0 ||
	    netd_path_fmt(tmp, sizeof(tmp), "%s/%s.tmp.%d", tmpdir, network, (int)getpid()) < 0)
		return netd_err_set(err, ENAMETOOLONG, "dns %s: state path too long", network);
	r = netd_mkdirs(tmpdir, false, err);
	if (r == 0)
		r = netd_mkdirs(dir, false, err);
	if (r < 0)
		return r;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return netd_err_sys(err, errno, "dns %s: write %s", network, tmp);
	r = netd_write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return netd_err_sys(err, -r, "dns %s: write %s", network, path);
	}
	netd_fsync_dir(dir);
	return 0;
}

/* Rebuilds one network's config from its records; *changed when the file changed. The caller
 * holds the network lock. */
static int sync_file(const struct netd_netconf *nc, bool *changed, struct netd_err *err)
{
	struct netd_endpoint *eps = NULL;
	cleanup_free char *text = NULL;
	cleanup_free char *old = NULL;
	char path[PATH_MAX];
	struct netd_err e;
	size_t n = 0;
	int r;

	*changed = false;
	if (!config_name(nc->name))
		return 0; /* a network called "aardvark.pid" cannot have names */
	if (state_path(path, sizeof(path), DNS_DIR, nc->name) < 0)
		return netd_err_set(err, ENAMETOOLONG, "dns %s: state path too long", nc->name);
	r = netd_store_endpoint_list(nc->name, &eps, &n, err);
	if (r == 0)
		r = render(nc, eps, n, &text, err);
	netd_endpoints_free(eps, n);
	if (r < 0)
		return r;
	if (netd_file_read(path, 0, &old, NULL, &e) < 0)
		old = NULL;
	if (!text) {
		if (!old)
			return 0;
		netd_explain("# netd: dns: remove %s (no named endpoint left on %s)", path,
			     nc->name);
		if (unlink(path) < 0 && errno != ENOENT)
			return netd_err_sys(err, errno, "dns %s: remove %s", nc->name, path);
		*changed = true;
		return 0;
	}
	if (old && !strcmp(old, text))
		return 0;
	netd_explain("# netd: dns: config %s (gateway and upstreams: %.*s)", path,
		     (int)strcspn(text, "\n"), text);
	r = put_config(nc->name, text, err);
	if (r == 0)
		*changed = true;
	return r;
}

int netd_dns_sync(const char *network, struct netd_err *err)
{
	struct netd_netconf nc;
	cleanup_close int lk = -1;
	bool changed = false;
	int r;

	if (netd_dry())
		return 0;
	r = netd_netconf_load_checked(network, &nc, err);
	if (r == -ENOENT) {
		/* The network is gone (network rm): so are its names. */
		char path[PATH_MAX];

		netd_err_clear(err);
		if (state_path(path, sizeof(path), DNS_DIR, network) == 0 && unlink(path) == 0)
			changed = true;
		return apply(changed, NULL, err);
	}
	if (r < 0)
		return netd_err_prefix(err, "dns");
	lk = netd_store_lock_network(network, err);
	if (lk < 0)
		return lk;
	r = sync_file(&nc, &changed, err);
	close(steal_fd(&lk));
	if (r < 0)
		return r;
	return apply(changed, NULL, err);
}

static bool dir_exists(const char *a, const char *b)
{
	char path[PATH_MAX];
	struct stat st;

	return state_path(path, sizeof(path), a, b) == 0 && stat(path, &st) == 0;
}

/* Temp files in dns.tmp/ whose writer died ("NET.tmp.PID"). */
static void sweep_tmp(void)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (state_path(dir, sizeof(dir), DNS_TMP_DIR, NULL) < 0 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		const char *t = strstr(de->d_name, ".tmp.");
		long pid = t ? strtol(t + 5, NULL, 10) : 0;

		if (pid > 0 && pid <= INT_MAX && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

int netd_dns_converge(struct netd_err *err)
{
	char **names = NULL, dir[PATH_MAX];
	bool any_change = false;
	struct dirent *de;
	size_t nn = 0;
	int first = 0, r;
	DIR *d;

	if (netd_dry())
		return 0;
	r = netd_netconf_list(&names, &nn, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nn; i++) {
		struct netd_netconf nc;
		struct netd_err e;
		cleanup_close int lk = -1;
		bool changed = false;

		/* No state and no config: nothing to do, and the lock would create the state. */
		if (!dir_exists("networks", names[i]) && !dir_exists(DNS_DIR, names[i]))
			continue;
		if (netd_netconf_load_checked(names[i], &nc, &e) < 0)
			continue;
		lk = netd_store_lock_network(names[i], &e);
		r = lk < 0 ? lk : sync_file(&nc, &changed, &e);
		any_change |= changed;
		if (r < 0 && !first) {
			first = r;
			*err = e;
		}
	}
	/* Configs of networks that are no longer defined (network rm). */
	if (state_path(dir, sizeof(dir), DNS_DIR, NULL) == 0 && (d = opendir(dir))) {
		while ((de = readdir(d))) {
			bool defined = false;

			if (!config_name(de->d_name))
				continue;
			for (size_t i = 0; i < nn && !defined; i++)
				defined = !strcmp(names[i], de->d_name);
			if (!defined && unlinkat(dirfd(d), de->d_name, 0) == 0)
				any_change = true;
		}
		closedir(d);
	}
	netd_strv_free(names, nn);
	sweep_tmp();
	r = apply(any_change, NULL, first ? &(struct netd_err){0} : err);
	return first ? first : r;
}
