# bench/record.sh — sourced by every bench/*.sh: thread settings of both sides and the record.
#
#   source bench/record.sh
#   record_start NAME text|md "$@"   # after `cd` to the repository root; md: the output is
#                                    # Markdown, text: fenced; "$@": the script's arguments
#   …                          # the benchmark prints its table on stdout
#   record_finish
#
# Threads. ALL_THREADS is this machine's core count (nproc). The reference side gets
# REF_THREADS (default: all cores), pinned for every library it may use: OMP_NUM_THREADS,
# OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, NUMEXPR_NUM_THREADS, VECLIB_MAXIMUM_THREADS and
# TORCH_THREADS (the scripts pass it to torch.set_num_threads). Those variables are exported
# for the whole script; our side is always given its count explicitly (--threads N, or
# DC_THREADS=N for dc-bench drivers without a thread option), and each script runs ours at
# 1 thread and at ALL_THREADS. OURS_THREADS="1 $ALL_THREADS" unless set.
#
# Record. record_start tees the script's stdout into a temporary file; record_finish writes
# bench/results/NAME.md: a header (UTC date, commit and whether the code (Sources, Benchmarks,
# bench, Package.swift, models) differs from it,
# machine from lscpu / nproc / /proc/meminfo, load before and after, the busiest other
# processes, thread counts per side, the command) and the output. RECORD=0 prints only;
# RECORD_DIR sets another folder.
ALL_THREADS=$(nproc)
REF_THREADS=${REF_THREADS:-$ALL_THREADS}
if [ -z "${OURS_THREADS:-}" ]; then
    if [ "$ALL_THREADS" = 1 ]; then OURS_THREADS=1; else OURS_THREADS="1 $ALL_THREADS"; fi
fi
export OMP_NUM_THREADS=$REF_THREADS OPENBLAS_NUM_THREADS=$REF_THREADS MKL_NUM_THREADS=$REF_THREADS \
    NUMEXPR_NUM_THREADS=$REF_THREADS VECLIB_MAXIMUM_THREADS=$REF_THREADS TORCH_THREADS=$REF_THREADS

# One line on the machine: CPU model, cores, memory.
record_machine() {
    local model mem
    model=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ {print $2; exit}')
    [ -n "$model" ] || model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
    mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
    echo "$model, $(nproc) cores ($(lscpu 2>/dev/null | awk -F': *' '/^Thread\(s\) per core/ {print $2 " thread(s) per core"; exit}')), $mem, $(uname -sr)"
}

# "uptime" load: the 1-, 5- and 15-minute averages.
record_load() { cut -d' ' -f1-3 /proc/loadavg; }

record_start() {
    RECORD_NAME=$1
    RECORD_MD=$([ "${2:-text}" = md ] && echo 1 || true)
    shift 2 || shift $#
    RECORD_ARGS="$*"
    RECORD_LOAD_BEFORE=$(record_load)
    RECORD_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
    RECORD_COMMAND="bench/$(basename "$0")${RECORD_ARGS:+ $RECORD_ARGS}"
    RECORD_BUSY=$(ps -eo pcpu=,ni=,comm= --sort=-pcpu 2>/dev/null | awk 'NR <= 4 {printf "%s%s %s%% (nice %s)", (NR > 1 ? ", " : ""), $3, $1, $2}')
    if [ "${RECORD:-1}" != 0 ]; then
        RECORD_TMP=$(mktemp)
        exec 3>&1
        exec > >(tee "$RECORD_TMP")
        RECORD_TEE=$!
    fi
    echo "threads: ours at $OURS_THREADS (of $ALL_THREADS cores); reference pinned to $REF_THREADS (OMP/OPENBLAS/MKL/NUMEXPR_NUM_THREADS, torch.set_num_threads)"
    echo "load before: $RECORD_LOAD_BEFORE"
}

record_finish() {
    local after commit dirty dir file
    after=$(record_load)
    echo
    echo "load after: $after"
    [ "${RECORD:-1}" != 0 ] || return 0
    exec 1>&3 3>&-
    wait "$RECORD_TEE" 2>/dev/null || true
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    dirty=""
    if [ -n "$(git status --porcelain -- Sources Benchmarks bench Package.swift Package.resolved models ':!bench/results' ':!bench/out' 2>/dev/null)" ]; then
        dirty=" (+ uncommitted changes)"
    fi
    dir=${RECORD_DIR:-bench/results}
    mkdir -p "$dir"
    file=$dir/$RECORD_NAME.md
    {
        echo "# bench/$(basename "$0" .sh): recorded run"
        echo
        echo "- date: $RECORD_DATE"
        echo "- commit: $commit$dirty"
        echo "- machine: $(record_machine)"
        echo "- load (1, 5, 15 min): before $RECORD_LOAD_BEFORE, after $after; busiest processes at the start (ps %CPU over each one's life): $RECORD_BUSY"
        echo "- threads: ours at $OURS_THREADS; reference pinned to $REF_THREADS (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, NUMEXPR_NUM_THREADS, torch.set_num_threads)"
        echo "- command: $RECORD_COMMAND"
        echo
        if [ -n "$RECORD_MD" ]; then
            cat "$RECORD_TMP"
        else
            echo '```'
            cat "$RECORD_TMP"
            echo '```'
        fi
    } > "$file"
    rm -f "$RECORD_TMP"
    echo "recorded in $file" >&2
}
