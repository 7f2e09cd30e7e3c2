// Fuzz target: livekit::parse_frame (livekit/frame_layout.hpp), the keyless parser that
// FrameCryptor::decrypt and `frameseal inspect` share, against decrypt itself.
//
// Input: livekit_decrypt's mode A (its seeds are this target's too): byte 0 bits 0-2 codec
// (fsfuzz::frame_info), bits 3-4 key-frame flag, bit 5 the LKTS packet trailer, bit 6 the room's
// SIF trailer; byte 1 bits 0-1 cipher; byte 2 unused; then the received frame.
// Checks: no read or write outside the frame and the scratch (ASan, and the bytes past the scratch
// the parser was given stay as they were); every length lies inside the frame; and parse_frame
// agrees with decrypt under the fixed key ring: an outer problem is decrypt's error, empty and SIF
// frames pass with the size parse_frame gives, a key index without a key is missing_key, any other
// problem is decrypt's error, and a well-formed frame either decrypts to exactly
// plaintext_bytes bytes with the same clear length and key index or fails to authenticate.
#include "fuzz_livekit_frame.hpp"

namespace {

using namespace fsfuzz;

template <class C>
void run(BytesIn frame, std::uint8_t b0) {
  const FrameInfo info = frame_info(b0);
  livekit::FrameCryptorOptions options;
  options.packet_trailer = (b0 & 0x20) != 0;
  if (b0 & 0x40) options.sif_trailer.assign(sif_trailer.begin(), sif_trailer.end());
  livekit::LayoutOptions lo;
  lo.packet_trailer = options.packet_trailer;
  lo.sif_trailer = options.sif_trailer;

  Bytes scratch(frame.size() + 16, 0xa5);
  const auto lay =
      livekit::parse_frame(info, frame, BytesOut(scratch.data(), frame.size()), lo, C::tag_bytes);
  for (std::size_t i = frame.size(); i < scratch.size(); ++i) FS_FUZZ_CHECK(scratch[i] == 0xa5);
  FS_FUZZ_CHECK(lay.clear_bytes <= frame.size());
  if (lay.plaintext_bytes) FS_FUZZ_CHECK(*lay.plaintext_bytes <= frame.size());
  if (lay.has_key_index()) FS_FUZZ_CHECK(!frame.empty());
  if (lay.iv) FS_FUZZ_CHECK(lay.problem == Errc::ok && lay.kind == livekit::FrameKind::encrypted);
  FS_FUZZ_CHECK(lay.problem != Errc::buffer_too_small);  // the scratch was the frame's size

  KeyRing<C> ring = fixed_ring<C>();
  livekit::FrameCryptor<C> rx(ring, options);
  Bytes out(frame.size() + 1);
  livekit::DecryptReport rep;
  auto d = rx.decrypt(info, frame, out, &rep);

  if (!lay.has_key_index() && lay.problem != Errc::ok) {  // steps 1-4 failed: no key was looked at
    FS_FUZZ_CHECK(!d && d.error() == lay.problem);
    return;
  }
  if (lay.kind != livekit::FrameKind::encrypted) {
    FS_FUZZ_CHECK(d.has_value());
    FS_FUZZ_CHECK(d->size() == *lay.plaintext_bytes);
    FS_FUZZ_CHECK(rep.passthrough == (lay.kind == livekit::FrameKind::empty));
    FS_FUZZ_CHECK(rep.sif == (lay.kind == livekit::FrameKind::sif));
    return;
  }
  FS_FUZZ_CHECK(rep.key_index == lay.key_index);
  if (!ring.has_key(lay.key_index)) {
    FS_FUZZ_CHECK(!d && d.error() == Errc::missing_key);
    return;
  }
  if (lay.problem != Errc::ok) {
    FS_FUZZ_CHECK(!d && d.error() == lay.problem);
    return;
  }
  FS_FUZZ_CHECK(rep.clear_bytes == lay.clear_bytes);
  if (d) {
    FS_FUZZ_CHECK(d->size() == *lay.plaintext_bytes);
  } else {
    FS_FUZZ_CHECK(d.error() == Errc::auth_failed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::uint8_t b0 = data[0], b1 = data[1];
  const BytesIn frame(data + 3, size - 3);
  with_cipher(b1, [&]<class C>() { run<C>(frame, b0); });
  return 0;
}
