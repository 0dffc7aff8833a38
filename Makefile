# Set-up commands. The quick start is `make demo` and `make test`; both install the
# Debian packages they need when missing, then build.

SWIFT ?= swift
DEBIAN_PACKAGES := libncurses-dev libsqlite3-dev libcurl4-openssl-dev tmux
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/debug/opsdeck

.PHONY: deps build demo test clean

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

# Builds the binary first: the end-to-end tests drive it in tmux.
test: build
	$(SWIFT) test

clean:
	rm -rf .build
