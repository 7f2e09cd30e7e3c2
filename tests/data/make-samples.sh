#!/usr/bin/env bash
# Regenerates the bundled media samples with ffmpeg (Debian 12's 5.1: libx264, libx265, libvpx,
# libaom, libopus). The files are committed; this script documents how they were made. Encoders
# are not bit-exact across versions, so a rerun gives different bytes but equivalent samples.
set -euo pipefail
cd "$(dirname "$0")"
ff=(ffmpeg -hide_banner -loglevel error -y)
video=(-f lavfi -i testsrc2=size=160x120:rate=25:duration=2)
"${ff[@]}" "${video[@]}" -c:v libx264 -preset medium -g 10 -pix_fmt yuv420p -f h264 h264-160x120-2s.h264
"${ff[@]}" "${video[@]}" -c:v libx265 -x265-params log-level=error:keyint=10:min-keyint=10 -pix_fmt yuv420p -f hevc h265-160x120-2s.h265
"${ff[@]}" "${video[@]}" -c:v libvpx -g 10 -b:v 300k -f ivf vp8-160x120-2s.ivf
"${ff[@]}" "${video[@]}" -c:v libvpx-vp9 -g 10 -b:v 300k -f ivf vp9-160x120-2s.ivf
"${ff[@]}" -f lavfi -i sine=frequency=440:sample_rate=48000:duration=2 -ac 2 -c:a libopus -b:a 32k -f ogg opus-48k-stereo-2s.opus
"${ff[@]}" -f lavfi -i testsrc2=size=64x64:rate=25:duration=0.4 -c:v libaom-av1 -cpu-used 8 -g 5 -f ivf av1-64x64-10f.ivf
ls -l ./*.h264 ./*.h265 ./*.ivf ./*.opus
