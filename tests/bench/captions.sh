#!/bin/sh
# captions.sh (make bench-captions): the local backend's caption reader on the whole corpus
# (tests/harness/caption-corpus.sh bench: the six backgrounds in each of the three styles, 18 videos of
# 24 s, kept in tests/bench/caption-corpus/ of the build tree for the next run). Per style it prints the
# scorer's figures (F1, CER, start/end error; tests/harness/caption-score) and the CPU seconds per minute
# of video on one core (tesseract limited to one thread), the reader's own and ffmpeg's, beside the
# ceiling measured in the same run: the CPU of just decoding the same band of the same videos (ffmpeg
# decoding, cropping and piping the frames, nothing else).
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
corpus="$top_builddir/tests/bench/caption-corpus"
read="$top_builddir/tests/harness/read-captions"
OMP_THREAD_LIMIT=1
export OMP_THREAD_LIMIT

echo "== caption reader benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(nproc) cores," \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "   making the corpus in $corpus (kept for the next run)"
"$top_srcdir/tests/harness/caption-corpus.sh" "$corpus" bench
for style in white yellow box; do
	set --
	: >"$corpus/$style.cost"
	: >"$corpus/$style.decode"
	while read -r name s background size fps; do
		[ "$s" = "$style" ] || continue
		"$read" "$corpus/$name.mp4" >"$corpus/$name.tsv" 2>>"$corpus/$style.cost"
		"$read" --decode-only "$corpus/$name.mp4" >/dev/null 2>>"$corpus/$style.decode"
		set -- "$@" "$background=$corpus/$name.srt:$corpus/$name.tsv"
	done <"$corpus/corpus.txt"
	echo
	echo "== $style: $# videos ($(awk -v s="$style" '$2 == s { printf "%s%s %s", n++ ? ", " : "", $3, $4 }' "$corpus/corpus.txt"))"
	"$top_builddir/tests/harness/caption-score" "$@"
	# cost lines: "frames F samples S ocr O cpu SELF children FFMPEG duration D"
	awk -v style="$style" 'FNR == NR { dself += $8; dkid += $10; next }
		{ self += $8; kid += $10; secs += $12; ocr += $6 }
		END { m = secs / 60
			printf "%s: CPU per minute of video: %.2f s (reader %.2f s + ffmpeg %.2f s; %d OCR runs); ceiling, just decoding the band: %.2f s\n",
				style, (self + kid) / m, self / m, kid / m, ocr, (dself + dkid) / m }' \
		"$corpus/$style.decode" "$corpus/$style.cost"
done
