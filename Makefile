# livegate: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go

.PHONY: run test build deps test-deps redis generate check-generated lint vet gotest bench faceref

# staticcheck is pinned here and fetched through the Go module proxy.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

## run: install what is missing, build, and start the server on the in-memory store
run: deps build
	./bin/livegate

## test: install what the tests need, start Redis if none answers, run every test
test: test-deps redis check-generated lint gotest

build:
	$(GO) build -o bin/livegate ./cmd/server

deps:
	@scripts/deps.sh run

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
	# gocv's Mat profile: no Mat outlives a detector or a session's engine.
	$(GO) test -p 1 -count=1 -tags matprofile ./internal/perception

## bench: the benchmarks the README quotes
bench: redis
	$(GO) run ./cmd/benchreport

## faceref: regenerate internal/faceid's reference embeddings with face-api on tfjs (Node, CPU backend)
faceref:
	cd test/faceref && npm ci --no-audit --no-fund && node reference.mjs
