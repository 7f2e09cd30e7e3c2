#!/usr/bin/python3
"""The GStreamer side of tests/gst/browser.mjs: a webrtcbin peer whose media goes through frameseal's
elements, talking JSON lines on stdin/stdout.

    webrtc_peer.py --send-key HEX --recv-key HEX     (the video codec is the offer's: VP8 or H.264)

stdin:  {"offer": SDP}  then {"status": true} (any number)  then {"stop": true}
stdout: {"answer": SDP}     {"status": {kind: {...}}}            {"result": {...}}   (diagnostics go to stderr)

Sends (identity "gst"): videotestsrc pattern=smpte (320x240, 30 fps) through the encoder,
framesealenc and the E2EE-safe payloader (framesealvp8pay, or rtph264pay config-interval=0 on avc
input), and a 440 Hz sine through opusenc and framesealenc. Receives (identity "browser"): each
incoming stream through its depayloader, framesealdec and a decoder into an appsink. The receiving
bins are built and put in the pipeline with the offer, so webrtcbin's pad-added (on a streaming
thread) only links a pad: nothing loads a plugin or changes state there.

The result gives per stream: frames received (depayloaded, into framesealdec), decrypted (its
counters), decoded (out of the decoder), the decrypt failures and the states posted on the bus, and a
timeline (seconds since the offer) of when each incoming pad came and its first frame arrived.
"""
import argparse
import json
import re
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402


def log(*a):
    print("[gst]", *a, file=sys.stderr, flush=True)


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def payload_types(sdp):
    """{kind: (pt, encoding)} of the first codec of each m-line of the offer."""
    out = {}
    for m in re.split(r"\r?\n(?=m=)", sdp)[1:]:
        head = m.split("\n", 1)[0].split()
        kind, pts = head[0][2:], head[3:]
        rtpmap = dict(re.findall(r"a=rtpmap:(\d+) ([A-Za-z0-9-]+)/", m))
        for pt in pts:
            enc = rtpmap.get(pt, "").upper()
            if enc in ("VP8", "H264", "OPUS"):
                out[kind] = (int(pt), enc)
                break
    return out


class Peer:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.pipe = None
        self.streams = {}  # kind -> counters and its receiving bin
        self.bus_states = []
        self.errors = []
        self.t0 = time.monotonic()
        self.timeline = []
        self.lock = threading.Lock()

    def mark(self, what):
        with self.lock:
            self.timeline.append(f"{time.monotonic() - self.t0:.2f} {what}")
        log(what)

    def build(self, offer_sdp):
        pts = payload_types(offer_sdp)
        log("offer codecs", pts)
        if "video" not in pts or "audio" not in pts:
            raise RuntimeError(f"the offer has no usable video and audio codec: {pts}")
        vpt, venc = pts["video"]
        apt, _ = pts["audio"]
        k = self.args.send_key
        if venc == "VP8":
            video = ("vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=800000 ! "
                     f"framesealenc name=venc key={k} participant-identity=gst ! framesealvp8pay pt={vpt}")
        else:
            video = ("x264enc tune=zerolatency speed-preset=ultrafast threads=1 aud=false key-int-max=30 bitrate=800 ! "
                     "video/x-h264,profile=constrained-baseline ! h264parse ! video/x-h264,stream-format=avc,alignment=au ! "
                     f"framesealenc name=venc key={k} participant-identity=gst ! rtph264pay config-interval=0 pt={vpt} "
                     "aggregate-mode=zero-latency")
        desc = (
            "webrtcbin name=wb bundle-policy=max-bundle "
            "videotestsrc is-live=true pattern=smpte ! video/x-raw,width=320,height=240,framerate=30/1 ! "
            f"videoconvert ! queue ! {video} ! queue ! wb. "
            "audiotestsrc is-live=true wave=sine freq=440 volume=0.4 ! audioconvert ! audioresample ! "
            "audio/x-raw,rate=48000,channels=2 ! opusenc frame-size=20 ! "
            f"framesealenc name=aenc key={k} participant-identity=gst ! rtpopuspay pt={apt} ! queue ! wb. ")
        self.pipe = Gst.parse_launch(desc)
        for kind, (_, enc) in pts.items():
            self.add_receiver(kind, enc)
        self.wb = self.pipe.get_by_name("wb")
        self.wb.connect("pad-added", self.on_pad)
        self.wb.connect("notify::ice-gathering-state", self.on_gathering)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        self.pipe.set_state(Gst.State.PLAYING)

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            self.errors.append(f"{msg.src.get_name()}: {err.message}")
            log("ERROR", msg.src.get_name(), err.message, dbg)
        elif msg.type == Gst.MessageType.WARNING:
            err, dbg = msg.parse_warning()
            log("warning", msg.src.get_name(), err.message)
        elif msg.type == Gst.MessageType.ELEMENT and msg.get_structure().get_name() == "frameseal-state":
            s = msg.get_structure()
            self.bus_states.append({"element": msg.src.get_name(), "identity": s.get_value("identity"),
                                    "state": s.get_value("state")})
            log("state", msg.src.get_name(), s.get_value("state"))

    def offer(self, sdp):
        self.build(sdp)
        ok, msg = GstSdp.SDPMessage.new_from_text(sdp)
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, msg)
        p = Gst.Promise.new_with_change_func(self.on_remote_set, None)
        self.wb.emit("set-remote-description", offer, p)

    def on_remote_set(self, promise, _):
        p = Gst.Promise.new_with_change_func(self.on_answer, None)
        self.wb.emit("create-answer", None, p)

    def on_answer(self, promise, _):
        reply = promise.get_reply()
        answer = reply.get_value("answer")
        self.wb.emit("set-local-description", answer, Gst.Promise.new())
        self.answered = False
        GLib.timeout_add(3000, self.send_answer)  # if gathering never says complete

    def on_gathering(self, wb, pspec):
        if wb.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(self.send_answer)

    def send_answer(self):
        if getattr(self, "answered", True) is False:
            self.answered = True
            sdp = self.wb.get_property("local-description").sdp.as_text()
            send({"answer": sdp})
        return False

    def on_pad(self, wb, pad):
        try:
            self.link_incoming(pad)
        except Exception as e:  # noqa: BLE001 - reported in the result, not lost on stderr
            self.errors.append(f"incoming stream: {type(e).__name__}: {e}")

    def add_receiver(self, kind, enc):
        k = self.args.recv_key
        if enc == "VP8":
            chain = (f"rtpvp8depay name=depay_{kind} ! framesealdec name=dec_{kind} key={k} participant-identity=browser ! "
                     "vp8dec ! videoconvert ! video/x-raw,format=I420")
        elif enc == "H264":
            chain = ("rtph264depay name=depay_video ! video/x-h264,stream-format=byte-stream,alignment=au ! "
                     f"framesealdec name=dec_video key={k} participant-identity=browser ! h264parse ! avdec_h264 ! "
                     "videoconvert ! video/x-raw,format=I420")
        else:  # OPUS
            chain = (f"rtpopusdepay name=depay_audio ! framesealdec name=dec_audio key={k} participant-identity=browser "
                     "gap-on-drop=false ! opusdec ! audioconvert ! audio/x-raw,format=S16LE")
        bin_ = Gst.parse_bin_from_description(
            f"queue ! {chain} ! appsink name=sink_{kind} sync=false async=false emit-signals=true", True)
        self.pipe.add(bin_)
        st = {"codec": enc.lower(), "received": 0, "decoded": 0, "energy": 0.0, "bin": bin_, "linked": False}
        self.streams[kind] = st
        bin_.get_by_name(f"depay_{kind}").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.count, st)
        bin_.get_by_name(f"sink_{kind}").connect("new-sample", self.decoded, st)

    def link_incoming(self, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        s = caps.get_structure(0)
        enc = s.get_value("encoding-name")
        kind = s.get_value("media")
        self.mark(f"incoming {kind} {enc}")
        st = self.streams.get(kind)
        if st is None or st["codec"] != str(enc).lower() or st["linked"]:
            self.errors.append(f"unexpected incoming stream {kind} {enc}")
            return
        res = pad.link(st["bin"].get_static_pad("sink"))
        if res != Gst.PadLinkReturn.OK:
            self.errors.append(f"incoming {kind}: linking failed ({res.value_nick})")
            return
        st["linked"] = True

    def count(self, pad, info, st):
        if not st["received"]:
            self.mark(f"first {st['codec']} frame")
        st["received"] += 1
        return Gst.PadProbeReturn.OK

    def decoded(self, sink, st):
        sample = sink.emit("pull-sample")
        st["decoded"] += 1
        if st["codec"] == "opus":
            b = sample.get_buffer()
            ok, m = b.map(Gst.MapFlags.READ)
            data = memoryview(m.data).cast("h")
            st["energy"] = max(st["energy"], max((abs(x) for x in data), default=0) / 32768.0)
            b.unmap(m)
        return Gst.FlowReturn.OK

    def status(self):
        send({"status": {kind: {"received": st["received"], "decoded": st["decoded"]}
                         for kind, st in self.streams.items()}})
        return False

    def result(self):
        out = {"errors": self.errors, "states": self.bus_states, "streams": {}, "sent": {},
               "timeline": list(self.timeline)}
        for kind, st in self.streams.items():
            dec = st["bin"].get_by_name(f"dec_{kind}").get_property("stats")
            out["streams"][kind] = {"codec": st["codec"], "received": st["received"], "decoded": st["decoded"],
                                    "decrypted": dec.get_value("decrypted"), "auth_failures": dec.get_value("auth-failures"),
                                    "missing_key": dec.get_value("missing-key"), "state": dec.get_value("state"),
                                    "peak": round(st["energy"], 3)}
        for name in ("venc", "aenc"):
            el = self.pipe.get_by_name(name) if self.pipe else None
            if el:
                s = el.get_property("stats")
                out["sent"][name] = {"encrypted": s.get_value("encrypted"), "state": s.get_value("state")}
        return out

    def stdin_loop(self):
        for line in sys.stdin:
            msg = json.loads(line)
            if "offer" in msg:
                self.mark("offer")
                GLib.idle_add(self.offer, msg["offer"])
            elif "status" in msg:
                GLib.idle_add(self.status)
            elif "stop" in msg:
                GLib.idle_add(self.stop)
                return
        GLib.idle_add(self.stop)

    def stop(self):
        send({"result": self.result()})
        if self.pipe:
            self.pipe.set_state(Gst.State.NULL)
        self.loop.quit()
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--send-key", required=True)
    ap.add_argument("--recv-key", required=True)
    args = ap.parse_args()
    Gst.init(None)
    for e in ("framesealenc", "framesealdec", "framesealvp8pay", "webrtcbin", "vp8enc", "x264enc", "opusenc"):
        if not Gst.ElementFactory.find(e):
            send({"result": {"errors": [f"GStreamer element {e} not found"], "streams": {}, "states": [], "sent": {}}})
            return 1
    peer = Peer(args)
    threading.Thread(target=peer.stdin_loop, daemon=True).start()
    peer.loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
