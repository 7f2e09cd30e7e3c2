// What the LiveKit frame targets share: the cipher chosen by the input, the fixed key ring, the
// FrameInfo chosen by the input, and the room's SIF trailer.
#pragma once

#include <frameseal/frameseal.hpp>
#if defined(FRAMESEAL_FUZZ_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#endif

#include <optional>
#include <string_view>

#include "fuzz_common.hpp"

namespace fsfuzz {

using namespace frameseal;

// The key ring every LiveKit target decrypts with (HKDF, as livekit-client's setKey(ArrayBuffer)):
// slot 0 holds the material of the livekit-client vectors, slot 3 that of their key-index-3
// vector, slot 5 a third key; the other slots are empty. Ratchet window 2, two previous
// generations, failure tolerance -1 (never invalidated), so a frame under the vectors' key
// ratcheted once or twice still decrypts.
inline constexpr std::uint8_t material0[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
inline constexpr std::uint8_t material3[32] = {
    0x50, 0x99, 0x31, 0x23, 0x63, 0x4c, 0xf1, 0x5f, 0x1a, 0xae, 0x8f, 0x42, 0x2f, 0x17, 0x32, 0x91,
    0xbc, 0x4a, 0x5f, 0x2d, 0xf5, 0xbe, 0x87, 0x60, 0xb9, 0xbf, 0x99, 0x94, 0x8a, 0xd0, 0x7a, 0x3f};
inline constexpr std::string_view material5 = "frameseal fuzz key at index 5";
// The SIF trailer of the livekit-client vectors ("ExampleRoomSifTrailer").
inline constexpr std::string_view sif_trailer = "ExampleRoomSifTrailer";

template <class C>
[[nodiscard]] KeyRing<C> fixed_ring() {
  KeyRingOptions o;
  o.ratchet_window = 2;
  o.previous_generations = 2;
  auto ring = KeyRing<C>::create(std::move(o));
  FS_FUZZ_CHECK(ring.has_value());
  FS_FUZZ_CHECK(ring->set_key(5, as_bytes(material5)) == Errc::ok);
  FS_FUZZ_CHECK(ring->set_key(3, BytesIn(material3)) == Errc::ok);
  FS_FUZZ_CHECK(ring->set_key(0, BytesIn(material0)) == Errc::ok);
  return std::move(*ring);
}

// Byte layout: bits 0-2 the codec, bits 3-4 the key-frame flag.
[[nodiscard]] inline FrameInfo frame_info(std::uint8_t b) noexcept {
  FrameInfo info;
  info.ssrc = 0x11223344;
  info.rtp_timestamp = 0x5e6f7081;
  switch (b & 7) {
    case 0:
      info.kind = MediaKind::audio;
      info.codec = Codec::opus;
      break;
    case 1:
      info.codec = Codec::vp8;
      break;
    case 2:
      info.codec = Codec::vp9;
      break;
    case 3:
      info.codec = Codec::h264;
      break;
    case 4:
      info.codec = Codec::h265;
      break;
    case 5:
      info.codec = Codec::av1;
      break;
    case 6:
      info.codec = Codec::unknown;
      break;
    default:
      info.kind = MediaKind::audio;
      info.codec = Codec::unknown;
      break;
  }
  switch ((b >> 3) & 3) {
    case 1:
      info.key_frame = true;
      break;
    case 2:
      info.key_frame = false;
      break;
    default:
      break;
  }
  return info;
}

// Calls f.template operator()<C>() with the cipher that byte b selects (bits 0-1): 0/3
// ChaCha20-Poly1305, 1 libsodium AES-256-GCM, 2 OpenSSL AES-128-GCM (LiveKit's wire cipher). A
// cipher this machine or build lacks falls back to ChaCha20-Poly1305.
template <class F>
void with_cipher(std::uint8_t b, F&& f) {
  switch (b & 3) {
    case 1:
      if (sodium::Aes256Gcm::available()) return f.template operator()<sodium::Aes256Gcm>();
      break;
#if defined(FRAMESEAL_FUZZ_OPENSSL)
    case 2:
      if (openssl::Aes128Gcm::available()) return f.template operator()<openssl::Aes128Gcm>();
      break;
#endif
    default:
      break;
  }
  f.template operator()<sodium::ChaCha20Poly1305>();
}

}  // namespace fsfuzz
