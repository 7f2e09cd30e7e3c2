// Drives the REAL E2EE worker bundle of livekit-client (Apache-2.0, installed from npm, not
// vendored) in-process under Node.js, the way E2eeManager drives it in a browser.
//
// The bundle `dist/livekit-client.e2ee.worker.mjs` is imported as-is after installing the few
// globals a dedicated worker would have (self, postMessage, onmessage, RTCEncoded*Frame). Messages
// are handed to its `onmessage` exactly as E2eeManager posts them; encoded frames are stand-in
// objects (data, timestamp, type, getMetadata()) flowing through real ReadableStream /
// WritableStream objects. Math.random is stubbed (0 by default) so the per-SSRC send counter
// starts at 0, like native (C++) senders.
//
// The worker is a singleton module with global state (options from the last `init`, key handlers
// per participant identity, cryptors per track id, the SIF trailer). Every call here is serialised,
// re-sends `init`, and uses fresh participant identities and track ids, so calls are independent.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const EXPECTED_BUNDLE_SHA256 =
  'c945ad10b420d5afe504d009aa1ad4b723ce4e4b484b2fc7db8061715d66968c';
export const LIVEKIT_CLIENT_VERSION = '2.23.0';

const DEBUG = !!process.env.LK_WORKER_DEBUG;

// ---------------------------------------------------------------- locate and verify the bundle
const bundleUrl = import.meta.resolve('livekit-client/e2ee-worker');
export const bundlePath = fileURLToPath(bundleUrl);
export const bundleSha256 = createHash('sha256').update(readFileSync(bundlePath)).digest('hex');
if (bundleSha256 !== EXPECTED_BUNDLE_SHA256) {
  throw new Error(
    `livekit-client e2ee worker bundle mismatch: ${bundlePath} has sha256 ${bundleSha256}, ` +
      `expected ${EXPECTED_BUNDLE_SHA256} (livekit-client@${LIVEKIT_CLIENT_VERSION}). ` +
      `Run "npm ci" in ${fileURLToPath(new URL('.', import.meta.url))}.`,
  );
}
{
  const pkg = JSON.parse(readFileSync(new URL('../package.json', bundleUrl), 'utf8'));
  if (pkg.name !== 'livekit-client' || pkg.version !== LIVEKIT_CLIENT_VERSION) {
    throw new Error(`${pkg.name}@${pkg.version} installed, expected livekit-client@${LIVEKIT_CLIENT_VERSION}`);
  }
}

// ---------------------------------------------------------------- worker-global shims
let randomValue = 0;
Math.random = () => randomValue; // the send-counter seed is floor(Math.random() * 0xffff)

const listeners = new Set();
if (typeof globalThis.self === 'undefined') globalThis.self = globalThis;
globalThis.postMessage = (msg /* , transfer */) => {
  if (DEBUG) process.stderr.write(`[worker->] ${safeJson(msg)}\n`);
  for (const l of [...listeners]) l(msg);
};
if (!('onmessage' in globalThis)) globalThis.onmessage = null; // the bundle assigns `onmessage = ...`

// Stand-ins for the browser's encoded frames. The worker tells video from audio by `'type' in frame`
// and only uses `instanceof RTCEncodedAudioFrame` for a log line.
class EncodedFrameBase {
  constructor(bytes, timestamp, metadata) {
    this.data = Uint8Array.from(bytes).buffer;
    this.timestamp = timestamp;
    Object.defineProperty(this, '_metadata', { value: metadata, enumerable: false });
  }
  getMetadata() {
    return { ...this._metadata };
  }
}
class RTCEncodedAudioFrame extends EncodedFrameBase {}
class RTCEncodedVideoFrame extends EncodedFrameBase {
  constructor(bytes, timestamp, metadata, type) {
    super(bytes, timestamp, metadata);
    this.type = type;
  }
}
if (typeof globalThis.RTCEncodedAudioFrame === 'undefined') {
  globalThis.RTCEncodedAudioFrame = RTCEncodedAudioFrame;
  globalThis.RTCEncodedVideoFrame = RTCEncodedVideoFrame;
}

// The package's own key-material helpers (main entry point) and the worker itself.
const lk = await import('livekit-client');
await import(bundleUrl);
const workerOnMessage = globalThis.onmessage;
if (typeof workerOnMessage !== 'function') {
  throw new Error('livekit-client e2ee worker did not install an onmessage handler');
}

// ---------------------------------------------------------------- helpers
function safeJson(v) {
  try {
    return JSON.stringify(v, (k, x) =>
      x instanceof ArrayBuffer
        ? `<ArrayBuffer ${x.byteLength}>`
        : ArrayBuffer.isView(x)
          ? `<${x.constructor.name} ${x.byteLength}>`
          : x instanceof Error
            ? `${x.name}: ${x.message}`
            : x,
    );
  } catch {
    return String(v);
  }
}

export function hexToBytes(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) {
    throw new TypeError(`not a hex string: ${String(hex).slice(0, 40)}`);
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
export function bytesToHex(buf) {
  return Buffer.from(buf instanceof ArrayBuffer ? new Uint8Array(buf) : buf).toString('hex');
}

function post(kind, data) {
  if (DEBUG) process.stderr.write(`[->worker] ${safeJson({ kind, data })}\n`);
  workerOnMessage({ data: { kind, data } });
}

function waitFor(pred, what, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      listeners.delete(l);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const l = (msg) => {
      if (pred(msg)) {
        clearTimeout(timer);
        listeners.delete(l);
        resolve(msg);
      }
    };
    listeners.add(l);
  });
}

let seq = 0;
const nextId = () => `${process.pid}-${++seq}`;

// The worker processes messages one at a time (AsyncQueue). An `enable` message is echoed back once
// handled, so its echo proves that everything posted before it has been processed.
async function barrier() {
  const id = `__barrier-${nextId()}`;
  const p = waitFor(
    (m) => m.kind === 'enable' && m.data?.participantIdentity === id,
    'worker barrier',
  );
  post('enable', { participantIdentity: id, enabled: false });
  await p;
}

// Serialise all calls: `init` replaces the worker's global options.
let chain = Promise.resolve();
function serialized(fn) {
  const r = chain.then(fn, fn);
  chain = r.catch(() => {});
  return r;
}

const MIME = { opus: 'audio/opus', vp8: 'video/VP8', vp9: 'video/VP9', h264: 'video/H264', h265: 'video/H265', av1: 'video/AV1' };
const PAYLOAD_TYPE = { opus: 111, vp8: 96, vp9: 98, h264: 102, h265: 104, av1: 35 };
const DEFAULT_SALT = 'LKFrameEncryptionKey';

function saltString(o) {
  if (o.ratchetSalt != null && o.ratchetSaltHex != null) throw new TypeError('give ratchetSalt or ratchetSaltHex, not both');
  if (o.ratchetSaltHex != null) {
    // livekit takes the salt as a JS string and UTF-8-encodes it, so only valid UTF-8 is reachable
    const bytes = hexToBytes(o.ratchetSaltHex);
    let s;
    try {
      s = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new TypeError('ratchetSaltHex is not valid UTF-8; livekit-client can only use UTF-8 salts');
    }
    return s;
  }
  return o.ratchetSalt ?? DEFAULT_SALT;
}

function normaliseCommon(o) {
  const codec = o.codec ?? (o.kind === 'audio' ? 'opus' : undefined);
  if (!codec || !(codec in MIME)) throw new TypeError(`unknown codec ${o.codec}`);
  const kind = o.kind ?? (codec === 'opus' ? 'audio' : 'video');
  if (kind !== 'audio' && kind !== 'video') throw new TypeError(`unknown kind ${o.kind}`);
  const frameType = kind === 'audio' ? null : (o.frameType ?? 'delta');
  if (kind === 'video' && !['key', 'delta', 'empty'].includes(frameType)) throw new TypeError(`bad frameType ${o.frameType}`);
  const keySize = o.keySize ?? 128;
  if (keySize !== 128 && keySize !== 256) throw new TypeError(`keySize must be 128 or 256`);
  const u32 = (v, name, dflt) => {
    const x = v ?? dflt;
    if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new TypeError(`${name} must be a 32-bit unsigned integer`);
    return x;
  };
  const keyIndex = o.keyIndex ?? 0;
  if (!Number.isInteger(keyIndex) || keyIndex < 0 || keyIndex > 255) throw new TypeError('keyIndex must be 0..255');
  const ratchetCount = o.ratchetCount ?? 0;
  if (!Number.isInteger(ratchetCount) || ratchetCount < 0) throw new TypeError('ratchetCount must be >= 0');
  if (!Array.isArray(o.framesHex)) throw new TypeError('framesHex must be an array of hex strings');
  return {
    codec,
    kind,
    frameType,
    keySize,
    keyIndex,
    ratchetCount,
    salt: saltString(o),
    ssrc: u32(o.ssrc, 'ssrc', 0x11223344),
    timestamp: u32(o.timestamp, 'timestamp', 0x5e6f7081),
    frames: o.framesHex.map(hexToBytes),
    keyringSize: o.keyringSize ?? 16,
  };
}

/** The CryptoKey material exactly as an app would create it with the package's helpers. */
async function makeMaterial(o) {
  const kdf = o.kdf ?? (o.passphrase != null ? 'pbkdf2' : 'hkdf');
  if (kdf !== 'hkdf' && kdf !== 'pbkdf2') throw new TypeError(`kdf must be hkdf or pbkdf2`);
  if ((o.passphrase != null) === (o.keyMaterialHex != null)) throw new TypeError('give exactly one of passphrase / keyMaterialHex');
  if (o.passphrase != null) {
    if (kdf === 'pbkdf2') return lk.createKeyMaterialFromString(o.passphrase); // ExternalE2EEKeyProvider.setKey(string)
    return lk.createKeyMaterialFromBuffer(new TextEncoder().encode(o.passphrase).buffer);
  }
  const bytes = hexToBytes(o.keyMaterialHex);
  if (kdf === 'hkdf') return lk.createKeyMaterialFromBuffer(bytes.buffer); // setKey(ArrayBuffer)
  return lk.importKey(bytes, 'PBKDF2', 'derive'); // raw bytes as PBKDF2 material (custom BaseKeyProvider)
}

async function initWorker(keyProviderOptions) {
  const ack = waitFor((m) => m.kind === 'initAck', 'initAck');
  post('init', { keyProviderOptions, loglevel: DEBUG ? 'debug' : 'warn' });
  await ack;
}

/** setKey (updateCurrentKeyIndex=true) and then `ratchetCount` ratchetRequests, each awaited. */
async function installKey(identity, o, keyIndex, ratchetCount, isPublisher) {
  const key = await makeMaterial(o);
  post('setKey', { participantIdentity: identity, isPublisher, key, keyIndex, updateCurrentKeyIndex: true });
  await barrier();
  const chainKeys = [];
  for (let i = 0; i < ratchetCount; i++) {
    // ratchetRequest is handled outside the worker's message queue (not awaited there), and a second
    // request for the same slot while one is in flight returns the same promise: wait for each one.
    const done = waitFor(
      (m) => m.kind === 'ratchetKey' && m.data?.participantIdentity === identity && m.data?.keyIndex === keyIndex,
      `ratchetKey #${i + 1} for ${identity}`,
    );
    post('ratchetRequest', { participantIdentity: identity, keyIndex });
    const msg = await done;
    chainKeys.push(bytesToHex(msg.data.ratchetResult.chainKey));
    await barrier();
  }
  return chainKeys;
}

/** A transform pipeline: what we enqueue is what the worker reads; what it writes we collect. */
function makePipeline() {
  let ctrl;
  const readableStream = new ReadableStream({ start: (c) => void (ctrl = c) });
  const written = [];
  const state = { aborted: null, closed: false };
  let wake = () => {};
  const writableStream = new WritableStream({
    write(chunk) {
      written.push(chunk);
      wake();
    },
    close() {
      state.closed = true;
      wake();
    },
    abort(reason) {
      state.aborted = reason ?? new Error('aborted');
      wake();
    },
  });
  return {
    readableStream,
    writableStream,
    written,
    state,
    enqueue: (f) => ctrl.enqueue(f),
    /** resolves once `cond()` holds (re-checked on every write/close/abort) */
    until(cond, what, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (cond()) {
            clearTimeout(timer);
            wake = () => {};
            resolve();
          }
        };
        const timer = setTimeout(() => {
          wake = () => {};
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        wake = check;
        check();
      });
    },
  };
}

function makeFrameFactory(c) {
  const metadata = {
    synchronizationSource: c.ssrc,
    rtpTimestamp: c.timestamp,
    payloadType: PAYLOAD_TYPE[c.codec],
    mimeType: MIME[c.codec],
    contributingSources: [],
  };
  return (bytes) =>
    c.kind === 'audio'
      ? new RTCEncodedAudioFrame(bytes, c.timestamp, metadata)
      : new RTCEncodedVideoFrame(bytes, c.timestamp, metadata, c.frameType);
}

/**
 * Push one frame, then an empty sentinel frame (the worker forwards empty frames untouched in both
 * directions). TransformStream runs the transform strictly in order, so when the sentinel comes out
 * the frame has been fully processed: it came out (the worker enqueues the same object) or it was
 * dropped. No timing assumptions; the timeout only guards against a dead pipeline.
 */
async function pushFrame(pipe, frame, mkFrame, timeoutMs) {
  const sentinel = mkFrame(new Uint8Array(0));
  pipe.enqueue(frame);
  pipe.enqueue(sentinel);
  await pipe.until(
    () => pipe.written.includes(sentinel) || pipe.state.aborted || pipe.state.closed,
    'the worker to process a frame',
    timeoutMs,
  );
  if (pipe.written.includes(frame)) return { out: new Uint8Array(frame.data) };
  if (pipe.state.aborted) {
    await new Promise((r) => setImmediate(r)); // let the worker's pipeTo().catch() post its error
    return { pipelineError: String(pipe.state.aborted?.message ?? pipe.state.aborted) };
  }
  return { out: null };
}

function collectEvents(identity) {
  const errors = [];
  const logs = [];
  const ratchets = [];
  const l = (m) => {
    if (m.kind === 'error' && m.data?.participantIdentity === identity) {
      errors.push(String(m.data?.error?.message ?? m.data?.error));
    } else if (m.kind === 'log' && (m.data?.level === 'warn' || m.data?.level === 'error')) {
      logs.push(`${m.data.level}: ${m.data.msg}${m.data.context?.error ? ` (${m.data.context.error})` : ''}`);
    } else if (m.kind === 'ratchetKey' && m.data?.participantIdentity === identity) {
      ratchets.push({ keyIndex: m.data.keyIndex, chainKeyHex: bytesToHex(m.data.ratchetResult.chainKey) });
    }
  };
  listeners.add(l);
  return { errors, logs, ratchets, stop: () => listeners.delete(l) };
}

const reasonOf = (msg) => (/^([A-Za-z]+):/.exec(msg)?.[1] ?? msg);

// ---------------------------------------------------------------- public API

/**
 * Encrypt frames with one livekit sender (one FrameCryptor, so the IV counter runs 0,1,2,...).
 * Options: kdf 'hkdf'|'pbkdf2', keyMaterialHex | passphrase, ratchetSalt | ratchetSaltHex,
 * keySize 128|256, keyIndex, ratchetCount, codec, kind, frameType 'key'|'delta'|null, ssrc,
 * timestamp, framesHex[], sendCountSeed (default 0: Math.random() = 0).
 * Returns the encrypted frames as hex; throws if the worker produced no output for a frame.
 */
export function encryptFrames(opts) {
  return serialized(async () => {
    const r = await encryptFramesDetailed(opts);
    const bad = r.findIndex((x) => !x.ok);
    if (bad >= 0) {
      const e = new Error(`livekit worker did not encrypt frame ${bad}: ${r[bad].reason}${r[bad].message ? ` (${r[bad].message})` : ''}`);
      e.results = r;
      throw e;
    }
    return r.map((x) => x.hex);
  });
}

async function encryptFramesDetailed(opts) {
  const c = normaliseCommon(opts);
  const seed = opts.sendCountSeed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xfffe) throw new TypeError('sendCountSeed must be 0..65534');
  const id = nextId();
  const tx = `tx-${id}`;
  await initWorker({
    sharedKey: false,
    ratchetSalt: c.salt,
    ratchetWindowSize: 0,
    failureTolerance: -1,
    keyringSize: c.keyringSize,
    keySize: c.keySize,
  });
  post('enable', { participantIdentity: tx, enabled: true });
  await installKey(tx, opts, c.keyIndex, c.ratchetCount, true);

  const pipe = makePipeline();
  // as E2eeManager.setupE2EESender: only h264/h265 are seeded, the rest comes from frame metadata
  post('encode', {
    readableStream: pipe.readableStream,
    writableStream: pipe.writableStream,
    codec: c.codec === 'h264' || c.codec === 'h265' ? c.codec : undefined,
    trackId: `track-tx-${id}`,
    participantIdentity: tx,
    hasPacketTrailer: false,
    packetTrailer: undefined,
  });
  await barrier();

  const mk = makeFrameFactory(c);
  const ev = collectEvents(tx);
  const results = [];
  // the counter is seeded with floor(Math.random() * 0xffff) on the first frame of the SSRC
  randomValue = (seed + 0.5) / 0xffff;
  try {
    for (const bytes of c.frames) {
      ev.errors.length = 0;
      ev.logs.length = 0;
      const r = await pushFrame(pipe, mk(bytes), mk, opts.timeoutMs ?? 30000);
      if (r.out) results.push({ ok: true, hex: bytesToHex(r.out) });
      else if (r.pipelineError) results.push({ ok: false, reason: 'pipeline_error', message: r.pipelineError, errors: [...ev.errors] });
      else results.push({ ok: false, reason: ev.errors.length ? reasonOf(ev.errors[0]) : 'dropped', message: [...ev.errors, ...ev.logs].join('; ') || undefined });
      if (r.pipelineError) {
        // the transform is dead (e.g. AV1 throws): the remaining frames cannot be processed
        while (results.length < c.frames.length) results.push({ ok: false, reason: 'pipeline_dead' });
        break;
      }
    }
  } finally {
    randomValue = 0;
    ev.stop();
  }
  return results;
}

/**
 * Decrypt frames with one livekit receiver (a participant identity with its own key ring; each
 * frame goes through a fresh FrameCryptor of that participant so that the per-cryptor error rate
 * limiter (1 error per second) cannot hide the reason; ring, ratchet and failure-count state live in
 * the participant's key handler and carry over from frame to frame exactly as in one cryptor).
 * Options: key options as for encryptFrames (the receiver's key; ratchetCount = receiver-side
 * ratchets before decrypting), codec/kind/frameType, ratchetWindowSize (default 8) and
 * failureTolerance (default 10) = the package's KEY_PROVIDER_DEFAULTS, sifTrailerHex, framesHex.
 * Returns per frame {ok:true, hex} or {ok:false, reason: 'MissingKey'|'InvalidKey'|...|'dropped'}.
 */
export function decryptFrames(opts) {
  return serialized(() => decryptFramesDetailed(opts));
}

async function decryptFramesDetailed(opts) {
  const c = normaliseCommon({ ssrc: 0, timestamp: 0, ...opts });
  const id = nextId();
  const rx = `rx-${id}`;
  await initWorker({
    sharedKey: false,
    ratchetSalt: c.salt,
    ratchetWindowSize: opts.ratchetWindowSize ?? 8,
    failureTolerance: opts.failureTolerance ?? 10,
    keyringSize: c.keyringSize,
    keySize: c.keySize,
  });
  // the SIF trailer is worker-global: always (re)set it, empty = no SIF detection
  post('setSifTrailer', { trailer: opts.sifTrailerHex ? hexToBytes(opts.sifTrailerHex) : new Uint8Array(0) });
  post('enable', { participantIdentity: rx, enabled: true });
  if (!opts.noKey) await installKey(rx, opts, c.keyIndex, c.ratchetCount, false);

  const mk = makeFrameFactory(c);
  const ev = collectEvents(rx);
  const results = [];
  try {
    let n = 0;
    for (const bytes of c.frames) {
      const pipe = makePipeline();
      // as E2eeManager.setupE2EEReceiver: video tracks carry the codec from trackInfo
      post('decode', {
        readableStream: pipe.readableStream,
        writableStream: pipe.writableStream,
        trackId: `track-rx-${id}-${n++}`,
        codec: c.kind === 'video' ? c.codec : undefined,
        participantIdentity: rx,
        hasPacketTrailer: false,
      });
      await barrier();
      ev.errors.length = 0;
      ev.logs.length = 0;
      ev.ratchets.length = 0;
      const r = await pushFrame(pipe, mk(bytes), mk, opts.timeoutMs ?? 30000);
      const extra = {};
      if (ev.ratchets.length) extra.ratchets = [...ev.ratchets];
      if (r.out) results.push({ ok: true, hex: bytesToHex(r.out), ...extra });
      else if (r.pipelineError) results.push({ ok: false, reason: 'pipeline_error', message: r.pipelineError });
      else
        results.push({
          ok: false,
          reason: ev.errors.length ? reasonOf(ev.errors[0]) : 'dropped',
          ...(ev.errors.length || ev.logs.length ? { message: [...ev.errors, ...ev.logs].join('; ') } : {}),
          ...extra,
        });
    }
  } finally {
    ev.stop();
  }
  return results;
}


// ---------------------------------------------------------------- data packets (DataCryptor)
// livekit-client encrypts data packets in the same worker (encryptDataRequest / decryptDataRequest)
// and wraps the result in an EncryptedPacket on the main thread (RTCEngine.sendDataPacket); the
// harness does that with the package's own protobuf classes (@livekit/protocol).
const proto = await import('@livekit/protocol');
// DataCryptor.makeIV: BE32(crypto.getRandomValues(Uint32Array(1))[0]) || BE32(performance.now())
// || BE32(now - sendCount % 0xffff), with sendCount static in the worker: counted here.
export let dataSendCount = 0;

function keyOptions(o) {
  const keySize = o.keySize ?? 128;
  if (keySize !== 128 && keySize !== 256) throw new TypeError('keySize must be 128 or 256');
  const keyIndex = o.keyIndex ?? 0;
  if (!Number.isInteger(keyIndex) || keyIndex < 0 || keyIndex > 255) throw new TypeError('keyIndex must be 0..255');
  return { keySize, keyIndex, ratchetCount: o.ratchetCount ?? 0, salt: saltString(o) };
}

// A fresh worker session with one participant holding the key of opts: a sender (no ratchet window,
// never invalidates) or a receiver (ratchetWindowSize, default 8; failureTolerance, default 10).
// Returns the participant identity.
async function dataParticipant(opts, prefix, isPublisher) {
  const k = keyOptions(opts);
  const id = `${prefix}-${nextId()}`;
  await initWorker({ sharedKey: false, ratchetSalt: k.salt,
                     ratchetWindowSize: isPublisher ? 0 : (opts.ratchetWindowSize ?? 8),
                     failureTolerance: isPublisher ? -1 : (opts.failureTolerance ?? 10),
                     keyringSize: opts.keyringSize ?? 16, keySize: k.keySize });
  post('enable', { participantIdentity: id, enabled: true });
  await installKey(id, opts, k.keyIndex, k.ratchetCount, isPublisher);
  return id;
}

// With opts.ivRandom set, crypto.getRandomValues(Uint32Array(1)) and performance.now return
// opts.ivRandom / opts.ivTimestamp while the worker makes data IVs. Returns the function that undoes it.
function fixDataIv(opts) {
  const realRandom = crypto.getRandomValues.bind(crypto);
  const realNow = performance.now.bind(performance);
  if (opts.ivRandom != null) {
    crypto.getRandomValues = (a) => {
      if (a instanceof Uint32Array && a.length === 1) {
        a[0] = opts.ivRandom;
        return a;
      }
      return realRandom(a);
    };
    performance.now = () => opts.ivTimestamp ?? 0;
  }
  return () => {
    crypto.getRandomValues = realRandom;
    performance.now = realNow;
  };
}

/**
 * Encrypts data payloads (hex of serialized EncryptedPacketPayloads) as a livekit sender; with
 * ivRandom / ivTimestamp set, crypto.getRandomValues and performance.now return them, so the IV is
 * known. Returns per payload {packetHex (the EncryptedPacket as livekit-client serializes it),
 * ivHex, keyIndex, sendCount (the worker's send counter used)}.
 */
export function encryptData(opts) {
  return serialized(async () => {
    const tx = await dataParticipant(opts, 'dtx', true);
    const out = [];
    const restore = fixDataIv(opts);
    try {
      for (const h of opts.payloadsHex) {
        const uuid = `data-${nextId()}`;
        const done = waitFor((m) => (m.kind === 'encryptDataResponse' || m.kind === 'error') && m.data?.uuid === uuid, 'encryptDataResponse');
        post('encryptDataRequest', { payload: hexToBytes(h), participantIdentity: tx, uuid });
        const m = await done;
        if (m.kind === 'error') throw new Error(`worker: ${m.data.error?.message ?? m.data.error}`);
        const sendCount = dataSendCount++;
        const packet = new proto.EncryptedPacket({ encryptedValue: m.data.payload, iv: m.data.iv, keyIndex: m.data.keyIndex });
        out.push({ packetHex: bytesToHex(packet.toBinary()), ivHex: bytesToHex(m.data.iv), keyIndex: m.data.keyIndex, sendCount });
      }
    } finally {
      restore();
    }
    return out;
  });
}

/**
 * Decrypts EncryptedPackets (hex) as a livekit receiver: parsed with the package's protobuf class,
 * then decryptDataRequest with the packet's iv and key index, as RTCEngine does. Options as
 * encryptData plus ratchetWindowSize (default 8). Returns per packet {ok:true, hex} or
 * {ok:false, reason}.
 */
export function decryptData(opts) {
  return serialized(async () => {
    const rx = await dataParticipant(opts, 'drx', false);
    const out = [];
    for (const h of opts.packetsHex) {
      let packet;
      try {
        packet = proto.EncryptedPacket.fromBinary(hexToBytes(h));
      } catch (e) {
        out.push({ ok: false, reason: 'unparsable', message: e.message });
        continue;
      }
      const uuid = `data-${nextId()}`;
      const done = waitFor((m) => (m.kind === 'decryptDataResponse' || m.kind === 'error') && m.data?.uuid === uuid, 'decryptDataResponse');
      post('decryptDataRequest', { payload: packet.encryptedValue, iv: packet.iv, participantIdentity: rx, keyIndex: packet.keyIndex, uuid });
      const m = await done;
      if (m.kind === 'error') out.push({ ok: false, reason: m.data.error?.reason ?? 'error', message: m.data.error?.message ?? String(m.data.error) });
      else out.push({ ok: true, hex: bytesToHex(m.data.payload) });
    }
    return out;
  });
}

// ---------------------------------------------------------------- data tracks
// livekit-client's OutgoingDataTrackPipeline seals a data track frame with the worker's
// encryptDataRequest (the DataCryptor above), then DataTrackPacketizer cuts it at 16000 bytes,
// every packet carrying the E2EE extension (key index, IV). The packet classes used here are the
// package's own: DataTrackPacket is exported, and its header, extension, sequence and timestamp
// classes are reached through a packet it parsed. DataTrackPacketizer and DataTrackDepacketizer are
// not exported; their loops (packetizer.ts, depacketizer.ts) are mirrored below in a few lines.
const dt = (() => {
  // a packet with both extensions: v0, single, ext flag; handle 1; W = 6
  const probe = hexToBytes('1c000001000000000000000000060' + '10d00000000000000000000000000' + '02080000000000000000' + '00');
  const [p] = lk.DataTrackPacket.fromBinary(probe);
  return {
    Packet: lk.DataTrackPacket,
    Header: p.header.constructor,
    Extensions: p.header.extensions.constructor,
    E2ee: p.header.extensions.e2ee.constructor,
    UserTimestamp: p.header.extensions.userTimestamp.constructor,
    U16: p.header.sequence.constructor,
    Timestamp: p.header.timestamp.constructor,
    marker: { start: 0, inter: 1, final: 2, single: 3 }, // the FrameMarker enum (packet/index.ts)
  };
})();

/** The packets livekit-client makes of one sealed frame (packetizer.ts, with its counters). */
function packetizeLikeLivekit(state, payload, extensions, timestamp, mtu) {
  const frameNumber = state.frameNumber++ & 0xffff;
  const params = { marker: dt.marker.inter, trackHandle: state.handle, sequence: dt.U16.u16(0),
                   frameNumber: dt.U16.u16(frameNumber), timestamp: dt.Timestamp.fromRtpTicks(timestamp), extensions };
  const head = new dt.Header(params).toBinaryLengthBytes();
  const room = mtu - head;
  const count = Math.ceil(payload.byteLength / room);
  const out = [];
  for (let i = 0, off = 0; off < payload.byteLength; i++, off += room) {
    const marker = count <= 1 ? dt.marker.single : i === 0 ? dt.marker.start : i === count - 1 ? dt.marker.final : dt.marker.inter;
    const header = new dt.Header({ ...params, marker, sequence: dt.U16.u16(state.sequence++ & 0xffff) });
    out.push(bytesToHex(new dt.Packet(header, payload.subarray(off, Math.min(off + room, payload.byteLength))).toBinary()));
  }
  return out;
}

/**
 * Data track frames as a livekit publisher sends them: each payload (hex) sealed by the worker,
 * then packetized. Options as encryptData (ivRandom / ivTimestamp fix the IV) plus handle (1), mtu
 * (16000), timestamp (0), userTimestamp (a BigInt-able string, optional). Returns per frame
 * {packetsHex, ivHex, keyIndex}.
 */
export function encryptDataTrack(opts) {
  return serialized(async () => {
    const tx = await dataParticipant(opts, 'dttx', true);
    const state = { handle: opts.handle ?? 1, sequence: 0, frameNumber: 0 };
    const out = [];
    const restore = fixDataIv(opts);
    try {
    for (const h of opts.payloadsHex) {
      const uuid = `dt-${nextId()}`;
      const done = waitFor((m) => (m.kind === 'encryptDataResponse' || m.kind === 'error') && m.data?.uuid === uuid, 'encryptDataResponse');
      post('encryptDataRequest', { payload: hexToBytes(h), participantIdentity: tx, uuid });
      const m = await done;
      if (m.kind === 'error') throw new Error(`worker: ${m.data.error?.message ?? m.data.error}`);
      dataSendCount++;
      const extensions = new dt.Extensions({
        e2ee: new dt.E2ee(m.data.keyIndex, m.data.iv),
        userTimestamp: opts.userTimestamp != null ? new dt.UserTimestamp(BigInt(opts.userTimestamp)) : undefined,
      });
      out.push({ packetsHex: packetizeLikeLivekit(state, m.data.payload, extensions, opts.timestamp ?? 0, opts.mtu ?? 16000),
                 ivHex: bytesToHex(m.data.iv), keyIndex: m.data.keyIndex });
    }
    } finally {
      restore();
    }
    return out;
  });
}

/**
 * Data track packets (hex, in order) as a livekit subscriber reads them: each parsed by the
 * package's DataTrackPacket.fromBinary, reassembled from start to final, the frame decrypted by the
 * worker with the start packet's E2EE extension. Returns {frames: per frame {ok, hex | reason},
 * headers: every packet's header as the package parsed it (toJSON), reserializedHex: every packet
 * serialized again by the package}.
 */
export function decryptDataTrack(opts) {
  return serialized(async () => {
    const rx = await dataParticipant(opts, 'dtrx', false);
    const frames = [], headers = [], reserializedHex = [];
    let partial = null;
    for (const h of opts.packetsHex) {
      const [p] = dt.Packet.fromBinary(hexToBytes(h));
      headers.push(JSON.parse(JSON.stringify(p.header.toJSON(), (_, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? bytesToHex(v) : v))));
      reserializedHex.push(bytesToHex(p.toBinary()));
      let frame = null;
      if (p.header.marker === dt.marker.single) frame = { payload: p.payload, extensions: p.header.extensions };
      else if (p.header.marker === dt.marker.start) partial = { ext: p.header.extensions, parts: [p.payload] };
      else if (partial) {
        partial.parts.push(p.payload);
        if (p.header.marker === dt.marker.final) {
          const len = partial.parts.reduce((n, x) => n + x.byteLength, 0);
          const payload = new Uint8Array(len);
          let off = 0;
          for (const x of partial.parts) { payload.set(x, off); off += x.byteLength; }
          frame = { payload, extensions: partial.ext };
          partial = null;
        }
      }
      if (!frame) continue;
      const e2ee = frame.extensions.e2ee;
      if (!e2ee) { frames.push({ ok: false, reason: 'Missing E2EE meta' }); continue; }
      const uuid = `dt-${nextId()}`;
      const done = waitFor((m) => (m.kind === 'decryptDataResponse' || m.kind === 'error') && m.data?.uuid === uuid, 'decryptDataResponse');
      post('decryptDataRequest', { payload: frame.payload, iv: e2ee.iv, participantIdentity: rx, keyIndex: e2ee.keyIndex, uuid });
      const m = await done;
      if (m.kind === 'error') frames.push({ ok: false, reason: m.data.error?.message ?? String(m.data.error) });
      else frames.push({ ok: true, hex: bytesToHex(m.data.payload) });
    }
    return { frames, headers, reserializedHex };
  });
}
