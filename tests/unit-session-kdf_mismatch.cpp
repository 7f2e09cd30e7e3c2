// The opt-in KDF-mismatch report (KeyRingOptions / KeyProviderOptions::detect_kdf_mismatch): a
// receiver on HKDF and a sender on PBKDF2 (and the reverse) get Errc::kdf_mismatch naming the
// sender's KDF, in the error, the counters and the callback; with adopt_sender_kdf the receiver
// re-derives off the frame path and decrypts. The same with the real livekit-client sender is in
// tests/interop/livekit-js (kdf-mismatch cases).
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"

using namespace frameseal;
using fstest::Bytes;

namespace {

using C = sodium::ChaCha20Poly1305;
using Manager = session::E2eeManager<C>;

LivekitKdf fast_kdf() {
  LivekitKdf k;
  k.pbkdf2_iterations = 1000;  // both ends alike; the tests are about which algorithm, not its cost
  return k;
}

Manager make(KdfAlgorithm kdf, bool detect, bool adopt = false) {
  session::E2eeOptions o;
  o.encryption_type = session::EncryptionType::custom;
  o.key_provider_options.kdf = kdf;
  o.key_provider_options.detect_kdf_mismatch = detect;
  o.key_provider_options.adopt_sender_kdf = adopt;
  return Manager::create(std::move(o), fast_kdf()).value();
}

const FrameInfo audio{MediaKind::audio, Codec::opus, std::nullopt, 1, 2};
const Bytes key(32, 0x42);

Bytes frame_from(Manager& tx) {
  REQUIRE(tx.key_provider().set_key("alice", key) == Errc::ok);
  auto a = tx.frame_cryptor("alice").value();
  const Bytes f(120, 0x33);
  Bytes out(decltype(a)::max_encrypted_size(f.size()));
  auto e = a.encrypt(audio, f, out);
  REQUIRE(e.has_value());
  return Bytes(e->begin(), e->end());
}

}  // namespace

TEST_CASE(
    "kdf mismatch: HKDF receiver, PBKDF2 sender, and the reverse, named in error, counters and callback") {
  for (const auto& pair :
       {std::pair{KdfAlgorithm::hkdf, KdfAlgorithm::pbkdf2}, {KdfAlgorithm::pbkdf2, KdfAlgorithm::hkdf}}) {
    const KdfAlgorithm rx_kdf = pair.first, tx_kdf = pair.second;
    CAPTURE(static_cast<int>(rx_kdf));
    auto tx = make(tx_kdf, false);
    const Bytes enc = frame_from(tx);
    auto rx = make(rx_kdf, true);
    std::mutex m;
    std::vector<std::pair<std::string, KdfAlgorithm>> reports;
    rx.on_kdf_mismatch([&](const std::string& who, KdfAlgorithm k) {
      std::lock_guard<std::mutex> lock(m);
      reports.emplace_back(who, k);
    });
    REQUIRE(rx.key_provider().set_key("alice", key) == Errc::ok);
    auto a = rx.frame_cryptor("alice").value();
    Bytes out(enc.size(), 0xCC);
    CHECK(a.decrypt(audio, enc, out).error() == Errc::kdf_mismatch);
    CHECK(std::all_of(out.begin(), out.end(),
                      [](std::uint8_t b) { return b == 0xCC || b == 0; }));  // no plaintext left
    CHECK(a.counters().kdf_mismatch == 1);
    CHECK(a.counters().auth_failures == 0);
    CHECK(a.counters().last_error == Errc::kdf_mismatch);
    CHECK(a.state() == session::EncryptionState::decryption_failed);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].first == "alice");
    CHECK(reports[0].second == tx_kdf);
    // Without the option: a plain authentication failure, as every LiveKit SDK reports it.
    auto plain = make(rx_kdf, false);
    REQUIRE(plain.key_provider().set_key("alice", key) == Errc::ok);
    auto b = plain.frame_cryptor("alice").value();
    CHECK(b.decrypt(audio, enc, out).error() == Errc::auth_failed);
    // A forged frame is still auth_failed with the option on.
    Bytes forged = enc;
    forged[3] ^= 1;
    CHECK(a.decrypt(audio, forged, out).error() == Errc::auth_failed);
  }
}

TEST_CASE("kdf mismatch: data packets too, and the ring-level report") {
  auto tx = make(KdfAlgorithm::pbkdf2, false);
  REQUIRE(tx.key_provider().set_key("alice", key) == Errc::ok);
  auto a_tx = tx.frame_cryptor("alice").value();
  const Bytes pl = {0x1a, 0x02, 0x08, 0x01};
  Bytes packet(decltype(a_tx)::max_data_packet_size(pl.size()));
  auto e = a_tx.encrypt_data(pl, packet);
  REQUIRE(e.has_value());
  auto rx = make(KdfAlgorithm::hkdf, true);
  REQUIRE(rx.key_provider().set_key("alice", key) == Errc::ok);
  auto a_rx = rx.frame_cryptor("alice").value();
  Bytes out(e->size());
  CHECK(a_rx.decrypt_data(*e, out).error() == Errc::kdf_mismatch);
  CHECK(a_rx.counters().kdf_mismatch == 1);
  CHECK(a_rx.counters().data_failures == 1);

  KeyRingOptions o;
  o.detect_kdf_mismatch = true;
  LivekitKdf hk = fast_kdf();
  auto ring = KeyRing<C>::create(o, hk).value();
  CHECK(ring.other_algorithm() == KdfAlgorithm::pbkdf2);
  REQUIRE(ring.set_key(0, key) == Errc::ok);
  std::size_t n = 0;
  CHECK(ring.open_with(0, [&](C&) noexcept { return ++n, false; }).error() == Errc::auth_failed);
  CHECK(n == 1 + 16 + 1);  // current, window, the other KDF's key: one more attempt, no KDF call
}

TEST_CASE("kdf mismatch: adopt_sender_kdf re-derives off the frame path, then frames decrypt") {
  auto tx = make(KdfAlgorithm::pbkdf2, false);
  const Bytes enc = frame_from(tx);
  auto rx = make(KdfAlgorithm::hkdf, true, true);
  REQUIRE(rx.key_provider().set_key("alice", key) == Errc::ok);
  auto a = rx.frame_cryptor("alice").value();
  Bytes out(enc.size());
  CHECK(a.decrypt(audio, enc, out).error() == Errc::kdf_mismatch);
  bool ok = false;
  for (int i = 0; i < 500 && !ok; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ok = a.decrypt(audio, enc, out).has_value();
  }
  CHECK(ok);
  CHECK(Bytes(out.begin() + 1, out.begin() + 120) == Bytes(119, 0x33));
  CHECK(a.counters().decrypted >= 1);
}

TEST_CASE("salt mismatch: a receiver on a custom salt names a sender on LiveKit's default salt") {
  auto make_salted = [](const char* salt, bool detect) {
    session::E2eeOptions o;
    o.encryption_type = session::EncryptionType::custom;
    o.key_provider_options.detect_kdf_mismatch = detect;
    if (salt) o.key_provider_options.ratchet_salt.assign(salt, salt + std::strlen(salt));
    return Manager::create(std::move(o), fast_kdf()).value();
  };
  auto tx = make_salted(nullptr, false);  // "LKFrameEncryptionKey"
  const Bytes enc = frame_from(tx);
  Bytes out(enc.size());

  auto rx = make_salted("my-room-salt", true);
  REQUIRE(rx.key_provider().set_key("alice", key) == Errc::ok);
  auto a = rx.frame_cryptor("alice").value();
  auto r = a.decrypt(audio, enc, out);
  REQUIRE_FALSE(r);
  CHECK(r.error() == Errc::salt_mismatch);
  CHECK(to_string(r.error()) == "salt_mismatch");
  CHECK(a.counters().salt_mismatch == 1);
  CHECK(a.counters().auth_failures == 0);
  CHECK(a.state() == session::EncryptionState::decryption_failed);
  CHECK(out == Bytes(out.size(), 0));  // nothing of the plaintext is left

  SUBCASE("without the option it is a plain auth_failed") {
    auto plain = make_salted("my-room-salt", false);
    REQUIRE(plain.key_provider().set_key("alice", key) == Errc::ok);
    auto p = plain.frame_cryptor("alice").value();
    CHECK(p.decrypt(audio, enc, out).error() == Errc::auth_failed);
  }
  SUBCASE("a sender on a custom salt the receiver does not know cannot be told from a wrong key") {
    auto custom_tx = make_salted("their-salt", false);
    const Bytes theirs = frame_from(custom_tx);
    auto default_rx = make_salted(nullptr, true);
    REQUIRE(default_rx.key_provider().set_key("alice", key) == Errc::ok);
    auto d = default_rx.frame_cryptor("alice").value();
    Bytes o2(theirs.size());
    CHECK(d.decrypt(audio, theirs, o2).error() == Errc::auth_failed);
  }
  SUBCASE("the same salt decrypts") {
    auto same_tx = make_salted("my-room-salt", false);
    const Bytes mine = frame_from(same_tx);
    Bytes o3(mine.size());
    CHECK(a.decrypt(audio, mine, o3).has_value());
  }
}
