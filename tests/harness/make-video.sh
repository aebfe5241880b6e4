#!/bin/sh
# make-video.sh OUT SECONDS [START END TEXT]...: writes a small H.264 MP4 (640x360, or $VIDEO_SIZE; 25 fps;
# a tone for sound) with burned-in subtitles as most videos have them: each TEXT shown from START to END seconds,
# rendered by ffmpeg's subtitles filter (libass) from an .srt it writes beside OUT (OUT.srt): white DejaVu
# Sans with a black outline, near the bottom, over a moving background (ffmpeg's testsrc2 pattern). TEXT
# may hold any characters but a newline; "|" starts a second line.
set -eu
out=${1:?usage: make-video.sh OUT SECONDS [START END TEXT]...}
secs=${2:?usage: make-video.sh OUT SECONDS [START END TEXT]...}
shift 2
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] ||
	{ echo "make-video.sh: DejaVu Sans missing (Debian package fonts-dejavu-core)" >&2; exit 1; }
srt="$out.srt"
: >"$srt"
n=0
# srt_time SECONDS: HH:MM:SS,mmm
srt_time() {
	awk -v t="$1" 'BEGIN { ms = int(t * 1000 + 0.5); printf "%02d:%02d:%02d,%03d", ms / 3600000, (ms / 60000) % 60, (ms / 1000) % 60, ms % 1000 }'
}
while [ $# -ge 3 ]; do
	n=$((n + 1))
	printf '%d\n%s --> %s\n%s\n\n' "$n" "$(srt_time "$1")" "$(srt_time "$2")" "$(printf '%s' "$3" | tr '|' '\n')" >>"$srt"
	shift 3
done
style="FontName=DejaVu Sans,Fontsize=22,PrimaryColour=&H00FFFFFF,OutlineColour=&H00000000,BorderStyle=1,Outline=2,Shadow=1,MarginV=18"
ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=${VIDEO_SIZE:-640x360}:r=25:d=$secs" -f lavfi -i "sine=f=440:d=$secs" \
	-vf "subtitles=filename='$srt':force_style='$style'" -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac \
	-shortest "$out"
