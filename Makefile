# mediaedge: build, demo, test. See README.md.
CARGO    ?= cargo
CC       ?= cc
CXX      ?= c++
PROFILE  ?= debug
TARGET   := target/$(PROFILE)
CARGO_PROFILE := $(if $(filter release,$(PROFILE)),--release,)
BUILD    := build
CWARN    := -Wall -Wextra -Wpedantic -Werror
LDLIBS   := -L$(TARGET) -lmediaedge -Wl,-rpath,$(abspath $(TARGET)) -pthread
EMULATOR := $(TARGET)/mediaedge-emulator
VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99

.PHONY: all lib header examples demo demo-tracker test test-rust test-header test-c clean

all: examples

lib:
	$(CARGO) build --workspace $(CARGO_PROFILE)

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

test: test-rust test-header test-c

# Everything but the fault suite, then the fault suite with its table printed.
test-rust:
	$(CARGO) test --workspace $(CARGO_PROFILE) -- --skip fault_suite_
	$(CARGO) test $(CARGO_PROFILE) --test faults fault_suite_ -- --nocapture

# The header alone, included twice, as C99, C11 and C++11, warnings as errors.
test-header: | $(BUILD)
	$(CC) -std=c99 $(CWARN) -Iinclude -c tests-c/header_twice.c -o $(BUILD)/header_c99.o
	$(CC) -std=c11 $(CWARN) -Iinclude -c tests-c/header_twice.c -o $(BUILD)/header_c11.o
	$(CXX) -std=c++11 $(CWARN) -Iinclude -x c++ -c tests-c/header_twice.c -o $(BUILD)/header_cxx11.o

test-c: examples
	$(CC) -std=c99 $(CWARN) -Iinclude tests-c/test_capi.c -o $(BUILD)/test_capi $(LDLIBS)
	scripts/with-emulator.sh $(EMULATOR) $(BUILD)/test_capi @URL@
	scripts/with-emulator.sh $(EMULATOR) $(VALGRIND) $(BUILD)/test_capi @URL@
	scripts/with-emulator.sh $(EMULATOR) $(BUILD)/manual_session @URL@ > $(BUILD)/manual_session.out
	scripts/with-emulator.sh $(EMULATOR) $(VALGRIND) $(BUILD)/manual_session @URL@ > $(BUILD)/manual_session.valgrind.out

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
