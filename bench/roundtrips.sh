#!/usr/bin/env bash
# What each apply variant sends per migration, from the server log (log_min_duration_statement=0
# logs every simple query and every parse/bind/execute of the extended protocol with its
# duration), plus the syscalls of the ferry process (strace -c) when strace is installed.
#
#   bench/roundtrips.sh            # N=20
#   N=50 bench/roundtrips.sh
#
# Not a timing benchmark: logging every statement slows the server down.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

N=${N:-20}
FERRY=${FERRY:-$ROOT/target/release/ferry}
BENCH_PORT=${BENCH_PORT_RT:-55472}
((EUID == 0)) || die "run as root"
if [[ ! -x "$FERRY" ]]; then (cd "$ROOT" && cargo build --release -p ferry); fi

make_workdir
trap cleanup EXIT
trap 'exit 130' INT TERM
start_cluster "log_min_duration_statement=0" "log_line_prefix='@@%d@@ '"

PROJ=$WORK/apply
write_apply_inputs "$PROJ" "$N"
psql_args=(-X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$BENCH_PORT" -U postgres)
STRACE=$(command -v strace || true)

for v in rt_psql_1 rt_psql_per_file rt_ferry_single rt_ferry_up; do
    fresh_db "$v"
    case $v in
    rt_psql_1) "$PSQL" "${psql_args[@]}" -d "$v" -1 -f "$WORK/all.sql" ;;
    rt_psql_per_file) "$PSQL" "${psql_args[@]}" -d "$v" -f "$WORK/per_file.sql" ;;
    rt_ferry_*)
        args=(-C "$PROJ" --database-url "$(db_url "$v")" up)
        [[ $v == rt_ferry_single ]] && args+=(--single-transaction)
        if [[ -n $STRACE ]]; then
            "$STRACE" -f -c -o "$WORK/$v.strace" "$FERRY" "${args[@]}" 2>/dev/null
        else
            "$FERRY" "${args[@]}" 2>/dev/null
        fi
        ;;
    esac
    check_tables "$v" "$N"
    rm -rf "$PROJ/.ferry"
done
sleep 0.5 # let the logger flush

LOG=$WORK/pglog/pg.log
for v in rt_psql_1 rt_psql_per_file rt_ferry_single rt_ferry_up; do
    echo
    echo "== $v: messages the server logged, per migration (N=$N), and their total server time"
    # One log entry starts with @@db@@; its first line holds "duration: X ms  <kind> <name>: <sql>".
    awk -v db="@@$v@@" -v n="$N" '
        index($0, db " ") == 1 && /duration: / {
            line = $0
            sub(/^.*duration: /, "", line)
            ms = line + 0
            sub(/^[0-9.]+ ms +/, "", line)
            if (line ~ /^statement: /) { kind = "query"; sql = substr(line, 12) }
            else { kind = line; sub(/ .*/, "", kind); sql = line; sub(/^[a-z]+ [^:]*: /, "", sql) }
            sql = tolower(sql); gsub(/\047[^\047]*\047/, "\047?\047", sql); gsub(/[0-9]+/, "N", sql); gsub(/[ \t]+/, " ", sql)
            key = sprintf("%-8s %s", kind, substr(sql, 1, 90))
            cnt[key]++; tot[key] += ms; all++; allms += ms; kinds[kind]++
        }
        END {
            for (k in cnt) printf "  %7.2f/mig %9.1f ms  %s\n", cnt[k] / n, tot[k], k | "sort -k3,3 -g -r"
            close("sort -k3,3 -g -r")
            printf "  total: %d messages (%.2f per migration), %.1f ms server time;", all, all / n, allms
            for (k in kinds) printf " %s=%d", k, kinds[k]
            printf "\n"
        }' "$LOG"
    if [[ -f $WORK/$v.strace ]]; then
        echo "  ferry syscalls (strace -f -c), top 8:"
        awk 'NR > 2 && $0 !~ /^-/ && NF >= 5 { print }' "$WORK/$v.strace" | sort -k4,4 -g -r | head -8 | sed 's/^/    /'
    fi
done
