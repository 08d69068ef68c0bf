# metrics-ai -- build, tests and benchmarks (GNU make + pkg-config).
# make            build ./metrics-ai
# make run        install missing packages, build, start the demo (metrics-ai + node_exporter +
#                 Prometheus on loopback, a bundled trace replayed); Ctrl-C stops it all
# make serve      install missing build packages, build, start the bare service on :9201 (ARGS="...")
# make test       install missing Debian packages, run unit tests (plain and ASan+UBSan) and
#                 integration tests against real Prometheus and node_exporter
# make bench      ingest benchmark at 10k and 100k series
# make bench-compare  the same load against victoria-metrics and Prometheus' receiver
# make bench-models   forecasting cost: update ns, state bytes, cycle time for 1k/10k series
# make bench-plots    time to write every forecast plot for 100 series
# make bench-snapshot snapshot write/restore time and file size for 10k and 100k series
# make valgrind       the service under valgrind memcheck fed by rwload (VG_SECONDS, default 60)
# make soak           10 minutes with real Prometheus: resident memory over time, error answers
# make fuzz           libFuzzer on every tests/fuzz target for FUZZ_SECONDS each (default 300);
#                     make test runs 9 s of each (fuzz-short)
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

CC      ?= cc
PKGS    := libprotobuf-c snappy libmicrohttpd libcjson lapacke openblas libcurl cairo libpng zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) \
             -I. -Ibuild/gen $(PKG_CFLAGS) -pthread -MMD -MP
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDLIBS  = $(PKG_LIBS) -lm -pthread

# Reproducible numerics in tests and benchmarks: OpenBLAS on one thread.
export OPENBLAS_NUM_THREADS := 1

Q := @
ifeq ($(V),1)
Q :=
endif

PROTOS    := $(wildcard proto/*.proto)
PROTO_C   := $(patsubst proto/%.proto,build/gen/%.pb-c.c,$(PROTOS))
PROTO_H   := $(PROTO_C:.c=.h)
# generated sources are kept, not deleted as intermediates after a build
.SECONDARY: $(PROTO_C) $(PROTO_H)
LIB_SRC   := $(filter-out adapter/main.c,$(wildcard adapter/*.c models/*.c exporter/*.c))
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRC))

OBJ       = $(patsubst %.c,build/obj/%.o,$(LIB_SRC) $(PROTO_C:build/gen/%=gen/%))
SAN_OBJ   = $(patsubst %.c,build/san/%.o,$(LIB_SRC) $(PROTO_C:build/gen/%=gen/%))

.PHONY: all deps run serve test unit unit-plain unit-san integration bench bench-compare bench-models bench-plots clean \
        bench-snapshot chart-rules chart-tools \
        check-includes fuzz fuzz-short fuzz-build valgrind soak
all: metrics-ai

deps:
	$(Q).ci/install-deps.sh

# The embedded demo: metrics-ai, node_exporter and Prometheus on loopback, a bundled real trace
# replayed into it (demo/run.sh; Ctrl-C stops everything). ARGS="..." adds metrics-ai flags.
run:
	$(Q)FOR_DEMO=1 .ci/install-deps.sh
	$(Q)$(MAKE) --no-print-directory -j$$(nproc) all build/replay
	$(Q)demo/run.sh $(ARGS)

# The bare service on its embedded defaults (port 9201, every setting at its default).
serve:
	$(Q)WITH_STACK=0 .ci/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all
	./metrics-ai $(ARGS)

# The demo's trace replayer (remote write 1.0 client).
build/replay: demo/replay.c
	@mkdir -p build
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

build/gen/%.pb-c.c build/gen/%.pb-c.h: proto/%.proto
	@mkdir -p build/gen
	$(Q)protoc-c --proto_path=proto --c_out=build/gen $<

build/obj/gen/%.o: build/gen/%.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -c $< -o $@
build/san/gen/%.o: build/gen/%.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Wno-missing-prototypes -c $< -o $@
build/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@
build/san/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

build/libmai.a: $(OBJ)
	$(Q)ar rcs $@ $^
build/libmai-san.a: $(SAN_OBJ)
	$(Q)ar rcs $@ $^

metrics-ai: build/obj/adapter/main.o build/libmai.a
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: one binary per tests/unit/test_<module>.c, plain and sanitized.
build/test/%: tests/unit/%.c build/libmai.a
	@mkdir -p build/test
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< build/libmai.a $(LDLIBS) -lcmocka
build/test-san/%: tests/unit/%.c build/libmai-san.a
	@mkdir -p build/test-san
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $< build/libmai-san.a $(LDLIBS) -lcmocka

unit-plain: $(addprefix build/test/,$(UNIT_NAMES))
	$(Q)tests/run-unit.sh plain $^
unit-san: $(addprefix build/test-san/,$(UNIT_NAMES))
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	   tests/run-unit.sh asan+ubsan $^
unit: unit-plain unit-san

# The service built with ASan+UBSan, for running integration tests under the sanitizers
# (e.g. MAI_BIN=$PWD/build/metrics-ai-san tests/integration/test_bad_input.sh).
build/metrics-ai-san: build/san/adapter/main.o build/libmai-san.a
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

build/rwload: tests/bench/rwload.c
	@mkdir -p build
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

integration: metrics-ai build/rwload build/replay
	$(Q)tests/integration/run.sh

# The Helm chart's recording rules, generated from the built-in signal catalogue (test_chart.sh
# checks that the committed copy is current).
chart-rules: metrics-ai
	$(Q)./metrics-ai rules --output charts/metrics-ai/files/recording-rules.yml

# helm and the Kubernetes schema validators into .ci/.tools (npm; once).
chart-tools:
	$(Q).ci/install-chart-tools.sh

test: deps
	$(Q)$(MAKE) --no-print-directory check-includes
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory integration
	$(Q)$(MAKE) --no-print-directory fuzz-short
	$(Q)$(MAKE) --no-print-directory valgrind VG_SECONDS=15

# The service under valgrind memcheck fed by rwload for VG_SECONDS (default 60), then SIGTERM:
# fails on any memcheck error or leak (tests/leak/valgrind.sh).
valgrind: metrics-ai build/rwload
	$(Q)VG_SECONDS=$(or $(VG_SECONDS),60) tests/leak/valgrind.sh

# A bounded soak with real Prometheus at steady load: resident memory over time and error
# answers (SOAK_MINUTES, default 10; not part of make test).
soak: metrics-ai
	$(Q)SOAK_MINUTES=$(or $(SOAK_MINUTES),10) tests/soak/soak.sh

# libFuzzer targets tests/fuzz/fuzz_<name>.c, linked against the library built by clang with
# ASan+UBSan and fuzzer coverage (build/libmai-fuzz.a). make fuzz runs each for FUZZ_SECONDS
# (default 300) from tests/fuzz/corpus/<name>/; make fuzz-short runs each for 9 s.
FUZZ_CC    ?= clang
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
# adapter/http.c (the HTTP server) is left out: no target reaches it.
FUZZ_OBJ    = $(patsubst %.c,build/fuzzobj/%.o,$(filter-out adapter/http.c,$(LIB_SRC)) \
                $(PROTO_C:build/gen/%=gen/%))
build/fuzzobj/gen/%.o: build/gen/%.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -Wno-missing-prototypes -c $< -o $@
build/fuzzobj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@
build/libmai-fuzz.a: $(FUZZ_OBJ)
	$(Q)ar rcs $@ $^
build/fuzz/%: tests/fuzz/%.c build/libmai-fuzz.a
	@mkdir -p build/fuzz
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< build/libmai-fuzz.a \
	   $(LDLIBS)
fuzz-build: $(addprefix build/fuzz/,$(FUZZ_NAMES))

fuzz: fuzz-build
	$(Q)FUZZ_SECONDS=$(or $(FUZZ_SECONDS),300) tests/fuzz/build-and-run.sh $(FUZZ_NAMES)

# The short pass inside make test: 9 s a target (under a minute for the five).
fuzz-short: fuzz-build
	$(Q)FUZZ_SECONDS=9 tests/fuzz/build-and-run.sh $(FUZZ_NAMES)

bench: metrics-ai build/rwload
	$(Q)tests/bench/bench.sh

bench-compare: metrics-ai build/rwload
	$(Q)tests/bench/bench-compare.sh

build/model_bench: tests/bench/model_bench.c build/libmai.a
	@mkdir -p build
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< build/libmai.a $(LDLIBS)

# Forecasting cost: ns per online update, model state bytes, cycle time for 1k and 10k series.
bench-models: build/model_bench
	$(Q)OPENBLAS_NUM_THREADS=1 build/model_bench --series 1000 --series 10000 --cycles 3

build/plot_bench: tests/bench/plot_bench.c build/libmai.a
	@mkdir -p build
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< build/libmai.a $(LDLIBS)

# Plot cost: every PNG for 100 series (48 h history at 60 s, 12 h forecast), one thread.
bench-plots: build/plot_bench
	$(Q)build/plot_bench --series 100 --rounds 3

build/snapshot_bench: tests/bench/snapshot_bench.c build/libmai.a
	@mkdir -p build
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< build/libmai.a $(LDLIBS)

# Persistence cost: snapshot write and restore time and file size, 10k and 100k series.
bench-snapshot: build/snapshot_bench
	$(Q)OPENBLAS_NUM_THREADS=1 build/snapshot_bench --series 10000 --series 100000 --hours 6

# Folder invariants: models/ includes nothing of adapter/ or exporter/.
check-includes:
	$(Q)if grep -nE '#include "(\.\./)?(adapter|exporter)/' models/*.[ch]; then \
	    echo "check-includes: models/ must not include adapter/ or exporter/ headers"; exit 1; fi
	$(Q)if grep -nE '#include "(\.\./)?adapter/' exporter/*.[ch] 2>/dev/null | grep -v 'config.h\|selfstats.h'; then \
	    echo "check-includes: exporter/ reads published results, not adapter/ internals"; exit 1; fi

clean:
	rm -rf build metrics-ai

-include $(shell find build -name '*.d' 2>/dev/null)
