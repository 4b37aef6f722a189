#!/usr/bin/env bash
# Lays out the media of the README's presentation-attack evaluation in DIR:
#   DIR/bonafide/photos   the real face photos of ../shared/faces
#   DIR/bonafide/footage  the real webcam clips of ../shared/footage (mp4 → y4m
#                         with ffmpeg at 5 fps; the GIF as it is)
#   DIR/bonafide/facegen  facegen clips of each photo (a head that turns)
#   DIR/attack/facegen-photo, DIR/attack/facegen-screen
#                         facegen's attacks on each photo: a moved print and a
#                         replay on a screen, DIGITAL RE-RENDERS without the
#                         optics of a print or a screen
# then: go run ./cmd/pad-eval -bonafide DIR/bonafide -attack DIR/attack -simulate
# Usage: scripts/pad-data.sh DIR [SHARED]   (SHARED defaults to ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/pad-data.sh DIR [SHARED]}
shared=${2:-../shared}
command -v ffmpeg >/dev/null || { echo "pad-data: ffmpeg is needed (apt-get install ffmpeg)"; exit 1; }
mkdir -p "$out"/bonafide/{photos,footage,facegen} "$out"/attack/{facegen-photo,facegen-screen}
cp "$shared"/faces/*.jpg "$shared"/faces/*.png "$out"/bonafide/photos/
for clip in "$shared"/footage/*.mp4; do
	ffmpeg -loglevel error -y -i "$clip" \
		-vf "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=5" \
		-pix_fmt yuv420p -f yuv4mpegpipe "$out/bonafide/footage/$(basename "${clip%.*}").y4m"
done
cp "$shared"/footage/*.gif "$out"/bonafide/footage/
go build -o "$out/facegen" ./cmd/facegen
script="neutral 1s; HEAD_LEFT 25deg 1s; neutral 1s"
for face in "$shared"/faces/*.jpg "$shared"/faces/*.png; do
	name=$(basename "${face%.*}")
	"$out/facegen" -face "$face" -script "$script" -out "$out/bonafide/facegen/$name.y4m"
	for attack in flat screen; do
		dir=facegen-photo
		[ "$attack" = screen ] && dir=facegen-screen
		"$out/facegen" -face "$face" -script "$script" -attack "$attack" -out "$out/attack/$dir/$name.y4m"
	done
done
rm -f "$out/facegen" "$out"/*/*/*.truth.json
