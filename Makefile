# np-hub - see README.md. Output goes to build/ (build-san/ with SAN=1).
CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wstrict-prototypes -Wshadow
SANF     = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD   := $(if $(SAN),build-san,build)
GEN      = $(BUILD)/gen
CFLAGS  += $(if $(SAN),$(SANF))
LDFLAGS += $(if $(SAN),$(SANF))
CPPFLAGS += -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I$(GEN) -Ibroker-plugin -Iclient-lib

PB_SRC    = $(GEN)/np.pb-c.c
CORE_SRCS = broker-plugin/vocab.c broker-plugin/acl.c broker-plugin/store.c broker-plugin/kdf.c \
            broker-plugin/validate.c broker-plugin/auth.c broker-plugin/history.c broker-plugin/query.c
PLUGIN_SRCS = broker-plugin/plugin.c $(CORE_SRCS)
ADMIN_SRCS  = admin/np_admin.c admin/csv_import.c admin/demo.c $(CORE_SRCS)
UNIT_SRCS   = $(wildcard tests/unit/test_*.c)
BROKER_TEST_SRCS = $(wildcard tests/broker/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
PB_OBJ = $(BUILD)/obj/np.pb-c.o

LIBS_CORE = -lprotobuf-c -llmdb -lcrypto
LIBS_ADMIN = $(LIBS_CORE) -lcsv

.PHONY: all deps run test test-unit test-admin test-broker check clean examples bench
all: $(BUILD)/np_plugin.so $(BUILD)/np-admin

$(GEN)/np.pb-c.c $(GEN)/np.pb-c.h: proto/np.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=proto --c_out=$(GEN) proto/np.proto

$(PB_OBJ): $(GEN)/np.pb-c.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@

$(BUILD)/obj/%.o: %.c $(GEN)/np.pb-c.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(XCFLAGS) -fPIC -MMD -MP -c $< -o $@

$(BUILD)/np_plugin.so: $(call obj,$(PLUGIN_SRCS)) $(PB_OBJ) broker-plugin/plugin.map
	$(CC) -shared $(LDFLAGS) -Wl,--version-script=broker-plugin/plugin.map \
		-o $@ $(filter %.o,$^) $(LIBS_CORE)

$(BUILD)/np-admin: $(call obj,$(ADMIN_SRCS)) $(PB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_ADMIN)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(call obj,$(CORE_SRCS)) $(PB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) -lcmocka

$(BUILD)/tests/broker/%: $(BUILD)/obj/tests/broker/%.o $(BUILD)/obj/tests/broker/harness.o $(PB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lmosquitto -lprotobuf-c -lcmocka

UNIT_BINS   = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BROKER_BINS = $(patsubst tests/broker/%.c,$(BUILD)/tests/broker/%,$(BROKER_TEST_SRCS))
tests-build: $(UNIT_BINS) $(BROKER_BINS)

deps:
	@scripts/deps.sh

# The two commands of the README: both install what is missing first.
run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

test: deps
	@$(MAKE) --no-print-directory all tests-build
	@$(MAKE) --no-print-directory SAN=1 all tests-build
	@tests/run.sh

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
