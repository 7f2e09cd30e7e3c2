// session::KeyProvider: options checks, per-participant and shared keys, LiveKit index semantics,
// export/ratchet results against livekit-client 2.23.0's ratchet chains
// (tests/vectors/livekit/livekit-client-2.23.0-public.json), shared-key clones, the SIF trailer.
// The provider's interplay with frames (sending index, auto-ratchets) is in unit-session-e2ee_manager.
#include "common.hpp"
#include "livekit_vectors.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

using namespace frameseal;
using fstest::info_of;
using fstest::livekit_vectors;
using namespace frameseal::session;
using fstest::Bytes;
using fstest::from_hex;
using fstest::to_hex;

namespace {

using C = sodium::ChaCha20Poly1305;  // the provider handles material; any cipher will do
using Provider = KeyProvider<C>;

const Bytes m0 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes k1 = from_hex("1111111111111111111111111111111111111111111111111111111111111111");
const Bytes k2 = from_hex("2222222222222222222222222222222222222222222222222222222222222222");

std::string hex_of(const Result<SecretBuffer>& r) {
  REQUIRE_MESSAGE(r.has_value(), to_string(r.error()));
  return to_hex(r->view());
}

Provider make(KeyProviderOptions o = {}) {
  auto p = Provider::create(std::move(o));
  REQUIRE(p.has_value());
  return std::move(*p);
}

}  // namespace

TEST_CASE("create: bad options are invalid_argument, never a clamp or an exception") {
  auto with = [](auto change) {
    KeyProviderOptions o;
    change(o);
    return Provider::create(std::move(o));
  };
  CHECK(with([](KeyProviderOptions& o) { o.key_ring_size = 0; }).error() == Errc::invalid_argument);
  CHECK(with([](KeyProviderOptions& o) { o.key_ring_size = 257; }).error() == Errc::invalid_argument);
  CHECK(with([](KeyProviderOptions& o) { o.ratchet_window_size = 257; }).error() == Errc::invalid_argument);
  CHECK(with([](KeyProviderOptions& o) { o.key_ring_size = 256; }).has_value());
  CHECK(with([](KeyProviderOptions& o) { o.ratchet_window_size = 0; }).has_value());

  // A fixed KDF policy must agree with options.kdf; LivekitKdf takes the algorithm from it.
  KeyProviderOptions o;
  o.kdf = KdfAlgorithm::pbkdf2;
  CHECK(KeyProvider<C, Hkdf>::create(std::move(o)).error() == Errc::invalid_argument);
  KeyProviderOptions o2;
  o2.kdf = KdfAlgorithm::pbkdf2;
  CHECK(KeyProvider<C, Pbkdf2>::create(std::move(o2)).has_value());
  KeyProviderOptions o3;
  o3.kdf = KdfAlgorithm::pbkdf2;
  LivekitKdf proto;  // algorithm hkdf: overridden by the options
  proto.pbkdf2_iterations = 1;
  auto p = Provider::create(std::move(o3), proto);
  REQUIRE(p.has_value());
  CHECK(p->config().algorithm == KdfAlgorithm::pbkdf2);
  CHECK(p->config().pbkdf2_iterations == 1);  // the rest of the prototype is kept
}

TEST_CASE("per-participant keys: set, export, index semantics, errors") {
  Provider p = make();
  CHECK_FALSE(p.shared_key_mode());
  CHECK(p.export_key("alice").error() == Errc::missing_key);
  CHECK(p.ratchet_key("alice").error() == Errc::missing_key);
  CHECK(p.set_key("alice", {}, 0) == Errc::invalid_argument);
  CHECK(p.set_key("", k1, 0) == Errc::invalid_argument);

  REQUIRE(p.set_key("alice", k1, 0) == Errc::ok);
  REQUIRE(p.set_key("bob", k2, 18) == Errc::ok);  // slot 18 % 16 = 2, as LiveKit
  CHECK(hex_of(p.export_key("alice", 0)) == to_hex(k1));
  CHECK(hex_of(p.export_key("bob", 2)) == to_hex(k2));
  CHECK(p.export_key("bob", 0).error() == Errc::missing_key);
  CHECK(p.export_key("bob", 18).error() == Errc::invalid_argument);  // export/ratchet: index < size
  CHECK(p.ratchet_key("bob", 18).error() == Errc::invalid_argument);
  CHECK(p.export_key("carol", 0).error() == Errc::missing_key);
  CHECK(p.export_shared_key(0).error() == Errc::missing_key);
  CHECK(p.participant_identities() == std::vector<std::string>{"alice", "bob"});

  // A new key replaces the slot; other participants are untouched.
  REQUIRE(p.set_key("alice", k2, 0) == Errc::ok);
  CHECK(hex_of(p.export_key("alice", 0)) == to_hex(k2));
  CHECK(hex_of(p.export_key("bob", 2)) == to_hex(k2));
}

TEST_CASE("ratchet_key and ratchet_shared_key return and store livekit-client's ratchet chains") {
  auto j = livekit_vectors();
  REQUIRE(j["ratchet_chains"].size() == 2);
  for (const auto& chain : j["ratchet_chains"]) {
    CAPTURE(chain["id"].get<std::string>());
    const auto& m = chain["materials_hex"];
    auto options = [&] {
      KeyProviderOptions o;
      o.kdf = chain["kdf"] == "pbkdf2" ? KdfAlgorithm::pbkdf2 : KdfAlgorithm::hkdf;
      const std::string salt = chain["ratchet_salt_utf8"];
      o.ratchet_salt.assign(salt.begin(), salt.end());
      return o;
    };
    const std::size_t idx = chain["key_index"];
    Provider pp = make(options());
    REQUIRE(pp.set_key("alice", from_hex(m[0].get<std::string>()), idx) == Errc::ok);
    Provider ps = make(options());
    REQUIRE(ps.set_shared_key(from_hex(m[0].get<std::string>()), idx) == Errc::ok);
    for (std::size_t i = 1; i < m.size(); ++i) {
      CHECK(hex_of(pp.ratchet_key("alice", idx)) == m[i].get<std::string>());
      CHECK(hex_of(pp.export_key("alice", idx)) == m[i].get<std::string>());
      CHECK(hex_of(ps.ratchet_shared_key(idx)) == m[i].get<std::string>());
      CHECK(hex_of(ps.export_shared_key(idx)) == m[i].get<std::string>());
    }
  }
}

TEST_CASE("shared key from the options: shared-key mode from the start, consumed") {
  KeyProviderOptions o;
  o.shared_key = SecretBuffer::copy_of(k1).value();
  Provider p = make(std::move(o));
  CHECK(p.shared_key_mode());
  CHECK(p.options().shared_key.empty());  // the provider holds it, wiped when it goes
  CHECK(hex_of(p.export_shared_key(0)) == to_hex(k1));
  // A participant without a ring reports the key it would get (the native SDK clones lazily).
  CHECK(hex_of(p.export_key("alice", 0)) == to_hex(k1));
  CHECK(p.participant_identities().empty());  // exporting did not create anyone
}

TEST_CASE("shared key: every participant gets the master's key; per-participant overrides stay local") {
  Provider p = make();
  REQUIRE(p.set_key("alice", k1, 0) == Errc::ok);  // exists before shared mode
  REQUIRE(p.set_shared_key(k2, 1) == Errc::ok);
  CHECK(p.shared_key_mode());
  CHECK(hex_of(p.export_key("alice", 1)) == to_hex(k2));  // set into the existing ring
  CHECK(hex_of(p.export_key("alice", 0)) == to_hex(k1));  // other slots untouched

  // ratchet_key on a participant in shared mode: its clone only.
  auto bob = p.ratchet_key("bob", 1);  // creates bob's clone, then ratchets it
  REQUIRE(bob.has_value());
  CHECK(hex_of(p.export_key("bob", 1)) == to_hex(bob->view()));
  CHECK(hex_of(p.export_shared_key(1)) == to_hex(k2));
  CHECK(hex_of(p.export_key("alice", 1)) == to_hex(k2));

  // set_key on a participant in shared mode changes that participant only...
  REQUIRE(p.set_key("carol", k1, 1) == Errc::ok);
  CHECK(hex_of(p.export_key("carol", 1)) == to_hex(k1));
  CHECK(hex_of(p.export_key("alice", 1)) == to_hex(k2));
  // ...until the next set_shared_key of that index.
  REQUIRE(p.set_shared_key(k1, 1) == Errc::ok);
  for (const char* id : {"alice", "bob", "carol"}) CHECK(hex_of(p.export_key(id, 1)) == to_hex(k1));
  CHECK(p.set_shared_key({}, 1) == Errc::invalid_argument);
  CHECK(hex_of(p.export_shared_key(1)) == to_hex(k1));
}

TEST_CASE("ratchet_shared_key: rings on the master's chain ratchet, the others get the new material") {
  Provider p = make();
  CHECK(p.ratchet_shared_key(0).error() == Errc::missing_key);
  REQUIRE(p.set_shared_key(m0, 0) == Errc::ok);
  REQUIRE(p.ratchet_key("bob", 0).has_value());    // bob's clone is one step ahead (m1)
  REQUIRE(p.set_key("carol", k1, 0) == Errc::ok);  // carol's clone holds something else
  REQUIRE(p.export_key("alice", 0).has_value());
  REQUIRE(p.set_key("alice", m0, 0) == Errc::ok);  // alice's ring exists and holds m0
  auto m1 = p.ratchet_shared_key(0);
  REQUIRE(m1.has_value());
  CHECK(to_hex(m1->view()) ==
        "6d0dd7b3d6f4efde47ab9a9e15abde7635c45a13bddf5da15eed01f40178d328");  // chain-hkdf m1
  CHECK(hex_of(p.export_key("alice", 0)) == to_hex(m1->view()));              // ratcheted: m0 -> m1
  CHECK(hex_of(p.export_key("carol", 0)) == to_hex(m1->view()));              // set to m1
  // bob's ring was already at m1 (ratchet_key): left as is, not taken to m2.
  CHECK(hex_of(p.export_key("bob", 0)) == to_hex(m1->view()));
  CHECK(p.ratchet_shared_key(16).error() == Errc::invalid_argument);
}

using fstest::CountingKdf;

TEST_CASE("shared key: derived once for the room, each participant's ring takes a copy") {
  int calls = 0;
  auto made = BasicKeyProvider<KeyRing<C, CountingKdf>>::create({}, CountingKdf{&calls});
  REQUIRE(made.has_value());
  auto& p = *made;
  for (const char* who : {"alice", "bob", "carol"}) REQUIRE(p.set_key(who, k1, 0) == Errc::ok);
  CHECK(calls == 3 * (1 + 16));  // per-participant keys derive in their own rings (key + window)

  calls = 0;
  REQUIRE(p.set_shared_key(m0, 1) == Errc::ok);
  CHECK(calls == 1 + 16);  // the master (key + window); three participants copy it
  for (const char* who : {"alice", "bob", "carol"}) {
    CAPTURE(who);
    CHECK(hex_of(p.export_key(who, 1)) == to_hex(m0));
    CHECK(hex_of(p.export_key(who, 0)) == to_hex(k1));  // other slots untouched
  }

  // carol leaves the master's chain; a shared ratchet gives her the new material by copy, and the
  // rings still on the chain take the master's new step (KeyRing::ratchet_from): one KDF call in all.
  REQUIRE(p.set_key("carol", k2, 1) == Errc::ok);
  calls = 0;
  auto next = p.ratchet_shared_key(1);
  REQUIRE(next.has_value());
  CHECK(calls == 1);  // the master's ratchet; alice, bob and carol copy
  for (const char* who : {"alice", "bob", "carol"}) {
    CAPTURE(who);
    CHECK(hex_of(p.export_key(who, 1)) == to_hex(next->view()));
  }
  // The copied rings behave as derived ones: one more shared ratchet keeps everyone together.
  auto again = p.ratchet_shared_key(1);
  REQUIRE(again.has_value());
  for (const char* who : {"alice", "bob", "carol"})
    CHECK(hex_of(p.export_key(who, 1)) == to_hex(again->view()));
}

TEST_CASE("SIF trailer: stored, replaced, cleared") {
  Provider p = make();
  CHECK(p.sif_trailer().empty());
  const Bytes t = from_hex("4c4b2d524f434b53");
  p.set_sif_trailer(t);
  CHECK(p.sif_trailer() == t);
  p.set_sif_trailer({});
  CHECK(p.sif_trailer().empty());
}
