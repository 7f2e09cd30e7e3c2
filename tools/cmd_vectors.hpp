// `frameseal vectors FILE.json`: checks a LiveKit known-answer file (schema:
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
#pragma once

#include "cli_common.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

namespace cli {

struct VectorRun {
  int passed = 0, failed = 0;
  void check(bool ok, const std::string& id, const std::string& why) {
    if (ok) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL %s: %s\n", id.c_str(), why.c_str());
    }
  }
};

inline Bytes hex_field(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return {};
  auto b = parse_hex(j[key].get<std::string>());
  return b ? *b : Bytes{};
}

inline fs::KdfAlgorithm kdf_field(const nlohmann::json& j) {
  return j.value("kdf", std::string("hkdf")) == "pbkdf2" ? fs::KdfAlgorithm::pbkdf2 : fs::KdfAlgorithm::hkdf;
}

inline void check_chain(const nlohmann::json& c, VectorRun& run) {
  const std::string id = c.value("id", std::string("chain"));
  const auto kdf = make_kdf(kdf_field(c));
  const std::string salt_s = c.value("ratchet_salt_utf8", std::string(fs::default_ratchet_salt));
  const fs::BytesIn salt = fs::as_bytes(salt_s);
  const auto& mats = c["materials_hex"];
  const auto& keys = c["aes_keys_hex"];
  bool ok = true;
  std::string why;
  for (std::size_t i = 0; i < mats.size(); ++i) {
    Bytes m = *parse_hex(mats[i].get<std::string>());
    if (i < keys.size()) {
      Bytes want = *parse_hex(keys[i].get<std::string>());
      Bytes got(want.size());
      if (kdf.derive(m, salt, got) != fs::Errc::ok || got != want) {
        ok = false;
        why += "aes key " + std::to_string(i) + " differs; ";
      }
    }
    if (i + 1 < mats.size()) {
      Bytes want = *parse_hex(mats[i + 1].get<std::string>());
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
  auto codec = fs::codec_from_string(v.value("codec", std::string()));
  info.codec = codec.value_or(fs::Codec::unknown);
  info.kind = v.value("kind", std::string("video")) == "audio" ? fs::MediaKind::audio : fs::MediaKind::video;
  if (v.contains("frame_type") && v["frame_type"].is_string()) info.key_frame = v["frame_type"] == "key";
  info.ssrc = v.value("ssrc", 0u);
  info.rtp_timestamp = v.value("rtp_timestamp", 0u);
  return info;
}

inline Bytes material_field(const nlohmann::json& v) {
  if (v.contains("passphrase_utf8") && v["passphrase_utf8"].is_string()) {
    std::string p = v["passphrase_utf8"];
    return Bytes(p.begin(), p.end());
  }
  return hex_field(v, "key_material_hex");
}

template <class C>
void check_vector_with(const nlohmann::json& v, VectorRun& run) {
  const std::string id = v.value("id", std::string("vector"));
  fs::KeyRingOptions ro;
  if (v.contains("ratchet_salt_hex")) ro.salt = hex_field(v, "ratchet_salt_hex");
  const auto kdf = make_kdf(kdf_field(v));
  const std::size_t kid = v.value("key_index", 0u);
  const Bytes material = material_field(v);
  const fs::FrameInfo info = frame_info(v);
  const Bytes plaintext = hex_field(v, "plaintext_hex");
  const Bytes expected = hex_field(v, "encrypted_frame_hex");

  auto sender = fs::KeyRing<C, fs::LivekitKdf>::create(ro, kdf);
  if (!sender || sender->set_key(kid, material) != fs::Errc::ok) return run.check(false, id, "cannot set the key");
  for (unsigned r = 0; r < v.value("ratchet_count", 0u); ++r)
    if (!sender->ratchet(kid % sender->size())) return run.check(false, id, "ratchet failed");
  std::string why;
  if (v.contains("current_material_hex")) {
    auto m = sender->export_key(kid % sender->size());
    if (!m || Bytes(m->view().begin(), m->view().end()) != hex_field(v, "current_material_hex")) why += "exported material differs; ";
    if (m && v.contains("aes_key_hex")) {
      Bytes k(C::key_bytes);
      if (kdf.derive(m->view(), ro.salt, k) != fs::Errc::ok || k != hex_field(v, "aes_key_hex")) why += "aes key differs; ";
    }
  }
  fs::livekit::FrameCryptor<C, fs::LivekitKdf, fs::livekit::LivekitIv> enc(
      *sender, {}, fs::livekit::LivekitIv(v.value("send_count_mod_65535", 0u)));
  Bytes out(decltype(enc)::max_encrypted_size(plaintext.size()));
  auto r = enc.encrypt(info, plaintext, out);
  if (!r) {
    why += "encrypt failed: " + std::string(fs::to_string(r.error())) + "; ";
  } else if (Bytes(r->begin(), r->end()) != expected) {
    why += "encrypted frame differs: got " + to_hex(*r) + "; ";
  }
  // A receiver that holds the un-ratcheted material catches up through its ratchet window.
  auto receiver = fs::KeyRing<C, fs::LivekitKdf>::create(ro, kdf);
  if (!receiver || receiver->set_key(kid, material) != fs::Errc::ok) return run.check(false, id, "cannot set the receiver key");
  fs::livekit::FrameCryptor<C, fs::LivekitKdf> dec(*receiver);
  Bytes back(expected.size());
  auto d = dec.decrypt(info, expected, back);
  Bytes want = plaintext;
  if (v.contains("package_roundtrip") && v["package_roundtrip"].contains("decrypted_frame_hex"))
    want = hex_field(v["package_roundtrip"], "decrypted_frame_hex");
  if (!d) {
    why += "decrypt failed: " + std::string(fs::to_string(d.error())) + "; ";
  } else if (Bytes(d->begin(), d->end()) != want) {
    why += "decrypted frame differs; ";
  }
  run.check(why.empty(), id, why);
}

inline void check_vector(const nlohmann::json& v, VectorRun& run) {
  const unsigned bits = v.value("key_size_bits", 128u);
  if (bits == 256)
    check_vector_with<fs::sodium::Aes256Gcm>(v, run);
  else
    check_vector_with<fs::openssl::Aes128Gcm>(v, run);
}

// One receiver of decode_behaviour; later records may say "same receiver".
struct DecodeReceiver {
  std::unique_ptr<fs::KeyRing<fs::openssl::Aes128Gcm, fs::LivekitKdf>> ring;
  std::unique_ptr<fs::livekit::FrameCryptor<fs::openssl::Aes128Gcm, fs::LivekitKdf>> cryptor;
};

inline void check_decode(const nlohmann::json& d, DecodeReceiver& rx, VectorRun& run) {
  const std::string id = d.value("id", std::string("decode"));
  const auto& spec = d["receiver"];
  if (spec.is_object()) {
    const auto& opt = spec.value("options", nlohmann::json::object());
    if (opt.value("keySize", 128) != 128) return run.check(true, id, "");
    fs::KeyRingOptions ro;
    ro.ratchet_window = opt.value("ratchetWindowSize", 16);
    ro.failure_tolerance = opt.value("failureTolerance", -1);
    ro.size = opt.value("keyringSize", 16);
    std::string salt = opt.value("ratchetSalt", std::string(fs::default_ratchet_salt));
    ro.salt.assign(salt.begin(), salt.end());
    auto ring = fs::KeyRing<fs::openssl::Aes128Gcm, fs::LivekitKdf>::create(ro, make_kdf(kdf_field(spec)));
    if (!ring) return run.check(false, id, "bad receiver options");
    rx.ring = std::make_unique<fs::KeyRing<fs::openssl::Aes128Gcm, fs::LivekitKdf>>(std::move(*ring));
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      const std::string k = it.key();
      const std::string prefix = "key_index_", suffix = "_material_hex";
      if (k.rfind(prefix, 0) == 0 && k.size() > prefix.size() + suffix.size() &&
          k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0) {
        std::size_t idx = std::stoul(k.substr(prefix.size(), k.size() - prefix.size() - suffix.size()));
        if (rx.ring->set_key(idx, *parse_hex(it.value().get<std::string>())) != fs::Errc::ok)
          return run.check(false, id, "cannot set receiver key");
      }
    }
    fs::livekit::FrameCryptorOptions fo;
    fo.sif_trailer = hex_field(spec, "sif_trailer_hex");
    rx.cryptor = std::make_unique<fs::livekit::FrameCryptor<fs::openssl::Aes128Gcm, fs::LivekitKdf>>(*rx.ring, fo);
  }
  if (!rx.cryptor) return run.check(false, id, "no receiver");
  const auto& in = d["input"];
  fs::FrameInfo info = frame_info(in);
  info.kind = in.value("codec", std::string()) == "opus" ? fs::MediaKind::audio : fs::MediaKind::video;
  Bytes frame = hex_field(in, "encrypted_frame_hex");
  Bytes out(frame.size() + 16);
  fs::livekit::DecryptReport rep;
  auto r = rx.cryptor->decrypt(info, frame, out, &rep);
  const auto& res = d["result"];
  const bool js_ok = res.value("decrypted", false);
  if (js_ok) {
    if (!r) return run.check(false, id, "package decrypted, frameseal dropped: " + std::string(fs::to_string(r.error())));
    return run.check(Bytes(r->begin(), r->end()) == hex_field(res, "output_frame_hex"), id, "decrypted bytes differ");
  }
  if (!r) return run.check(true, id, "");
  run.check(rep.match.ratchet_steps > 0, id, "package rejected the frame but frameseal accepted it");
}

inline int cmd_vectors(int argc, char** argv) {
  if (argc != 1) die("usage: frameseal vectors FILE.json");
  std::ifstream file(argv[0]);
  if (!file) die(std::string("cannot open ") + argv[0]);
  nlohmann::json j = nlohmann::json::parse(file, nullptr, false);
  if (j.is_discarded()) die(std::string(argv[0]) + ": not valid JSON");
  VectorRun run;
  for (const auto& c : j.value("ratchet_chains", nlohmann::json::array())) check_chain(c, run);
  for (const auto& v : j.value("vectors", nlohmann::json::array())) check_vector(v, run);
  DecodeReceiver rx;
  for (const auto& d : j.value("decode_behaviour", nlohmann::json::array())) check_decode(d, rx, run);
  std::printf("%d passed, %d failed\n", run.passed, run.failed);
  return run.failed == 0 && run.passed > 0 ? 0 : 1;
}

}  // namespace cli
