# sipconform: build, run and test.  `make run` and `make test` are the two
# set-up commands of the README; both first make sure the Debian packages exist.

CC       ?= cc
BUILD    ?= build
VERSION  := 0.1.0

# libre 1.1.0 needs these or re_types.h redefines bool (see libre-notes.md)
RE_DEFS  := -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP \
            $(RE_DEFS) -I/usr/include/re -I/usr/include/rem -Icommon -Imedia -Isim-registrar -Isim-phone \
            -Iharness -Ireports -Itests/unit -DSIPCONFORM_VERSION='"$(VERSION)"'
LDLIBS   += -lrem -lre -lyaml -lssl -lcrypto -lm -lpthread

ifeq ($(SAN),1)
BUILD    := build-san
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
# Every sanitized process the tests start (registrars stopped with SIGTERM,
# phones, the harness) writes its report, a leak at exit included, to
# SAN_LOGS/<tool>.<pid>; `make test SAN=1` fails when any is there, since
# the scripts do not look at a stopped process's exit status or stderr.
SAN_LOGS := $(CURDIR)/$(BUILD)/san-logs
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:log_path=$(SAN_LOGS)/asan
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1:log_path=$(SAN_LOGS)/ubsan
endif

# `make run` needs the build's packages alone; `make test` adds the peers
# the tests talk to and the tools they check with
RUN_PKGS  := gcc make pkg-config libre-dev librem-dev libyaml-dev libssl-dev
TEST_PKGS := check sip-tester python3 python3-yaml python3-jsonschema kamailio \
             tshark chromium time baresip-core sipvicious clang \
             libclang-rt-14-dev man-db linphone-cli

# make install (README "Install"); the Debian package installs with PREFIX=/usr
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   := $(PREFIX)/bin
SHAREDIR := $(PREFIX)/share/sipconform
MANDIR   := $(PREFIX)/share/man
DOCDIR   := $(PREFIX)/share/doc/sipconform
MANPAGES := $(wildcard docs/man/*.[158])

# Library sources: every .c of a part except its program's main.
# (a part's subfolders, one theme each, are part of the library too)
LIB_SRC  := $(wildcard common/*.c common/*/*.c media/*.c) \
            $(filter-out sim-registrar/main.c, $(wildcard sim-registrar/*.c)) \
            $(wildcard sim-registrar/*/*.c harness/*/*.c reports/*/*.c) \
            $(filter-out sim-phone/main.c, $(wildcard sim-phone/*.c)) \
            $(filter-out harness/main.c, $(wildcard harness/*.c)) \
            $(wildcard reports/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libsipconform.a

PROGS    := $(BUILD)/sim-registrar
ifneq ($(wildcard sim-phone/main.c),)
PROGS    += $(BUILD)/sim-phone
endif
ifneq ($(wildcard harness/main.c),)
PROGS    += $(BUILD)/harness
endif

# every tests/unit/test_*.c is one Check program of its own
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# helpers the unit tests share
TLIB_SRC := $(filter-out $(UNIT_SRC), $(wildcard tests/unit/*.c))
TLIB_OBJ := $(TLIB_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all deps test-deps progs install product package run registrar test unit integration torture phones fuzz fuzz-regressions bench bench-smoke soak-smoke clean
# objects are kept between builds
.SECONDARY:
all: deps $(PROGS)

# the programs alone, no package check (debian/rules)
progs: $(PROGS)

deps:
	@$(call install_pkgs,$(RUN_PKGS))

test-deps:
	@$(call install_pkgs,$(RUN_PKGS) $(TEST_PKGS))

# the packages of $(1) that are missing, installed (as root) or named
define install_pkgs
	missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	    case "$$missing" in *kamailio*) \
	      systemctl disable --now kamailio >/dev/null 2>&1 || true;; esac; \
	  else \
	    echo "missing Debian packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

# programs in bin/, the packs (scenarios/, with the phone pack in
# scenarios/phone/) in share/sipconform/, the manual pages, the rules
install: progs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/rules
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	find scenarios -type f ! -name '*~' | while read -r f; do \
	  install -D -m 644 "$$f" "$(DESTDIR)$(SHAREDIR)/$$f" || exit 1; done
	install -m 644 reports/results.schema.json $(DESTDIR)$(SHAREDIR)/
	for m in $(MANPAGES); do \
	  install -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; done
	install -m 644 docs/rules/*.md $(DESTDIR)$(DOCDIR)/rules/
	install -m 644 scenarios/README.md $(DESTDIR)$(DOCDIR)/scenarios.md
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%: $(BUILD)/obj/%/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TLIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TLIB_OBJ) $(LIB) $(LDLIBS) -lcheck -lsubunit -lm

# the main job: every scenario against the in-process reference registrar
run: all
	./$(BUILD)/harness run scenarios/

# the reference registrar alone, on 127.0.0.1:5060
registrar: all
	./$(BUILD)/sim-registrar

unit: test-deps $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; \
	  CK_DEFAULT_TIMEOUT=60 $$t || fail=1; done; exit $$fail

# SIPp against the registrar, SIPVicious against it (tests/security), the
# scenario suite, the suite against Kamailio, media against SIPp and baresip
integration: all test-deps
	BUILD=$(BUILD) bash tests/integration/run.sh
	BUILD=$(BUILD) bash tests/security/sipvicious.sh
	./$(BUILD)/harness run scenarios/
	BUILD=$(BUILD) bash tests/reports/run.sh
	BUILD=$(BUILD) bash tests/kamailio/compare.sh
	BUILD=$(BUILD) bash tests/media/run.sh
	BUILD=$(BUILD) bash tests/phone/simphone.sh
	BUILD=$(BUILD) bash tests/phone/protocol.sh
	BUILD=$(BUILD) bash tests/phone/all.sh

# every softphone of tests/phone/ on each transport (about 25 minutes),
# then docs/phones.md: the rules against each UA and transport
PHONE_RUNS := baresip-udp baresip-tls baresip-srtp linphone-udp linphone-tls linphone-srtp sipp-udp
phones: all
	@for r in $(PHONE_RUNS); do \
	  BUILD=$(BUILD) bash tests/phone/$${r%-*}.sh $${r##*-} || true; done
	python3 tests/phone/matrix.py $(BUILD)/harness \
	  $(addprefix $(BUILD)/tests/phone/,$(PHONE_RUNS)) > docs/phones.md

test: unit integration torture product
ifeq ($(SAN),1)
	@bash tests/lib/san_check.sh "$(SAN_LOGS)"

# the reports of this run only
unit integration torture: | san-logs
san-logs:
	@rm -rf "$(SAN_LOGS)" && mkdir -p "$(SAN_LOGS)"
.PHONY: san-logs
endif

# RFC 4475 torture tests (tests/torture/README.md): the registrar and the
# phone's response path against tests/torture/messages (RFC 4475's)
TORTURE_BIN := $(BUILD)/tests/torture/phone_torture

$(TORTURE_BIN): $(BUILD)/obj/tests/torture/phone_torture.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) -ldl

torture: all test-deps $(TORTURE_BIN)
	BUILD=$(BUILD) bash tests/torture/run.sh

# libFuzzer targets (tests/fuzz/README.md): clang + libclang-rt-14-dev;
# FUZZ_SECONDS per target
FUZZ_SECONDS ?= 20
fuzz: all test-deps
	BUILD=$(BUILD) bash tests/fuzz/build.sh
	BUILD=$(BUILD) bash tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-regressions: all test-deps
	BUILD=$(BUILD) bash tests/fuzz/build.sh
	BUILD=$(BUILD) bash tests/fuzz/run.sh --regressions

# the registrar benchmark (bench/README.md): minutes; writes bench/results.md;
# then the soak (bench/soak.py, ~16 minutes): its section and bench/soak.svg;
# then media (bench/media.sh, ~5 minutes): 500 calls with RTP, its section
bench: all test-deps
	BUILD=$(BUILD) bash bench/run.sh
	BUILD=$(BUILD) python3 bench/soak.py
	BUILD=$(BUILD) bash bench/media.sh

# seconds: the benchmark runs and prints every figure; fails on a lost one
bench-smoke: all test-deps
	BUILD=$(BUILD) bash bench/run.sh --smoke
	BUILD=$(BUILD) bash bench/media.sh --smoke

# the product's own checks (tests/product/README.md): docs/rules against the
# code, --version, make install, --shard/merge, --repeat, the results schema,
# the CI files of docs/ci
product: all test-deps
	BUILD=$(BUILD) bash tests/product/run.sh

# the Debian package built, installed and run (tests/package/run.sh; root)
package: test-deps
	bash tests/package/run.sh

# about a minute: 3000 users re-register 30 times; fails when the
# registrar's memory still grows (>= 5 %) after round 20, or on a lost one
soak-smoke: all
	BUILD=$(BUILD) python3 bench/soak.py --smoke

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
