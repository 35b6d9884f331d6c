# berth — see README.md. `make test` is the test command CI runs (after
# `make deps`, which installs the peer tools the interop tests drive).

GO       ?= go
BIN      ?= ./berth
FIXTURES ?= .fixtures
PKGS     := ./...
# Debian packages the tests use: the busybox fixture, interop peers, tmux.
DEPS     := busybox-static skopeo umoci podman buildah runc crun tmux

.PHONY: build test test-root test-nonroot vet fmt-check fuzz bench fixture run deps screenshots clean

# Static: a container's init re-executes this binary after pivot_root.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) .

deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (apt-get)"; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEPS) >/dev/null

fixture:
	$(GO) run ./internal/fixture/mkfixture -o $(FIXTURES)

# Opens the workstation, with the busybox fixture loaded when it can be made.
run: build
	@if $(GO) run ./internal/fixture/mkfixture -o $(FIXTURES) >/dev/null; then \
		$(BIN) load -q -i $(FIXTURES)/busybox; \
	else echo "(no busybox-static: opening berth without the sample image)"; fi
	$(BIN)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

# As root every test runs (containers, overlay, interop); the unit tests are
# then run again as an unprivileged user, where root-only tests skip.
test: fmt-check vet
	$(GO) test -race -count=1 $(PKGS)
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory test-nonroot; fi

# Test binaries are built as root (the module cache is root's) and run as
# nobody, which proves root-only tests skip cleanly.
test-nonroot:
	@dir=$$(mktemp -d /tmp/berth-nonroot.XXXXXX); chmod 755 $$dir; \
	mkdir $$dir/home; chown 65534:65534 $$dir/home; \
	status=0; \
	for pkg in $$($(GO) list -f '{{if .TestGoFiles}}{{.ImportPath}}{{end}}' $(PKGS)); do \
		name=$$(echo $$pkg | tr / _); \
		$(GO) test -c -o $$dir/$$name.test $$pkg || { status=1; continue; }; \
		src=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		out=$$(cd $$src && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$$dir/home TMPDIR=$$dir/home $$dir/$$name.test -test.count=1 -test.short 2>&1); \
		rc=$$?; echo "$$out" | tail -1 | sed "s|^|non-root $$pkg: |"; \
		[ $$rc = 0 ] || { echo "$$out"; status=1; }; \
	done; rm -rf $$dir; exit $$status

fuzz:
	$(GO) test -run XXX -fuzz FuzzApply -fuzztime 30s ./engine/layer
	$(GO) test -run XXX -fuzz FuzzParseRef -fuzztime 15s ./engine/image
	$(GO) test -run XXX -fuzz FuzzParseManifest -fuzztime 15s ./engine/image
	$(GO) test -run XXX -fuzz 'FuzzParse$$' -fuzztime 15s ./engine/build
	$(GO) test -run XXX -fuzz FuzzBuild -fuzztime 30s ./engine/build

bench: build
	$(GO) run ./bench -berth $(BIN)

screenshots: build
	$(GO) run ./screenshots/shoot -berth $(BIN) -out screenshots

clean:
	rm -rf $(BIN) $(FIXTURES) .bench
