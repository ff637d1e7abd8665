#!/usr/bin/env bash
# Tests workflow/Snakefile end to end (run by `make workflow-test`, part of `make test`):
# installs Snakemake into .venv and the tools into a temporary PREFIX, runs the workflow with
# --cores 2 on the bundled samples, a two-frame stack made from them, and the first frames of
# the CTC sequence in ../shared (never copied into the repository), then checks that
#   - the labels are byte-identical to the README's direct pipe with the same flags,
#   - the CTC result and tracking measures equal dc-track / dc-metrics run by hand,
#   - the summary tables hold dc-metrics' rows,
#   - a rerun does nothing, and deleting one image's output rebuilds only that image's chain,
#   - the Slurm profile parses (dry run) and bundles image chains into 4-CPU jobs (stand-in
#     sbatch).
# Without ../shared the CTC part is skipped with a message, or fails when CI=true.
# The last line is "N passed, N failed"; the exit status is 1 when any check failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python
CTC=${CTC:-$ROOT/../shared/data/ctc-fluo-n2dh-sim-plus-01}
FRAMES=${FRAMES:-5}
PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1"; }
check() { # check NAME COMMAND...: passes when the command succeeds
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
  exit
}

[ -x "$PY" ] || { echo "no $PY (run make venv)"; fail "venv"; finish; }
"$PY" -m pip install -q --disable-pip-version-check -r "$ROOT/workflow/requirements.txt" ||
  { fail "pip install -r workflow/requirements.txt"; finish; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dc-workflow-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
make -s -C "$ROOT" install PREFIX="$WORK/prefix" >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log"; fail "make install PREFIX=$WORK/prefix"; finish; }
export PATH="$WORK/prefix/bin:$VENV/bin:$PATH"
SNAKEMAKE=(snakemake -s "$ROOT/workflow/Snakefile" --directory "$WORK/run")
echo "snakemake $(snakemake --version), tools from $(command -v dc-predict)"

# --- inputs -------------------------------------------------------------------------------
SAMPLES=$ROOT/samples/dsb2018
mkdir -p "$WORK/run" "$WORK/movies"
# A two-frame TIFF stack from the two 256x256 samples (no truth).
"$PY" - "$SAMPLES/images" "$WORK/movies/pair.tif" <<'EOF' || fail "make the stack movie"
import sys, glob, numpy as np, tifffile, imagecodecs
frames = [imagecodecs.png_decode(open(p, "rb").read()) for p in sorted(glob.glob(sys.argv[1] + "/*.png"))]
frames = [f for f in frames if f.shape[:2] == (256, 256)][:2]
assert len(frames) == 2, "expected two 256x256 samples"
tifffile.imwrite(sys.argv[2], np.stack([f if f.ndim == 2 else f[..., 0] for f in frames]))
EOF
HAVE_CTC=0
if [ -d "$CTC/01" ] && [ -d "$CTC/01_GT/TRA" ]; then
  HAVE_CTC=1
  # The first FRAMES frames as a CTC folder, with the ground truth cut to the same frames.
  mkdir -p "$WORK/movies/01" "$WORK/movies/01_GT/TRA" "$WORK/movies/01_GT/SEG"
  for ((t = 0; t < FRAMES; t++)); do
    f=$(printf %03d $t)
    cp "$CTC/01/t$f.tif" "$WORK/movies/01/"
    cp "$CTC/01_GT/TRA/man_track$f.tif" "$WORK/movies/01_GT/TRA/"
    [ -f "$CTC/01_GT/SEG/man_seg$f.tif" ] && cp "$CTC/01_GT/SEG/man_seg$f.tif" "$WORK/movies/01_GT/SEG/"
  done
  awk -v last=$((FRAMES - 1)) '$2 <= last { print $1, $2, ($3 > last ? last : $3), $4 }' \
    "$CTC/01_GT/TRA/man_track.txt" >"$WORK/movies/01_GT/TRA/man_track.txt"
elif [ "${CI:-}" = true ]; then
  fail "CTC movie: $CTC is missing (CI=true needs ../shared/data)"
else
  echo "skip CTC movie: $CTC is missing (../shared/data is not beside this checkout)"
fi

# Non-default watershed flags, so that the comparison shows the config's flags reach the tool.
WS_FLAGS="--radius 4 --interior-threshold 0.1"  # not the shipped model's own settings, so they must show
cat >"$WORK/config.yaml" <<EOF
results: results
images: $SAMPLES/images
truth: $SAMPLES/labels
movies: $WORK/movies
flags:
  watershed: "$WS_FLAGS"
EOF

# --- the run ------------------------------------------------------------------------------
run() { "${SNAKEMAKE[@]}" --cores 2 --configfile "$WORK/config.yaml" "$@"; }
t0=$(date +%s)
run >"$WORK/run1.log" 2>&1 || { tail -40 "$WORK/run1.log"; fail "workflow run"; finish; }
pass "workflow run with --cores 2 ($(($(date +%s) - t0)) s)"
R=$WORK/run/results

# --- labels equal the direct pipe's --------------------------------------------------------
mkdir -p "$WORK/direct"
PREDICT="dc-predict --quiet"
for img in "$SAMPLES"/images/*.png; do
  n=$(basename "$img" .png)
  dc-normalize "$img" --channel 0 --quiet | $PREDICT | dc-watershed $WS_FLAGS --quiet -o "$WORK/direct/$n.tif"
  check "image $n: labels equal the direct pipe's" cmp -s "$R/images/$n/labels.tif" "$WORK/direct/$n.tif"
  dc-normalize "$img" --channel 0 --quiet | $PREDICT | dc-watershed --quiet -o "$WORK/direct/$n-default.tif"
  cmp -s "$WORK/direct/$n.tif" "$WORK/direct/$n-default.tif" || FLAGS_MATTER=1
  dc-metrics "$WORK/direct/$n.tif" --truth "$SAMPLES/labels/$n.tif" --format csv --quiet -o "$WORK/direct/$n.csv"
  check "image $n: metrics.csv equals dc-metrics on the direct labels" \
    cmp -s "$R/images/$n/metrics.csv" "$WORK/direct/$n.csv"
done
check "the watershed flags from the config change some labels" [ "${FLAGS_MATTER:-0}" = 1 ]
dc-normalize "$WORK/movies/pair.tif" --channel 0 --quiet | $PREDICT | dc-watershed $WS_FLAGS --quiet -o "$WORK/direct/pair.tif"
check "stack movie: labels equal the direct pipe's" cmp -s "$R/movies/pair/labels.tif" "$WORK/direct/pair.tif"
dc-track "$WORK/direct/pair.tif" --quiet --ctc "$WORK/direct/pair_RES"
check "stack movie: CTC result equals dc-track's" diff -r -x .snakemake_timestamp "$R/movies/pair/RES" "$WORK/direct/pair_RES"

# summary/images.csv: dc-metrics' row of each image alone (its metrics.csv), named, and a
# pooled summary row.
check "summary/images.csv holds each image's metrics row and a summary row" \
  "$PY" - "$R" "$SAMPLES/images" <<'EOF'
import csv, glob, os, sys
results, images = sys.argv[1:]
names = sorted(os.path.basename(p)[:-4] for p in glob.glob(images + "/*.png"))
rows = list(csv.reader(open(f"{results}/summary/images.csv")))
assert [r[0] for r in rows] == ["image"] + names + ["summary"], [r[0] for r in rows]
for name, row in zip(names, rows[1:]):
    own = list(csv.reader(open(f"{results}/images/{name}/metrics.csv")))
    assert own[0] == rows[0] and own[1][1:] == row[1:], name
n_true = sum(int(r[rows[0].index("n_true")]) for r in rows[1:-1])
assert int(rows[-1][rows[0].index("n_true")]) == n_true > 0
EOF

if [ "$HAVE_CTC" = 1 ]; then
  mkdir -p "$WORK/direct/01"
  for f in "$WORK"/movies/01/*.tif; do
    dc-normalize "$f" --channel 0 --quiet | $PREDICT | dc-watershed $WS_FLAGS --quiet -o "$WORK/direct/01/$(basename "$f")"
  done
  check "CTC movie: every frame's labels equal the direct pipe's" diff -r "$R/movies/01/labels" "$WORK/direct/01"
  dc-track "$WORK/direct/01" --quiet --ctc "$WORK/direct/01_RES"
  check "CTC movie: CTC result equals dc-track's" diff -r -x .snakemake_timestamp "$R/movies/01/RES" "$WORK/direct/01_RES"
  dc-metrics track "$WORK/direct/01_RES" --truth "$WORK/movies/01_GT" --format csv --quiet -o "$WORK/direct/01.csv"
  check "CTC movie: tracking.csv equals dc-metrics track's" cmp -s "$R/movies/01/tracking.csv" "$WORK/direct/01.csv"
  check "summary/movies.csv is the movie's tracking row" \
    "$PY" - "$R/summary/movies.csv" "$WORK/direct/01.csv" <<'EOF'
import csv, sys
rows, own = (list(csv.reader(open(p))) for p in sys.argv[1:])
assert rows == [["movie"] + own[0], ["01"] + own[1]], rows
assert 0 < float(own[1][own[0].index("TRA")]) <= 1
EOF
fi

# --- reruns -------------------------------------------------------------------------------
touch "$WORK/marker"
sleep 1
run >"$WORK/run2.log" 2>&1 || fail "second run"
check "a rerun does nothing" grep -q "Nothing to be done" "$WORK/run2.log"
check "a rerun writes no file" [ -z "$(find "$R" -newer "$WORK/marker" -type f)" ]

# Deleting one image's labels rebuilds that image's labels and metrics and the summary, and
# nothing of the other images.
first=$(basename "$(ls "$SAMPLES"/images/*.png | head -1)" .png)
rm "$R/images/$first/labels.tif"
run >"$WORK/run3.log" 2>&1 || fail "run after deleting $first/labels.tif"
changed=$(cd "$R" && find . -newer "$WORK/marker" -type f | sort | tr '\n' ' ')
expected="./images/$first/labels.tif ./images/$first/metrics.csv ./summary/images.csv "
check "deleting one image's labels.tif rebuilds only that image's labels, metrics and the summary" \
  [ "$changed" = "$expected" ]
[ "$changed" = "$expected" ] || echo "  rebuilt: $changed"
check "the rebuilt labels still equal the direct pipe's" cmp -s "$R/images/$first/labels.tif" "$WORK/direct/$first.tif"

# --- Slurm profile ------------------------------------------------------------------------
# A dry run on a fresh results folder: the profile and the plugin load, and jobs are planned.
"${SNAKEMAKE[@]}" -n --workflow-profile "$ROOT/workflow/profiles/slurm" \
  --configfile "$WORK/config.yaml" --config results=slurm-results >"$WORK/slurm.log" 2>&1
status=$?
check "Slurm profile: dry run succeeds" [ $status = 0 ]
check "Slurm profile: dry run plans the jobs" grep -qE "^total +[0-9]+" "$WORK/slurm.log"
[ $status = 0 ] || tail -20 "$WORK/slurm.log"

# What the profile asks Slurm for: stand-ins for sbatch and friends record the first
# submission, then the run is stopped. It must bundle several image chains into one job on
# the profile's 4 CPUs (not one CPU per chain).
FAKE=$WORK/fake-slurm
mkdir -p "$FAKE"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/submitted.$$"\necho 4242\n' "$FAKE" >"$FAKE/sbatch"
for t in sacct sacctmgr sinfo squeue scancel; do printf '#!/bin/sh\nexit 0\n' >"$FAKE/$t"; done
chmod +x "$FAKE"/*
PATH="$FAKE:$PATH" "${SNAKEMAKE[@]}" --workflow-profile "$ROOT/workflow/profiles/slurm" \
  --configfile "$WORK/config.yaml" --config results=slurm-results >"$WORK/fake-slurm.log" 2>&1 &
pid=$!
for _ in $(seq 120); do
  compgen -G "$FAKE/submitted.*" >/dev/null && break
  sleep 0.5
done
kill "$pid" 2>/dev/null # Snakemake then waits for the (never running) job: give it 10 s
for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
sub=$(compgen -G "$FAKE/submitted.*" | head -1)
if [ -n "$sub" ]; then
  chains=$(grep -o "'predict:unit=images/" "$sub" | wc -l)
  images=$(ls "$SAMPLES"/images/*.png | wc -l)
  check "Slurm profile: one job holds the $images images' chains ($chains)" [ "$chains" = "$images" ]
  check "Slurm profile: that job asks for 4 CPUs" grep -qx -- "--cpus-per-task=4" "$sub"
else
  tail -20 "$WORK/fake-slurm.log"
  fail "Slurm profile: nothing was submitted to the stand-in sbatch"
fi

finish
