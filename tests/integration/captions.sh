#!/bin/sh
# captions.sh: the local backend's caption reader (shared/local/subtitles.c, through
# tests/harness/read-captions) on the check corpus tests/harness/caption-corpus.sh makes: realistic dialogue
# (tests/captions/*.srt: two-line captions, italics, punctuation, digits, currency, back-to-back captions,
# empty stretches) burned by libass in the three styles (white outlined, yellow outlined, half-transparent
# box) over four moving backgrounds, a slow pan and a still picture, 640x360 to 1280x720. The scorer
# (tests/harness/caption-score) prints precision, recall, F1, CER and timing errors per video and for all;
# the floors are tighter than the local backend's targets (F1 >= 0.95, CER <= 0.03 on matched captions,
# every start and end within one sample period, 0.25 s) by what holds with a margin: F1 >= 0.97 (one
# caption missed or made up of the 56), CER <= 0.02 (measured 0.006-0.012: x264 does not encode the same
# videos bit for bit each run), every start and end within 0.1 s (three frames; measured within one); and
# each video on its own within the targets' F1 and CER.
# The check corpus has yellow text over testsrc2's yellow bar and over a yellow gradient under grain (a
# background of the text's own colour, told apart only by the outline), the hardest cases for yellow.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
dir=$(mktemp -d "${TMPDIR:-/tmp}/captionacc-captions.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM
# One tesseract thread, as the runner runs it (LOCAL_OCR_THREADS): the same reading every time.
OMP_THREAD_LIMIT=1
export OMP_THREAD_LIMIT

"$top_srcdir/tests/harness/caption-corpus.sh" "$dir" check
set --
while read -r name style background size fps; do
	"$top_builddir/tests/harness/read-captions" "$dir/$name.mp4" >"$dir/$name.tsv" 2>"$dir/$name.cost"
	echo "$name ($style text over $background, $size at $fps fps): $(cat "$dir/$name.cost")"
	set -- "$@" "$name=$dir/$name.srt:$dir/$name.tsv"
done <"$dir/corpus.txt"
"$top_builddir/tests/harness/caption-score" --verbose --floors 0.97,0.02,0.1 --each 0.95,0.03 "$@"
