// Fuzz target: sframe::FrameCryptor::decrypt on attacker-controlled bytes (RFC 9605).
//
// Input:
//   byte 0  bits 0-1 suite (0 ChaCha20-Poly1305 under private id 0xF001, 1 suite 5 on libsodium,
//           2 suite 4 on OpenSSL, 3 suite 1 (AES-CTR + HMAC) on OpenSSL; a suite this machine or
//           build lacks falls back to 0), bits 2-3 ratchet bits R (0, 2, 4, 8), bits 4-5 replay
//           window (0, 4, 128, 1), bit 6 decrypt in place, bit 7 mode B
//   byte 1  bits 0-1 output size (0 ample, 1 the frame's size, 2 the frame's size - p, 3 p bytes),
//           bits 2-4 the mutation of mode B, bits 5-7 sender ratchet steps of mode B
//   byte 2  p
//   byte 3  bits 0-3 metadata length, bits 4-5 sending key choice
//   metadata; mode B: mutation position (2 bytes) and value; then the frame (A) or plaintext (B).
// Mode A decrypts the bytes under a receiver holding three decrypt keys. Mode B encrypts the
// plaintext with a sender that holds the same keys (ratcheted as the input says), mutates it and
// decrypts it.
// Checks: no read or write outside the input and `out`; a failure leaves in `out` only what was
// there before or zeros; a success lies in `out` and is |frame| - header - tag bytes; in mode B a
// success is exactly the plaintext, the unmutated frame decrypts exactly when the receiver's
// ratchet window reaches the sender's step (else missing_key or auth_failed, as the KID says),
// and decrypting it again is Errc::replay when the replay window is on.
#include <frameseal/frameseal.hpp>
#if defined(FRAMESEAL_FUZZ_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#  include <frameseal/sframe/openssl_suites.hpp>
#endif

#include <optional>
#include <string>

#include "fuzz_common.hpp"

namespace {

using namespace fsfuzz;
using namespace frameseal;
using ChaChaSuite = sframe::Suite<0xF001, sodium::ChaCha20Poly1305, sframe::Sha256>;

struct Config {
  unsigned ratchet_bits;
  std::size_t replay_window;
  bool in_place, mode_b;
  std::uint8_t out_mode, mutation, steps, p, key_choice;
};

std::uint64_t kid_of(unsigned r, std::uint64_t generation) {
  return generation << r;
}

template <class S>
sframe::FrameCryptor<S> make(const Config& c, sframe::KeyUsage usage) {
  sframe::FrameCryptorOptions o;
  o.ratchet_bits = c.ratchet_bits;
  o.replay_window = c.replay_window;
  o.max_metadata_bytes = 16;
  o.counter_start = sframe::CounterStart::zero;
  auto fc = sframe::FrameCryptor<S>::create(o);
  FS_FUZZ_CHECK(fc.has_value());
  static constexpr std::uint64_t generations[3] = {0, 1, 300};
  for (std::uint64_t g : generations) {
    const std::string base = "sframe fuzz base key " + std::to_string(g);
    FS_FUZZ_CHECK(fc->add_key(kid_of(c.ratchet_bits, g), as_bytes(base), usage) == Errc::ok);
  }
  return std::move(*fc);
}

template <class S>
void run(Input& in, const Config& c) {
  using Cryptor = sframe::FrameCryptor<S>;
  Cryptor rx = make<S>(c, sframe::KeyUsage::decrypt);

  Bytes frame, plain;
  Bytes metadata_tx;
  Bytes metadata_rx;
  {
    const BytesIn m = in.bytes(c.key_choice & 15);
    metadata_tx.assign(m.begin(), m.end());
    metadata_rx = metadata_tx;
  }
  std::optional<Errc> expect_unmutated;  // mode B: what the unmutated frame gives (ok = decrypts)
  Bytes unmutated;
  if (!c.mode_b) {
    const BytesIn f = in.rest();
    frame.assign(f.begin(), f.end());
  } else {
    const std::size_t pos = in.u16();
    const std::uint8_t value = in.byte();
    const BytesIn pl = in.rest();
    plain.assign(pl.begin(), pl.end());
    Cryptor tx = make<S>(c, sframe::KeyUsage::encrypt);
    static constexpr std::uint64_t generations[4] = {0, 1, 300, 0};
    std::uint64_t kid = kid_of(c.ratchet_bits, generations[(c.key_choice >> 4) & 3]);
    FS_FUZZ_CHECK(tx.set_encrypt_key(kid) == Errc::ok);
    std::size_t steps = c.ratchet_bits ? c.steps : 0;
    for (std::size_t i = 0; i < steps; ++i) {
      auto next = tx.ratchet(kid);
      FS_FUZZ_CHECK(next.has_value());
      kid = *next;
      FS_FUZZ_CHECK(tx.set_encrypt_key(kid) == Errc::ok);
    }
    const std::size_t expect_size = tx.encrypted_size(plain.size());
    Bytes enc(Cryptor::max_encrypted_size(plain.size()));
    auto e = tx.encrypt(plain, enc, metadata_tx);
    FS_FUZZ_CHECK(e.has_value() && e->size() == expect_size && expect_size <= enc.size());
    enc.resize(e->size());
    unmutated = enc;
    // What the receiver must do with it: its window (clamped to 2^R - 1 KIDs) reaches step d.
    const std::uint64_t span = c.ratchet_bits ? (std::uint64_t{1} << c.ratchet_bits) : 0;
    const std::uint64_t d = c.ratchet_bits ? steps % span : 0;
    if (steps == 0)
      expect_unmutated = Errc::ok;
    else if (d == 0)
      expect_unmutated = Errc::auth_failed;  // the KID wrapped round to the receiver's own step
    else if (d <= rx.ratchet_window())
      expect_unmutated = steps == d ? Errc::ok : Errc::auth_failed;
    else
      expect_unmutated = Errc::missing_key;
    frame = enc;
    if (!frame.empty()) {
      const std::size_t at = pos % frame.size();
      switch (c.mutation) {
        case 1:
          frame[at] ^= static_cast<std::uint8_t>(value | 1);
          break;
        case 2:
          frame.resize(at);
          break;
        case 3:
          frame.push_back(value);
          break;
        case 4:
          frame.insert(frame.begin() + static_cast<std::ptrdiff_t>(at), value);
          break;
        case 5:
          frame.erase(frame.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        case 6:
          frame[0] = value;
          break;  // another config byte: another KID / CTR layout
        case 7:
          if (!metadata_rx.empty())
            metadata_rx[at % metadata_rx.size()] ^= static_cast<std::uint8_t>(value | 1);
          break;
        default:
          break;
      }
    }
  }

  std::size_t out_size = frame.size() + 32;
  switch (c.out_mode) {
    case 1:
      out_size = frame.size();
      break;
    case 2:
      out_size = frame.size() > c.p ? frame.size() - c.p : 0;
      break;
    case 3:
      out_size = c.p;
      break;
    default:
      break;
  }
  sframe::DecryptReport rep;
  Result<BytesOut> r = Errc::internal_error;
  {
    Guarded buf(c.in_place ? std::max(frame.size(), out_size) : out_size);
    Bytes exact(frame);
    if (c.in_place && !frame.empty()) std::memcpy(buf.data(), frame.data(), frame.size());
    const BytesIn src = c.in_place ? BytesIn(buf.data(), frame.size()) : BytesIn(exact);
    const BytesOut out(buf.data(), out_size);
    const Bytes before(out.begin(), out.end());
    r = rx.decrypt(src, out, metadata_rx, &rep);
    FS_FUZZ_CHECK(buf.guard_intact());
    if (c.in_place)
      for (std::size_t i = out_size; i < frame.size(); ++i)
        FS_FUZZ_CHECK(buf.data()[i] == frame[i]);  // past `out`
    if (!c.in_place) FS_FUZZ_CHECK(exact == frame);
    if (!r) {
      FS_FUZZ_CHECK(only_old_or_zero(out, before));
    } else {
      FS_FUZZ_CHECK(within(*r, out) && (r->empty() || r->data() == out.data()));
      FS_FUZZ_CHECK(rep.header_bytes >= 1 && r->size() + rep.header_bytes + S::tag_bytes == frame.size());
      if (c.mode_b) FS_FUZZ_CHECK(equal(*r, plain));
    }
  }
  if (!c.mode_b) return;
  // The unmutated frame on a fresh receiver, twice.
  Cryptor rx2 = make<S>(c, sframe::KeyUsage::decrypt);
  Bytes out(unmutated.size());
  auto d = rx2.decrypt(unmutated, out, metadata_tx);
  if (*expect_unmutated == Errc::ok) {
    FS_FUZZ_CHECK(d.has_value() && equal(*d, plain));
    auto again = rx2.decrypt(unmutated, out, metadata_tx);
    if (c.replay_window != 0)
      FS_FUZZ_CHECK(!again && again.error() == Errc::replay);
    else
      FS_FUZZ_CHECK(again.has_value() && equal(*again, plain));
  } else {
    FS_FUZZ_CHECK(!d && d.error() == *expect_unmutated);
  }
}

template <class F>
void with_suite(std::uint8_t b, F&& f) {
  switch (b & 3) {
    case 1:
      if (sframe::Suite5::available()) return f.template operator()<sframe::Suite5>();
      break;
#if defined(FRAMESEAL_FUZZ_OPENSSL)
    case 2:
      if (sframe::Suite4::available()) return f.template operator()<sframe::Suite4>();
      break;
    case 3:
      if (sframe::Suite1::available()) return f.template operator()<sframe::Suite1>();
      break;
#endif
    default:
      break;
  }
  f.template operator()<ChaChaSuite>();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t b0 = in.byte(), b1 = in.byte(), p = in.byte(), b3 = in.byte();
  static constexpr unsigned bits[4] = {0, 2, 4, 8};
  static constexpr std::size_t windows[4] = {0, 4, 128, 1};
  Config c;
  c.ratchet_bits = bits[(b0 >> 2) & 3];
  c.replay_window = windows[(b0 >> 4) & 3];
  c.in_place = (b0 & 0x40) != 0;
  c.mode_b = (b0 & 0x80) != 0;
  c.out_mode = b1 & 3;
  c.mutation = (b1 >> 2) & 7;
  c.steps = static_cast<std::uint8_t>(b1 >> 5);
  c.p = p;
  c.key_choice = b3;
  with_suite(b0, [&]<class S>() { run<S>(in, c); });
  return 0;
}
