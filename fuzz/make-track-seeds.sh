#!/usr/bin/env bash
# (Re)writes the seeds of the tracking-format fuzz targets (trk, tar, gzip, lineage, ctctrack,
# ctcfolder) from a tiny label movie tracked by the built dc-track (`swift build` first) and
# the golden .trk in Tests/Fixtures/track. Needs the interop venv's numpy (`make venv`).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${DC_PYTHON:-.venv/bin/python}
track=${DC_TRACK:-.build/debug/dc-track}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in trk tar gzip lineage ctctrack ctcfolder; do rm -rf "fuzz/$t/seeds"; mkdir -p "fuzz/$t/seeds"; done

# 4 frames of 8x8: cell 1 divides into 2 and 3 at frame 2; cell 4 is missing in frame 1 (gap).
"$python" - "$work" <<'PY'
import sys
import numpy as np
y = np.zeros((4, 8, 8), np.uint16)
y[0:2, 1:3, 1:3] = 1
y[2:4, 0:2, 0:2] = 2
y[2:4, 3:5, 3:5] = 3
y[[0, 2, 3], 5:7, 5:7] = 4
np.save(sys.argv[1] + "/labels.npy", y)
np.save(sys.argv[1] + "/raw.npy", (y * 100 + 7).astype(np.float32))
PY
"$track" "$work/labels.npy" --raw "$work/raw.npy" --quiet --trk "$work/small.trk" --ctc "$work/RES" \
    --lineage "$work/lineage.json"

cp "$work/small.trk" Tests/Fixtures/track/tracking.trk fuzz/trk/seeds/
gzip -dc "$work/small.trk" >fuzz/tar/seeds/small.tar
gzip -dc Tests/Fixtures/track/tracking.trk >"$work/golden.tar"  # 5 MB: too big a seed

cp "$work/small.trk" fuzz/gzip/seeds/small.gz
printf 'first member\n' | gzip -9 >"$work/a.gz"
printf 'second member\n' | gzip -1 >"$work/b.gz"
cat "$work/a.gz" "$work/b.gz" >fuzz/gzip/seeds/two-members.gz
printf '' | gzip >fuzz/gzip/seeds/empty.gz
printf 'plain bytes, not gzip\n' >fuzz/gzip/seeds/plain.txt

cp "$work/lineage.json" fuzz/lineage/seeds/small.json
tar -xOf "$work/golden.tar" lineage.json >fuzz/lineage/seeds/golden.json
{ printf '['; cat "$work/lineage.json"; printf ']'; } >fuzz/lineage/seeds/list.json
printf '{"1": {"frames": [0, 2], "daughters": [], "parent": null}}' >fuzz/lineage/seeds/minimal.json

cp "$work/RES/res_track.txt" fuzz/ctctrack/seeds/small.txt
"$python" -c "import numpy as np, sys; np.savetxt(sys.stdout, np.load('Tests/Fixtures/track/ctc_sequence_man_track.npy'), fmt='%d')" \
    >fuzz/ctctrack/seeds/golden.txt
printf '1 0 4 0\n2 0 5 0\n5 0 3 0\n6 4 9 5\n17 5 9 1\n18 5 9 1\n19 7 9 2\n' >fuzz/ctctrack/seeds/gaps.txt

{
    cat "$work/RES/res_track.txt"
    printf '\0'
    first=1
    for mask in "$work"/RES/mask*.tif; do
        [ $first = 1 ] || printf -- '--mask--'
        first=0
        cat "$mask"
    done
} >fuzz/ctcfolder/seeds/small.bin
{
    printf '1 0 0 0\n'
    printf '\0'
    cat "$work/RES/mask000.tif"
} >fuzz/ctcfolder/seeds/one-frame.bin
ls -l fuzz/{trk,tar,gzip,lineage,ctctrack,ctcfolder}/seeds | grep -v '^total'
