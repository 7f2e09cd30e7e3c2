// `frameseal frame encrypt|decrypt --format sframe` (tools/commands/frame.cpp, through the session layer)
// against a bare sframe::FrameCryptor: the CLI's frames are RFC 9605 frames for KID = key index
// (<< R plus the ratchet step), a bare sender's frames decrypt in the CLI, and the bad
// combinations are refused with a reason. The CLI path comes from the FRAMESEAL_CLI environment
// variable (tests/meson.build sets it).
#include "cli_run.hpp"
#include "common.hpp"

#include <frameseal/sframe/openssl_suites.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace frameseal;
using fstest::Bytes;
using fstest::cli;
using fstest::from_hex;
using fstest::Run;
using fstest::to_hex;

namespace {

const std::string key_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const Bytes key = from_hex(key_hex);

std::uint64_t kid_of(const Bytes& frame) {
  auto h = sframe::parse(frame);
  REQUIRE(h.has_value());
  return h->header.kid;
}

template <class S>
Bytes bare_decrypt(const Bytes& wire, std::uint64_t kid, BytesIn base_key, unsigned ratchet_bits = 0) {
  auto rx = sframe::FrameCryptor<S>::create({.ratchet_bits = ratchet_bits}).value();
  REQUIRE(rx.add_key(kid, base_key, sframe::KeyUsage::decrypt) == Errc::ok);
  Bytes out(wire.size());
  auto r = rx.decrypt(wire, out);
  if (!r) FAIL("bare decrypt: " << to_string(r.error()));
  return Bytes(r->begin(), r->end());
}

}  // namespace

TEST_CASE("CLI SFrame frames decrypt with a bare sframe::FrameCryptor (suite 4, KID = key index)") {
  const Bytes p1 = from_hex("00112233445566778899"), p2(1000, 0x42);
  Run enc = cli("frame encrypt --format sframe --key " + key_hex + " --key-index 3 " + to_hex(p1) + " " +
                to_hex(p2));
  REQUIRE(enc.status == 0);
  REQUIRE(enc.lines.size() == 2);
  const Bytes w1 = from_hex(enc.lines[0]), w2 = from_hex(enc.lines[1]);
  CHECK(kid_of(w1) == 3);
  CHECK(kid_of(w2) == 3);
  CHECK(sframe::parse(w2)->header.ctr == sframe::parse(w1)->header.ctr + 1);
  CHECK(w1.size() == sframe::parse(w1)->size + p1.size() + sframe::Suite4::tag_bytes);
  CHECK(bare_decrypt<sframe::Suite4>(w1, 3, key) == p1);
  CHECK(bare_decrypt<sframe::Suite4>(w2, 3, key) == p2);
  // The same frame under suite 5 does not authenticate: the suite id is in the key schedule.
  Run other = cli("frame decrypt --format sframe --cipher aes256gcm --key " + key_hex + " --key-index 3 " +
                  enc.lines[0]);
  REQUIRE(other.status == 0);
  CHECK(other.lines == std::vector<std::string>{"drop auth_failed"});
}

TEST_CASE("a bare sender's frames decrypt in the CLI; replays and wrong keys are dropped") {
  auto tx = sframe::FrameCryptor<sframe::Suite4>::create().value();
  REQUIRE(tx.add_key(5, key, sframe::KeyUsage::encrypt) == Errc::ok);
  const Bytes p = from_hex("cafebabe0102");
  Bytes wire(sframe::FrameCryptor<sframe::Suite4>::max_encrypted_size(p.size()));
  auto w = tx.encrypt(p, wire);
  REQUIRE(w.has_value());
  const std::string hex = to_hex(*w);
  Run dec = cli("frame decrypt --format sframe --key " + key_hex + " --key-index 5 " + hex + " " + hex);
  REQUIRE(dec.status == 0);
  CHECK(dec.lines == std::vector<std::string>{to_hex(p), "drop replay"});
  Run other_index = cli("frame decrypt --format sframe --key " + key_hex + " --key-index 4 " + hex);
  CHECK(other_index.lines == std::vector<std::string>{"drop missing_key"});
  Run wrong = cli("frame decrypt --format sframe --key 0f0e0d0c --key-index 5 " + hex);
  CHECK(wrong.lines == std::vector<std::string>{"drop auth_failed"});
}

TEST_CASE("CLI --ratchet is the RFC 9605 5.1 ratchet: KID = index << R | step (suite 5)") {
  const Bytes p = from_hex("0102030405");
  Run enc = cli(
      "frame encrypt --format sframe --cipher aes256gcm --ratchet-bits 8 --key-index 1 --ratchet 2 --key " +
      key_hex + " " + to_hex(p));
  REQUIRE(enc.status == 0);
  REQUIRE(enc.lines.size() == 1);
  const Bytes w = from_hex(enc.lines[0]);
  CHECK(kid_of(w) == (1u << 8 | 2));
  // A bare receiver at step 0 follows two steps within its window.
  if (sframe::Suite5::available())
    CHECK(bare_decrypt<sframe::Suite5>(w, 1u << 8, key, 8) == p);
  else
    CHECK(bare_decrypt<sframe::Suite5Openssl>(w, 1u << 8, key, 8) == p);
  // Without ratchet bits the receiver reads KID 258 as key index 258: no such key.
  Run flat = cli("frame decrypt --format sframe --cipher aes256gcm --key-index 1 --key " + key_hex + " " +
                 enc.lines[0]);
  CHECK(flat.lines == std::vector<std::string>{"drop missing_key"});
  Run follow = cli("frame decrypt --format sframe --cipher aes256gcm --ratchet-bits 8 --key-index 1 --key " +
                   key_hex + " " + enc.lines[0]);
  CHECK(follow.lines == std::vector<std::string>{to_hex(p)});
}

TEST_CASE("CLI refuses the combinations SFrame cannot do, with the reason") {
  auto refused = [](const std::string& args, const std::string& reason) {
    Run r = cli(args);
    CHECK(r.status == 2);
    REQUIRE(!r.lines.empty());
    CHECK_MESSAGE(r.lines[0].find(reason) != std::string::npos, r.lines[0]);
  };
  refused("frame encrypt --format sframe --cipher chacha20poly1305 --key " + key_hex + " 00",
          "no ChaCha20-Poly1305 suite");
  refused("frame encrypt --format sframe --shared-key --key " + key_hex + " 00", "reuse nonces");
  refused("frame encrypt --format sframe --ratchet 1 --key " + key_hex + " 00", "--ratchet-bits");
  refused("frame encrypt --format sframe --kdf pbkdf2 --key " + key_hex + " 00", "LiveKit option");
  refused("frame encrypt --format sframe --iv livekit --key " + key_hex + " 00", "LiveKit option");
  refused("frame encrypt --ratchet-bits 8 --codec vp8 --key " + key_hex + " 00", "SFrame option");
  refused("frame encrypt --format sframe --ratchet-bits 57 --key " + key_hex + " 00", "out of range");
  refused("frame encrypt --format webm --key " + key_hex + " 00", "expected livekit or sframe");
}
