// Fuzz target: livekit::FrameCryptor::decrypt on attacker-controlled bytes.
//
// Input: three configuration bytes, then (mode A) the received frame, or (mode B) a plaintext that
// is encrypted under the fixed key ring first and then mutated as the input says.
//   byte 0  bits 0-2 codec (fsfuzz::frame_info), bits 3-4 key-frame flag, bit 5 strip the LKTS
//           packet trailer, bit 6 the room has a SIF trailer, bit 7 decrypt in place
//   byte 1  bits 0-1 cipher (fsfuzz::with_cipher), bits 2-3 output size (0 ample, 1 the frame's
//           size, 2 the frame's size - p, 3 p bytes), bit 4 mode B, bits 5-7 the mutation of mode B
//   byte 2  p
//   mode B: sending key index choice, mutation position (2 bytes), mutation value, then plaintext.
// Checks: no read or write outside the input and `out` (ASan, guard bytes); the result lies in
// `out`; a failure leaves in `out` only what was there before or zeros (no plaintext, no partial
// decryption); in mode B, a success yields exactly the plaintext the unmutated frame decrypts to
// (or the empty pass-through of an empty frame).
#include "fuzz_livekit_frame.hpp"

namespace {

using namespace fsfuzz;

template <class C>
void run(Input& in, std::uint8_t b0, std::uint8_t b1, std::uint8_t p) {
  const FrameInfo info = frame_info(b0);
  livekit::FrameCryptorOptions options;
  options.packet_trailer = (b0 & 0x20) != 0;
  if (b0 & 0x40) options.sif_trailer.assign(sif_trailer.begin(), sif_trailer.end());
  const bool in_place = (b0 & 0x80) != 0;
  const bool mode_b = (b1 & 0x10) != 0;

  KeyRing<C> ring = fixed_ring<C>();
  livekit::FrameCryptor<C> rx(ring, options);

  Bytes frame;
  std::optional<Bytes> reference;  // what the unmutated frame decrypts to (mode B)
  if (!mode_b) {
    const BytesIn f = in.rest();
    frame.assign(f.begin(), f.end());
  } else {
    static constexpr std::uint8_t kids[4] = {0, 3, 5, 0};
    const std::uint8_t kid = kids[in.byte() & 3];
    const std::size_t pos = in.u16();
    const std::uint8_t value = in.byte();
    const std::uint8_t mutation = static_cast<std::uint8_t>(b1 >> 5);
    const BytesIn plain = in.rest();
    FS_FUZZ_CHECK(ring.set_current_index(kid) == Errc::ok);
    livekit::FrameCryptor<C> tx(ring, {}, livekit::UniqueIv(0x0a0b0c0d, 7));
    Bytes enc(livekit::FrameCryptor<C>::max_encrypted_size(plain.size()));
    auto e = tx.encrypt(info, plain, enc);
    if (!e) return;  // unsupported codec, too short for its clear header: nothing to decrypt
    enc.resize(e->size());
    {
      livekit::FrameCryptor<C> ref_rx(ring, options);
      Bytes out(enc.size());
      auto d = ref_rx.decrypt(info, enc, out);
      if (d) reference = Bytes(d->begin(), d->end());
    }
    frame = enc;
    if (!frame.empty()) {
      const std::size_t at = pos % frame.size();
      switch (mutation) {
        case 1:
          frame[at] ^= static_cast<std::uint8_t>(value | 1);
          break;
        case 2:
          frame.resize(at);
          break;
        case 3:
          frame.push_back(value);
          frame.push_back(static_cast<std::uint8_t>(value ^ 0x5a));
          break;
        case 4:
          frame.back() = value;
          break;
        case 5:
          if (frame.size() >= 2) frame[frame.size() - 2] = value;
          break;
        case 6:
          frame.insert(frame.begin() + static_cast<std::ptrdiff_t>(at), value);
          break;
        case 7:
          frame.erase(frame.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        default:
          break;
      }
    }
  }

  std::size_t out_size = frame.size() + 64;
  switch ((b1 >> 2) & 3) {
    case 1:
      out_size = frame.size();
      break;
    case 2:
      out_size = frame.size() > p ? frame.size() - p : 0;
      break;
    case 3:
      out_size = p;
      break;
    default:
      break;
  }

  livekit::DecryptReport rep;
  Result<BytesOut> r = Errc::internal_error;
  Bytes before;
  BytesOut out;
  if (in_place) {
    Guarded buf(std::max(frame.size(), out_size));
    if (!frame.empty()) std::memcpy(buf.data(), frame.data(), frame.size());
    out = BytesOut(buf.data(), out_size);
    before.assign(out.begin(), out.end());
    r = rx.decrypt(info, BytesIn(buf.data(), frame.size()), out, &rep);
    FS_FUZZ_CHECK(buf.guard_intact());
    for (std::size_t i = out_size; i < frame.size(); ++i)
      FS_FUZZ_CHECK(buf.data()[i] == frame[i]);  // past `out`
    if (!r) FS_FUZZ_CHECK(only_old_or_zero(out, before));
    if (r) {
      FS_FUZZ_CHECK(within(*r, out));
      FS_FUZZ_CHECK(r->empty() || r->data() == out.data());
      if (reference && !rep.passthrough) FS_FUZZ_CHECK(equal(*r, *reference));
      FS_FUZZ_CHECK(r->size() <= frame.size());
    }
  } else {
    Guarded buf(out_size);
    out = buf.span();
    before.assign(out.begin(), out.end());
    Bytes exact(frame);  // exactly the frame's size: ASan sees any read past it
    r = rx.decrypt(info, exact, out, &rep);
    FS_FUZZ_CHECK(buf.guard_intact());
    FS_FUZZ_CHECK(exact == frame);  // the input is never written
    if (!r) FS_FUZZ_CHECK(only_old_or_zero(out, before));
    if (r) {
      FS_FUZZ_CHECK(within(*r, out));
      FS_FUZZ_CHECK(r->empty() || r->data() == out.data());
      if (reference && !rep.passthrough) FS_FUZZ_CHECK(equal(*r, *reference));
      FS_FUZZ_CHECK(r->size() <= frame.size());
    }
  }
  if (r && mode_b && !rep.passthrough) FS_FUZZ_CHECK(reference.has_value());
  if (r && rep.passthrough) FS_FUZZ_CHECK(r->empty());
  if (!r) FS_FUZZ_CHECK(r.error() != Errc::ok);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t b0 = in.byte(), b1 = in.byte(), p = in.byte();
  with_cipher(b1, [&]<class C>() { run<C>(in, b0, b1, p); });
  return 0;
}
