# dc-tools — build, test and demo. `make demo` and `make test` set up what they need.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)
APT_PACKAGES = libtiff-dev libpng-dev zlib1g-dev libopenblas-dev libdnnl-dev pkg-config python3-venv
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTHON ?= python3

TOOLS = dc-normalize dc-augment dc-train dc-predict dc-watershed dc-metrics dc-track

.PHONY: deps venv build test workflow-test test-release demo model install man check-man fuzz clean

# Debian packages (system libraries); installed only when one is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

# Python venv with the real clients for interop tests (numpy, tifffile, imagecodecs) and
# OpenCV, whose INTER_AREA resize the training recipe uses (models/dsb_dataset.py).
venv: .venv/.done
.venv/.done: Makefile
	$(PYTHON) -m venv .venv
	.venv/bin/pip install -q --disable-pip-version-check numpy tifffile imagecodecs \
	  opencv-python-headless py-ctcmetrics==1.3.3
	touch $@

build: deps
	$(SWIFT) build --manifest-cache none -c $(CONFIG)

test: deps venv
	DC_PYTHON=$(CURDIR)/.venv/bin/python $(SWIFT) test --manifest-cache none
	SWIFT=$(SWIFT) scripts/check-man.sh
	$(MAKE) --no-print-directory workflow-test

# The Snakemake workflow (workflow/): installs Snakemake into .venv and the tools into a
# temporary prefix, runs it on the samples and on the first frames of ../shared's CTC movie
# (skipped with a message when ../shared is missing; a failure when CI=true).
workflow-test: build venv
	workflow/test.sh

# The same suite built as users get the tools (release, -O with checks on), so the CLI tests
# run the shipped binaries; its own build folder keeps the debug and release builds intact.
test-release: deps venv
	DC_PYTHON=$(CURDIR)/.venv/bin/python $(SWIFT) test --manifest-cache none -c release \
	  --scratch-path .build-release-tests

# The pipeline on the bundled CC0 samples with the shipped model (models/nuclear.npz):
# normalized image, predicted maps, labels (TIFF and 16-bit PNGs), an overlay of outlines,
# and DeepCell's object metrics against the bundled ground truth.
# No flags: the model carries its settings (nucleus scale, watershed settings, test-time
# flips), dc-normalize's output says it is normalized, and dc-predict passes the settings to
# dc-watershed.
PREDICT_FLAGS ?=
WATERSHED_FLAGS ?=
SAMPLES = $(basename $(notdir $(wildcard samples/dsb2018/images/*.png)))
demo: build
	@mkdir -p demo-out
	@for s in $(SAMPLES); do \
	  echo "== $$s"; \
	  $(BIN)/dc-normalize samples/dsb2018/images/$$s.png --channel 0 -o demo-out/$$s-normalized.tif && \
	  $(BIN)/dc-predict demo-out/$$s-normalized.tif $(PREDICT_FLAGS) -o demo-out/$$s-maps.npz && \
	  $(BIN)/dc-watershed demo-out/$$s-maps.npz $(WATERSHED_FLAGS) -o demo-out/$$s-labels.tif \
	    --overlay demo-out/$$s-overlay.png --image demo-out/$$s-normalized.tif && \
	  $(BIN)/dc-watershed demo-out/$$s-maps.npz $(WATERSHED_FLAGS) --png-dir demo-out/$$s-labels-png && \
	  $(BIN)/dc-metrics demo-out/$$s-labels.tif --truth samples/dsb2018/labels/$$s.tif \
	    --format yaml -o demo-out/$$s-metrics.yaml || exit 1; \
	done
	@echo "demo: outputs in demo-out/ (normalized TIFF, maps NPZ, labels TIFF and PNG, overlay PNG, metrics YAML)"

# Retrains the shipped model from ../shared/data (about 2.5 h on 2 cores; models/README.md).
# Its last step, models/evaluate.sh, scores the classical baseline too (scipy, scikit-image).
model: build venv
	.venv/bin/pip install -q --disable-pip-version-check scipy scikit-image
	models/train.sh

# Installs the tools and the shipped model under PREFIX (dc-predict finds the model there).
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/dc-tools/models $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(addprefix $(BIN)/,$(TOOLS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 models/nuclear.npz $(DESTDIR)$(PREFIX)/share/dc-tools/models/
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

# Man pages from the argument parsers (swift-argument-parser's generate-manual plugin).
man:
	scripts/generate-man.sh

check-man:
	scripts/check-man.sh

# Fuzz every reader for FUZZ_SECONDS each (libFuzzer + ASan, one target at a time; see
# fuzz/README.md). FUZZ_TARGETS picks some.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= tiff png npy npz trk tar gzip lineage ctctrack ctcfolder
fuzz:
	@for t in $(FUZZ_TARGETS); do nice -n 19 fuzz/run.sh $$t $(FUZZ_SECONDS) || exit 1; done

clean:
	rm -rf .build demo-out Benchmarks/.build
