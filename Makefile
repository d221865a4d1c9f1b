# ngx_csq_module: build, run and test on Debian 12.
#
#   make          build build/ngx_http_csq_module.so
#   make run      private Redis + nginx on 127.0.0.1:8080 (Ctrl-C stops both)
#   make test     the whole suite, ends with prove's summary
#   make test-valgrind   the same under valgrind
#   make test-upstream TEST_NGINX_UPSTREAM=/path/to/test-nginx
#                 the same under upstream Test::Nginx (openresty/test-nginx)
#   make fuzz     libFuzzer on the frame and JSON parsers (t/fuzz/)
#   make bench    the benchmarks of bench/
#   make bench-relay   chat relay over WebSocket against nchan (bench/relay.sh)
#   make bench-conns   idle customer sockets and memory each (bench/conns.sh)
#   make bench-soak    Redis memory under anonymous visitors at the limits
#                      for 10 minutes (bench/soak.sh)
#   make bench-overload   the relay at twice the most it takes for 60 s,
#                 then back to normal (bench/overload.sh)
#   make bench-search  global search over 1,000,000 messages and 100,000
#                 customers, and transcript pages (bench/search.sh)
#   make drill    fault drills under chat load: kill -9 of a worker, reload,
#                 Redis restart, pub/sub loss (bench/drill.sh), and a
#                 reconnect storm of 10,000 sockets (bench/storm.sh); t/061
#                 runs both in short

SHELL        := /bin/bash
ROOT         := $(CURDIR)
BUILD        := $(ROOT)/build
NGX_SRC      := /usr/share/nginx/src
NGX_TREE     := $(BUILD)/nginx
MODULE       := $(BUILD)/ngx_http_csq_module.so
NGINX        ?= /usr/sbin/nginx

# what building, running and testing need, all from Debian
PKGS_BUILD   := gcc make nginx nginx-dev libhiredis-dev libyajl-dev
PKGS_RUN     := redis-server redis-tools curl
# fonts-wqy-microhei, fonts-noto-color-emoji: Chinese glyphs and emoji in
# the browser tests' screenshots (R10.1, R5.6); without them headless
# chromium draws boxes
PKGS_TEST    := libtest-base-perl libtext-diff-perl libhttp-message-perl \
                liburi-perl libprotocol-websocket-perl libipc-run-perl \
                liblist-moreutils-perl valgrind chromium openssl \
                fonts-wqy-microhei fonts-noto-color-emoji
PKGS_BENCH   := wrk libnginx-mod-nchan gcc
# Node.js for the browser tests (npm playwright-core): Debian's, unless the
# machine already has one
PKGS_NODE    := $(if $(shell command -v node),,nodejs npm)

SOURCES      := config $(wildcard ngx_csq_module/*.[ch]) \
                $(wildcard ngx_csq_module/functions/*.lua) \
                $(wildcard ngx_csq_module/functions/lib/*) \
                ngx_csq_module/embed_functions.sh \
                $(wildcard ngx_csq_module/pages/*) \
                ngx_csq_module/embed_pages.sh

PROVE        := prove -I$(ROOT) -I$(ROOT)/t/runner -r

.PHONY: all deps deps-run deps-test deps-bench run test test-valgrind \
        test-upstream bench bench-relay bench-conns bench-soak \
        bench-overload bench-search drill fuzz \
        clean

all: $(MODULE)

# apt-get only for what is missing; silent when nothing is
define install
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	        | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "run as root to install these packages" >&2; exit 1; \
	    fi; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq >/dev/null && \
	    apt-get install -y -qq --no-install-recommends $$missing \
	        >/dev/null || exit 1; \
	fi
endef

deps:
	$(call install,$(PKGS_BUILD))

deps-run: deps
	$(call install,$(PKGS_RUN))

deps-test: deps-run
	$(call install,$(PKGS_TEST) $(PKGS_NODE))
	@cmp -s t/browser/package-lock.json \
	    t/browser/node_modules/.csq-package-lock.json || \
	    (cd t/browser && npm ci --no-audit --no-fund --loglevel=error && \
	     cp package-lock.json node_modules/.csq-package-lock.json)
	@[ -d bench/node_modules/ws ] || \
	    (cd bench && npm ci --no-audit --no-fund --loglevel=error)

deps-bench: deps-run
	$(call install,$(PKGS_BENCH))

# a private copy of Debian's nginx tree, configured with Debian's own flags
$(NGX_TREE)/objs/Makefile: config | deps
	@rm -rf $(NGX_TREE) && mkdir -p $(BUILD)
	@cp -r $(NGX_SRC) $(NGX_TREE)
	@. $(NGX_SRC)/conf_flags && cd $(NGX_TREE) && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" --with-compat \
	        --with-cc-opt='-g -O2 -Wall -Wextra -fPIC' \
	        --add-dynamic-module=$(ROOT) > $(BUILD)/configure.log 2>&1 \
	    || { tail -20 $(BUILD)/configure.log; exit 1; }

$(MODULE): $(NGX_TREE)/objs/Makefile $(SOURCES)
	@sh ngx_csq_module/embed_functions.sh ngx_csq_module/functions \
	    $(NGX_TREE)/objs/addon/csq
	@sh ngx_csq_module/embed_pages.sh ngx_csq_module/pages \
	    $(NGX_TREE)/objs/addon/csq
	@$(MAKE) -s -C $(NGX_TREE) -f objs/Makefile modules
	@cp $(NGX_TREE)/objs/ngx_http_csq_module.so $(MODULE).tmp && \
	    mv -f $(MODULE).tmp $(MODULE)
	@echo "built $(MODULE)"

run: deps-run $(MODULE)
	@bash conf-examples/run.sh

test: deps-test $(MODULE)
	@TEST_NGINX_BINARY=$(NGINX) TEST_NGINX_LOAD_MODULES=$(MODULE) \
	    $(PROVE) t/

test-valgrind: deps-test $(MODULE)
	@TEST_NGINX_USE_VALGRIND=1 TEST_NGINX_BINARY=$(NGINX) \
	    TEST_NGINX_LOAD_MODULES=$(MODULE) $(PROVE) t/

# The suite under upstream Test::Nginx instead of t/runner: the .t files
# are meant to give the same verdicts under both (t/README.md).  Upstream
# is not in Debian: point TEST_NGINX_UPSTREAM at a checkout of
# openresty/test-nginx; its Test::LongString is Debian's.
ifneq ($(filter test-upstream,$(MAKECMDGOALS)),)
ifeq ($(TEST_NGINX_UPSTREAM),)
$(error test-upstream: set TEST_NGINX_UPSTREAM=<a test-nginx checkout>)
endif
ifeq ($(wildcard $(TEST_NGINX_UPSTREAM)/lib/Test/Nginx/Socket.pm),)
$(error test-upstream: no lib/Test/Nginx/Socket.pm in $(TEST_NGINX_UPSTREAM))
endif
endif

test-upstream: deps-test $(MODULE)
	$(call install,libtest-longstring-perl)
	@TEST_NGINX_BINARY=$(NGINX) TEST_NGINX_LOAD_MODULES=$(MODULE) \
	    prove -I$(abspath $(TEST_NGINX_UPSTREAM))/lib -I$(ROOT) -r t/

bench: deps-bench $(MODULE)
	@bash bench/api.sh
	@bash bench/route.sh

bench-relay: deps-bench $(MODULE)
	@bash bench/relay.sh

bench-conns: deps-bench $(MODULE)
	@bash bench/conns.sh

bench-soak: deps-bench $(MODULE)
	@bash bench/soak.sh

bench-overload: deps-bench $(MODULE)
	@bash bench/overload.sh

bench-search: deps-bench $(MODULE)
	@bash bench/search.sh

drill: deps-bench $(MODULE)
	@bash bench/drill.sh
	@bash bench/storm.sh

# libFuzzer on the WebSocket frame parser and on the JSON body parser:
# FUZZ_SECONDS each (default 60)
FUZZ_SECONDS ?= 60
FUZZ_INCS    := $(addprefix -I$(NGX_TREE)/, src/core src/event \
                src/event/modules src/os/unix src/http src/http/modules \
                src/http/v2 src/http/v3 objs) -Ingx_csq_module
FUZZ_CC      := clang -g -O1 -fsanitize=fuzzer,address,undefined $(FUZZ_INCS)

fuzz: $(MODULE)
	$(call install,clang)
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/json-corpus
	@$(FUZZ_CC) ngx_csq_module/ngx_csq_ws_frame.c \
	    t/fuzz/ngx_csq_ws_fuzz.c -o $(BUILD)/fuzz/ws_fuzz
	@$(FUZZ_CC) ngx_csq_module/ngx_csq_json.c \
	    t/fuzz/ngx_csq_json_fuzz.c -lyajl -o $(BUILD)/fuzz/json_fuzz
	@printf '{"type":"message","text":"hi","ref":"r1"}' \
	    > $(BUILD)/fuzz/json-corpus/seed
	@for f in ws:corpus json:json-corpus; do \
	    echo "$${f%%:*} parser:"; \
	    $(BUILD)/fuzz/$${f%%:*}_fuzz -max_total_time=$(FUZZ_SECONDS) \
	        -print_final_stats=1 $(BUILD)/fuzz/$${f#*:} 2>&1 \
	    | grep -E 'stat::number_of_executed_units|stat::peak_rss|ERROR|crash|Done'; \
	done

clean:
	rm -rf $(BUILD) t/servroot*
