// codec/vp8.hpp: key-frame detection from the frame tag (RFC 6386 §9.1) and the header sizes the
// LiveKit clear-header rule uses.
#include "common.hpp"

using namespace frameseal;
using fstest::Bytes;
using fstest::from_hex;

TEST_CASE("vp8: key frame flag is bit 0 of byte 0, inverted") {
  CHECK_FALSE(vp8_is_key_frame(Bytes{}));
  CHECK(vp8_is_key_frame(from_hex("00")));
  CHECK_FALSE(vp8_is_key_frame(from_hex("01")));
  CHECK(vp8_is_key_frame(from_hex("fe")));
  CHECK_FALSE(vp8_is_key_frame(from_hex("ff")));
  // the livekit-server blank key frame and the key/delta frames of the livekit vectors
  CHECK(vp8_is_key_frame(from_hex("1002009d012a0800080000470885858885848802")));
  CHECK(vp8_is_key_frame(from_hex("5004009d012a4001b400")));  // hkdf-vp8-key
  CHECK_FALSE(vp8_is_key_frame(from_hex("3102000a0b0c")));    // delta: bit 0 set
  static_assert(vp8_is_key_frame(BytesIn{}) == false);
}

TEST_CASE("vp8: key-frame start code and sizes") {
  CHECK(vp8_frame_tag_bytes == 3);
  CHECK(vp8_key_frame_header_bytes == 10);
  CHECK(vp8_has_key_frame_start_code(from_hex("5004009d012a4001b400")));
  CHECK_FALSE(vp8_has_key_frame_start_code(from_hex("5004009d012a4001b4")));  // 9 bytes: too short
  CHECK_FALSE(vp8_has_key_frame_start_code(from_hex("5004009d012b4001b400")));
  CHECK_FALSE(vp8_has_key_frame_start_code(Bytes{}));
}

TEST_CASE("vp8: first partition size from the frame tag") {
  // tag = 0x000450: show_frame etc. in the low 5 bits, size = tag >> 5
  const Bytes f = from_hex("5004009d012a");
  CHECK(vp8_first_partition_size(f) == ((0x50u | (0x04u << 8)) >> 5));
  CHECK(vp8_first_partition_size(from_hex("e0ffff")) == 0x7ffffu);
  CHECK(vp8_first_partition_size(from_hex("5004")) == 0);
}
