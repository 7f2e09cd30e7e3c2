// The checker behind `frameseal vectors FILE.json` (commands/vectors.cpp) and the vectors fuzz
// target: checks a LiveKit known-answer file (schema:
// tests/vectors/livekit/README.md) and prints one line per failing case and a last line
// "N passed, M failed". Exit 1 on any failure.
//
// - ratchet_chains: materials[i+1] == Ratchet(materials[i]) and aes_keys[i] == AESKey(materials[i]).
// - vectors: the sender (material or passphrase, ratcheted ratchet_count times, at key_index) with
//   livekit's IV formula seeded with send_count_mod_65535 must produce encrypted_frame_hex byte for
//   byte; the exported material must equal current_material_hex and the derived key aes_key_hex;
//   and a receiver holding the un-ratcheted material decrypts the frame to what the package's own
//   decoder returned.
// - decode_behaviour: where the package decrypted, frameseal must decrypt to the same bytes; where it
//   rejected, frameseal must reject too, except that it may recover a sender ahead of it through the
//   ratchet window (frameseal's receiver is deliberately better than livekit-client's there).
//   Records with "direction": "encode" give the package's sender an `input` frame (codec, kind,
//   frame_type, plaintext_hex) and say in `result` what it did: refused it (`error`, `threw` or
//   `encrypted: false`), passed it through (an output equal to the input: an empty frame), or
//   encrypted it (`output_frame_hex` / `encrypted_frame_hex`). frameseal's sender must do the same:
//   refuse, pass through the same bytes, or encrypt to a frame of the same length and clear header
//   (the IV differs: frameseal's default IV is not LiveKit's formula).
// - data_vectors: a data packet sender with livekit-client's data IV formula, seeded from iv_hex,
//   must produce encrypted_packet_hex byte for byte, and a receiver with the un-ratcheted material
//   decrypts it to payload_hex.
// - data_track_vectors: the same sealed frame, packetized with handle / timestamp / user_timestamp /
//   mtu, must give packets_hex byte for byte; those packets reassemble and decrypt to payload_hex.
//
// The file is untrusted input: a missing or mistyped field is one failing line naming the record and
// the field ("FAIL id: field 'input': missing"), never an abort; the run goes on with the next record.
#pragma once

#include "cli_common.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

namespace cli {

// A field of a record that is missing or of the wrong type.
struct FieldError {
  std::string field, what;
};

inline const nlohmann::json& req(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) throw FieldError{key, "the record is not an object"};
  auto it = j.find(key);
  if (it == j.end()) throw FieldError{key, "missing"};
  return *it;
}
inline std::string req_string(const nlohmann::json& j, const char* key) {
  const auto& v = req(j, key);
  if (!v.is_string()) throw FieldError{key, "not a string"};
  return v.get<std::string>();
}
inline Bytes req_hex(const nlohmann::json& j, const char* key) {
  auto b = parse_hex(req_string(j, key));
  if (!b) throw FieldError{key, "not hex"};
  return *b;
}
inline Bytes opt_hex(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return {};
  return req_hex(j, key);
}
inline std::string opt_string(const nlohmann::json& j, const char* key, std::string def) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return def;
  return req_string(j, key);
}
inline std::uint64_t opt_uint(const nlohmann::json& j, const char* key, std::uint64_t def,
                              std::uint64_t max = 0xffffffffu) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return def;
  const auto& v = j[key];
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    throw FieldError{key, "not a non-negative integer"};
  const auto x = v.get<std::uint64_t>();
  if (x > max) throw FieldError{key, "out of range"};
  return x;
}
inline std::int64_t opt_int(const nlohmann::json& j, const char* key, std::int64_t def) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return def;
  if (!j[key].is_number_integer()) throw FieldError{key, "not an integer"};
  return j[key].get<std::int64_t>();
}
inline bool opt_bool(const nlohmann::json& j, const char* key, bool def) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return def;
  if (!j[key].is_boolean()) throw FieldError{key, "not a boolean"};
  return j[key].get<bool>();
}
inline const nlohmann::json& req_array(const nlohmann::json& j, const char* key) {
  const auto& v = req(j, key);
  if (!v.is_array()) throw FieldError{key, "not an array"};
  return v;
}

struct VectorRun {
  int passed = 0, failed = 0;
  bool quiet = false;  // no FAIL lines (the fuzz target)
  void check(bool ok, const std::string& id, const std::string& why) {
    if (ok) {
      ++passed;
    } else {
      ++failed;
      if (!quiet) std::printf("FAIL %s: %s\n", id.c_str(), why.c_str());
    }
  }
};

inline fs::KdfAlgorithm kdf_field(const nlohmann::json& j) {
  const std::string k = opt_string(j, "kdf", "hkdf");
  if (k != "hkdf" && k != "pbkdf2") throw FieldError{"kdf", "neither hkdf nor pbkdf2"};
  return k == "pbkdf2" ? fs::KdfAlgorithm::pbkdf2 : fs::KdfAlgorithm::hkdf;
}

// Runs one record's check; a FieldError (or anything the JSON library throws) is its failing line.
template <class F>
void guarded(const nlohmann::json& record, const char* kind, VectorRun& run, F&& check) {
  std::string id = kind;
  if (record.is_object() && record.contains("id") && record["id"].is_string())
    id = record["id"].get<std::string>();
  try {
    check(id);
  } catch (const FieldError& e) {
    run.check(false, id, "field '" + e.field + "': " + e.what);
  } catch (const nlohmann::json::exception& e) {
    run.check(false, id, std::string("malformed record: ") + e.what());
  }
}

inline Bytes hex_item(const nlohmann::json& array, std::size_t i, const char* field) {
  if (!array[i].is_string()) throw FieldError{field, "item " + std::to_string(i) + " is not a string"};
  auto b = parse_hex(array[i].get<std::string>());
  if (!b) throw FieldError{field, "item " + std::to_string(i) + " is not hex"};
  return *b;
}

inline void check_chain(const nlohmann::json& c, VectorRun& run, const std::string& id) {
  const auto kdf = fs::openssl::livekit_kdf(kdf_field(c));
  const std::string salt_s = opt_string(c, "ratchet_salt_utf8", std::string(fs::default_ratchet_salt));
  const fs::BytesIn salt = fs::as_bytes(salt_s);
  const auto& mats = req_array(c, "materials_hex");
  const auto& keys = req_array(c, "aes_keys_hex");
  if (mats.empty()) throw FieldError{"materials_hex", "empty"};
  bool ok = true;
  std::string why;
  for (std::size_t i = 0; i < mats.size(); ++i) {
    Bytes m = hex_item(mats, i, "materials_hex");
    if (m.empty()) throw FieldError{"materials_hex", "item " + std::to_string(i) + " is empty"};
    if (i < keys.size()) {
      Bytes want = hex_item(keys, i, "aes_keys_hex");
      Bytes got(want.size());
      if (kdf.derive(m, salt, got) != fs::Errc::ok || got != want) {
        ok = false;
        why += "aes key " + std::to_string(i) + " differs; ";
      }
    }
    if (i + 1 < mats.size()) {
      Bytes want = hex_item(mats, i + 1, "materials_hex");
      Bytes got(fs::ratchet_material_bytes);
      if (kdf.derive(m, salt, got) != fs::Errc::ok || got != want) {
        ok = false;
        why += "material " + std::to_string(i + 1) + " differs; ";
      }
    }
  }
  run.check(ok, id, why);
}

inline fs::FrameInfo frame_info(const nlohmann::json& v) {
  fs::FrameInfo info;
  const std::string c = req_string(v, "codec");
  auto codec = fs::codec_from_string(c);
  info.codec = codec.value_or(fs::Codec::unknown);
  const std::string kind = opt_string(v, "kind", c == "opus" ? "audio" : "video");
  if (kind != "audio" && kind != "video") throw FieldError{"kind", "neither audio nor video"};
  info.kind = kind == "audio" ? fs::MediaKind::audio : fs::MediaKind::video;
  if (v.contains("frame_type") && !v["frame_type"].is_null()) {
    const std::string t = req_string(v, "frame_type");
    if (t != "key" && t != "delta") throw FieldError{"frame_type", "neither key nor delta"};
    info.key_frame = t == "key";
  }
  info.ssrc = static_cast<std::uint32_t>(opt_uint(v, "ssrc", 0));
  info.rtp_timestamp = static_cast<std::uint32_t>(opt_uint(v, "rtp_timestamp", 0));
  return info;
}

inline Bytes material_field(const nlohmann::json& v) {
  if (v.contains("passphrase_utf8") && !v["passphrase_utf8"].is_null()) {
    std::string p = req_string(v, "passphrase_utf8");
    if (p.empty()) throw FieldError{"passphrase_utf8", "empty"};
    return Bytes(p.begin(), p.end());
  }
  Bytes m = req_hex(v, "key_material_hex");
  if (m.empty()) throw FieldError{"key_material_hex", "empty"};
  return m;
}

template <class C>
void check_vector_with(const nlohmann::json& v, VectorRun& run, const std::string& id) {
  fs::KeyRingOptions ro;
  if (v.contains("ratchet_salt_hex")) ro.salt = req_hex(v, "ratchet_salt_hex");
  const auto kdf = fs::openssl::livekit_kdf(kdf_field(v));
  const std::size_t kid = static_cast<std::size_t>(opt_uint(v, "key_index", 0, 255));
  const Bytes material = material_field(v);
  const fs::FrameInfo info = frame_info(v);
  const Bytes plaintext = req_hex(v, "plaintext_hex");
  const Bytes expected = req_hex(v, "encrypted_frame_hex");
  const std::uint64_t ratchets = opt_uint(v, "ratchet_count", 0, 1000);

  auto sender = fs::KeyRing<C, fs::LivekitKdf>::create(ro, kdf);
  if (!sender || sender->set_key(kid, material) != fs::Errc::ok)
    return run.check(false, id, "cannot set the key");
  for (std::uint64_t r = 0; r < ratchets; ++r)
    if (!sender->ratchet(kid % sender->size())) return run.check(false, id, "ratchet failed");
  std::string why;
  if (v.contains("current_material_hex")) {
    auto m = sender->export_key(kid % sender->size());
    if (!m || Bytes(m->view().begin(), m->view().end()) != req_hex(v, "current_material_hex"))
      why += "exported material differs; ";
    if (m && v.contains("aes_key_hex")) {
      Bytes k(C::key_bytes);
      if (kdf.derive(m->view(), ro.salt, k) != fs::Errc::ok || k != req_hex(v, "aes_key_hex"))
        why += "aes key differs; ";
    }
  }
  fs::livekit::FrameCryptor<C, fs::livekit::LivekitIv> enc(
      *sender, {},
      fs::livekit::LivekitIv(static_cast<std::uint32_t>(opt_uint(v, "send_count_mod_65535", 0, 65534))));
  Bytes out(decltype(enc)::max_encrypted_size(plaintext.size()));
  auto r = enc.encrypt(info, plaintext, out);
  if (!r) {
    why += "encrypt failed: " + std::string(fs::to_string(r.error())) + "; ";
  } else if (Bytes(r->begin(), r->end()) != expected) {
    why += "encrypted frame differs: got " + to_hex(*r) + "; ";
  }
  // A receiver that holds the un-ratcheted material catches up through its ratchet window.
  auto receiver = fs::KeyRing<C, fs::LivekitKdf>::create(ro, kdf);
  if (!receiver || receiver->set_key(kid, material) != fs::Errc::ok)
    return run.check(false, id, "cannot set the receiver key");
  fs::livekit::FrameCryptor<C> dec(*receiver);
  Bytes back(expected.size());
  auto d = dec.decrypt(info, expected, back);
  Bytes want = plaintext;
  if (v.contains("package_roundtrip") && v["package_roundtrip"].is_object() &&
      v["package_roundtrip"].contains("decrypted_frame_hex"))
    want = req_hex(v["package_roundtrip"], "decrypted_frame_hex");
  if (!d) {
    why += "decrypt failed: " + std::string(fs::to_string(d.error())) + "; ";
  } else if (Bytes(d->begin(), d->end()) != want) {
    why += "decrypted frame differs; ";
  }
  run.check(why.empty(), id, why);
}

inline void check_vector(const nlohmann::json& v, VectorRun& run, const std::string& id) {
  const std::uint64_t bits = opt_uint(v, "key_size_bits", 128);
  if (bits != 128 && bits != 256) throw FieldError{"key_size_bits", "neither 128 nor 256"};
  if (bits == 256)
    check_vector_with<fs::openssl::Aes256Gcm>(v, run, id);
  else
    check_vector_with<fs::openssl::Aes128Gcm>(v, run, id);
}

// ---- data records (tests/vectors/livekit/README.md, "Data records")

// livekit-client's data IV is BE32(random) || BE32(ms) || BE32(ms - send_count mod 0xffff): the
// policy that gives `iv` as its next IV.
inline fs::livekit::LivekitDataIv data_iv_of(const Bytes& iv) {
  if (iv.size() != fs::livekit::iv_bytes) throw FieldError{"iv_hex", "not 12 bytes"};
  const std::uint32_t random = fs::load_be32(iv.data()), ms = fs::load_be32(iv.data() + 4);
  const std::uint32_t count = ms - fs::load_be32(iv.data() + 8);
  if (count >= 0xffffu) throw FieldError{"iv_hex", "not livekit-client's data IV formula"};
  return fs::livekit::LivekitDataIv(random, ms, count);
}

// The sender's ring of a data record (ratcheted ratchet_count times) and a receiver's ring holding
// the un-ratcheted material, both at key_index.
template <class C>
struct DataRings {
  fs::KeyRing<C, fs::LivekitKdf> sender, receiver;
};
template <class C>
std::optional<DataRings<C>> data_rings(const nlohmann::json& v) {
  fs::KeyRingOptions ro;
  if (v.contains("ratchet_salt_hex")) ro.salt = req_hex(v, "ratchet_salt_hex");
  const auto kdf = fs::openssl::livekit_kdf(kdf_field(v));
  const std::size_t kid = static_cast<std::size_t>(opt_uint(v, "key_index", 0, 255));
  const Bytes material = material_field(v);
  auto tx = fs::KeyRing<C, fs::LivekitKdf>::create(ro, kdf),
       rx = fs::KeyRing<C, fs::LivekitKdf>::create(ro, kdf);
  if (!tx || !rx || tx->set_key(kid, material) != fs::Errc::ok || rx->set_key(kid, material) != fs::Errc::ok)
    return std::nullopt;
  for (std::uint64_t r = opt_uint(v, "ratchet_count", 0, 1000); r > 0; --r)
    if (!tx->ratchet(kid % tx->size())) return std::nullopt;
  return DataRings<C>{std::move(*tx), std::move(*rx)};
}

template <class C>
void check_data_vector_with(const nlohmann::json& v, VectorRun& run, const std::string& id, bool track) {
  auto rings = data_rings<C>(v);
  if (!rings) return run.check(false, id, "cannot set the key");
  const Bytes payload = req_hex(v, "payload_hex");
  fs::livekit::DataCryptor<C, fs::livekit::LivekitDataIv> tx(rings->sender, data_iv_of(req_hex(v, "iv_hex")));
  fs::livekit::DataCryptor<C> rx(rings->receiver);
  std::string why;
  Bytes plain;
  if (!track) {
    const Bytes expected = req_hex(v, "encrypted_packet_hex");
    Bytes out(decltype(tx)::max_packet_size(payload.size()));
    auto e = tx.encrypt(payload, out);
    if (!e)
      why += "encrypt failed: " + std::string(fs::to_string(e.error())) + "; ";
    else if (Bytes(e->begin(), e->end()) != expected)
      why += "encrypted packet differs: got " + to_hex(*e) + "; ";
    Bytes back(expected.size());
    auto d = rx.decrypt(expected, back);
    if (!d)
      why += "decrypt failed: " + std::string(fs::to_string(d.error())) + "; ";
    else
      plain.assign(d->begin(), d->end());
  } else {
    const auto& packets = req_array(v, "packets_hex");
    std::vector<Bytes> expected;
    for (std::size_t i = 0; i < packets.size(); ++i) expected.push_back(hex_item(packets, i, "packets_hex"));
    std::optional<std::uint64_t> user_ts;
    if (v.contains("user_timestamp")) {
      const auto& u = v["user_timestamp"];
      if (u.is_string()) {
        try {
          user_ts = std::stoull(u.get<std::string>());
        } catch (...) {
          throw FieldError{"user_timestamp", "not a number"};
        }
      } else {
        user_ts = opt_uint(v, "user_timestamp", 0, ~std::uint64_t{0});
      }
    }
    auto pk = fs::livekit::DataTrackPacketizer::create(
        static_cast<std::uint16_t>(opt_uint(v, "handle", 1, 0xffff)),
        opt_uint(v, "mtu", fs::livekit::data_track_default_mtu, 1 << 20));
    if (!pk) throw FieldError{"handle", "0, or an mtu too small for a header"};
    Bytes sealed(payload.size() + C::tag_bytes), scratch(pk->mtu());
    auto s = tx.seal(payload, sealed);
    std::vector<Bytes> made;
    if (!s) {
      why += "seal failed: " + std::string(fs::to_string(s.error())) + "; ";
    } else {
      auto n = pk->packetize(s->value, static_cast<std::uint32_t>(opt_uint(v, "timestamp", 0, 0xffffffffu)),
                             fs::livekit::DataTrackE2ee{s->key_index, s->iv}, user_ts, scratch,
                             [&](fs::BytesIn p) { made.emplace_back(p.begin(), p.end()); });
      if (!n)
        why += "packetize failed; ";
      else if (made != expected)
        why += "packets differ (" + std::to_string(made.size()) + " made, " +
               std::to_string(expected.size()) + " expected); ";
    }
    fs::livekit::DataTrackDepacketizer d;
    for (const Bytes& p : expected) {
      auto f = d.push(p);
      if (!f) {
        why += "a packet does not parse; ";
        break;
      }
      if (!*f) continue;
      const auto& frame = **f;
      if (!frame.header.e2ee) {
        why += "no E2EE extension; ";
        break;
      }
      Bytes back(frame.payload.size());
      auto o = rx.open(frame.header.e2ee->key_index, frame.header.e2ee->iv, frame.payload, back);
      if (!o)
        why += "decrypt failed: " + std::string(fs::to_string(o.error())) + "; ";
      else
        plain.assign(o->begin(), o->end());
    }
  }
  if (why.empty() && plain != payload) why += "decrypted payload differs; ";
  run.check(why.empty(), id, why);
}

inline void check_data_vector(const nlohmann::json& v, VectorRun& run, const std::string& id, bool track) {
  const std::uint64_t bits = opt_uint(v, "key_size_bits", 128);
  if (bits != 128 && bits != 256) throw FieldError{"key_size_bits", "neither 128 nor 256"};
  if (bits == 256)
    check_data_vector_with<fs::openssl::Aes256Gcm>(v, run, id, track);
  else
    check_data_vector_with<fs::openssl::Aes128Gcm>(v, run, id, track);
}

// One receiver of decode_behaviour; later records may say "same receiver".
struct DecodeReceiver {
  std::unique_ptr<fs::KeyRing<fs::openssl::Aes128Gcm, fs::LivekitKdf>> ring;
  std::unique_ptr<fs::livekit::FrameCryptor<fs::openssl::Aes128Gcm>> cryptor;
};

// The receiver of a decode_behaviour record (or of an encode record's sender keys), when it names one.
inline void setup_receiver(const nlohmann::json& spec, DecodeReceiver& rx) {
  using Ring = fs::KeyRing<fs::openssl::Aes128Gcm, fs::LivekitKdf>;
  const nlohmann::json no_options = nlohmann::json::object();
  const auto& opt = spec.contains("options") ? req(spec, "options") : no_options;
  if (!opt.is_object()) throw FieldError{"options", "not an object"};
  if (opt_uint(opt, "keySize", 128) != 128) throw FieldError{"options.keySize", "only 128 is checked here"};
  fs::KeyRingOptions ro;
  ro.ratchet_window = static_cast<std::size_t>(opt_uint(opt, "ratchetWindowSize", 16, 256));
  const std::int64_t tolerance = opt_int(opt, "failureTolerance", -1);
  if (tolerance < -1 || tolerance > 1000000) throw FieldError{"options.failureTolerance", "out of range"};
  ro.failure_tolerance = static_cast<int>(tolerance);
  ro.size = static_cast<std::size_t>(opt_uint(opt, "keyringSize", 16, 256));
  std::string salt = opt_string(opt, "ratchetSalt", std::string(fs::default_ratchet_salt));
  ro.salt.assign(salt.begin(), salt.end());
  auto ring = Ring::create(ro, fs::openssl::livekit_kdf(kdf_field(spec)));
  if (!ring) throw FieldError{"options", "not accepted by KeyRing::create"};
  rx.ring = std::make_unique<Ring>(std::move(*ring));
  rx.cryptor.reset();
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    const std::string k = it.key();
    const std::string prefix = "key_index_", suffix = "_material_hex";
    if (k.rfind(prefix, 0) == 0 && k.size() > prefix.size() + suffix.size() &&
        k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string digits = k.substr(prefix.size(), k.size() - prefix.size() - suffix.size());
      if (digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos)
        throw FieldError{k, "the key index is not a number below 1000"};
      const Bytes m = req_hex(spec, k.c_str());
      if (rx.ring->set_key(std::stoul(digits), m) != fs::Errc::ok) throw FieldError{k, "not a usable key"};
    }
  }
  fs::livekit::FrameCryptorOptions fo;
  fo.sif_trailer = opt_hex(spec, "sif_trailer_hex");
  rx.cryptor = std::make_unique<fs::livekit::FrameCryptor<fs::openssl::Aes128Gcm>>(*rx.ring, fo);
}

// An encode-direction record: what the package's sender did with a frame (see the header comment).
inline void check_encode(const nlohmann::json& d, DecodeReceiver& rx, VectorRun& run, const std::string& id) {
  const auto& in = req(d, "input");
  const auto& res = req(d, "result");
  if (!res.is_object()) throw FieldError{"result", "not an object"};
  const fs::FrameInfo info = frame_info(in);
  const Bytes plain = opt_hex(in, "plaintext_hex");
  if (!in.contains("plaintext_hex") && !in.contains("frame_hex"))
    throw FieldError{"input.plaintext_hex", "missing"};
  const Bytes frame = in.contains("plaintext_hex") ? plain : req_hex(in, "frame_hex");
  Bytes package_out;
  bool have_out = false;
  for (const char* k : {"output_frame_hex", "encrypted_frame_hex"})
    if (res.contains(k) && !res[k].is_null()) {
      package_out = req_hex(res, k);
      have_out = true;
    }
  const bool refused = (res.contains("error") && !res["error"].is_null()) || opt_bool(res, "threw", false) ||
                       (res.contains("encrypted") && !opt_bool(res, "encrypted", true) && !have_out);
  if (!refused && !have_out) throw FieldError{"result", "says neither what was sent nor that it was refused"};
  // A sender key: the record's, else the receiver in force, else a fixed one (outcome checks only).
  if (d.contains("sender")) setup_receiver(req(d, "sender"), rx);
  if (!rx.ring) {
    DecodeReceiver fixed;
    setup_receiver(nlohmann::json{{"key_index_0_material_hex", "00112233445566778899aabbccddeeff"}}, fixed);
    rx = std::move(fixed);
  }
  fs::livekit::FrameCryptor<fs::openssl::Aes128Gcm> tx(*rx.ring);
  Bytes out(decltype(tx)::max_encrypted_size(frame.size()));
  auto r = tx.encrypt(info, frame, out);
  if (refused) return run.check(!r, id, "the package refused the frame, frameseal sent it");
  if (!r)
    return run.check(
        false, id, "the package sent the frame, frameseal refused: " + std::string(fs::to_string(r.error())));
  const Bytes mine(r->begin(), r->end());
  if (package_out == frame)
    return run.check(mine == frame, id, "the package passed the frame through, frameseal did not");
  const bool key =
      info.key_frame ? *info.key_frame : (info.codec == fs::Codec::vp8 && fs::vp8_is_key_frame(frame));
  auto ch = fs::livekit::sender_clear_header(info, key, frame);
  const std::size_t h = ch ? ch->out_bytes : 0;
  const bool same_shape =
      mine.size() == package_out.size() && h <= mine.size() &&
      std::equal(mine.begin(), mine.begin() + static_cast<std::ptrdiff_t>(h), package_out.begin());
  run.check(same_shape, id, "frameseal's frame differs in length or clear header from the package's");
}

inline void check_decode(const nlohmann::json& d, DecodeReceiver& rx, VectorRun& run, const std::string& id) {
  if (!d.is_object()) throw FieldError{"record", "not an object"};
  const std::string direction = opt_string(d, "direction", "decode");
  if (direction == "encode") return check_encode(d, rx, run, id);
  if (direction != "decode") throw FieldError{"direction", "neither decode nor encode"};
  const auto& spec = req(d, "receiver");
  if (spec.is_object()) {
    const nlohmann::json no_options = nlohmann::json::object();
    const auto& opt = spec.contains("options") ? req(spec, "options") : no_options;
    if (opt.is_object() && opt_uint(opt, "keySize", 128) != 128)
      return run.check(true, id, "");  // AES-256 receivers: vectors[]
    setup_receiver(spec, rx);
  } else if (!spec.is_string()) {
    throw FieldError{"receiver", "neither an object nor a continuation string"};
  }
  if (!rx.cryptor) return run.check(false, id, "no receiver");
  const auto& in = req(d, "input");
  fs::FrameInfo info = frame_info(in);
  Bytes frame = req_hex(in, "encrypted_frame_hex");
  Bytes out(frame.size() + 16);
  fs::livekit::DecryptReport rep;
  auto r = rx.cryptor->decrypt(info, frame, out, &rep);
  const auto& res = req(d, "result");
  const bool js_ok = opt_bool(res, "decrypted", false);
  if (js_ok) {
    if (!r)
      return run.check(false, id,
                       "package decrypted, frameseal dropped: " + std::string(fs::to_string(r.error())));
    return run.check(Bytes(r->begin(), r->end()) == req_hex(res, "output_frame_hex"), id,
                     "decrypted bytes differ");
  }
  if (!r) return run.check(true, id, "");
  run.check(rep.match.ratchet_steps > 0, id, "package rejected the frame but frameseal accepted it");
}

// Every record of a parsed vector file; usable on any JSON value (the fuzz target feeds mutated files).
inline VectorRun run_vectors(const nlohmann::json& j, bool quiet = false) {
  VectorRun run;
  run.quiet = quiet;
  if (!j.is_object()) {
    run.check(false, "file", "the top level is not an object");
    return run;
  }
  auto each = [&](const char* section, auto&& check) {
    if (!j.contains(section)) return;
    if (!j[section].is_array()) return run.check(false, section, "not an array");
    for (const auto& record : j[section])
      guarded(record, section, run, [&](const std::string& id) { check(record, id); });
  };
  each("ratchet_chains", [&](const nlohmann::json& c, const std::string& id) { check_chain(c, run, id); });
  each("vectors", [&](const nlohmann::json& v, const std::string& id) { check_vector(v, run, id); });
  DecodeReceiver rx;
  each("decode_behaviour",
       [&](const nlohmann::json& d, const std::string& id) { check_decode(d, rx, run, id); });
  each("data_vectors",
       [&](const nlohmann::json& v, const std::string& id) { check_data_vector(v, run, id, false); });
  each("data_track_vectors",
       [&](const nlohmann::json& v, const std::string& id) { check_data_vector(v, run, id, true); });
  return run;
}

}  // namespace cli
