#!/usr/bin/env bash
# How well the workflow keeps the cores busy, and what each step costs.
#
#   workflow/bench.sh [N] [CORES]        # N images (default 20), snakemake --cores CORES (2)
#
# 1. Runs each image's chain (dc-normalize, dc-predict, dc-watershed, one file each,
#    --threads 1, the workflow's commands with its default flags) under /usr/bin/time -v and sums the
#    CPU time (user + system) of every step; prints each step's CPU seconds and peak memory
#    per image and per Mpix.
# 2. Runs the workflow on the same images with --cores CORES and reports its wall time
#    against sum(CPU) / CORES (the goal: at most 1.1 times that), and its own CPU time.
# 3. Runs the same commands CORES at a time with xargs -P, as a control for a busy machine.
# Images: the DSB-2018 images in ../shared/data (N of them), else the bundled samples
# repeated. Needs the tools on PATH (make install) and .venv with workflow/requirements.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-20}
CORES=${2:-2}
PY=${PY:-$ROOT/.venv/bin/python}
SNAKEMAKE=${SNAKEMAKE:-$ROOT/.venv/bin/snakemake}
DSB=$ROOT/../shared/data/dsb2018-stage1-fluo-nuclei
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dc-workflow-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/images" "$WORK/truth" "$WORK/steps"
command -v dc-predict >/dev/null || { echo "dc-predict is not on PATH (make install)"; exit 1; }

# --- inputs ---------------------------------------------------------------------------------
if [ -d "$DSB" ]; then
  src="DSB-2018 images from $DSB"
  for d in $(ls -d "$DSB"/*/ | head -n "$N"); do
    id=$(basename "$d")
    cp "$d/images/$id.png" "$WORK/images/"
  done
else
  src="the bundled samples, repeated"
  i=0
  while [ $i -lt "$N" ]; do
    for p in "$ROOT"/samples/dsb2018/images/*.png; do
      [ $i -lt "$N" ] && cp "$p" "$WORK/images/$(printf %02d $i)-$(basename "$p")"
      i=$((i + 1))
    done
  done
fi
echo "$(ls "$WORK/images" | wc -l) images: $src; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. per-image CPU time -----------------------------------------------------------------
timed() { # timed STEP NAME COMMAND...: appends "step name cpu_s rss_kb wall_s" to steps.txt
  local step=$1 name=$2
  shift 2
  /usr/bin/time -v -o "$WORK/time.txt" "$@"
  awk -v s="$step" -v n="$name" -F': ' '
    /User time/ {u=$2} /System time/ {y=$2} /Maximum resident/ {m=$2}
    /Elapsed \(wall clock\)/ {k=split($2, a, ":"); w=0; for (i=1; i<=k; i++) w=w*60+a[i]}
    END {printf "%s %s %.3f %d %.3f\n", s, n, u+y, m, w}' "$WORK/time.txt" >>"$WORK/steps.txt"
}
for img in "$WORK"/images/*.png; do
  n=$(basename "$img" .png)
  s=$WORK/steps/$n
  timed normalize "$n" dc-normalize "$img" --channel 0 --threads 1 --quiet -o "$s-normalized.tif"
  timed predict "$n" dc-predict "$s-normalized.tif" --threads 1 --quiet -o "$s-maps.npz"
  timed watershed "$n" dc-watershed "$s-maps.npz" --threads 1 --quiet -o "$s-labels.tif"
done
"$PY" - "$WORK" <<'EOF'
import sys, glob, os, collections
import imagecodecs
work = sys.argv[1]
mpix = {}
for p in glob.glob(f"{work}/images/*.png"):
    a = imagecodecs.png_decode(open(p, "rb").read())
    mpix[os.path.basename(p)[:-4]] = a.shape[0] * a.shape[1] / 1e6
rows = [l.split() for l in open(f"{work}/steps.txt")]
by_step = collections.defaultdict(list)
for step, name, cpu, rss, wall in rows:
    by_step[step].append((name, float(cpu), int(rss) / 1024, float(wall)))
total = sum(float(r[2]) for r in rows)
print(f"{'step':10} {'CPU s/image':>12} {'CPU s/Mpix':>11} {'peak MB (max)':>14}")
for step, runs in by_step.items():
    cpu = sum(r[1] for r in runs)
    mp = sum(mpix[r[0]] for r in runs)
    print(f"{step:10} {cpu / len(runs):12.2f} {cpu / mp:11.2f} {max(r[2] for r in runs):14.0f}")
print(f"images: {len(mpix)}, {sum(mpix.values()):.2f} Mpix; sum of CPU time: {total:.1f} s")
open(f"{work}/cpu_total", "w").write(f"{total}\n")
EOF

# --- 2. the workflow ------------------------------------------------------------------------
cat >"$WORK/config.yaml" <<EOF
results: $WORK/results
images: $WORK/images
truth: ""
EOF
/usr/bin/time -f "%e %U %S" -o "$WORK/snakemake.time" \
  "$SNAKEMAKE" -s "$ROOT/workflow/Snakefile" --directory "$WORK" --cores "$CORES" \
  --configfile "$WORK/config.yaml" --quiet all >"$WORK/snakemake.log" 2>&1 ||
  { tail -20 "$WORK/snakemake.log"; exit 1; }

# 3. The same commands without Snakemake, CORES images at a time (xargs -P), as a control
# for how many cores the machine gave this run.
chain() {
  s=$2/steps/$(basename "$1" .png)
  dc-normalize "$1" --channel 0 --threads 1 --quiet -o "$s-x-normalized.tif" &&
    dc-predict "$s-x-normalized.tif" --threads 1 --quiet -o "$s-x-maps.npz" &&
    dc-watershed "$s-x-maps.npz" --threads 1 --quiet -o "$s-x-labels.tif"
}
export -f chain
/usr/bin/time -f "%e %U %S" -o "$WORK/xargs.time" \
  bash -c 'ls "$1"/images/*.png | xargs -P "$2" -I{} bash -c "chain {} $1"' _ "$WORK" "$CORES"
"$PY" - "$(cat "$WORK/cpu_total")" "$CORES" "$(cat "$WORK/snakemake.time")" "$(cat "$WORK/xargs.time")" <<'EOF'
import sys
cpu, cores = float(sys.argv[1]), int(sys.argv[2])
for label, times in (("workflow --cores", sys.argv[3]), ("xargs -P", sys.argv[4])):
    wall, user, system = map(float, times.split())
    print(f"{label} {cores}: {wall:.1f} s wall, {user + system:.1f} s CPU; "
          f"sum(per-image CPU)/{cores} = {cpu / cores:.1f} s; ratio {wall / (cpu / cores):.3f} (goal <= 1.1)")
EOF
