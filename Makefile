# boxinit — a container init. `make help` lists the targets.

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO       ?= go
GOFLAGS_BUILD := -trimpath -ldflags "-s -w -X main.version=$(VERSION)"
ARCHES   := amd64 arm64
BIN      := bin
TAG      ?= dev
export BOXINIT_TAG := $(TAG)
# The container engine of make image, make demo and the e2e tests: podman when
# it is installed, else docker when its daemon answers, else podman (what make
# deps installs); ENGINE=docker or ENGINE=podman to choose.
ifeq ($(origin ENGINE),undefined)
ENGINE := $(shell ./scripts/engine.sh)
endif
ifeq ($(filter podman docker,$(ENGINE)),)
$(error ENGINE=$(ENGINE): want podman or docker)
endif
export ENGINE

.PHONY: help build image demo demo-pid1 test e2e bench fuzz lint deps deps-demo clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## static binaries bin/boxinit-linux-{amd64,arm64} and bin/boxinit (this machine's)
	@mkdir -p $(BIN)
	@for arch in $(ARCHES); do \
		echo "build $(BIN)/boxinit-linux-$$arch"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build $(GOFLAGS_BUILD) -o $(BIN)/boxinit-linux-$$arch ./cmd/boxinit || exit 1; \
	done
	@cp $(BIN)/boxinit-linux-$$($(GO) env GOARCH) $(BIN)/boxinit

image: build ## images localhost/boxinit-debian:$(TAG), localhost/boxinit-minimal:$(TAG) (TAG=dev) with $(ENGINE)
	./scripts/base-image.sh
	cp $(BIN)/boxinit-linux-$$($(GO) env GOARCH) images/debian/boxinit
	$(ENGINE) build -q --build-arg BASE=localhost/boxinit-base:bookworm -t localhost/boxinit-debian:$(TAG) images/debian
	rm -f images/debian/boxinit
	./scripts/minimal-rootfs.sh images/minimal/rootfs
	cp $(BIN)/boxinit-linux-$$($(GO) env GOARCH) images/minimal/boxinit
	$(ENGINE) build -q -t localhost/boxinit-minimal:$(TAG) images/minimal
	rm -rf images/minimal/boxinit images/minimal/rootfs

demo: deps-demo ## install what it needs, build the Debian image with nginx-light, boot it like a VM: boxinit status, its services, how to ssh in
	@$(MAKE) --no-print-directory image
	cp $(BIN)/boxinit-linux-$$($(GO) env GOARCH) images/debian/boxinit
	$(ENGINE) build -q --network host --build-arg BASE=localhost/boxinit-base:bookworm --build-arg EXTRA_PACKAGES=nginx-light \
		-t localhost/boxinit-demo:$(TAG) images/debian
	rm -f images/debian/boxinit
	./scripts/demo.sh

demo-pid1: build ## without containers: boxinit as PID 1 of a new PID namespace (root)
	unshare --pid --fork --mount-proc $(BIN)/boxinit --cron= --socket= --services=false --ready-file=/tmp/boxinit-demo.ready --grace-period=3s -- scripts/demo-main.sh; \
	echo "boxinit exited with $$?"

test: deps ## the whole test suite; builds the images for the e2e tests when $(ENGINE) is there (root)
	@if command -v $(ENGINE) >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory image; \
	else echo "test: no $(ENGINE) or not root: the e2e tests will skip"; fi
	@servers=$$(scripts/test-servers.sh 2>/dev/null) || { echo "test: could not unpack Debian's nginx and redis-server: TestRealNginx and TestRealRedis will skip"; servers=; }; \
	echo env $$servers $(GO) test -count=1 ./...; env $$servers $(GO) test -count=1 ./...

e2e: image ## only the end-to-end tests against the image
	$(GO) test -count=1 -v ./e2e

bench: build ## benchmarks: boxinit side by side with tini, the old rc.local, supercronic and docker-systemctl-replacement (DSR_SRC=dir; root); the tables of issues 19 and 16 at the end
	@sc=$$(./bench/supercronic.sh); out=$$(mktemp); \
	BOXINIT_BENCH_BIN=$(CURDIR)/$(BIN)/boxinit BOXINIT_BENCH_SUPERCRONIC=$$sc \
	$(GO) test -run '^$$' -bench 'Footprint|EarlySIGTERM|Reap' -benchtime 1x -count 1 ./cmd/boxinit | tee $$out && \
	BOXINIT_BENCH_BIN=$(CURDIR)/$(BIN)/boxinit \
	$(GO) test -run '^$$' -bench 'Boot' -benchtime 15x -count 1 ./cmd/boxinit | tee -a $$out && \
	BOXINIT_BENCH_BIN=$(CURDIR)/$(BIN)/boxinit BOXINIT_BENCH_SUPERCRONIC=$$sc \
	$(GO) test -run '^$$' -bench 'Cron' -benchtime 1x -count 1 -v ./cmd/boxinit && \
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./internal/... && \
	echo && awk -f bench/table.awk $$out; rm -f $$out
	@if [ "$(ENGINE)" = podman ] && [ "$$(id -u)" = 0 ]; then \
		$(MAKE) --no-print-directory image >/dev/null && out=$$(mktemp) && \
		TAG=$(TAG) DSR_SRC=$(DSR_SRC) ./bench/services.sh | tee $$out && echo && awk -f bench/services.awk $$out; rm -f $$out; \
	else echo "bench: services side by side skipped (needs podman and root)"; fi

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	$(GO) test -run '^$$' -fuzz FuzzParseStat -fuzztime $(or $(FUZZTIME),30s) ./internal/procfs
	$(GO) test -run '^$$' -fuzz FuzzTableRoundTrip -fuzztime $(or $(FUZZTIME),30s) ./internal/users
	$(GO) test -run '^$$' -fuzz FuzzMergeAuthorizedKeys -fuzztime $(or $(FUZZTIME),30s) ./internal/users
	$(GO) test -run '^$$' -fuzz FuzzParseEnvFile -fuzztime $(or $(FUZZTIME),30s) ./internal/boot
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(or $(FUZZTIME),30s) ./internal/cron

lint: ## gofmt, go vet, staticcheck, helm lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$$($(GO) env GOPATH)/bin/staticcheck ./...
	@helm=$$(command -v helm || echo $$($(GO) env GOPATH)/bin/helm); if [ -x "$$helm" ]; then $$helm lint --strict --quiet images/chart; \
	else echo "lint: no helm, images/chart not linted (make deps)"; fi

deps: ## install what the tests need on Debian/Ubuntu (as root)
	./scripts/deps.sh

deps-demo: ## install only what make demo needs (as root)
	./scripts/deps.sh demo

clean: ## remove build output
	rm -rf $(BIN)
