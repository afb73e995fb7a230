# boardpack - build, test, install.
#
#   make            build/boardpack (and the demo generator)
#   make check      install missing Debian packages, run every test
#   make fault      every allocation and I/O fault over a run and a send
#                   (minutes; make check runs a sample)
#   make demo       install missing packages, generate demo exports, run
#   make bench      throughput and memory figures (BENCH_PORTAL=0: no
#                   connector pull; BENCH_REFLINK=0: no run on XFS)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb        build/boardpack_<version>_<arch>.deb (PREFIX=/usr)

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
# Where everything built goes; `make deb` builds in its own, with
# PREFIX=/usr and Debian's hardening flags.
BUILD ?= build

# The version lives in VERSION alone.  The commit is the checkout's, with
# -dirty when tracked files differ from it, and "unknown" in a tree that is
# not its own git checkout (an unpacked tarball, even one unpacked inside
# another repository).  Either can be given on the command line.
VERSION := $(shell cat VERSION)
ifeq ($(origin COMMIT),undefined)
COMMIT := $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && \
	c=$$(git rev-parse --short HEAD 2>/dev/null) && \
	{ git diff --quiet HEAD -- 2>/dev/null && echo "$$c" || echo "$$c-dirty"; })
COMMIT := $(if $(COMMIT),$(COMMIT),unknown)
endif

PKGS = libxml-2.0 libcurl jansson libcrypto libzip zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null || echo -I/usr/include/libxml2)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lxml2 -lcurl -ljansson -lcrypto -lzip)

WARN = -Wall -Wextra -Wpedantic -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude $(PKG_CFLAGS) \
	-DBP_PREFIX='"$(PREFIX)"' -DBP_VERSION='"$(VERSION)"' \
	-DBP_COMMIT='"$(COMMIT)"' $(CPPFLAGS) $(CFLAGS)
LIBS = $(PKG_LIBS) -lhpdf -lm -pthread

SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TEST_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude $(PKG_CFLAGS) -O1 -g $(SAN)

# The modules (the connectors under src/conn/, one file each), then the
# command line: main.c and one file per subcommand under src/cmd/, which
# the unit tests do not link.
CMD_SRC := src/main.c $(sort $(wildcard src/cmd/*.c))
SRC := $(sort $(wildcard src/*.c) $(wildcard src/conn/*.c)) \
	$(filter-out src/main.c,$(CMD_SRC))
LIB_SRC := $(filter-out $(CMD_SRC),$(SRC))
OBJ := $(SRC:src/%.c=$(BUILD)/obj/%.o)
TOBJ := $(LIB_SRC:src/%.c=build/tobj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
# The files that print the version or the commit are rebuilt when either
# changes; the stamp holds both and is rewritten only when they differ.
VERSION_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,\
	$(shell grep -l 'BP_VERSION\|BP_COMMIT' $(SRC) </dev/null))
# Man pages: man/NAME.SECTION, with @VERSION@ and @DATE@ (the day the page
# last changed in git, else its file's date) filled in.
MAN := $(patsubst man/%,$(BUILD)/man/%,$(wildcard man/*.[1-8]))

.SECONDARY:

.PHONY: all deps check unit integration fault demo bench install clean fuzz deb \
	man print-version FORCE

all: $(BUILD)/boardpack build/bp-gen man

$(BUILD)/boardpack: $(OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LIBS)

$(BUILD)/obj/%.o: src/%.c $(wildcard include/*.h src/cmd/*.h src/conn/*.h) | $(BUILD)/obj/cmd $(BUILD)/obj/conn
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(VERSION_OBJ): $(BUILD)/version.stamp

$(BUILD)/version.stamp: FORCE | $(BUILD)
	@echo '$(VERSION) $(COMMIT)' | cmp -s - $@ || echo '$(VERSION) $(COMMIT)' >$@

man: $(MAN)

$(BUILD)/man/%: man/% VERSION | $(BUILD)/man
	@d=$$(git log -1 --format=%cs -- $< 2>/dev/null); \
	[ -n "$$d" ] || d=$$(date -u -r $< +%Y-%m-%d); \
	sed -e 's/@VERSION@/$(VERSION)/g' -e "s/@DATE@/$$d/g" $< >$@

build/tobj/%.o: src/%.c $(wildcard include/*.h src/conn/*.h) | build/tobj/conn
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

# The helpers the unit tests share (tests/unit/testlib.h), built once and
# linked into each; a change to them rebuilds every test.
TESTLIB := build/tests/testlib.o

$(TESTLIB): tests/unit/testlib.c tests/unit/testlib.h | build/tests
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c tests/unit/testlib.h $(TESTLIB) $(TOBJ) | build/tests
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TESTLIB) $(TOBJ) $(LIBS) -lcmocka

build/bp-gen: examples/gen.c | build
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $< -lm

# The fault suites' I/O shim (tests/fault/iofail.c), preloaded into the
# binary under test.
build/iofail.so: tests/fault/iofail.c | build
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -fPIC -shared -o $@ $< -ldl

# The export reader alone, for make bench.
build/csvspeed: tests/fuzz/csvspeed.c src/csv.c src/err.c src/mem.c src/log.c include/csv.h include/err.h | build
	$(CC) $(ALL_CFLAGS) -o $@ tests/fuzz/csvspeed.c src/csv.c src/err.c src/mem.c src/log.c $(LIBS)

$(sort build build/tobj build/tobj/conn build/tests $(BUILD) $(BUILD)/obj $(BUILD)/obj/cmd \
	$(BUILD)/obj/conn $(BUILD)/man):
	mkdir -p $@

# Installs whatever Debian packages the build and the tests need.
deps:
	@scripts/install-deps

check: deps
	@$(MAKE) --no-print-directory unit integration

unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

integration: build/boardpack build/bp-gen build/iofail.so man
	@tests/run-integration

# The fault suites in full (tests/fault/): every allocation site of a
# run and a send, those only the two-half read of a big export reaches,
# and every write, flush, rename and creation in the output folder with
# ENOSPC and with EIO, then with ENOSPC from there on.  `make check` runs
# a sample (test_fault.sh).
FAULT_ENV = BP_SRCDIR=$(CURDIR) BP=$(CURDIR)/build/boardpack

fault: build/boardpack build/bp-gen build/iofail.so
	@$(FAULT_ENV) tests/fault/alloc
	@$(FAULT_ENV) tests/fault/alloc --split
	@$(FAULT_ENV) tests/fault/io
	@$(FAULT_ENV) tests/fault/io --persist

demo: deps
	@$(MAKE) --no-print-directory all
	@examples/run-demo

bench: deps
	@$(MAKE) --no-print-directory all build/csvspeed
	@scripts/bench
	@[ "$${BENCH_REFLINK:-1}" = 0 ] || scripts/bench-reflink
	@[ "$${BENCH_PORTAL:-1}" = 0 ] || scripts/bench-connectors

# libFuzzer on the csv reader, the date and number parsers and their fast
# paths, the config loader, the template engine and the connectors'
# answers (tests/fuzz/run), FUZZ_SECONDS each (default 600); an input
# that crashes is kept in build/fuzz/.
FUZZ_SECONDS ?= 600

fuzz: build/bp-gen $(BUILD)/boardpack
	@tests/fuzz/run $(FUZZ_SECONDS)

# Man pages go to man/manN by their section; bash-completion looks for
# completions under every share/ of XDG_DATA_DIRS, /usr/local/share too.
install: $(BUILD)/boardpack $(MAN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/boardpack/templates \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/boardpack $(DESTDIR)$(PREFIX)/bin/boardpack
	install -m 755 cron/boardpack-monthly $(DESTDIR)$(PREFIX)/bin/boardpack-monthly
	cp -R templates/. $(DESTDIR)$(PREFIX)/share/boardpack/templates/
	for m in $(MAN); do \
		d=$(DESTDIR)$(PREFIX)/share/man/man$${m##*.}; \
		install -d $$d && install -m 644 $$m $$d/ || exit 1; \
	done
	install -m 644 completion/boardpack \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/boardpack

# The Debian package, built by scripts/build-deb in build/deb/.
deb:
	@scripts/build-deb

print-version:
	@echo '$(VERSION) $(COMMIT)'

clean:
	rm -rf build
