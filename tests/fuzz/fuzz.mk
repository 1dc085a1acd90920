# fuzz.mk - libFuzzer targets of tests/fuzz/, built with clang into build-fuzz/.
# Include it at the end of the Makefile (include tests/fuzz/fuzz.mk) or use it
# alone (make -f tests/fuzz/fuzz.mk fuzz). Targets:
#   fuzz          build, then run each target FUZZ_SECONDS seconds on its seeds
#                 (tests/fuzz/corpus/T/) merged into build-fuzz/corpus/T/; prints
#                 execs and findings per target; fails when any target crashed
#   fuzz-build    only build build-fuzz/fuzz_*
#   fuzz-replay   replay regressions and seeds (ASan+UBSan, no libFuzzer)
#   fuzz-seeds    regenerate tests/fuzz/corpus/ (gen_seeds.c; output is committed)
#   fuzz-clean    remove build-fuzz/
# Variables: FUZZ_SECONDS (60), FUZZ_TARGETS (all four), CLANG (clang).
# Own object directory and generated code: nothing is shared with build/.

FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)
FUZZ_ALONE      := $(filter 1,$(words $(MAKEFILE_LIST)))

CLANG        ?= clang
PROTOC_C     ?= protoc-c
FUZZ_SECONDS ?= 60
FUZZ_ALL      = fuzz_envelope fuzz_acl fuzz_history_request fuzz_csv_import
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_OUT      = build-fuzz
FUZZ_GEN      = $(FUZZ_OUT)/gen
FUZZ_CFLAGS  ?= -g -O1
FUZZ_SANF     = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CPPFLAGS = -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I$(FUZZ_GEN) -Ibroker-plugin
FUZZ_WARN     = -Wall -Wextra -Wstrict-prototypes -Wshadow
FUZZ_LIBS     = -lprotobuf-c -llmdb -lcrypto -lcsv
# the code under test: broker-plugin's pure and LMDB modules, np-admin's import
FUZZ_CODE     = $(CORE_SRCS) admin/csv_import.c admin/io.c
FUZZ_LIB      = $(FUZZ_OUT)/libnpfuzz.a
FUZZ_BINS     = $(addprefix $(FUZZ_OUT)/,$(FUZZ_ALL))
FUZZ_REPLAYS  = $(addprefix $(FUZZ_OUT)/replay/test_,$(FUZZ_ALL))
fuzz_obj      = $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(1))

.PHONY: fuzz fuzz-build fuzz-replay fuzz-seeds fuzz-clean

# like run and test: install what is missing first (clang brings libFuzzer)
fuzz:
	@NP_EXTRA_PKGS=clang scripts/deps.sh
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) fuzz-build
	@FUZZ_SECONDS='$(FUZZ_SECONDS)' tests/fuzz/run-fuzz.sh $(FUZZ_OUT) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BINS)

$(FUZZ_GEN)/%.pb-c.c $(FUZZ_GEN)/%.pb-c.h: proto/%.proto
	@mkdir -p $(@D)
	$(PROTOC_C) --proto_path=proto --c_out=$(FUZZ_GEN) $<

$(FUZZ_OUT)/obj/np.pb-c.o: $(FUZZ_GEN)/np.pb-c.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(FUZZ_SANF) -fsanitize=fuzzer-no-link -c $< -o $@

# tests/fuzz/ itself is held to -Werror; the code under test is built as it is
$(FUZZ_OUT)/obj/tests/fuzz/%.o: FUZZ_XWARN = -Werror
$(FUZZ_OUT)/obj/%.o: %.c $(FUZZ_GEN)/np.pb-c.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_WARN) $(FUZZ_XWARN) $(FUZZ_CFLAGS) $(FUZZ_SANF) \
		-fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(call fuzz_obj,$(FUZZ_CODE)) $(FUZZ_OUT)/obj/np.pb-c.o
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_OUT)/%: $(FUZZ_OUT)/obj/tests/fuzz/%.o $(FUZZ_LIB)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SANF) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

# the same targets under replay.c's main(), as make test would run them
$(FUZZ_REPLAYS): $(FUZZ_OUT)/replay/test_%: $(FUZZ_OUT)/obj/tests/fuzz/%.o \
		$(FUZZ_OUT)/obj/tests/fuzz/replay.o $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SANF) -fsanitize=fuzzer-no-link -o $@ $^ $(FUZZ_LIBS)

fuzz-replay: $(FUZZ_REPLAYS)
	@rc=0; for t in $(FUZZ_REPLAYS); do $$t || rc=1; done; exit $$rc

fuzz-seeds: $(FUZZ_GEN)/np.pb-c.c
	$(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_WARN) -Werror -g -o $(FUZZ_OUT)/gen_seeds \
		tests/fuzz/gen_seeds.c $(FUZZ_GEN)/np.pb-c.c -lprotobuf-c
	$(FUZZ_OUT)/gen_seeds tests/fuzz/corpus

fuzz-clean:
	rm -rf $(FUZZ_OUT)

-include $(shell find $(FUZZ_OUT)/obj -name '*.d' 2>/dev/null)

# Included, this file leaves the Makefile's default goal as it was (empty when
# included first: the Makefile's next target then becomes it); alone, it is fuzz.
.DEFAULT_GOAL := $(if $(FUZZ_ALONE),fuzz,$(FUZZ_SAVED_GOAL))
