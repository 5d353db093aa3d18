#!/usr/bin/env bash
# test/build.sh — install missing packages, build the extension with PGXS and
# install it into the system PostgreSQL 15.  Shared by `make test` and
# `make demo`.  MAKE may name the make program (the Makefile passes its own).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
MAKE=${MAKE:-make}

bash test/deps.sh

# A new make process, so the Makefile now finds pg_config and loads PGXS.
echo "build: $MAKE"
$MAKE --no-print-directory

if [ "$(id -u)" -eq 0 ]; then
    echo "build: $MAKE install"
    $MAKE --no-print-directory install
else
    PG_CONFIG=$($MAKE -s --no-print-directory print-PG_CONFIG)
    libdir=$("$PG_CONFIG" --pkglibdir)
    extdir=$("$PG_CONFIG" --sharedir)/extension
    if [ -w "$libdir" ] && [ -w "$extdir" ]; then
        echo "build: $MAKE install"
        $MAKE --no-print-directory install
    elif command -v sudo >/dev/null 2>&1; then
        echo "build: sudo $MAKE install   ($libdir is not writable by $(id -un))"
        sudo "$MAKE" --no-print-directory install
    else
        echo "build: cannot install into $libdir as $(id -un) and sudo is not available." >&2
        echo "build: run 'make install' as root, then run make again." >&2
        exit 1
    fi
fi
