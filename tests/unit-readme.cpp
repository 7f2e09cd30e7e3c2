// The README's frame example, compiled and run, so the documentation cannot drift from the API.
#include "common.hpp"

#if defined(FRAMESEAL_TEST_OPENSSL)
using namespace frameseal;

namespace {
// --- README: "Encrypt and decrypt a frame" (kept in sync by hand; the asserts are the test) ---
std::vector<std::uint8_t> readme_round_trip(std::span<const std::uint8_t> frame, std::uint32_t ssrc,
                                            std::uint32_t rtp_timestamp) {
  auto ring = KeyRing<openssl::Aes128Gcm>::create().value();           // 16 slots, window 16, HKDF
  if (ring.set_key(0, as_bytes("shared secret")) != Errc::ok) return {};  // material of any length > 0
  livekit::FrameCryptor<openssl::Aes128Gcm> sender(ring);

  FrameInfo info{MediaKind::video, Codec::vp8, /*key_frame=*/true, ssrc, rtp_timestamp};
  std::vector<std::uint8_t> wire(decltype(sender)::max_encrypted_size(frame.size()));
  Result<BytesOut> enc = sender.encrypt(info, frame, wire);            // returns the written prefix
  if (!enc) return {};

  auto rx_ring = KeyRing<openssl::Aes128Gcm>::create().value();
  (void)rx_ring.set_key(0, as_bytes("shared secret"));
  livekit::FrameCryptor<openssl::Aes128Gcm> receiver(rx_ring);
  std::vector<std::uint8_t> plain(enc->size());
  Result<BytesOut> dec = receiver.decrypt(info, *enc, plain);          // or in place: decrypt(info, buf, buf)
  if (!dec) return {};
  return {dec->begin(), dec->end()};
}
}  // namespace

TEST_CASE("README frame example round-trips a VP8 key frame") {
  std::vector<std::uint8_t> frame = fstest::from_hex("5004009d012a4001b400");
  frame.resize(500, 0x42);
  CHECK(readme_round_trip(frame, 1234, 5678) == frame);
}
#endif
