// The browser side of tests/gst/browser.mjs. Query: ?video=vp8|h264&mode=script|insertable
// &sendKey=HEX&recvKey=HEX&seconds=N. Runs livekit-client 2.23.0's E2EE worker (served from the npm
// package as /worker.mjs) exactly as livekit-client's E2eeManager drives it: init, setKey with a
// CryptoKey imported as raw HKDF material, enable for both identities, and one transform per sender
// and receiver, either as RTCRtpScriptTransform or through encodedInsertableStreams
// (createEncodedStreams, what livekit-client uses on Chrome). Posts its findings to /result.
const q = new URLSearchParams(location.search);
const video = q.get('video') ?? 'vp8';
const mode = q.get('mode') ?? 'script';
const seconds = Number(q.get('seconds') ?? 6);
const LOCAL = 'browser';
const REMOTE = 'gst';

const events = [];
const workerErrors = [];
const note = (s) => events.push(`${(performance.now() / 1000).toFixed(2)} ${s}`);

function hexBytes(h) {
  return new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
}

async function main() {
  const worker = new Worker('/worker.mjs', { type: 'module' });
  const waiters = [];
  worker.onmessage = (ev) => {
    const m = ev.data;
    if (m.kind === 'error') {
      const e = m.data?.error;
      workerErrors.push({ identity: m.data?.participantIdentity ?? null, message: String(e?.message ?? e) });
    }
    for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  };
  worker.onerror = (e) => workerErrors.push({ identity: null, message: `worker: ${e.message}` });
  const waitFor = (pred) => new Promise((resolve) => waiters.push({ pred, resolve }));
  const post = (kind, data, transfer = []) => worker.postMessage({ kind, data }, transfer);

  const ack = waitFor((m) => m.kind === 'initAck');
  post('init', {
    keyProviderOptions: { sharedKey: false, ratchetSalt: 'LKFrameEncryptionKey', ratchetWindowSize: 16,
      failureTolerance: -1, keyringSize: 16, keySize: 128 },
    loglevel: 'warn',
  });
  await ack;
  const importKey = (hex) => crypto.subtle.importKey('raw', hexBytes(hex), 'HKDF', false, ['deriveBits', 'deriveKey']);
  post('setKey', { participantIdentity: LOCAL, isPublisher: true, key: await importKey(q.get('sendKey')), keyIndex: 0,
    updateCurrentKeyIndex: true });
  post('setKey', { participantIdentity: REMOTE, isPublisher: false, key: await importKey(q.get('recvKey')), keyIndex: 0,
    updateCurrentKeyIndex: true });
  for (const id of [LOCAL, REMOTE]) {
    const echo = waitFor((m) => m.kind === 'enable' && m.data?.participantIdentity === id);
    post('enable', { participantIdentity: id, enabled: true });
    await echo;
  }
  note('worker ready');

  const pc = new RTCPeerConnection(mode === 'insertable' ? { encodedInsertableStreams: true } : {});
  const attach = (endpoint, kind, identity, trackId, codec) => {
    if (mode === 'script') {
      endpoint.transform = new RTCRtpScriptTransform(worker, { kind, participantIdentity: identity, trackId, codec });
    } else {
      const { readable, writable } = endpoint.createEncodedStreams();
      post(kind, { readableStream: readable, writableStream: writable, trackId, codec, participantIdentity: identity,
        hasPacketTrailer: false }, [readable, writable]);
    }
  };
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: 320, height: 240, frameRate: 30 }, audio: true });
  const vt = pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendrecv', streams: [stream] });
  const at = pc.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendrecv', streams: [stream] });
  const vcodecs = RTCRtpReceiver.getCapabilities('video').codecs.filter((c) => video === 'vp8'
    ? c.mimeType === 'video/VP8'
    : c.mimeType === 'video/H264' && /profile-level-id=42e01f/.test(c.sdpFmtpLine ?? '') &&
      /packetization-mode=1/.test(c.sdpFmtpLine ?? ''));
  const acodecs = RTCRtpReceiver.getCapabilities('audio').codecs.filter((c) => c.mimeType === 'audio/opus');
  if (!vcodecs.length) throw new Error(`this browser offers no ${video} codec`);
  vt.setCodecPreferences(vcodecs.slice(0, 1));
  at.setCodecPreferences(acodecs.slice(0, 1));
  attach(vt.sender, 'encode', LOCAL, 'local-video', video);
  attach(at.sender, 'encode', LOCAL, 'local-audio', 'opus');
  attach(vt.receiver, 'decode', REMOTE, 'remote-video', video);
  attach(at.receiver, 'decode', REMOTE, 'remote-audio', 'opus');

  const remoteVideo = document.getElementById('remote');
  remoteVideo.srcObject = new MediaStream([vt.receiver.track]);
  const remoteAudio = document.getElementById('remote-audio');
  remoteAudio.srcObject = new MediaStream([at.receiver.track]);
  remoteVideo.play().catch(() => {});
  remoteAudio.play().catch(() => {});
  const ctx = new AudioContext();
  await ctx.resume().catch(() => {});
  const analyser = ctx.createAnalyser();
  ctx.createMediaStreamSource(new MediaStream([at.receiver.track])).connect(analyser);
  let peak = 0;
  const buf = new Float32Array(analyser.fftSize);
  const sampler = setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    for (const x of buf) peak = Math.max(peak, Math.abs(x));
  }, 50);

  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 3000);
  });
  const res = await fetch('/offer', { method: 'POST', body: JSON.stringify({ sdp: pc.localDescription.sdp }) });
  const { answer } = await res.json();
  pc.addEventListener('connectionstatechange', () => note(`connection ${pc.connectionState}`));
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  note('answer set');
  // Media is measured for `seconds` from when ICE and DTLS are up (slow on a loaded machine) ...
  await new Promise((resolve, reject) => {
    if (pc.connectionState === 'connected') return resolve();
    const t = setTimeout(() => reject(new Error(`not connected after 30 s (${pc.connectionState})`)), 30000);
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') { clearTimeout(t); resolve(); }
      if (pc.connectionState === 'failed') { clearTimeout(t); reject(new Error('the connection failed')); }
    });
  });

  note('connected');
  // ... and from when media flows both ways: GStreamer has frames of both streams and this page has
  // packets of both (not decoded frames: under a wrong key there are none). On a loaded machine that can take seconds after "connected".
  const flowing = async () => {
    const r = await fetch('/status');
    const gst = r.ok ? await r.json() : {};
    const s = {};
    (await pc.getStats()).forEach((x) => { if (x.type === 'inbound-rtp') s[x.kind] = x; });
    return gst.video?.received > 0 && gst.audio?.received > 0 && s.video?.packetsReceived > 0 &&
      s.audio?.packetsReceived > 0;
  };
  const gate = performance.now();
  while (!(await flowing())) {
    if (performance.now() - gate > 30000) { note('media not flowing both ways after 30 s; measuring anyway'); break; }
    await new Promise((r) => setTimeout(r, 200));
  }
  note('media flowing');
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(sampler);

  // Pixels of the picture GStreamer sent (videotestsrc pattern=smpte): the seven bars across
  // the top two thirds.
  const pixels = [];
  if (remoteVideo.videoWidth) {
    const c = document.getElementById('canvas');
    c.width = remoteVideo.videoWidth;
    c.height = remoteVideo.videoHeight;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(remoteVideo, 0, 0);
    for (let i = 0; i < 7; i++) {
      const x = Math.floor(((i + 0.5) * c.width) / 7);
      const y = Math.floor(c.height * 0.3);
      const d = g.getImageData(x - 2, y - 2, 5, 5).data;
      const px = [0, 0, 0];
      for (let k = 0; k < d.length; k += 4) for (let ch = 0; ch < 3; ch++) px[ch] += d[k + ch] / 25;
      pixels.push(px.map(Math.round));
    }
  }
  const stats = {};
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' || s.type === 'outbound-rtp') {
      stats[`${s.type}-${s.kind}`] = {
        packetsReceived: s.packetsReceived, packetsSent: s.packetsSent, framesReceived: s.framesReceived,
        framesDecoded: s.framesDecoded, keyFramesDecoded: s.keyFramesDecoded, framesDropped: s.framesDropped,
        framesEncoded: s.framesEncoded, framesSent: s.framesSent, totalAudioEnergy: s.totalAudioEnergy,
        totalSamplesReceived: s.totalSamplesReceived, concealedSamples: s.concealedSamples,
        frameWidth: s.frameWidth, frameHeight: s.frameHeight,
      };
    }
  });
  return { ok: true, video, mode, connection: pc.connectionState, stats, pixels,
    videoSize: [remoteVideo.videoWidth, remoteVideo.videoHeight], audioPeak: Number(peak.toFixed(4)),
    workerErrors, events };
}

main().catch((e) => ({ ok: false, error: String(e?.stack ?? e), workerErrors, events })).then((r) =>
  fetch('/result', { method: 'POST', body: JSON.stringify(r) }));
