# shellcheck shell=bash
# Shared helpers of the bench/ scripts (sourced).
set -euo pipefail
BLRCHOL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MPIRUN_CMD=${MPIRUN_CMD:-"mpirun --oversubscribe $([ "$(id -u)" = 0 ] && echo --allow-run-as-root)"}

# json_get FILE KEY: the value of a top-level scalar key of a blrchol JSON file.
json_get() {
    awk -v key="\"$2\":" '$1 == key { v = $2; sub(/,$/, "", v); gsub(/"/, "", v); print v; exit }' "$1"
}

# median of the numbers given as arguments
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run_blrchol RANKS WORKERS JSON ARGS...: one solver run, JSON to the given
# file.  MPIRUN_CMD=srun (inside a SLURM allocation) launches with srun,
# which passes the environment on; anything else is taken as Open MPI's
# mpirun.
run_blrchol() {
    local ranks=$1 workers=$2 json=$3
    shift 3
    if [[ $MPIRUN_CMD == srun* ]]; then
        STARPU_NCPU="$workers" STARPU_SILENT=1 $MPIRUN_CMD -n "$ranks" "$BLRCHOL_ROOT/blrchol" --quiet --json "$json" "$@"
    else
        $MPIRUN_CMD -x STARPU_NCPU="$workers" -x STARPU_SILENT=1 -np "$ranks" "$BLRCHOL_ROOT/blrchol" --quiet \
            --json "$json" "$@"
    fi
}

# json_array_max FILE KEY: the largest number in a top-level array of a
# blrchol JSON file ("key": [a, b, ...]).
json_array_max() {
    grep -o "\"$2\": \[[^]]*\]" "$1" | tr -d '[]",' | awk '{ m = $2; for (i = 3; i <= NF; i++) if ($i > m) m = $i; print m }'
}

# json_array_mean FILE KEY: the mean of a top-level array of a blrchol JSON
# file (empty when the array is absent or empty).
json_array_mean() {
    { grep -o "\"$2\": \[[^]]*\]" "$1" || true; } | tr -d '[]",' |
        awk '{ s = 0; for (i = 2; i <= NF; i++) s += $i; if (NF > 1) printf "%.0f\n", s / (NF - 1) }'
}
