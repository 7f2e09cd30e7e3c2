#!/usr/bin/env node
// Interop test: the real livekit-client@2.23.0 E2EE worker <-> the frameseal CLI.
//
//   node run-interop.mjs /path/to/frameseal [--only REGEX] [--verbose]
//
// Prints one line per case, "ok <id>" or "FAIL <id>: <why>", and last "interop: N passed, M failed".
// Exit code 0 only if everything ran and passed (1: failures, 2: could not run).

import { execFile } from 'node:child_process';
import { accessSync, constants as fsc, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { concat, frames, hex, prng, unescapeRbsp, unhex } from './frames.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const VECTORS = process.env.LIVEKIT_VECTORS ?? `${HERE}../../vectors/livekit/livekit-client-2.23.0-public.json`;

// ------------------------------------------------------------------ arguments
const argv = process.argv.slice(2);
let bin;
let only;
let verbose = false;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--only') only = new RegExp(argv[++i]);
  else if (argv[i] === '--verbose' || argv[i] === '-v') verbose = true;
  else if (argv[i].startsWith('-')) usage(`unknown option ${argv[i]}`);
  else if (!bin) bin = argv[i];
  else usage('too many arguments');
}
function usage(msg) {
  console.error(`${msg}\nusage: node run-interop.mjs /path/to/frameseal [--only REGEX] [--verbose]`);
  console.log('interop: 0 passed, 1 failed');
  process.exit(2);
}
if (!bin) usage('missing the frameseal binary path');
try {
  accessSync(bin, fsc.X_OK);
} catch {
  console.log(`FAIL setup: frameseal binary ${bin} is missing or not executable`);
  console.log('interop: 0 passed, 1 failed');
  process.exit(2);
}

let lk;
try {
  lk = await import('./lkworker.mjs');
} catch (e) {
  console.log(`FAIL setup: cannot load the livekit-client worker: ${e.message}`);
  console.log('interop: 0 passed, 1 failed');
  process.exit(2);
}

// ------------------------------------------------------------------ reporting
let passed = 0;
let failed = 0;
let broken = false; // something could not run at all
class Fail extends Error {}
class Broken extends Error {}
const fail = (msg) => {
  throw new Fail(msg);
};

async function check(id, fn) {
  if (only && !only.test(id)) return;
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok ${id}${verbose ? ` (${Date.now() - t0} ms)` : ''}`);
  } catch (e) {
    failed++;
    if (!(e instanceof Fail)) broken = true;
    console.log(`FAIL ${id}: ${e instanceof Fail ? '' : e instanceof Broken ? 'could not run: ' : 'harness error: '}${e.message}`);
    if (verbose && !(e instanceof Fail)) console.error(e.stack);
  }
}

function firstDiff(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 2) if (a.slice(i, i + 2) !== b.slice(i, i + 2)) return i / 2;
  return a.length === b.length ? -1 : n / 2;
}
function describeDiff(what, got, want) {
  const at = firstDiff(got, want);
  return `${what}: ${got.length / 2} bytes vs expected ${want.length / 2}, first difference at byte ${at} (got ${got.slice(at * 2, at * 2 + 16) || '<end>'}, expected ${want.slice(at * 2, at * 2 + 16) || '<end>'})`;
}
function expectFrames(what, got, want) {
  if (got.length !== want.length) fail(`${what}: ${got.length} frames, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) fail(`${what}, frame ${i}: ${got[i]?.startsWith('drop') ? `"${got[i]}"` : describeDiff('differs', got[i], want[i])}`);
  }
}

// ------------------------------------------------------------------ the frameseal CLI
const fsStats = { calls: 0, ms: 0 };
function frameseal(args) {
  const t0 = Date.now();
  fsStats.calls++;
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 256 << 20, timeout: 120000, encoding: 'utf8' }, (err, stdout, stderr) => {
      fsStats.ms += Date.now() - t0;
      const cmd = `frameseal ${args.map((a) => (a.length > 24 ? `${a.slice(0, 20)}...` : a)).join(' ')}`;
      if (err) {
        reject(new Broken(`${cmd}: ${err.killed ? 'timed out' : `exit ${err.code ?? err.signal}`}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
        return;
      }
      const lines = stdout.split('\n').map((l) => l.trim());
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
      resolve({ lines, cmd, stderr });
    });
  });
}

/** command-line options for frameseal describing case `c` (one side) */
function fsOptions(c, side) {
  const a = ['--codec', c.codec];
  if (c.frameType === 'key') a.push('--key-frame');
  if (c.passphrase != null) a.push('--passphrase', c.passphrase);
  else a.push('--key', c.keyHex);
  a.push('--kdf', c.kdf);
  if (c.saltText != null) a.push('--salt', c.saltText);
  if (c.saltHex != null) a.push('--salt-hex', c.saltHex);
  a.push('--key-index', String(c.keyIndex ?? 0));
  if (c.ratchet) a.push('--ratchet', String(c.ratchet));
  if (c.keySize === 256) a.push('--cipher', 'aes256gcm');
  if (side === 'tx') a.push('--ssrc', String(c.ssrc), '--timestamp', String(c.timestamp));
  if (side === 'rx') {
    if (c.ratchetWindow != null) a.push('--ratchet-window', String(c.ratchetWindow));
    if (c.failureTolerance != null) a.push('--failure-tolerance', String(c.failureTolerance));
    if (c.sifTrailerHex != null) a.push('--sif-trailer', c.sifTrailerHex);
  }
  return a;
}

async function fsEncrypt(c, framesHex, iv /* 'livekit' | 'unique' | null = frameseal's default */) {
  const { lines, cmd } = await frameseal(['frame', 'encrypt', ...fsOptions(c, 'tx'), ...(iv ? ['--iv', iv] : []), ...framesHex]);
  if (lines.length !== framesHex.length) throw new Broken(`${cmd}: ${lines.length} output lines for ${framesHex.length} frames`);
  for (const l of lines) if (!/^([0-9a-f]{2})+$/.test(l)) fail(`frameseal encrypt printed "${l.slice(0, 60)}", not lowercase hex`);
  return lines;
}
async function fsDecrypt(c, framesHex) {
  const { lines, cmd } = await frameseal(['frame', 'decrypt', ...fsOptions(c, 'rx'), ...framesHex]);
  if (lines.length !== framesHex.length) throw new Broken(`${cmd}: ${lines.length} output lines for ${framesHex.length} frames`);
  for (const l of lines) if (!/^(([0-9a-f]{2})*|drop [a-z_]+.*)$/.test(l)) fail(`frameseal decrypt printed "${l.slice(0, 60)}"`);
  return lines;
}

// ------------------------------------------------------------------ the livekit worker
function lkOptions(c) {
  return {
    kdf: c.kdf,
    keyMaterialHex: c.passphrase == null ? c.keyHex : undefined,
    passphrase: c.passphrase ?? undefined,
    ratchetSalt: c.saltText,
    ratchetSaltHex: c.saltHex,
    keySize: c.keySize ?? 128,
    keyIndex: c.keyIndex ?? 0,
    ratchetCount: c.ratchet ?? 0,
    codec: c.codec,
    kind: c.codec === 'opus' ? 'audio' : 'video',
    frameType: c.codec === 'opus' ? null : c.frameType,
    ssrc: c.ssrc,
    timestamp: c.timestamp,
    ratchetWindowSize: c.ratchetWindow,
    failureTolerance: c.failureTolerance,
    sifTrailerHex: c.sifTrailerHex,
  };
}
const lkEncrypt = (c, framesHex) => lk.encryptFrames({ ...lkOptions(c), framesHex });
async function lkDecrypt(c, framesHex) {
  const r = await lk.decryptFrames({ ...lkOptions(c), framesHex });
  return r.map((x) => (x.ok ? x.hex : `reject ${x.reason}${x.message ? ` (${x.message})` : ''}`));
}

// ------------------------------------------------------------------ test data
const r = prng(0x5eed1e);
const K32 = hex(r.bytes(32));
const K16 = hex(r.bytes(16));
const K5 = hex(r.bytes(5));
const K64 = hex(r.bytes(64));
const ANCHOR_KEY = '000102030405060708090a0b0c0d0e0f';

const base = { kdf: 'hkdf', keyHex: K32, keySize: 128, keyIndex: 0, ratchet: 0, ssrc: 0x11223344, timestamp: 0x5e6f7081 };
const opus3 = () => [frames.opus(r, 120), frames.opus(r, 60), frames.opus(r, 20)];
const h264Key = (o) => [frames.h264Key(r, 700, o)];

const cases = [
  // --- codecs (HKDF, raw material)
  { id: 'opus', codec: 'opus', frames: opus3() },
  { id: 'opus-1-byte', codec: 'opus', frames: [concat([0xfc]), concat([0x78, 0x00])] },
  { id: 'vp8-key', codec: 'vp8', frameType: 'key', ssrc: 0x55667788, timestamp: 0x12345678, frames: [frames.vp8Key(r, 900), frames.vp8Key(r, 11)] },
  { id: 'vp8-delta', codec: 'vp8', frameType: 'delta', ssrc: 0x55667788, timestamp: 0x12346230, frames: [frames.vp8Delta(r, 300), frames.vp8Delta(r, 40), frames.vp8Delta(r, 4)] },
  { id: 'vp9-key', codec: 'vp9', frameType: 'key', ssrc: 0x0a0b0c0e, timestamp: 0x01000000, frames: [frames.vp9Key(r, 500)] },
  { id: 'vp9-delta', codec: 'vp9', frameType: 'delta', ssrc: 0x0a0b0c0e, timestamp: 0x01000bb8, frames: [frames.vp9Delta(r, 200), frames.vp9Delta(r, 1)] },
  { id: 'h264-key-sps-pps-idr', codec: 'h264', frameType: 'key', ssrc: 0x0a0b0c0d, timestamp: 0x22334455, frames: [...h264Key(), ...h264Key()] },
  { id: 'h264-delta', codec: 'h264', frameType: 'delta', ssrc: 0x0a0b0c0d, timestamp: 0x22335bc5, frames: [frames.h264Delta(r, 150), frames.h264Delta(r, 30), frames.h264Delta(r, 1)] },
  { id: 'h264-key-3byte-startcodes', codec: 'h264', frameType: 'key', ssrc: 0x0a0b0c0d, timestamp: 0x22334455, normalises: true, frames: h264Key({ startCode: [0, 0, 1] }) },
  { id: 'h264-delta-3byte-startcode', codec: 'h264', frameType: 'delta', normalises: true, frames: [frames.h264Delta(r, 100, { startCode: [0, 0, 1] })] },
  { id: 'h264-key-sei-300', codec: 'h264', frameType: 'key', frames: h264Key({ sei: 300 }) },
  { id: 'h264-key-sei-600-3byte', codec: 'h264', frameType: 'key', normalises: true, frames: h264Key({ sei: 600, startCode: [0, 0, 1] }) },
  { id: 'h264-key-aud-sei', codec: 'h264', frameType: 'key', frames: h264Key({ aud: true, sei: 40 }) },
  { id: 'h264-key-2-slices', codec: 'h264', frameType: 'key', frames: h264Key({ slices: 2 }) },
  { id: 'h264-key-large', codec: 'h264', frameType: 'key', frames: [frames.h264Key(r, 20000)] },
  { id: 'h264-key-iv-escape', ivEscape: true, codec: 'h264', frameType: 'key', ssrc: 0x00000102, timestamp: 3, frames: [...h264Key(), ...h264Key(), ...h264Key(), ...h264Key()] },
  { id: 'h264-delta-iv-zero', ivEscape: true, codec: 'h264', frameType: 'delta', ssrc: 0x00000102, timestamp: 0, frames: [frames.h264Delta(r, 80), frames.h264Delta(r, 80), frames.h264Delta(r, 80)] },
  // no slice NALU / data before the first start code: livekit falls back to the VP8 rule (10 clear bytes
  // for key frames, 3 for delta) and does not escape (spec 5.1)
  { id: 'h264-key-no-slice-nalu', codec: 'h264', frameType: 'key', ssrc: 0x00000102, timestamp: 3, frames: [frames.h264ParamsOnly(r, 40)] },
  { id: 'h264-delta-leading-data', codec: 'h264', frameType: 'delta', ssrc: 0x00000102, timestamp: 3, frames: [concat([0x09, 0x10], frames.h264Delta(r, 60))] },
  { id: 'h265-key-no-slice-nalu', codec: 'h265', frameType: 'key', frames: [frames.h265ParamsOnly()] },
  { id: 'h265-key', codec: 'h265', frameType: 'key', ssrc: 0x0d0d0d0d, timestamp: 0x33445566, frames: [frames.h265Key(r, 600)] },
  { id: 'h265-delta', codec: 'h265', frameType: 'delta', ssrc: 0x0d0d0d0d, timestamp: 0x33446000, frames: [frames.h265Delta(r, 200), frames.h265Delta(r, 9)] },
  { id: 'h265-key-3byte-startcodes', codec: 'h265', frameType: 'key', normalises: true, frames: [frames.h265Key(r, 300, { startCode: [0, 0, 1] })] },
  { id: 'h265-key-iv-escape', ivEscape: true, codec: 'h265', frameType: 'key', ssrc: 0x00000102, timestamp: 2, frames: [frames.h265Key(r, 300), frames.h265Key(r, 300), frames.h265Key(r, 300)] },
  { id: 'opus-timestamp-wrap', codec: 'opus', ssrc: 0xffffffff, timestamp: 1, frames: opus3() },
  { id: 'vp8-key-timestamp-max', codec: 'vp8', frameType: 'key', ssrc: 0, timestamp: 0xffffffff, frames: [frames.vp8Key(r, 100), frames.vp8Key(r, 100)] },
  // --- key material and KDFs
  { id: 'hkdf-16-byte-material', codec: 'opus', keyHex: K16, frames: opus3() },
  { id: 'hkdf-5-byte-material', codec: 'vp8', frameType: 'delta', keyHex: K5, frames: [frames.vp8Delta(r, 100)] },
  { id: 'hkdf-64-byte-material', codec: 'h264', frameType: 'delta', keyHex: K64, frames: [frames.h264Delta(r, 100)] },
  { id: 'pbkdf2-opus', codec: 'opus', kdf: 'pbkdf2', keyHex: K16, frames: opus3() },
  { id: 'pbkdf2-vp8-key', codec: 'vp8', frameType: 'key', kdf: 'pbkdf2', keyHex: K32, frames: [frames.vp8Key(r, 200)] },
  { id: 'pbkdf2-h264-key', codec: 'h264', frameType: 'key', kdf: 'pbkdf2', keyHex: K32, frames: h264Key() },
  { id: 'passphrase-opus', codec: 'opus', kdf: 'pbkdf2', passphrase: 'correct horse battery staple', frames: opus3() },
  { id: 'passphrase-h265-delta', codec: 'h265', frameType: 'delta', kdf: 'pbkdf2', passphrase: 'correct horse battery staple', frames: [frames.h265Delta(r, 120)] },
  { id: 'passphrase-utf8', codec: 'vp9', frameType: 'key', kdf: 'pbkdf2', passphrase: 'pässwörd-🔑-ключ', frames: [frames.vp9Key(r, 100)] },
  // --- ratchets (sender and receiver both ratchet N times)
  ...[1, 2, 3, 4].map((n) => ({ id: `hkdf-opus-ratchet-${n}`, codec: 'opus', ratchet: n, ssrc: 0x21212121, timestamp: 0x100003c0, frames: opus3() })),
  { id: 'hkdf-h264-key-ratchet-4', codec: 'h264', frameType: 'key', ratchet: 4, frames: h264Key() },
  { id: 'pbkdf2-opus-ratchet-2', codec: 'opus', kdf: 'pbkdf2', keyHex: K16, ratchet: 2, frames: opus3() },
  { id: 'passphrase-vp8-delta-ratchet-1', codec: 'vp8', frameType: 'delta', kdf: 'pbkdf2', passphrase: 'room secret', ratchet: 1, frames: [frames.vp8Delta(r, 100)] },
  // --- key index, AES-256, salts
  { id: 'keyindex-3-opus', codec: 'opus', keyIndex: 3, frames: opus3() },
  { id: 'keyindex-3-h264-key', codec: 'h264', frameType: 'key', keyIndex: 3, frames: h264Key() },
  { id: 'keyindex-15-vp8-key-ratchet-2', codec: 'vp8', frameType: 'key', keyIndex: 15, ratchet: 2, frames: [frames.vp8Key(r, 100)] },
  { id: 'aes256-opus', codec: 'opus', keySize: 256, frames: opus3() },
  { id: 'aes256-vp8-key', codec: 'vp8', frameType: 'key', keySize: 256, frames: [frames.vp8Key(r, 300)] },
  { id: 'aes256-h264-key', codec: 'h264', frameType: 'key', keySize: 256, frames: h264Key() },
  { id: 'aes256-h265-delta-ratchet-2', codec: 'h265', frameType: 'delta', keySize: 256, ratchet: 2, frames: [frames.h265Delta(r, 150)] },
  { id: 'aes256-passphrase-opus', codec: 'opus', keySize: 256, kdf: 'pbkdf2', passphrase: 'correct horse battery staple', frames: opus3() },
  { id: 'salt-text-hkdf-opus', codec: 'opus', saltText: 'frameseal-interop-salt', frames: opus3() },
  { id: 'salt-utf8-hkdf-h264-delta-ratchet-2', codec: 'h264', frameType: 'delta', saltText: 'sålt-€-🧂', ratchet: 2, frames: [frames.h264Delta(r, 100)] },
  { id: 'salt-text-pbkdf2-vp8-key', codec: 'vp8', frameType: 'key', kdf: 'pbkdf2', keyHex: K16, saltText: 'my-room', frames: [frames.vp8Key(r, 100)] },
  { id: 'salt-hex-cpp-anchor-pbkdf2-opus', codec: 'opus', kdf: 'pbkdf2', keyHex: ANCHOR_KEY, saltHex: '0001020304050607', frames: opus3() },
  { id: 'combo-aes256-keyindex-3-ratchet-2-salt-h264-key', codec: 'h264', frameType: 'key', keySize: 256, keyIndex: 3, ratchet: 2, saltText: 'combo', ssrc: 0x00000102, timestamp: 3, frames: h264Key({ sei: 280 }) },
].map((c) => ({ ...base, ...c, frames: c.frames.map((f) => hex(f)) }));

/**
 * A case whose ciphertext is forced to contain 00 00 00 01 00 00 02 00 00 03: learn the key stream
 * by encrypting zeros with the worker (same key, IV, counter), then choose the plaintext so that
 * C = P xor KS has those bytes. H.264/H.265 must escape them, other codecs must not.
 */
async function craftedZeroRunCase(id, c0, makeFrame, n) {
  const c = { ...base, ...c0, id };
  const f = makeFrame();
  const zero = concat(f.slice(0, n), new Uint8Array(f.length - n));
  const [encZero] = await lkEncrypt(c, [hex(zero)]);
  const body = unhex(encZero).slice(n);
  const ks = c.codec === 'h264' || c.codec === 'h265' ? unescapeRbsp(body) : body;
  const target = [0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0xff, 0, 0];
  const at = Math.floor((f.length - n) / 2);
  const p = Uint8Array.from(f);
  target.forEach((t, i) => (p[n + at + i] = ks[at + i] ^ t));
  return { ...c, frames: [hex(p)], ctZeroRunAt: n + at };
}

// ------------------------------------------------------------------ the checks
async function runCase(c) {
  // the package's own round trip defines the expected plaintext (3-byte start codes come back as 4-byte ones)
  let lkEnc;
  let expected;
  const lkSetup = (async () => {
    lkEnc = await lkEncrypt(c, c.frames);
    const rt = await lkDecrypt(c, lkEnc);
    rt.forEach((x, i) => {
      if (x.startsWith('reject')) throw new Error(`livekit cannot decrypt its own frame ${i}: ${x}`);
    });
    if (c.normalises === true && rt.every((x, i) => x === c.frames[i])) throw new Error('expected livekit to normalise 3-byte start codes');
    if (c.normalises !== true && rt.some((x, i) => x !== c.frames[i])) throw new Error('livekit round trip changed the frame');
    if (c.ivEscape && lkEnc.some((x, i) => x.length <= c.frames[i].length + 60)) throw new Error('expected emulation-prevention bytes in the IV');
    if (c.ctZeroRunAt != null) {
      const escaped = c.codec === 'h264' || c.codec === 'h265';
      const inserted = lkEnc[0].length / 2 - (c.frames[0].length / 2 + 30);
      if (escaped ? inserted < 3 : !lkEnc[0].includes('00000001000002000003ff0000')) throw new Error('crafted ciphertext zero run did not materialise');
    }
    expected = rt;
  })();
  let setupError;
  await lkSetup.catch((e) => (setupError = e));
  const needSetup = () => {
    if (setupError) throw setupError;
  };

  await check(`lk->fs ${c.id}`, async () => {
    needSetup();
    expectFrames('frameseal decrypt of livekit frames', await fsDecrypt(c, lkEnc), expected);
  });

  let fsEncL;
  await check(`fs->lk ${c.id}`, async () => {
    needSetup();
    fsEncL = await fsEncrypt(c, c.frames, 'livekit');
    const dec = await lkDecrypt(c, fsEncL);
    const bytesOk = fsEncL.every((x, i) => x === lkEnc[i]);
    if (!bytesOk) {
      const i = fsEncL.findIndex((x, j) => x !== lkEnc[j]);
      fail(`${describeDiff(`frameseal --iv livekit frame ${i} is not byte-identical to livekit's`, fsEncL[i], lkEnc[i])}; livekit decrypts it: ${dec[i] === expected[i] ? 'yes' : dec[i].slice(0, 80)}`);
    }
    expectFrames('livekit decrypt of frameseal frames', dec, expected);
  });

  await check(`fs-unique->lk ${c.id}`, async () => {
    needSetup();
    const fsEncU = await fsEncrypt(c, c.frames, 'unique');
    expectFrames('livekit decrypt of frameseal --iv unique frames', await lkDecrypt(c, fsEncU), expected);
    if (fsEncU.every((x, i) => x === lkEnc[i])) fail('--iv unique produced exactly the livekit-policy frames (IV policy ignored?)');
  });
  return { lkEnc, fsEncL, expected };
}

const flipBit = (h, byteIndex, mask = 0x01) => {
  const b = unhex(h);
  const i = byteIndex < 0 ? b.length + byteIndex : byteIndex;
  b[i] ^= mask;
  return hex(b);
};

async function tamperChecks(c, lkFrame, fsFrame, headerByte) {
  const spots = [
    ['ciphertext', (h) => flipBit(h, -(30 + 6)), true],
    ['tag', (h) => flipBit(h, -20, 0x40), true],
    ['iv', (h) => flipBit(h, -3, 0x80), true],
    ['header', (h) => flipBit(h, headerByte, 0x01), false],
  ];
  let fsCached = fsFrame;
  const getFs = async () => (fsCached ??= (await fsEncrypt(c, [c.frames[0]], 'livekit'))[0]);
  const getLk = async () => lkFrame ?? (await lkEncrypt(c, [c.frames[0]]))[0];
  for (const [what, mutate, authOnly] of spots) {
    for (const [src, get] of [['livekit', getLk], ['frameseal', getFs]]) {
      await check(`tamper ${what} ${src}-frame ${c.id}`, async () => {
        const t = mutate(await get());
        const [l] = await lkDecrypt(c, [t]);
        const [f] = await fsDecrypt(c, [t]);
        const why = [];
        if (!l.startsWith('reject')) why.push('livekit accepted it');
        else if (authOnly && !l.startsWith('reject InvalidKey')) why.push(`livekit: ${l} (expected InvalidKey)`);
        if (!f.startsWith('drop ')) why.push('frameseal accepted it');
        else if (authOnly && f !== 'drop auth_failed') why.push(`frameseal: "${f}" (expected "drop auth_failed")`);
        if (why.length) fail(why.join('; '));
      });
    }
  }
}

async function main() {
  // ---- 1. the worker reproduces the published vectors (self-check of the harness)
  let vec;
  try {
    vec = JSON.parse(readFileSync(VECTORS, 'utf8'));
  } catch (e) {
    await check('vector file', () => {
      throw new Broken(`cannot read ${VECTORS}: ${e.message}`);
    });
  }
  const vcase = (v) => ({
    codec: v.codec,
    frameType: v.frame_type,
    kdf: v.kdf,
    keyHex: v.passphrase_utf8 == null ? v.key_material_hex : undefined,
    passphrase: v.passphrase_utf8 ?? undefined,
    saltHex: v.ratchet_salt_hex,
    keySize: v.key_size_bits,
    keyIndex: v.key_index,
    ratchet: v.ratchet_count,
    ssrc: v.ssrc,
    timestamp: v.rtp_timestamp,
  });
  for (const v of vec?.vectors ?? []) {
    const c = vcase(v);
    const want = v.package_roundtrip?.decrypted_frame_hex ?? v.plaintext_hex;
    await check(`vector ${v.id}`, async () => {
      const [enc] = await lk.encryptFrames({ ...lkOptions(c), framesHex: [v.plaintext_hex], sendCountSeed: v.send_count_mod_65535 });
      if (enc !== v.encrypted_frame_hex) fail(describeDiff('worker output differs from the vector', enc, v.encrypted_frame_hex));
      const [dec] = await lkDecrypt(c, [enc]);
      if (dec !== want) fail(`worker round trip: ${dec.slice(0, 80)}`);
    });
    await check(`vector-fs ${v.id}`, async () => {
      const [dec] = await fsDecrypt(c, [v.encrypted_frame_hex]);
      if (dec !== want) fail(dec.startsWith('drop') ? `frameseal: ${dec}` : describeDiff('frameseal decrypt', dec, want));
      if (v.send_count_mod_65535 === 0) {
        const [enc] = await fsEncrypt(c, [v.plaintext_hex], 'livekit');
        if (enc !== v.encrypted_frame_hex) fail(describeDiff('frameseal encrypt --iv livekit', enc, v.encrypted_frame_hex));
      }
    });
  }
  let prevRx;
  for (const d of vec?.decode_behaviour ?? []) {
    const rx = typeof d.receiver === 'string' ? prevRx : d.receiver;
    prevRx = rx;
    const c = {
      codec: d.input.codec,
      frameType: d.input.frame_type,
      kdf: rx.kdf,
      keyHex: rx.key_index_0_material_hex,
      saltText: rx.options.ratchetSalt,
      keySize: rx.options.keySize,
      keyIndex: 0,
      ratchetWindow: rx.options.ratchetWindowSize,
      failureTolerance: rx.options.failureTolerance,
      sifTrailerHex: rx.sif_trailer_hex,
    };
    const errEvent = d.result.events?.find((e) => e.kind === 'error');
    const wantReason = errEvent ? /^(\w+):/.exec(errEvent.message)[1] : 'dropped';
    await check(`vector ${d.id}`, async () => {
      const [res] = await lk.decryptFrames({ ...lkOptions(c), framesHex: [d.input.encrypted_frame_hex] });
      if (res.ok !== d.result.decrypted) fail(`worker decrypted=${res.ok}, vector says ${d.result.decrypted} (${res.reason ?? ''})`);
      if (res.ok && res.hex !== d.result.output_frame_hex) fail(describeDiff('worker output', res.hex, d.result.output_frame_hex));
      if (!res.ok && res.reason !== wantReason) fail(`worker reason ${res.reason}, vector says ${wantReason}`);
    });
    await check(`vector-fs ${d.id}`, async () => {
      const [out] = await fsDecrypt(c, [d.input.encrypted_frame_hex]);
      if (d.result.decrypted) {
        if (out !== d.result.output_frame_hex) fail(out.startsWith('drop') ? `frameseal: ${out}` : describeDiff('frameseal decrypt', out, d.result.output_frame_hex));
      } else {
        const wantFs = { MissingKey: 'drop missing_key', InvalidKey: 'drop auth_failed', dropped: c.sifTrailerHex ? 'drop sif_rejected' : null }[wantReason];
        if (!out.startsWith('drop ')) fail(`frameseal accepted a frame livekit rejects (${wantReason})`);
        if (wantFs && out !== wantFs) fail(`frameseal: "${out}", expected "${wantFs}"`);
      }
    });
  }

  // ---- 2. the matrix, both directions
  const all = [
    ...cases,
    await craftedZeroRunCase('h264-delta-ciphertext-escape', { codec: 'h264', frameType: 'delta', ssrc: 0x0c0c0c0c, timestamp: 0x4000b101 }, () => frames.h264Delta(r, 200), 6),
    await craftedZeroRunCase('h265-delta-ciphertext-escape', { codec: 'h265', frameType: 'delta', ssrc: 0x0c0c0c0c, timestamp: 0x4000b101 }, () => frames.h265Delta(r, 200), 6),
    await craftedZeroRunCase('opus-ciphertext-zero-run-unescaped', { codec: 'opus', ssrc: 0x0c0c0c0c, timestamp: 0x4000b101 }, () => frames.opus(r, 100), 1),
    await craftedZeroRunCase('vp8-key-ciphertext-zero-run-unescaped', { codec: 'vp8', frameType: 'key', ssrc: 0x0c0c0c0c, timestamp: 0x4000b101 }, () => frames.vp8Key(r, 100), 10),
  ];
  const results = new Map();
  for (const c of all) results.set(c.id, { c, ...(await runCase(c)) });

  for (const id of ['opus', 'h264-key-iv-escape']) {
    const x = results.get(id);
    await check(`fs-default-iv->lk ${id}`, async () => {
      if (!x?.expected) throw new Broken(`case ${id} did not run`);
      const enc = await fsEncrypt(x.c, x.c.frames, null);
      expectFrames('livekit decrypt of frameseal frames (default IV policy)', await lkDecrypt(x.c, enc), x.expected);
      if (enc.every((f, i) => f === x.lkEnc[i])) fail('the default IV policy produced the livekit-policy frames, expected --iv unique by default');
    });
  }

  // ---- 3. negative cases
  for (const [id, headerByte] of [['opus', 0], ['vp8-key', 6], ['h264-key-sps-pps-idr', 8], ['h265-key', 10], ['aes256-opus', 0]]) {
    const x = results.get(id);
    await tamperChecks(x.c, x.lkEnc?.[0], x.fsEncL?.[0], headerByte);
  }

  for (const [id, c0, mk] of [
    ['opus', { codec: 'opus' }, () => frames.opus(r, 80)],
    ['vp8-key', { codec: 'vp8', frameType: 'key' }, () => frames.vp8Key(r, 80)],
    ['h264-key', { codec: 'h264', frameType: 'key' }, () => frames.h264Key(r, 200)],
  ]) {
    const tx = { ...base, ...c0, keyIndex: 3 };
    const rx = { ...tx, keyIndex: 0 };
    const f = [hex(mk())];
    await check(`missing-key lk->fs ${id}`, async () => {
      const enc = await lkEncrypt(tx, f);
      const [out] = await fsDecrypt(rx, enc);
      if (out !== 'drop missing_key') fail(`frameseal: "${out.slice(0, 60)}", expected "drop missing_key"`);
      const [l] = await lkDecrypt(rx, enc);
      if (!l.startsWith('reject MissingKey')) fail(`livekit: ${l.slice(0, 80)}, expected MissingKey`);
    });
    await check(`missing-key fs->lk ${id}`, async () => {
      const enc = await fsEncrypt(tx, f, 'livekit');
      const [l] = await lkDecrypt(rx, enc);
      if (!l.startsWith('reject MissingKey')) fail(`livekit: ${l.slice(0, 80)}, expected MissingKey`);
      const [out] = await fsDecrypt(rx, enc);
      if (out !== 'drop missing_key') fail(`frameseal: "${out.slice(0, 60)}", expected "drop missing_key"`);
    });
  }

  // ---- 4. receivers behind the sender (ratchet window)
  {
    const f = [hex(frames.opus(r, 100)), hex(frames.opus(r, 100))];
    const plain = f;
    for (const n of [1, 3]) {
      await check(`window lk-tx-ratchet-${n} -> fs-rx-ratchet-0`, async () => {
        const enc = await lkEncrypt({ ...base, codec: 'opus', ratchet: n }, f);
        expectFrames(`frameseal receiver ${n} step(s) behind (window 16)`, await fsDecrypt({ ...base, codec: 'opus', ratchet: 0 }, enc), plain);
      });
    }
    await check('window fs-tx-ratchet-1 -> lk-rx-ratchet-0', async () => {
      const enc = await fsEncrypt({ ...base, codec: 'opus', ratchet: 1 }, f, 'livekit');
      expectFrames('livekit receiver 1 step behind (window 8)', await lkDecrypt({ ...base, codec: 'opus', ratchet: 0, ratchetWindow: 8 }, enc), plain);
    });
    await check('window lk-tx-ratchet-1 -> fs-rx-window-0 rejects', async () => {
      const enc = await lkEncrypt({ ...base, codec: 'opus', ratchet: 1 }, f);
      const out = await fsDecrypt({ ...base, codec: 'opus', ratchet: 0, ratchetWindow: 0 }, enc);
      if (out.some((x) => !x.startsWith('drop '))) fail('frameseal with --ratchet-window 0 accepted a frame of the next ratchet step');
    });
  }
}

// ------------------------------------------------------------------ data packets (DataCryptor)
function fsDataKeyOptions(c) {
  const a = ['--key', c.keyMaterialHex, '--kdf', c.kdf, '--key-index', String(c.keyIndex ?? 0)];
  if (c.keySize === 256) a.push('--cipher', 'aes256gcm');
  if (c.ratchetSalt != null) a.push('--salt', c.ratchetSalt);
  if (c.ratchetCount) a.push('--ratchet', String(c.ratchetCount));
  return a;
}
async function fsData(mode, c, inputs, extra = []) {
  const { lines, cmd } = await frameseal(['data', mode, ...fsDataKeyOptions(c), ...extra, ...inputs]);
  if (lines.length !== inputs.length) throw new Broken(`${cmd}: ${lines.length} output lines for ${inputs.length} inputs`);
  return lines;
}

async function dataCases() {
  const r = prng(0xda7a);
  const bytesHex = (n) => hex(Uint8Array.from(r.bytes(n)));
  // Serialized EncryptedPacketPayloads made with the package's own protobuf classes.
  const proto = await import('@livekit/protocol');
  const chat = new proto.EncryptedPacketPayload({
    value: { case: 'chatMessage', value: new proto.ChatMessage({ id: 'm1', timestamp: 1700000000000n, message: 'hello, room' }) },
  });
  const user = new proto.EncryptedPacketPayload({ value: { case: 'user', value: new proto.UserPacket({ payload: unhex(bytesHex(300)), topic: 'bot' }) } });
  const payloads = [hex(chat.toBinary()), hex(user.toBinary()), '', bytesHex(5000)];
  const key = bytesHex(32);
  const groups = [
    { id: 'hkdf', c: { keyMaterialHex: key, kdf: 'hkdf' } },
    { id: 'pbkdf2-index3', c: { keyMaterialHex: key, kdf: 'pbkdf2', keyIndex: 3 } },
    { id: 'aes256-ratchet2', c: { keyMaterialHex: key, kdf: 'hkdf', keySize: 256, ratchetCount: 2 } },
  ];
  for (const g of groups) {
    await check(`data ${g.id}: livekit encrypts, frameseal decrypts`, async () => {
      const enc = await lk.encryptData({ ...g.c, payloadsHex: payloads });
      // frameseal receives with the un-ratcheted key and follows the sender through its window
      const out = await fsData('decrypt', { ...g.c, ratchetCount: 0 }, enc.map((e) => e.packetHex));
      expectFrames('frameseal data decrypt', out, payloads);
    });
    await check(`data ${g.id}: frameseal with livekit's IV formula is byte-identical`, async () => {
      const ivRandom = r.int(0x100000000), ivTimestamp = r.int(0x100000000);
      const enc = await lk.encryptData({ ...g.c, payloadsHex: payloads, ivRandom, ivTimestamp });
      const mine = await fsData('encrypt', g.c, payloads,
        ['--iv', 'livekit', '--iv-random', String(ivRandom), '--iv-timestamp', String(ivTimestamp), '--iv-count', String(enc[0].sendCount)]);
      expectFrames('frameseal data encrypt --iv livekit', mine, enc.map((e) => e.packetHex));
    });
    await check(`data ${g.id}: frameseal encrypts (unique IV, gcm type), livekit decrypts`, async () => {
      const mine = [...(await fsData('encrypt', g.c, payloads)), ...(await fsData('encrypt', g.c, payloads.slice(0, 1), ['--type', 'gcm']))];
      // (a livekit receiver at the sender's ratchet step: livekit-client 2.23.0 cannot follow a
      // data sender's ratchet, see the case below)
      const got = await lk.decryptData({ ...g.c, packetsHex: mine });
      const bad = got.findIndex((x) => !x.ok);
      if (bad >= 0) fail(`livekit rejected packet ${bad}: ${got[bad].reason} ${got[bad].message ?? ''}`);
      expectFrames('livekit data decrypt', got.map((x) => x.hex), [...payloads, payloads[0]]);
    });
  }
  await check('data: a livekit receiver one ratchet behind rejects (package limitation), frameseal follows', async () => {
    // livekit-client 2.23.0 DataCryptor.decrypt ratchets on failure but its recursive call decrypts
    // with the key set it already had (ratchetOpts.encryptionKey is ignored): it never follows.
    const c = { keyMaterialHex: key, kdf: 'hkdf' };
    const enc = await lk.encryptData({ ...c, ratchetCount: 1, payloadsHex: [payloads[0]] });
    const [l] = await lk.decryptData({ ...c, packetsHex: [enc[0].packetHex] });
    if (l.ok) fail('livekit followed the data sender ratchet: the package changed, update this case and docs/api.md');
    const [f] = await fsData('decrypt', c, [enc[0].packetHex]);
    if (f !== payloads[0]) fail(`frameseal did not follow: "${f.slice(0, 40)}"`);
  });
  await check('data tampered and wrong-key packets: both reject', async () => {
    const c = { keyMaterialHex: key, kdf: 'hkdf' };
    const [e] = await lk.encryptData({ ...c, payloadsHex: [payloads[0]] });
    const flipped = e.packetHex.slice(0, -2) + ((parseInt(e.packetHex.slice(-2), 16) ^ 1).toString(16).padStart(2, '0'));
    const [a] = await fsData('decrypt', c, [flipped]);
    if (a !== 'drop auth_failed') fail(`frameseal: "${a.slice(0, 40)}", expected "drop auth_failed"`);
    const [b] = await lk.decryptData({ ...c, packetsHex: [flipped] });
    if (b.ok) fail('livekit accepted a tampered packet');
    const [w] = await fsData('decrypt', { ...c, keyMaterialHex: bytesHex(32) }, [e.packetHex]);
    if (w !== 'drop auth_failed') fail(`frameseal with another key: "${w.slice(0, 40)}"`);
    const [m] = await fsData('decrypt', { ...c, keyIndex: 5 }, [e.packetHex]);
    if (m !== 'drop missing_key') fail(`frameseal without key index 0: "${m.slice(0, 40)}"`);
  });
  await check('data in a whole DataPacket (field 18), as livekit-client sends it', async () => {
    const c = { keyMaterialHex: key, kdf: 'hkdf' };
    const [e] = await lk.encryptData({ ...c, payloadsHex: [payloads[0]] });
    const ep = proto.EncryptedPacket.fromBinary(unhex(e.packetHex));
    const dp = new proto.DataPacket({ participantIdentity: 'alice', destinationIdentities: ['bot'], sequence: 7,
                                      value: { case: 'encryptedPacket', value: ep } });
    const plainDp = new proto.DataPacket({ participantIdentity: 'alice', value: { case: 'user', value: new proto.UserPacket({ payload: unhex('01') }) } });
    const out = await fsData('decrypt', c, [hex(dp.toBinary()), hex(plainDp.toBinary())], ['--data-packet']);
    expectFrames('frameseal data decrypt --data-packet', out, [payloads[0], 'drop not_encrypted']);
  });
}

// ------------------------------------------------------------------ data tracks
async function fsTrack(mode, c, inputs, extra = []) {
  const { lines } = await frameseal(['data', mode, '--track', ...fsDataKeyOptions(c), ...extra, ...inputs]);
  return lines;
}

async function dataTrackCases() {
  const r = prng(0xd47a);
  const bytesHex = (n) => hex(Uint8Array.from(r.bytes(n)));
  // one packet; one that just fits a packet (16000 - the header with both extensions, 40 bytes -
  // the 16-byte tag); three packets; a tiny frame
  const payloads = [bytesHex(300), bytesHex(16000 - 40 - 16), bytesHex(40000), bytesHex(1)];
  const key = bytesHex(32);
  const groups = [
    { id: 'hkdf', c: { keyMaterialHex: key, kdf: 'hkdf' }, extra: {} },
    { id: 'pbkdf2-index2-user-timestamp', c: { keyMaterialHex: key, kdf: 'pbkdf2', keyIndex: 2 }, extra: { userTimestamp: '1700000000123' } },
    { id: 'aes256-ratchet1', c: { keyMaterialHex: key, kdf: 'hkdf', keySize: 256, ratchetCount: 1 }, extra: {} },
  ];
  for (const g of groups) {
    await check(`data-track ${g.id}: livekit publishes, frameseal reassembles and decrypts`, async () => {
      const enc = await lk.encryptDataTrack({ ...g.c, ...g.extra, handle: 3, timestamp: 123456, payloadsHex: payloads });
      const counts = enc.map((f) => f.packetsHex.length);
      if (counts.join() !== '1,1,3,1') fail(`livekit made ${counts} packets per frame, expected 1,1,3,1`);
      const out = await fsTrack('decrypt', { ...g.c, ratchetCount: 0 }, enc.flatMap((f) => f.packetsHex));
      expectFrames('frameseal data decrypt --track', out, payloads);
    });
    await check(`data-track ${g.id}: frameseal publishes, livekit parses, re-serializes byte for byte, decrypts`, async () => {
      const extra = ['--handle', '9', '--timestamp', '4000000000'];
      if (g.extra.userTimestamp) extra.push('--user-timestamp', g.extra.userTimestamp);
      const packets = await fsTrack('encrypt', g.c, payloads, extra);
      if (packets.length !== 6) fail(`frameseal made ${packets.length} packets, expected 6`);
      const got = await lk.decryptDataTrack({ ...g.c, packetsHex: packets });
      const diff = got.reserializedHex.findIndex((x, i) => x !== packets[i]);
      if (diff >= 0) fail(`packet ${diff} re-serialized by livekit differs: ${got.reserializedHex[diff].slice(0, 80)} vs ${packets[diff].slice(0, 80)}`);
      const h = got.headers;
      const markers = h.map((x) => x.marker).join();
      if (markers !== '3,3,0,1,2,3') fail(`markers ${markers}, expected single,single,start,inter,final,single`);
      if (h.some((x, i) => x.trackHandle !== 9 || x.timestamp !== 4000000000 || x.sequence !== i)) fail(`headers: ${JSON.stringify(h[0])}`);
      if (h.map((x) => x.frameNumber).join() !== '0,1,2,2,2,3') fail(`frame numbers ${h.map((x) => x.frameNumber)}`);
      if (h.some((x) => x.extensions.e2ee?.keyIndex !== (g.c.keyIndex ?? 0))) fail('the E2EE extension does not carry the key index');
      if (g.extra.userTimestamp && h.some((x) => x.extensions.userTimestamp?.timestamp !== g.extra.userTimestamp)) fail('user timestamp lost');
      const bad = got.frames.findIndex((x) => !x.ok);
      if (bad >= 0) fail(`livekit could not decrypt frame ${bad}: ${got.frames[bad].reason}`);
      expectFrames('livekit data track decrypt', got.frames.map((x) => x.hex), payloads);
    });
  }
  await check('data-track: a lost packet, a tampered one, a wrong key: frameseal drops and says why', async () => {
    const c = { keyMaterialHex: key, kdf: 'hkdf' };
    const [f3] = await lk.encryptDataTrack({ ...c, payloadsHex: [payloads[2]] });
    const p = f3.packetsHex;
    const lost = await fsTrack('decrypt', c, [p[0], p[2]]);
    if (lost.join() !== 'drop incomplete') fail(`lost packet: ${lost}`);
    const last = p[2];
    const flipped = last.slice(0, -2) + ((parseInt(last.slice(-2), 16) ^ 1).toString(16).padStart(2, '0'));
    const t = await fsTrack('decrypt', c, [p[0], p[1], flipped]);
    if (t.join() !== 'drop auth_failed') fail(`tampered: ${t}`);
    const got = await lk.decryptDataTrack({ ...c, packetsHex: [p[0], p[1], flipped] });
    if (got.frames[0]?.ok) fail('livekit accepted a tampered data track frame');
    const w = await fsTrack('decrypt', { ...c, keyMaterialHex: bytesHex(32) }, p);
    if (w.join() !== 'drop auth_failed') fail(`wrong key: ${w}`);
  });
}

// ------------------------------------------------------------------ the KDF-mismatch report
// The most common LiveKit E2EE interop failure: one side on HKDF, the other on PBKDF2. A real
// livekit-client sender on one, a frameseal receiver on the other with --detect-kdf-mismatch.
async function kdfMismatchCases() {
  const f = [hex(frames.opus(r, 100)), hex(frames.vp8Delta(r, 80))];
  for (const [tx, rx] of [['pbkdf2', 'hkdf'], ['hkdf', 'pbkdf2']]) {
    await check(`kdf-mismatch livekit sender ${tx} -> frameseal receiver ${rx} names it`, async () => {
      const enc = [
        ...(await lkEncrypt({ ...base, kdf: tx, codec: 'opus' }, [f[0]])),
        ...(await lkEncrypt({ ...base, kdf: tx, codec: 'vp8', frameType: 'delta' }, [f[1]])),
      ];
      const [a] = await frameseal(['frame', 'decrypt', ...fsOptions({ ...base, kdf: rx, codec: 'opus' }, 'rx'), '--detect-kdf-mismatch', enc[0]]).then((x) => x.lines);
      const [b] = await frameseal(['frame', 'decrypt', ...fsOptions({ ...base, kdf: rx, codec: 'vp8', frameType: 'delta' }, 'rx'), '--detect-kdf-mismatch', enc[1]]).then((x) => x.lines);
      for (const l of [a, b]) if (l !== `drop kdf_mismatch sender_kdf=${tx}`) fail(`frameseal printed "${l.slice(0, 60)}", expected "drop kdf_mismatch sender_kdf=${tx}"`);
      // without the option: the plain failure every LiveKit SDK reports
      const [c] = await frameseal(['frame', 'decrypt', ...fsOptions({ ...base, kdf: rx, codec: 'opus' }, 'rx'), enc[0]]).then((x) => x.lines);
      if (c !== 'drop auth_failed') fail(`without --detect-kdf-mismatch: "${c.slice(0, 60)}"`);
      // and the matching KDF decrypts
      expectFrames('frameseal receiver on the sender\'s KDF', await fsDecrypt({ ...base, kdf: tx, codec: 'opus' }, [enc[0]]), [f[0]]);
    });
  }
  await check('salt-mismatch livekit sender on the default salt -> frameseal receiver on a custom salt names it', async () => {
    const [enc] = await lkEncrypt({ ...base, codec: 'opus' }, [f[0]]);
    const rx = { ...base, codec: 'opus', saltText: 'my-room-salt' };
    const [a] = await frameseal(['frame', 'decrypt', ...fsOptions(rx, 'rx'), '--detect-kdf-mismatch', enc]).then((x) => x.lines);
    if (a !== 'drop salt_mismatch') fail(`frameseal printed "${a.slice(0, 60)}", expected "drop salt_mismatch"`);
    const [b] = await frameseal(['frame', 'decrypt', ...fsOptions(rx, 'rx'), enc]).then((x) => x.lines);
    if (b !== 'drop auth_failed') fail(`without --detect-kdf-mismatch: "${b.slice(0, 60)}"`);
    // a livekit sender on a custom salt the frameseal receiver does not know: only auth_failed
    const [custom] = await lkEncrypt({ ...base, codec: 'opus', saltText: 'their-salt' }, [f[0]]);
    const [c] = await frameseal(['frame', 'decrypt', ...fsOptions({ ...base, codec: 'opus' }, 'rx'), '--detect-kdf-mismatch', custom]).then((x) => x.lines);
    if (c !== 'drop auth_failed') fail(`unknown custom salt: "${c.slice(0, 60)}", expected "drop auth_failed"`);
  });
}

try {
  await main();
  await dataCases();
  await dataTrackCases();
  await kdfMismatchCases();
} catch (e) {
  broken = true;
  failed++;
  console.log(`FAIL harness: ${e.stack ?? e}`);
}
if (verbose) console.error(`frameseal: ${fsStats.calls} runs, ${fsStats.ms} ms; total ${Math.round(performance.now())} ms`);
console.log(`interop: ${passed} passed, ${failed} failed`);
process.exitCode = broken ? 2 : failed ? 1 : 0;
