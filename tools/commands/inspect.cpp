// `frameseal inspect [options] IN`: what is inside each frame of a file. A plain file: codec, size,
// key frame. An encrypted one: what the bytes say without a key (the library's own parser,
// livekit::parse_frame or sframe::parse), and with a key whether each frame authenticates, how many
// ratchet steps it took, and whether the manifest holds. Exit 1 when a frame or the manifest fails.
#include "command.hpp"
#include "file_command.hpp"

#include <map>
#include <optional>

namespace cli {
namespace {

class Inspect final : public Command {
 public:
  Inspect() : Command("inspect [options] IN", "per-frame report (with a key: does it authenticate)") {}
  int run(int argc, char** argv) override;
};

inline nlohmann::json key_frame_json(std::optional<bool> k) {
  if (!k) return nullptr;
  return *k;
}

inline const char* key_frame_text(std::optional<bool> k) {
  return !k ? "?" : *k ? "yes" : "no";
}

inline int inspect_plain(const FileOptions& o, const media::MediaFile& m) {
  const std::string& in = o.paths[0];
  std::uint64_t bytes = 0;
  std::size_t keys = 0, frames = 0;
  nlohmann::ordered_json jf = nlohmann::ordered_json::array();
  if (!o.json)
    std::printf("%s: %s %s, not encrypted by frameseal, %zu frames\n%7s %12s %8s  %-5s %-4s\n", in.c_str(),
                std::string(fs::to_string(m.codec)).c_str(), std::string(m.container).c_str(),
                m.frames.size() - m.header_frames(), "frame", "pts", "bytes", "codec", "key");
  for (std::size_t i = 0; i < m.frames.size(); ++i) {
    const auto& f = m.frames[i];
    nlohmann::ordered_json j;
    j["index"] = i;
    j["pts"] = f.pts;
    j["size"] = f.data.size();
    if (f.header) {
      j["header"] = std::string(reinterpret_cast<const char*>(f.data.data()), 8);
    } else {
      j["codec"] = std::string(fs::to_string(m.codec));
      j["key_frame"] = key_frame_json(f.key);
      bytes += f.data.size();
      ++frames;
      if (f.key.value_or(false)) ++keys;
    }
    j["encrypted"] = false;
    if (o.hex) j["hex"] = to_hex(f.data);
    if (o.json) {
      jf.push_back(std::move(j));
    } else if (f.header) {
      std::printf("%7zu %12llu %8zu  %s header packet, clear\n", i, static_cast<unsigned long long>(f.pts),
                  f.data.size(), std::string(reinterpret_cast<const char*>(f.data.data()), 8).c_str());
    } else {
      std::printf("%7zu %12llu %8zu  %-5s %-4s%s%s\n", i, static_cast<unsigned long long>(f.pts),
                  f.data.size(), std::string(fs::to_string(m.codec)).c_str(),
                  (m.codec == fs::Codec::opus ? "-" : key_frame_text(f.key)), o.hex ? " " : "",
                  o.hex ? to_hex(f.data).c_str() : "");
    }
  }
  if (o.json) {
    nlohmann::ordered_json j;
    j["file"] = in;
    j["container"] = std::string(m.container);
    j["codec"] = std::string(fs::to_string(m.codec));
    j["encrypted"] = false;
    j["frames"] = std::move(jf);
    j["summary"] = {
        {"frames", frames}, {"header_frames", m.header_frames()}, {"bytes", bytes}, {"key_frames", keys}};
    std::printf("%s\n", j.dump(1).c_str());
  } else {
    std::printf("summary: %zu frames (%zu key frames), %llu bytes, not encrypted\n", frames, keys,
                static_cast<unsigned long long>(bytes));
  }
  return 0;
}

// The start of every row of both inspect commands: index, pts, size.
inline nlohmann::ordered_json inspect_row(std::size_t i, const media::MediaFrame& f) {
  nlohmann::ordered_json j;
  j["index"] = i;
  j["pts"] = f.pts;
  j["size"] = f.data.size();
  return j;
}

// A container's header packet (Ogg's OpusHead/OpusTags): clear, shown as such, never decrypted.
inline void inspect_header_packet(const FileOptions& o, std::size_t i, const media::MediaFrame& f,
                                  nlohmann::ordered_json j, nlohmann::ordered_json& jf) {
  const std::string name(reinterpret_cast<const char*>(f.data.data()), 8);
  j["header"] = name;
  j["encrypted"] = false;
  if (o.hex) j["hex"] = to_hex(f.data);
  if (o.json)
    jf.push_back(std::move(j));
  else
    std::printf("%7zu %12llu %8zu  %s header packet, clear\n", i, static_cast<unsigned long long>(f.pts),
                f.data.size(), name.c_str());
}

// The end of both inspect commands: the JSON document (head: the file's fields, then "frames"
// and "summary") or the text summary lines. Returns the exit code: 1 when a frame failed.
struct InspectTotals {
  std::uint64_t bytes = 0, plain_bytes = 0;
  std::size_t frames = 0, header_frames = 0, authenticated = 0, ratchet_steps = 0;
  std::optional<std::size_t> key_frames;  // LiveKit files: SFrame carries no key-frame flag
  std::map<std::string, std::size_t> failures;
};

inline int finish_inspect(const FileOptions& o, bool with_key, nlohmann::ordered_json head,
                          nlohmann::ordered_json frames_json, const InspectTotals& t) {
  std::size_t failed = 0;
  for (const auto& [_, n] : t.failures) failed += n;
  const std::int64_t overhead = static_cast<std::int64_t>(t.bytes) - static_cast<std::int64_t>(t.plain_bytes);
  const double overhead_pct =
      t.plain_bytes ? 100.0 * static_cast<double>(overhead) / static_cast<double>(t.plain_bytes) : 0.0;
  if (o.json) {
    head["frames"] = std::move(frames_json);
    nlohmann::ordered_json sum;
    sum["frames"] = t.frames;
    sum["header_frames"] = t.header_frames;
    if (t.key_frames) sum["key_frames"] = *t.key_frames;
    sum["bytes"] = t.bytes;
    sum["plaintext_bytes"] = t.plain_bytes;
    sum["overhead_bytes"] = overhead;
    sum["overhead_percent"] = std::round(overhead_pct * 1000) / 1000;
    if (with_key) {
      sum["authenticated"] = t.authenticated;
      sum["ratchet_steps"] = t.ratchet_steps;
    }
    sum["failed"] = failed;
    if (!o.manifest.empty()) sum["manifest"] = o.manifest;
    nlohmann::ordered_json fj = nlohmann::ordered_json::object();
    for (const auto& [reason, n] : t.failures) fj[reason] = n;
    sum["failures"] = fj;
    head["summary"] = sum;
    std::printf("%s\n", head.dump(1).c_str());
  } else {
    const std::string key_frames = t.key_frames ? " (" + std::to_string(*t.key_frames) + " key frames)" : "";
    std::printf("summary: %zu frames%s, %llu bytes, plaintext %llu bytes, overhead %lld bytes (%.2f%%)\n",
                t.frames, key_frames.c_str(), static_cast<unsigned long long>(t.bytes),
                static_cast<unsigned long long>(t.plain_bytes), static_cast<long long>(overhead),
                overhead_pct);
    if (with_key)
      std::printf("         %zu authenticated, %zu ratchet step%s followed, %zu failed\n", t.authenticated,
                  t.ratchet_steps, t.ratchet_steps == 1 ? "" : "s", failed);
    std::string ftext;
    for (const auto& [reason, n] : t.failures)
      ftext += (ftext.empty() ? "" : ", ") + reason + " " + std::to_string(n);
    std::printf("failures: %s\n", ftext.empty() ? "none" : ftext.c_str());
    if (!o.manifest.empty()) std::printf("manifest: %s\n", o.manifest.c_str());
  }
  const bool container_bad =
      o.manifest == "missing" || (with_key && o.manifest != "ok" && !o.manifest.empty());
  return failed || container_bad ? 1 : 0;
}

// The frames of an encrypted file, for both formats: a header packet is shown as such, every other
// frame is counted and handed to row(i, f, j), which fills its JSON object and, without --json, prints
// its table row; the JSON objects are collected in jf.
template <class Row>
void inspect_frames(const FileOptions& o, const media::MediaFile& m, InspectTotals& t,
                    nlohmann::ordered_json& jf, Row&& row) {
  for (std::size_t i = 0; i < m.frames.size(); ++i) {
    const media::MediaFrame& f = m.frames[i];
    nlohmann::ordered_json j = inspect_row(i, f);
    if (f.header) {
      inspect_header_packet(o, i, f, std::move(j), jf);
      continue;
    }
    ++t.frames;
    t.bytes += f.data.size();
    row(i, f, j);
    if (o.json) jf.push_back(std::move(j));
  }
}

// A decrypt attempt's outcome in the totals; returns the "auth" column (ok or the error).
inline std::string count_auth(InspectTotals& t, fs::Errc e, std::size_t ratchet_steps) {
  if (e != fs::Errc::ok) return std::string(fs::to_string(e));
  ++t.authenticated;
  t.ratchet_steps += ratchet_steps;
  return "ok";
}

// --hex: the frame's bytes and, when it decrypted, its plaintext, in the JSON object or below the row.
inline void inspect_hex(const FileOptions& o, nlohmann::ordered_json& j, fs::BytesIn frame,
                        const std::optional<fs::BytesIn>& plain) {
  if (!o.hex) return;
  if (o.json) {
    j["hex"] = to_hex(frame);
    if (plain) j["plaintext_hex"] = to_hex(*plain);
    return;
  }
  std::printf("        frame %s\n", to_hex(frame).c_str());
  if (plain) std::printf("        plain %s\n", to_hex(*plain).c_str());
}

template <class C>
int inspect_encrypted(FileOptions& o, const media::MediaFile& m, CipherId cipher) {
  using Cryptor = fs::livekit::FrameCryptor<C, fs::livekit::UniqueIv>;
  const std::string& in = o.paths[0];
  const bool with_key = o.key.has_key();
  std::optional<fs::KeyRing<C, fs::LivekitKdf>> ring;
  std::optional<Cryptor> cryptor;
  std::size_t largest = 0;
  for (const auto& f : m.frames) largest = std::max(largest, f.data.size());
  if (with_key) {
    ring.emplace(make_ring<C>(o.key));
    fs::livekit::FrameCryptorOptions fo;
    fo.reserve_bytes = largest;
    fo.sif_trailer = o.key.sif_trailer;
    cryptor.emplace(*ring, fo);
  }
  media::Bytes scratch(largest + 1), plain(largest + 1);
  const fs::FrameInfo base = base_frame_info(m.codec);
  const std::string codec_name(fs::to_string(m.codec));

  InspectTotals t;
  t.header_frames = m.header_frames();
  t.key_frames = 0;
  nlohmann::ordered_json jf = nlohmann::ordered_json::array();

  if (!o.json) {
    std::printf("%s: frameseal-encrypted IVF, LiveKit format, %s, cipher %s, %zu frames", in.c_str(),
                codec_name.c_str(), name_of(cipher).c_str(), m.frames.size() - m.header_frames());
    if (with_key)
      std::printf("; key %s (%s), ratchet window %zu", fingerprint(o.key.material).c_str(),
                  o.key.source.c_str(), o.key.window);
    std::printf("\n%7s %12s %8s  %-5s %-4s %6s %4s  %-24s %-4s%s\n", "frame", "pts", "bytes", "codec", "key",
                "clear", "kid", "iv", "sif", with_key ? "  auth" : "");
  }
  inspect_frames(o, m, t, jf, [&](std::size_t i, const media::MediaFrame& f, nlohmann::ordered_json& j) {
    fs::FrameInfo info = base;
    info.rtp_timestamp = rtp_timestamp(m, f.pts);
    // What the bytes say, without a key: the library's own parser (livekit/frame_layout.hpp).
    const fs::BytesIn frame = f.data;
    fs::livekit::LayoutOptions lo;
    lo.sif_trailer = o.key.sif_trailer;
    const fs::livekit::FrameLayout lay =
        fs::livekit::parse_frame(info, frame, fs::BytesOut(scratch.data(), scratch.size()), lo, C::tag_bytes);
    fs::Errc problem = lay.problem;  // ok: no problem
    const std::optional<bool> key = lay.key_frame;
    const std::string shown_codec(fs::to_string(lay.codec));
    const std::size_t clear = lay.clear_bytes;
    const std::optional<unsigned> kid =
        lay.has_key_index() ? std::optional<unsigned>(lay.key_index) : std::nullopt;
    const std::string iv = lay.iv ? to_hex(*lay.iv) : std::string();
    const bool sif = lay.kind == fs::livekit::FrameKind::sif || problem == fs::Errc::sif_rejected;
    std::size_t plaintext_size = lay.plaintext_bytes.value_or(0);
    if (key.value_or(false)) ++*t.key_frames;
    // With a key: does it authenticate?
    std::string auth;
    fs::livekit::DecryptReport rep;
    std::optional<fs::BytesIn> decrypted;
    if (with_key) {
      auto r = cryptor->decrypt(info, frame, fs::BytesOut(plain.data(), plain.size()), &rep);
      problem = r ? fs::Errc::ok : r.error();
      auth = count_auth(t, problem, r ? rep.match.ratchet_steps : 0);
      if (r) {
        if (rep.match.ratchet_steps > 0) (void)ring->refill(rep.key_index);  // top the window up again
        decrypted = *r;
        plaintext_size = r->size();
      }
    }
    if (problem != fs::Errc::ok) ++t.failures[std::string(fs::to_string(problem))];
    t.plain_bytes += problem != fs::Errc::ok && !decrypted ? 0 : plaintext_size;

    j["codec"] = shown_codec;
    j["key_frame"] = key_frame_json(key);
    j["encrypted"] = !frame.empty() && !(sif && problem == fs::Errc::ok);
    j["clear_bytes"] = clear;
    j["key_index"] = kid ? nlohmann::json(*kid) : nlohmann::json(nullptr);
    j["iv"] = iv.empty() ? nlohmann::json(nullptr) : nlohmann::json(iv);
    j["sif"] = sif;
    j["plaintext_size"] =
        problem != fs::Errc::ok && !decrypted ? nlohmann::json(nullptr) : nlohmann::json(plaintext_size);
    if (with_key) {
      j["auth"] = auth;
      if (decrypted) {
        j["ratchet_steps"] = rep.match.ratchet_steps;
        j["previous_generation"] = rep.match.previous_generation;
        j["attempts"] = rep.match.attempts;
        j["generation"] = ring->generation(rep.key_index);
      }
    } else if (problem != fs::Errc::ok) {
      j["error"] = std::string(fs::to_string(problem));
    }
    if (o.json) return inspect_hex(o, j, frame, decrypted);
    std::string auth_text;
    if (with_key) {
      auth_text = "  " + auth;
      if (decrypted && rep.match.ratchet_steps)
        auth_text += " after " + std::to_string(rep.match.ratchet_steps) + " ratchet step" +
                     (rep.match.ratchet_steps > 1 ? "s" : "") + " (generation " +
                     std::to_string(ring->generation(rep.key_index)) + ")";
      if (decrypted && rep.match.previous_generation)
        auth_text += " with the key " + std::to_string(rep.match.previous_generation) + " generation(s) back";
    } else if (problem != fs::Errc::ok) {
      auth_text = "  " + std::string(fs::to_string(problem));
    }
    std::printf("%7zu %12llu %8zu  %-5s %-4s %6zu %4s  %-24s %-4s%s\n", i,
                static_cast<unsigned long long>(f.pts), frame.size(), shown_codec.c_str(),
                (m.codec == fs::Codec::opus ? "-" : key_frame_text(key)), clear,
                kid ? std::to_string(*kid).c_str() : "-", iv.empty() ? "-" : iv.c_str(), sif ? "yes" : "no",
                auth_text.c_str());
    inspect_hex(o, j, frame, decrypted);
  });
  nlohmann::ordered_json head;
  head["file"] = in;
  head["container"] = "ivf";
  head["codec"] = codec_name;
  head["encrypted"] = true;
  head["format"] = "livekit";
  head["cipher"] = name_of(cipher);
  if (with_key) {
    head["key_fingerprint"] = fingerprint(o.key.material);
    head["ratchet_window"] = o.key.window;
  }
  return finish_inspect(o, with_key, std::move(head), std::move(jf), t);
}

// inspect for SFrame files: the header (KID, CTR) of each frame; with a key, whether it
// authenticates and how many ratchet steps the receiver took.
template <class S>
int inspect_sframe(FileOptions& o, const media::MediaFile& m, CipherId cipher) {
  const std::string& in = o.paths[0];
  const bool with_key = o.key.has_key();
  std::optional<sf::FrameCryptor<S>> cryptor;
  if (with_key) cryptor.emplace(make_sframe_cryptor<S>(o.key, false));
  std::size_t largest = 0;
  for (const auto& f : m.frames) largest = std::max(largest, f.data.size());
  media::Bytes plain(largest + 1);
  const fs::FrameInfo base = base_frame_info(m.codec);
  const std::string codec_name(fs::to_string(m.codec));
  InspectTotals t;
  t.header_frames = m.header_frames();
  nlohmann::ordered_json jf = nlohmann::ordered_json::array();
  if (!o.json) {
    std::printf("%s: frameseal-encrypted IVF, SFrame format (RFC 9605), suite %s (%s), %s, %zu frames",
                in.c_str(), std::string(S::name).c_str(), name_of(cipher).c_str(), codec_name.c_str(),
                m.frames.size() - m.header_frames());
    if (with_key)
      std::printf("; key %s (%s), ratchet bits %zu", fingerprint(o.key.material).c_str(),
                  o.key.source.c_str(), o.key.ratchet_bits);
    std::printf("\n%7s %12s %8s  %-5s %6s %10s %14s%s\n", "frame", "pts", "bytes", "codec", "header", "kid",
                "ctr", with_key ? "  auth" : "");
  }
  inspect_frames(o, m, t, jf, [&](std::size_t i, const media::MediaFrame& f, nlohmann::ordered_json& j) {
    fs::Errc problem = fs::Errc::ok;
    sf::HeaderFault fault = sf::HeaderFault::none;
    auto h = sf::parse(f.data, &fault);
    std::size_t plaintext_size = 0;
    if (!h)
      problem = h.error();
    else if (f.data.size() < h->size + S::tag_bytes)
      problem = fs::Errc::malformed_frame;
    else
      plaintext_size = f.data.size() - h->size - S::tag_bytes;
    std::string auth;
    sf::DecryptReport rep;
    std::optional<fs::BytesIn> decrypted;
    if (with_key) {
      fs::FrameInfo info = base;
      auto r = cryptor->decrypt(info, f.data, fs::BytesOut(plain.data(), plain.size()), &rep);
      problem = r ? fs::Errc::ok : r.error();
      auth = count_auth(t, problem, r ? rep.ratchet_steps : 0);
      if (r) decrypted = *r;
    }
    if (problem != fs::Errc::ok)
      ++t.failures[std::string(fs::to_string(problem))];
    else
      t.plain_bytes += plaintext_size;
    j["codec"] = codec_name;
    j["key_frame"] = nullptr;  // SFrame encrypts the whole frame
    j["encrypted"] = true;
    j["header_bytes"] = h ? nlohmann::json(h->size) : nlohmann::json(nullptr);
    j["kid"] = h ? nlohmann::json(h->header.kid) : nlohmann::json(nullptr);
    j["ctr"] = h ? nlohmann::json(h->header.ctr) : nlohmann::json(nullptr);
    j["plaintext_size"] = problem == fs::Errc::ok ? nlohmann::json(plaintext_size) : nlohmann::json(nullptr);
    if (!h) j["header_fault"] = std::string(sf::to_string(fault));
    if (with_key) {
      j["auth"] = auth;
      if (decrypted) {
        j["ratchet_steps"] = rep.ratchet_steps;
        j["kept_step"] = rep.kept_step;
      }
    } else if (problem != fs::Errc::ok) {
      j["error"] = std::string(fs::to_string(problem));
    }
    if (o.json) return inspect_hex(o, j, f.data, decrypted);
    std::string auth_text;
    if (with_key) {
      auth_text = "  " + auth;
      if (decrypted && rep.ratchet_steps)
        auth_text += " after " + std::to_string(rep.ratchet_steps) + " ratchet step" +
                     (rep.ratchet_steps > 1 ? "s" : "");
      if (decrypted && rep.kept_step) auth_text += " (an older kept step)";
    } else if (problem != fs::Errc::ok) {
      auth_text = "  " + std::string(fs::to_string(problem)) +
                  (h ? "" : " (" + std::string(sf::to_string(fault)) + ")");
    }
    std::printf("%7zu %12llu %8zu  %-5s %6s %10s %14s%s\n", i, static_cast<unsigned long long>(f.pts),
                f.data.size(), codec_name.c_str(), h ? std::to_string(h->size).c_str() : "-",
                h ? std::to_string(h->header.kid).c_str() : "-",
                h ? std::to_string(h->header.ctr).c_str() : "-", auth_text.c_str());
    inspect_hex(o, j, f.data, decrypted);
  });
  nlohmann::ordered_json head;
  head["file"] = in;
  head["container"] = "ivf";
  head["codec"] = codec_name;
  head["encrypted"] = true;
  head["format"] = "sframe";
  head["suite"] = std::string(S::name);
  head["cipher"] = name_of(cipher);
  if (with_key) {
    head["key_fingerprint"] = fingerprint(o.key.material);
    head["ratchet_bits"] = o.key.ratchet_bits;
  }
  return finish_inspect(o, with_key, std::move(head), std::move(jf), t);
}

int Inspect::run(int argc, char** argv) {
  FileOptions o = parse_file_options(argc, argv, "inspect");
  const std::string& in = o.paths[0];
  InputFile input = read_input(in, o.codec_hint);
  const media::Bytes& file = input.bytes;
  media::MediaFile& m = input.media;
  int rc;
  if (!m.mark) {
    rc = inspect_plain(o, m);
  } else {
    const CipherId cipher = encrypted_file_cipher(in, m, o.key, o.format_given);
    const auto man = take_manifest(file, m);
    o.manifest = !man                                    ? "missing"
                 : !o.key.has_key()                      ? "present (not checked without a key)"
                 : manifest_authentic(file, *man, o.key) ? "ok"
                                                         : "does not authenticate";
    if (o.key.format == "sframe")
      rc = with_suite(cipher, [&]<class S>() { return inspect_sframe<S>(o, m, cipher); });
    else
      rc = with_cipher(cipher, [&]<class C>() { return inspect_encrypted<C>(o, m, cipher); });
  }
  o.key.wipe();
  return rc;
}

FRAMESEAL_CLI_COMMAND("inspect", Inspect);

}  // namespace

}  // namespace cli
