# SPDX-License-Identifier: Apache-2.0
#
# ikelogd: one non-recursive GNU Makefile. Objects go to build/; quiet
# unless V=1; the user's CFLAGS and LDFLAGS are appended, not replaced.

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
UNITDIR    ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
DESTDIR    ?=

CC      ?= cc
CLANG   ?= clang
BUILD   := build
PKGS    := libsystemd json-c yaml-0.1 libpcre2-8 openssl relp libmaxminddb libseccomp
WERROR  ?=
# The version has one home, debian/changelog (its first entry).
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla \
	-Wno-unused-parameter $(WERROR)
HARDEN_CFLAGS := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
BASE_CFLAGS := -std=gnu11 -O2 -g -D_GNU_SOURCE -Iinclude $(WARN) $(PKG_CFLAGS) \
	-DSYSCONFDIR='"$(SYSCONFDIR)"' -DDATADIR='"$(DATADIR)"' -DIKELOGD_VERSION='"$(VERSION)"'
ALL_CFLAGS := $(BASE_CFLAGS) $(HARDEN_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(HARDEN_LDFLAGS) $(LDFLAGS)
# The sanitizer build of the tests: no _FORTIFY_SOURCE (it hides overflows from ASan).
SAN_CFLAGS := $(BASE_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined $(CFLAGS)
SAN_LDFLAGS := -fsanitize=address,undefined $(LDFLAGS)

SRCS      := $(wildcard src/*.c)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
SAN_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
SAN_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/san/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
LAB_SRCS  := $(wildcard tests/lab/*.c)
LAB_LIBS  := $(LAB_SRCS:tests/lab/%.c=$(BUILD)/lab/%.so)

BIN := $(BUILD)/ikelogd
# The rule tables in the order the default configuration loads them: the
# first rule that matches wins, so the hand-written table comes first.
RULE_FILES := conf/rules/libreswan.yaml conf/rules/libreswan-inventory.yaml

# Debian packages for the build, the tests, the benchmarks and the demo.
DEB_PKGS := gcc make pkg-config libsystemd-dev libjson-c-dev libyaml-dev libpcre2-dev \
	libssl-dev libcmocka-dev clang libclang-rt-14-dev openssl systemd systemd-journal-remote \
	systemd-container debootstrap \
	rsyslog rsyslog-openssl rsyslog-gnutls libreswan libnss3-tools iproute2 procps \
	bsdutils python3 python3-jsonschema python3-yaml groff-base man-db liblognorm-utils libyajl-dev libfastjson-dev \
	libivykis0 libnet1 libwrap0 librelp-dev librelp0 rsyslog-relp \
	libmaxminddb-dev libmaxmind-db-writer-perl libseccomp-dev

.PHONY: deb all deps check unit unit-san test-rules field-check inventory-check integration fuzz fuzz-short bench install \
	uninstall clean format format-check demo lab-libs code-coverage test-profiles
.DEFAULT_GOAL := all

all: $(BIN) lab-libs

deps:
	$(Q)missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "deps: missing$$missing"; \
		echo "deps: run as root: apt-get install -y --no-install-recommends$$missing"; \
	fi

# Objects depend on the paths and the version compiled into them: a changed
# PREFIX or a new changelog entry rebuilds.
PATHS_STAMP := $(BUILD)/paths-$(shell printf '%s' '$(SYSCONFDIR):$(DATADIR):$(VERSION)' | md5sum | cut -c1-12)
$(PATHS_STAMP):
	@mkdir -p $(@D) && rm -f $(BUILD)/paths-* && touch $@

$(BUILD)/%.o: %.c $(PATHS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c $(PATHS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC-SAN  $<")
	$(Q)$(CC) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libikelogd.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/san/libikelogd.a: $(SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(BUILD)/libikelogd.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) $(PKG_LIBS) -lm

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libikelogd.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS) -lm

$(BUILD)/san/tests/%: $(BUILD)/san/tests/unit/%.o $(BUILD)/san/libikelogd.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD-SAN  $@")
	$(Q)$(CC) $(SAN_CFLAGS) $^ -o $@ $(SAN_LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS) -lm

# libFuzzer targets link the library sources directly, built with clang.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CLANG) $(BASE_CFLAGS) -O1 -fsanitize=fuzzer,address,undefined $^ -o $@ $(PKG_LIBS) -lm

# The same targets without ASan/UBSan, for long differential runs: the
# writer against json-c counts executions, and the sanitizers cost ~10x.
$(BUILD)/fuzz-fast/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ-O2 $@")
	$(Q)$(CLANG) $(BASE_CFLAGS) -fsanitize=fuzzer $^ -o $@ $(PKG_LIBS) -lm

# Shared objects the lab preloads into pluto (tests/lab/).
lab-libs: $(LAB_LIBS)
$(BUILD)/lab/%.so: tests/lab/%.c
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra $(WERROR) -fPIC -shared $< -o $@ -ldl

# Line coverage of the unit tests (gcc and gcov; its own objects in $(BUILD)/cov):
# one "FILE PERCENT%" line per src/*.c, then "total PERCENT%" over every
# instrumented line. The golden test runs the instrumented ikelogd.
COV_CC     ?= gcc
GCOV       ?= gcov
COV_CFLAGS := $(BASE_CFLAGS) -O0 --coverage $(CFLAGS)
COV_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/cov/%.o)
COV_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/cov/tests/%)
.SECONDARY: $(UNIT_SRCS:%.c=$(BUILD)/cov/%.o)

$(BUILD)/cov/%.o: %.c $(PATHS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC-COV  $<")
	$(Q)$(COV_CC) $(COV_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/cov/libikelogd.a: $(COV_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/cov/tests/%: $(BUILD)/cov/tests/unit/%.o $(BUILD)/cov/libikelogd.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD-COV  $@")
	$(Q)$(COV_CC) $(COV_CFLAGS) $^ -o $@ --coverage $(LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS) -lm

$(BUILD)/cov/ikelogd: $(BUILD)/cov/src/main.o $(BUILD)/cov/libikelogd.a
	@$(if $(Q),echo "  LD-COV  $@")
	$(Q)$(COV_CC) $(COV_CFLAGS) $^ -o $@ --coverage $(LDFLAGS) $(PKG_LIBS) -lm

code-coverage: $(COV_BINS) $(BUILD)/cov/ikelogd
	$(Q)find $(BUILD)/cov -name '*.gcda' -delete
	$(Q)fail=0; for t in $(COV_BINS); do IKELOGD=$(BUILD)/cov/ikelogd $$t > $$t.log 2>&1 || \
		{ fail=1; echo "FAILED: $$t (see $$t.log)"; }; done; \
	$(GCOV) -n -o $(BUILD)/cov/src $(SRCS) 2>/dev/null | awk -v q="'" ' \
		/^File / { f = $$2; gsub(q, "", f); next } \
		/^Lines executed:/ && f ~ /^src\/.*\.c$$/ { split($$2, a, /[:%]/); n = $$4; \
			hit = int(a[2] * n / 100 + 0.5); printf "%s %.1f%%\n", f, a[2]; \
			H += hit; N += n; f = "" } \
		/^No executable lines/ { f = "" } \
		END { printf "total %.1f%%\n", N ? 100 * H / N : 0 }'; \
	exit $$fail

# Tests: unit (plain, then ASan+UBSan), the rule examples, integration.
# test_golden runs $(BIN).
unit: $(UNIT_BINS) $(BIN)
	$(Q)fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

unit-san: $(SAN_BINS) $(BIN)
	$(Q)fail=0; for t in $(SAN_BINS); do echo "== $$t"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t || fail=1; done; exit $$fail

test-rules: $(BIN)
	$(Q)$(BIN) test-rules $(RULE_FILES)

# Only the config loader, the daemon, main and the tools name struct config;
# the other modules take their own options (tests/config-scope; the
# self-test shows the check refuses a file that breaks the rule).
.PHONY: config-scope
field-check: $(BIN)
	$(Q)tests/field/check

config-scope:
	$(Q)tests/config-scope --self-test
	$(Q)tests/config-scope

# SIEM profiles: every fixture event, and the unit test's samples, in OCSF and
# ECS, validated against the vendored schema releases (tests/schemas).
test-profiles: $(BIN) $(BUILD)/tests/test_event_profile
	$(Q)rm -f $(BUILD)/profile-samples.jsonl
	$(Q)IKELOGD_PROFILE_SAMPLES=$(BUILD)/profile-samples.jsonl $(BUILD)/tests/test_event_profile >/dev/null
	$(Q)tests/profiles/validate --samples $(BUILD)/profile-samples.jsonl

# Each mutant of tests/mutants.tsv, applied alone to a scratch copy, must fail its target.
.PHONY: mutate
mutate: $(UNIT_BINS) $(BIN)
	$(Q)tests/mutate

integration: all
	$(Q)tests/integration/run

# The pluto message inventory: the info check, then the coverage report
# (tests/inventory/README.md); fails only when the check fails.
inventory-check: $(BIN)
	$(Q)tests/inventory/check --coverage --uncovered $(BUILD)/inventory-uncovered.tsv

fuzz-short: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		$$f -max_total_time=$${FUZZ_SECONDS:-10} -max_len=4096 $(BUILD)/fuzz/corpus-$$n tests/fuzz/seeds-$$n \
			> $(BUILD)/fuzz/$$n.log 2>&1; rc=$$?; \
		echo "$$n: $$(grep -E '^Done [0-9]+ runs' $(BUILD)/fuzz/$$n.log || echo 'no summary')"; \
		if [ $$rc -ne 0 ]; then tail -n 30 $(BUILD)/fuzz/$$n.log; exit 1; fi; done

fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		$$f -max_total_time=$${FUZZ_SECONDS:-600} $(BUILD)/fuzz/corpus-$$n tests/fuzz/seeds-$$n || exit 1; done

bench: all
	$(Q)tests/bench/run
	$(Q)tests/bench/enrich

check:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory WERROR=-Werror all
	$(Q)$(MAKE) --no-print-directory config-scope
	$(Q)$(MAKE) --no-print-directory WERROR=-Werror unit
	$(Q)$(MAKE) --no-print-directory WERROR=-Werror unit-san
	$(Q)$(MAKE) --no-print-directory WERROR=-Werror mutate
	$(Q)$(MAKE) --no-print-directory WERROR=-Werror test-rules
	$(Q)$(MAKE) --no-print-directory WERROR=-Werror field-check
	$(Q)$(MAKE) --no-print-directory WERROR=-Werror test-profiles
	$(Q)tests/inventory/check --coverage --floor tests/inventory/covered-floor.tsv \
		--exceptions tests/inventory/uncovered-exceptions.tsv
	$(Q)$(MAKE) --no-print-directory WERROR=-Werror fuzz-short
	$(Q)$(MAKE) --no-print-directory WERROR=-Werror integration

demo:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/lab/demo

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(SYSCONFDIR)/ikelogd \
		$(DESTDIR)$(DATADIR)/ikelogd/rules $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/ikelogd
	install -m 0644 conf/rules/*.yaml $(DESTDIR)$(DATADIR)/ikelogd/rules/
	install -m 0644 conf/ikelogd.schema.json $(DESTDIR)$(DATADIR)/ikelogd/ 2>/dev/null || true
	[ -e $(DESTDIR)$(SYSCONFDIR)/ikelogd/ikelogd.yaml ] || { \
		sed -e 's|/usr/share/ikelogd/|$(DATADIR)/ikelogd/|g' -e 's|/etc/ikelogd/|$(SYSCONFDIR)/ikelogd/|g' \
			conf/ikelogd.yaml > $(DESTDIR)$(SYSCONFDIR)/ikelogd/ikelogd.yaml && \
		chmod 0644 $(DESTDIR)$(SYSCONFDIR)/ikelogd/ikelogd.yaml; }
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		systemd/ikelogd.service > $(DESTDIR)$(UNITDIR)/ikelogd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ikelogd.service
	for m in conf/man/*.5; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/; done; true
	for m in conf/man/*.8; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done; true

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/ikelogd $(DESTDIR)$(UNITDIR)/ikelogd.service
	rm -rf $(DESTDIR)$(DATADIR)/ikelogd
	rm -f $(DESTDIR)$(MANDIR)/man5/ikelogd.yaml.5 $(DESTDIR)$(MANDIR)/man8/ikelogd.8
	@echo "left in place: $(DESTDIR)$(SYSCONFDIR)/ikelogd (your configuration)"

# The Debian package (debian/): built from a copy of the tree under
# $(BUILD)/deb, so the tree stays clean; the .deb lands in $(BUILD)/, then
# lintian checks it (an error or a warning fails). DEB_BUILD_OPTIONS=nocheck
# skips the unit tests the package build runs.
DEB_TOOLS := debhelper dpkg-dev fakeroot lintian
DEB_ARCH   = $(shell dpkg --print-architecture)
DEB_FILE   = $(BUILD)/ikelogd_$(VERSION)_$(DEB_ARCH).deb
deb:
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(DEB_TOOLS)"
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/ikelogd-$(VERSION)
	$(Q)tar -c --exclude=./$(BUILD) --exclude=./.git --exclude=./debian/ikelogd \
		--exclude=./debian/.debhelper . | tar -x -C $(BUILD)/deb/ikelogd-$(VERSION)
	$(Q)cd $(BUILD)/deb/ikelogd-$(VERSION) && dpkg-checkbuilddeps && \
		dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || { tail -n 40 ../build.log; exit 1; }
	$(Q)mv $(BUILD)/deb/ikelogd_$(VERSION)_$(DEB_ARCH).deb $(DEB_FILE)
	$(Q)lintian --fail-on error,warning --tag-display-limit 0 $(DEB_FILE)
	$(Q)echo "deb: $(DEB_FILE) $$(sha256sum $(DEB_FILE) | cut -c1-16)"

format:
	$(Q)clang-format -i $(SRCS) include/*.h $(UNIT_SRCS) $(FUZZ_SRCS)

format-check:
	$(Q)clang-format --dry-run -Werror $(SRCS) include/*.h $(UNIT_SRCS) $(FUZZ_SRCS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
