# livegate: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go

.PHONY: run test build deps test-deps redis generate check-generated lint vet gotest bench fuzz replay-eval faceref image

# staticcheck is pinned here and fetched through the Go module proxy.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

## run: install what is missing, build, and start the server on the in-memory store
run: deps build
	./bin/livegate

## test: install what the tests need, start Redis if none answers, run every test
# `image` first: a cold image build takes longer than go test's 10-minute
# limit, and internal/imagetest's own build then reuses its cached layers.
test: test-deps redis check-generated lint image gotest

build:
	$(GO) build -o bin/livegate ./cmd/server

deps:
	@scripts/deps.sh run

## image: build the container image localhost/livegate:latest with buildah (as root; see scripts/image.sh)
image:
	@scripts/image.sh

test-deps:
	@scripts/deps.sh test

redis:
	@scripts/redis.sh

generate:
	$(GO) tool templ generate

# The generated templ files are committed; CI proves they match their
# sources. git status (not git diff) so that a new, uncommitted output fails too.
check-generated: generate
	@out=$$(git status --porcelain -- '*_templ.go'); \
	if [ -n "$$out" ]; then echo "$$out"; echo "templ output is stale or uncommitted: run 'make generate' and commit"; exit 1; fi

## lint: gofmt, go vet and staticcheck, each with no findings
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...

vet:
	$(GO) vet ./...

# One package at a time: the live media, browser and engine tests run in
# real time, and on two cores they must not compete with each other.
gotest:
	$(GO) test -p 1 -count=1 -race ./...
	# Issue 16's small acceptance, without -race (its face reacts in real
	# time; the race detector would make it late): internal/replayeval.
	$(GO) test -p 1 -count=1 ./internal/replayeval
	# gocv's Mat profile: no Mat outlives a detector or a session's engine.
	$(GO) test -p 1 -count=1 -tags matprofile ./internal/perception
	# Every fuzz target, 5 s each, the VP8 one again under -race; no time
	# spent minimising new inputs (a crasher is still saved, unminimised).
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s FUZZMINIMIZETIME=0

# The Go fuzz targets, package:Target. Their seed corpora (f.Add and
# testdata/fuzz/) run with every `go test`; `make fuzz` explores beyond
# them, one target after the other (the fuzzer takes every core), each for
# FUZZTIME. The VP8 target runs again under the race detector: libvpx is cgo.
# Targets of one package follow each other so that the second reuses the
# first's fuzz-instrumented build (the capture package's links pion and
# libvpx's wrapper; the others are standard library and their own code).
FUZZTIME ?= 10s
# FUZZMINIMIZETIME bounds the minimisation of each new input (0: none).
FUZZMINIMIZETIME ?= 60s
FUZZ_TARGETS := ./internal/api:FuzzDecodeBody ./internal/api:FuzzImageForm ./internal/session:FuzzRedirect \
	./internal/capture/live/pagemsg:FuzzDecodePageMessage \
	./internal/capture:FuzzCheckOffer ./internal/capture:FuzzAssembleVP8
FUZZ_RACE := ./internal/capture:FuzzAssembleVP8

## fuzz: run each fuzz target for FUZZTIME (default 10s); a crash fails and is saved under testdata/fuzz
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg), $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
	done
	@set -e; for t in $(FUZZ_RACE); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg) under -race, $(FUZZTIME)"; \
		$(GO) test -race -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
	done

## replay-eval: issue 16's whole matrix (replay variants and reactive faces), a table at the end
replay-eval:
	$(GO) run ./cmd/replayeval

## bench: the benchmarks the README quotes
bench: redis
	$(GO) run ./cmd/benchreport

## faceref: regenerate internal/faceid's reference embeddings with face-api on tfjs (Node, CPU backend)
faceref:
	cd test/faceref && npm ci --no-audit --no-fund && node reference.mjs
