# bench.mk - `make bench` / `make bench-full` (see BENCHMARKS.md, bench/run.sh).
# Included from the Makefile with:  include bench/bench.mk
ifndef NP_BENCH_MK
NP_BENCH_MK := 1
.PHONY: bench bench-full bench-build bench-cap bench-reach
BENCH_MAKE = $(MAKE) --no-print-directory $(addprefix -f ,$(filter-out %.d,$(MAKEFILE_LIST)))

NPBENCH_SRCS = bench/npbench.c bench/npb_pool.c bench/npb_throughput.c bench/npb_connect.c \
	       bench/npb_fanout.c bench/npb_history.c bench/npb_dynsec.c bench/npb_revoke.c \
	       bench/npb_receipts.c

$(BUILD)/npbench: $(call obj,$(NPBENCH_SRCS)) $(PB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lmosquitto -lprotobuf-c -ljansson -lcrypto -lpthread

$(BUILD)/bench_acl: $(BUILD)/obj/bench/bench_acl.o $(call obj,$(CORE_SRCS)) $(PB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)

$(BUILD)/bench_seal: $(BUILD)/obj/bench/bench_seal.o $(call obj,$(CORE_SRCS)) $(PB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)

# on libnpclient: a feed's catch-up (issue #14)
$(BUILD)/bench_catchup: $(BUILD)/obj/bench/bench_catchup.o $(BUILD)/libnpclient.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT)

$(BUILD)/bench_photo: $(BUILD)/obj/bench/bench_photo.o $(call obj,$(CORE_SRCS)) $(PB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)

# retention's pass over a national announcement's receipts
$(BUILD)/bench_retention: $(BUILD)/obj/bench/bench_retention.o $(call obj,$(CORE_SRCS)) $(PB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)

bench-build: all $(BUILD)/npbench $(BUILD)/bench_acl $(BUILD)/bench_seal $(BUILD)/bench_catchup \
	$(BUILD)/bench_photo $(BUILD)/bench_retention

# like run and test: install what is missing first, then build, then run
bench: deps
	@$(BENCH_MAKE) bench-build
	@BENCH=quick bench/run.sh

bench-full: deps
	@$(BENCH_MAKE) bench-build
	@BENCH=full bench/run.sh

# np-admin cap import of the TMD alert (bench/cap.sh)
bench-cap: deps
	@$(BENCH_MAKE) all
	@bench/cap.sh

# a national announcement followed by 1,000 real np-feed programs, then np-reach
# (bench/reach_feeds.sh; issue #14's "done when", at the shipped defaults)
bench-reach: deps
	@$(BENCH_MAKE) all
	@bench/reach_feeds.sh
endif
