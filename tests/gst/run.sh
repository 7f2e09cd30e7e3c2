#!/usr/bin/env bash
# frameseal's GStreamer plugin in real pipelines:
#   tests/gst/run.sh BUILD_DIR [CASE ...]
# 1. tests/gst/loopback.py: encoder ! framesealenc ! payloader ! udpsink into udpsrc ! depayloader !
#    framesealdec ! decoder on loopback, per codec (VP8, VP9, H.264, H.265, Opus), against an
#    unencrypted reference; wrong keys; key changes mid-stream; AV1 refused; no key in any output.
# 2. tests/gst/browser.mjs: headless Chromium running livekit-client 2.23.0's E2EE worker against a
#    webrtcbin peer using the plugin, both directions, VP8/H.264 and Opus, as RTCRtpScriptTransform
#    and as encodedInsertableStreams; a wrong key on both sides.
# Needs what tools/bootstrap installs (GStreamer, python3-gi, chromium) and installs the npm package
# of tests/interop/livekit-js when it is missing. Fails, with the reason, when something is absent.
# The last line is "gst: N passed, M failed".
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build=${1:?usage: $0 BUILD_DIR [CASE ...]}
shift
[[ $build == /* ]] || build="$PWD/$build"
plugin="$build/gst/libgstframeseal.so"
passed=0
failed=0
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

if [[ ! -f $plugin ]]; then
  fail "plugin: $plugin was not built (meson -Dgstreamer=enabled needs libgstreamer1.0-dev and libgstreamer-plugins-base1.0-dev)"
  echo "gst: $passed passed, $failed failed"
  exit 1
fi
export GST_PLUGIN_PATH="$build/gst"
# A private registry, so a stale system cache cannot hide the plugin from this build.
GST_REGISTRY="$(mktemp -d)/registry.bin"
export GST_REGISTRY

lk="$here/../interop/livekit-js"
if [[ ! -f $lk/node_modules/livekit-client/dist/livekit-client.e2ee.worker.mjs ]]; then
  (cd "$lk" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || fail "npm ci in $lk"
fi

tally() {  # counts the "ok"/"FAIL" lines of one harness; a harness that printed none counts as failed
  local out=$1 status=$2 name=$3 ok bad
  echo "$out"
  ok=$(grep -c '^ok ' <<<"$out")
  bad=$(grep -c '^FAIL ' <<<"$out")
  passed=$((passed + ok)); failed=$((failed + bad))
  if ((status != 0 && bad == 0)); then fail "$name exited with $status"; fi
}

out=$(/usr/bin/python3 "$here/loopback.py" "$@" 2>&1); tally "$out" $? loopback
out=$(node "$here/browser.mjs" "$@" 2>&1); tally "$(grep -v '^browser: ' <<<"$out")" $? browser
echo "gst: $passed passed, $failed failed"
((failed == 0))
