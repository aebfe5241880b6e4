#!/bin/sh
# make-video.sh OUT SECONDS [START END TEXT]...: writes a small H.264 MP4 with burned-in captions: white
# DejaVu Sans Bold text on an opaque black box near the bottom, each shown from START to END seconds, over a
# plain coloured background with a tone for sound. Text may hold letters, digits and spaces.
set -eu
out=${1:?usage: make-video.sh OUT SECONDS [START END TEXT]...}
secs=${2:?usage: make-video.sh OUT SECONDS [START END TEXT]...}
shift 2
font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
[ -f "$font" ] || { echo "make-video.sh: $font missing (Debian package fonts-dejavu-core)" >&2; exit 1; }
vf=null
while [ $# -ge 3 ]; do
	case $3 in *[!A-Za-z0-9\ ]*) echo "make-video.sh: caption text may hold letters, digits and spaces" >&2; exit 1 ;; esac
	vf="$vf,drawtext=fontfile=$font:text='$3':fontsize=36:fontcolor=white:box=1:boxcolor=black:boxborderw=12"
	vf="$vf:x=(w-text_w)/2:y=h-th-40:enable='between(t\\,$1\\,$2)'"
	shift 3
done
ffmpeg -nostdin -v error -y -f lavfi -i "color=c=0x336699:s=640x360:d=$secs:r=25" \
	-f lavfi -i "sine=f=440:d=$secs" -vf "$vf" -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest "$out"
