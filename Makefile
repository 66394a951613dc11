# A thin front over CMake. `make demo` and `make test` install what they
# need (tools/deps), build, and run.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_PCAP ?= pcaps/scenario4-1.pcap

.PHONY: all build demo demo-journey test sanitize fuzz torture style bench ci clean lab-record

all: build

build:
	@tools/deps build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSS_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo:
	@tools/deps demo
	@$(MAKE) --no-print-directory build >/dev/null
	@echo '$$ smtpsniff -r $(DEMO_PCAP) --verify'
	@# exit 1 is a verdict, not a failure of the demo (try DEMO_PCAP=pcaps/opendkim/scenario4-4.pcap)
	@$(BUILD)/smtpsniff -r $(DEMO_PCAP) --verify; s=$$?; \
	 if [ $$s -eq 1 ]; then echo '(exit 1: a receiver disagreed with the RFC, as above)'; s=0; fi; exit $$s

# A message's whole path: sent, signed, relayed, checked, delivered, read
# over IMAP; then the same as a Mermaid sequence diagram.
demo-journey:
	@tools/deps demo
	@$(MAKE) --no-print-directory build >/dev/null
	@echo '$$ smtpsniff -r pcaps/journey.pcap --verify --journey --mermaid $(BUILD)/journey.md'
	@$(BUILD)/smtpsniff -r pcaps/journey.pcap --verify --journey --mermaid $(BUILD)/journey.md
	@echo
	@echo '$$ cat $(BUILD)/journey.md   # GitHub and GitLab draw it as it is'
	@cat $(BUILD)/journey.md

test:
	@tools/deps test
	@$(MAKE) --no-print-directory build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize:
	@tools/deps test
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug "-DSS_SANITIZERS=address;undefined" -DSS_WERROR=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# Each libFuzzer target for FUZZ_SECONDS, starting from its seeds and its
# kept corpus; FUZZ_KEEP=1 makes it a campaign that keeps what it found in
# tests/fuzz/corpus/ and logs its executions in tests/fuzz/CAMPAIGN
# (tests/fuzz/README).
fuzz:
	@tools/deps fuzz
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSS_FUZZ=ON -DSS_WERROR=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	tests/fuzz/run $(if $(filter-out 0,$(FUZZ_KEEP)),--campaign) $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The hostile captures at their large sizes (tests/hostile/torture.py): peak
# memory against the caps each reaches, time against linear growth as the
# input doubles. OLD=BIN runs an older binary beside it, for before/after.
TORTURE_BUILD ?= build-torture
torture:
	@tools/deps build
	cmake -S . -B $(TORTURE_BUILD) -DCMAKE_BUILD_TYPE=Release -DSS_WERROR=ON >/dev/null
	cmake --build $(TORTURE_BUILD) -j $(JOBS) --target smtpsniff
	/usr/bin/python3 tests/hostile/torture.py $(TORTURE_BUILD)/smtpsniff $(if $(OLD),--old $(OLD))

style:
	tests/check_style.sh

# Records the lab's captures again into pcaps/ (both verifier sets), the
# LMTP capture (lab/record-lmtp; it needs dovecot-lmtpd) and the smtp-sink
# capture; then `UPDATE=1 tests/golden.sh build/smtpsniff .` and a review
# of what changed.
lab-record:
	@tools/deps lab
	@$(MAKE) --no-print-directory build
	lab/record
	lab/record --opendkim
	lab/record journey
	lab/record-lmtp
	pcaps/record-smtp-sink pcaps/smtp-sink.pcap

bench:
	@tools/deps bench
	@$(MAKE) --no-print-directory build
	bench/run

ci: test sanitize fuzz

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
