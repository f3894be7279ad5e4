#!/usr/bin/env bash
# ferry speed benchmark (see bench/README.md).
#
#   bench/run.sh                    # REPS=7, N=500
#   REPS=5 N=500 STATUS_NS="500 1000 2000 5000" bench/run.sh
#
# 1. apply: N migrations (one table + one index each), fresh database per run, interleaved
#    repetitions of  psql -1 -f all.sql | psql per-file BEGIN..COMMIT | ferry up
#    --single-transaction | ferry up. Medians of wall, client CPU, server CPU.
# 2. status: `ferry status` with 500..5,000 applied migrations, no-op status and no-op up.
#
# Needs root (the cluster runs as the postgres OS user). Raw rows go to $RESULTS_DIR.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

REPS=${REPS:-7}
N=${N:-500}
STATUS_NS=${STATUS_NS:-500 1000 2000 5000}
STATUS_REPS=${STATUS_REPS:-$REPS}
FERRY=${FERRY:-$ROOT/target/release/ferry}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
GOAL=1.10

((REPS >= 1)) || die "REPS must be >= 1"
((EUID == 0)) || die "run as root (initdb/postgres run as the postgres OS user via runuser)"
[[ -x "$PG_BIN/postgres" ]] || die "no PostgreSQL server binaries in $PG_BIN"
[[ -x "$PSQL" ]] || die "no psql at $PSQL"

if [[ ! -x "$FERRY" ]]; then
    echo "bench: building ferry (release)..." >&2
    (cd "$ROOT" && cargo build --release -p ferry)
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RESULTS_DIR"
APPLY_TSV=$RESULTS_DIR/apply-$STAMP.tsv
STATUS_TSV=$RESULTS_DIR/status-$STAMP.tsv
SUMMARY=$RESULTS_DIR/summary-$STAMP.txt

make_workdir
trap cleanup EXIT
trap 'exit 130' INT TERM
start_cluster

{
    echo "ferry benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $("$PG_BIN/postgres" --version)"
    echo "ferry: $FERRY ($("$FERRY" --version 2>/dev/null || echo '?'), built $(date -u -r "$FERRY" '+%Y-%m-%d %H:%M UTC')); tree now: git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
    echo "REPS=$REPS N=$N STATUS_NS=\"$STATUS_NS\" STATUS_REPS=$STATUS_REPS; data directory on $(df --output=fstype "$PGDATA_DIR" | tail -1) ($PGDATA_DIR)"
    echo "load at start: $(machine_load)"
} | tee "$SUMMARY"

# ---------------------------------------------------------------------------------------------
# 1. apply
# ---------------------------------------------------------------------------------------------
APPLY_PROJ=$WORK/apply
write_apply_inputs "$APPLY_PROJ" "$N"

psql_args=(-X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$BENCH_PORT" -U postgres)
VARIANTS=(psql_1 psql_per_file ferry_single ferry_up)
declare -A LABEL=(
    [psql_1]="psql -1 -f all.sql (floor)"
    [psql_per_file]="psql -f per_file.sql (BEGIN..COMMIT per file)"
    [ferry_single]="ferry up --single-transaction"
    [ferry_up]="ferry up"
)

run_variant() { # variant db
    case $1 in
    psql_1) measure "$PSQL" "${psql_args[@]}" -d "$2" -1 -f "$WORK/all.sql" ;;
    psql_per_file) measure "$PSQL" "${psql_args[@]}" -d "$2" -f "$WORK/per_file.sql" ;;
    ferry_single) measure "$FERRY" -C "$APPLY_PROJ" --database-url "$(db_url "$2")" up --single-transaction ;;
    ferry_up) measure "$FERRY" -C "$APPLY_PROJ" --database-url "$(db_url "$2")" up ;;
    esac
}

printf 'rep\tvariant\twall_s\tclient_user_s\tclient_sys_s\tserver_cpu_s\tcpu_pressure_avg10\n' >"$APPLY_TSV"
echo
echo "apply: $N migrations, $REPS interleaved repetitions (order: ${VARIANTS[*]})"
for ((rep = 1; rep <= REPS; rep++)); do
    wait_quiet
    line="  rep $rep (cpu pressure $(cpu_pressure)%):"
    for v in "${VARIANTS[@]}"; do
        db=bench_${v}
        fresh_db "$db"
        pressure=$(cpu_pressure)
        run_variant "$v" "$db"
        if ((M_RC != 0)); then
            echo "bench: $v exited with $M_RC" >&2
            if [[ $v == ferry_* ]]; then
                log=$(ls -t "$APPLY_PROJ"/.ferry/logs/* 2>/dev/null | head -1 || true)
                [[ -n "$log" ]] && tail -40 "$log" >&2
            fi
            die "$v failed (rep $rep)"
        fi
        if [[ $v == ferry_* ]]; then check_tables "$db" "$N" ferry; else check_tables "$db" "$N"; fi
        drop_db "$db"
        rm -rf "$APPLY_PROJ/.ferry"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$v" "$M_WALL" "$M_UCPU" "$M_SCPU" "$M_SRV" "$pressure" >>"$APPLY_TSV"
        line+=" $v ${M_WALL}s"
    done
    echo "$line"
done

{
    echo
    echo "apply, $N migrations: medians of $REPS interleaved repetitions (fresh database each run)"
    print_medians "$APPLY_TSV" 48 "${VARIANTS[@]}"
    verdict() { awk -v r="$1" -v g="$GOAL" 'BEGIN { print (r <= g ? "MET" : "MISSED") }'; }
    r1=$(ratio "$MED_ferry_single" "$MED_psql_1")
    r2=$(ratio "$MED_ferry_up" "$MED_psql_per_file")
    echo
    echo "ratio ferry up --single-transaction / psql -1 -f = $r1 (goal <= $GOAL) $(verdict "$r1")"
    echo "ratio ferry up / psql per-file BEGIN..COMMIT = $r2 (goal <= $GOAL) $(verdict "$r2")"
    echo "  the same two ratios from other statistics (the wall times are noisy, see README):"
    printf '    median of per-repetition ratios: %.2f and %.2f\n' \
        "$(rep_ratio "$APPLY_TSV" ferry_single psql_1)" "$(rep_ratio "$APPLY_TSV" ferry_up psql_per_file)"
    printf '    ratio of the minimum wall times: %s and %s\n' \
        "$(ratio "$MIN_ferry_single" "$MIN_psql_1")" "$(ratio "$MIN_ferry_up" "$MIN_psql_per_file")"
    printf '    ratio of the median server CPU:  %s and %s\n' \
        "$(ratio "$SRV_ferry_single" "$SRV_psql_1")" "$(ratio "$SRV_ferry_up" "$SRV_psql_per_file")"
    echo "load after apply: $(machine_load)"
} | tee -a "$SUMMARY"

# ---------------------------------------------------------------------------------------------
# 2. status
# ---------------------------------------------------------------------------------------------
max_n=0
for n in $STATUS_NS; do ((n > max_n)) && max_n=$n; done
POOL=$WORK/pool
write_migrations "$POOL" "$max_n"
mapfile -t POOL_FILES < <(ls "$POOL" | sort)
echo
echo "status: building databases with $STATUS_NS applied migrations (ferry up --single-transaction)"
for n in $STATUS_NS; do
    proj=$WORK/status_$n
    mkdir -p "$proj/migrations"
    for ((i = 0; i < n; i++)); do ln "$POOL/${POOL_FILES[$i]}" "$proj/migrations/"; done
    fresh_db "status_$n"
    "$FERRY" -q -C "$proj" --database-url "$(db_url "status_$n")" up --single-transaction >/dev/null \
        || die "building status_$n"
    check_tables "status_$n" "$n" ferry
    summary=$("$FERRY" -C "$proj" --database-url "$(db_url "status_$n")" --json status 2>/dev/null | tr -d ' \n')
    [[ $summary == *"\"applied\":$n,\"pending\":0,"* ]] || die "status_$n: ferry status --json does not say $n applied, 0 pending"
    rm -rf "$proj/.ferry"
done

printf 'rep\tvariant\tn\twall_s\tclient_user_s\tclient_sys_s\tserver_cpu_s\n' >"$STATUS_TSV"
record_status() { # variant n
    ((M_RC == 0)) || die "$1 at N=$2 exited with $M_RC"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$1" "$2" "$M_WALL" "$M_UCPU" "$M_SCPU" "$M_SRV" >>"$STATUS_TSV"
}
first_n=${STATUS_NS%% *}
for ((rep = 1; rep <= STATUS_REPS; rep++)); do
    for n in $STATUS_NS; do
        url=$(db_url "status_$n")
        measure "$FERRY" -C "$WORK/status_$n" --database-url "$url" status
        record_status ferry_status "$n"
        # Reference: psql starting, connecting and reading the same rows (no files, no checks).
        measure "$PSQL" "${psql_args[@]}" -d "status_$n" -At -c "select * from ferry.migrations"
        record_status psql_select "$n"
    done
    # No-op up at the smallest N: lock, read, nothing to apply.
    measure "$FERRY" -C "$WORK/status_$first_n" --database-url "$(db_url "status_$first_n")" up
    record_status ferry_noop_up "$first_n"
    rm -rf "$WORK/status_$first_n/.ferry"
done
check_tables "status_$first_n" "$first_n" ferry

smed() { # variant n column
    awk -F'\t' -v v="$1" -v n="$2" -v c="$3" '$2 == v && $3 == n { print $c }' "$STATUS_TSV" | median
}
{
    echo
    echo "status: medians of $STATUS_REPS runs per N (all applied, nothing pending)"
    printf '  %6s %10s %14s %12s %12s %14s\n' N "ms" "ms/migration" "client ms" "server ms" "psql rows ms"
    prev_n="" prev_t=""
    slopes=""
    for n in $STATUS_NS; do
        t=$(smed ferry_status "$n" 4)
        c=$(awk -F'\t' -v n="$n" '$2 == "ferry_status" && $3 == n { print $5 + $6 }' "$STATUS_TSV" | median)
        s=$(smed ferry_status "$n" 7)
        p=$(smed psql_select "$n" 4)
        awk -v n="$n" -v t="$t" -v c="$c" -v s="$s" -v p="$p" \
            'BEGIN { printf "  %6d %10.1f %14.4f %12.0f %12.0f %14.1f\n", n, t * 1000, t * 1000 / n, c * 1000, s * 1000, p * 1000 }'
        declare "ST_$n=$t"
        if [[ -n $prev_n ]]; then
            slopes+=$(awk -v a="$prev_n" -v b="$n" -v ta="$prev_t" -v tb="$t" \
                'BEGIN { printf "  %d->%d: %.4f ms/migration\n", a, b, (tb - ta) * 1000 / (b - a) }')$'\n'
        fi
        prev_n=$n prev_t=$t
    done
    last_n=$prev_n
    t_first=ST_$first_n t_last=ST_$last_n
    echo "  marginal cost between sizes (constant = linear):"
    printf '%s' "$slopes"
    awk -v a="${!t_last}" -v b="${!t_first}" -v na="$last_n" -v nb="$first_n" \
        'BEGIN { printf "ratio status time(%d) / time(%d) = %.2f (ideal if purely per-migration: %.1f; lower means fixed costs dominate)\n", na, nb, a / b, na / nb }'
    noop=$(smed ferry_status "$first_n" 4)
    up0=$(smed ferry_noop_up "$first_n" 4)
    awk -v t="$noop" -v n="$first_n" 'BEGIN { printf "no-op ferry status at N=%d: %.1f ms (goal < 50 ms) %s\n", n, t * 1000, (t < 0.05 ? "MET" : "MISSED") }'
    awk -v t="$up0" -v n="$first_n" 'BEGIN { printf "no-op ferry up at N=%d: %.1f ms (information)\n", n, t * 1000 }'
    echo "load at end: $(machine_load)"
    echo
    echo "raw rows: $APPLY_TSV, $STATUS_TSV"
} | tee -a "$SUMMARY"
