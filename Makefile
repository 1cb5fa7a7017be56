# netd / nsbox: libnetd, the netd CLI, the netd-cni plugin and the nsbox runtime.
#
#   make            release build into build/ (libnetd.a, libnetd.so, netd, netd-cni, nsbox)
#   make check      ASan+UBSan build into build-san/, then unit, integration and e2e tests
#   make install    [PREFIX=/usr/local] [DESTDIR=] [CNI_BIN_DIR=/opt/cni/bin]; make uninstall
#   make deb        Debian packages (dpkg-buildpackage -us -uc -b; the .debs land in ..)
#   make bench      benchmarks (root; lab-host namespaces only)
#   make fuzz       libFuzzer targets (clang)
#
# LIB_ONLY="err util portspec" builds libnetd.a from just those modules (for working on one
# module while others are in flux).

# The one home of the version: --version of every tool, libnetd.pc, the shared library's file
# name and soname (libnetd.so.MAJOR), and debian/changelog (a test compares them).
VERSION := 0.1.0
SOVERSION := $(firstword $(subst ., ,$(VERSION)))

BUILD ?= build
SAN ?= 0
CC ?= cc
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
CNI_BIN_DIR ?= /opt/cni/bin

PKGS := libnl-route-3.0 libnl-3.0 libmnl libnftnl jansson
# Error messages live in fixed buffers and are cut on purpose: -Wno-format-truncation.
# -isystem: warnings in foreign headers are not ours to fix, and -Werror must not trip on them.
PKG_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wwrite-strings -Wundef -Wcast-align -Wimplicit-fallthrough -Wvla -Wno-unused-parameter \
	-Wno-format-truncation
ifneq ($(findstring clang,$(CC)),)
WARNINGS += -Wno-unknown-warning-option
endif
OPT ?= -O2 -g
CFLAGS += -std=gnu11 $(OPT) $(WARNINGS) -fstack-protector-strong
CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -Iinclude -Inetd/lib $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS)

# Release binaries take libnl, libnftnl and jansson from their static archives when those exist
# (libmnl ships none): netd-cni is exec'd once per CNI call, and resolving five shared libraries
# was about a third of a no-op call's CPU (tests/bench, docs/perf.md). STATIC_DEPS=0 to disable.
STATIC_DEPS ?= $(if $(filter 1,$(SAN)),0,1)
DEP_LIBDIR := $(shell pkg-config --variable=libdir libnl-3.0 2>/dev/null)
DEP_ARCHIVES := $(wildcard $(addprefix $(DEP_LIBDIR)/,libnl-route-3.a libnl-3.a libnftnl.a libjansson.a))
ifeq ($(STATIC_DEPS)$(words $(DEP_ARCHIVES)),14)
LDLIBS := $(DEP_ARCHIVES) -lmnl -lpthread
endif

# libseccomp for nsbox only (its seccomp filter); the static archive in release builds, like the
# others above: one shared library fewer to resolve at each container start.
RT_LIBS := $(shell pkg-config --libs libseccomp 2>/dev/null)
SECCOMP_A := $(wildcard $(shell pkg-config --variable=libdir libseccomp 2>/dev/null)/libseccomp.a)
ifeq ($(STATIC_DEPS),1)
ifneq ($(SECCOMP_A),)
RT_LIBS := $(SECCOMP_A)
endif
endif

# Test builds (SAN=1: make check, stress) compile in the NETD_FAIL_AT fault points; release
# builds leave them out, so no environment variable can fail or kill a caller of the library.
ifeq ($(SAN),1)
OPT := -O1 -g
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CPPFLAGS += -DNETD_FAULT_INJECTION
LDFLAGS += -fsanitize=address,undefined
endif

ifneq ($(LIB_ONLY),)
LIB_SRCS := $(foreach m,$(LIB_ONLY),netd/lib/$(m).c)
else
LIB_SRCS := $(wildcard netd/lib/*.c)
endif
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libnetd.a
# The shared library: the same sources compiled as PIC, linked against the shared deps, and
# only the public API (every netd_* function include/netd/*.h declares) exported.
SOLIB := $(BUILD)/libnetd.so.$(VERSION)
PIC_OBJS := $(LIB_SRCS:%.c=$(BUILD)/pic/%.o)
MANPAGES := $(wildcard man/*.[1-8])

CLI_SRCS := $(wildcard netd/cli/*.c)
CNI_SRCS := $(wildcard cni-plugin/*.c)
RT_SRCS := $(wildcard runtime/*.c)

BINS :=
ifneq ($(CLI_SRCS),)
BINS += $(BUILD)/netd
endif
ifneq ($(CNI_SRCS),)
BINS += $(BUILD)/netd-cni
endif
ifneq ($(RT_SRCS),)
BINS += $(BUILD)/nsbox
endif

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
ITEST_SRCS := $(wildcard tests/integration/*.c)
ITEST_BINS := $(ITEST_SRCS:tests/integration/%.c=$(BUILD)/tests/integration/%)
# The bench's probes (spawn, nslisten, publat): built here too, so a library change that breaks
# one fails the build and not a bench run weeks later. The bench builds its own copies.
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/tests/bench/%)

.PHONY: all lib tests check unit integration e2e clients bench stress labs fuzz format format-check \
	install uninstall deb clean
all: $(LIB) $(BINS) $(SOLIB)
lib: $(LIB)

V ?= 0
ifeq ($(V),0)
Q := @
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (PIC)")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -MMD -MP -c -o $@ $<

$(BUILD)/obj/netd/lib/version.o $(BUILD)/pic/netd/lib/version.o: CPPFLAGS += -DNETD_VERSION='"$(VERSION)"'
$(BUILD)/obj/netd/lib/version.o $(BUILD)/pic/netd/lib/version.o: Makefile

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

# Inline helpers and macros of the public headers (<netd/util.h>) are no symbols of the library.
$(BUILD)/libnetd.map: $(wildcard include/netd/*.h) Makefile
	@mkdir -p $(dir $@)
	$(Q){ echo 'LIBNETD_$(SOVERSION) {'; echo 'global:'; \
	  grep -hE '\bnetd_[a-z0-9_]+\(' include/netd/*.h | grep -vE '^(static inline|#define)' | \
	  grep -oE '\bnetd_[a-z0-9_]+\(' | sed 's/($$/;/' | sort -u; \
	  echo 'local:'; echo '	*;'; echo '};'; } >$@

$(SOLIB): $(PIC_OBJS) $(BUILD)/libnetd.map
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libnetd.so.$(SOVERSION) \
	  -Wl,--version-script=$(BUILD)/libnetd.map -o $@ $(PIC_OBJS) $(PKG_LIBS)
	$(Q)ln -sf $(notdir $@) $(BUILD)/libnetd.so.$(SOVERSION)
	$(Q)ln -sf libnetd.so.$(SOVERSION) $(BUILD)/libnetd.so


# netd serve tells systemd when it is ready (sd_notify); libsystemd comes as a shared library only.
SD_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
$(BUILD)/netd: $(CLI_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SD_LIBS)

# The plugin's logic (everything but main.c) as an archive: netd-cni and the CNI unit tests link
# the same objects.
CNI_LIB := $(BUILD)/libnetdcni.a
$(CNI_LIB): $(filter-out $(BUILD)/obj/cni-plugin/main.o,$(CNI_SRCS:%.c=$(BUILD)/obj/%.o))
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/netd-cni: $(BUILD)/obj/cni-plugin/main.o $(CNI_LIB) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/nsbox: $(RT_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(RT_LIBS)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The CNI unit tests link the plugin's archive (this rule's shorter stem wins over the one above).
$(BUILD)/obj/tests/unit/test_cni_%.o: CPPFLAGS += -Icni-plugin
$(BUILD)/tests/unit/test_cni_%: $(BUILD)/obj/tests/unit/test_cni_%.o $(CNI_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
# test_ipam counts the allocator's lease claims (link() calls) to show what an address costs.
$(BUILD)/tests/unit/test_ipam: LDFLAGS += -Wl,--wrap=link
# nsbox's option parsers are pure: the unit test links them, not the runtime
$(BUILD)/tests/unit/test_nsbox_opts: $(BUILD)/obj/tests/unit/test_nsbox_opts.o \
		$(BUILD)/obj/runtime/opts.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# rawget is also copied into container rootfs (busybox, no shared libraries): static, so without
# sanitizers, and it uses nothing of libnetd.
$(BUILD)/tests/integration/rawget: tests/integration/rawget.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARNINGS) -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -static -o $@ $<

# test_gc runs gc on real state files and a fake host: the kernel steps gc takes are wrapped at
# link time (tests/unit/test_gc.c defines each __wrap_).
GC_WRAPS := netd_need_admin netd_rtnl_open netd_rtnl_close netd_link_get netd_link_del \
	netd_link_foreach_alias netd_netns_open netd_tomb_sweep netd_nat_table_probe \
	netd_nat_unpublish netd_network_restore_nat netd_dns_converge \
	netd_endpoint_teardown_flags netd_endpoint_teardown_damaged netd_name_check_network
comma := ,
$(BUILD)/tests/unit/test_gc: LDFLAGS += $(addprefix -Wl$(comma)--wrap=,$(GC_WRAPS))
# test_attach likewise: every kernel step netd_network_attach and its rollback take (the
# tombstone calls too: attach must not reach them, and the fakes fail the test if it does).
ATTACH_WRAPS := netd_need_admin netd_netns_open netd_netns_is_own netd_rtnl_open \
	netd_rtnl_open_in_netns netd_rtnl_close netd_route_default_mtu netd_route_is_local \
	netd_port_in_use netd_sysctl_read netd_ip_forward_on netd_ip6_forward_on \
	netd_bridge_ensure netd_bridge_addr6 netd_nat_ensure netd_network_restore_nat \
	netd_nat_table_exists netd_nat_attach netd_nat_unpublish netd_nat_network_del \
	netd_veth_create_in_ns netd_link_get netd_link_del netd_link_set_down netd_ctr_configure \
	netd_conntrack_flush_port netd_dns_sync netd_dns_server_path netd_tomb_bury netd_tomb_sweep \
	netd_ctr_check netd_nat_port_lookup \
	netd_name_check_network netd_name_check_id netd_name_check_ifname
$(BUILD)/tests/unit/test_attach: LDFLAGS += $(addprefix -Wl$(comma)--wrap=,$(ATTACH_WRAPS))

tests: $(UNIT_BINS) $(ITEST_BINS) $(BENCH_BINS)

# The test command of the README: everything, with sanitizers, in lab-host namespaces.
check:
	$(MAKE) all
	$(MAKE) SAN=1 BUILD=build-san all tests
	RELEASE_BUILD=$(BUILD) BUILD=build-san tests/run.sh

unit:
	$(MAKE) SAN=1 BUILD=build-san tests
	BUILD=build-san tests/run.sh unit

integration:
	$(MAKE) SAN=1 BUILD=build-san all tests
	BUILD=build-san tests/run.sh integration

e2e: all
	BUILD=$(BUILD) tests/run.sh e2e

bench: all
	BUILD=$(BUILD) tests/bench/run.sh

# Bounded load, chaos (kill -9 at fault points) and leak counts; a leftover fails the run.
stress:
	$(MAKE) SAN=1 BUILD=build-san all tests
	BUILD=build-san tests/stress/run.sh

# Every lab of docs/labs/ with its own solution and checker.
labs: all
	BUILD=$(BUILD) scripts/lab.sh all

# make fuzz [FUZZ_SECONDS=N]: builds every tests/fuzz/fuzz_*.c with clang (libFuzzer, ASan, UBSan)
# into build-fuzz/, linking libnetd.a and the front ends' parser objects (cni-plugin/conf.o,
# result.o; runtime/opts.o, record.o, seccomp_profile.o). FUZZ_SECONDS unset or 0: build only. FUZZ_SECONDS=N: then runs each
# target N seconds on a scratch copy of its seeds (tests/fuzz/corpus/NAME/; the checked-in corpus
# never grows), prints its executions and fails on a crash (reproducer in build-fuzz/crashes/NAME/).
FUZZ_SECONDS ?= 0
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_OBJS := build-fuzz/obj/cni-plugin/conf.o build-fuzz/obj/cni-plugin/result.o \
	build-fuzz/obj/runtime/opts.o build-fuzz/obj/runtime/record.o \
	build-fuzz/obj/runtime/seccomp_profile.o
# -Wno-error=cast-align: clang (not gcc) flags the netlink buffer casts of nftmsg.c, nlerr.c,
# serve.c; they stay visible as warnings here.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
fuzz:
	$(MAKE) CC=clang BUILD=build-fuzz OPT="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) -Wno-error=cast-align" \
	  lib $(FUZZ_OBJS)
	@for f in $(FUZZ_SRCS); do \
	  n=$$(basename $$f .c); echo "  FUZZ    $$n"; \
	  clang $(CPPFLAGS) -Icni-plugin -Iruntime -std=gnu11 -O1 -g $(WARNINGS) -Wno-unknown-warning-option \
	    -fsanitize=fuzzer $(FUZZ_SAN) -o build-fuzz/$$n $$f \
	    $(FUZZ_OBJS) build-fuzz/libnetd.a $(LDLIBS) || exit 1; done
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(notdir $(FUZZ_SRCS:.c=))

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format ok"

# DESTDIR stages (packaging, tests/e2e/test_install.sh). libnetd.pc and netd.service are made
# here, from their .in files, with the final paths (PREFIX, LIBDIR, ...; without DESTDIR).
SUBST = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	-e 's|@BINDIR@|$(BINDIR)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@PKGS@|$(PKGS)|' 
INSTALLED_MAN = $(foreach m,$(MANPAGES),$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
INSTALLED_COMPLETIONS = $(addprefix $(BASHCOMPDIR)/,$(notdir $(wildcard contrib/bash-completion/*)))
INSTALLED = $(BINDIR)/netd $(BINDIR)/nsbox $(CNI_BIN_DIR)/netd-cni \
	$(addprefix $(INCLUDEDIR)/netd/,$(notdir $(wildcard include/netd/*.h))) \
	$(LIBDIR)/libnetd.a $(LIBDIR)/libnetd.so.$(VERSION) $(LIBDIR)/libnetd.so.$(SOVERSION) \
	$(LIBDIR)/libnetd.so $(LIBDIR)/pkgconfig/libnetd.pc $(SYSTEMDUNITDIR)/netd.service \
	$(INSTALLED_MAN) $(INSTALLED_COMPLETIONS)
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(CNI_BIN_DIR) $(DESTDIR)$(INCLUDEDIR)/netd \
	  $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(BASHCOMPDIR) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man,$(sort $(subst .,,$(suffix $(MANPAGES)))))
	install -m 0755 $(BUILD)/netd $(BUILD)/nsbox $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILD)/netd-cni $(DESTDIR)$(CNI_BIN_DIR)/
	install -m 0644 include/netd/*.h $(DESTDIR)$(INCLUDEDIR)/netd/
	install -m 0644 $(BUILD)/libnetd.a $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(SOLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libnetd.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libnetd.so.$(SOVERSION)
	ln -sf libnetd.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libnetd.so
	$(SUBST) netd/lib/libnetd.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/libnetd.pc
	$(SUBST) contrib/systemd/netd.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/netd.service
	$(foreach m,$(MANPAGES),install -m 0644 $(m) $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/;)
	$(if $(INSTALLED_COMPLETIONS),install -m 0644 contrib/bash-completion/* $(DESTDIR)$(BASHCOMPDIR)/)
	@# a real install (no DESTDIR) makes libnetd.so.$(SOVERSION) known to the dynamic linker
	$(if $(DESTDIR),,-ldconfig)

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/netd 2>/dev/null
	$(if $(DESTDIR),,-ldconfig)

# Debian packages (debian/): libnetd0, libnetd-dev, netd, netd-cni, written to the parent
# directory as dpkg-buildpackage does. tests/e2e/test_deb.sh builds them from a copy of the tree.
deb:
	dpkg-buildpackage -us -uc -b

clean:
	rm -rf build build-san build-fuzz build-deb

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
