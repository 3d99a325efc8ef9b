#!/bin/sh
# run-fuzz.sh - build the libFuzzer targets of test/fuzz/ and run each for a
# bounded time over a copy of its seed corpus (`make fuzz` calls this).
#
#   run-fuzz.sh SRCDIR WORKDIR TARGET...
#
# SRCDIR is the source tree (read-only is fine), WORKDIR where objects,
# binaries, the working corpora, logs and crash artifacts go.  From the
# environment (make fuzz sets them from configure's results):
#   FUZZ_SECONDS      run time per target (default 60)
#   FUZZ_CC           a clang with libFuzzer (default clang)
#   FUZZ_CPPFLAGS     -I for config.h and include/, the dependencies' cflags
#   FUZZ_LIBS         the dependencies' libraries
#   FUZZ_LIB_SOURCES  libagent's sources, relative to SRCDIR (.h ignored)
#   FUZZ_ARGS         extra libFuzzer options, e.g. -jobs=2
# Prints one line per target: executions, corpus growth, findings.  Exit
# status 1 when any target found something (its inputs are in
# WORKDIR/crashes/TARGET/, to be minimised and saved in test/fuzz/regress/).
set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 SRCDIR WORKDIR TARGET..." >&2
    exit 2
fi
srcdir=$1
work=$2
shift 2

: "${FUZZ_SECONDS:=60}"
: "${FUZZ_CC:=clang}"
: "${FUZZ_CPPFLAGS:=}"
: "${FUZZ_LIBS:=}"
: "${FUZZ_LIB_SOURCES:=}"
: "${FUZZ_ARGS:=}"

san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -fno-omit-frame-pointer -std=gnu11 $san"
cppflags="$FUZZ_CPPFLAGS -I$srcdir/include -I$srcdir/test/fuzz"

if ! echo 'int main(void){return 0;}' |
    $FUZZ_CC -x c -fsanitize=fuzzer-no-link - -c -o /dev/null 2>/dev/null; then
    echo "run-fuzz: $FUZZ_CC cannot build libFuzzer targets (clang with" \
        "libclang-rt-dev needed; set FUZZ_CC)" >&2
    exit 2
fi
mkdir -p "$work/obj"
# fuzz-mdev writes a small directory tree per input: on tmpfs that runs a
# hundred times faster than on a journalling disk.  The targets get a
# directory of their own, removed even when a crash or ^C ends a target.
tmp=${TMPDIR:-}
if [ -z "$tmp" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    tmp=/dev/shm
fi
TMPDIR=$(mktemp -d "${tmp:-/tmp}/vgpu-fuzz.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
trap 'exit 130' INT TERM

# libagent once, instrumented for coverage (fuzzer-no-link); an object is
# rebuilt when its source or any header is newer.
objs=
for f in $FUZZ_LIB_SOURCES; do
    case $f in *.c) ;; *) continue ;; esac
    o=$work/obj/$(basename "$f" .c).o
    if [ ! -e "$o" ] ||
        [ -n "$(find "$srcdir/$f" "$srcdir/include" -newer "$o" | head -n 1)" ]; then
        echo "  FUZZCC   $f"
        # shellcheck disable=SC2086
        $FUZZ_CC $cppflags $cflags -fsanitize=fuzzer-no-link -c "$srcdir/$f" -o "$o"
    fi
    objs="$objs $o"
done
if [ -z "$objs" ]; then
    echo "run-fuzz: FUZZ_LIB_SOURCES is empty" >&2
    exit 2
fi
rm -f "$work/libagent-fuzz.a"
# shellcheck disable=SC2086
ar cr "$work/libagent-fuzz.a" $objs

count() {
    find "$1" -type f | wc -l | tr -d ' '
}

status=0
summary=
for t in "$@"; do
    bin=$work/fuzz-$t
    echo "  FUZZLD   fuzz-$t"
    # shellcheck disable=SC2086
    $FUZZ_CC $cppflags $cflags -fsanitize=fuzzer \
        "$srcdir/test/fuzz/fuzz-$t.c" "$work/libagent-fuzz.a" $FUZZ_LIBS -lm \
        -o "$bin"

    corpus=$work/corpus/$t
    crashes=$work/crashes/$t
    rm -rf "$corpus" "$crashes"
    mkdir -p "$corpus" "$crashes"
    cp "$srcdir/test/fuzz/corpus/$t"/* "$corpus/"
    chmod -R u+w "$corpus" # distcheck's source tree is read-only
    seeds=$(count "$corpus")
    dict=
    [ -f "$srcdir/test/fuzz/$t.dict" ] && dict=-dict=$srcdir/test/fuzz/$t.dict

    echo "  FUZZ     $t for ${FUZZ_SECONDS}s (log: $work/fuzz-$t.log)"
    rc=0
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" $dict $FUZZ_ARGS \
        "$corpus" >"$work/fuzz-$t.log" 2>&1 || rc=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
        "$work/fuzz-$t.log" | tail -n 1)
    found=$(count "$crashes")
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        status=1
        what="FOUND $found input(s) in $crashes (exit $rc)"
        grep -m 3 -E 'ERROR: |runtime error: |SUMMARY: ' "$work/fuzz-$t.log" |
            sed 's/^/    /' || true
    else
        what="nothing found"
    fi
    line=$(printf '%-10s %10s executions, corpus %s -> %s inputs, %s' "$t" \
        "${execs:-?}" "$seeds" "$(count "$corpus")" "$what")
    summary="$summary
  $line"
done
echo "fuzz results (${FUZZ_SECONDS}s per target):$summary"
exit $status
