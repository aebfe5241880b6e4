#!/bin/sh
# caption-corpus.sh OUTDIR [check|bench]: makes the caption test corpus: the dialogue of
# tests/captions/*.srt burned into videos with ffmpeg's subtitles filter (libass, DejaVu Sans from
# fonts-dejavu) in three styles: white text with a black outline ("white"), yellow text with a black
# outline ("yellow"), white text in a half-transparent black box ("box"), over six backgrounds: four
# moving ffmpeg sources (testsrc2, a mandelbrot zoom, a cellular automaton, a gradient under grain), a slow
# pan across a picture and a still picture, 640x360 to 1280x720, at 24, 25 and 30 fps.
# The sources' random parts are fixed, so a run reads the same pictures as the last: the gradient's
# colours are given (ffmpeg draws "random" colours afresh each run whatever its seed), gold to white: the
# yellow text over a background of its own colour and lighter; the automaton's start and the grain are
# seeded.
# "check" (the default) makes seven videos: each background once, yellow also over the gradient, each
# style at least twice (make check); "bench" makes all eighteen (make bench-captions).
# It writes OUTDIR/NAME.mp4 and OUTDIR/NAME.srt for each video and OUTDIR/corpus.txt, one line per video:
# NAME STYLE BACKGROUND WIDTHxHEIGHT FPS. Videos already made are kept (the bench reuses them).
set -eu
out=${1:?usage: caption-corpus.sh OUTDIR [check|bench]}
set_=${2:-check}
here=$(cd "$(dirname "$0")" && pwd)
srts="$here/../captions"
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] ||
	{ echo "caption-corpus.sh: DejaVu Sans missing (Debian package fonts-dejavu-core)" >&2; exit 1; }
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' subtitles ' ||
	{ echo "caption-corpus.sh: this ffmpeg has no subtitles filter (libass)" >&2; exit 1; }
mkdir -p "$out"
secs=24

# style NAME: libass's force_style for it (ASS colours are &HAABBGGRR; alpha 80 is half transparent).
style() {
	case $1 in
	white) echo "FontName=DejaVu Sans,Fontsize=22,PrimaryColour=&H00FFFFFF,OutlineColour=&H00000000,BorderStyle=1,Outline=2,Shadow=1,MarginV=18" ;;
	yellow) echo "FontName=DejaVu Sans,Fontsize=20,PrimaryColour=&H0000FFFF,OutlineColour=&H00000000,BorderStyle=1,Outline=2,Shadow=0,MarginV=18" ;;
	box) echo "FontName=DejaVu Sans,Fontsize=20,PrimaryColour=&H00FFFFFF,OutlineColour=&H80000000,BackColour=&H80000000,BorderStyle=3,Outline=3,Shadow=0,MarginV=18" ;;
	esac
}

# background NAME: "SRT WIDTHxHEIGHT FPS LAVFI-GRAPH" (the graph makes $secs s of frames of that size).
background() {
	case $1 in
	testsrc2) echo "diner 640x360 25 testsrc2=s=640x360:r=25" ;;
	mandelbrot) echo "station 854x480 25 mandelbrot=s=428x240:r=25:end_scale=0.02,scale=854:480" ;;
	cellauto) echo "lab 1280x720 30 cellauto=s=640x360:r=30:rule=110:seed=1,scale=1280:720:flags=neighbor" ;;
	grain) echo "harbour 960x540 25 gradients=s=480x270:r=25:speed=0.03:seed=1:c0=0xffd700:c1=0xffffff,scale=960:540,noise=alls=24:allf=t:all_seed=7" ;;
	pan) echo "office 1280x720 24 mandelbrot=s=1920x1080:r=1:start_x=-0.7436439:start_y=0.1318259:start_scale=0.006:maxiter=300,trim=end_frame=1,loop=-1:1,fps=24,crop=1280:720:'40+t*24':'120+t*6'" ;;
	still) echo "garden 640x360 25 mandelbrot=s=640x360:r=1:start_x=-0.16:start_y=1.0405:start_scale=0.05:maxiter=200,trim=end_frame=1,loop=-1:1,fps=25" ;;
	esac
}

case $set_ in
check) combos="testsrc2:yellow mandelbrot:yellow cellauto:box grain:white grain:yellow pan:box still:white" ;;
bench) combos=
	for b in testsrc2 mandelbrot cellauto grain pan still; do
		for s in white yellow box; do combos="$combos $b:$s"; done
	done ;;
*) echo "caption-corpus.sh: the set is check or bench" >&2; exit 1 ;;
esac

: >"$out/corpus.txt.new"
for c in $combos; do
	b=${c%%:*} s=${c#*:}
	set -- $(background "$b")
	srt=$1 size=$2 fps=$3 graph=$4
	name="$b-$s"
	cp "$srts/$srt.srt" "$out/$name.srt"
	if [ ! -s "$out/$name.mp4" ]; then
		ffmpeg -nostdin -v error -y -f lavfi -i "$graph,trim=duration=$secs,setpts=PTS-STARTPTS,format=yuv420p" \
			-vf "subtitles=filename='$out/$name.srt':force_style='$(style "$s")'" \
			-c:v libx264 -preset veryfast -crf 21 -pix_fmt yuv420p -r "$fps" -an "$out/$name.tmp.mp4"
		mv "$out/$name.tmp.mp4" "$out/$name.mp4"
	fi
	echo "$name $s $b $size $fps" >>"$out/corpus.txt.new"
done
mv "$out/corpus.txt.new" "$out/corpus.txt"
