// A real browser against frameseal's GStreamer plugin: headless Chromium (Debian's `chromium`)
// runs livekit-client 2.23.0's own E2EE worker (tests/gst/browser/page.js) on an RTCPeerConnection
// connected to a GStreamer webrtcbin peer that encrypts and decrypts with framesealenc/framesealdec
// (tests/gst/webrtc_peer.py). Both directions at once: the browser's fake camera and microphone to
// GStreamer, an SMPTE picture and a 440 Hz sine to the browser.
//
//   node tests/gst/browser.mjs            (GST_PLUGIN_PATH names the plugin's folder)
//
// Prints "ok <case>: ..." or "FAIL <case>: <why> | ..." per check and ends with
// "browser: N passed, M failed". Needs /usr/bin/chromium and the npm package in
// tests/interop/livekit-js (tests/gst/run.sh installs it); fails, with the reason, without them.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const workerPath = join(here, '../interop/livekit-js/node_modules/livekit-client/dist/livekit-client.e2ee.worker.mjs');
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const seconds = Number(process.env.FRAMESEAL_BROWSER_SECONDS ?? 6);
const verbose = process.argv.includes('--verbose');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));

const KEY_BROWSER = '4b4b4b4b000102030405060708090a0b0c0d0e0f101112131415161718191a1b'; // the browser's sender key
const KEY_GST = '1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100'; // GStreamer's sender key
const WRONG = 'ee'.repeat(32);

let passed = 0;
let failed = 0;
let context = ''; // the session's timelines, printed under a failed check
function check(name, why, detail) {
  if (only.length && !only.some((o) => name.includes(o))) return;
  if (why.length) {
    failed++;
    console.log(`FAIL ${name}: ${why.join('; ')} | ${detail}`);
    if (context) console.log(context);
  } else {
    passed++;
    console.log(`ok ${name}: ${detail}`);
  }
}

// ---- the web server: the page, the worker bundle, and the offer/answer relay to the GStreamer peer
let current = null; // { peer, resolveResult }
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    const send = (type, data) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(data);
    };
    if (url.pathname === '/') return send('text/html', readFileSync(join(here, 'browser/page.html')));
    if (url.pathname === '/page.js') return send('text/javascript', readFileSync(join(here, 'browser/page.js')));
    if (url.pathname === '/worker.mjs') return send('text/javascript', readFileSync(workerPath));
    if (url.pathname === '/offer' && current) {
      const { sdp } = JSON.parse(Buffer.concat(body).toString());
      current.peer.request({ offer: sdp }, 'answer').then(
        (m) => send('application/json', JSON.stringify({ answer: m.answer })),
        (e) => { res.writeHead(500); res.end(String(e)); });
      return;
    }
    if (url.pathname === '/status' && current) {
      current.peer.request({ status: true }, 'status', 5000).then(
        (m) => send('application/json', JSON.stringify(m.status)),
        (e) => { res.writeHead(500); res.end(String(e)); });
      return;
    }
    if (url.pathname === '/result' && current) {
      current.resolveResult(JSON.parse(Buffer.concat(body).toString()));
      return send('text/plain', 'ok');
    }
    res.writeHead(404);
    res.end();
  });
});

// The GStreamer peer: JSON lines both ways.
function startPeer(sendKey, recvKey) {
  const p = spawn('/usr/bin/python3', [join(here, 'webrtc_peer.py'), '--send-key', sendKey, '--recv-key', recvKey],
    { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
  const waiting = [];
  let buf = '';
  let stderr = '';
  p.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let m;
      try { m = JSON.parse(line); } catch { continue; }
      for (const w of [...waiting]) if (w.key in m) { waiting.splice(waiting.indexOf(w), 1); w.resolve(m); }
    }
  });
  p.stderr.on('data', (d) => { stderr += d; if (verbose) process.stderr.write(d); });
  const exited = new Promise((r) => p.on('exit', (code) => r(code)));
  const wait = (key, ms) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`GStreamer peer: no ${key} within ${ms} ms; its log:\n${stderr.slice(-3000)}`)), ms);
    waiting.push({ key, resolve: (m) => { clearTimeout(t); resolve(m); } });
    exited.then((code) => reject(new Error(`GStreamer peer exited (${code}); its log:\n${stderr.slice(-3000)}`)));
  });
  return {
    request(msg, key, ms = 15000) { p.stdin.write(JSON.stringify(msg) + '\n'); return wait(key, ms); },
    kill() { p.kill('SIGKILL'); },
    exited,
    log: () => stderr,
  };
}

function startChromium(url) {
  const profile = mkdtempSync(join(tmpdir(), 'frameseal-chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`,
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required', '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--enable-logging=stderr', '--v=0', url];
  // Its own process group, so stop() ends the renderer and GPU processes too.
  const c = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  c.stderr.on('data', (d) => { log += d; if (verbose) process.stderr.write(d); });
  const exited = new Promise((r) => c.on('exit', (code) => r(code)));
  return {
    exited,
    log: () => log,
    async stop() {
      try { process.kill(-c.pid, 'SIGKILL'); } catch { /* already gone */ }
      await exited;
      await new Promise((r) => setTimeout(r, 300));
      try { rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }); } catch { /* tmp */ }
    },
  };
}

// One session: the browser page with its keys, the GStreamer peer with its own.
async function session({ video, mode, browserRecvKey, gstRecvKey }) {
  const peer = startPeer(KEY_GST, gstRecvKey);
  let resolveResult;
  const result = new Promise((r) => { resolveResult = r; });
  current = { peer, resolveResult };
  const q = new URLSearchParams({ video, mode, sendKey: KEY_BROWSER, recvKey: browserRecvKey, seconds: String(seconds) });
  const browser = startChromium(`http://127.0.0.1:${server.address().port}/?${q}`);
  const browserExit = browser.exited.then((code) => ({ ok: false, error: `chromium exited (${code}):\n${browser.log().slice(-3000)}` }));
  const timeout = new Promise((r) => setTimeout(() => r({ ok: false, error: 'the page gave no result in time' }), (seconds + 60) * 1000));
  const page = await Promise.race([result, browserExit, timeout]);
  let gst;
  try {
    gst = (await peer.request({ stop: true }, 'result', 10000)).result;
  } catch (e) {
    gst = { errors: [String(e.message)], streams: {}, states: [], sent: {} };
  }
  peer.kill();
  await browser.stop();
  current = null;
  if (verbose) console.error(JSON.stringify({ page, gst }, null, 1));
  context = `    page: ${(page.events ?? []).join(', ')}\n    gst:  ${(gst.timeline ?? []).join(', ')}` +
    (gst.errors?.length ? `\n    gst log:\n${peer.log().slice(-2000)}` : '');
  return { page, gst };
}

// videotestsrc (1.22) draws the top bars of pattern=smpte at full intensity.
const SMPTE = [[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0], [255, 0, 255], [255, 0, 0], [0, 0, 255]];
const TOLERANCE = 48;

function evaluate(name, { page, gst }, codec) {
  const fatal = [];
  if (!page.ok) fatal.push(`page: ${page.error}`);
  if (gst.errors?.length) fatal.push(`GStreamer: ${gst.errors.join(', ')}`);
  const v = gst.streams?.video ?? {};
  const a = gst.streams?.audio ?? {};
  const inV = page.stats?.['inbound-rtp-video'] ?? {};
  const inA = page.stats?.['inbound-rtp-audio'] ?? {};
  const outV = page.stats?.['outbound-rtp-video'] ?? {};
  const outA = page.stats?.['outbound-rtp-audio'] ?? {};
  const errs = page.workerErrors ?? [];

  // browser -> GStreamer
  for (const [kind, st, out] of [['video', v, outV], ['audio', a, outA]]) {
    const why = [...fatal];
    if (!st.received) why.push('GStreamer received no frames');
    if (st.auth_failures || st.missing_key) why.push(`${st.auth_failures} frames failed to decrypt, ${st.missing_key} missing key`);
    // a frame or two may still be on its way through framesealdec when its counters are read
    if (!(st.decrypted >= st.received - 2)) why.push("not every received frame decrypted");
    if (!(st.decoded >= 0.9 * st.received)) why.push('fewer than 90 % of the frames decoded');
    if (kind === 'audio' && !(st.peak > 0)) why.push('the decoded audio is silent');
    check(`${name} browser->gst ${kind === 'video' ? codec : 'opus'}`, why,
      `sent ${kind === 'video' ? `${outV.framesEncoded} frames encoded` : `${out.packetsSent} packets`}, received ${st.received}, ` +
      `decrypted ${st.decrypted}, decoded ${st.decoded}, failed ${st.auth_failures ?? '-'}` +
      (kind === 'audio' ? `, peak ${st.peak}` : ''));
  }
  // GStreamer -> browser
  {
    const why = [...fatal];
    if (errs.length) why.push(`worker errors: ${errs.slice(0, 3).map((e) => e.message).join(', ')}`);
    if (!(inV.framesDecoded > 0.5 * 30 * seconds)) why.push(`only ${inV.framesDecoded} frames decoded`);
    const bad = (page.pixels ?? []).map((px, i) => [px, SMPTE[i]]).filter(([px, want]) => px.some((c, k) => Math.abs(c - want[k]) > TOLERANCE));
    if ((page.pixels ?? []).length !== 7) why.push('no picture to read');
    else if (bad.length) why.push(`pixels off the SMPTE bars: ${JSON.stringify(bad)}`);
    check(`${name} gst->browser ${codec}`, why,
      `sent ${gst.sent?.venc?.encrypted} frames, received ${inV.framesReceived}, decoded ${inV.framesDecoded} ` +
      `(${inV.keyFramesDecoded} key), ${page.videoSize?.join('x')}, bars ${JSON.stringify(page.pixels)} within ${TOLERANCE}`);
  }
  {
    const why = [...fatal];
    if (errs.length) why.push('worker errors');
    if (!(inA.totalAudioEnergy > 0)) why.push('totalAudioEnergy is 0');
    if (!(page.audioPeak > 0.01)) why.push(`the audio peak is ${page.audioPeak}`);
    check(`${name} gst->browser opus`, why,
      `sent ${gst.sent?.aenc?.encrypted} frames, packets received ${inA.packetsReceived}, totalAudioEnergy ` +
      `${inA.totalAudioEnergy?.toFixed?.(4)}, peak ${page.audioPeak}, concealed ${inA.concealedSamples} of ${inA.totalSamplesReceived}`);
  }
}

function evaluateWrongKey(name, { page, gst }) {
  const why = [];
  if (!page.ok) why.push(`page: ${page.error}`);
  const v = gst.streams?.video ?? {};
  const a = gst.streams?.audio ?? {};
  const inV = page.stats?.['inbound-rtp-video'] ?? {};
  const failedStates = (gst.states ?? []).filter((s) => s.element.startsWith('dec_') && s.state === 'decryption_failed');
  if (!v.received || !a.received) why.push('GStreamer received nothing');
  if (v.decoded || a.decoded || v.decrypted || a.decrypted) why.push('GStreamer decoded frames under the wrong key');
  if (!failedStates.length) why.push('no bus message says decryption_failed');
  if (inV.framesDecoded) why.push(`the browser decoded ${inV.framesDecoded} frames under the wrong key`);
  const errs = page.workerErrors ?? [];
  if (!errs.length) why.push('the worker reported no error');
  check(`${name} (both directions)`, why,
    `GStreamer: received ${v.received}+${a.received}, decoded ${v.decoded ?? 0}+${a.decoded ?? 0}, failed ` +
    `${v.auth_failures}+${a.auth_failures}, bus states ${JSON.stringify(failedStates.map((s) => `${s.element}:${s.state}`))}; ` +
    `browser: packets received ${inV.packetsReceived}, frames decoded ${inV.framesDecoded ?? 0}, worker errors ` +
    `${errs.length} (${[...new Set(errs.map((e) => e.message))].slice(0, 2).join(' / ')})`);
}

async function main() {
  const missing = [];
  if (!existsSync(chromium)) missing.push(`${chromium} (apt install chromium)`);
  if (!existsSync(workerPath)) missing.push(`${workerPath} (npm ci in tests/interop/livekit-js)`);
  if (missing.length) {
    console.log(`FAIL browser: missing ${missing.join(', ')}`);
    console.log('browser: 0 passed, 1 failed');
    process.exit(1);
  }
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const cases = [
    { name: 'vp8 script-transform', video: 'vp8', mode: 'script' },
    { name: 'vp8 insertable-streams', video: 'vp8', mode: 'insertable' },
    { name: 'h264 script-transform', video: 'h264', mode: 'script' },
    { name: 'h264 insertable-streams', video: 'h264', mode: 'insertable' },
  ];
  for (const c of cases) {
    if (only.length && !only.some((o) => c.name.includes(o))) continue;
    evaluate(c.name, await session({ ...c, browserRecvKey: KEY_GST, gstRecvKey: KEY_BROWSER }), c.video);
  }
  if (!only.length || only.some((o) => 'wrong-key'.includes(o)))
    evaluateWrongKey('wrong-key vp8', await session({ video: 'vp8', mode: 'script', browserRecvKey: WRONG, gstRecvKey: WRONG }));
  server.close();
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL browser: ${e.stack ?? e}`);
  console.log(`browser: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
