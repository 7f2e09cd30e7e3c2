#!/usr/bin/env node
// Decrypts the frames of a frameseal-encrypted file with the real livekit-client 2.23.0 E2EE worker
// (tests/interop/livekit-js/cli.mjs) and checks that every frame comes out identical to frameseal's
// own decryption.
//   node tests/media/livekit-check.mjs FRAMESEAL_BIN KEY_FILE ENCRYPTED.ivf [--kdf hkdf|pbkdf2] [--max N]
// The key is read from KEY_FILE (hex text or raw bytes, as frameseal reads it) and handed to Node on
// stdin, never on a command line. Ratchets (encrypt --rotate-every) are followed the way a LiveKit
// receiver follows them: one continuous key handler for audio; for video, frames are sent in runs of
// one frame type (livekit takes one per request) and each run starts from the generation frameseal
// reached before it. Prints one line; exit 0 when every frame matched, 1 when one did not, 2 when
// the check could not run. AES-128-GCM and AES-256-GCM only (livekit has no ChaCha20-Poly1305).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const lkdir = join(here, '..', 'interop', 'livekit-js');

function die(msg, code = 2) {
  process.stdout.write(`livekit-client: ${msg}\n`);
  process.exit(code);
}

const args = process.argv.slice(2);
if (args.length < 3) die('usage: livekit-check.mjs FRAMESEAL_BIN KEY_FILE ENCRYPTED.ivf [--kdf hkdf|pbkdf2] [--max N]');
const [bin, keyFile, encrypted] = args;
let kdf = 'hkdf';
let max = Infinity;
for (let i = 3; i < args.length; i++) {
  if (args[i] === '--kdf') kdf = args[++i];
  else if (args[i] === '--max') max = Number(args[++i]);
  else die(`unknown option ${args[i]}`);
}

function keyHex(path) {
  const raw = readFileSync(path);
  const text = raw.toString('latin1').replace(/[\s]+$/, '');
  if (text.length >= 2 && text.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(text)) return text.toLowerCase();
  return raw.toString('hex');
}

if (!existsSync(join(lkdir, 'node_modules', 'livekit-client', 'dist', 'livekit-client.e2ee.worker.mjs'))) {
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: lkdir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) die('npm ci failed in tests/interop/livekit-js');
}

const insp = spawnSync(bin, ['inspect', '--json', '--hex', '--key-file', keyFile, encrypted], { maxBuffer: 1 << 30 });
if (insp.status !== 0) {
  let why = insp.stderr.toString().trim();
  try {
    const s = JSON.parse(insp.stdout.toString()).summary;
    why = `${s.failed} of ${s.frames} frames do not decrypt with this key in frameseal (${JSON.stringify(s.failures)})`;
  } catch {}
  die(`frameseal inspect failed: ${why}`);
}
const info = JSON.parse(insp.stdout.toString());
const keySize = { aes128gcm: 128, aes256gcm: 256 }[info.cipher];
if (!keySize) die(`livekit-client has no ${info.cipher}`);
const frames = info.frames.filter((f) => f.encrypted).slice(0, max);
if (frames.length === 0) die('no encrypted frames');
const audio = info.codec === 'opus';
const material = keyHex(keyFile);

// Runs of frames livekit can take in one request.
const runs = [];
let generation = 0; // frameseal's receiver generation before the current frame
for (const f of frames) {
  const frameType = audio ? null : f.key_frame ? 'key' : 'delta';
  const last = runs[runs.length - 1];
  if (last && last.frameType === frameType) last.frames.push(f);
  else runs.push({ frameType, startGeneration: generation, frames: [f] });
  generation = f.generation;
}
const requests = runs.map((r) => ({
  kdf,
  keyMaterialHex: material,
  keySize,
  keyIndex: r.frames[0].key_index,
  ratchetCount: r.startGeneration,
  codec: info.codec === 'av1' ? 'av1' : info.codec,
  kind: audio ? 'audio' : 'video',
  ...(audio ? {} : { frameType: r.frameType }),
  framesHex: r.frames.map((f) => f.hex),
}));
const res = spawnSync('node', [join(lkdir, 'cli.mjs'), 'decrypt'], {
  input: JSON.stringify(requests),
  maxBuffer: 1 << 30,
});
if (res.status === 2 || !res.stdout.length) die(`cli.mjs failed: ${res.stderr.toString().trim()}`);
const answers = JSON.parse(res.stdout.toString());
let ok = 0;
let ratchets = 0;
const bad = [];
answers.forEach((a, k) => {
  if (!a.ok) {
    bad.push(`request ${k}: ${a.error}`);
    return;
  }
  a.results.forEach((r, j) => {
    const f = runs[k].frames[j];
    if (r.ok && r.hex === f.plaintext_hex) {
      ok++;
      if (r.ratchets) ratchets += r.ratchets.length;
    } else bad.push(`frame ${f.index}: ${r.ok ? 'plaintext differs from frameseal' : r.reason}`);
  });
});
if (bad.length) die(`${ok}/${frames.length} ${info.codec} frames matched; ${bad.slice(0, 3).join('; ')}`, 1);
process.stdout.write(
  `livekit-client: verified: ${ok}/${frames.length} ${info.codec} frames decrypted by livekit-client 2.23.0 ` +
    `identical to frameseal${ratchets ? `, ${ratchets} ratchet steps followed` : ''}\n`,
);
