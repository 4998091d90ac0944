# minica — see README.md.  `make`, `make test`, `make install`, `make clean`.
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
COMPDIR   ?= $(PREFIX)/share/bash-completion/completions
CC        ?= cc
PKG_CONFIG ?= pkg-config
BUILD     ?= build
VERSION   := 0.1.0

PKGS      := libcrypto libssl sqlite3 popt libidn2 libpsl libmicrohttpd jansson libcurl gnutls
# libunbound.pc names libevent and nettle as private requirements (their
# -dev packages are not needed to link the shared library): plain -lunbound.
NOPC_LIBS := -lunbound
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-missing-field-initializers
SAN_FLAGS :=
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
# libFuzzer coverage in every object; only fuzz/ targets link the fuzzer.
ifeq ($(SAN),fuzz)
SAN_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
DEPFLAGS    = -MMD -MP
ALL_CFLAGS  = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
              -DMINICA_VERSION='"$(VERSION)"' -I. $(shell $(PKG_CONFIG) --cflags $(PKGS))
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS) -pthread
LIBS        = $(shell $(PKG_CONFIG) --libs $(PKGS)) $(NOPC_LIBS)
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags criterion)
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs criterion)

LIB_SRC   := $(sort $(wildcard util/*.c ca/*.c policy/*.c store/*.c deploy/*.c issue/*.c acme/*.c) $(filter-out cmd/main.c,$(wildcard cmd/*.c)))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
# Every header, for `make headers` (dependencies come from -MMD -MP).
HEADERS   := $(sort $(wildcard */*.h tests/*/*.h))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_NAMES := $(sort $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c)))
FUZZ_DEPS  := $(BUILD)/fuzz-support/util.o $(BUILD)/libminica.a
# Seconds per fuzz target for `make fuzz`: six targets, about ten minutes.
FUZZ_SECONDS ?= 100

.PHONY: all test suite headers check-O0 unit cli e2e crash crash-quick install uninstall clean check-asan check-valgrind \
	check-valgrind-ci bench fuzz fuzz-run replay crash-acme

all: $(BUILD)/minica

# The fault-injection shim (tests/crash/): no sanitizers, whatever the
# build, because ASan must come first in a process and this is preloaded.
FAULT_LIB := $(BUILD)/tests/libfault.so
$(FAULT_LIB): tests/crash/fault.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) -std=gnu11 $(WARN) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/libminica.a: $(LIB_OBJ)
	@rm -f $@
	@$(AR) rcs $@ $^

$(BUILD)/minica: $(BUILD)/cmd/main.o $(BUILD)/libminica.a
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libminica.a
	@mkdir -p $(dir $@)
	@echo "  TEST-LD $@"
	@$(CC) $(ALL_CFLAGS) $(DEPFLAGS) $(TEST_CFLAGS) -o $@ $< $(BUILD)/libminica.a $(ALL_LDFLAGS) $(TEST_EXTRA_LDFLAGS) $(LIBS) $(TEST_LIBS)

# Every free() in minica's code goes through the suite's check for secrets.
$(BUILD)/tests/test_wipe: TEST_EXTRA_LDFLAGS = -Wl,--wrap=free

# fuzz/util.c and fuzz/replay.c as objects of their own, so that each link
# below has one source and its own dependency file.
$(BUILD)/fuzz-support/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

.SECONDARY: $(BUILD)/fuzz-support/util.o $(BUILD)/fuzz-support/replay.o

# The fuzz targets without libFuzzer: replay seeds and past crashes.
$(BUILD)/fuzz/%: fuzz/%.c $(BUILD)/fuzz-support/replay.o $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ-LD $@"
	@$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/fuzz-support/replay.o $(BUILD)/fuzz-support/util.o $(BUILD)/libminica.a $(ALL_LDFLAGS) $(LIBS)

# The same targets with libFuzzer (only in `make fuzz`'s SAN=fuzz build).
$(BUILD)/fuzzers/%: fuzz/%.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	@echo "  FUZZER  $@"
	@$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz-support/util.o $(BUILD)/libminica.a $(ALL_LDFLAGS) $(LIBS)

# Every test: the tree built at -O0 (gcc's
# format-truncation and uninitialised-use warnings differ by -O level),
# the suite (each header alone and twice, unit suites, the built binary
# from the outside, the real daemons), then the suite again under ASan+UBSan, then a subset of the
# CLI tests under valgrind, then a short crash-safety run (timings:
# docs/reliability.md).
test: check-O0 suite check-asan check-valgrind-ci crash-quick

# Each header (tests' and fuzz's too) compiled alone and twice in one unit:
# a guard that closes early, or a header that needs another one included
# first, fails here.  Part of suite.
headers:
	@mkdir -p $(BUILD)/headers
	@set -e; for h in $(HEADERS); do \
		f=$(BUILD)/headers/$$(echo $$h | tr / _).c; \
		printf '#include "%s"\n#include "%s"\n' $$h $$h > $$f; \
		$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -fsyntax-only $$f || { echo "headers: $$h is not safe to include twice"; exit 1; }; \
	done; echo "headers: $(words $(HEADERS)) headers, each included twice"

# The library, the binary and the unit tests compiled and linked at -O0
# (not run: `suite` runs them), in their own folder.
check-O0:
	@$(MAKE) --no-print-directory BUILD=build-O0 CFLAGS="-O0 -g" build-O0/minica $(UNIT_SRC:tests/unit/%.c=build-O0/tests/%)
	@echo "check-O0: the tree builds with -Werror at -O0"

suite: headers sizes unit cli e2e

# The size rules: cmd/*.c <= 300 lines, files <= ~800, functions <= 120
# (over 60 listed).
.PHONY: sizes
sizes:
	@sh tests/sizes.sh

unit: $(UNIT_BIN) replay
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t --jobs 2 --short-filename; done

replay: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
	@set -e; for t in $(FUZZ_NAMES); do $(BUILD)/fuzz/$$t fuzz/corpus/$$t fuzz/regressions/$$t; done

cli: $(BUILD)/minica $(FAULT_LIB)
	@MINICA_BIN=$(abspath $(BUILD)/minica) FAULT_LIB=$(abspath $(FAULT_LIB)) sh tests/cli/run.sh

# E2E: name prefixes of the end-to-end tests to run (empty: all of them).
E2E ?=
e2e: $(BUILD)/minica
	@MINICA_BIN=$(abspath $(BUILD)/minica) sh tests/e2e/run.sh $(E2E)

# Crash safety: minica killed at every file operation of issue --deploy and
# renew, and at random moments; and of the CA's own key moves (intermediate
# rotate, root offline/online, root rotate: crash_ca.sh) (docs/reliability.md);
# crash-quick is the deterministic subset make test runs.
crash: $(BUILD)/minica $(FAULT_LIB)
	@MINICA_BIN=$(abspath $(BUILD)/minica) FAULT_LIB=$(abspath $(FAULT_LIB)) sh tests/crash/crash.sh full
	@MINICA_BIN=$(abspath $(BUILD)/minica) FAULT_LIB=$(abspath $(FAULT_LIB)) sh tests/crash/crash_ca.sh full

crash-quick: $(BUILD)/minica $(FAULT_LIB)
	@MINICA_BIN=$(abspath $(BUILD)/minica) FAULT_LIB=$(abspath $(FAULT_LIB)) sh tests/crash/crash.sh quick
	@MINICA_BIN=$(abspath $(BUILD)/minica) FAULT_LIB=$(abspath $(FAULT_LIB)) sh tests/crash/crash_ca.sh quick
	@MINICA_BIN=$(abspath $(BUILD)/minica) FAULT_LIB=$(abspath $(FAULT_LIB)) sh tests/crash/crash_acme.sh quick

# The ACME server SIGKILLed during finalize: every fsync, before and after,
# every write, then random kills (tests/crash/crash_acme.sh, ~15 min).
crash-acme: $(BUILD)/minica $(FAULT_LIB)
	@MINICA_BIN=$(abspath $(BUILD)/minica) FAULT_LIB=$(abspath $(FAULT_LIB)) sh tests/crash/crash_acme.sh full

# Speed against OpenSSL's floor and the tools users would pick instead;
# prints a markdown table (see docs/performance.md).  Not part of `test`.
$(BUILD)/bench/parts: bench/parts.c $(BUILD)/libminica.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@" >&2
	@$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(BUILD)/libminica.a $(ALL_LDFLAGS) $(LIBS)

bench: $(BUILD)/minica $(BUILD)/bench/parts
	@echo "make bench: about 20 minutes (BENCH_ONLY=stores: about 3, BENCH_ONLY=batch: about 1, BENCH_ONLY=acme: about 10); the report goes to stdout" >&2
	@MINICA_BIN=$(abspath $(BUILD)/minica) PARTS_BIN=$(abspath $(BUILD)/bench/parts) bash bench/run.sh

# The suite again under AddressSanitizer and UBSan (LeakSanitizer on),
# in its own folder.  Sanitizer reports must fail a test even where it
# expects exit 1, so they get their own exit codes.
# Its e2e part is E2E_ASAN: the ACME server fed hostile and odd input by
# the Python clients, every challenge type, ARI, EAB, DANE and the
# stopped-daemon deploy (not the tests that preload libfaketime into
# minica, which deadlocks with the sanitizers at start-up).  The interoperability runs (certbot, lego, dehydrated, uacme,
# Caddy, nginx, the mail daemons) drive the same server code and run in
# the plain suite; `make check-asan E2E=` runs them all.
E2E_ASAN := t_acme_alpn t_acme_ari t_acme_eab t_acme_hostile2 t_acme_refusals t_dane t_deploy_stopped
check-asan: $(BUILD)/minica
	ASAN_OPTIONS=exitcode=86:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87 \
	MINICA_PLAIN_BIN=$(abspath $(BUILD)/minica) $(MAKE) BUILD=build-asan SAN=1 CC=clang suite \
	    E2E="$(if $(filter command line,$(origin E2E)),$(E2E),$(E2E_ASAN))"

# The CLI tests with every minica run under valgrind memcheck (openssl and
# the shell are not): any error or definite leak fails.  VALGRIND_CLI:
# test name prefixes (default: all, about 15 minutes on 2 cores; `make test`
# runs VALGRIND_CLI_CI, about 2).
VALGRIND_CLI ?=
VALGRIND_CLI_CI := t_hostile_input t_init_refusals
check-valgrind: $(BUILD)/minica
	@rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	@MINICA_BIN=$(abspath tests/valgrind.sh) MINICA_SETUP_BIN=$(abspath $(BUILD)/minica) \
	    MINICA_VALGRIND_BIN=$(abspath $(BUILD)/minica) MINICA_VALGRIND_LOGS=$(abspath $(BUILD)/valgrind) \
	    sh tests/cli/run.sh $(VALGRIND_CLI); rc=$$?; \
	runs=$$(ls $(BUILD)/valgrind | wc -l); \
	bad=$$(find $(BUILD)/valgrind -name 'vg.*.log' -size +0 | sort); \
	if [ -n "$$bad" ]; then for f in $$bad; do echo "== $$f"; cat "$$f"; done; \
		echo "valgrind: errors or definite leaks in $$(echo "$$bad" | wc -l) of $$runs minica runs"; exit 1; fi; \
	echo "valgrind: $$runs minica runs, no errors, no definite leaks"; exit $$rc

check-valgrind-ci:
	@$(MAKE) --no-print-directory check-valgrind VALGRIND_CLI="$(VALGRIND_CLI_CI)"

# libFuzzer with ASan+UBSan, FUZZ_SECONDS per target; new inputs go to
# build-fuzz/corpus/, crashes to build-fuzz/crashes/ (then fails).
fuzz:
	@$(MAKE) BUILD=build-fuzz SAN=fuzz CC=clang CFLAGS="-O1 -g" fuzz-run

fuzz-run: $(FUZZ_NAMES:%=$(BUILD)/fuzzers/%)
	@fail=0; mkdir -p $(BUILD)/crashes; for t in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/corpus/$$t; \
		echo "== $$t ($(FUZZ_SECONDS)s)"; \
		if $(BUILD)/fuzzers/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=25 -rss_limit_mb=2048 \
		    -print_final_stats=1 -artifact_prefix=$(BUILD)/crashes/$$t- \
		    $(BUILD)/corpus/$$t fuzz/corpus/$$t > $(BUILD)/$$t.log 2>&1; then \
			grep -E "^stat::number_of_executed_units|^#[0-9]+ *DONE" $(BUILD)/$$t.log | tail -2; \
		else \
			echo "FAIL $$t: see $(BUILD)/$$t.log"; grep -A3 "^==[0-9]*==ERROR\|^SUMMARY\|deadly signal\|timeout after" $(BUILD)/$$t.log | head -20; fail=1; \
		fi; \
	done; exit $$fail

install: $(BUILD)/minica
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPDIR)
	install -m 0755 $(BUILD)/minica $(DESTDIR)$(BINDIR)/minica
	install -m 0644 docs/minica.1 $(DESTDIR)$(MANDIR)/man1/minica.1
	install -m 0644 contrib/minica.bash $(DESTDIR)$(COMPDIR)/minica

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/minica $(DESTDIR)$(MANDIR)/man1/minica.1 $(DESTDIR)$(COMPDIR)/minica

clean:
	rm -rf $(BUILD) build build-*/

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
