# Batch conversion: every file of a folder converted by `dc-normalize --method none`, one
# rule a file, so `make -j` converts on all cores (and a Slurm array or Snakemake can run
# the same command a file).
#
#   make -f samples/convert.mk -j4 IN=raw OUT=npz                   # raw/*.tif → npz/*.npz
#   make -f samples/convert.mk -j4 IN=raw FROM=tif TO=ome.tif OUT=ome
#   make -f samples/convert.mk -j4 IN=raw TO=tif OUT=view FLAGS='--dtype uint8 --percentiles 0.5,99.5'
#
# IN/NAME.FROM becomes OUT/NAME.TO; FLAGS are passed on (--channel, --frames, --dtype …).

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BIN ?= $(ROOT)/.build/release
IN ?= .
FROM ?= tif
TO ?= npz
OUT ?= converted
FLAGS ?=
THREADS ?= 1

NAMES := $(basename $(notdir $(wildcard $(IN)/*.$(FROM))))
OUTPUTS := $(NAMES:%=$(OUT)/%.$(TO))

.PHONY: all
.DELETE_ON_ERROR:

all: $(OUTPUTS)

$(OUT)/%.$(TO): $(IN)/%.$(FROM) | $(OUT)
	$(BIN)/dc-normalize --method none $< -o $@ --threads $(THREADS) --quiet $(FLAGS)

$(OUT):
	mkdir -p $@
