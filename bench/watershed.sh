#!/usr/bin/env bash
# bench/watershed.sh — deep_watershed: DeepCellKit vs the Python reference, same input.
#
# Input: 16 maps of (512, 512, 1) made from real-looking nuclei exactly as
# ../shared/oracle/reference_bench.py does (make_dataset(16, (512,512), 150, SEED), then
# deepcell's inner-distance (alpha auto, beta 1) and outer-distance (erosion 1) transforms).
# Runs deepcell_toolbox.deep_watershed (h_maxima and peak_local_max) and ours with the same
# parameters (radius 10, maxima_threshold 0.1, interior_threshold 0.01), prints the median
# wall times and their ratio, and checks that the labels are identical. It also prints CPU
# seconds (all threads) and their ratio — the per-core speed-up, which stays meaningful when
# the machine is shared. Threads (bench/record.sh): ours at 1 and at all cores, the reference
# pinned to REF_THREADS. Result: bench/results/watershed.md.
#
# Usage: bench/watershed.sh [RUNS]        (ORACLE=path/to/venv, default .oracle; SHARED=../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
source bench/record.sh
PY=${ORACLE:-.oracle}/bin/python
SHARED=${SHARED:-../shared}
OUT=bench/out/watershed
mkdir -p "$OUT"

bench=$(nice bench/dc-bench-path.sh)

if [ ! -f "$OUT/inner.npy" ] || [ ! -f "$OUT/outer.npy" ]; then
  echo "generating maps (once; cached in $OUT)…" >&2
  "$PY" - "$SHARED/oracle" "$OUT" <<'PYEOF'
import sys, warnings
import numpy as np
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
from reference_bench import make_dataset, SEED
import oracle_transforms as ot
X, y = make_dataset(16, (512, 512), 150, SEED)
inner = ot.transform_masks(y, "inner-distance", alpha="auto", beta=1, erosion_width=0)
outer = ot.transform_masks(y, "outer-distance", erosion_width=1)
np.save(sys.argv[2] + "/inner.npy", inner.astype(np.float32))
np.save(sys.argv[2] + "/outer.npy", outer.astype(np.float32))
PYEOF
fi

record_start watershed text "$@"
"$PY" - "$OUT" "$RUNS" <<'PYEOF' > "$OUT/reference.txt"
import sys, time, statistics, warnings
import numpy as np
warnings.simplefilter("ignore")
from deepcell_toolbox.deep_watershed import deep_watershed
out, runs = sys.argv[1], int(sys.argv[2])
inner, outer = np.load(out + "/inner.npy"), np.load(out + "/outer.npy")
kw = dict(radius=10, maxima_threshold=0.1, interior_threshold=0.01, exclude_border=False,
          small_objects_threshold=0)
for algo in ("h_maxima", "peak_local_max"):
    lab = deep_watershed([inner, outer], maxima_algorithm=algo, **kw)  # warm-up
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        lab = deep_watershed([inner, outer], maxima_algorithm=algo, **kw)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    np.save(f"{out}/reference_{algo}.npy", lab[..., 0].astype(np.int32))
    print(algo, statistics.median(times), statistics.median(cpu))
PYEOF

ours=()
for n in $OURS_THREADS; do
  ours+=("$n" "$("$bench" watershed "$OUT/inner.npy" "$OUT/outer.npy" --runs "$RUNS" --threads "$n" --out "$OUT/ours_h_maxima_$n.npy")")
  ours+=("$("$bench" watershed "$OUT/inner.npy" "$OUT/outer.npy" --runs "$RUNS" --threads "$n" --peak-local-max --out "$OUT/ours_peak_local_max_$n.npy")")
done

"$PY" - "$OUT" "$REF_THREADS" "${ours[@]}" <<'PYEOF'
import os, sys
import numpy as np
out, ref_threads, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
ref = {l.split()[0]: [float(v) for v in l.split()[1:]] for l in open(out + "/reference.txt")}
def parse(line):
    return {k: float(v) for k, v in (f.split("=") for f in line.split())}
print(f"deep_watershed, 16 x 512 x 512 maps, median of runs; reference {ref_threads} threads pinned; "
      "ratio = reference / ours (above 1: ours is faster)")
for i in range(0, len(rest), 3):
    n, ours = rest[i], {"h_maxima": parse(rest[i + 1]), "peak_local_max": parse(rest[i + 2])}
    for algo in ("h_maxima", "peak_local_max"):
        (t_ref, c_ref), o = ref[algo], ours[algo]
        a = np.load(f"{out}/reference_{algo}.npy")
        b = np.load(f"{out}/ours_{algo}_{n}.npy")[..., 0]
        same = a.shape == b.shape and np.array_equal(a, b)
        print(f"{algo:15s} ours {n} thr  wall: reference {t_ref:7.3f} s  ours {o['median_s']:7.4f} s  ratio {t_ref / o['median_s']:6.1f}x"
              f"   CPU: reference {c_ref:7.3f} s  ours {o['cpu_s']:7.4f} s  ratio {c_ref / o['cpu_s']:6.1f}x"
              f"   labels {'identical' if same else 'DIFFER (%d px)' % int((a != b).sum())}")
PYEOF
record_finish
