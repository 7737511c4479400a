# Task runner only: every target wraps a CMake preset (see CMakePresets.json).
# The real build system is CMake; this file just strings the steps together.

CMAKE        ?= cmake
CTEST        ?= ctest
CLANG_FORMAT ?= clang-format
FUZZ_SECONDS ?= 60

DEPS := ./cmake/install-deps.sh
FORMAT_DIRS := $(wildcard hivescope test tools bench fuzz)

.DEFAULT_GOAL := test
.PHONY: deps test run asan tsan bench fuzz format clean

deps:
	@$(DEPS)

test: deps
	$(CMAKE) --preset dev
	$(CMAKE) --build --preset dev
	$(CTEST) --preset dev

run: deps
	$(CMAKE) --preset dev
	$(CMAKE) --build --preset dev
	./build/hivescope run star --satellites 50 --seed 7

asan: deps
	$(CMAKE) --preset asan
	$(CMAKE) --build --preset asan
	$(CTEST) --preset asan

# ThreadSanitizer over the loopback (real socket) tests: builds and runs only those.
tsan: deps
	$(CMAKE) --preset tsan
	$(CMAKE) --build --preset tsan
	$(CTEST) --preset tsan

bench: deps
	$(CMAKE) --preset release
	$(CMAKE) --build --preset release --target hivescope-bench
	./build-release/hivescope-bench

# Runs every fuzz/<name>_fuzzer.cpp binary (build-fuzz/<name>_fuzzer) for FUZZ_SECONDS, seeding
# from build-fuzz/corpus/<name>_fuzzer/, which is first regenerated from the vectors
# ($HIVESCOPE_VECTORS_DIR, else ../shared/vectors), with fuzz/<name>_fuzzer.dict, else
# fuzz/json.dict, as the libFuzzer dictionary.
fuzz:
	@$(DEPS) --fuzz
	$(CMAKE) --preset fuzz
	$(CMAKE) --build --preset fuzz
	@vectors="$${HIVESCOPE_VECTORS_DIR:-../shared/vectors}"; \
	if [ -d "$$vectors" ]; then \
	    ./build-fuzz/hivescope-fuzz-corpus "$$vectors" build-fuzz/corpus; \
	else \
	    echo "fuzz: no vectors at $$vectors; seed corpora not regenerated"; \
	fi
	@set -e; found=0; \
	for src in fuzz/*_fuzzer.cpp; do \
	    [ -e "$$src" ] || continue; \
	    found=1; \
	    name=$$(basename "$$src" .cpp); \
	    corpus=build-fuzz/corpus/$$name; \
	    artifacts=build-fuzz/artifacts/$$name; \
	    mkdir -p "$$artifacts"; \
	    dict=fuzz/$$name.dict; [ -f "$$dict" ] || dict=fuzz/json.dict; \
	    if [ -d "$$corpus" ]; then set -- "$$corpus"; else set --; fi; \
	    if [ -f "$$dict" ]; then set -- -dict="$$dict" "$$@"; fi; \
	    echo "== $$name: $(FUZZ_SECONDS)s $$*"; \
	    ./build-fuzz/$$name -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix="$$artifacts/" "$$@"; \
	done; \
	if [ $$found -eq 0 ]; then echo "fuzz: no fuzz/*_fuzzer.cpp sources"; fi

format:
	@if [ -n "$(FORMAT_DIRS)" ]; then \
	    find $(FORMAT_DIRS) -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' \) \
	        -print0 | xargs -0 -r $(CLANG_FORMAT) -i; \
	fi

clean:
	rm -rf build build-asan build-tsan build-release build-fuzz
