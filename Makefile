# boxinit — a container init. `make help` lists the targets.

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO       ?= go
GOFLAGS_BUILD := -trimpath -ldflags "-s -w -X main.version=$(VERSION)"
ARCHES   := amd64 arm64
BIN      := bin

.PHONY: help build demo test bench fuzz lint deps clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## static binaries bin/boxinit-linux-{amd64,arm64} and bin/boxinit (this machine's)
	@mkdir -p $(BIN)
	@for arch in $(ARCHES); do \
		echo "build $(BIN)/boxinit-linux-$$arch"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build $(GOFLAGS_BUILD) -o $(BIN)/boxinit-linux-$$arch ./cmd/boxinit || exit 1; \
	done
	@cp $(BIN)/boxinit-linux-$$($(GO) env GOARCH) $(BIN)/boxinit

demo: build ## build boxinit and run it as PID 1 of a new PID namespace (root)
	unshare --pid --fork --mount-proc $(BIN)/boxinit --cron= --socket= --ready-file=/tmp/boxinit-demo.ready --grace-period=3s -- scripts/demo-main.sh; \
	echo "boxinit exited with $$?"

test: deps ## the whole test suite (run as root: PID-namespace tests skip otherwise)
	$(GO) test -count=1 ./...

bench: build ## benchmarks: boxinit side by side with tini and the old rc.local (root)
	$(GO) test -run '^$$' -bench 'Reap|IdleMemory|Boot' -benchtime 5x -count 1 ./cmd/boxinit
	$(GO) test -run '^$$' -bench 'Cron' -benchtime 1x -count 1 -v ./cmd/boxinit
	$(GO) test -run '^$$' -bench 'EarlySIGTERM' -benchtime 1x -count 1 ./cmd/boxinit
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./internal/...

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	$(GO) test -run '^$$' -fuzz FuzzParseStat -fuzztime $(or $(FUZZTIME),30s) ./internal/procfs
	$(GO) test -run '^$$' -fuzz FuzzTableRoundTrip -fuzztime $(or $(FUZZTIME),30s) ./internal/users
	$(GO) test -run '^$$' -fuzz FuzzMergeAuthorizedKeys -fuzztime $(or $(FUZZTIME),30s) ./internal/users
	$(GO) test -run '^$$' -fuzz FuzzParseEnvFile -fuzztime $(or $(FUZZTIME),30s) ./internal/boot
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(or $(FUZZTIME),30s) ./internal/cron

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$$($(GO) env GOPATH)/bin/staticcheck ./...

deps: ## install what the tests need on Debian/Ubuntu (as root)
	./scripts/deps.sh

clean: ## remove build output
	rm -rf $(BIN)
