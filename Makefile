# blrchol top-level Makefile.
#   make run     install missing Debian packages (as root), configure, build, run a default solve
#   make check   the same set-up, then the whole test suite
#   make         build ./blrchol and the library (runs ./configure first if needed)
#   make install PREFIX=DIR   blrchol, libblrchol.{a,so}, blrchol.h, blrchol.pc under DIR
#   make check SANITIZE=address,undefined   the unit tests and a few small solves under
#                the sanitizers (a clean rebuild: see "sanitizers" below)
#   make fuzz FUZZ_SECONDS=N   each libFuzzer target of fuzz/ for N seconds
# Configure options for clusters go in CONFIGURE_FLAGS, e.g.
#   make CONFIGURE_FLAGS="--with-starpu=/opt/starpu MPICC=/opt/mpi/bin/mpicc"

.DEFAULT_GOAL := all
SHELL := /bin/bash

# ---- set-up ---------------------------------------------------------------
NO_CONFIG_GOALS := clean distclean deps
ifneq ($(filter-out $(NO_CONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
include config.mk
endif

# ---- sanitizers -----------------------------------------------------------------
# SANITIZE=address,undefined builds the library, the command and the tests
# with those sanitizers.  build/ holds one kind of build at a time: when
# SANITIZE differs from the build's, build/ and ./blrchol are wiped first,
# so that no object of the other kind is linked in.
BUILD_KIND := $(if $(SANITIZE),sanitize=$(SANITIZE),plain)
ifneq ($(BUILD_KIND),$(shell cat build/.kind 2>/dev/null || echo plain))
$(shell rm -rf build blrchol)
endif
$(shell mkdir -p build && echo '$(BUILD_KIND)' > build/.kind)
ifneq ($(SANITIZE),)
SANITIZE_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
override LDFLAGS += $(SANITIZE_FLAGS)
# Reports that belong to StarPU, Open MPI and their libraries are named in
# the suppression files; UBSan stops at its first report, as ASan does.
export ASAN_OPTIONS := detect_leaks=1:fast_unwind_on_malloc=0
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS := suppressions=$(CURDIR)/tests/sanitizers/ubsan.supp:halt_on_error=1:print_stacktrace=1
endif

config.mk: configure.ac config.mk.in
	@scripts/install-deps.sh
	autoconf -f
	./configure $(CONFIGURE_FLAGS)

.PHONY: deps
deps:
	@scripts/install-deps.sh

# ---- sources ----------------------------------------------------------------
# t_*.c are precision-generic: each is compiled twice, for d and for z.
# The library is every module; cli/ is the command, a client of it.
MODULES := common bem compression kernels memctl runtime algorithm library
GENERIC := $(wildcard $(addsuffix /t_*.c,$(MODULES)))
PLAIN := $(filter-out $(GENERIC),$(wildcard $(addsuffix /*.c,$(MODULES))))
LIB_OBJ := $(PLAIN:%.c=build/%.o) $(GENERIC:%.c=build/%_d.o) $(GENERIC:%.c=build/%_z.o)
CLI_OBJ := $(patsubst %.c,build/%.o,$(wildcard cli/*.c))
VERSION := $(shell sed -n 's/^\#define BLRCHOL_VERSION "\(.*\)"/\1/p' include/blrchol.h)
# Before 1.0 every minor version may change the ABI (blrchol_report_t grows):
# libblrchol.so.0.MINOR; from 1.0 on, libblrchol.so.MAJOR.
VERSION_PARTS := $(subst ., ,$(VERSION))
SONAME := libblrchol.so.$(if $(filter 0,$(word 1,$(VERSION_PARTS))),0.$(word 2,$(VERSION_PARTS)),$(word 1,$(VERSION_PARTS)))
TEST_SRC := $(wildcard tests/*.c tests/unit/*.c tests/mpi/*.c)
TEST_OBJ := $(TEST_SRC:%.c=build/%.o)
# The corpus replay test calls the fuzz entry points, which call the
# command's parsers: every object of cli/ but its main.
FUZZ_ENTRY_OBJ := build/fuzz/entry_points.o $(filter-out build/cli/main.o,$(CLI_OBJ))

WARN := -Wall -Wextra -Wno-unused-parameter
# -fPIC: the same objects go into the static and the shared library.
ALL_CFLAGS = -std=gnu11 -fPIC $(WARN) $(CFLAGS) $(SANITIZE_FLAGS) $(CPPFLAGS) $(STARPU_CFLAGS) $(BLAS_CFLAGS) -I.
ALL_LIBS = $(STARPU_LIBS) $(BLAS_LIBS) $(LIBS) -lm -lpthread

all: blrchol build/libblrchol.so build/lapack_potrf build/user_kernel

build/libblrchol.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

build/libblrchol.so: $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -o build/libblrchol.so.$(VERSION) $^ $(ALL_LIBS)
	ln -sf libblrchol.so.$(VERSION) build/$(SONAME)
	ln -sf libblrchol.so.$(VERSION) $@

# The command links the static library: it runs without LD_LIBRARY_PATH.
blrchol: $(CLI_OBJ) build/libblrchol.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

# The command with fault injection, for the tests only: BLRCHOL_FAULT=KERNEL:N
# makes the N-th call of a kernel fail (runtime/codelets.h).
build/faults/runtime/codelets.o: runtime/codelets.c config.mk Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DBLRCHOL_FAULT_INJECTION -MMD -MP -c $< -o $@
build/blrchol-faults: $(CLI_OBJ) build/faults/runtime/codelets.o $(filter-out build/runtime/codelets.o,$(LIB_OBJ))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

# The example of include/blrchol.h's use, as a user builds it (only the
# public header), linked statically here for the tests.
build/examples/%.o: ALL_CFLAGS += -Iinclude
build/user_kernel: build/examples/user_kernel.o build/libblrchol.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

build/blrchol.pc: blrchol.pc.in include/blrchol.h config.mk
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@LIBS_PRIVATE@|$(strip $(STARPU_LIBS) $(BLAS_LIBS) $(LIBS) -lm -lpthread)|' $< > $@

# ---- installing ---------------------------------------------------------------
PREFIX ?= /usr/local
.PHONY: install
install: blrchol build/libblrchol.a build/libblrchol.so
	@rm -f build/blrchol.pc && $(MAKE) --no-print-directory build/blrchol.pc PREFIX=$(PREFIX)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 blrchol $(DESTDIR)$(PREFIX)/bin/
	install -m 644 build/libblrchol.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 build/libblrchol.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libblrchol.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf libblrchol.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libblrchol.so
	install -m 644 include/blrchol.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 build/blrchol.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

build/%.o: %.c config.mk Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

build/%_d.o: %.c config.mk Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DPRECISION_D -MMD -MP -c $< -o $@

build/%_z.o: %.c config.mk Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DPRECISION_Z -MMD -MP -c $< -o $@

build/tests/%.o: tests/%.c config.mk Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CRITERION_CFLAGS) -MMD -MP -c $< -o $@

build/run_tests: $(TEST_OBJ) $(FUZZ_ENTRY_OBJ) build/libblrchol.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CRITERION_LIBS) $(ALL_LIBS)

build/lapack_potrf: build/bench/lapack_potrf.o build/libblrchol.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

# The low-rank GEMM update timed on the tiles of a real factorisation, two
# code paths side by side (bench/lowrank_gemm.c).
build/lowrank_gemm: build/bench/lowrank_gemm.o build/libblrchol.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

# The ScaLAPACK baseline of bench/vs-dense, built on demand only (not by
# `all`): SCALAPACK_LIBS names the library (Debian: libscalapack-openmpi-dev).
SCALAPACK_LIBS ?= -lscalapack-openmpi
build/scalapack_potrf: build/bench/scalapack_potrf.o build/libblrchol.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SCALAPACK_LIBS) $(ALL_LIBS)

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- running ------------------------------------------------------------------
# mpirun as root needs --allow-run-as-root; more ranks than cores need
# --oversubscribe.  One StarPU worker per rank keeps ranks x workers near
# the core count of a small machine; override RUN_ENV on a real node.
MPIRUN ?= mpirun
MPIRUN_FLAGS ?= --oversubscribe $(if $(filter 0,$(shell id -u)),--allow-run-as-root)
# One rank (one worker each) per core, up to 4: ranks x workers must fit the
# cores, or each rank's StarPU-MPI polling thread steals time from the others'
# workers (4 ranks on 2 cores: the default solve's factor 17 s and solve 27 s,
# against 8 s and 0.4 s on 2 ranks).
NP ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -gt 4 ] && n=4; echo $$n)
RUN_ARGS ?= -n 20000 --geometry sphere --kernel laplace --check
RUN_ENV ?= -x STARPU_NCPU=1 -x STARPU_SILENT=1
export BLRCHOL_MPIRUN = $(MPIRUN) $(MPIRUN_FLAGS)

.PHONY: all run check unit clean distclean
run: blrchol
	$(MPIRUN) $(MPIRUN_FLAGS) $(RUN_ENV) -np $(NP) ./blrchol $(RUN_ARGS)

# Tests run one at a time: several of them start mpirun with several ranks.
# TEST_FILTER narrows the run, e.g. make check TEST_FILTER='lowrank/*'.
TEST_FILTER ?= *
# Reads one mesh; the suite runs it under valgrind on the malformed-mesh corpus.
build/mesh_info: build/tests/tools/mesh_info.o build/libblrchol.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

ifeq ($(SANITIZE),)
check: blrchol build/run_tests build/mesh_info build/user_kernel build/libblrchol.so build/blrchol-faults
	@test "$(HAVE_CRITERION)" = yes || { echo "blrchol: Criterion not found: install libcriterion-dev or pass --with-criterion=DIR to configure" >&2; exit 1; }
	OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-SANDYBRIDGE} build/run_tests --jobs 1 --filter '$(TEST_FILTER)'
else
# Under the sanitizers: the unit suites (tests/unit/), then small solves on
# 2 ranks.  The MPI suites stay out: several run the command under valgrind,
# which does not mix with ASan.
SANITIZE_SUITES ?= $(sort $(shell sed -n 's/^[ \t]*Test.\([a-z_0-9]*\),.*/\1/p' tests/unit/*.c))
SANITIZE_RUNS ?= "-n 1500 --nb 128 --check" "-n 1000 --nb 128 --kernel helmholtz --nrhs 2 --check" \
                 "-n 1000 --nb 128 --dense --check" "-n 1500 --nb 128 --node-mem 8M --check"
check: blrchol build/run_tests
	@test "$(HAVE_CRITERION)" = yes || { echo "blrchol: Criterion not found: install libcriterion-dev or pass --with-criterion=DIR to configure" >&2; exit 1; }
	@export OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-SANDYBRIDGE}; \
	for suite in $(SANITIZE_SUITES); do \
	    echo "check ($(SANITIZE)): $$suite/*"; \
	    build/run_tests --jobs 1 --filter "$$suite/*" || exit 1; \
	done; \
	for args in $(SANITIZE_RUNS); do \
	    echo "check ($(SANITIZE)): mpirun -np 2 ./blrchol $$args"; \
	    $(MPIRUN) $(MPIRUN_FLAGS) $(RUN_ENV) -np 2 ./blrchol $$args --quiet || exit 1; \
	done
endif

# ---- fuzzing ------------------------------------------------------------------
# make fuzz FUZZ_SECONDS=N: each libFuzzer target for N seconds, built with
# clang and its sanitizers (fuzz/; docs/fuzzing-and-sanitizers.md).  The
# seeds of fuzz/corpus/TARGET are read, never written: what the fuzzer
# learns goes to build/fuzz/corpus/TARGET, a crashing input to build/fuzz/crashes/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := options mesh rhs
FUZZ_CC ?= clang
FUZZ_PACKAGES := clang libclang-rt-dev
# Only mpi.h is needed from MPI (include/blrchol.h): nothing of it is linked.
FUZZ_MPI_CFLAGS ?= $(shell $(CC) --showme:compile 2>/dev/null)
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all $(FUZZ_MPI_CFLAGS) -I.
# The parsers and what they call, compiled into each target.
FUZZ_SRC := fuzz/entry_points.c cli/options.c cli/rhs.c bem/mesh.c bem/bem.c memctl/memctl.c memctl/tile_mem.c
FUZZ_HEADERS := $(wildcard fuzz/*.h cli/*.h bem/*.h memctl/*.h common/*.h)

.PHONY: fuzz fuzz-deps
fuzz-deps:
	@scripts/install-deps.sh $(FUZZ_PACKAGES)

build/fuzz/fuzz-%: fuzz/fuzz_target.c $(FUZZ_SRC) $(FUZZ_HEADERS) Makefile | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DFUZZ_ENTRY=fuzz_$* -o $@ $< $(FUZZ_SRC) -lm -lpthread

fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz-%)
	@failed=; \
	for target in $(FUZZ_TARGETS); do \
	    mkdir -p build/fuzz/corpus/$$target build/fuzz/crashes; \
	    echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
	    if build/fuzz/fuzz-$$target -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/crashes/$$target- \
	           build/fuzz/corpus/$$target fuzz/corpus/$$target > build/fuzz/$$target.log 2>&1; then \
	        grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs)' build/fuzz/$$target.log; \
	    else \
	        tail -n 40 build/fuzz/$$target.log; failed="$$failed $$target"; \
	    fi; \
	done; \
	test -z "$$failed" || { echo "fuzz: crash in$$failed (the inputs are in build/fuzz/crashes/)" >&2; exit 1; }

clean:
	rm -rf build blrchol

distclean: clean
	rm -rf config.mk config.log config.status configure autom4te.cache
