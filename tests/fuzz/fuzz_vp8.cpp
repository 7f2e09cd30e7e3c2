// Fuzz target: the VP8 frame-header facts (codec/vp8.hpp) and a VP8 frame through the LiveKit
// frame cryptor.
//
// Input: byte 0 bits 0-1 key-frame flag (0/3 from the bytes, 1 key, 2 delta), bit 2 in place,
// bits 3-4 cipher; then the frame.
// Checks: vp8_is_key_frame, vp8_has_key_frame_start_code and vp8_first_partition_size agree with
// RFC 6386 §9.1 read byte by byte; the clear header is 10 bytes for a key frame and 3 for a delta
// frame (malformed_frame when the frame is shorter, on both sides); an encrypted VP8 frame is
// exactly n + overhead bytes, starts with the frame's first 10 / 3 bytes unchanged, and decrypts
// back exactly.
#include "fuzz_livekit_frame.hpp"

namespace {

using namespace fsfuzz;

template <class C>
void round_trip(const Bytes& frame, std::optional<bool> key, bool in_place) {
  using Cryptor = livekit::FrameCryptor<C>;
  FrameInfo info;
  info.codec = Codec::vp8;
  info.key_frame = key;
  const bool is_key = key ? *key : vp8_is_key_frame(frame);
  const std::size_t n = is_key ? 10 : 3;
  KeyRing<C> ring = fixed_ring<C>();
  Cryptor tx(ring, {}, livekit::UniqueIv(9, 9)), rx(ring);

  Guarded buf(frame.size() + Cryptor::overhead);
  if (!frame.empty()) std::memcpy(buf.data(), frame.data(), frame.size());
  const BytesIn src = in_place ? BytesIn(buf.data(), frame.size()) : BytesIn(frame);
  Guarded other(frame.size() + Cryptor::overhead);
  const BytesOut dst = in_place ? buf.span() : other.span();
  auto e = tx.encrypt(info, src, dst);
  FS_FUZZ_CHECK(buf.guard_intact() && other.guard_intact());
  if (frame.empty()) {
    FS_FUZZ_CHECK(e.has_value() && e->empty());
    return;
  }
  if (frame.size() < n) {
    FS_FUZZ_CHECK(!e && e.error() == Errc::malformed_frame);
    return;
  }
  FS_FUZZ_CHECK(e.has_value() && e->size() == frame.size() + Cryptor::overhead);
  FS_FUZZ_CHECK(std::equal(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n), e->begin()));
  const Bytes enc(e->begin(), e->end());
  // The receiver reads the frame type from the clear frame tag when it is not told.
  auto rch = livekit::receiver_clear_header(info, key ? *key : vp8_is_key_frame(enc), enc);
  FS_FUZZ_CHECK(rch.has_value() && rch->in_bytes == n);
  Guarded out(enc.size());
  Bytes exact(enc);
  auto d = rx.decrypt(info, exact, out.span());
  FS_FUZZ_CHECK(out.guard_intact());
  FS_FUZZ_CHECK(d.has_value() && equal(*d, frame));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t cfg = in.byte();
  const BytesIn rest = in.rest();
  const Bytes frame(rest.begin(), rest.end());

  // RFC 6386 §9.1, byte by byte.
  const bool key = !frame.empty() && (frame[0] & 1) == 0;
  FS_FUZZ_CHECK(vp8_is_key_frame(frame) == key);
  const bool start_code = frame.size() >= 10 && frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a;
  FS_FUZZ_CHECK(vp8_has_key_frame_start_code(frame) == start_code);
  std::uint32_t partition = 0;
  if (frame.size() >= 3)
    partition = (frame[0] >> 5) | (std::uint32_t{frame[1]} << 3) | (std::uint32_t{frame[2]} << 11);
  FS_FUZZ_CHECK(vp8_first_partition_size(frame) == partition);

  std::optional<bool> flag;
  if ((cfg & 3) == 1) flag = true;
  if ((cfg & 3) == 2) flag = false;
  const bool in_place = (cfg & 4) != 0;
  with_cipher(static_cast<std::uint8_t>(cfg >> 3), [&]<class C>() { round_trip<C>(frame, flag, in_place); });
  return 0;
}
