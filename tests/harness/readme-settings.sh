#!/bin/sh
# readme-settings.sh: keeps README's settings table the one the code prints: replaces the lines between
# the two marker lines below with tests/harness/settings-table's output (make readme-settings), or with
# --check only says whether they differ (tests/integration/readme.sh, in make check).
#
# usage: readme-settings.sh [--check] README SETTINGS_TABLE_PROGRAM
set -eu

begin='    (settings table: generated from shared/config.c by make readme-settings; do not edit it here)'
end='    (end of the generated settings table)'

check=no
if [ "${1:-}" = --check ]; then check=yes; shift; fi
readme=${1:?usage: readme-settings.sh [--check] README SETTINGS_TABLE_PROGRAM}
program=${2:?usage: readme-settings.sh [--check] README SETTINGS_TABLE_PROGRAM}
die() { echo "readme-settings.sh: $*" >&2; exit 1; }

[ "$(grep -cxF -e "$begin" "$readme")" = 1 ] && [ "$(grep -cxF -e "$end" "$readme")" = 1 ] ||
	die "$readme must hold each marker line exactly once: '$begin' and '$end'"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/readme-settings.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$program" >"$tmp/table" || die "$program failed"
# README up to the begin marker, a blank line, the table, a blank line, then README from the end marker.
awk -v begin="$begin" -v end="$end" -v table="$tmp/table" '
	$0 == begin { print; print ""; while ((getline line < table) > 0) print line; print ""; skip = 1; next }
	$0 == end { skip = 0 }
	!skip { print }
' "$readme" >"$tmp/README"

if cmp -s "$readme" "$tmp/README"; then
	exit 0
elif [ "$check" = yes ]; then
	diff -u "$readme" "$tmp/README" >&2 || true
	die "$readme's settings table differs from the code's (above, - README, + code): run make readme-settings"
else
	cat "$tmp/README" >"$readme" # in place, keeping the file's mode
	echo "readme-settings.sh: $readme: settings table regenerated"
fi
