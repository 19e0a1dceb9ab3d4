# homemmsc: a home MMSC appliance for the Raspberry Pi.
# `make run` builds and runs it with development defaults; `make test` runs the tests.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
GOBUILD  := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
RUNDIR   ?= ./run
# How much `make test` fuzzes the PDU decoder: a count of inputs, not a
# duration, because go1.26's fuzz coordinator can fail a duration-bound run
# with a spurious "context deadline exceeded" (golang/go#75804, fixed in 1.27).
# `make fuzz` is the long run.
FUZZTIME      ?= 200000x
FUZZTIME_LONG ?= 10m

.PHONY: all build pi run test check fmt vet race fuzz bench soak install clean

all: build

## build: the appliance for this machine, in bin/appliance
build:
	$(GOBUILD) -o bin/appliance ./cmd/appliance
	$(GOBUILD) -o bin/smsexport ./cmd/smsexport
	$(GOBUILD) -o bin/mmsexport ./cmd/mmsexport
	$(GOBUILD) -o bin/mmsphone ./cmd/mmsphone

## pi: static binaries for the Raspberry Pi models in dist/
##   armv6 (Pi Zero/Zero W/1), armv7 (Pi 2/3/4 32-bit OS), arm64 (Pi 3/4/5/Zero 2 64-bit OS)
pi:
	GOOS=linux GOARCH=arm GOARM=6 $(GOBUILD) -o dist/homemmsc-linux-armv6 ./cmd/appliance
	GOOS=linux GOARCH=arm GOARM=7 $(GOBUILD) -o dist/homemmsc-linux-armv7 ./cmd/appliance
	GOOS=linux GOARCH=arm64       $(GOBUILD) -o dist/homemmsc-linux-arm64 ./cmd/appliance
	GOOS=linux GOARCH=arm GOARM=6 $(GOBUILD) -o dist/smsexport-linux-armv6 ./cmd/smsexport
	GOOS=linux GOARCH=arm GOARM=7 $(GOBUILD) -o dist/smsexport-linux-armv7 ./cmd/smsexport
	GOOS=linux GOARCH=arm64       $(GOBUILD) -o dist/smsexport-linux-arm64 ./cmd/smsexport
	GOOS=linux GOARCH=arm GOARM=6 $(GOBUILD) -o dist/mmsexport-linux-armv6 ./cmd/mmsexport
	GOOS=linux GOARCH=arm GOARM=7 $(GOBUILD) -o dist/mmsexport-linux-armv7 ./cmd/mmsexport
	GOOS=linux GOARCH=arm64       $(GOBUILD) -o dist/mmsexport-linux-arm64 ./cmd/mmsexport

## run: build and run with development defaults: listens on 127.0.0.1:8080,
##      stores under ./mmsc-data, open endpoint on, no modem, OLED drawn to run/oled.png,
##      /healthz and /metrics on 127.0.0.1:8081
run: build
	@mkdir -p $(RUNDIR)
	./bin/appliance -display png:$(RUNDIR)/oled.png -lan 127.0.0.1:8081

## test: every package's tests, plus a short fuzz of the PDU decoder
test:
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/mms

## check: formatting, vet, and the tests under the race detector
check: fmt vet race

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

race:
	$(GO) test -count=1 -race ./...

## fuzz: the long fuzz run of the PDU decoder (FUZZTIME_LONG, 10 minutes)
fuzz:
	$(GO) test -timeout 0 -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME_LONG) ./internal/mms

## bench: every figure of issues 2 and 14 in one run. First the HTTP load
##        matrix (cmd/mmsload -compare, about 11 minutes): the appliance,
##        the seed PHP page when Apache + mod_php are installed, and the
##        floors of issue 14 (internal/floor's log design, and the same log
##        behind a bare net/http server), 3 alternating rounds a row, all on
##        one ext4+journal image on a loop device (root; else the working
##        disk, said in one line), with CPU, msg/s and device bytes per
##        message judged against the log design and the seed. Then the SD
##        wear at the store level (BenchmarkWear: store vs the log and file
##        designs), a day idle with the watchdog on (BenchmarkIdleWear, 2
##        minutes), each way of checking the disk (BenchmarkDiskChecks); the
##        binary's start and RSS on an empty store and on 20,000 messages of
##        30 KB, warm and cold (BenchmarkStart: open-s, idle-MB, rss-MB,
##        hwm-MB); then the codec and store benchmarks. The matrix runs
##        first: the store benchmarks delete thousands of files, and where
##        the matrix falls back to the working disk (ext4 without a
##        journal), creating files in the next 30 s scans past the freed
##        inodes.
bench:
	$(GO) run ./cmd/mmsload -compare
	$(GO) test -run '^$$' -bench '^BenchmarkWear$$' -benchtime 1x ./internal/store -wear
	$(GO) test -run '^$$' -bench '^BenchmarkIdleWear$$' -benchtime 1x ./cmd/appliance
	$(GO) test -run '^$$' -bench '^BenchmarkDiskChecks$$' -benchtime 200x ./internal/health
	$(GO) test -run '^$$' -bench '^BenchmarkStart$$' -benchtime 1x ./cmd/appliance
	$(GO) test -run '^$$' -bench . -benchmem ./internal/mms ./internal/store ./internal/guard ./internal/metrics ./internal/inbox ./internal/smsxml ./internal/adapt
	$(GO) test -run '^$$' -bench '^BenchmarkScrape$$' -benchmem ./internal/appmetrics
	$(GO) test -run '^$$' -bench '^BenchmarkPost' -benchmem ./internal/mmsc

## soak: the long fault runs (make test runs short versions of each): 200
##       simulated power cuts under the store, kill -9
##       under load for 20 rounds, the hostile clients with 1,000,000 tiny
##       requests, and 8 clients for SOAK_FOR (30 minutes) while the binary's
##       memory and open files are sampled; the siege from 16, 64 and 200
##       addresses (about 5 minutes); figures are in the -v output
SOAK_FOR ?= 30m
soak:
	$(GO) test -count=1 -v -timeout 0 -run '^TestPowerCut$$' ./internal/store -powercuts 200
	$(GO) test -count=1 -v -run '^TestE2E$$/^Kill9$$' ./cmd/appliance -soak 20
	$(GO) test -count=1 -v -timeout 0 -run '^(TestFault.*|TestSoak)$$' ./cmd/appliance -soak 20 -soak-for $(SOAK_FOR)
	$(GO) test -count=1 -v -timeout 0 -run '^TestSiege$$' ./cmd/appliance -soak 1

## install: install the service on this machine, as root (sudo make install):
##          the binary for this board from dist/ (or built), the systemd unit,
##          the modem udev rule, /etc/default/homemmsc; see board/install.sh.
##          INSTALL_FLAGS=--enable-i2c turns I2C on; --dry-run shows what it does.
install:
	./board/install.sh $(INSTALL_FLAGS)

clean:
	rm -rf bin dist $(RUNDIR)
