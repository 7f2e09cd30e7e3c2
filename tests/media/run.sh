#!/usr/bin/env bash
# The media-file tests of the frameseal CLI (encrypt, decrypt, inspect, keygen) on the samples in
# tests/data, with Debian's ffmpeg as the independent decoder.
#   tests/media/run.sh FRAMESEAL_BIN
# One line per case, "ok NAME" or "FAIL NAME: why"; the last line is "media: N passed, M failed".
# Exit status: 0 when everything passed, 1 when a case failed, 2 when the test cannot run.
# Needs ffmpeg and python3; the livekit-client cases run only when node is present.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="$here/../data"
if [[ $# -ne 1 ]]; then
  echo "usage: $0 FRAMESEAL_BIN" >&2
  exit 2
fi
bin="$1"
[[ "$bin" == /* ]] || bin="$PWD/$bin"
[[ -x "$bin" ]] || { echo "media: $bin is not an executable" >&2; exit 2; }
command -v ffmpeg >/dev/null || { echo "media: ffmpeg is required (tools/bootstrap ffmpeg)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "media: python3 is required" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
check() {  # check NAME "why" COMMAND...: ok when COMMAND succeeds
  local name=$1 why=$2
  shift 2
  if "$@"; then ok "$name"; else fail "$name" "$why"; fi
}

fmd5() { ffmpeg -nostdin -v error -i "$1" -f framemd5 - 2>"$tmp/ffmpeg.err"; }
same_frames() {  # same_frames A B: the decoded frames of A and B are identical (ffmpeg framemd5)
  local a b
  a="$(fmd5 "$1")" || return 1
  b="$(fmd5 "$2")" || return 1
  [[ -n "$a" && "$a" == "$b" && $(grep -vc '^#' <<<"$a") -gt 0 ]]
}
no_output() {  # no_output PATH: neither PATH nor a temporary file next to it exists
  local d f
  d="$(dirname "$1")"
  f="$(basename "$1")"
  [[ ! -e "$1" ]] && [[ -z "$(find "$d" -maxdepth 1 -name "$f.tmp-*" -print -quit 2>/dev/null)" ]]
}
# expect_failure NAME OUT PATTERN... -- COMMAND...: COMMAND exits 1 (usage errors: set STATUS=2)
# with one line on stderr that matches every PATTERN (grep -E), and OUT is not written.
expect_failure() {
  local name=$1 out=$2
  shift 2
  local patterns=()
  while [[ $1 != -- ]]; do patterns+=("$1"); shift; done
  shift
  "$@" >"$tmp/out.txt" 2>"$tmp/err.txt"
  local status=$? line want=${STATUS:-1}
  line="$(cat "$tmp/err.txt")"
  if [[ $status -ne $want ]]; then fail "$name" "exit status $status, expected $want (stderr: $line)"; return; fi
  if [[ $(wc -l <"$tmp/err.txt") -ne 1 ]]; then fail "$name" "expected one line on stderr, got: $line"; return; fi
  for p in "${patterns[@]}"; do
    grep -Eq -- "$p" "$tmp/err.txt" || { fail "$name" "message does not match /$p/: $line"; return; }
  done
  no_output "$out" || { fail "$name" "output or temporary file left behind"; return; }
  ok "$name"
}

declare -A sample=(
  [h264]="$data/h264-160x120-2s.h264"
  [h265]="$data/h265-160x120-2s.h265"
  [vp8]="$data/vp8-160x120-2s.ivf"
  [vp9]="$data/vp9-160x120-2s.ivf"
  [opus]="$data/opus-48k-stereo-2s.opus"
  [av1]="$data/av1-64x64-10f.ivf"
)
declare -A ext=([h264]=h264 [h265]=h265 [vp8]=ivf [vp9]=ivf [opus]=opus [av1]=ivf)
for c in "${!sample[@]}"; do
  [[ -f "${sample[$c]}" ]] || { echo "media: missing sample ${sample[$c]}" >&2; exit 2; }
done

key="$tmp/k.key"
"$bin" keygen -q "$key" || { echo "media: frameseal keygen failed" >&2; exit 2; }
"$bin" keygen -q "$tmp/other.key"

# --- keygen
check keygen "expected a 32-byte file of mode 600" \
  bash -c '[[ $(stat -c %a "$1") == 600 && $(stat -c %s "$1") == 32 ]]' _ "$key"
expect_failure keygen-no-overwrite "$tmp/none" "$key" "File exists" -- "$bin" keygen -q "$key"
"$bin" keygen -q --hex "$tmp/hex.key"
check keygen-hex "expected 64 hex digits and a newline" grep -Eqx '[0-9a-f]{64}' "$tmp/hex.key"
# --force replaces what is at FILE, never writes through it: a planted symlink is replaced (its target
# unchanged), a file of another user is replaced by a new 0600 file of ours.
echo "not a key" >"$tmp/victim"
ln -s "$tmp/victim" "$tmp/planted.key"
"$bin" keygen -q --force "$tmp/planted.key"
check keygen-force-symlink "the symlink's target was written, or FILE is not a new 0600 file" \
  bash -c '[[ $(cat "$1") == "not a key" && ! -L "$2" && -f "$2" && $(stat -c %a "$2") == 600 && $(stat -c %s "$2") == 32 ]]' \
  _ "$tmp/victim" "$tmp/planted.key"
ln -s "$tmp/nowhere" "$tmp/dangling.key"
expect_failure keygen-no-follow "$tmp/nowhere" "File exists" -- "$bin" keygen -q "$tmp/dangling.key"
if id nobody >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
  echo "theirs" >"$tmp/theirs.key"
  chmod 0644 "$tmp/theirs.key"
  chown nobody "$tmp/theirs.key"
  "$bin" keygen -q --force "$tmp/theirs.key"
  check keygen-force-other-owner "the key went into another user's file, or its mode is not 600" \
    bash -c '[[ $(stat -c "%U %a %s" "$1") == "$(id -un) 600 32" ]]' _ "$tmp/theirs.key"
fi
check key-option-warning "--help should say that --key is visible to other local users" \
  bash -c '"$1" encrypt --help | grep -q "visible to other local users" && "$1" frame --help 2>&1 | grep -q "visible to other local users"' _ "$bin"

# --- round trips: decrypt(encrypt(x)) decodes to the same frames as x, for every codec
for c in h264 h265 vp8 vp9 opus; do
  enc="$tmp/$c.enc.ivf"
  dec="$tmp/$c.dec.${ext[$c]}"
  if ! "$bin" encrypt -q --key-file "$key" "${sample[$c]}" "$enc" 2>"$tmp/err.txt"; then
    fail "roundtrip-$c" "encrypt failed: $(cat "$tmp/err.txt")"; continue
  fi
  if ! "$bin" decrypt -q --key-file "$key" "$enc" "$dec" 2>"$tmp/err.txt"; then
    fail "roundtrip-$c" "decrypt failed: $(cat "$tmp/err.txt")"; continue
  fi
  check "roundtrip-$c" "framemd5 of the decrypted file differs from the original" same_frames "${sample[$c]}" "$dec"
done
for c in vp8 vp9; do
  check "ivf-byte-identical-$c" "the decrypted IVF is not byte-identical to the original" cmp -s "${sample[$c]}" "$tmp/$c.dec.ivf"
done

# AV1: refused in LiveKit format unless --allow-av1 (then encrypted whole, like the m125 native SDK)
expect_failure av1-refused "$tmp/av1.enc.ivf" "av1-64x64-10f.ivf" "AV1" "--allow-av1" -- \
  "$bin" encrypt -q --key-file "$key" "${sample[av1]}" "$tmp/av1.enc.ivf"
if "$bin" encrypt -q --allow-av1 --key-file "$key" "${sample[av1]}" "$tmp/av1.enc.ivf" &&
   "$bin" decrypt -q --key-file "$key" "$tmp/av1.enc.ivf" "$tmp/av1.dec.ivf"; then
  check roundtrip-av1-allowed "framemd5 differs" same_frames "${sample[av1]}" "$tmp/av1.dec.ivf"
  check ivf-byte-identical-av1 "not byte-identical" cmp -s "${sample[av1]}" "$tmp/av1.dec.ivf"
else
  fail roundtrip-av1-allowed "encrypt/decrypt with --allow-av1 failed"
fi

# H.264 with 3-byte start codes in the clear header: livekit-client normalises them to 4-byte ones,
# so the decrypted stream differs from the original by exactly those bytes (and decodes the same).
check h264-start-code-normalisation "the decrypted stream is not the original with its clear-header 3-byte start codes normalised" \
  python3 - "${sample[h264]}" "$tmp/h264.dec.h264" <<'PY'
import re, sys
orig, dec = (open(p, 'rb').read() for p in sys.argv[1:])
short = lambda d: len(re.findall(rb'(?<!\x00)\x00\x00\x01', d))
grown = len(dec) - len(orig)
sys.exit(0 if short(orig) > 0 and grown > 0 and short(orig) - short(dec) == grown and dec != orig else 1)
PY

# --- the encrypted IVF layout
check encrypted-ivf-layout "bad header, mark, fourccs, time stamps or header packets" \
  python3 - "$tmp" "$data" <<'PY'
import struct, sys
tmp, data = sys.argv[1:]
def ivf(path):
    d = open(path, 'rb').read()
    assert d[:4] == b'DKIF', path
    ver, hl = struct.unpack('<HH', d[4:8]); assert ver == 0 and hl == 32, path
    h = dict(fourcc=d[8:12], w=struct.unpack('<H', d[12:14])[0], h=struct.unpack('<H', d[14:16])[0],
             rate=struct.unpack('<I', d[16:20])[0], scale=struct.unpack('<I', d[20:24])[0],
             count=struct.unpack('<I', d[24:28])[0], reserved=d[28:32])
    frames, pos = [], 32
    while pos < len(d):
        n, pts = struct.unpack('<IQ', d[pos:pos + 12]); frames.append((pts, d[pos + 12:pos + 12 + n])); pos += 12 + n
    assert pos == len(d), path
    if h['reserved'][:2] == b'FS':  # encrypted: the last frame is the manifest
        pts, m = frames.pop()
        assert pts == 2**64 - 1 and len(m) == 37 and m[:5] == b'FSMF\x01', path
    return h, frames
want = {'h264': b'H264', 'h265': b'H265', 'vp8': b'VP80', 'vp9': b'VP90', 'opus': b'Opus'}
for c, fourcc in want.items():
    h, frames = ivf(f'{tmp}/{c}.enc.ivf')
    assert h['fourcc'] == fourcc and h['reserved'] == b'FS\x01\x01' and h['count'] == len(frames), (c, h)
    if c in ('vp8', 'vp9'):
        oh, of = ivf(f'{data}/{c}-160x120-2s.ivf')
        assert [p for p, _ in of] == [p for p, _ in frames] and (oh['w'], oh['h'], oh['rate'], oh['scale']) == (h['w'], h['h'], h['rate'], h['scale'])
        assert all(len(e) == len(o) + 30 and e != o for (_, o), (_, e) in zip(of, frames)), c
    if c in ('h264', 'h265'):
        assert (h['rate'], h['scale']) == (25, 1) and [p for p, _ in frames] == list(range(len(frames))), c
    if c == 'opus':
        assert (h['rate'], h['scale']) == (48000, 1)
        assert frames[0][1][:8] == b'OpusHead' and frames[1][1][:8] == b'OpusTags' and frames[0][0] == frames[1][0] == 0
        pts = [p for p, _ in frames[2:]]
        assert pts == sorted(pts) and pts[0] > 0
PY

# --- the container is authenticated (manifest): any change exits 1 and writes nothing
python3 - "$tmp" <<'PY'
import struct, sys
tmp = sys.argv[1]
def frames(d):
    out, pos = [], 32
    while pos < len(d):
        n, pts = struct.unpack('<IQ', d[pos:pos + 12]); out.append((pos, n, pts)); pos += 12 + n
    return out
def frame_bytes(d, f): return d[f[0]:f[0] + 12 + f[1]]
d = open(f'{tmp}/opus.enc.ivf', 'rb').read()
fr = frames(d)
head, tags, a1, a2, man = fr[0], fr[1], fr[2], fr[3], fr[-1]
def w(name, data): open(f'{tmp}/tamper-{name}.ivf', 'wb').write(data)
g = bytearray(d); g[head[0] + 12 + 16:head[0] + 12 + 18] = struct.pack('<h', 32767)  # OpusHead output gain +128 dB
w('gain', bytes(g))
tags2 = frame_bytes(d, tags)
w('inject-tags', d[:a1[0]] + tags2 + d[a1[0]:])
p = bytearray(d); p[a1[0] + 4:a1[0] + 12] = struct.pack('<Q', a1[2] + 960)
w('pts', bytes(p))
w('drop', d[:a1[0]] + d[a2[0]:])
w('duplicate', d[:a2[0]] + frame_bytes(d, a1) + d[a2[0]:])
w('swap', d[:a1[0]] + frame_bytes(d, a2) + frame_bytes(d, a1) + d[a2[0] + 12 + a2[1]:])
w('cut', d[:man[0]])
w('append', d + frame_bytes(d, a1))
hd = bytearray(d); hd[12:14] = struct.pack('<H', 7)
w('header', bytes(hd))
PY
# An injected OpusTags packet lands where an audio frame is expected: that frame fails first.
expect_failure manifest-inject-tags "$tmp/tamper-inject-tags.out" "frame 2" "nothing written" -- \
  "$bin" decrypt -q --key-file "$key" "$tmp/tamper-inject-tags.ivf" "$tmp/tamper-inject-tags.out"
for t in gain pts drop duplicate swap header; do
  expect_failure "manifest-$t" "$tmp/tamper-$t.out" "does not authenticate" "nothing written" -- \
    "$bin" decrypt -q --key-file "$key" "$tmp/tamper-$t.ivf" "$tmp/tamper-$t.out"
done
for t in cut append; do
  expect_failure "manifest-$t" "$tmp/tamper-$t.out" "no manifest" "nothing written" -- \
    "$bin" decrypt -q --key-file "$key" "$tmp/tamper-$t.ivf" "$tmp/tamper-$t.out"
done
check manifest-inspect "inspect should report the manifest, and exit 1 on a changed container" \
  bash -c '"$1" inspect --key-file "$2" "$3" | grep -qx "manifest: ok" && ! "$1" inspect --key-file "$2" "$4" >"$5" && grep -qx "manifest: does not authenticate" "$5"' \
  _ "$bin" "$key" "$tmp/opus.enc.ivf" "$tmp/tamper-gain.ivf" "$tmp/inspect-gain.txt"
# decrypt keeps an existing destination's mode (a 0600 file stays 0600), a new one gets 0666 less the umask.
touch "$tmp/private.dec.opus" && chmod 0600 "$tmp/private.dec.opus"
"$bin" decrypt -q --key-file "$key" "$tmp/opus.enc.ivf" "$tmp/private.dec.opus"
rm -f "$tmp/fresh.dec.opus"
(umask 022 && "$bin" decrypt -q --key-file "$key" "$tmp/opus.enc.ivf" "$tmp/fresh.dec.opus")
check decrypt-keeps-mode "an existing 0600 destination must stay 0600, a new one 644 under umask 022" \
  bash -c '[[ $(stat -c %a "$1") == 600 && $(stat -c %a "$2") == 644 ]]' _ "$tmp/private.dec.opus" "$tmp/fresh.dec.opus"

# --- inspect: JSON per frame and summary, with and without a key
"$bin" encrypt -q --key-file "$key" --rotate-every 7 "${sample[h264]}" "$tmp/h264.rot.ivf"
for c in h264 h265 vp8 vp9 opus; do
  f="$tmp/$c.enc.ivf"
  [[ $c == h264 ]] && f="$tmp/h264.rot.ivf"
  "$bin" inspect --json --key-file "$key" "$f" >"$tmp/inspect-key.json" 2>"$tmp/err.txt"
  s1=$?
  "$bin" inspect --json "$f" >"$tmp/inspect-nokey.json" 2>>"$tmp/err.txt"
  s2=$?
  if [[ $s1 -ne 0 || $s2 -ne 0 ]]; then fail "inspect-json-$c" "inspect exited $s1/$s2: $(cat "$tmp/err.txt")"; continue; fi
  check "inspect-json-$c" "JSON does not describe the frames as expected" \
    python3 - "$c" "$tmp/inspect-key.json" "$tmp/inspect-nokey.json" <<'PY'
import json, sys
codec, with_key, without = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
for j in (with_key, without):
    assert j['encrypted'] and j['format'] == 'livekit' and j['cipher'] == 'aes128gcm' and j['codec'] == codec
    frames = [f for f in j['frames'] if 'header' not in f]
    s = j['summary']
    assert s['frames'] == len(frames) > 0 and s['failed'] == 0 and s['failures'] == {}
    assert s['bytes'] == sum(f['size'] for f in frames)
    assert s['overhead_bytes'] == s['bytes'] - s['plaintext_bytes']
    assert abs(s['overhead_percent'] - 100 * s['overhead_bytes'] / s['plaintext_bytes']) < 0.01
    ivs = [f['iv'] for f in frames]
    assert len(set(ivs)) == len(ivs) and all(len(v) == 24 for v in ivs)
    for f in frames:
        assert f['key_index'] == 0 and f['sif'] is False and f['encrypted'] is True and f['codec'] == codec
        if codec == 'opus': assert f['clear_bytes'] == 1
        if codec == 'vp9': assert f['clear_bytes'] == 0
        if codec == 'vp8': assert f['clear_bytes'] == (10 if f['key_frame'] else 3)
        if codec in ('h264', 'h265'): assert f['clear_bytes'] >= 6  # 4-byte start code + 2
    if codec in ('h264', 'h265'):
        assert frames[0]['key_frame'] is True and frames[0]['clear_bytes'] > 40
        assert s['key_frames'] == 5, s
    if codec == 'h264':
        assert frames[0]['clear_bytes'] > 255  # x264's SEI: a clear header longer than 255 bytes
    if codec not in ('h264', 'h265'):
        assert s['overhead_bytes'] == 30 * s['frames']
# the same facts with and without the key
strip = lambda f: {k: v for k, v in f.items() if k not in ('auth', 'ratchet_steps', 'previous_generation', 'attempts', 'generation')}
assert [strip(f) for f in with_key['frames']] == [strip(f) for f in without['frames']]
assert 'authenticated' not in without['summary'] and all('auth' not in f for f in without['frames'])
assert with_key['summary']['authenticated'] == with_key['summary']['frames']
assert all(f.get('auth', 'ok') == 'ok' for f in with_key['frames'])
if codec == 'opus':
    assert [f.get('header') for f in with_key['frames'][:2]] == ['OpusHead', 'OpusTags']
    assert with_key['summary']['header_frames'] == 2
PY
done
check inspect-text "the table lacks its summary" \
  bash -c '"$1" inspect --key-file "$2" "$3" | grep -q "^failures: none$" && "$1" inspect --key-file "$2" "$3" | grep -q "^summary: 101 frames"' \
  _ "$bin" "$key" "$tmp/opus.enc.ivf"
check inspect-plain-file "inspect of an unencrypted file should list its frames" \
  bash -c '"$1" inspect --json "$2" | python3 -c "import json,sys; j=json.load(sys.stdin); assert not j[\"encrypted\"] and j[\"summary\"][\"frames\"]==50 and j[\"summary\"][\"key_frames\"]==5"' \
  _ "$bin" "${sample[vp8]}"

# --- --rotate-every: the sender ratchets every N frames, the receiver follows within its window
check rotate-every-inspect "expected 7 ratchet steps, one every 7 frames" \
  bash -c '"$1" inspect --json --key-file "$2" "$3" | python3 -c "
import json, sys
j = json.load(sys.stdin)
steps = [f[\"ratchet_steps\"] for f in j[\"frames\"]]
assert j[\"summary\"][\"ratchet_steps\"] == 7 and steps == [1 if i and i % 7 == 0 else 0 for i in range(50)], steps
assert j[\"frames\"][-1][\"generation\"] == 7"' _ "$bin" "$key" "$tmp/h264.rot.ivf"
if "$bin" decrypt -q --key-file "$key" "$tmp/h264.rot.ivf" "$tmp/h264.rot.h264"; then
  check rotate-every-roundtrip "framemd5 differs" same_frames "${sample[h264]}" "$tmp/h264.rot.h264"
else
  fail rotate-every-roundtrip "decrypt failed"
fi
expect_failure rotate-every-window-0 "$tmp/h264.rot0.h264" "h264.rot.ivf" "frame 7: auth_failed" "43 of 50 frames failed" -- \
  "$bin" decrypt -q --ratchet-window 0 --key-file "$key" "$tmp/h264.rot.ivf" "$tmp/h264.rot0.h264"
if "$bin" encrypt -q --key-file "$key" --rotate-every 1 "${sample[opus]}" "$tmp/opus.rot1.ivf" &&
   "$bin" decrypt -q --key-file "$key" "$tmp/opus.rot1.ivf" "$tmp/opus.rot1.opus"; then
  check rotate-every-1-opus "framemd5 differs" same_frames "${sample[opus]}" "$tmp/opus.rot1.opus"
else
  fail rotate-every-1-opus "encrypt/decrypt failed"
fi

# --- key options
python3 -c "import sys; open(sys.argv[2],'wb').write(bytes.fromhex(open(sys.argv[1]).read().strip()))" "$tmp/hex.key" "$tmp/raw.key"
hexkey="$(cat "$tmp/hex.key")"
if "$bin" encrypt -q --key-file "$tmp/hex.key" "${sample[vp8]}" "$tmp/vp8.hexkey.ivf" &&
   "$bin" decrypt -q --key-file "$tmp/raw.key" "$tmp/vp8.hexkey.ivf" "$tmp/vp8.rawkey.ivf" &&
   "$bin" decrypt -q --key "$hexkey" "$tmp/vp8.hexkey.ivf" "$tmp/vp8.keyarg.ivf"; then
  check key-file-hex-and-raw "the hex key file, the raw key file and --key should be the same key" \
    bash -c 'cmp -s "$1" "$2" && cmp -s "$1" "$3"' _ "${sample[vp8]}" "$tmp/vp8.rawkey.ivf" "$tmp/vp8.keyarg.ivf"
else
  fail key-file-hex-and-raw "encrypt/decrypt failed"
fi
if "$bin" encrypt -q --passphrase "correct horse battery" --kdf pbkdf2 "${sample[opus]}" "$tmp/opus.pbkdf2.ivf" &&
   "$bin" decrypt -q --passphrase "correct horse battery" --kdf pbkdf2 "$tmp/opus.pbkdf2.ivf" "$tmp/opus.pbkdf2.opus"; then
  check passphrase-pbkdf2 "framemd5 differs" same_frames "${sample[opus]}" "$tmp/opus.pbkdf2.opus"
else
  fail passphrase-pbkdf2 "encrypt/decrypt failed"
fi
expect_failure passphrase-wrong-kdf "$tmp/opus.hkdf.opus" "frame 2: auth_failed" -- \
  "$bin" decrypt -q --passphrase "correct horse battery" --kdf hkdf "$tmp/opus.pbkdf2.ivf" "$tmp/opus.hkdf.opus"
for c in aes256gcm chacha20poly1305; do
  mark=$([[ $c == aes256gcm ]] && echo 2 || echo 3)
  if "$bin" encrypt -q --cipher "$c" --key-file "$key" "${sample[vp9]}" "$tmp/vp9.$c.ivf" &&
     "$bin" decrypt -q --key-file "$key" "$tmp/vp9.$c.ivf" "$tmp/vp9.$c.dec.ivf"; then
    check "cipher-$c" "the mark does not name the cipher, or the round trip differs" \
      bash -c 'cmp -s "$1" "$2" && [[ $(od -An -tu1 -j31 -N1 "$3" | tr -d " ") == "$4" ]] &&
               "$5" inspect --json "$3" | grep -q "\"cipher\": \"$6\""' \
      _ "${sample[vp9]}" "$tmp/vp9.$c.dec.ivf" "$tmp/vp9.$c.ivf" "$mark" "$bin" "$c"
  else
    fail "cipher-$c" "encrypt/decrypt failed"
  fi
done
expect_failure cipher-override-wrong "$tmp/vp9.wrongcipher.ivf" "frame 0: auth_failed" -- \
  "$bin" decrypt -q --cipher aes128gcm --key-file "$key" "$tmp/vp9.aes256gcm.ivf" "$tmp/vp9.wrongcipher.ivf"
if "$bin" encrypt -q --key-index 3 --key-file "$key" "${sample[vp8]}" "$tmp/vp8.kid3.ivf"; then
  check key-index-3 "inspect should show key index 3 on every frame" \
    bash -c '"$1" inspect --json "$2" | python3 -c "import json,sys; j=json.load(sys.stdin); assert {f[\"key_index\"] for f in j[\"frames\"]} == {3}"' \
    _ "$bin" "$tmp/vp8.kid3.ivf"
  expect_failure key-index-missing "$tmp/vp8.kid0.ivf" "frame 0: missing_key" "key index 3" -- \
    "$bin" decrypt -q --key-file "$key" "$tmp/vp8.kid3.ivf" "$tmp/vp8.kid0.ivf"
  check key-index-3-decrypt "decrypt with --key-index 3 failed" \
    bash -c '"$1" decrypt -q --key-index 3 --key-file "$2" "$3" "$4" && cmp -s "$4" "$5"' \
    _ "$bin" "$key" "$tmp/vp8.kid3.ivf" "$tmp/vp8.kid3.dec.ivf" "${sample[vp8]}"
else
  fail key-index-3 "encrypt failed"
fi
check format-livekit "--format livekit should be accepted" \
  "$bin" encrypt -q --format livekit --key-file "$key" "${sample[vp8]}" "$tmp/vp8.fmt.ivf"

# --- SFrame (RFC 9605), when this build has it; otherwise a clear "not yet"
if "$bin" encrypt -q --format sframe --key-file "$key" "${sample[vp8]}" "$tmp/vp8.sframe.ivf" 2>"$tmp/err.txt"; then
  for c in h264 h265 vp8 vp9 opus av1; do
    if "$bin" encrypt -q --format sframe --ratchet-bits 8 --rotate-every 10 --key-file "$key" "${sample[$c]}" "$tmp/$c.sf.ivf" &&
       "$bin" decrypt -q --ratchet-bits 8 --key-file "$key" "$tmp/$c.sf.ivf" "$tmp/$c.sf.dec.${ext[$c]}"; then
      check "sframe-roundtrip-$c" "framemd5 differs" same_frames "${sample[$c]}" "$tmp/$c.sf.dec.${ext[$c]}"
    else
      fail "sframe-roundtrip-$c" "encrypt/decrypt failed"
    fi
  done
  check sframe-inspect-json "inspect should show KIDs 0..4 (one ratchet step every 10 frames), CTRs and the header" \
    bash -c '"$1" inspect --json --ratchet-bits 8 --key-file "$2" "$3" | python3 -c "
import json, sys
j = json.load(sys.stdin)
s = j[\"summary\"]
fr = j[\"frames\"]
assert j[\"format\"] == \"sframe\" and j[\"suite\"] == \"AES_128_GCM_SHA256_128\" and j[\"cipher\"] == \"aes128gcm\"
assert [f[\"kid\"] for f in fr] == [i // 10 for i in range(50)], [f[\"kid\"] for f in fr]
assert all(b[\"ctr\"] == a[\"ctr\"] + 1 for a, b in zip(fr, fr[1:]))
assert s[\"authenticated\"] == 50 and s[\"ratchet_steps\"] == 4 and s[\"failed\"] == 0
assert s[\"overhead_bytes\"] == sum(f[\"header_bytes\"] + 16 for f in fr) == s[\"bytes\"] - s[\"plaintext_bytes\"]"' \
    _ "$bin" "$key" "$tmp/vp8.sf.ivf"
  check sframe-mark "the mark should say SFrame (2) and suite 4" \
    bash -c '[[ $(od -An -tu1 -j28 -N4 "$1" | tr -s " ") == " 70 83 2 4" ]]' _ "$tmp/vp8.sf.ivf"
  expect_failure sframe-needs-ratchet-bits "$tmp/vp8.sf.norb.ivf" "frame 10: missing_key: no key for KID 1" "40 of 50 frames failed" -- \
    "$bin" decrypt -q --key-file "$key" "$tmp/vp8.sf.ivf" "$tmp/vp8.sf.norb.ivf"
  STATUS=2 expect_failure sframe-rotate-needs-ratchet-bits "$tmp/x.ivf" "--ratchet-bits" -- \
    "$bin" encrypt -q --format sframe --rotate-every 5 --key-file "$key" "${sample[vp8]}" "$tmp/x.ivf"
  STATUS=2 expect_failure sframe-no-chacha "$tmp/x.ivf" "ChaCha20-Poly1305" -- \
    "$bin" encrypt -q --format sframe --cipher chacha20poly1305 --key-file "$key" "${sample[vp8]}" "$tmp/x.ivf"
  expect_failure sframe-format-mismatch "$tmp/x.ivf" "in sframe format, not livekit" -- \
    "$bin" decrypt -q --format livekit --key-file "$key" "$tmp/vp8.sframe.ivf" "$tmp/x.ivf"
  if "$bin" encrypt -q --format sframe --cipher aes256gcm --key-file "$key" "${sample[opus]}" "$tmp/opus.sf256.ivf" &&
     "$bin" decrypt -q --key-file "$key" "$tmp/opus.sf256.ivf" "$tmp/opus.sf256.opus"; then
    check sframe-aes256gcm "suite 5 round trip differs" same_frames "${sample[opus]}" "$tmp/opus.sf256.opus"
  else
    fail sframe-aes256gcm "encrypt/decrypt failed"
  fi
  expect_failure sframe-wrong-key "$tmp/x.ivf" "frame 0: auth_failed" -- \
    "$bin" decrypt -q --key-file "$tmp/other.key" "$tmp/vp8.sframe.ivf" "$tmp/x.ivf"
else
  STATUS=2 expect_failure format-sframe-not-yet "$tmp/vp8.sframe.ivf" "sframe" "not yet" -- \
    "$bin" encrypt -q --format sframe --key-file "$key" "${sample[vp8]}" "$tmp/vp8.sframe.ivf"
fi

# A key given on the command line is never printed back; its fingerprint is.
"$bin" encrypt --json --key "$hexkey" "${sample[vp8]}" "$tmp/vp8.echo.ivf" >"$tmp/echo.txt" 2>&1
"$bin" decrypt --json --key "$hexkey" "$tmp/vp8.echo.ivf" "$tmp/vp8.echo.dec.ivf" >>"$tmp/echo.txt" 2>&1
"$bin" inspect --key "$hexkey" "$tmp/vp8.echo.ivf" >>"$tmp/echo.txt" 2>&1
"$bin" inspect --json --passphrase "hunter2 secret" "$tmp/vp8.echo.ivf" >>"$tmp/echo.txt" 2>&1
fp="$(python3 -c "import hashlib,sys; print(hashlib.sha256(bytes.fromhex(sys.argv[1])).hexdigest()[:8])" "$hexkey")"
check key-never-printed "the key or passphrase appears in the output, or the fingerprint does not" \
  bash -c '! grep -qi -e "$2" -e "${2:0:16}" -e "hunter2" "$1" && grep -q "$3" "$1"' _ "$tmp/echo.txt" "$hexkey" "$fp"

# --- bad files: one line naming the file, the frame and what is wrong; exit 1; nothing written
python3 - "$data" "$tmp" <<'PY'
import struct, sys
data, tmp = sys.argv[1:]
vp8 = open(f'{data}/vp8-160x120-2s.ivf', 'rb').read()
# cut in the middle of frame 20
pos, i = 32, 0
while i < 20:
    n = struct.unpack('<I', vp8[pos:pos + 4])[0]; pos += 12 + n; i += 1
open(f'{tmp}/trunc.ivf', 'wb').write(vp8[:pos + 12 + 100])
open(f'{tmp}/trunc-frame-header.ivf', 'wb').write(vp8[:pos + 5])
open(f'{tmp}/signature.ivf', 'wb').write(b'DKIX' + vp8[4:])
open(f'{tmp}/short-header.ivf', 'wb').write(vp8[:20])
opus = open(f'{data}/opus-48k-stereo-2s.opus', 'rb').read()
pages = []
p = 0
while p < len(opus):
    nseg = opus[p + 26]; size = 27 + nseg + sum(opus[p + 27:p + 27 + nseg]); pages.append((p, size)); p += size
p3 = pages[3][0]
bad = bytearray(opus); bad[p3 + 60] ^= 0x20
open(f'{tmp}/crc.opus', 'wb').write(bad)
open(f'{tmp}/trunc.opus', 'wb').write(opus[:p3 + 100])
open(f'{tmp}/missing-page.opus', 'wb').write(opus[:pages[2][0]] + opus[pages[3][0]:])
def crc(b):
    r = 0
    for x in b:
        r ^= x << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04c11db7) & 0xffffffff if r & 0x80000000 else (r << 1) & 0xffffffff
    return r
first = bytearray(opus[:pages[0][1]].replace(b'OpusHead', b'OpusHeaX'))
first[22:26] = b'\0\0\0\0'
first[22:26] = struct.pack('<I', crc(first))
open(f'{tmp}/vorbis-like.ogg', 'wb').write(bytes(first) + opus[pages[0][1]:])
import random
random.seed(5)
open(f'{tmp}/no-start-code.h264', 'wb').write(bytes(random.randrange(1, 256) for _ in range(3000)))
open(f'{tmp}/unknown.bin', 'wb').write(b'RIFF' + bytes(random.randrange(256) for _ in range(3000)))
open(f'{tmp}/empty.ivf', 'wb').write(b'')
enc = open(f'{tmp}/vp8.enc.ivf', 'rb').read()
open(f'{tmp}/trunc.enc.ivf', 'wb').write(enc[:len(enc) - 700])
# flip one ciphertext bit of frame 5
pos, i = 32, 0
while i < 5:
    n = struct.unpack('<I', enc[pos:pos + 4])[0]; pos += 12 + n; i += 1
t = bytearray(enc); t[pos + 12 + 20] ^= 1
open(f'{tmp}/tampered.enc.ivf', 'wb').write(t)
PY
o="$tmp/out.ivf"
expect_failure bad-ivf-truncated-frame "$o" "trunc\.ivf: frame 20: truncated" -- "$bin" encrypt -q --key-file "$key" "$tmp/trunc.ivf" "$o"
expect_failure bad-ivf-truncated-frame-header "$o" "trunc-frame-header\.ivf: frame 20: truncated IVF frame header" -- \
  "$bin" encrypt -q --key-file "$key" "$tmp/trunc-frame-header.ivf" "$o"
expect_failure bad-ivf-signature "$o" "signature\.ivf: not an IVF file" "DKIX" -- "$bin" encrypt -q --key-file "$key" "$tmp/signature.ivf" "$o"
expect_failure bad-ivf-short-header "$o" "short-header\.ivf: truncated IVF header" -- "$bin" encrypt -q --key-file "$key" "$tmp/short-header.ivf" "$o"
expect_failure bad-ogg-crc "$o" "crc\.opus: frame [0-9]+: Ogg page 3 at byte [0-9]+: bad CRC" -- "$bin" encrypt -q --key-file "$key" "$tmp/crc.opus" "$o"
expect_failure bad-ogg-truncated "$o" "trunc\.opus: frame [0-9]+: Ogg page 3 at byte [0-9]+: truncated page" -- \
  "$bin" encrypt -q --key-file "$key" "$tmp/trunc.opus" "$o"
expect_failure bad-ogg-missing-page "$o" "missing-page\.opus: frame [0-9]+: Ogg page 2 .*sequence number 3, expected 2" -- \
  "$bin" encrypt -q --key-file "$key" "$tmp/missing-page.opus" "$o"
expect_failure bad-ogg-not-opus "$o" "vorbis-like\.ogg: frame 0: not an Ogg Opus stream" -- \
  "$bin" encrypt -q --key-file "$key" "$tmp/vorbis-like.ogg" "$o"
expect_failure bad-annexb-no-start-code "$o" "no-start-code\.h264: frame 0: no Annex-B start code" -- \
  "$bin" encrypt -q --key-file "$key" "$tmp/no-start-code.h264" "$o"
expect_failure bad-unknown-format "$o" "unknown\.bin: unrecognised file format" -- "$bin" encrypt -q --key-file "$key" "$tmp/unknown.bin" "$o"
expect_failure bad-empty-file "$o" "empty\.ivf: empty file" -- "$bin" encrypt -q --key-file "$key" "$tmp/empty.ivf" "$o"
expect_failure bad-missing-file "$o" "nonexistent\.ivf: No such file" -- "$bin" encrypt -q --key-file "$key" "$tmp/nonexistent.ivf" "$o"
expect_failure bad-encrypted-truncated "$o" "trunc\.enc\.ivf: frame [0-9]+: truncated" -- "$bin" decrypt -q --key-file "$key" "$tmp/trunc.enc.ivf" "$o"
expect_failure wrong-key "$o" "vp8\.enc\.ivf: frame 0: auth_failed" "50 of 50 frames failed" "nothing written" -- \
  "$bin" decrypt -q --key-file "$tmp/other.key" "$tmp/vp8.enc.ivf" "$o"
expect_failure tampered-frame "$o" "tampered\.enc\.ivf: frame 5: auth_failed" "1 of 50 frames failed" -- \
  "$bin" decrypt -q --key-file "$key" "$tmp/tampered.enc.ivf" "$o"
check tampered-frame-inspect "inspect should report one auth failure at frame 5 and exit 1" \
  bash -c '"$1" inspect --json --key-file "$2" "$3" >"$4"; [[ $? -eq 1 ]] && python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j[\"summary\"][\"failures\"] == {\"auth_failed\": 1} and j[\"summary\"][\"authenticated\"] == 49
assert [f[\"index\"] for f in j[\"frames\"] if f[\"auth\"] != \"ok\"] == [5]" "$4"' _ "$bin" "$key" "$tmp/tampered.enc.ivf" "$tmp/t.json"
expect_failure decrypt-plain-file "$o" "vp8-160x120-2s\.ivf: not a frameseal-encrypted file" -- "$bin" decrypt -q --key-file "$key" "${sample[vp8]}" "$o"
expect_failure encrypt-encrypted-file "$o" "vp8\.enc\.ivf: already encrypted" -- "$bin" encrypt -q --key-file "$key" "$tmp/vp8.enc.ivf" "$o"
expect_failure bad-output-directory "$tmp/no/such/dir/out.ivf" "no/such/dir/out\.ivf: cannot create a temporary file" -- \
  "$bin" encrypt -q --key-file "$key" "${sample[vp8]}" "$tmp/no/such/dir/out.ivf"
cp "${sample[vp8]}" "$tmp/keep.ivf"
"$bin" decrypt -q --key-file "$tmp/other.key" "$tmp/vp8.enc.ivf" "$tmp/keep.ivf" 2>/dev/null
check failure-keeps-existing-output "a failed run must leave an existing OUT untouched" cmp -s "${sample[vp8]}" "$tmp/keep.ivf"

# --- containers: codec sniffing, empty frames
cp "${sample[h265]}" "$tmp/noext"
check annexb-sniff-h265 "an Annex-B stream without extension should be recognised as H.265" \
  bash -c '"$1" encrypt -q --key-file "$2" "$3" "$4" && "$1" inspect --json "$4" | grep -q "\"codec\": \"h265\""' \
  _ "$bin" "$key" "$tmp/noext" "$tmp/noext.ivf"
python3 - "${sample[vp8]}" "$tmp/with-empty.ivf" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
n = struct.unpack('<I', d[32:36])[0]
first = d[32:44 + n]
empty = struct.pack('<IQ', 0, 1)
head = d[:24] + struct.pack('<I', struct.unpack('<I', d[24:28])[0] + 1) + d[28:32]
open(sys.argv[2], 'wb').write(head + first + empty + d[44 + n:])
PY
check ivf-empty-frame "an empty IVF frame should pass through both ways" \
  bash -c '"$1" encrypt -q --key-file "$2" "$3" "$4" && "$1" decrypt -q --key-file "$2" "$4" "$5" && cmp -s "$3" "$5"' \
  _ "$bin" "$key" "$tmp/with-empty.ivf" "$tmp/with-empty.enc.ivf" "$tmp/with-empty.dec.ivf"

# --- quiet when not a terminal: one summary line, no progress
"$bin" encrypt --key-file "$key" "${sample[vp9]}" "$tmp/vp9.quiet.ivf" 2>"$tmp/err.txt" >"$tmp/out.txt"
check no-progress-when-not-a-tty "expected exactly the summary line on stderr and nothing on stdout" \
  bash -c '[[ $(wc -l <"$1") -eq 1 && ! -s "$2" ]] && ! grep -q $'"'"'\r'"'"' "$1" && grep -q "^frameseal: encrypted 50 vp9 frames" "$1"' \
  _ "$tmp/err.txt" "$tmp/out.txt"
check json-summary "encrypt --json should print its numbers" \
  bash -c '"$1" encrypt -q --json --key-file "$2" "$3" "$4" | python3 -c "
import json, sys
j = json.load(sys.stdin)
assert j[\"frames\"] == 50 and j[\"overhead_bytes\"] == 1500 and j[\"mb_per_s\"] > 0 and j[\"encrypted_bytes\"] - j[\"plaintext_bytes\"] == 1500"' \
  _ "$bin" "$key" "${sample[vp8]}" "$tmp/vp8.json.ivf"

# --- the real livekit-client decrypts frameseal's files (when node is present)
if command -v node >/dev/null; then
  for f in opus.rot1 h264.rot vp8.enc; do
    line="$(node "$here/livekit-check.mjs" "$bin" "$key" "$tmp/$f.ivf" 2>&1)"
    if [[ $? -eq 0 ]]; then ok "livekit-client-$f"; else fail "livekit-client-$f" "$line"; fi
  done
fi

echo "media: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
