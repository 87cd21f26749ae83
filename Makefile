# ptreclaim — build, test, demo, bench, traces.
# `make demo` and `make test` work on a fresh Debian 12 machine: missing Debian packages are
# installed first (needs root, as on the project's machines).

SHELL := /bin/bash
BUILD := build
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
SWIFT_FLAGS := -c release
CC ?= cc

# Debian packages the build and the tests need.
DEB_PACKAGES := libunwind-dev libjemalloc-dev libjemalloc2 libtcmalloc-minimal4 \
                libgoogle-perftools-dev libmimalloc-dev libmimalloc2.0 strace \
                chromium-headless-shell python3 python3-prometheus-client

.PHONY: all deps recorder cli programs test demo bench traces clean
all: deps recorder cli programs

# ---- Debian packages ---------------------------------------------------------------------
# `apt-get update` runs once, and only when something is missing.
deps: $(BUILD)/.deps-ok
$(BUILD)/.deps-ok: Makefile
	@mkdir -p $(BUILD)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq $$missing >/dev/null; \
	fi
	@touch $@

# ---- the recorder: libptreclaim.so, C, no Swift runtime ------------------------------------
RECORDER_SRC := $(wildcard Sources/recorder/*.c)
RECORDER_HDR := $(wildcard Sources/recorder/*.h) Sources/CPTFormat/include/ptreclaim_trace.h
RECORDER_CFLAGS := -O2 -g -fPIC -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter \
                   -D_GNU_SOURCE -ftls-model=initial-exec -ISources/CPTFormat/include -ISources/recorder
RECORDER_LIBS := -ldl -lpthread -lunwind

recorder: $(BUILD)/libptreclaim.so
$(BUILD)/libptreclaim.so: $(RECORDER_SRC) $(RECORDER_HDR) | deps
	$(CC) $(RECORDER_CFLAGS) -shared -Wl,-z,now -o $@ $(RECORDER_SRC) $(RECORDER_LIBS)
	@if readelf -d $@ | grep -q 'NEEDED.*libswift'; then echo "libptreclaim.so links Swift" >&2; exit 1; fi

# ---- the Swift command-line tool ----------------------------------------------------------
SWIFT_SRC := $(shell find Sources -name '*.swift') Package.swift
cli: $(BUILD)/ptreclaim
$(BUILD)/ptreclaim: $(SWIFT_SRC) | deps
	$(SWIFT) build $(SWIFT_FLAGS) --product ptreclaim
	cp "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/ptreclaim" $@

# ---- test programs (Tests/programs/*.c -> build/programs/*) --------------------------------
PROGRAM_SRC := $(wildcard Tests/programs/*.c)
PROGRAMS := $(patsubst Tests/programs/%.c,$(BUILD)/programs/%,$(PROGRAM_SRC))
programs: $(PROGRAMS)
$(BUILD)/programs/%: Tests/programs/%.c $(wildcard Tests/programs/*.h) | deps
	@mkdir -p $(BUILD)/programs
	$(CC) -O1 -g -Wall -D_GNU_SOURCE -ITests/programs -o $@ $< -pthread -ldl

# ---- tests ---------------------------------------------------------------------------------
# Three suites: the recorder's kernel-facing C parts against the live kernel, the Swift tests
# (reader, model, and the integration tests that record Tests/programs with the real recorder),
# and the checks on the shipped traces. Each prints its own result line.
test: all
	bash Tests/recorder-unit/run.sh
	PTRECLAIM_BUILD_DIR=$(CURDIR)/$(BUILD) $(SWIFT) test $(SWIFT_FLAGS)
	bash traces/check.sh

# ---- test-kernels: the same build on the kernels users run (docs/testing.md) ----------------
# Not part of `make test`: boots Debian 12's own kernels (6.1; 6.12 from bookworm-security) under
# qemu with TCG and checks the traces recorded there; downloads ~180 MB once into build/kernels,
# takes minutes. Tests/kernels/run.sh prints `N passed, M failed`.
KERNEL_TEST_PACKAGES := qemu-system-x86 busybox-static cpio
.PHONY: test-kernels
test-kernels: all
	@missing=$$(for p in $(KERNEL_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	bash Tests/kernels/run.sh

# ---- the main job on a bundled default -----------------------------------------------------
demo: all
	@mkdir -p $(BUILD)/demo
	$(BUILD)/ptreclaim record --force -o $(BUILD)/demo/demo.ptr -- $(BUILD)/programs/demo_workload
	$(BUILD)/ptreclaim report $(BUILD)/demo/demo.ptr

clean:
	rm -rf $(BUILD) .build

# ---- traces/: re-record every shipped trace (owned by the traces work; see traces/README.md) --
# One recipe per trace in traces/recipes/; record-all.sh installs the Debian packages the
# recipes need when missing (redis-server, redis-tools, memcached, libmemcached-tools,
# libjemalloc2, libtcmalloc-minimal4, libmimalloc2.0, python3), times each recipe and
# regenerates traces/README.md. traces/check.sh checks the shipped traces.
traces: recorder cli programs
	bash traces/record-all.sh

# Regenerate traces/README.md from the shipped traces without re-recording (after a change to
# the model or the report changes their figures; traces/check.sh fails on a stale README).
.PHONY: traces-readme report-baseline check-reports
traces-readme: cli
	python3 traces/make_readme.py > traces/README.md.new && mv traces/README.md.new traces/README.md

# ---- bench: performance figures for docs/performance.md (owned by the bench work) ----------
# Separate from `make test`: timings belong here, never in tests. Builds its tools into
# build/bench, writes every generated trace under build/bench (gitignored), takes 5-8 minutes.
# bench/run.sh documents each section and prints the summary table.
BENCH_PACKAGES := time redis-server redis-tools strace bc python3 libjemalloc2
BENCH_TOOLS := $(BUILD)/bench/call_cost $(BUILD)/bench/scan_cost $(BUILD)/bench/trace_bytes \
               $(BUILD)/bench/gen_trace $(BUILD)/bench/dontneed_churn
BENCH_CFLAGS := -O2 -g -Wall -Wextra -D_GNU_SOURCE -ISources/CPTFormat/include -ISources/CPTFormat -ISources/recorder

bench: recorder cli $(BUILD)/.bench-deps-ok $(BENCH_TOOLS)
	bash bench/run.sh $(BUILD)

# The cost of `ptreclaim inspect` (docs/performance.md, section "inspect"): about 30 s.
.PHONY: bench-inspect
bench-inspect: cli $(BUILD)/.bench-deps-ok $(BUILD)/bench/inspect_target
	bash bench/inspect.sh $(BUILD)

$(BUILD)/.bench-deps-ok: Makefile | deps
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq $$missing >/dev/null; \
	fi
	@touch $@

$(BUILD)/bench/%: bench/%.c Sources/CPTFormat/ptr_codec.h Sources/CPTFormat/include/ptreclaim_trace.h \
                 Sources/recorder/pagemap_scan.h
	@mkdir -p $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) -o $@ $<

# ---- reports byte-identical across a change (bench/check_reports.sh) -----------------------
# Every shipped trace's text and JSON report under every option set, plus a synthetic and a
# recorded residency trace kept in build/report-check. Before the change (e.g. on main):
# `make report-baseline`; after it: `make check-reports` diffs against that baseline.
REPORT_BASELINE ?= $(BUILD)/report-baseline
report-baseline: recorder cli $(BUILD)/bench/gen_trace $(BUILD)/bench/dontneed_churn
	rm -rf $(REPORT_BASELINE)
	bash bench/check_reports.sh write $(BUILD)/ptreclaim $(REPORT_BASELINE)
check-reports: cli $(BUILD)/bench/gen_trace
	bash bench/check_reports.sh diff $(BUILD)/ptreclaim $(REPORT_BASELINE)
