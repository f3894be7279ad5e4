#!/usr/bin/env bash
# Where ferry's time goes relative to psql: the same interleaved apply benchmark as run.sh, with
# two extra psql variants that send what ferry adds to the server, so that
#   ferry - psql+tracking  = ferry's client side (CPU, protocol, logging, progress)
#   psql+tracking - psql   = ferry's extra server work and round trips
#
#   psql_1          psql -1 -f all.sql
#   psql_1_track    the same + what ferry's single transaction adds on the server: the session
#                   lock taken first, the tracking rows of all migrations in one statement after
#                   the last one (history insert + migrations upsert over unnest of arrays), and
#                   the lock handed over to the transaction just before COMMIT
#   ferry_single    ferry up --single-transaction
#   psql_file       psql -f per_file.sql (BEGIN; file; COMMIT; per migration)
#   psql_file_track the same as ferry sends it: BEGIN in the same message as the file's first
#                   statement, and the tracking write (EXECUTE of a prepared CTE: a history
#                   insert and a migrations insert, without the upsert a migration that has no
#                   row yet does not need) in the same message as COMMIT (ferry skips its
#                   session reset after files of plain DDL, as these are)
#   ferry_up        ferry up
#
# The tracking tables are created (by `ferry up` on an empty folder) before the psql_*_track
# runs, outside the timing; ferry creates them inside its run (~5-8 ms).
# The tracking statements mirror crates/ferry_engine/src/history.rs (Tracking::record_query
# without the upsert, and Tracking::record_batch) and the lock hand-over of
# Runner::apply_single_transaction as of November 2026; re-check them there if ferry's
# tracking writes change.
#
#   REPS=9 N=500 bench/decompose.sh
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

REPS=${REPS:-9}
N=${N:-500}
FERRY=${FERRY:-$ROOT/target/release/ferry}
BENCH_PORT=${BENCH_PORT_DECOMPOSE:-55473}
((EUID == 0)) || die "run as root"
if [[ ! -x "$FERRY" ]]; then (cd "$ROOT" && cargo build --release -p ferry); fi

make_workdir
trap cleanup EXIT
trap 'exit 130' INT TERM
start_cluster

PROJ=$WORK/apply
write_migrations "$PROJ/migrations" "$N"
mkdir -p "$WORK/empty/migrations"

PREPARE="prepare trk(text, text, text, text, text, text, text, boolean, integer, integer, text, boolean,
                     text, text, bigint, text, text, text, bigint, text) as
  with h as (
      insert into ferry.history (action, version, version_text, name, checksum, os_user, host, duration_ms, ferry_version, detail)
      values (\$17, \$1, \$2, \$3, \$20, \$13, \$14, \$19, \$16, \$18)
  )
  insert into ferry.migrations as m (version, version_text, name, script, checksum, checksum_bytes, state,
      transactional, statements_done, statements_total, error, baselined, os_user, host, duration_ms, ferry_version)
  values (\$1, \$2, \$3, \$4, \$5, \$6, \$7, \$8, \$9, \$10, \$11, \$12, \$13, \$14, \$15, \$16);"
track() { # i version_text file sum
    echo "execute trk('$1', '$2', 't_$1', '$3', 't1:$4', 'b1:$4', 'applied', true, null, null, null, false, 'root', 'bench', 3, '0.1.0', 'apply', null, 3, 't1:$4')"
}
: >"$WORK/all.sql" >"$WORK/all_track.sql" >"$WORK/per_file.sql" >"$WORK/per_file_track.sql"
echo "select pg_advisory_lock(1);" >>"$WORK/all_track.sql"
echo "$PREPARE" >>"$WORK/per_file_track.sql"
keys=() texts=() names=() scripts=() sums=() bsums=() durations=()
i=0
for f in "$PROJ"/migrations/*.sql; do
    i=$((i + 1))
    base=$(basename "$f")
    sum=$(sha256sum "$f" | cut -c1-64)
    keys+=("$i") texts+=("${base%%_*}") names+=("t_$i") scripts+=("$base")
    sums+=("t1:$sum") bsums+=("b1:$sum") durations+=(3)
    cat "$f" >>"$WORK/all.sql"
    cat "$f" >>"$WORK/all_track.sql"
    { echo "BEGIN;"; cat "$f"; echo "COMMIT;"; } >>"$WORK/per_file.sql"
    {
        printf 'begin\\; %s\n' "$(head -1 "$f")"
        tail -n +2 "$f"
        printf '%s\\; COMMIT;\n' "$(track "$i" "${base%%_*}" "$base" "$sum")"
    } >>"$WORK/per_file_track.sql"
done
arr() { local IFS=,; echo "'{$*}'"; }
cat >>"$WORK/all_track.sql" <<SQL
with b as (
    select * from unnest($(arr "${keys[@]}")::text[], $(arr "${texts[@]}")::text[], $(arr "${names[@]}")::text[],
                         $(arr "${scripts[@]}")::text[], $(arr "${sums[@]}")::text[], $(arr "${bsums[@]}")::text[],
                         $(arr "${durations[@]}")::bigint[])
        with ordinality as u(version, version_text, name, script, checksum, checksum_bytes, duration_ms, n)
), h as (
    insert into ferry.history (action, version, version_text, name, checksum, os_user, host, duration_ms, ferry_version)
    select 'apply', version, version_text, name, checksum, 'root', 'bench', duration_ms, '0.1.0' from b order by n
)
insert into ferry.migrations as m (version, version_text, name, script, checksum, checksum_bytes, state,
    transactional, baselined, os_user, host, duration_ms, ferry_version)
select version, version_text, name, script, checksum, checksum_bytes, 'applied', true, false, 'root', 'bench', duration_ms, '0.1.0'
from b
on conflict (version) do update set
    version_text = excluded.version_text, name = excluded.name, script = excluded.script,
    checksum = excluded.checksum, checksum_bytes = excluded.checksum_bytes, state = excluded.state,
    transactional = excluded.transactional, statements_done = null, statements_total = null,
    error = null, baselined = false, applied_at = now(), applied_by = current_user,
    os_user = excluded.os_user, host = excluded.host, duration_ms = excluded.duration_ms,
    ferry_version = excluded.ferry_version;
select pg_advisory_xact_lock(1), pg_advisory_unlock(1);
SQL

psql_args=(-X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$BENCH_PORT" -U postgres)
VARIANTS=(psql_1 psql_1_track ferry_single psql_file psql_file_track ferry_up)
TSV=$WORK/decompose.tsv
: >"$TSV"
echo "decompose: N=$N, REPS=$REPS, data directory on $(df --output=fstype "$PGDATA_DIR" | tail -1); $(machine_load)"
for ((rep = 1; rep <= REPS; rep++)); do
    line="  rep $rep:"
    for v in "${VARIANTS[@]}"; do
        db=dec_$v
        fresh_db "$db"
        if [[ $v == *_track ]]; then
            "$FERRY" -q -C "$WORK/empty" --database-url "$(db_url "$db")" up >/dev/null 2>&1 || die "creating the tracking tables"
            rm -rf "$WORK/empty/.ferry"
        fi
        case $v in
        psql_1) measure "$PSQL" "${psql_args[@]}" -d "$db" -1 -f "$WORK/all.sql" ;;
        psql_1_track) measure "$PSQL" "${psql_args[@]}" -d "$db" -1 -f "$WORK/all_track.sql" ;;
        psql_file) measure "$PSQL" "${psql_args[@]}" -d "$db" -f "$WORK/per_file.sql" ;;
        psql_file_track) measure "$PSQL" "${psql_args[@]}" -d "$db" -f "$WORK/per_file_track.sql" ;;
        ferry_single) measure "$FERRY" -C "$PROJ" --database-url "$(db_url "$db")" up --single-transaction ;;
        ferry_up) measure "$FERRY" -C "$PROJ" --database-url "$(db_url "$db")" up ;;
        esac
        ((M_RC == 0)) || die "$v exited with $M_RC"
        check_tables "$db" "$N"
        [[ $v == psql_1 || $v == psql_file ]] || check_tables "$db" "$N" ferry
        drop_db "$db"
        rm -rf "$PROJ/.ferry"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$v" "$M_WALL" "$M_UCPU" "$M_SCPU" "$M_SRV" >>"$TSV"
        line+=" $v ${M_WALL}s"
    done
    echo "$line"
done

echo
printf '  %-16s %9s %10s %10s %14s\n' variant "wall s" "client s" "server s" "wall vs base"
for v in "${VARIANTS[@]}"; do
    base=psql_1
    [[ $v == psql_file* || $v == ferry_up ]] && base=psql_file
    w=$(col_median "$TSV" "$v" 3)
    b=$(col_median "$TSV" "$base" 3)
    c=$(awk -F'\t' -v v="$v" '$2 == v { print $4 + $5 }' "$TSV" | median)
    s=$(col_median "$TSV" "$v" 6)
    printf '  %-16s %9.3f %10.2f %10.2f %14s\n' "$v" "$w" "$c" "$s" "$(awk -v a="$w" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
echo "load at end: $(machine_load)"
cp "$TSV" "${RESULTS_DIR:-$BENCH_DIR/results}/decompose-$(date -u +%Y%m%dT%H%M%SZ).tsv" 2>/dev/null || true
