// The consumer check: what a project that depends on frameseal compiles first. Encrypts one VP8
// key frame in LiveKit's format and decrypts it, with libsodium's ChaCha20-Poly1305 and, when the
// build links the OpenSSL backend (FRAMESEAL_CONSUMER_OPENSSL), with AES-128-GCM. Prints
// "<backend> <cipher>: ok" per cipher (the backend says whether OpenSSL or BoringSSL was linked);
// exit 0 and "roundtrip ok" when the bytes come back.
#include <frameseal/frameseal.hpp>
#if defined(FRAMESEAL_CONSUMER_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#endif

#include <cstdio>
#include <vector>

namespace {

template <class C>
bool roundtrip(const char* name) {
  using namespace frameseal;
  auto ring = KeyRing<C>::create();
  if (!ring || ring->set_key(0, as_bytes("consumer key")) != Errc::ok) return false;
  livekit::FrameCryptor<C> tx(*ring), rx(*ring);
  std::vector<std::uint8_t> frame(200);
  for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<std::uint8_t>(i * 7);
  frame[0] = 0x10;  // VP8 key frame tag
  frame[3] = 0x9d, frame[4] = 0x01, frame[5] = 0x2a;
  const FrameInfo info{MediaKind::video, Codec::vp8, true, 1, 2};
  std::vector<std::uint8_t> wire(decltype(tx)::max_encrypted_size(frame.size()));
  auto enc = tx.encrypt(info, frame, wire);
  if (!enc || enc->size() != frame.size() + decltype(tx)::overhead) return false;
  std::vector<std::uint8_t> back(enc->size());
  auto dec = rx.decrypt(info, *enc, back);
  const bool ok = dec && std::vector<std::uint8_t>(dec->begin(), dec->end()) == frame;
  std::printf("%.*s %s: %s\n", static_cast<int>(C::backend.size()), C::backend.data(), name,
              ok ? "ok" : "FAILED");
  return ok;
}

}  // namespace

int main() {
  bool ok = roundtrip<frameseal::sodium::ChaCha20Poly1305>("chacha20poly1305");
#if defined(FRAMESEAL_CONSUMER_OPENSSL)
  ok = roundtrip<frameseal::openssl::Aes128Gcm>("aes128gcm") && ok;
#endif
  std::printf("roundtrip %s (frameseal %s)\n", ok ? "ok" : "FAILED", frameseal::version_string);
  return ok ? 0 : 1;
}
