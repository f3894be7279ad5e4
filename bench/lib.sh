# Shared parts of the ferry benchmarks: a throwaway PostgreSQL cluster, migration files,
# timing (wall, client CPU, server CPU) and medians. Sourced by run.sh and roundtrips.sh.
# shellcheck shell=bash

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# The real psql binary: /usr/bin/psql is Debian's Perl pg_wrapper, which adds ~50 ms of Perl
# start-up to every baseline run (and would flatter ferry).
PSQL=${PSQL:-$PG_BIN/psql}
BENCH_PORT=${BENCH_PORT:-55471}

# Never let the caller's environment pick a database for ferry or psql.
unset DATABASE_URL DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD FERRY_ENV \
    PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE PGOPTIONS PGPASSFILE PGSSLMODE

die() {
    echo "bench: FAILED: $*" >&2
    exit 1
}

# make_workdir: a temp dir the postgres OS user can traverse; sets WORK, PGDATA_DIR, SOCK_DIR.
#
# The data directory goes on tmpfs (/dev/shm) unless BENCH_PGDATA_PARENT says otherwise
# (e.g. BENCH_PGDATA_PARENT=/tmp for the disk). On this machine's ext4 root, creating a
# relation file costs milliseconds of kernel time in ext4's inode allocator
# (find_get_block_common / recently_deleted, seen with perf), which varies with how many files
# other work has deleted: it made up ~2/3 of the server's CPU and most of the run-to-run noise,
# and says nothing about the migration tool.
make_workdir() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")
    chmod 755 "$WORK"
    local parent=${BENCH_PGDATA_PARENT:-/dev/shm}
    if [[ -d $parent && -w $parent ]]; then
        DATA_PARENT=$(mktemp -d "$parent/ferry-bench-data.XXXXXX")
        chmod 755 "$DATA_PARENT"
    else
        DATA_PARENT=$WORK
    fi
    PGDATA_DIR=$DATA_PARENT/pgdata
    SOCK_DIR=$WORK/sock
    mkdir -p "$PGDATA_DIR" "$SOCK_DIR" "$WORK/pglog"
    chown postgres: "$PGDATA_DIR" "$SOCK_DIR" "$WORK/pglog"
    chmod 700 "$PGDATA_DIR"
}

# start_cluster [extra -c options...]: initdb + start with fast, benchmark-only settings.
start_cluster() {
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust \
        -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb"; }
    # max_locks_per_transaction: building the 5,000-migration status database in one
    # transaction takes ~15,000 relation locks (the default table holds 6,400).
    local opts="-p $BENCH_PORT -c listen_addresses='' -c unix_socket_directories=$SOCK_DIR"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off"
    opts+=" -c max_locks_per_transaction=256"
    local o
    for o in "$@"; do opts+=" -c $o"; done
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pglog/pg.log" \
        -o "$opts" -w -t 60 start >/dev/null || { cat "$WORK/pglog/pg.log" >&2; die "pg_ctl start"; }
    PM_PID=$(head -1 "$PGDATA_DIR/postmaster.pid")
    # The postmaster's long-lived children (checkpointer, walwriter, ...): a run is over, and its
    # backend's CPU is in the postmaster's cutime, once the child count is back to this.
    sleep 0.2
    PM_BASE_CHILDREN=$(pgrep -c -P "$PM_PID" || true)
}

stop_cluster() {
    if [[ -n "${PGDATA_DIR:-}" && -f "$PGDATA_DIR/postmaster.pid" ]]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
    fi
}

cleanup() {
    stop_cluster
    if [[ -n "${WORK:-}" && -d "$WORK" ]]; then
        if [[ "${KEEP_WORK:-0}" == 1 ]]; then
            echo "bench: kept $WORK" >&2
        else
            rm -rf "$WORK"
        fi
    fi
    if [[ -n "${DATA_PARENT:-}" && "${DATA_PARENT:-}" != "${WORK:-}" && -d "$DATA_PARENT" ]]; then
        rm -rf "$DATA_PARENT"
    fi
}

db_url() { echo "postgres://postgres@/$1?host=$SOCK_DIR&port=$BENCH_PORT"; }

# sql DB 'statement': one-off query through psql, unaligned, tuples only.
sql() {
    "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$BENCH_PORT" -U postgres -d "$1" \
        -c "set client_min_messages = warning" -c "$2"
}

fresh_db() {
    sql postgres "drop database if exists $1" >/dev/null
    sql postgres "create database $1" >/dev/null
    # Start every run from the same state: nothing dirty from the previous run.
    sql postgres "checkpoint" >/dev/null
}

drop_db() { sql postgres "drop database if exists $1" >/dev/null; }

# write_migrations DIR N: migration i = one table and one index, native layout NNNN_t_i.sql.
write_migrations() {
    local dir=$1 n=$2 width=4 i
    ((${#n} > width)) && width=${#n}
    mkdir -p "$dir"
    for ((i = 1; i <= n; i++)); do
        printf 'create table t_%d (id bigint primary key, a text not null, b integer, c timestamptz default now(), d boolean);\ncreate index t_%d_b_idx on t_%d (b);\n' \
            "$i" "$i" "$i" >"$dir/$(printf "%0${width}d" "$i")_t_$i.sql"
    done
}

# write_apply_inputs DIR N: DIR/migrations (write_migrations), and for psql the same files
# as WORK/all.sql (concatenated) and WORK/per_file.sql (each between BEGIN and COMMIT).
write_apply_inputs() {
    local dir=$1 n=$2 f
    write_migrations "$dir/migrations" "$n"
    : >"$WORK/all.sql"
    : >"$WORK/per_file.sql"
    for f in "$dir"/migrations/*.sql; do
        cat "$f" >>"$WORK/all.sql"
        { echo "BEGIN;"; cat "$f"; echo "COMMIT;"; } >>"$WORK/per_file.sql"
    done
}

# print_medians TSV WIDTH VARIANT...: one row per variant (its LABEL) of median wall, client
# and server CPU, and min/max wall, from TSV rows `rep variant wall user sys server`; sets
# MED_<variant>, SRV_<variant> and MIN_<variant> for the ratios.
print_medians() {
    local tsv=$1 width=$2 v w c s mn mx
    shift 2
    printf "  %-${width}s %9s %10s %10s %10s %10s\n" variant "wall s" "client s" "server s" "wall min" "wall max"
    for v in "$@"; do
        w=$(col_median "$tsv" "$v" 3)
        c=$(awk -F'\t' -v v="$v" '$2 == v { print $4 + $5 }' "$tsv" | median)
        s=$(col_median "$tsv" "$v" 6)
        mn=$(awk -F'\t' -v v="$v" '$2 == v { print $3 }' "$tsv" | sort -g | head -1)
        mx=$(awk -F'\t' -v v="$v" '$2 == v { print $3 }' "$tsv" | sort -g | tail -1)
        printf "  %-${width}s %9.3f %10.2f %10.2f %10.3f %10.3f\n" "${LABEL[$v]}" "$w" "$c" "$s" "$mn" "$mx"
        declare -g "MED_$v=$w" "SRV_$v=$s" "MIN_$v=$mn"
    done
}

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# rep_ratio TSV A B: the median of the per-repetition ratios of A's wall time to B's
# (robust to one slow pass).
rep_ratio() {
    awk -F'\t' -v a="$2" -v b="$3" '$2 == a { x[$1] = $3 } $2 == b { y[$1] = $3 }
        END { for (r in x) if (r in y) print x[r] / y[r] }' "$1" | median
}

# check_tables DB N [ferry]: exactly N tables t_i and N indexes t_i_b_idx in public (and N
# applied rows in ferry.migrations when the third argument is given), else fail loudly.
check_tables() {
    local db=$1 n=$2 got
    got=$(sql "$db" "select count(*) filter (where c.relkind = 'r' and c.relname ~ '^t_[0-9]+\$'),
                            count(*) filter (where c.relkind = 'i' and c.relname ~ '^t_[0-9]+_b_idx\$')
                     from pg_class c join pg_namespace s on s.oid = c.relnamespace
                     where s.nspname = 'public'")
    [[ "$got" == "$n|$n" ]] || die "database $db: expected $n tables and $n indexes, found (tables|indexes) $got"
    if [[ $# -ge 3 ]]; then
        got=$(sql "$db" "select count(*) from ferry.migrations where state = 'applied'")
        [[ "$got" == "$n" ]] || die "database $db: expected $n applied rows in ferry.migrations, found $got"
    fi
}

# Server CPU (clock ticks) of the postmaster's exited, reaped children: cutime + cstime.
server_ticks() { awk '{ print $16 + $17 }' "/proc/$PM_PID/stat"; }

# Wait until every backend started by the last run has exited and been reaped.
wait_backends_gone() {
    local i
    for ((i = 0; i < 500; i++)); do
        [[ $(pgrep -c -P "$PM_PID" || true) -le $PM_BASE_CHILDREN ]] && return 0
        sleep 0.01
    done
    echo "bench: warning: backends still running after 5 s" >&2
}

CLK_TCK=$(getconf CLK_TCK)

# measure CMD...: runs CMD with stdout and stderr to /dev/null. Sets M_RC, M_WALL (s),
# M_UCPU, M_SCPU (client user/sys s, from GNU time) and M_SRV (server CPU s).
measure() {
    local tf=$WORK/time.out s0 s1 t0 t1
    wait_backends_gone
    s0=$(server_ticks)
    t0=$EPOCHREALTIME
    M_RC=0
    /usr/bin/time -f "%U %S" -o "$tf" "$@" >/dev/null 2>/dev/null || M_RC=$?
    t1=$EPOCHREALTIME
    wait_backends_gone
    s1=$(server_ticks)
    M_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    read -r M_UCPU M_SCPU < <(tail -1 "$tf")
    M_SRV=$(awk -v a="$s0" -v b="$s1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')
}

# median < numbers (one a line)
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# col_median FILE VARIANT COLUMN: median of COLUMN (1-based) over the rows of VARIANT (column 2).
col_median() { awk -F'\t' -v v="$2" -v c="$3" '$2 == v { print $c }' "$1" | median; }

# CPU pressure "some avg10" (% of the last 10 s in which a task waited for a CPU): other load.
cpu_pressure() { sed -n 's/^some avg10=\([0-9.]*\).*/\1/p' /proc/pressure/cpu 2>/dev/null || echo nan; }

# wait_quiet: with QUIET_WAIT=S (seconds, default 0 = off), wait up to S seconds until the CPU
# pressure avg10 is below QUIET_BELOW (default 5 %) before a repetition.
wait_quiet() {
    local s=${QUIET_WAIT:-0} i
    for ((i = 0; i < s; i++)); do
        awk -v p="$(cpu_pressure)" -v t="${QUIET_BELOW:-5}" 'BEGIN { exit !(p < t) }' && return 0
        sleep 1
    done
}

machine_load() {
    echo "loadavg $(cut -d' ' -f1-3 /proc/loadavg); cpu pressure $(head -1 /proc/pressure/cpu 2>/dev/null | cut -d' ' -f2-4)"
}
