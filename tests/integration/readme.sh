#!/bin/sh
# readme.sh: README's settings table is the one the code prints (tests/harness/settings-table, made from
# config_usage, the text of both programs' --help), every setting either --help lists is in it, and
# tests/harness/readme-settings.sh finds a stale table and rewrites it.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
table="$top_builddir/tests/harness/settings-table"
gen="$top_srcdir/tests/harness/readme-settings.sh"

check "README's settings table is the code's (if not: make readme-settings)" \
	sh "$gen" --check "$top_srcdir/README" "$table"

# Independently of the generator: each setting --help prints starts a line of README's table.
sed -n '/^    (settings table: generated/,/^    (end of the generated settings table)$/p' "$top_srcdir/README" \
	>"$dir/table"
for p in "$runner" "$top_builddir/fcgi/captionacc-fcgi"; do
	"$p" --help | sed -n '/^Settings/,$s/^  \([A-Z][A-Z0-9_]*\) .*/\1/p' >"$dir/$(basename "$p").names"
	missing=
	for name in $(cat "$dir/$(basename "$p").names"); do
		grep -q "^    $name " "$dir/table" || missing="$missing $name"
	done
	check "$(basename "$p") --help lists settings ($(wc -l <"$dir/$(basename "$p").names"))" \
		test -s "$dir/$(basename "$p").names"
	check_eq "every setting $(basename "$p") --help lists is in README" "$missing" ""
done

# The script on a copy: a stale table is found, rewritten, and then matches.
awk '/^    \(settings table: generated/ { n = NR } !n || NR != n + 2' "$top_srcdir/README" >"$dir/README"
check "a README missing its first setting's line fails the check" \
	sh -c '! sh "$1" --check "$2" "$3" 2>/dev/null' _ "$gen" "$dir/README" "$table"
check "readme-settings.sh rewrites the stale table" sh "$gen" "$dir/README" "$table"
check "the rewritten table passes the check" sh "$gen" --check "$dir/README" "$table"
check "the rewritten README is the real one" cmp -s "$dir/README" "$top_srcdir/README"
grep -v '^    (end of the generated settings table)$' "$top_srcdir/README" >"$dir/README"
check "a README without the end marker is refused" sh -c '! sh "$1" "$2" "$3" 2>/dev/null' _ \
	"$gen" "$dir/README" "$table"
finish
