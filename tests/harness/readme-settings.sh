#!/bin/sh
# readme-settings.sh: keeps README's settings table the one the code prints: replaces the lines between
# the two marker lines below with tests/harness/settings-table's output (make readme-settings), or with
# --check only says whether they differ (tests/integration/readme.sh, in make check). With --mdoc, the same
# for a manual page in doc/ (roff comment markers, no blank lines; tests/integration/manpages.sh), the
# program's arguments after its name (--mdoc, and fcgi or runner for one program's settings).
#
# usage: readme-settings.sh [--check] [--mdoc] FILE SETTINGS_TABLE_PROGRAM [ARGS...]
set -eu

usage='usage: readme-settings.sh [--check] [--mdoc] FILE SETTINGS_TABLE_PROGRAM [ARGS...]'
begin='    (settings table: generated from shared/config.c by make readme-settings; do not edit it here)'
end='    (end of the generated settings table)'
pad=yes

check=no
if [ "${1:-}" = --check ]; then check=yes; shift; fi
if [ "${1:-}" = --mdoc ]; then
	begin='.\" (settings table: generated from shared/config.c by make readme-settings; do not edit it here)'
	end='.\" (end of the generated settings table)'
	pad=no
	shift
fi
readme=${1:?$usage}
program=${2:?$usage}
shift 2
die() { echo "readme-settings.sh: $*" >&2; exit 1; }

[ "$(grep -cxF -e "$begin" "$readme")" = 1 ] && [ "$(grep -cxF -e "$end" "$readme")" = 1 ] ||
	die "$readme must hold each marker line exactly once: '$begin' and '$end'"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/readme-settings.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$program" "$@" >"$tmp/table" || die "$program $* failed"
# README up to the begin marker, a blank line, the table, a blank line, then README from the end marker
# (a manual page: without the blank lines).
# (The markers reach awk through the environment: -v would read the backslash of .\" as an escape.)
begin="$begin" end="$end" awk -v table="$tmp/table" -v pad="$pad" '
	BEGIN { begin = ENVIRON["begin"]; end = ENVIRON["end"] }
	$0 == begin { print; if (pad == "yes") print ""; while ((getline line < table) > 0) print line
		if (pad == "yes") print ""; skip = 1; next }
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
