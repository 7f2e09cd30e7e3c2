// `frameseal selfcheck`: known answers of every backend and KDF on this machine, and one LiveKit
// frame each way, in a second. Prints a table and exits 1 on any mismatch. Known answers:
// GCM spec (McGrew & Viega) test cases 3 and 15, RFC 8439 section 2.8.2, RFC 5869 A.1, and the
// livekit-client 2.23.0 vectors hkdf-opus-100 and pbkdf2-opus-100 (tests/vectors/livekit/).
#include "command.hpp"
#include "cli_common.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace cli {
namespace {

class Selfcheck final : public Command {
 public:
  Selfcheck() : Command("selfcheck", "known answers of every cipher and KDF") {}
  int run(int argc, char** argv) override;
};

namespace selfcheck_data {
inline constexpr const char* gcm_p =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5"
    "aa0de657"
    "ba637b391aafd255";
inline constexpr const char* gcm_iv = "cafebabefacedbaddecaf888";
inline constexpr const char* gcm128_k = "feffe9928665731c6d6a8f9467308308";
inline constexpr const char* gcm128_ct =
    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b39"
    "6a0aac97"
    "3d58e091473f59854d5c2af327cd64a62cf35abd2ba6fab4";
inline constexpr const char* gcm256_k = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
inline constexpr const char* gcm256_ct =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e63"
    "93ba7a0a"
    "bcc9f662898015adb094dac5d93471bdec1a502270e3cc6c";
inline constexpr const char* chacha_k = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
inline constexpr const char* chacha_iv = "070000004041424344454647";
inline constexpr const char* chacha_aad = "50515253c0c1c2c3c4c5c6c7";
inline constexpr const char* chacha_p =
    "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a204966204920636f756c64"
    "206f6666"
    "657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73637265656e20776f756c6420"
    "62652069"
    "742e";
inline constexpr const char* chacha_ct =
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a"
    "9e060b29"
    "05d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d265"
    "86cec64b"
    "61161ae10b594f09e26a7e902ecbd0600691";
inline constexpr const char* lk_material = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
inline constexpr const char* lk_plain =
    "78ad1ae0462a761d693a889d5635bfbfebb58df8ae3b62da8e180fe3df53f878d8c83894e88043691e40090002070f714ebe4ada"
    "c05eb714"
    "8b6a398a62c99dd1f651597d60eb5df0d088c01c571e6e8074d8ef74dbc0615db6021f05de8878286989eee5";
inline constexpr const char* lk_hkdf_frame =
    "7804f8c51eec34c4e746351e8256dafb7f51c7c96ddff6e485ac04c6f7cdaa92962220294f16885af4ef9cbefdabf9b8caa3b5f4"
    "e20dc14e"
    "22a45c69f6289fc39df47bd67fb78773ea7f82b1411456514e2f31a29155489967989db7e02249cc02cea3fccbcfda4600036bd7"
    "24b940a2"
    "d7bd25b6112233445e6f70815e6f70810c00";
inline constexpr const char* lk_pbkdf2_frame =
    "785bd0aba053a736d832724bfa87c63daf93f4c91e8b4a59afe935be2985f5f6968ed3f9866564567e0793f6ebc2db0ef77430b0"
    "ee22b116"
    "3c3dc2dbfaa6fb926fe58ad6deade3bd55d924e66b89b4fa6227a79b286370e6f0bf609e762fc93192c8b8cd6adc98e73b67c978"
    "acc5ce3f"
    "e2dfc90a112233445e6f70815e6f70810c00";
}  // namespace selfcheck_data

template <class C>
bool aead_known_answer(const char* key, const char* iv, const char* aad, const char* pt, const char* ct) {
  Bytes k = *parse_hex(key), n = *parse_hex(iv), a = *parse_hex(aad), p = *parse_hex(pt),
        want = *parse_hex(ct);
  auto c = C::create(std::span<const std::uint8_t, C::key_bytes>(k.data(), C::key_bytes));
  if (!c) return false;
  std::span<const std::uint8_t, C::nonce_bytes> nonce(n.data(), C::nonce_bytes);
  Bytes out(p.size() + C::tag_bytes), back(p.size());
  auto s = c->seal(out, p, a, nonce);
  if (!s || Bytes(s->begin(), s->end()) != want) return false;
  auto o = c->open(back, want, a, nonce);
  if (!o || back != p) return false;
  want[0] ^= 1;  // a tampered ciphertext must not open
  return !c->open(back, want, a, nonce);
}

inline bool livekit_known_answer(fs::KdfAlgorithm kdf, const char* frame_hex) {
  using C = fs::openssl::Aes128Gcm;
  namespace d = selfcheck_data;
  auto ring = fs::KeyRing<C, fs::LivekitKdf>::create({}, fs::openssl::livekit_kdf(kdf));
  if (!ring || ring->set_key(0, *parse_hex(d::lk_material)) != fs::Errc::ok) return false;
  fs::FrameInfo info{fs::MediaKind::audio, fs::Codec::opus, std::nullopt, 287454020u, 1584361601u};
  fs::livekit::FrameCryptor<C, fs::livekit::LivekitIv> enc(*ring, {}, fs::livekit::LivekitIv(0));
  Bytes plain = *parse_hex(d::lk_plain), want = *parse_hex(frame_hex);
  Bytes out(plain.size() + 64), back(want.size());
  auto e = enc.encrypt(info, plain, out);
  if (!e || Bytes(e->begin(), e->end()) != want) return false;
  fs::livekit::FrameCryptor<C> dec(*ring);
  auto r = dec.decrypt(info, want, back);
  return r && Bytes(r->begin(), r->end()) == plain;
}

int Selfcheck::run(int argc, char**) {
  if (argc != 0) die("usage: frameseal selfcheck");
  namespace d = selfcheck_data;
  int failed = 0, passed = 0;
  auto row = [&](const char* what, const char* backend, bool available, auto&& check) {
    if (!available) {
      std::printf("  %-42s %-10s unavailable on this CPU\n", what, backend);
      return;
    }
    auto t0 = std::chrono::steady_clock::now();
    bool ok = check();
    auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    std::printf("  %-42s %-10s %-4s (%lld us)\n", what, backend, ok ? "ok" : "FAIL",
                static_cast<long long>(us));
    (ok ? passed : failed)++;
  };
  std::printf("frameseal %s self-check\n", fs::version_string);
  row("AES-128-GCM (GCM spec case 3)", "openssl", true, [&] {
    return aead_known_answer<fs::openssl::Aes128Gcm>(d::gcm128_k, d::gcm_iv, "", d::gcm_p, d::gcm128_ct);
  });
  row("AES-256-GCM (GCM spec case 15)", "openssl", true, [&] {
    return aead_known_answer<fs::openssl::Aes256Gcm>(d::gcm256_k, d::gcm_iv, "", d::gcm_p, d::gcm256_ct);
  });
  row("AES-256-GCM (GCM spec case 15)", "libsodium", fs::sodium::Aes256Gcm::available(), [&] {
    return aead_known_answer<fs::sodium::Aes256Gcm>(d::gcm256_k, d::gcm_iv, "", d::gcm_p, d::gcm256_ct);
  });
  row("ChaCha20-Poly1305 (RFC 8439 2.8.2)", "libsodium", true, [&] {
    return aead_known_answer<fs::sodium::ChaCha20Poly1305>(d::chacha_k, d::chacha_iv, d::chacha_aad,
                                                           d::chacha_p, d::chacha_ct);
  });
  row("HKDF-SHA256 (RFC 5869 A.1)", "libsodium", true, [&] {
    Bytes okm(42);
    Bytes ikm(22, 0x0b), salt = *parse_hex("000102030405060708090a0b0c"),
                         info = *parse_hex("f0f1f2f3f4f5f6f7f8f9");
    return fs::hkdf_sha256(ikm, salt, info, okm) == fs::Errc::ok &&
           to_hex(okm) ==
               "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
  });
  row("LiveKit frame, HKDF (hkdf-opus-100)", "openssl", true,
      [&] { return livekit_known_answer(fs::KdfAlgorithm::hkdf, d::lk_hkdf_frame); });
  row("LiveKit frame, PBKDF2 (pbkdf2-opus-100)", "openssl", true,
      [&] { return livekit_known_answer(fs::KdfAlgorithm::pbkdf2, d::lk_pbkdf2_frame); });
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

FRAMESEAL_CLI_COMMAND("selfcheck", Selfcheck);

}  // namespace

}  // namespace cli
