# Thin wrapper over Meson: make, make check, make demo, make install.
PREFIX ?= /usr/local
BUILD ?= build
ASAN ?= build-asan
# libFuzzer targets (clang, ASan+UBSan) and the fault-injection build (tests/crash)
FUZZ ?= build-fuzz
FI ?= build-fi
VG ?= build-vg
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
# check's share: a smoke run of every target (the long runs are `make fuzz`)
CHECK_FUZZ_SECONDS ?= 10
# -rs: every skip says why (a host fact: a missing device, hierarchy, peer)
PYTEST ?= /usr/bin/python3 -m pytest -rs
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release

$(ASAN)/build.ninja:
	meson setup $(ASAN) --buildtype=debug -Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false

$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) --buildtype=debugoptimized -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false

$(FI)/build.ninja:
	meson setup $(FI) --buildtype=debug -Dfault_injection=true

# dynamically linked, for valgrind (it cannot replace malloc in a static glibc)
$(VG)/build.ninja:
	meson setup $(VG) --buildtype=debug -Dstatic_deps=false -Dvalgrind=true \
	    $$(grep -q "'static_pie'" meson_options.txt && echo -Dstatic_pie=false)

# every fuzz target for FUZZ_SECONDS, FUZZ_JOBS at a time (fuzz/run.sh)
fuzz: $(FUZZ)/build.ninja
	ninja -C $(FUZZ) fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) fuzz/run.sh $(FUZZ)

# unit tests, the same under ASan+UBSan, then the integration suite with
# the release and the sanitized binary, create SIGKILLed at every step
# (tests/crash), the image store and registry suite (tests/image, with the
# release and the sanitized capsactl; a pull SIGKILLed at every step),
# memcheck (tests/valgrind), every fuzz target for
# FUZZ_SECONDS (60) two at a time (8 targets: 4 minutes), the attack tests (tests/security:
# the published runtime escapes, each tried), the side-by-side compatibility
# suite against runc, podman and containerd driving capsa, the pure
# cgroup v2 cases in a VM and the systemd host's cases in another (as root)
# (a plain `make` builds the unit tests only when cmocka is installed;
# check insists on them: a missing cmocka is an error, not a skipped suite)
check: $(BUILD)/build.ninja $(ASAN)/build.ninja $(FI)/build.ninja $(VG)/build.ninja
	scripts/check-deps.py
	meson configure $(BUILD) -Dtests=enabled
	ninja -C $(BUILD)
	meson test -C $(BUILD) --print-errorlogs
	ninja -C $(ASAN)
	meson test -C $(ASAN) --print-errorlogs
	$(PYTEST) -q -p no:cacheprovider tests/integration
	CAPSA=$(CURDIR)/$(ASAN)/capsa ASAN_OPTIONS=detect_leaks=1 \
	    $(PYTEST) -q -p no:cacheprovider tests/integration
	ninja -C $(FI)
	CAPSA_FI=$(CURDIR)/$(FI)/capsa $(PYTEST) -q -p no:cacheprovider tests/crash
	CAPSACTL=$(CURDIR)/$(BUILD)/capsactl CAPSACTL_FI=$(CURDIR)/$(FI)/capsactl \
	    $(PYTEST) -q -p no:cacheprovider tests/image
	rm -rf $(ASAN)/image-reports && mkdir -p $(ASAN)/image-reports
	CAPSACTL=$(CURDIR)/$(ASAN)/capsactl CAPSACTL_FI=$(CURDIR)/$(FI)/capsactl \
	    ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/$(ASAN)/image-reports/asan \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(CURDIR)/$(ASAN)/image-reports/ubsan \
	    $(PYTEST) -q -p no:cacheprovider tests/image -k "not bomb and not many_entries"
	@if [ -n "$$(ls $(ASAN)/image-reports)" ]; then \
	    echo "capsactl under ASan/UBSan reported:"; cat $(ASAN)/image-reports/*; exit 1; fi
	CAPSACTL=$(CURDIR)/$(BUILD)/capsactl CAPSACTL_FI=$(CURDIR)/$(FI)/capsactl \
	    $(PYTEST) -q -rs -p no:cacheprovider tests/engine
	rm -rf $(ASAN)/engine-reports && mkdir -p $(ASAN)/engine-reports
	CAPSACTL=$(CURDIR)/$(ASAN)/capsactl CAPSACTL_FI=$(CURDIR)/$(FI)/capsactl \
	    CAPSACTL_INIT=$(CURDIR)/$(BUILD)/capsa-init CAPSACTL_PAUSE=$(CURDIR)/$(BUILD)/capsa-pause \
	    ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/$(ASAN)/engine-reports/asan \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(CURDIR)/$(ASAN)/engine-reports/ubsan \
	    $(PYTEST) -q -p no:cacheprovider tests/engine -k "not many and not podman and not tmux and not every_step"
	@if [ -n "$$(ls $(ASAN)/engine-reports)" ]; then \
	    echo "capsactl under ASan/UBSan reported:"; cat $(ASAN)/engine-reports/*; exit 1; fi
	$(MAKE) check-cri
	ninja -C $(VG)
	CAPSA_VG=$(CURDIR)/$(VG)/capsa $(PYTEST) -q -p no:cacheprovider tests/valgrind
	$(MAKE) fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)
	$(PYTEST) -q -p no:cacheprovider tests/security
	$(PYTEST) -q -p no:cacheprovider tests/compat
	$(PYTEST) -q -p no:cacheprovider tests/interop
	$(PYTEST) -q -rxs -p no:cacheprovider tests/shim
	rm -rf $(ASAN)/shim-reports && mkdir -p $(ASAN)/shim-reports
	CAPSA_SHIM=$(CURDIR)/$(ASAN)/capsa-shim SHIM_RUNTIMES=capsa \
	    SHIM_ASAN_LOGS=$(CURDIR)/$(ASAN)/shim-reports \
	    ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/$(ASAN)/shim-reports/asan \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(CURDIR)/$(ASAN)/shim-reports/ubsan \
	    $(PYTEST) -q -rxs -p no:cacheprovider tests/shim -k "not tmux and not 100mb"
	$(PYTEST) -q -p no:cacheprovider tests/v2vm
	$(PYTEST) -q -p no:cacheprovider tests/systemdvm

# capsad, the CRI server: its suite with the release build (the fault
# tests with the fault-injection one), again with capsad under ASan+UBSan
# (its helpers from the release build), then critest (tests/cri/critest.sh)
check-cri: $(BUILD)/build.ninja $(ASAN)/build.ninja $(FI)/build.ninja
	ninja -C $(BUILD) && ninja -C $(ASAN) && ninja -C $(FI)
	CAPSAD=$(CURDIR)/$(BUILD)/capsad CAPSACTL=$(CURDIR)/$(BUILD)/capsactl \
	    CAPSAD_FI=$(CURDIR)/$(FI)/capsad $(PYTEST) -q -p no:cacheprovider tests/cri
	rm -rf $(ASAN)/cri-reports && mkdir -p $(ASAN)/cri-reports
	CAPSAD=$(CURDIR)/$(ASAN)/capsad CAPSACTL=$(CURDIR)/$(BUILD)/capsactl \
	    CAPSAD_CAPSACTL=$(CURDIR)/$(BUILD)/capsactl CAPSAD_CAPSACTL_FULL=$(CURDIR)/$(BUILD)/capsactl-full \
	    CAPSACTL_RUNTIME=$(CURDIR)/$(BUILD)/capsa CAPSACTL_SHIM=$(CURDIR)/$(BUILD)/capsa-shim \
	    CAPSACTL_INIT=$(CURDIR)/$(BUILD)/capsa-init CAPSACTL_PAUSE=$(CURDIR)/$(BUILD)/capsa-pause \
	    ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/$(ASAN)/cri-reports/asan \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(CURDIR)/$(ASAN)/cri-reports/ubsan \
	    $(PYTEST) -q -p no:cacheprovider tests/cri/test_transport.py tests/cri/test_sandbox.py \
	    tests/cri/test_containers.py tests/cri/test_streaming.py tests/cri/test_list_stream.py \
	    tests/cri/test_logs_update.py tests/cri/test_runtime_handlers.py -k "not fifty and not crictl"
	@if [ -n "$$(ls $(ASAN)/cri-reports)" ]; then \
	    echo "capsad under ASan/UBSan reported:"; cat $(ASAN)/cri-reports/*; exit 1; fi
	$(MAKE) critest

# critest v1.26.1 against capsad (tests/cri/critest.sh: its images in a
# local registry, everything in a network namespace of its own)
critest: all
	tests/cri/critest.sh $(BUILD)

demo: all
	tests/demo.sh $(BUILD)/capsa
	tests/demo-image.sh $(BUILD)

# capsa vs runc vs crun, side by side (as root; bench/README.md); never
# part of check.  CAPSA=path overrides the binary, SECCOMP=podman adds
# podman's default profile to every bundle.
bench: all
	CAPSA=$${CAPSA:-$(CURDIR)/$(BUILD)/capsa} bench/bench.sh

# capsactl pull vs podman, containerd (ctr), skopeo and a curl|tar floor
# (as root; bench/README.md, "pull.sh")
bench-pull: all
	CAPSACTL=$${CAPSACTL:-$(CURDIR)/$(BUILD)/capsactl} bench/pull.sh

# capsactl vs podman (runc, crun), docker and ctr, side by side
# (as root; bench/README.md, "engine.sh")
bench-engine: all
	CAPSACTL=$${CAPSACTL:-$(CURDIR)/$(BUILD)/capsactl} bench/engine.sh

# capsactl vs podman (CNI, runc) on their bridge networks, and each CNI
# plugin exec timed (as root; bench/README.md, "network.sh")
bench-network: all
	CAPSACTL=$${CAPSACTL:-$(CURDIR)/$(BUILD)/capsactl} bench/network.sh

# capsad vs containerd 1.6 (its CRI plugin, runc) through the CRI, side by
# side in one network namespace: pod and container start, exec, 50 pods at
# once, List* with 20 and 200 containers, the daemons' and shims' memory
# (as root; bench/README.md, "cri.sh"; needs cri-tools' critest images in
# their registry's data: shared/tools/critest/run.sh --prepare)
bench-cri: all
	CAPSAD=$${CAPSAD:-$(CURDIR)/$(BUILD)/capsad} bench/cri.sh

# the programs, and capsad's systemd units in $(PREFIX)/lib/systemd/system
# (the service's ExecStart rewritten to $(PREFIX)/bin/capsad)
install: all
	install -D -m 0755 $(BUILD)/capsa $(DESTDIR)$(PREFIX)/bin/capsa
	install -D -m 0755 $(BUILD)/capsa-shim $(DESTDIR)$(PREFIX)/bin/capsa-shim
	install -D -m 0755 $(BUILD)/capsa-systemd $(DESTDIR)$(PREFIX)/bin/capsa-systemd
	install -D -m 0755 $(BUILD)/capsa-init $(DESTDIR)$(PREFIX)/bin/capsa-init
	install -D -m 0755 $(BUILD)/capsa-pause $(DESTDIR)$(PREFIX)/bin/capsa-pause
	install -D -m 0755 $(BUILD)/capsactl $(DESTDIR)$(PREFIX)/bin/capsactl
	install -D -m 0755 $(BUILD)/capsactl-full $(DESTDIR)$(PREFIX)/bin/capsactl-full
	install -D -m 0755 $(BUILD)/capsad $(DESTDIR)$(PREFIX)/bin/capsad
	install -D -m 0755 $(BUILD)/capsad-stream $(DESTDIR)$(PREFIX)/bin/capsad-stream
	install -D -m 0644 contrib/systemd/capsad.socket $(DESTDIR)$(PREFIX)/lib/systemd/system/capsad.socket
	sed 's|/usr/local/bin/capsad|$(PREFIX)/bin/capsad|' contrib/systemd/capsad.service \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/system/capsad.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/capsad.service

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) $(FI) $(VG)

.PHONY: all check check-cri critest demo install clean bench fuzz bench-pull bench-engine bench-network \
	bench-cri
