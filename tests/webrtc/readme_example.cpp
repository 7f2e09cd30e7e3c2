// docs/webrtc.md's wiring example (tests/check_docs.py checks its lines are these), compiled in every
// `meson test` against the three generations of fake_webrtc.hpp, and against a real libwebrtc tree
// with -Dwebrtc_include_dir.
#include <frameseal/frameseal.hpp>
#include <frameseal/ciphers/openssl.hpp>
#include <frameseal/webrtc/frame_transformer.hpp>

#include "api/rtp_receiver_interface.h"
#include "api/rtp_sender_interface.h"

#include <string>

namespace fs = frameseal;
using Manager = fs::session::E2eeManager<fs::openssl::Aes128Gcm>;

// --- docs/webrtc.md example begins ---
// One manager per room; the local participant's key and each remote participant's key (or one
// shared key) come from your signalling.
void wire_e2ee(Manager& room, webrtc::RtpSenderInterface& sender, webrtc::RtpReceiverInterface& receiver,
               const std::string& me, const std::string& remote_identity, fs::MediaKind kind) {
  using fs::webrtc_adapter::make_frame_transformer;
  // Sender: frames of the local participant are encrypted with its key.
  auto tx = make_frame_transformer(room.frame_cryptor(me).value(), {.kind = kind});
  // Receiver: frames of the remote participant are decrypted with that participant's key.
  auto rx = make_frame_transformer(room.frame_cryptor(remote_identity).value(), {.kind = kind});
#if FRAMESEAL_CONFIG_WEBRTC_API == 1  // webrtc-sdk m125 (LiveKit's native SDKs)
  sender.SetEncoderToPacketizerFrameTransformer(tx);
  receiver.SetDepacketizerToDecoderFrameTransformer(rx);
#else  // upstream since 2024-05: FrameTransformerHost
  sender.SetFrameTransformer(tx);
  receiver.SetFrameTransformer(rx);
#endif
}
// --- docs/webrtc.md example ends ---
