# mediaedge: build, demo, test. See README.md.
CARGO    ?= cargo
CC       ?= cc
CXX      ?= c++
PROFILE  ?= debug
TARGET   := target/$(PROFILE)
CARGO_PROFILE := $(if $(filter release,$(PROFILE)),--release,)
BUILD    := build
# The library as it ships (make install, the size in BENCHMARKS.md): scripts/build-dist.
DIST     := target/dist
CWARN    := -Wall -Wextra -Wpedantic -Werror
LDLIBS   := -L$(TARGET) -lmediaedge -Wl,-rpath,$(abspath $(TARGET)) -pthread
EMULATOR := $(TARGET)/mediaedge-emulator
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
# The SONAME carries the ABI policy (README); build.rs, the one place that decides it, writes it
# into the library, and the rules below read it back (scripts/soname) from the library they just
# built.
# What libmediaedge.a needs from the system (rustc --print native-static-libs).
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
PREFIX   ?= /usr/local
VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99

.PHONY: help all lint lib dist header examples demo demo-tracker install test test-rust test-header test-c test-sanitizers test-tsan fuzz-smoke fuzz test-cpp test-kotlin test-swift test-install test-gst gst-player bench bench-smoke clean

# A bare `make` builds the library (debug), the emulator and the C examples.
all: examples

help:
	@echo "make              build the library (debug), the emulator and the C examples (= make examples)"
	@echo "make demo         build, run examples-c/simple_player against the emulator (~35 s), show what it sent"
	@echo "make demo-tracker the same with the tracker API (examples-c/tracker_player.c)"
	@echo "make test         every suite (README, 'Two commands'); each is also a target of its own:"
	@echo "                    lint test-rust test-header test-c test-sanitizers test-tsan fuzz-smoke"
	@echo "                    test-cpp test-kotlin test-swift test-install test-gst bench-smoke"
	@echo "make lib          the library and the emulator; PROFILE=release for target/release"
	@echo "make dist         the library as it ships, into target/dist (std rebuilt for size)"
	@echo "make header       regenerate include/mediaedge.h from the Rust sources (commit it)"
	@echo "make install      install into PREFIX (default /usr/local; DESTDIR honoured)"
	@echo "make bench        the benchmark suite (~9 minutes, BENCHMARKS.md)"
	@echo "make fuzz         the fuzz targets, FUZZ_SECONDS each (default 600)"
	@echo "make gst-player   build the GStreamer player (examples-c/gst_player.c)"
	@echo "make clean        remove target/ and build/"

lib:
	$(CARGO) build --workspace $(CARGO_PROFILE)
	soname=$$(scripts/soname $(TARGET)/libmediaedge.so) && ln -sf libmediaedge.so $(TARGET)/$$soname

dist:
	scripts/build-dist $(DIST)

# Regenerates include/mediaedge.h from the Rust sources; commit the result.
header:
	MEDIAEDGE_WRITE_HEADER=1 $(CARGO) build $(CARGO_PROFILE)

$(BUILD):
	mkdir -p $(BUILD)

examples: lib | $(BUILD)
	$(CC) -std=c99 $(CWARN) -Iinclude examples-c/simple_player.c -o $(BUILD)/simple_player $(LDLIBS)
	$(CC) -std=c99 $(CWARN) -Iinclude examples-c/manual_session.c -o $(BUILD)/manual_session $(LDLIBS)
	$(CC) -std=c99 $(CWARN) -Iinclude examples-c/tracker_player.c -o $(BUILD)/tracker_player $(LDLIBS)

demo: examples
	scripts/demo.sh $(EMULATOR) $(BUILD)/simple_player

# The same with the tracker API (examples-c/tracker_player.c).
demo-tracker: examples
	scripts/demo.sh $(EMULATOR) $(BUILD)/tracker_player

# Installs the release build into $(DESTDIR)$(PREFIX): the shared library with its SONAME
# links, the static library, the headers, pkg-config files and the CMake package.
install: dist
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/lib/cmake/MediaEdge $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(DIST)/libmediaedge.so $(DESTDIR)$(PREFIX)/lib/libmediaedge.so.$(VERSION)
	soname=$$(scripts/soname $(DIST)/libmediaedge.so) && \
	  ln -sf libmediaedge.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$$soname && \
	  ln -sf $$soname $(DESTDIR)$(PREFIX)/lib/libmediaedge.so
	install -m 0644 $(DIST)/libmediaedge.a $(DESTDIR)$(PREFIX)/lib/libmediaedge.a
	install -m 0644 include/mediaedge.h $(wildcard include/mediaedge.hpp) $(DESTDIR)$(PREFIX)/include/
	for pc in mediaedge mediaedge-static; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|' \
	    pkg/$$pc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/$$pc.pc; done
	soname=$$(scripts/soname $(DIST)/libmediaedge.so) && \
	for f in MediaEdgeConfig MediaEdgeConfigVersion; do \
	  sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' -e 's|@VERSION_MINOR@|$(VERSION_MINOR)|g' \
	    -e "s|@SONAME@|$$soname|g" -e 's|@STATIC_LIBS_CMAKE@|$(subst -l,,$(subst $(eval) ,;,$(STATIC_LIBS)))|g' \
	    pkg/$$f.cmake.in > $(DESTDIR)$(PREFIX)/lib/cmake/MediaEdge/$$f.cmake; done

test: lint test-rust test-header test-c test-sanitizers test-tsan fuzz-smoke test-cpp test-kotlin test-swift test-install test-gst bench-smoke

# Formatting, lints, documentation and the modules' one-way dependencies, as CI enforces them.
lint:
	$(CARGO) fmt --all --check
	cd fuzz && $(CARGO) fmt --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet
	python3 scripts/check-layers.py

# Everything but the fault suite, then the fault suite with its table printed.
test-rust:
	$(CARGO) test --workspace $(CARGO_PROFILE) -- --skip fault_suite_
	$(CARGO) test $(CARGO_PROFILE) --test faults fault_suite_ -- --nocapture

# The header alone, included twice, as C99, C11 and C++11, warnings as errors; and every name it
# defines carries the mediaedge prefix.
test-header: | $(BUILD)
	@! grep -nE '^(#define|typedef|enum|struct) *[A-Za-z_]' include/mediaedge.h | grep -vE '(MEDIAEDGE|mediaedge)_' \
	  || { echo "include/mediaedge.h defines names without the mediaedge prefix (above)"; exit 1; }
	$(CC) -std=c99 $(CWARN) -Iinclude -c tests/c/header_twice.c -o $(BUILD)/header_c99.o
	$(CC) -std=c11 $(CWARN) -Iinclude -c tests/c/header_twice.c -o $(BUILD)/header_c11.o
	$(CXX) -std=c++11 $(CWARN) -Iinclude -x c++ -c tests/c/header_twice.c -o $(BUILD)/header_cxx11.o

# The NULL-argument matrix of test_misuse.c, generated from the header (every function, every
# pointer argument).
$(BUILD)/null_matrix.inc: include/mediaedge.h tests/c/gen_null_matrix.py | $(BUILD)
	python3 tests/c/gen_null_matrix.py include/mediaedge.h > $@

test-c: examples $(BUILD)/null_matrix.inc
	$(CC) -std=c99 $(CWARN) -Iinclude tests/c/test_capi.c -o $(BUILD)/test_capi $(LDLIBS)
	$(CC) -std=c99 $(CWARN) -Iinclude -I$(BUILD) tests/c/test_misuse.c -o $(BUILD)/test_misuse $(LDLIBS)
	scripts/with-emulator.sh $(EMULATOR) $(BUILD)/test_capi @URL@
	scripts/with-emulator.sh $(EMULATOR) $(VALGRIND) $(BUILD)/test_capi @URL@
	scripts/with-emulator.sh $(EMULATOR) $(BUILD)/test_misuse @URL@ 1000
	scripts/with-emulator.sh $(EMULATOR) $(VALGRIND) $(BUILD)/test_misuse @URL@ 100
	scripts/with-emulator.sh $(EMULATOR) $(BUILD)/manual_session @URL@ > $(BUILD)/manual_session.out
	scripts/with-emulator.sh $(EMULATOR) $(VALGRIND) $(BUILD)/manual_session @URL@ > $(BUILD)/manual_session.valgrind.out
	@# The real-time examples (about half a minute each) under valgrind, side by side.
	scripts/with-emulator.sh $(EMULATOR) $(VALGRIND) $(BUILD)/simple_player @URL@ > $(BUILD)/simple_player.valgrind.out & a=$$!; \
	  scripts/with-emulator.sh $(EMULATOR) $(VALGRIND) $(BUILD)/tracker_player @URL@ > $(BUILD)/tracker_player.valgrind.out & b=$$!; \
	  wait $$a || { tail -30 $(BUILD)/simple_player.valgrind.out; exit 1; }; \
	  wait $$b || { tail -30 $(BUILD)/tracker_player.valgrind.out; exit 1; }; \
	  echo "simple_player and tracker_player: valgrind memcheck clean"

# The Rust tests (the scheduler and delivery threads at work) under ThreadSanitizer. std is
# rebuilt instrumented (-Zbuild-std, needs the rust-src component; .ci/run adds it): with an
# uninstrumented std, TSan cannot see std's locks and reports races that are not there.
# RUSTC_BOOTSTRAP=1 lets the stable toolchain take the -Z flags. The fault suite's table is
# skipped here: test-rust runs it.
TSAN_HOST := x86_64-unknown-linux-gnu
test-tsan:
	@test -f "$$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.lock" \
	  || { echo "ThreadSanitizer needs the rust-src component: rustup component add rust-src" >&2; exit 1; }
	RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zsanitizer=thread RUSTDOCFLAGS=-Zsanitizer=thread TSAN_OPTIONS=halt_on_error=1 \
	  CARGO_TARGET_DIR=target/tsan $(CARGO) test -Zbuild-std --target $(TSAN_HOST) -p mediaedge --lib --tests \
	  -- --skip fault_suite_
	@bin=$$(ls -t target/tsan/$(TSAN_HOST)/debug/deps/threads-* | grep -v '\.d$$' | head -n 1); \
	  nm "$$bin" | grep -q '__tsan_read' && nm "$$bin" | grep -q '__tsan_func_entry' \
	  && echo "ThreadSanitizer instrumentation present in $$bin" \
	  || { echo "$$bin: no ThreadSanitizer instrumentation" >&2; exit 1; }

# The cargo-fuzz targets (fuzz/), 10 s each after replaying their seeds and regression inputs;
# `make fuzz FUZZ_SECONDS=600` for a longer run (README, "Hostile input").
FUZZ_SECONDS ?= 600
fuzz-smoke:
	scripts/fuzz.sh 10
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The C tests and the C examples built with AddressSanitizer + UBSan (scripts/sanitizers.sh first
# proves the instrumentation is present and catches a planted bug).
SANITIZE := -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_BINS := test_capi test_misuse simple_player manual_session tracker_player
test-sanitizers: lib $(BUILD)/null_matrix.inc
	$(CC) -std=c99 $(SANITIZE) tests/c/sanitizer_canary.c -o $(BUILD)/sanitizer_canary
	for t in test_capi test_misuse; do \
	  $(CC) -std=c99 $(CWARN) $(SANITIZE) -Iinclude -I$(BUILD) tests/c/$$t.c -o $(BUILD)/$${t}_asan $(LDLIBS) || exit 1; done
	for e in simple_player manual_session tracker_player; do \
	  $(CC) -std=c99 $(CWARN) $(SANITIZE) -Iinclude examples-c/$$e.c -o $(BUILD)/$${e}_asan $(LDLIBS) || exit 1; done
	scripts/sanitizers.sh $(EMULATOR) $(BUILD) $(foreach b,$(SAN_BINS),$(BUILD)/$(b)_asan)

# The C++ wrapper: its test as is and under AddressSanitizer + UBSan, and the C++ quick start.
CXXWARN  := -std=c++17 -Wall -Wextra -Wpedantic -Werror
test-cpp: lib | $(BUILD)
	$(CXX) $(CXXWARN) -Iinclude tests/cpp/test_cpp.cpp -o $(BUILD)/test_cpp $(LDLIBS)
	$(CXX) $(CXXWARN) -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	  -Iinclude tests/cpp/test_cpp.cpp -o $(BUILD)/test_cpp_asan $(LDLIBS)
	$(CXX) $(CXXWARN) -Iinclude examples-cpp/quickstart.cpp -o $(BUILD)/quickstart_cpp $(LDLIBS)
	scripts/with-emulator.sh $(EMULATOR) $(BUILD)/test_cpp @URL@
	scripts/with-emulator.sh $(EMULATOR) $(BUILD)/test_cpp_asan @URL@
	scripts/with-emulator.sh $(EMULATOR) $(BUILD)/quickstart_cpp @URL@

# The Kotlin/JVM binding with Debian's kotlin and libjna-java: its test and the quick start.
KOTLIN_CP := /usr/share/java/jna.jar:/usr/share/java/kotlin-stdlib.jar:/usr/share/java/kotlin-stdlib-jdk7.jar
KOTLIN_RUN := java -Djna.library.path=$(abspath $(TARGET)) -cp $(BUILD)/mediaedge-kotlin.jar:$(KOTLIN_CP)
test-kotlin: lib | $(BUILD)
	@# A compile error fails the target (and leaves no stale jar behind); Kotlin's warnings are
	@# shown. Only the JVM's own notice about the launcher's -Xverify:none flag is left out.
	rm -f $(BUILD)/mediaedge-kotlin.jar
	kotlinc bindings/kotlin/src bindings/kotlin/test bindings/kotlin/examples -cp $(KOTLIN_CP) \
	  -d $(BUILD)/mediaedge-kotlin.jar > $(BUILD)/kotlinc.log 2>&1; status=$$?; \
	  grep -v 'Xverify:none and -noverify were deprecated' $(BUILD)/kotlinc.log; exit $$status
	scripts/with-emulator.sh $(EMULATOR) $(KOTLIN_RUN) BindingTestKt @URL@ include/mediaedge.h
	scripts/with-emulator.sh $(EMULATOR) $(KOTLIN_RUN) QuickStartKt @URL@

# The Swift binding (Package.swift, bindings/swift/): its tests plain and under ASan and TSan, the quick start,
# and an out-of-tree package on an installed prefix (scripts/test-swift.sh). Skipped, in one
# line, where there is no Swift toolchain.
SWIFT ?= $(shell command -v swift 2>/dev/null || { test -x /opt/swift/usr/bin/swift && echo /opt/swift/usr/bin/swift; })
test-swift:
ifeq ($(SWIFT),)
	@echo "test-swift: skipped: no swift toolchain (swift is not on PATH nor in /opt/swift/usr/bin)"
else
	@$(MAKE) --no-print-directory lib >/dev/null
	scripts/test-swift.sh $(SWIFT) $(EMULATOR) $(TARGET) $(VERSION) $(TSAN_HOST)
endif

# The GStreamer player (examples-c/gst_player.c; needs the GStreamer 1.22 -dev packages).
GST_FLAGS = $(shell pkg-config --cflags --libs gstreamer-1.0)
gst-player: lib | $(BUILD)
	$(CC) -std=c99 $(CWARN) -Iinclude examples-c/gst_player.c -o $(BUILD)/gst_player $(GST_FLAGS) $(LDLIBS)

# Makes a 20 s VP8/WebM clip with GStreamer itself, plays it with a pause and a seek against the
# emulator, and checks the events sent and their playheads against the player's real position.
test-gst: gst-player
	gst-launch-1.0 -q videotestsrc num-buffers=600 pattern=ball ! video/x-raw,width=320,height=180,framerate=30/1 \
	  ! vp8enc deadline=1 target-bitrate=400000 ! webmmux ! filesink location=$(BUILD)/clip.webm
	scripts/with-emulator.sh $(EMULATOR) sh -c \
	  '$(BUILD)/gst_player "$$0" $(BUILD)/clip.webm $(BUILD)/gst-positions.log && python3 tests/gst/check_gst.py "$$0" $(BUILD)/gst-positions.log' @URL@

# The benchmark suite (BENCHMARKS.md), about nine minutes; the smoke mode only checks it runs.
bench: dist
	$(CARGO) bench --bench mediaedge_bench

bench-smoke: dist
	$(CARGO) bench --bench mediaedge_bench -- --quick

# Installs into a temporary prefix and builds a small C program against it from outside the
# repository four ways (pkg-config and CMake, shared and static); each runs a session against
# the emulator. Also checks the exported symbols, the SONAME and the version.
test-install: lib
	scripts/test-install.sh $(EMULATOR) $(VERSION)

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
