#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and test ferry, and does nothing
# when everything is there:
#   - libclang (pg_query builds libpg_query with bindgen),
#   - PostgreSQL server binaries (ferry's local PostgreSQL and the test clusters) and client
#     tools (pg_dump, used by the tests to compare schemas),
#   - the `postgres` OS user (as root, initdb and postgres must run as someone else).
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
