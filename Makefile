# Set-up commands. The quick start is `make demo` and `make test`; both install the
# Debian packages they need when missing, then build.

SWIFT ?= swift
DEBIAN_PACKAGES := libncurses-dev libsqlite3-dev libcurl4-openssl-dev zlib1g-dev libbrotli-dev tmux
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/debug/opsdeck

.PHONY: deps build demo pg-demo test pg-test api-check api-fuzz sdk-test bench fuzz clean install

# `make install [PREFIX=/usr/local] [DESTDIR=…]`: the release binary, its manual page
# (generated from the same definitions as --help, by swift-argument-parser's
# generate-manual), shell completions and the themes.
PREFIX ?= /usr/local

# Installs only what is missing, so that a ready machine pays nothing.
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

demo: build
	$(BIN) demo

# Two servers on one PostgreSQL database (a private cluster in a temporary directory),
# a fleet sending to each, the console against the first; quitting ends it all.
pg-demo: build
	bash Tests/pg/demo.sh $(BIN)

# The OpenAPI document must be valid OpenAPI 3.1 (the validator comes from PyPI).
api-check:
	@python3 -c "import openapi_spec_validator" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check openapi-spec-validator
	python3 -m openapi_spec_validator Sources/PlatformServer/openapi.json

# Property-based test of the running server against openapi.json (schemathesis, from
# PyPI): no 5xx, no answer the document does not allow. Bounded: 25 examples per
# operation, fixed seed (SEED=N for another).
api-fuzz: build
	bash Tests/api/fuzz.sh $(BIN)

# Real SDKs from PyPI (UnleashClient, sentry-sdk; pinned) against fresh servers.
sdk-test: build
	bash Tests/sdk/run.sh $(BIN)

# The integration suite again with the server on PostgreSQL (a private cluster started
# and stopped here; Debian's postgresql installed when missing), with the tests that
# need it: several servers on one database, and two server processes behind nginx
# (docs/deploy/nginx.conf) with one killed mid-stream; then schemathesis on PostgreSQL.
pg-test: build
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx >/dev/null; }
	$(SWIFT) build --build-tests
	bash Tests/pg/run.sh $(SWIFT) test --skip-build --filter 'IntegrationTests|BalancedServersEndToEndTests'
	bash Tests/pg/run.sh sh -c 'FUZZ_DB=$$OPSDECK_TEST_POSTGRES/postgres bash Tests/api/fuzz.sh $(BIN)'

# Builds the binary first: the end-to-end tests drive it in tmux, some beside real SDKs.
test: build api-check
	bash Tests/sdk/run.sh --install
	$(SWIFT) test
	$(MAKE) --no-print-directory pg-test
	$(MAKE) --no-print-directory sdk-test
	$(MAKE) --no-print-directory api-fuzz

# Release build, then figures: upgrade-check throughput and latency, ingestion rate, the
# console under a live stream, cold start, idle cost and keypress latency (htop, installed
# here, is the peer the console is measured beside).
bench: deps
	@command -v htop >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq htop >/dev/null; }
	$(SWIFT) build -c release --product opsdeck
	$(SWIFT) build -c release --product opsdeck-bench
	.build/release/opsdeck-bench --seconds 10 --threads 4 --live-rate 5000

# libFuzzer over every parser of untrusted bytes (Sources/FuzzTargets): FUZZ_SECONDS
# each (default 600), two at a time, each from its kept inputs
# (Tests/FuzzRegressionTests/Corpus/TARGET) plus what earlier runs found
# (.build-fuzz/corpus/TARGET). A crash leaves its input as .build-fuzz/crash-TARGET-*;
# once fixed, keep it in the Corpus folder so that `make test` replays it. Not in CI.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := json sse gateway theme cache-rows sentry-envelope
fuzz: deps
	$(SWIFT) build --build-path .build-fuzz --product opsdeck-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
	  -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
	@for t in $(FUZZ_TARGETS); do mkdir -p .build-fuzz/corpus/$$t; done
	@printf '%s\n' $(FUZZ_TARGETS) | xargs -P 2 -I{} sh -c 'SWIFT_BACKTRACE=enable=no OPSDECK_FUZZ={} .build-fuzz/debug/opsdeck-fuzz \
	  -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	  -artifact_prefix=.build-fuzz/crash-{}- .build-fuzz/corpus/{} Tests/FuzzRegressionTests/Corpus/{} \
	  > .build-fuzz/fuzz-{}.log 2>&1; status=$$?; \
	  echo "{}: exit $$status, $$(grep -a "stat::number_of_executed_units" .build-fuzz/fuzz-{}.log | cut -d: -f4 | tr -d " ") runs, \
	    $$(ls .build-fuzz/corpus/{} | wc -l) inputs in its corpus (log .build-fuzz/fuzz-{}.log)"; exit $$status'

clean:
	rm -rf .build

install: deps
	$(SWIFT) build -c release --product opsdeck
	$(SWIFT) build --product generate-manual
	mkdir -p .build/man
	.build/debug/generate-manual .build/release/opsdeck --output-directory .build/man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/opsdeck/themes \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 .build/release/opsdeck $(DESTDIR)$(PREFIX)/bin/opsdeck
	install -m 644 .build/man/opsdeck.1 $(DESTDIR)$(PREFIX)/share/man/man1/opsdeck.1
	install -m 644 Themes/*.toml $(DESTDIR)$(PREFIX)/share/opsdeck/themes/
	.build/release/opsdeck --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/opsdeck
	.build/release/opsdeck --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_opsdeck
	.build/release/opsdeck --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/opsdeck.fish
