// Fuzz target: livekit::FrameCryptor::encrypt on any plaintext, then decrypt, in place and out of
// place, with exact and too small buffers.
//
// Input: byte 0 codec and key-frame flag (fsfuzz::frame_info), byte 1 bits 0-1 cipher, bits 2-3
// sending key index (0, 3, 5, 0), byte 2 how much too small the "too small" buffer is; then the
// plaintext frame.
// Checks:
//   - encrypt out of place into max_encrypted_size(n) and in place into a buffer of exactly the
//     produced size give the same bytes (two cryptors with the same IV sequence); guard bytes intact;
//   - the encrypted frame is: the clear header (the plaintext's first n bytes, start codes
//     normalised for H.264/H.265) || body, ending in IV || 0x0C || KID; audio/VP8/VP9 exactly
//     n + overhead bytes; H.264/H.265 bodies contain no 00 00 00/01/02;
//   - one byte too small (or less): buffer_too_small and no plaintext left in `out`;
//   - the receiver computes the same clear header from the encrypted frame unless LiveKit's format
//     itself is ambiguous there (a NAL-unit-looking sequence in a VP8-rule frame's ciphertext, or a
//     slice header that an escaped body extends into a start code; livekit-client behaves the same);
//     when it does, decrypt (in place and out of place) returns the normalised plaintext exactly,
//     and when it does not, decrypt fails without leaving plaintext in `out`.
#include "fuzz_livekit_frame.hpp"

namespace {

using namespace fsfuzz;

// The plaintext as the receiver gets it back: the clear header with its start codes normalised.
Bytes expected_plaintext(const livekit::ClearHeader& ch, BytesIn plain) {
  if (!ch.nalu) return Bytes(plain.begin(), plain.end());
  Bytes e(ch.out_bytes + plain.size() - ch.in_bytes);
  auto hn = livekit::normalize_start_codes(plain.first(ch.in_bytes), BytesOut(e.data(), ch.out_bytes));
  FS_FUZZ_CHECK(hn.has_value() && hn->size() == ch.out_bytes);
  if (plain.size() > ch.in_bytes)
    std::memcpy(e.data() + ch.out_bytes, plain.data() + ch.in_bytes, plain.size() - ch.in_bytes);
  return e;
}

bool key_frame_of(const FrameInfo& info, BytesIn frame) {
  if (info.key_frame) return *info.key_frame;
  return info.codec == Codec::vp8 && vp8_is_key_frame(frame);
}

template <class C>
void run(Input& in, std::uint8_t b0, std::uint8_t b1, std::uint8_t shortfall) {
  using Cryptor = livekit::FrameCryptor<C>;
  const FrameInfo info = frame_info(b0);
  static constexpr std::uint8_t kids[4] = {0, 3, 5, 0};
  const std::uint8_t kid = kids[(b1 >> 2) & 3];
  const BytesIn plain_in = in.rest();
  const Bytes plain(plain_in.begin(), plain_in.end());

  KeyRing<C> ring = fixed_ring<C>();
  FS_FUZZ_CHECK(ring.set_current_index(kid) == Errc::ok);
  // Three equal IV policies on purpose (the seeded constructor): the three must produce identical bytes.
  auto iv = [] { return livekit::UniqueIv(0x01020304, 0x00000000fffffff0ull); };
  Cryptor tx_a(ring, {}, iv()), tx_b(ring, {}, iv()), tx_c(ring, {}, iv());

  // Out of place, room for anything.
  Guarded big(Cryptor::max_encrypted_size(plain.size()));
  auto ea = tx_a.encrypt(info, plain, big.span());
  FS_FUZZ_CHECK(big.guard_intact());
  auto ch = livekit::sender_clear_header(info, key_frame_of(info, plain), plain);
  if (!ea) {
    FS_FUZZ_CHECK(only_old_or_zero(big.span(), Bytes(big.size(), 0xCC)));
    if (plain.empty()) FS_FUZZ_CHECK(false);  // empty frames always pass
    // The only reasons a frame cannot be sent with a key present and room enough.
    FS_FUZZ_CHECK(ea.error() == Errc::unsupported_codec || ea.error() == Errc::malformed_frame);
    FS_FUZZ_CHECK(!ch || ch.error() == ea.error());
    return;
  }
  FS_FUZZ_CHECK(within(*ea, big.span()));
  const Bytes enc(ea->begin(), ea->end());
  if (plain.empty()) {
    FS_FUZZ_CHECK(enc.empty());
    return;
  }
  FS_FUZZ_CHECK(ch.has_value());
  const Bytes expected = expected_plaintext(*ch, plain);

  // Layout.
  FS_FUZZ_CHECK(enc.size() >= ch->out_bytes + Cryptor::overhead);
  FS_FUZZ_CHECK(std::equal(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(ch->out_bytes),
                           enc.begin()));
  FS_FUZZ_CHECK(enc.back() == kid && enc[enc.size() - 2] == livekit::iv_length_byte);
  if (!ch->nalu) {
    FS_FUZZ_CHECK(enc.size() == plain.size() + Cryptor::overhead);
  } else {
    const BytesIn body = BytesIn(enc).subspan(ch->out_bytes);
    Bytes un(body.size());
    auto u = livekit::unescape_rbsp(body, un);
    FS_FUZZ_CHECK(u.has_value() && u->size() == plain.size() - ch->in_bytes + Cryptor::overhead);
    FS_FUZZ_CHECK(livekit::escaped_size(*u) == body.size());
    for (std::size_t i = 0; i + 2 < body.size(); ++i)
      FS_FUZZ_CHECK(!(body[i] == 0 && body[i + 1] == 0 && body[i + 2] <= 2));
    FS_FUZZ_CHECK(enc.size() <= Cryptor::max_encrypted_size(plain.size()));
  }

  // In place into exactly the size produced: the same bytes.
  {
    Guarded buf(std::max(enc.size(), plain.size()));
    std::memcpy(buf.data(), plain.data(), plain.size());
    auto eb = tx_b.encrypt(info, BytesIn(buf.data(), plain.size()), BytesOut(buf.data(), enc.size()));
    FS_FUZZ_CHECK(buf.guard_intact());
    FS_FUZZ_CHECK(eb.has_value() && equal(*eb, enc));
  }
  // Too small, out of place: buffer_too_small, and whatever was written holds no plaintext.
  {
    const std::size_t need = enc.size();
    const std::size_t small = need - 1 - std::min<std::size_t>(shortfall, need - 1);
    Guarded buf(small);
    auto ec = tx_c.encrypt(info, plain, buf.span());
    FS_FUZZ_CHECK(buf.guard_intact());
    FS_FUZZ_CHECK(!ec && ec.error() == Errc::buffer_too_small);
    FS_FUZZ_CHECK(only_old_or_zero(buf.span(), Bytes(small, 0xCC)));
  }

  // The receiver's view of the clear header.
  auto rch = livekit::receiver_clear_header(info, key_frame_of(info, enc), enc);
  const bool same_header = rch && rch->in_bytes == ch->out_bytes && rch->nalu == ch->nalu;
  if (!same_header) {
    // Only the codecs whose header is found in the bytes can be ambiguous.
    FS_FUZZ_CHECK(info.kind == MediaKind::video && (info.codec == Codec::h264 || info.codec == Codec::h265));
  }
  Cryptor rx(ring);
  {
    Guarded out(enc.size());
    auto d = rx.decrypt(info, enc, out.span());
    FS_FUZZ_CHECK(out.guard_intact());
    if (same_header) {
      FS_FUZZ_CHECK(d.has_value() && equal(*d, expected));
    } else if (!d) {
      FS_FUZZ_CHECK(only_old_or_zero(out.span(), Bytes(enc.size(), 0xCC)));
    }
  }
  {
    Guarded buf(enc.size());
    std::memcpy(buf.data(), enc.data(), enc.size());
    auto d = rx.decrypt(info, BytesIn(buf.data(), enc.size()), buf.span());
    FS_FUZZ_CHECK(buf.guard_intact());
    if (same_header) {
      FS_FUZZ_CHECK(d.has_value() && equal(*d, expected) && d->data() == buf.data());
    } else if (!d) {
      FS_FUZZ_CHECK(only_old_or_zero(buf.span(), enc));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t b0 = in.byte(), b1 = in.byte(), shortfall = in.byte();
  with_cipher(b1, [&]<class C>() { run<C>(in, b0, b1, shortfall); });
  return 0;
}
