# boardpack - build, test, install.
#
#   make            build/boardpack (and the demo generator)
#   make check      install missing Debian packages, run every test
#   make demo       install missing packages, generate demo exports, run
#   make bench      throughput and memory figures
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc

PKGS = libxml-2.0 libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null || echo -I/usr/include/libxml2)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lxml2 -lcurl)

WARN = -Wall -Wextra -Wpedantic -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude $(PKG_CFLAGS) \
	-DBP_PREFIX='"$(PREFIX)"' $(CFLAGS)
LIBS = $(PKG_LIBS) -lhpdf -lm -pthread

SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TEST_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude $(PKG_CFLAGS) -O1 -g $(SAN)

SRC := $(sort $(wildcard src/*.c))
LIB_SRC := $(filter-out src/main.c,$(SRC))
OBJ := $(SRC:src/%.c=build/obj/%.o)
LIB_OBJ := $(LIB_SRC:src/%.c=build/obj/%.o)
TOBJ := $(LIB_SRC:src/%.c=build/tobj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)

.SECONDARY:

.PHONY: all deps check unit integration demo bench install clean fuzz

all: build/boardpack build/bp-gen

build/boardpack: $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJ) $(LIBS)

build/obj/%.o: src/%.c $(wildcard include/*.h) | build/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/tobj/%.o: src/%.c $(wildcard include/*.h) | build/tobj
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c $(TOBJ) | build/tests
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TOBJ) $(LIBS) -lcmocka

build/bp-gen: examples/gen.c | build
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $< -lm

# The export reader alone, for make bench.
build/csvspeed: tests/fuzz/csvspeed.c src/csv.c src/err.c include/csv.h include/err.h | build
	$(CC) $(ALL_CFLAGS) -o $@ tests/fuzz/csvspeed.c src/csv.c src/err.c

build build/obj build/tobj build/tests:
	mkdir -p $@

# Installs whatever Debian packages the build and the tests need.
deps:
	@scripts/install-deps

check: deps
	@$(MAKE) --no-print-directory unit integration

unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

integration: build/boardpack build/bp-gen
	@tests/run-integration

demo: deps
	@$(MAKE) --no-print-directory all
	@examples/run-demo

bench: deps
	@$(MAKE) --no-print-directory all build/csvspeed
	@scripts/bench

# libFuzzer on the csv reader and on the date and number parsers,
# FUZZ_SECONDS each (default 600); an input that crashes is kept in
# build/fuzz/.
FUZZ_SECONDS ?= 600

fuzz: build/bp-gen
	@tests/fuzz/run $(FUZZ_SECONDS)

install: build/boardpack
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/boardpack/templates
	install -m 755 build/boardpack $(DESTDIR)$(PREFIX)/bin/boardpack
	install -m 755 cron/boardpack-monthly $(DESTDIR)$(PREFIX)/bin/boardpack-monthly
	cp -R templates/. $(DESTDIR)$(PREFIX)/share/boardpack/templates/

clean:
	rm -rf build
