# minica — see README.md.  `make`, `make test`, `make install`, `make clean`.
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
CC        ?= cc
PKG_CONFIG ?= pkg-config
BUILD     ?= build
VERSION   := 0.1.0

PKGS      := libcrypto libssl sqlite3 popt libidn2
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-missing-field-initializers
SAN_FLAGS :=
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ALL_CFLAGS  = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
              -DMINICA_VERSION='"$(VERSION)"' -I. $(shell $(PKG_CONFIG) --cflags $(PKGS))
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS) -pthread
LIBS        = $(shell $(PKG_CONFIG) --libs $(PKGS))
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags criterion)
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs criterion)

LIB_SRC   := $(sort $(wildcard util/*.c ca/*.c policy/*.c store/*.c deploy/*.c) $(filter-out cmd/main.c,$(wildcard cmd/*.c)))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
HEADERS   := $(wildcard */*.h)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test unit cli e2e install uninstall clean check-asan check-valgrind bench fuzz

all: $(BUILD)/minica

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libminica.a: $(LIB_OBJ)
	@rm -f $@
	@$(AR) rcs $@ $^

$(BUILD)/minica: $(BUILD)/cmd/main.o $(BUILD)/libminica.a
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libminica.a $(HEADERS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  TEST-LD $@"
	@$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(BUILD)/libminica.a $(ALL_LDFLAGS) $(LIBS) $(TEST_LIBS)

# Every test: unit suites, then the built binary from the outside, then the
# real daemons.
test: unit cli e2e

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t --jobs 2 --short-filename; done

cli: $(BUILD)/minica
	@MINICA_BIN=$(abspath $(BUILD)/minica) sh tests/cli/run.sh

e2e: $(BUILD)/minica
	@MINICA_BIN=$(abspath $(BUILD)/minica) sh tests/e2e/run.sh

# Speed against OpenSSL's floor and the tools users would pick instead;
# prints a markdown table (see docs/performance.md).  Not part of `test`.
$(BUILD)/bench/parts: bench/parts.c $(BUILD)/libminica.a $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@" >&2
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libminica.a $(ALL_LDFLAGS) $(LIBS)

bench: $(BUILD)/minica $(BUILD)/bench/parts
	@echo "make bench: about 10 minutes; the report goes to stdout" >&2
	@MINICA_BIN=$(abspath $(BUILD)/minica) PARTS_BIN=$(abspath $(BUILD)/bench/parts) bash bench/run.sh

# The whole suite again under AddressSanitizer and UBSan, in its own folder.
check-asan:
	$(MAKE) BUILD=build-asan SAN=1 CC=clang test

install: $(BUILD)/minica
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/minica $(DESTDIR)$(BINDIR)/minica
	install -m 0644 docs/minica.1 $(DESTDIR)$(MANDIR)/man1/minica.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/minica $(DESTDIR)$(MANDIR)/man1/minica.1

clean:
	rm -rf build build-asan build-fuzz
