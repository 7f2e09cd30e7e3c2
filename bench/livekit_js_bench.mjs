// livekit_js_bench.mjs: frames per second of the real livekit-client 2.23.0 E2EE worker under Node,
// driven by the interop harness (tests/interop/livekit-js/lkworker.mjs), for the side-by-side row
// of tools/bench. Usage: node bench/livekit_js_bench.mjs [frames=1000] > result.json
//
// What is timed: encryptFrames() / decryptFrames() of N frames (Opus 160 B, VP8 delta 16 KiB;
// AES-128-GCM, HKDF key) as the harness runs them: one worker pipeline, each frame followed by an
// empty sentinel frame and awaited (the harness's drop detection), frames passed as hex strings;
// decryptFrames also opens a fresh cryptor (track) per frame so error reasons are not rate-limited.
// So the figures include the harness's per-frame round trip and are a lower bound of what the
// worker does in a browser; `hex_ms` says how much of it is hex conversion alone.
// The `stream_*` figures drive the same worker the way a browser does, without the harness's
// per-frame wait: one encode (decode) pipeline, all N frames enqueued at once, timed until the
// last one comes out of the writable side. Each measurement runs `reps` times after a warm-up; the
// median is reported. Every decrypted frame is compared with its plaintext before any number is
// printed.
import { performance } from 'node:perf_hooks';
import { encryptFrames, decryptFrames, LIVEKIT_CLIENT_VERSION } from '../tests/interop/livekit-js/lkworker.mjs';

const N = Number(process.argv[2] ?? 1000);
const reps = Number(process.argv[3] ?? 3);
const keyMaterialHex = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

function randomBytes(n, seed) {
  // xorshift, as bench_common.hpp (content does not matter for AES-GCM)
  let x = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  const mask = (1n << 64n) - 1n;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x >> 12n;
    x = (x ^ (x << 25n)) & mask;
    x ^= x >> 27n;
    out[i] = Number(((x * 0x2545f4914f6cdd1dn) & mask) >> 56n);
  }
  return out;
}

function frames(kind, size, count) {
  const base = randomBytes(size, 7);
  const list = [];
  for (let i = 0; i < count; i++) {
    const f = Uint8Array.from(base);
    f[f.length - 1] = i & 0xff; // distinct frames
    if (kind === 'audio') f[0] = 0x78;
    else f[0] = 0x51; // VP8 delta frame tag
    list.push(Buffer.from(f).toString('hex'));
  }
  return list;
}

// ---- streaming driver (the globals were installed by lkworker.mjs) ----
const workerOnMessage = globalThis.onmessage;
const mine = new Set();
{
  const orig = globalThis.postMessage;
  globalThis.postMessage = (m, t) => {
    for (const l of [...mine]) l(m);
    return orig(m, t);
  };
}
const post = (kind, data) => workerOnMessage({ data: { kind, data } });
let seq = 0;
const waitFor = (pred) =>
  new Promise((resolve) => {
    const l = (m) => {
      if (pred(m)) {
        mine.delete(l);
        resolve(m);
      }
    };
    mine.add(l);
  });
async function barrier() {
  const id = `bench-barrier-${++seq}`;
  const p = waitFor((m) => m.kind === 'enable' && m.data?.participantIdentity === id);
  post('enable', { participantIdentity: id, enabled: false });
  await p;
}

async function streamOnce(direction, codec, kind, payloads) {
  const id = `bench-${direction}-${++seq}`;
  const ack = waitFor((m) => m.kind === 'initAck');
  post('init', {
    keyProviderOptions: { sharedKey: false, ratchetSalt: 'LKFrameEncryptionKey', ratchetWindowSize: 0,
      failureTolerance: -1, keyringSize: 16, keySize: 128 },
    loglevel: 'warn',
  });
  await ack;
  post('enable', { participantIdentity: id, enabled: true });
  // createKeyMaterialFromBuffer: a raw HKDF CryptoKey
  const key = await crypto.subtle.importKey('raw', Buffer.from(keyMaterialHex, 'hex'), { name: 'HKDF' }, false,
    ['deriveBits', 'deriveKey']);
  post('setKey', { participantIdentity: id, isPublisher: direction === 'encode', key, keyIndex: 0,
    updateCurrentKeyIndex: true });
  await barrier();
  let ctrl;
  const readableStream = new ReadableStream({ start: (c) => void (ctrl = c) });
  const written = [];
  let wake = () => {};
  const writableStream = new WritableStream({ write(chunk) { written.push(chunk); wake(); } });
  post(direction, { readableStream, writableStream, trackId: `track-${id}`, participantIdentity: id,
    codec: direction === 'decode' && kind === 'video' ? codec : undefined, hasPacketTrailer: false });
  await barrier();
  const metadata = { synchronizationSource: 0x11223344, rtpTimestamp: 0x5e6f7081, payloadType: codec === 'opus' ? 111 : 96,
    mimeType: codec === 'opus' ? 'audio/opus' : 'video/VP8', contributingSources: [] };
  const objs = payloads.map((b) => kind === 'audio'
    ? new globalThis.RTCEncodedAudioFrame(b, 0x5e6f7081, metadata)
    : new globalThis.RTCEncodedVideoFrame(b, 0x5e6f7081, metadata, 'delta'));
  const done = new Promise((resolve) => {
    wake = () => { if (written.length === objs.length) resolve(); };
  });
  const s = performance.now();
  for (const f of objs) ctrl.enqueue(f);
  await done;
  const ms = performance.now() - s;
  return { ms, out: written.map((f) => new Uint8Array(f.data)) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(name, codec, kind, size) {
  const common = { keyMaterialHex, codec, kind, frameType: kind === 'video' ? 'delta' : undefined };
  const plain = frames(kind, size, N);
  const t0 = performance.now();
  const bytes = plain.map((h) => Buffer.from(h, 'hex'));
  const back = bytes.map((b) => b.toString('hex'));
  const hexMs = performance.now() - t0;
  if (back.length !== N) throw new Error('hex');

  await encryptFrames({ ...common, framesHex: plain.slice(0, 10) }); // warm-up
  const encMs = [];
  let enc;
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    enc = await encryptFrames({ ...common, framesHex: plain });
    encMs.push(performance.now() - s);
  }
  const decMs = [];
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    const dec = await decryptFrames({ ...common, framesHex: enc });
    decMs.push(performance.now() - s);
    const bad = dec.findIndex((d, i) => !d.ok || d.hex !== plain[i]);
    if (bad >= 0) throw new Error(`${name}: frame ${bad} did not decrypt to its plaintext`);
  }
  const e = median(encMs);
  const d = median(decMs);

  const plainBytes = plain.map((h) => Buffer.from(h, 'hex'));
  await streamOnce('encode', codec, kind, plainBytes.slice(0, 50)); // warm-up
  const sEnc = [];
  const sDec = [];
  for (let r = 0; r < reps; r++) {
    const en = await streamOnce('encode', codec, kind, plainBytes);
    sEnc.push(en.ms);
    const de = await streamOnce('decode', codec, kind, en.out);
    sDec.push(de.ms);
    const bad = de.out.findIndex((f, i) => Buffer.compare(Buffer.from(f), plainBytes[i]) !== 0);
    if (bad >= 0) throw new Error(`${name}: streamed frame ${bad} did not decrypt to its plaintext`);
  }
  const se = median(sEnc);
  const sd = median(sDec);
  return {
    name,
    codec,
    bytes: size,
    frames: N,
    encrypt_ms: e,
    decrypt_ms: d,
    encrypt_fps: (N * 1000) / e,
    decrypt_fps: (N * 1000) / d,
    hex_ms: hexMs,
    stream_encrypt_ms: se,
    stream_decrypt_ms: sd,
    stream_encrypt_fps: (N * 1000) / se,
    stream_decrypt_fps: (N * 1000) / sd,
  };
}

const results = [];
results.push(await measure('opus-160', 'opus', 'audio', 160));
results.push(await measure('vp8-delta-16384', 'vp8', 'video', 16384));
process.stdout.write(
  JSON.stringify({ livekit_client: LIVEKIT_CLIENT_VERSION, node: process.version, reps, results }, null, 2) + '\n',
);
process.exit(0); // the worker leaves open streams behind
