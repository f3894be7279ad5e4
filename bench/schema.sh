#!/usr/bin/env bash
# ferry schema benchmark (issue 4; see "Schema: dump and diff" in bench/README.md).
#
#   bench/schema.sh                 # REPS=11, TABLES=2000
#   REPS=21 MIGRA=0 bench/schema.sh
#
# A: TABLES generated tables (primary key, 10 columns, 2 indexes, a foreign key each).
# B: A plus 100 differences of 10 kinds. Interleaved repetitions of
#   pg_dump --schema-only A | ferry dump A | ferry diff A B | migra --unsafe A B (if it installs)
# Medians of wall, client CPU and server CPU; ratios ferry dump / pg_dump and ferry diff / migra.
# Before timing, `ferry diff A B` is applied to a copy of A, and ferry must then find no
# difference between the copy and B.
#
# Needs root (the cluster runs as the postgres OS user). Raw rows go to $RESULTS_DIR.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# Its own port, so that it can run next to bench/run.sh.
BENCH_PORT=${BENCH_PORT:-55472}
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/schema_lib.sh
source "$BENCH_DIR/schema_lib.sh"
T_START=$EPOCHREALTIME

REPS=${REPS:-11}
TABLES=${TABLES:-2000}
# FERRY=path times that binary; by default the tree is built first (a no-op when up to date),
# so that the numbers are those of the code in the tree.
BUILD_FERRY=0
[[ -z ${FERRY:-} ]] && BUILD_FERRY=1
FERRY=${FERRY:-$ROOT/target/release/ferry}
PG_DUMP=${PG_DUMP:-$PG_BIN/pg_dump}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
# migra: MIGRA=0 skips it; MIGRA_VENV is created with MIGRA_PIP when it has no migra yet.
MIGRA=${MIGRA:-1}
MIGRA_VENV=${MIGRA_VENV:-$ROOT/target/bench-venv}
# The versions this benchmark was last run with (SQLAlchemy 2 works once the URL names
# psycopg2: `postgresql://` alone means psycopg 3 there).
MIGRA_PIP=${MIGRA_PIP:-migra==3.0.1663481299 schemainspect==3.1.1663587362 sqlbag==0.1.1617247075 SQLAlchemy==2.1.9 psycopg2-binary==2.9.13}
DUMP_GOAL=1.00 # ferry dump / pg_dump
DIFF_GOAL=0.50 # seconds for ferry diff: the issue asks for "well under a second"

((REPS >= 1)) || die "REPS must be >= 1"
((TABLES >= 100)) || die "TABLES must be >= 100 (the differences touch t_1..t_90)"
((EUID == 0)) || die "run as root (initdb/postgres run as the postgres OS user via runuser)"
[[ -x "$PG_BIN/postgres" ]] || die "no PostgreSQL server binaries in $PG_BIN"
[[ -x "$PSQL" ]] || die "no psql at $PSQL"
[[ -x "$PG_DUMP" ]] || die "no pg_dump at $PG_DUMP"
server_major=$("$PG_BIN/postgres" --version | sed 's/[^0-9]*\([0-9]*\).*/\1/')
dump_major=$("$PG_DUMP" --version | sed 's/[^0-9]*\([0-9]*\).*/\1/')
[[ $server_major == "$dump_major" ]] || die "pg_dump $dump_major does not match the server ($server_major)"

if ((BUILD_FERRY)); then
    echo "bench: cargo build --release -p ferry" >&2
    (cd "$ROOT" && cargo build --release -q -p ferry) || die "cargo build failed"
fi
[[ -x "$FERRY" ]] || die "no ferry binary at $FERRY"

# migra, from PyPI into a venv under target/ (git-ignored). Any failure is reported, not fatal.
MIGRA_BIN="" MIGRA_WHY=""
if [[ $MIGRA == 1 ]]; then
    if [[ ! -x $MIGRA_VENV/bin/migra ]]; then
        echo "bench: installing migra into $MIGRA_VENV ($MIGRA_PIP)..." >&2
        # shellcheck disable=SC2086 # MIGRA_PIP is a list of requirements
        if ! { python3 -m venv "$MIGRA_VENV" && "$MIGRA_VENV/bin/pip" install -q $MIGRA_PIP; } \
            >"${TMPDIR:-/tmp}/ferry-bench-pip.log" 2>&1; then
            MIGRA_WHY="pip install failed: $(tail -1 "${TMPDIR:-/tmp}/ferry-bench-pip.log")"
        fi
    fi
    [[ -z $MIGRA_WHY && -x $MIGRA_VENV/bin/migra ]] && MIGRA_BIN=$MIGRA_VENV/bin/migra
    [[ -z $MIGRA_WHY && -z $MIGRA_BIN ]] && MIGRA_WHY="no migra in $MIGRA_VENV after pip install"
else
    MIGRA_WHY="skipped (MIGRA=0)"
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RESULTS_DIR"
TSV=$RESULTS_DIR/schema-$STAMP.tsv
SUMMARY=$RESULTS_DIR/schema-summary-$STAMP.txt

make_workdir
trap cleanup EXIT
trap 'exit 130' INT TERM
start_cluster

{
    echo "ferry schema benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $("$PG_BIN/postgres" --version); $("$PG_DUMP" --version)"
    echo "ferry: $FERRY ($("$FERRY" --version 2>/dev/null || echo '?'), built $(date -u -r "$FERRY" '+%Y-%m-%d %H:%M UTC')); tree now: git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
    if [[ -n $MIGRA_BIN ]]; then
        echo "migra: $("$MIGRA_VENV/bin/pip" list 2>/dev/null | awk 'tolower($1) ~ /^(migra|schemainspect|sqlbag|sqlalchemy|psycopg2-binary)$/ { printf "%s%s %s", s, $1, $2; s = ", " }'); $("$MIGRA_VENV/bin/python" --version)"
    else
        echo "migra: not run: $MIGRA_WHY"
    fi
    echo "REPS=$REPS TABLES=$TABLES; data directory on $(df --output=fstype "$PGDATA_DIR" | tail -1) ($PGDATA_DIR)"
    echo "load at start: $(machine_load)"
} | tee "$SUMMARY"

# ---------------------------------------------------------------------------------------------
# The two databases
# ---------------------------------------------------------------------------------------------
psql_args=(-X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$BENCH_PORT" -U postgres)
write_schema_sql "$WORK/schema_a.sql" "$TABLES"
write_changes_sql "$WORK/changes.sql"
echo
t0=$EPOCHREALTIME
fresh_db bench_a
"$PSQL" "${psql_args[@]}" -1 -d bench_a -f "$WORK/schema_a.sql" || die "building bench_a"
check_schema bench_a "$TABLES"
sql postgres "create database bench_b template bench_a" >/dev/null
"$PSQL" "${psql_args[@]}" -1 -d bench_b -f "$WORK/changes.sql" || die "building bench_b"
check_schema bench_b "$TABLES" changed
sql bench_a "vacuum analyze" >/dev/null
sql bench_b "vacuum analyze" >/dev/null
sql postgres "checkpoint" >/dev/null
awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$TABLES" \
    'BEGIN { printf "built bench_a (%d tables) and bench_b (+100 differences) in %.1f s\n", n, b - a }'

URL_A=$(db_url bench_a)
URL_B=$(db_url bench_b)
# SQLAlchemy: `postgresql+psycopg2` (plain `postgresql://` is psycopg 3 in SQLAlchemy 2).
MURL_A="postgresql+psycopg2://postgres@/bench_a?host=$SOCK_DIR&port=$BENCH_PORT"
MURL_B="postgresql+psycopg2://postgres@/bench_b?host=$SOCK_DIR&port=$BENCH_PORT"

# ---------------------------------------------------------------------------------------------
# Correctness, before anything is timed
# ---------------------------------------------------------------------------------------------
"$PG_DUMP" --schema-only -h "$SOCK_DIR" -p "$BENCH_PORT" -U postgres -d bench_a >"$WORK/pg_dump_a.sql" ||
    die "pg_dump failed"
"$FERRY" dump --database-url "$URL_A" >"$WORK/ferry_dump_a.sql" 2>"$WORK/ferry.err" ||
    { cat "$WORK/ferry.err" >&2; die "ferry dump failed"; }
for what in "ferry_dump_a.sql:^CREATE TABLE public\.t_[0-9]+ \(:$TABLES" \
    "ferry_dump_a.sql:^CREATE INDEX t_[0-9]+_(ref|code)_idx :$((TABLES * 2))" \
    "ferry_dump_a.sql:FOREIGN KEY \(ref_id\):$TABLES" \
    "pg_dump_a.sql:^CREATE TABLE public\.t_[0-9]+ \(:$TABLES"; do
    IFS=: read -r file pattern want <<<"$what"
    got=$(grep -cE "$pattern" "$WORK/$file" || true)
    [[ $got == "$want" ]] || die "$file: expected $want lines matching /$pattern/, found $got"
done

rc=0
"$FERRY" diff "$URL_A" "$URL_B" >"$WORK/a_to_b.sql" 2>"$WORK/ferry.err" || rc=$?
((rc == 1)) || { cat "$WORK/ferry.err" >&2; die "ferry diff A B exited with $rc (expected 1: changes)"; }
DIFF_STATEMENTS=$(grep -cE '^(ALTER|CREATE|DROP|COMMENT|GRANT|REVOKE) ' "$WORK/a_to_b.sql" || true)
sql postgres "create database bench_check template bench_a" >/dev/null
"$PSQL" "${psql_args[@]}" -1 -d bench_check -f "$WORK/a_to_b.sql" >/dev/null ||
    die "the output of ferry diff A B does not apply to a copy of A (kept in $WORK/a_to_b.sql with KEEP_WORK=1)"
rc=0
"$FERRY" diff "$(db_url bench_check)" "$URL_B" >"$WORK/check.sql" 2>"$WORK/ferry.err" || rc=$?
((rc == 0)) || {
    head -40 "$WORK/check.sql" >&2
    die "A + (ferry diff A B) is not B: ferry diff COPY B exited with $rc (above: the first 40 lines of what is left)"
}
check_schema bench_check "$TABLES" changed
drop_db bench_check
echo "check: ferry diff A B is $DIFF_STATEMENTS statements; applied to a copy of A with psql -1, ferry diff copy B finds no changes"

MIGRA_CHECK=""
if [[ -n $MIGRA_BIN ]]; then
    rc=0
    "$MIGRA_BIN" --unsafe "$MURL_A" "$MURL_B" >"$WORK/migra_a_to_b.sql" 2>"$WORK/migra.err" || rc=$?
    if ((rc != 2)); then
        MIGRA_WHY="migra --unsafe A B exited with $rc (expected 2: changes): $(tail -1 "$WORK/migra.err")"
        MIGRA_BIN=""
    else
        # For information: does migra's script reach B? (Not a reason to stop.)
        sql postgres "create database bench_check template bench_a" >/dev/null
        if "$PSQL" "${psql_args[@]}" -1 -d bench_check -f "$WORK/migra_a_to_b.sql" >/dev/null 2>"$WORK/migra_apply.err"; then
            rc=0
            "$FERRY" diff "$(db_url bench_check)" "$URL_B" >/dev/null 2>&1 || rc=$?
            if ((rc == 0)); then MIGRA_CHECK="applied to a copy of A, reaches B"; else MIGRA_CHECK="applied to a copy of A, does NOT reach B"; fi
        else
            MIGRA_CHECK="does NOT apply to a copy of A: $(head -1 "$WORK/migra_apply.err")"
        fi
        drop_db bench_check
        echo "check: migra --unsafe A B is $(grep -cE '^(alter|create|drop|comment|grant|revoke) ' "$WORK/migra_a_to_b.sql" || true) statements; $MIGRA_CHECK"
    fi
fi
[[ -z $MIGRA_BIN ]] && echo "migra: not timed: $MIGRA_WHY"
sql postgres "checkpoint" >/dev/null

# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
VARIANTS=(pg_dump ferry_dump ferry_diff)
[[ -n $MIGRA_BIN ]] && VARIANTS+=(migra)
declare -A LABEL=(
    [pg_dump]="pg_dump --schema-only A"
    [ferry_dump]="ferry dump A"
    [ferry_diff]="ferry diff A B"
    [migra]="migra --unsafe A B"
)
declare -A WANT_RC=([pg_dump]=0 [ferry_dump]=0 [ferry_diff]=1 [migra]=2)

run_variant() {
    case $1 in
    pg_dump) measure "$PG_DUMP" --schema-only -h "$SOCK_DIR" -p "$BENCH_PORT" -U postgres -d bench_a ;;
    ferry_dump) measure "$FERRY" dump --database-url "$URL_A" ;;
    ferry_diff) measure "$FERRY" diff "$URL_A" "$URL_B" ;;
    migra) measure "$MIGRA_BIN" --unsafe "$MURL_A" "$MURL_B" ;;
    esac
}

printf 'rep\tvariant\twall_s\tclient_user_s\tclient_sys_s\tserver_cpu_s\tcpu_pressure_avg10\n' >"$TSV"
echo
echo "timing: $REPS interleaved repetitions (order: ${VARIANTS[*]}, reversed on even repetitions)"
for ((rep = 1; rep <= REPS; rep++)); do
    wait_quiet
    order=("${VARIANTS[@]}")
    if ((rep % 2 == 0)); then
        order=()
        for ((i = ${#VARIANTS[@]} - 1; i >= 0; i--)); do order+=("${VARIANTS[$i]}"); done
    fi
    line="  rep $rep (cpu pressure $(cpu_pressure)%):"
    for v in "${order[@]}"; do
        pressure=$(cpu_pressure)
        run_variant "$v"
        ((M_RC == ${WANT_RC[$v]})) || die "$v exited with $M_RC, expected ${WANT_RC[$v]} (rep $rep)"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$v" "$M_WALL" "$M_UCPU" "$M_SCPU" "$M_SRV" "$pressure" >>"$TSV"
        line+=" $v ${M_WALL}s"
    done
    echo "$line"
done

{
    echo
    echo "schema of $TABLES tables: medians of $REPS interleaved repetitions"
    print_medians "$TSV" 28 "${VARIANTS[@]}"
    r=$(ratio "$MED_ferry_dump" "$MED_pg_dump")
    echo
    echo "ratio ferry dump / pg_dump --schema-only = $r (goal <= $DUMP_GOAL) $(awk -v r="$r" -v g="$DUMP_GOAL" 'BEGIN { print (r <= g ? "MET" : "MISSED") }')"
    printf '    median of per-repetition ratios: %.2f; ratio of the minimum wall times: %s; of the median server CPU: %s\n' \
        "$(rep_ratio "$TSV" ferry_dump pg_dump)" "$(ratio "$MIN_ferry_dump" "$MIN_pg_dump")" "$(ratio "$SRV_ferry_dump" "$SRV_pg_dump")"
    awk -v t="$MED_ferry_diff" -v g="$DIFF_GOAL" -v n="$DIFF_STATEMENTS" \
        'BEGIN { printf "ferry diff A B (100 differences, %d statements): %.3f s (goal: well under a second, taken as < %.2f s) %s\n", n, t, g, (t < g ? "MET" : "MISSED") }'
    if [[ -n $MIGRA_BIN ]]; then
        r=$(ratio "$MED_ferry_diff" "$MED_migra")
        echo "ratio ferry diff / migra --unsafe = $r (migra's script: $MIGRA_CHECK)"
        printf '    median of per-repetition ratios: %.2f; ratio of the minimum wall times: %s\n' \
            "$(rep_ratio "$TSV" ferry_diff migra)" "$(ratio "$MIN_ferry_diff" "$MIN_migra")"
    else
        echo "ratio ferry diff / migra: not measured: $MIGRA_WHY"
    fi
    echo "load at end: $(machine_load)"
    awk -v a="$T_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "benchmark took %.0f s\n", b - a }'
    echo
    echo "raw rows: $TSV"
} | tee -a "$SUMMARY"
