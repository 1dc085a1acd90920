# np-hub - see README.md. Output goes to build/ (build-san/ with SAN=1).
CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wstrict-prototypes -Wshadow
SANF     = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD   := $(if $(SAN),build-san,build)
GEN      = $(BUILD)/gen
CFLAGS  += $(if $(SAN),$(SANF))
LDFLAGS += $(if $(SAN),$(SANF))
CSTD     = -std=c99
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I$(GEN) -Ibroker-plugin -Iclient-lib

PB_SRC    = $(GEN)/np.pb-c.c
CORE_SRCS = broker-plugin/vocab.c broker-plugin/acl.c broker-plugin/store.c broker-plugin/store_users.c \
            broker-plugin/store_tokens.c broker-plugin/store_audit.c broker-plugin/kdf.c \
            broker-plugin/validate.c broker-plugin/auth.c broker-plugin/history.c \
            broker-plugin/history_scan.c broker-plugin/history_expire.c broker-plugin/query.c \
            broker-plugin/throttle.c broker-plugin/seal.c broker-plugin/guard.c \
            broker-plugin/topic.c broker-plugin/refusal.c broker-plugin/token.c \
            broker-plugin/tokens.c broker-plugin/receipts.c broker-plugin/expiry.c \
            broker-plugin/photo.c broker-plugin/cases.c broker-plugin/case_walk.c \
            broker-plugin/idset.c
# remote administration runs np-admin's own commands inside the broker
REMOTE_ADMIN_SRCS = admin/remote_cmd.c admin/user.c admin/user_import.c admin/token_cmd.c \
            admin/audit.c admin/encode.c admin/io.c
PLUGIN_SRCS = broker-plugin/plugin.c broker-plugin/publish.c broker-plugin/live.c \
            broker-plugin/reach.c broker-plugin/case_query.c broker-plugin/remote.c \
            $(REMOTE_ADMIN_SRCS) $(CORE_SRCS)
CAP_SRCS    = admin/cap_parse.c admin/cap_sig.c admin/cap_geo.c admin/cap_import.c \
            admin/cap_export.c
ADMIN_SRCS  = admin/np_admin.c admin/csv_import.c admin/demo.c admin/history_cmd.c admin/load.c \
            admin/case_cmd.c admin/site.c admin/site_cmd.c admin/site_buf.c admin/site_out.c \
            admin/site_item.c admin/site_html.c admin/site_feed.c admin/site_data.c \
            admin/hub_client.c $(CAP_SRCS) $(REMOTE_ADMIN_SRCS) $(CORE_SRCS)
CLIENT_SRCS = client-lib/client.c client-lib/conn.c client-lib/pending.c client-lib/publish.c \
            client-lib/feed.c client-lib/history.c client-lib/topics.c client-lib/options.c \
            client-lib/codec.c client-lib/outbox.c client-lib/token.c client-lib/receipt.c \
            client-lib/cursor.c client-lib/cases.c
EXAMPLES    = np-report np-announce np-ack np-dm np-status np-show np-feed np-history np-reach \
              np-cases
EXAMPLE_COMMON = examples/common.c examples/print.c examples/when.c
UNIT_SRCS   = $(wildcard tests/unit/test_*.c)
CLIENT_TEST_SRCS = $(wildcard tests/client/test_*.c)
BROKER_TEST_SRCS = $(wildcard tests/broker/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
PB_OBJ = $(BUILD)/obj/np.pb-c.o

LIBS_CORE = -lprotobuf-c -llmdb -lcrypto
# CAP (np-admin cap): libxml2 and xmlsec1 with OpenSSL (Debian libxml2-dev, libxmlsec1-dev)
XML_CFLAGS := $(shell pkg-config --cflags xmlsec1-openssl libxml-2.0 2>/dev/null)
XML_LIBS   := $(shell pkg-config --libs xmlsec1-openssl libxml-2.0 2>/dev/null)
LIBS_ADMIN = $(LIBS_CORE) -lcsv -ljansson -lpthread -lmosquitto $(XML_LIBS) -lm

.PHONY: all deps run test check clean examples bench install lib web
# libnpclient's version is np_client.h's NP_VERSION; the soname follows its major
VERSION := $(shell sed -n 's/^\#define NP_VERSION "\(.*\)"/\1/p' client-lib/np_client.h)
SOMAJOR := $(firstword $(subst ., ,$(VERSION)))
PREFIX  ?= /usr/local
LIBS_CLIENT = -lmosquitto -lprotobuf-c

# the console (web/) is built when node and npm are here: see web below
HAVE_NODE := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)
all: $(BUILD)/np_plugin.so $(BUILD)/np-admin lib examples $(if $(HAVE_NODE),web)

# The web console (web/, README.md "The console"): built when node and npm are
# here (scripts/deps.sh installs them), its npm packages from
# web/package-lock.json only; make web says why when they are missing.
WEB_SRCS  = web/build.mjs proto/np.proto $(wildcard web/src/*.* web/src/views/*.js)
web: $(BUILD)/web/index.html
web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	@command -v npm >/dev/null 2>&1 || { echo "np-hub: the console needs node and npm (make deps)" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund
	@touch $@
$(BUILD)/web/index.html: web/node_modules/.package-lock.json $(WEB_SRCS)
	node web/build.mjs $(BUILD)/web
lib: $(BUILD)/libnpclient.a $(BUILD)/libnpclient.so $(BUILD)/npclient.pc
examples: $(addprefix $(BUILD)/,$(EXAMPLES))

$(GEN)/np.pb-c.c $(GEN)/np.pb-c.h: proto/np.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=proto --c_out=$(GEN) proto/np.proto

$(PB_OBJ): $(GEN)/np.pb-c.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@

$(BUILD)/obj/%.o: %.c $(GEN)/np.pb-c.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(CPPFLAGS) $(WARN) $(CFLAGS) $(XCFLAGS) -fPIC -MMD -MP -c $< -o $@

# only the tests include tests/broker/harness.h
$(BUILD)/obj/tests/%.o: CPPFLAGS += -Itests/broker

# Objects reached only through the pattern rules below (examples, tests) are
# named here as prerequisites, so make takes none for an intermediate file: it
# neither deletes one after a build (the next make rebuilt them) nor skips one
# that is missing (as the catch-all .SECONDARY: did, leaving a new source file
# out of an archive built before it).
.PHONY: objects
objects: $(call obj,$(addprefix examples/,$(addsuffix .c,$(EXAMPLES))) $(UNIT_SRCS) \
	$(CLIENT_TEST_SRCS) $(BROKER_TEST_SRCS))

$(BUILD)/np_plugin.so: $(call obj,$(PLUGIN_SRCS)) $(PB_OBJ) broker-plugin/plugin.map
	$(CC) -shared $(LDFLAGS) -Wl,--version-script=broker-plugin/plugin.map \
		-o $@ $(filter %.o,$^) $(LIBS_CORE) -lcsv -ljansson -lpthread

$(call obj,$(CAP_SRCS)): CPPFLAGS += $(XML_CFLAGS)

# np-admin cap import publishes through the hub with libnpclient
$(BUILD)/np-admin: $(call obj,$(ADMIN_SRCS)) $(PB_OBJ) $(BUILD)/libnpclient.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_ADMIN)

$(BUILD)/libnpclient.a: $(call obj,$(CLIENT_SRCS)) $(PB_OBJ)
	rm -f $@
	ar rcs $@ $^

# only the np_ API leaves the shared library (np__ internals and protobuf-c code stay inside)
$(BUILD)/libnpclient.so: $(call obj,$(CLIENT_SRCS)) $(PB_OBJ) client-lib/npclient.map
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libnpclient.so.$(SOMAJOR) \
		-Wl,--version-script=client-lib/npclient.map \
		-o $(BUILD)/libnpclient.so.$(VERSION) $(filter %.o,$^) $(LIBS_CLIENT)
	ln -sf libnpclient.so.$(VERSION) $(BUILD)/libnpclient.so.$(SOMAJOR)
	ln -sf libnpclient.so.$(VERSION) $@

$(BUILD)/npclient.pc: client-lib/npclient.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# -lcrypto: print.c writes photos as base64 (EVP_EncodeBlock)
$(BUILD)/np-%: $(BUILD)/obj/examples/np-%.o $(call obj,$(EXAMPLE_COMMON)) $(BUILD)/libnpclient.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT) -ljansson -lcrypto

# np-dm stands alone, on np_client.h only: the example to read first
$(BUILD)/np-dm: $(BUILD)/obj/examples/np-dm.o $(BUILD)/libnpclient.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT)

$(BUILD)/tests/client/%: $(BUILD)/obj/tests/client/%.o $(BUILD)/obj/tests/broker/harness.o $(BUILD)/libnpclient.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT) -lcmocka

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(BUILD)/libnpclient.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libnpclient.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libnpclient.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libnpclient.so.$(SOMAJOR)
	ln -sf libnpclient.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libnpclient.so
	install -m 644 client-lib/np_client.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' client-lib/npclient.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/npclient.pc
	install -m 755 $(BUILD)/np-admin $(addprefix $(BUILD)/,$(EXAMPLES)) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/lib/mosquitto
	install -m 755 $(BUILD)/np_plugin.so $(DESTDIR)$(PREFIX)/lib/mosquitto/

# fuzz regressions: each target's saved inputs replayed under tests/fuzz/replay.c
# (tests/run.sh runs them like the unit tests, in build/ and build-san/)
FUZZ_REPLAY_BINS = $(patsubst %,$(BUILD)/tests/test_fuzz_%,envelope acl history_request csv_import)
$(FUZZ_REPLAY_BINS): $(BUILD)/tests/test_%: $(BUILD)/obj/tests/fuzz/%.o \
		$(BUILD)/obj/tests/fuzz/replay.o $(call obj,$(CORE_SRCS) admin/csv_import.c admin/io.c) $(PB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) -lcsv
tests-build: $(FUZZ_REPLAY_BINS)

# unit tests of libnpclient's pure parts (topics, dedup ring, backoff, options)
$(BUILD)/tests/test_client_%: $(BUILD)/obj/tests/unit/test_client_%.o $(BUILD)/libnpclient.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT) -lcmocka

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(call obj,$(CORE_SRCS)) $(PB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) -lcmocka

$(BUILD)/tests/broker/%: $(BUILD)/obj/tests/broker/%.o $(BUILD)/obj/tests/broker/harness.o $(PB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lmosquitto -lprotobuf-c -lcmocka

UNIT_BINS   = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BROKER_BINS = $(patsubst tests/broker/%.c,$(BUILD)/tests/broker/%,$(BROKER_TEST_SRCS))
CLIENT_BINS = $(patsubst tests/client/%.c,$(BUILD)/tests/client/%,$(CLIENT_TEST_SRCS))
tests-build: $(UNIT_BINS) $(BROKER_BINS) $(CLIENT_BINS)

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

# The fast offline tests, no broker and no network: unit tests, fuzz replays
# and np-admin in $(BUILD) (make SAN=1 check: in build-san/). Fails when one does.
check: $(BUILD)/np-admin $(UNIT_BINS) $(FUZZ_REPLAY_BINS)
	@tests/run.sh --offline $(BUILD)

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
include bench/bench.mk
include tests/fuzz/fuzz.mk
