#!/bin/sh
# manpages.sh: the manual pages in doc/ are clean for mandoc -T lint (no warning or error) and for groff
# -ww (when groff is here), their SETTINGS lists are the code's (tests/harness/settings-table --mdoc, put
# in by make readme-settings), every setting and command the programs' --help lists is in its page, and a
# broken page or a stale list is caught.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/harness/check.sh"
table="$top_builddir/tests/harness/settings-table"
gen="$top_srcdir/tests/harness/readme-settings.sh"
fcgi="$top_builddir/fcgi/captionacc-fcgi"
doc="$top_srcdir/doc"

if ! command -v mandoc >/dev/null 2>&1; then
	echo "manpages.sh: mandoc not found: install the Debian package mandoc (tests/harness/install-deps.sh)" >&2
	exit 1
fi

# lint PAGE: no mandoc message of level warning or above, and none from groff -ww if groff is here.
lint() {
	out=$(mandoc -T lint -W warning "$1" 2>&1) && [ -z "$out" ] || { echo "$out" >&2; return 1; }
	command -v groff >/dev/null 2>&1 || return 0
	out=$(groff -ww -mandoc -Tutf8 "$1" 2>&1 >/dev/null) && [ -z "$out" ] || { echo "$out" >&2; return 1; }
}

for page in captionacc.conf.5:"" captionacc-fcgi.8:fcgi captionacc-runner.8:runner; do
	name=${page%%:*} only=${page#*:}
	check "$name: mandoc -T lint and groff -ww are clean" lint "$doc/$name"
	# shellcheck disable=SC2086
	check "$name: its settings list is the code's (if not: make readme-settings)" \
		sh "$gen" --check --mdoc "$doc/$name" "$table" --mdoc $only
done

# Independently of the generator: each setting --help prints is an item of its program's page and of
# captionacc.conf(5); each runner command is one of captionacc-runner(8)'s.
for p in "$runner" "$fcgi"; do
	prog=$(basename "$p")
	missing=
	for name in $("$p" --help | sed -n '/^Settings/,$s/^  \([A-Z][A-Z0-9_]*\) .*/\1/p'); do
		grep -qx ".It Ev $name" "$doc/$prog.8" && grep -qx ".It Ev $name" "$doc/captionacc.conf.5" ||
			missing="$missing $name"
	done
	check_eq "every setting $prog --help lists is in $prog.8 and captionacc.conf.5" "$missing" ""
done
missing=
for cmd in $("$runner" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'); do
	grep -Eq "^(\.It )?\.?Cm $cmd( |\$)" "$doc/captionacc-runner.8" || missing="$missing $cmd"
done
check_eq "every command captionacc-runner --help lists is in captionacc-runner.8" "$missing" ""
check "LOG_SYSLOG is in captionacc.conf.5" grep -qx ".It Ev LOG_SYSLOG" "$doc/captionacc.conf.5"

# Broken copies are caught: an unclosed list, a stale settings list.
sed '/^\.Sh FILES$/,/^\.El$/{/^\.El$/d}' "$doc/captionacc-runner.8" >"$dir/broken.8"
check "a page with an unclosed list fails the lint" sh -c '! lint_out=$(mandoc -T lint -W warning "$1" 2>&1) ||
	[ -n "$lint_out" ]' _ "$dir/broken.8"
awk '/^\.It Ev LOG_SYSLOG$/ { skip = 2 } skip { skip--; next } { print }' "$doc/captionacc.conf.5" >"$dir/stale.5"
check "a page whose settings list misses LOG_SYSLOG fails the check" \
	sh -c '! sh "$1" --check --mdoc "$2" "$3" --mdoc 2>/dev/null' _ "$gen" "$dir/stale.5" "$table"
check "make readme-settings' script puts it back" sh "$gen" --mdoc "$dir/stale.5" "$table" --mdoc
check "the rewritten page is the real one" cmp -s "$dir/stale.5" "$doc/captionacc.conf.5"
finish
