#!/bin/sh
# run.sh: `make fuzz`. Builds the shared library's parsers and each target here with clang's libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer, replays every saved finding (tests/fuzz/regressions/),
# then fuzzes each target for FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/). Prints executions
# and findings per target; exits 1 on any finding (its input is kept under fuzz-build/findings/: copy it
# to tests/fuzz/regressions/TARGET/ with the fix).
# Usage: run.sh SRCDIR SECONDS "LIBRARY SOURCES" "CFLAGS" "LIBS" [TARGET ...]
set -eu
srcdir=$1 seconds=$2 sources=$3 cflags=$4 libs=$5
shift 5
targets=${*:-json webhook params validate token config gpu}
cc=${FUZZ_CC:-clang}
build=fuzz-build
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
command -v "$cc" >/dev/null || { echo "fuzz: $cc not found (Debian package clang)"; exit 1; }
mkdir -p "$build/obj" "$build/findings"
objs=
for src in $sources; do
	case $src in *.c) ;; *) continue ;; esac
	obj="$build/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
	if [ ! -f "$obj" ] || [ "$srcdir/$src" -nt "$obj" ]; then
		# shellcheck disable=SC2086
		"$cc" -g -O1 -std=c11 -D_GNU_SOURCE $san -fsanitize=fuzzer-no-link -I"$srcdir" -I. $cflags \
			-c "$srcdir/$src" -o "$obj"
	fi
	objs="$objs $obj"
done
total=0 found=0
for t in $targets; do
	bin="$build/fuzz_$t"
	# shellcheck disable=SC2086
	"$cc" -g -O1 -std=c11 -D_GNU_SOURCE $san -fsanitize=fuzzer -I"$srcdir" -I. $cflags \
		"$srcdir/tests/fuzz/fuzz_$t.c" $objs $libs -o "$bin"
	reg="$srcdir/tests/fuzz/regressions/$t"
	if [ -d "$reg" ] && [ -n "$(ls "$reg")" ]; then
		"$bin" "$reg"/* >"$build/$t.replay.log" 2>&1 ||
			{ echo "fuzz $t: a saved finding fails again:"; tail -n 30 "$build/$t.replay.log"; exit 1; }
	fi
	mkdir -p "$build/corpus/$t"
	rc=0
	ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 \
		-artifact_prefix="$build/findings/$t-" "$build/corpus/$t" "$srcdir/tests/fuzz/corpus/$t" \
		>"$build/$t.log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$t.log" | tail -n 1)
	n=$(ls "$build/findings" | grep -c "^$t-" || true)
	printf 'fuzz %-9s %10s executions in %s s, corpus %s inputs, findings %s\n' "$t" "${execs:-?}" "$seconds" \
		"$(ls "$build/corpus/$t" | wc -l)" "$n"
	total=$((total + ${execs:-0}))
	if [ "$rc" -ne 0 ] || [ "$n" -gt 0 ]; then
		found=$((found + 1))
		grep -E 'ERROR|SUMMARY|runtime error' "$build/$t.log" | head -n 5
	fi
done
echo "fuzz: $total executions, $found target(s) with findings"
[ "$found" -eq 0 ]
