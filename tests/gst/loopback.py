#!/usr/bin/python3
"""GStreamer alone: frameseal's elements between real encoders, payloaders and decoders, over UDP on
loopback (tests/gst/run.sh runs this; GST_PLUGIN_PATH must name the folder of libgstframeseal.so).

Per codec, one process runs a sender
    testsrc ! encoder ! tee ! framesealenc ! payloader ! udpsink
and a receiver
    udpsrc ! depayloader ! framesealdec ! decoder ! appsink
and, from the same tee, the unencrypted reference: the same encoded frames straight into the same
decoder. Each case prints one line "ok <name>: ..." or "FAIL <name>: <why>" and the figures.

Cases:
  <codec>            the encoded frames into the decoder identical to the encoder's, and the
                     decoded frames (SHA-256 of each raw frame) identical to the reference, none
                     dropped, counters: encrypted == decrypted == frames, no failure
  <codec>-wrong-key  the receiver has another key: no frame reaches the decoder (audio: GAP events
                     do, so opusdec conceals), the bus says state=decryption_failed
  vp8-sframe, h264-sframe  format=sframe (RFC 9605; suite 4, and suite 5) back to back: the codec
                     payloaders parse the frame, so they cannot carry SFrame frames
  av1-refused        video/x-av1 is refused at caps negotiation with format=livekit, with a message
                     saying why; format=sframe takes it
  key-not-printed    with key-file and GST_DEBUG=*:9, gst-launch -v and gst-inspect: the key appears
                     nowhere, its fingerprint does
  docs-examples      every gst-launch-1.0 command of docs/gstreamer.md runs and decrypts
  stock-payloaders   rtpvp8pay/rtpvp9pay stop on encrypted frames; framesealvp8pay/vp9pay do not
  <codec>-key-change the sender ratchets at frame 20 and switches to a new key at index 1 at frame
                     40 (the receiver was given index 1 in advance): no frame lost, the receiver
                     ratchets once, the encoder was asked for a key unit after each change
"""
import hashlib
import os
import re
import socket
import sys
import shlex
import subprocess
import tempfile
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
KEY2 = "f0e0d0c0b0a090807060504030201000ffeeddccbbaa99887766554433221100"
WRONG = "00" * 32

VIDEO_SRC = "videotestsrc is-live=true pattern=ball num-buffers={n} ! video/x-raw,width=320,height=240,framerate=30/1"
AUDIO_SRC = "audiotestsrc is-live=true wave=sine freq=440 num-buffers={n} samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=1"

# name: (source, encoder, payloader, rtp caps, depayloader (+ caps), decoder)
CODECS = {
    "vp8": (VIDEO_SRC, "vp8enc deadline=1 keyframe-max-dist=1000", "framesealvp8pay",
            "media=video,clock-rate=90000,encoding-name=VP8", "rtpvp8depay", "vp8dec"),
    "vp9": (VIDEO_SRC, "vp9enc deadline=1 keyframe-max-dist=1000 lag-in-frames=0", "framesealvp9pay",
            "media=video,clock-rate=90000,encoding-name=VP9", "rtpvp9depay", "vp9dec"),
    "h264": (VIDEO_SRC,
             "x264enc tune=zerolatency threads=1 key-int-max=1000 ! h264parse ! video/x-h264,stream-format=avc,alignment=au",
             "rtph264pay config-interval=0", "media=video,clock-rate=90000,encoding-name=H264",
             "rtph264depay ! video/x-h264,stream-format=byte-stream,alignment=au", "avdec_h264"),
    "h265": (VIDEO_SRC,
             "x265enc tune=zerolatency key-int-max=1000 ! h265parse ! video/x-h265,stream-format=hvc1,alignment=au",
             "rtph265pay config-interval=0", "media=video,clock-rate=90000,encoding-name=H265",
             "rtph265depay ! video/x-h265,stream-format=byte-stream,alignment=au", "avdec_h265"),
    "opus": (AUDIO_SRC, "opusenc frame-size=20", "rtpopuspay",
             "media=audio,clock-rate=48000,encoding-name=OPUS", "rtpopusdepay", "opusdec plc=true ! audio/x-raw,format=S16LE,rate=48000,channels=1"),
}


def annexb(frame):
    """A length-prefixed (4-byte) access unit as Annex B with 4-byte start codes."""
    out, i = b"", 0
    while i + 4 <= len(frame):
        n = int.from_bytes(frame[i:i + 4], "big")
        out += b"\0\0\0\1" + frame[i + 4:i + 4 + n]
        i += 4 + n
    return out


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Run:
    """One sender + receiver pair in one pipeline each, run until the sender's EOS."""

    def __init__(self, codec, frames, rx_key, on_frame=None, options=""):
        src, enc, pay, rtp_caps, depay, dec = CODECS[codec]
        self.port = free_port()
        self.tx = Gst.parse_launch(
            f"{src.format(n=frames)} ! {enc} ! tee name=t "
            f"t. ! queue name=refdec ! {dec} ! appsink name=ref sync=false emit-signals=true "
            f"t. ! queue ! framesealenc name=enc key={KEY} participant-identity=sender {options} ! {pay} ! "
            f"udpsink host=127.0.0.1 port={self.port} sync=false")
        self.rx = Gst.parse_launch(
            f"udpsrc port={self.port} caps=\"application/x-rtp,{rtp_caps},payload=96\" buffer-size=4194304 ! "
            f"{depay} ! framesealdec name=dec key={rx_key} participant-identity=sender {options} ! queue name=todec ! {dec} ! "
            f"appsink name=out sync=false emit-signals=true")
        self.ref, self.out = [], []
        self.messages = []  # (element name, structure as text)
        self.keyframes = []  # sender frame numbers of key frames leaving framesealenc
        self.frames_in = 0
        self.to_decoder = 0  # encoded frames that reached the receiver's decoder
        self.enc_ref, self.enc_out = [], []  # SHA-256 of the encoded frames into each decoder
        self.length_prefixed = codec in ("h264", "h265")
        self.error = None
        self.on_frame = on_frame
        self.tx.get_by_name("ref").connect("new-sample", self._sample, self.ref)
        self.rx.get_by_name("out").connect("new-sample", self._sample, self.out)
        self.rx.get_by_name("todec").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self._to_decoder)
        self.tx.get_by_name("refdec").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self._encoded,
                                                                     self.enc_ref)
        enc_el = self.tx.get_by_name("enc")
        enc_el.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self._before_enc)
        enc_el.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self._after_enc)

    def _sample(self, sink, store):
        s = sink.emit("pull-sample")
        b = s.get_buffer()
        ok, m = b.map(Gst.MapFlags.READ)
        store.append(hashlib.sha256(bytes(m.data)).hexdigest())
        b.unmap(m)
        return Gst.FlowReturn.OK

    def _before_enc(self, pad, info):
        n = self.frames_in
        self.frames_in += 1
        if self.on_frame:
            self.on_frame(n, pad.get_parent_element())
        return Gst.PadProbeReturn.OK

    def _to_decoder(self, pad, info):
        self.to_decoder += 1
        return self._encoded(pad, info, self.enc_out)

    def _encoded(self, pad, info, store):
        b = info.get_buffer()
        ok, m = b.map(Gst.MapFlags.READ)
        data = bytes(m.data)
        b.unmap(m)
        if store is self.enc_ref and self.length_prefixed:
            data = annexb(data)  # the sender's avc/hvc1 frames as the receiver's byte-stream
        store.append(hashlib.sha256(data).hexdigest())
        return Gst.PadProbeReturn.OK

    def _after_enc(self, pad, info):
        if not info.get_buffer().has_flags(Gst.BufferFlags.DELTA_UNIT):
            self.keyframes.append(self.frames_in - 1)
        return Gst.PadProbeReturn.OK

    def _bus(self, pipeline, label, done):
        bus = pipeline.get_bus()
        while not done.is_set():
            msg = bus.timed_pop_filtered(100 * Gst.MSECOND, Gst.MessageType.ANY)
            if not msg:
                continue
            if msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                self.error = f"{label}: {err.message}"
                done.set()
            elif msg.type == Gst.MessageType.EOS and label == "sender":
                done.set()
            elif msg.type == Gst.MessageType.ELEMENT and msg.get_structure().get_name() == "frameseal-state":
                self.messages.append((msg.src.get_name(), msg.get_structure().to_string()))

    def run(self, timeout=60, before_start=None):
        done = threading.Event()
        self.rx.set_state(Gst.State.PLAYING)
        self.rx.get_state(5 * Gst.SECOND)
        if before_start:
            before_start(self)
        threads = [threading.Thread(target=self._bus, args=(p, l, done), daemon=True)
                   for p, l in ((self.tx, "sender"), (self.rx, "receiver"))]
        for t in threads:
            t.start()
        self.tx.set_state(Gst.State.PLAYING)
        done.wait(timeout)
        time.sleep(0.7)  # the last packets on their way through the receiver
        stats = {
            "tx": self.tx.get_by_name("enc").get_property("stats"),
            "rx": self.rx.get_by_name("dec").get_property("stats"),
        }
        done.set()
        for t in threads:
            t.join()
        self.tx.set_state(Gst.State.NULL)
        self.rx.set_state(Gst.State.NULL)
        self.stats = {k: {f: v.get_value(f) for f in ("state", "encrypted", "decrypted", "auth-failures",
                                                      "missing-key", "ratchets", "malformed", "other-failures")}
                      for k, v in stats.items()}
        return self


results = []


def decoded_differ(codec, r):
    """Why the decoded frames differ from the reference, or None. Both paths must first hand their
    decoder the same encoded frames, byte for byte (the decrypted frames are the encoder's output).
    Opus: opusdec trims the first and last buffer by the pre-skip / end padding it learns from the
    OpusHead caps, which the RTP path does not carry, so those two buffers are left out."""
    if r.enc_out != r.enc_ref:
        same = sum(a == b for a, b in zip(r.enc_ref, r.enc_out))
        return f"the decrypted frames are not the encoder's ({same} of {len(r.enc_ref)} identical)"
    ref, out = r.ref, r.out
    if CODECS[codec][0] is AUDIO_SRC:
        ref, out = ref[1:-1], out[1:-1]
    if len(ref) != len(out) or ref != out:
        return "decoded frames differ from the unencrypted reference"
    return None


def report(name, ok, detail):
    results.append(ok)
    print(f"{'ok' if ok else 'FAIL'} {name}: {detail}", flush=True)


def case_plain(codec, frames, options="", name=None):
    r = Run(codec, frames, KEY, options=options).run()
    tx, rx = r.stats["tx"], r.stats["rx"]
    detail = (f"frames {frames}, encrypted {tx['encrypted']}, decrypted {rx['decrypted']}, encoded frames identical "
              f"{sum(a == b for a, b in zip(r.enc_ref, r.enc_out))}/{len(r.enc_ref)}, decoded {len(r.out)}, "
              f"reference decoded {len(r.ref)}, identical {sum(a == b for a, b in zip(r.ref, r.out))}, "
              f"auth failures {rx['auth-failures']}")
    why = []
    if r.error:
        why.append(r.error)
    if len(r.ref) < frames * 0.9:
        why.append("the reference decoded too few frames")
    if (d := decoded_differ(codec, r)):
        why.append(d)
    if tx["encrypted"] != rx["decrypted"] or rx["auth-failures"] or rx["missing-key"] or rx["malformed"]:
        why.append("counters do not match")
    if tx["state"] != "ok" or rx["state"] != "ok":
        why.append(f"states {tx['state']}/{rx['state']}")
    report(name or codec, not why, "; ".join(why) + (" | " if why else "") + detail)


def case_sframe(codec, options):
    """format=sframe: RFC 9605 frames encrypt everything, so the codec's RTP payloaders cannot carry
    them (they parse the frame); the elements are checked back to back, in one pipeline: the frames
    out of framesealdec are the encoder's, byte for byte, and decode as the reference does."""
    src, enc, _, _, _, dec = CODECS[codec]
    p = Gst.parse_launch(
        f"{src.format(n=60)} ! {enc} ! tee name=t t. ! queue ! fakesink name=ref_enc signal-handoffs=true "
        f"t. ! queue ! framesealenc name=enc format=sframe key={KEY} {options} ! identity name=wire ! "
        f"framesealdec name=dec format=sframe key={KEY} {options} ! fakesink name=out_enc signal-handoffs=true")
    ref, out, wire = [], [], []
    grab = lambda store: (lambda sink, buf, pad: store.append(buf.extract_dup(0, buf.get_size())))  # noqa: E731
    p.get_by_name("ref_enc").connect("handoff", grab(ref))
    p.get_by_name("out_enc").connect("handoff", grab(out))
    p.get_by_name("wire").connect("handoff", lambda el, buf: wire.append(buf.extract_dup(0, buf.get_size())))
    p.set_state(Gst.State.PLAYING)
    msg = p.get_bus().timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    rx = p.get_by_name("dec").get_property("stats")
    p.set_state(Gst.State.NULL)
    why = []
    if not msg or msg.type != Gst.MessageType.EOS:
        why.append("no EOS" if not msg else f"error: {msg.parse_error()[0].message}")
    if len(ref) < 50 or out != ref:
        why.append(f"decrypted frames differ from the encoder's ({sum(a == b for a, b in zip(ref, out))} of {len(ref)})")
    if any(w == r for w, r in zip(wire, ref)) or any(len(w) <= len(r) for w, r in zip(wire, ref)):
        why.append("a frame went out unencrypted")
    report(f"{codec}-sframe", not why, "; ".join(why) + (" | " if why else "") +
           f"frames {len(ref)}, decrypted {rx.get_value('decrypted')}, identical {sum(a == b for a, b in zip(ref, out))}, "
           f"overhead {len(wire[0]) - len(ref[0]) if wire and ref else '-'} bytes")


def run_launch(description, env=None, timeout=30):
    """gst-launch-1.0 -m -v DESCRIPTION: (exit code, stdout + stderr)."""
    e = dict(os.environ, **(env or {}))
    p = subprocess.run(["gst-launch-1.0", "-m", "-v"] + shlex.split(description), capture_output=True, text=True,
                       timeout=timeout, env=e)
    return p.returncode, p.stdout + p.stderr


def run_to_end(description, timeout=30):
    """DESCRIPTION as an application runs it (parse_launch, PLAYING, the first ERROR or EOS, NULL):
    ("eos" | "error" | "timeout", the error's text). Not gst-launch-1.0 for a pipeline that fails
    during preroll: after the error, the source's EOS can preroll the sink, and gst-launch-1.0 then
    sometimes waits forever (seen 3 times in 200 runs on a loaded machine: the streaming thread
    blocked in basesink's preroll wait, the main loop idle)."""
    p = Gst.parse_launch(description)
    p.set_state(Gst.State.PLAYING)
    msg = p.get_bus().timed_pop_filtered(timeout * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    p.set_state(Gst.State.NULL)
    if not msg:
        return "timeout", ""
    if msg.type == Gst.MessageType.EOS:
        return "eos", ""
    err, debug = msg.parse_error()
    return "error", f"{err.message} ({debug})"


def case_av1():
    """AV1 is refused at caps negotiation with format=livekit, with a message saying why; SFrame
    (which encrypts the whole frame) takes it."""
    # One temporal unit (a temporal delimiter and a sequence header OBU) from a file, with AV1 caps.
    path = os.path.join(tempfile.mkdtemp(), "frame.obu")
    with open(path, "wb") as f:
        f.write(bytes([0x12, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x02, 0xaf, 0xff, 0x9f, 0xff, 0x30, 0x08]))
    src = (f"filesrc location={path} ! video/x-av1,stream-format=obu-stream,alignment=tu,width=320,height=240,"
           "framerate=30/1")
    end, msg = run_to_end(f"{src} ! framesealenc key={KEY} ! fakesink")
    why = []
    if end != "error":
        why.append(f"the livekit pipeline ended with {end}, not an error")
    if "AV1 is not supported by LiveKit E2EE" not in msg or "set_caps" not in msg:
        why.append("no error from caps negotiation saying AV1 is not supported")
    end2, msg2 = run_to_end(f"{src} ! framesealenc format=sframe key={KEY} ! framesealdec format=sframe key={KEY} ! "
                            "fakesink")
    if end2 != "eos":
        why.append(f"format=sframe did not take AV1: {end2} {msg2[-300:]}")
    report("av1-refused", not why, "; ".join(why) + (" | " if why else "") + f"livekit: {end}, '{msg[:160]}'; "
           f"sframe: {end2}")


def case_key_not_printed():
    """The key never appears in gst-inspect, in -v property dumps, in bus messages or in any debug
    log (GST_DEBUG=*:9), given by key-file; the fingerprint does."""
    d = tempfile.mkdtemp()
    key_file = os.path.join(d, "key")
    with open(key_file, "w") as f:
        f.write(KEY + "\n")
    fp = hashlib.sha256(bytes.fromhex(KEY)).hexdigest()[:8]
    code, out = run_launch(f"videotestsrc num-buffers=5 ! vp8enc deadline=1 ! framesealenc key-file={key_file} ! "
                           f"framesealdec key-file={key_file} ! fakesink", env={"GST_DEBUG": "*:9"}, timeout=120)
    inspect = subprocess.run(["gst-inspect-1.0", "framesealenc"], capture_output=True, text=True).stdout
    why = []
    if code != 0:
        why.append(f"the pipeline failed: {out[-300:]}")
    for label, text in (("the debug log", out), ("gst-inspect", inspect)):
        if KEY in text.lower() or KEY[:16] in text.lower():
            why.append(f"{label} shows the key")
    if f"key {fp} installed" not in out:
        why.append("the log does not name the key by its fingerprint")
    report("key-not-printed", not why, "; ".join(why) + (" | " if why else "") +
           f"{len(out.splitlines())} log lines at GST_DEBUG=*:9 without the key, fingerprint {fp} shown")


def docs_commands():
    """The gst-launch-1.0 commands of the sh blocks of docs/gstreamer.md, continuation lines joined."""
    text = open(os.path.join(os.path.dirname(__file__), "../../docs/gstreamer.md")).read()
    cmds = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for cmd in block.replace("\\\n", " ").splitlines():
            if cmd.strip().startswith("gst-launch-1.0"):
                cmds.append(" ".join(cmd.split()))
    return cmds


def case_docs_examples():
    """Runs every command of docs/gstreamer.md in a fresh folder with a key made by the CLI's rule
    (raw bytes), display sinks replaced by fakesink; a udpsrc receiver runs in the background until
    its sender is done and must have decrypted frames."""
    cmds = docs_commands()
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "room.key"), "wb") as f:
        f.write(os.urandom(32))
    why, receivers, ran = [], [], 0
    for cmd in cmds:
        cmd = cmd.replace("autovideosink", "fakesink").replace("autoaudiosink", "fakesink")
        argv = ["bash", "-c", cmd.replace("gst-launch-1.0", "gst-launch-1.0 -m", 1)]
        if "udpsrc" in cmd:
            receivers.append((cmd, subprocess.Popen(argv, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                    text=True)))
            time.sleep(1.0)
            continue
        p = subprocess.run(argv, cwd=d, capture_output=True, text=True, timeout=120)
        ran += 1
        if p.returncode != 0:
            why.append(f"'{cmd[:60]}...' exited {p.returncode}: {(p.stdout + p.stderr)[-200:]}")
        elif "framesealdec" in cmd and "state=(string)ok" not in p.stdout:
            why.append(f"'{cmd[:60]}...' decrypted nothing")
    time.sleep(1.0)
    for cmd, p in receivers:
        p.terminate()
        out = p.communicate(timeout=10)[0]
        ran += 1
        if "state=(string)ok" not in out or "decryption_failed" in out:
            why.append(f"the receiver '{cmd[:50]}...' did not decrypt: {out[-300:]}")
    if len(cmds) < 8:
        why.append(f"only {len(cmds)} commands found in docs/gstreamer.md")
    report("docs-examples", not why, "; ".join(why) + (" | " if why else "") + f"{ran} commands of docs/gstreamer.md ran")


def case_stock_payloaders():
    """Why framesealvp8pay/framesealvp9pay exist: the stock payloaders stop on encrypted frames."""
    why, seen = [], []
    for codec, enc, pay in (("vp8", "vp8enc deadline=1", "rtpvp8pay"), ("vp9", "vp9enc deadline=1", "rtpvp9pay")):
        code, out = run_launch(f"videotestsrc num-buffers=30 ! {enc} ! framesealenc key={KEY} ! {pay} ! fakesink")
        err = next((l.strip() for l in out.splitlines() if l.startswith("ERROR")), "")
        seen.append(f"{pay}: exit {code} '{err[:90]}'")
        if code == 0:
            why.append(f"{pay} carried encrypted {codec} (the docs say it cannot)")
        code, out = run_launch(f"videotestsrc num-buffers=30 ! {enc} ! framesealenc key={KEY} ! frameseal{codec}pay ! "
                               f"rtp{codec}depay ! framesealdec key={KEY} ! fakesink")
        if code != 0:
            why.append(f"frameseal{codec}pay failed: {out[-200:]}")
    report("stock-payloaders", not why, "; ".join(why) + (" | " if why else "") + "; ".join(seen))


def case_wrong_key(codec, frames):
    r = Run(codec, frames, WRONG).run()
    rx = r.stats["rx"]
    failed = [m for n, m in r.messages if n == "dec" and "state=(string)decryption_failed" in m]
    detail = (f"frames {frames}, encrypted {r.stats['tx']['encrypted']}, reached the decoder {r.to_decoder}, "
              f"auth failures {rx['auth-failures']}, bus decryption_failed messages {len(failed)}")
    why = []
    if r.error:
        why.append(r.error)
    if r.to_decoder:
        why.append("frames reached the decoder")
    if not failed:
        why.append("no bus message says decryption_failed")
    if rx["auth-failures"] < r.stats["tx"]["encrypted"] * 0.9 or rx["decrypted"]:
        why.append("counters do not show the failures")
    report(f"{codec}-wrong-key", not why, "; ".join(why) + (" | " if why else "") + detail)


def case_key_change(codec, frames):
    changes = []

    def on_frame(n, enc):
        if n == 20:
            changes.append(("ratchet", enc.emit("ratchet", 0)))
        elif n == 40:
            changes.append(("set-key", enc.emit("set-key", KEY2, 1)))

    def give_receiver_index_1(run):
        run.rx.get_by_name("dec").emit("set-key", KEY2, 1)

    r = Run(codec, frames, KEY, on_frame=on_frame).run(before_start=give_receiver_index_1)
    tx, rx = r.stats["tx"], r.stats["rx"]
    after = [k for k in r.keyframes if k >= 20]
    kf = r.keyframes if CODECS[codec][0] is VIDEO_SRC else "n/a (audio)"
    detail = (f"frames {frames}, decoded {len(r.out)} of reference {len(r.ref)}, identical "
              f"{sum(a == b for a, b in zip(r.ref, r.out))}, receiver ratchets {rx['ratchets']}, "
              f"auth failures {rx['auth-failures']}, key frames at {kf}, changes {changes}")
    why = []
    if r.error:
        why.append(r.error)
    if [c for c in changes if not c[1]] or len(changes) != 2:
        why.append("a key change was refused")
    if (d := decoded_differ(codec, r)):
        why.append(d + " (a frame was lost)")
    if rx["ratchets"] < 1:
        why.append("the receiver did not follow the ratchet")
    if rx["auth-failures"] or rx["missing-key"]:
        why.append("frames failed")
    if CODECS[codec][0] is VIDEO_SRC and not (any(20 <= k < 30 for k in after) and any(40 <= k < 50 for k in after)):
        why.append("no key unit after a key change")
    report(f"{codec}-key-change", not why, "; ".join(why) + (" | " if why else "") + detail)


def main():
    Gst.init(None)
    missing = [e for e in ("framesealenc", "framesealdec", "framesealvp8pay", "framesealvp9pay")
               if not Gst.ElementFactory.find(e)]
    if missing:
        print(f"FAIL plugin: {missing} not found (GST_PLUGIN_PATH={os.environ.get('GST_PLUGIN_PATH')})")
        return 1
    only = sys.argv[1:]
    extra = [("vp8-sframe", lambda: case_sframe("vp8", "")), ("h264-sframe", lambda: case_sframe("h264", "cipher=aes256gcm")),
             ("av1-refused", case_av1), ("key-not-printed", case_key_not_printed),
             ("docs-examples", case_docs_examples), ("stock-payloaders", case_stock_payloaders)]
    for name, fn in extra:
        if only and not any(o in name for o in only):
            continue
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            report(name, False, f"{type(e).__name__}: {e}")
    for codec in CODECS:
        frames = 100 if codec == "opus" else 60
        for name, fn in ((codec, case_plain), (f"{codec}-wrong-key", case_wrong_key),
                         (f"{codec}-key-change", case_key_change)):
            if only and not any(o in name for o in only):
                continue
            try:
                fn(codec, frames)
            except Exception as e:  # noqa: BLE001 - a case that throws is a failed case, with the reason
                report(name, False, f"{type(e).__name__}: {e}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
