// gst/gstframesealpay.cpp: framesealvp8pay and framesealvp9pay, RTP payloaders that carry an
// end-to-end encrypted VP8 or VP9 frame without looking inside it.
//
// Why: the stock rtpvp8pay parses the VP8 partitions to place partition boundaries; an encrypted
// LiveKit VP8 frame is clear only for its first 10 (key) or 3 (delta) bytes, so rtpvp8pay fails
// ("Failed to parse VP8 frame") and the stream stops. rtpvp9pay likewise reads the VP9
// uncompressed header of key frames, which LiveKit encrypts (VP9 keeps 0 bytes clear). These
// payloaders split the frame into MTU-sized packets behind a fixed descriptor and set the marker on
// the last one; the stock depayloaders (rtpvp8depay, rtpvp9depay) and browsers read them.
//   VP8 (RFC 7741 section 4.2): X=1 S=1 (first packet) PID=0, I=1, M=1 and a 15-bit picture ID.
//   VP9 (RFC 9628 section 4.2): I=1 P (delta frames) B (first packet) E (last packet), F=0 L=0 V=0,
//   M=1 and a 15-bit picture ID; no layer indices (one spatial and temporal layer).
// Key frames are told by the buffer's DELTA_UNIT flag, so the frame bytes are never parsed. The
// picture ID starts at a random value and counts frames (RFC 7741: "the initial value SHOULD be
// random").
#include <gst/rtp/gstrtpbasepayload.h>
#include <gst/rtp/gstrtpbuffer.h>

#include <cstring>

#include "gstframeseal.h"

struct _GstFramesealVpxPay {
  GstRTPBasePayload parent;
  gboolean vp9;
  guint16 picture_id;
};
struct _GstFramesealVpxPayClass {
  GstRTPBasePayloadClass parent_class;
};
struct _GstFramesealVp8Pay {
  GstFramesealVpxPay parent;
};
struct _GstFramesealVp8PayClass {
  GstFramesealVpxPayClass parent_class;
};
struct _GstFramesealVp9Pay {
  GstFramesealVpxPay parent;
};
struct _GstFramesealVp9PayClass {
  GstFramesealVpxPayClass parent_class;
};

G_DEFINE_ABSTRACT_TYPE(GstFramesealVpxPay, gst_frameseal_vpx_pay, GST_TYPE_RTP_BASE_PAYLOAD)
G_DEFINE_TYPE(GstFramesealVp8Pay, gst_frameseal_vp8_pay, GST_TYPE_FRAMESEAL_VPX_PAY)
G_DEFINE_TYPE(GstFramesealVp9Pay, gst_frameseal_vp9_pay, GST_TYPE_FRAMESEAL_VPX_PAY)

namespace {

constexpr guint max_descriptor = 4;

// Writes the descriptor of one packet to d and returns its size (VP8 4 bytes, VP9 3).
guint write_descriptor(const GstFramesealVpxPay* self, bool first, bool last, bool key_frame, guint8* d) {
  const guint16 pid = self->picture_id & 0x7fff;
  if (self->vp9) {
    d[0] = static_cast<guint8>(0x80 | (key_frame ? 0 : 0x40) | (first ? 0x08 : 0) |
                               (last ? 0x04 : 0));  // I P B E
    d[1] = static_cast<guint8>(0x80 | (pid >> 8));  // M=1, picture ID high bits
    d[2] = static_cast<guint8>(pid & 0xff);
    return 3;
  }
  d[0] = static_cast<guint8>(0x80 | (first ? 0x10 : 0));  // X, S, PID=0
  d[1] = 0x80;                                            // I
  d[2] = static_cast<guint8>(0x80 | (pid >> 8));          // M=1
  d[3] = static_cast<guint8>(pid & 0xff);
  return 4;
}

gboolean set_caps(GstRTPBasePayload* pay, GstCaps*) {
  auto* self = reinterpret_cast<GstFramesealVpxPay*>(pay);
  gst_rtp_base_payload_set_options(pay, "video", TRUE, self->vp9 ? "VP9" : "VP8", 90000);
  return gst_rtp_base_payload_set_outcaps(pay, nullptr);
}

GstFlowReturn handle_buffer(GstRTPBasePayload* pay, GstBuffer* buffer) {
  auto* self = reinterpret_cast<GstFramesealVpxPay*>(pay);
  const guint desc = self->vp9 ? 3 : 4;
  const guint mtu = GST_RTP_BASE_PAYLOAD_MTU(pay);
  const guint room = gst_rtp_buffer_calc_payload_len(mtu, 0, 0);
  if (room <= desc) {
    gst_buffer_unref(buffer);
    GST_ELEMENT_ERROR(pay, STREAM, FAILED, ("mtu %u leaves no room for a payload", mtu), (nullptr));
    return GST_FLOW_ERROR;
  }
  const gsize chunk = room - desc;
  const gsize size = gst_buffer_get_size(buffer);
  const bool key_frame = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  const gsize packets = size == 0 ? 1 : (size + chunk - 1) / chunk;
  GstBufferList* list = gst_buffer_list_new_sized(static_cast<guint>(packets));
  gsize offset = 0;
  for (gsize i = 0; i < packets; ++i) {
    const gsize n = MIN(chunk, size - offset);
    GstBuffer* out = gst_rtp_base_payload_allocate_output_buffer(pay, static_cast<guint>(desc + n), 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    gst_rtp_buffer_map(out, GST_MAP_WRITE, &rtp);
    auto* p = static_cast<guint8*>(gst_rtp_buffer_get_payload(&rtp));
    guint8 d[max_descriptor];
    std::memcpy(p, d, write_descriptor(self, i == 0, i + 1 == packets, key_frame, d));
    gst_buffer_extract(buffer, offset, p + desc, n);
    gst_rtp_buffer_set_marker(&rtp, i + 1 == packets);
    gst_rtp_buffer_unmap(&rtp);
    GST_BUFFER_PTS(out) = GST_BUFFER_PTS(buffer);
    GST_BUFFER_DTS(out) = GST_BUFFER_DTS(buffer);
    gst_buffer_list_add(list, out);
    offset += n;
  }
  self->picture_id = static_cast<guint16>((self->picture_id + 1) & 0x7fff);
  gst_buffer_unref(buffer);
  return gst_rtp_base_payload_push_list(pay, list);
}

void add_templates(GstElementClass* klass, const char* sink, const char* encoding) {
  GstCaps* s = gst_caps_from_string(sink);
  gst_element_class_add_pad_template(klass, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, s));
  gst_caps_unref(s);
  gchar* src = g_strdup_printf(
      "application/x-rtp, media=(string)video, payload=(int)[ 96, 127 ], clock-rate=(int)90000, "
      "encoding-name=(string)%s",
      encoding);
  GstCaps* c = gst_caps_from_string(src);
  g_free(src);
  gst_element_class_add_pad_template(klass, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, c));
  gst_caps_unref(c);
}

}  // namespace

static void gst_frameseal_vpx_pay_class_init(GstFramesealVpxPayClass* klass) {
  auto* pay_class = GST_RTP_BASE_PAYLOAD_CLASS(klass);
  pay_class->set_caps = set_caps;
  pay_class->handle_buffer = handle_buffer;
}
static void gst_frameseal_vpx_pay_init(GstFramesealVpxPay* self) {
  self->picture_id = static_cast<guint16>(g_random_int_range(0, 0x8000));
}

static void gst_frameseal_vp8_pay_class_init(GstFramesealVp8PayClass* klass) {
  auto* ec = GST_ELEMENT_CLASS(klass);
  add_templates(ec, "video/x-vp8", "VP8");
  gst_element_class_set_static_metadata(
      ec, "RTP VP8 payloader for encrypted frames", "Codec/Payloader/Network/RTP",
      "Puts end-to-end encrypted VP8 frames into RTP packets (RFC 7741) without parsing their partitions",
      "frameseal");
}
static void gst_frameseal_vp8_pay_init(GstFramesealVp8Pay* self) {
  reinterpret_cast<GstFramesealVpxPay*>(self)->vp9 = FALSE;
}

static void gst_frameseal_vp9_pay_class_init(GstFramesealVp9PayClass* klass) {
  auto* ec = GST_ELEMENT_CLASS(klass);
  add_templates(ec, "video/x-vp9", "VP9");
  gst_element_class_set_static_metadata(
      ec, "RTP VP9 payloader for encrypted frames", "Codec/Payloader/Network/RTP",
      "Puts end-to-end encrypted VP9 frames into RTP packets (RFC 9628) without parsing their headers",
      "frameseal");
}
static void gst_frameseal_vp9_pay_init(GstFramesealVp9Pay* self) {
  reinterpret_cast<GstFramesealVpxPay*>(self)->vp9 = TRUE;
}
