// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<name>/) from the livekit-client
// and RFC 9605 vectors, the media samples in tests/data and frames the library encrypts itself.
// Deterministic: IVs and SFrame counters are fixed, so running it again gives the same files.
//
//   fuzz-make-seeds tests/fuzz/corpus      (built by meson next to the fuzz targets)
//
// Each target's input layout is described at the top of its fuzz_<name>.cpp; the seeds follow it.
// Every corpus folder is emptied first. Seeds stay small (the whole corpus well under 1 MB).
#include <frameseal/frameseal.hpp>
#if defined(FRAMESEAL_FUZZ_OPENSSL)
#  include <frameseal/ciphers/openssl.hpp>
#  include <frameseal/sframe/openssl_suites.hpp>
#endif
#include <media/annexb.hpp>
#include <media/containers.hpp>
#include <media/ivf.hpp>
#include <media/ogg.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>

#include "fuzz_livekit_frame.hpp"

namespace fs = std::filesystem;
using namespace frameseal;
using fsfuzz::Bytes;
using fsfuzz::BytesIn;

namespace {

fs::path g_root;
std::map<std::string, std::size_t> g_counts, g_bytes;

Bytes hex(std::string_view h) {
  Bytes b;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    b.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return b;
}
Bytes cat(std::initializer_list<BytesIn> parts) {
  Bytes out;
  for (BytesIn p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes str(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
Bytes read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "make_seeds: cannot read %s\n", p.c_str());
    std::exit(1);
  }
  return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void seed(const std::string& target, const std::string& name, BytesIn data) {
  const fs::path dir = g_root / target;
  if (!g_counts.count(target)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  std::ofstream f(dir / name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ++g_counts[target];
  g_bytes[target] += data.size();
}

// frame_layout reads the same input as livekit_decrypt's mode A (three configuration bytes, then
// the received frame), so every mode-A seed of that target seeds it too.
void seed_livekit_frame(const std::string& name, BytesIn data) {
  seed("livekit_decrypt", name, data);
  if (data.size() >= 3 && (data[1] & 0x10) == 0) seed("frame_layout", name, data);
}

Bytes random_bytes(std::size_t n, std::uint32_t s) {
  std::mt19937 rng(s);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// Realistic frames (what the clear-header rules look at is real; the rest is random).
Bytes opus_frame(std::size_t n) {
  Bytes b = random_bytes(n, 1);
  b[0] = 0x78;
  return b;
}
Bytes vp8_key(std::size_t n) {
  Bytes b = random_bytes(n, 2);
  const Bytes h = hex("5004009d012a4001b400");
  std::copy_n(h.begin(), std::min(n, h.size()), b.begin());
  return b;
}
Bytes vp8_delta(std::size_t n) {
  Bytes b = random_bytes(n, 3);
  b[0] = 0x31;
  return b;
}
Bytes h264_key(std::size_t n, bool zeros = true) {
  Bytes b = hex("000000016742c01fda0507e840000003004000000f03c50aa80000000168ce3c8000000001658884");
  Bytes body = random_bytes(n, 4);
  if (zeros)
    for (std::size_t i = 5; i + 3 < body.size(); i += 37) body[i] = body[i + 1] = 0;
  return cat({b, body});
}
Bytes h264_short_codes(std::size_t n) {  // 3-byte start codes: normalised on send
  return cat({hex("0000016742c01fda0507e840000003004000000f03c50aa8000001"
                  "68ce3c80000001"
                  "65888400"),
              random_bytes(n, 5)});
}
Bytes h264_delta(std::size_t n) {
  return cat({hex("0000000141e2"), random_bytes(n, 6)});
}
Bytes h265_key(std::size_t n) {
  return cat(
      {hex("0000000140010c01ffff016000000300b0000003000003005d1702400000000142010101600000030000030000030000"
           "0300000000000144c172b46240000000012601af"),
       random_bytes(n, 7)});
}

struct Plain {
  const char* name;
  std::uint8_t codec;  // fsfuzz::frame_info byte (codec | key flag << 3)
  Bytes frame;
};

std::vector<Plain> plaintexts() {
  return {
      {"opus", 0, opus_frame(60)},
      {"vp8-key", 1 | 1 << 3, vp8_key(120)},
      {"vp8-key-from-bytes", 1, vp8_key(80)},
      {"vp8-delta", 1 | 2 << 3, vp8_delta(70)},
      {"vp9", 2 | 1 << 3, random_bytes(90, 8)},
      {"h264-key", 3 | 1 << 3, h264_key(150)},
      {"h264-short-start-codes", 3 | 1 << 3, h264_short_codes(60)},
      {"h264-delta", 3 | 2 << 3, h264_delta(80)},
      {"h264-all-zero-body", 3 | 1 << 3, cat({hex("0000000165888400"), Bytes(64, 0)})},
      {"h264-no-slice", 3 | 2 << 3, hex("000000016742c01fda0507e840000003004000000f03c50aa8")},
      {"h264-leading-data", 3 | 1 << 3, cat({hex("ff000000016588"), random_bytes(40, 9)})},
      {"h265-key", 4 | 1 << 3, h265_key(120)},
      {"av1", 5 | 1 << 3, random_bytes(40, 10)},
      {"audio-1-byte", 0, Bytes{0x78}},
  };
}

const Bytes sif_trailer_bytes = str(fsfuzz::sif_trailer);

// Encrypts with the fixed ring of the LiveKit targets (kid: 0, 3 or 5).
template <class C>
Bytes lk_encrypt(std::uint8_t codec, BytesIn plain, std::uint8_t kid = 0) {
  auto ring = fsfuzz::fixed_ring<C>();
  (void)ring.set_current_index(kid);
  livekit::FrameCryptor<C> tx(ring, {}, livekit::UniqueIv(0x51515151, 100));
  Bytes out(livekit::FrameCryptor<C>::max_encrypted_size(plain.size()));
  auto r = tx.encrypt(fsfuzz::frame_info(codec), plain, out);
  if (!r) return {};
  return Bytes(r->begin(), r->end());
}

void livekit_seeds(const nlohmann::json& lk) {
  // Mode A: the livekit-client vectors (AES-128-GCM: cipher byte 2).
  for (const auto& v : lk["vectors"]) {
    const std::string codec = v["codec"];
    std::uint8_t b0 = codec == "opus" ? 0 : codec == "vp8" ? 1 : codec == "vp9" ? 2 : codec == "h264" ? 3 : 4;
    if (v["frame_type"] == "key") b0 |= 1 << 3;
    if (v["frame_type"] == "delta") b0 |= 2 << 3;
    const Bytes frame = hex(v["encrypted_frame_hex"].get<std::string>());
    seed_livekit_frame("vector-" + v["id"].get<std::string>(), cat({Bytes{b0, 2, 0}, frame}));
    seed_livekit_frame("vector-in-place-" + v["id"].get<std::string>(),
                       cat({Bytes{static_cast<std::uint8_t>(b0 | 0x80), 2 | 1 << 2, 0}, frame}));
    seed("nalu", "vector-" + v["id"].get<std::string>(),
         cat({Bytes{1}, hex(v["plaintext_hex"].get<std::string>())}));
    seed("livekit_encrypt", "vector-" + v["id"].get<std::string>(),
         cat({Bytes{b0, 2, 0}, hex(v["plaintext_hex"].get<std::string>())}));
  }
  for (const auto& d : lk["decode_behaviour"]) {
    const std::string codec = d["input"]["codec"];
    std::uint8_t b0 = codec == "opus" ? 0 : 1;
    if (d["input"]["frame_type"] == "key") b0 |= 1 << 3;
    const bool sif = d["id"].get<std::string>().find("sif") != std::string::npos;
    if (sif) b0 |= 0x40;
    seed_livekit_frame("decode-" + d["id"].get<std::string>(),
                       cat({Bytes{b0, 2, 0}, hex(d["input"]["encrypted_frame_hex"].get<std::string>())}));
  }

  // Mode A: frames this library encrypts, per codec and cipher; and mode B: every mutation.
  for (const Plain& p : plaintexts()) {
    for (std::uint8_t cipher : {0, 1, 2}) {
      Bytes enc;
      if (cipher == 0) enc = lk_encrypt<sodium::ChaCha20Poly1305>(p.codec, p.frame);
      if (cipher == 1 && sodium::Aes256Gcm::available())
        enc = lk_encrypt<sodium::Aes256Gcm>(p.codec, p.frame);
#if defined(FRAMESEAL_FUZZ_OPENSSL)
      if (cipher == 2) enc = lk_encrypt<openssl::Aes128Gcm>(p.codec, p.frame);
#endif
      if (enc.empty()) continue;
      const std::string tag = std::string(p.name) + "-c" + std::to_string(cipher);
      seed_livekit_frame("frame-" + tag, cat({Bytes{p.codec, cipher, 0}, enc}));
      seed_livekit_frame("frame-in-place-" + tag, cat({Bytes{static_cast<std::uint8_t>(p.codec | 0x80),
                                                             static_cast<std::uint8_t>(cipher | 1 << 2), 0},
                                                       enc}));
      if (cipher == 0) {
        seed_livekit_frame("frame-out-short-" + tag,
                           cat({Bytes{p.codec, static_cast<std::uint8_t>(cipher | 2 << 2), 1}, enc}));
        // With an LKTS packet trailer (frame id 7, timestamp) after the E2EE trailer.
        livekit::PacketTrailerFields f;
        f.user_timestamp = 1700000000000000ull;
        f.frame_id = 7;
        Bytes with(enc.size() + livekit::packet_trailer_size(f));
        auto a = livekit::append_packet_trailer(enc, f, with);
        if (a)
          seed_livekit_frame("frame-lkts-" + tag,
                             cat({Bytes{static_cast<std::uint8_t>(p.codec | 0x20), cipher, 0}, with}));
      }
    }
    for (std::uint8_t mutation = 0; mutation < 8; ++mutation) {
      const std::uint8_t b1 = static_cast<std::uint8_t>(0x10 | mutation << 5);
      seed_livekit_frame("mutate-" + std::to_string(mutation) + "-" + p.name,
                         cat({Bytes{p.codec, b1, 0, static_cast<std::uint8_t>(mutation % 3), 0,
                                    static_cast<std::uint8_t>(7 * mutation + 3), 0x0c},
                              p.frame}));
    }
    for (std::uint8_t cipher : {0, 1, 2}) {
      seed("livekit_encrypt", std::string(p.name) + "-c" + std::to_string(cipher),
           cat({Bytes{p.codec, static_cast<std::uint8_t>(cipher | (cipher << 2)), cipher}, p.frame}));
    }
    seed("nalu", p.name, cat({Bytes{3}, p.frame}));
  }
  // Bad input of the table in docs/api.md.
  for (std::uint8_t b0 : {0, 1 | 1 << 3, 3 | 1 << 3}) {
    seed_livekit_frame("empty-" + std::to_string(b0), Bytes{b0, 0, 0});
    seed_livekit_frame("one-byte-" + std::to_string(b0), Bytes{b0, 0, 0, 0x78});
    seed_livekit_frame("two-bytes-" + std::to_string(b0), Bytes{b0, 0, 0, 0x0c, 0x00});
  }
  seed_livekit_frame(
      "sif-known", cat({Bytes{1 | 1 << 3 | 0x40, 0, 0}, livekit::sif_vp8_key_frame_8x8, sif_trailer_bytes}));
  seed_livekit_frame("sif-unknown",
                     cat({Bytes{1 | 1 << 3 | 0x40, 0, 0}, random_bytes(30, 11), sif_trailer_bytes}));
  seed_livekit_frame("lkts-bad-length",
                     cat({Bytes{0x20, 0, 0}, opus_frame(40), Bytes{0xff ^ 200}, str("LKTS")}));
}

void codec_seeds() {
  // NAL units: start-code corner cases.
  const std::vector<std::pair<std::string, Bytes>> streams = {
      {"short", hex("000001")},
      {"start-code-at-end", hex("6500000001")},
      {"four-zeros", hex("00000000016588")},
      {"empty-nalu", hex("000001000001658844")},
      {"trailing-zeros", hex("0000000167420000000000000165880000")},
      {"h265-vcl", hex("000000012601af0000000140010c01")},
      {"h265-after-h264-sei", hex("00000001060000000126010000000141e2")},
      {"leading", hex("0100000165888400")},
      {"zeros-only", Bytes(12, 0)},
      {"dense-start-codes",
       [] {
         Bytes b;
         for (int i = 0; i < 40; ++i) b.insert(b.end(), {0, 0, 1, static_cast<std::uint8_t>(i)});
         return b;
       }()},
  };
  for (const auto& [name, s] : streams) seed("nalu", name, cat({Bytes{0}, s}));

  // RBSP: zero runs of every length before each small byte, existing escapes, a trailing 00 00 03.
  for (std::size_t run = 0; run <= 5; ++run)
    for (std::uint8_t b : {0, 1, 2, 3, 4}) {
      Bytes x(run, 0);
      x.push_back(b);
      x.insert(x.end(), {0x12, 0, 0});
      seed("rbsp", "run" + std::to_string(run) + "-then-" + std::to_string(b),
           cat({Bytes{static_cast<std::uint8_t>(run)}, x}));
    }
  seed("rbsp", "escaped", cat({Bytes{1}, hex("0000030100000302000003030000030012000003")}));
  seed("rbsp", "trailing-escape", cat({Bytes{2}, hex("aa000003")}));
  seed("rbsp", "random", cat({Bytes{0}, random_bytes(200, 12)}));
  seed("rbsp", "ciphertext-like", cat({Bytes{0}, h264_key(100)}));

  // VP8.
  seed("vp8", "key", cat({Bytes{0}, vp8_key(60)}));
  seed("vp8", "key-told", cat({Bytes{1 | 4}, vp8_key(60)}));
  seed("vp8", "delta", cat({Bytes{2}, vp8_delta(30)}));
  seed("vp8", "delta-from-bytes-in-place", cat({Bytes{4}, vp8_delta(30)}));
  seed("vp8", "key-aes", cat({Bytes{1 << 3}, vp8_key(60)}));
  seed("vp8", "sif-blank", cat({Bytes{0}, livekit::sif_vp8_key_frame_8x8}));
  seed("vp8", "nine-bytes-key", cat({Bytes{1}, vp8_key(9)}));
  seed("vp8", "two-bytes", Bytes{2, 0x31, 0x00});
  seed("vp8", "empty", Bytes{0});

  // SIF: every allow-listed payload with the room trailer, and near misses.
  const Bytes sc = {0, 0, 0, 1};
  Bytes opus_silence = {0xf8, 0xff, 0xfe};
  opus_silence.resize(80, 0);
  const std::vector<std::pair<std::string, Bytes>> payloads = {
      {"vp8", Bytes(livekit::sif_vp8_key_frame_8x8.begin(), livekit::sif_vp8_key_frame_8x8.end())},
      {"opus", opus_silence},
      {"opus-red", cat({Bytes{0x6f}, opus_silence})},
      {"h264-sps", Bytes(livekit::sif_h264_sps_2x2.begin(), livekit::sif_h264_sps_2x2.end())},
      {"h264-pps", Bytes(livekit::sif_h264_pps_2x2.begin(), livekit::sif_h264_pps_2x2.end())},
      {"h264-idr", Bytes(livekit::sif_h264_idr_2x2.begin(), livekit::sif_h264_idr_2x2.end())},
      {"pcmu", Bytes(160, 0xff)},
      {"pcma", Bytes(160, 0xd5)},
      {"annexb-sps-pps-idr",
       cat({sc, livekit::sif_h264_sps_2x2, sc, livekit::sif_h264_pps_2x2, sc, livekit::sif_h264_idr_2x2})},
      {"annexb-idr", cat({sc, livekit::sif_h264_idr_2x2})},
      {"unknown", random_bytes(31, 13)},
      {"empty", Bytes{}},
  };
  for (const auto& [name, p] : payloads) {
    seed("sif", name + "-trailer", cat({Bytes{21 | 1 << 5}, p, sif_trailer_bytes}));
    seed("sif", name + "-short-trailer", cat({Bytes{4}, str("SIF!"), p, str("SIF!")}));
    seed("sif", name + "-no-trailer", cat({Bytes{21}, p}));
  }

  // LKTS packet trailer.
  for (std::uint8_t fields = 0; fields < 8; ++fields) {
    livekit::PacketTrailerFields f;
    if (fields & 1) f.user_timestamp = 0x0001020304050607ull;
    if (fields & 2) f.frame_id = 0x11223344;
    const Bytes user = str("user data");
    if (fields & 4) f.user_data = user;
    const Bytes frame = opus_frame(30);
    Bytes out(frame.size() + livekit::packet_trailer_size(f));
    auto a = livekit::append_packet_trailer(frame, f, out);
    if (a) seed("packet_trailer", "parse-fields-" + std::to_string(fields), cat({Bytes{0}, *a}));
    Bytes append = {static_cast<std::uint8_t>(1 | fields << 1)};
    if (fields & 1) append.insert(append.end(), {0, 1, 2, 3, 4, 5, 6, 7});
    if (fields & 2) append.insert(append.end(), {0x11, 0x22, 0x33, 0x44});
    if (fields & 4) {
      append.push_back(static_cast<std::uint8_t>(user.size()));
      append.insert(append.end(), user.begin(), user.end());
    }
    seed("packet_trailer", "append-fields-" + std::to_string(fields), cat({append, frame}));
  }
  seed("packet_trailer", "magic-only", cat({Bytes{0}, str("LKTS")}));
  seed("packet_trailer", "bad-length", cat({Bytes{0}, opus_frame(10), Bytes{0xff ^ 3}, str("LKTS")}));
  seed("packet_trailer", "unknown-tlv",
       cat({Bytes{0}, opus_frame(10), Bytes{0xff ^ 9, 0xff ^ 1, 0x00, 0xff ^ 8}, str("LKTS")}));
  seed("packet_trailer", "long-user-data", cat({Bytes{1 | 8, 250}, random_bytes(250, 14), opus_frame(10)}));
}

template <class S>
Bytes sf_encrypt(unsigned ratchet_bits, std::uint64_t generation, std::size_t steps, BytesIn plain,
                 BytesIn metadata) {
  sframe::FrameCryptorOptions o;
  o.ratchet_bits = ratchet_bits;
  o.max_metadata_bytes = 16;
  o.counter_start = sframe::CounterStart::zero;
  auto tx = sframe::FrameCryptor<S>::create(o);
  if (!tx) return {};
  for (std::uint64_t g : {0, 1, 300}) {
    const std::string base = "sframe fuzz base key " + std::to_string(g);
    if (tx->add_key(g << ratchet_bits, as_bytes(base), sframe::KeyUsage::encrypt) != Errc::ok) return {};
  }
  std::uint64_t kid = generation << ratchet_bits;
  if (tx->set_encrypt_key(kid) != Errc::ok) return {};
  for (std::size_t i = 0; i < steps; ++i) {
    auto n = tx->ratchet(kid);
    if (!n) return {};
    kid = *n;
    if (tx->set_encrypt_key(kid) != Errc::ok) return {};
  }
  Bytes out(sframe::FrameCryptor<S>::max_encrypted_size(plain.size()));
  auto r = tx->encrypt(plain, out, metadata);
  if (!r) return {};
  return Bytes(r->begin(), r->end());
}

void sframe_seeds(const nlohmann::json& rfc) {
  std::size_t i = 0;
  for (const auto& h : rfc["header"]) {
    if (i++ % 6 != 0) continue;  // a sample of the 289 headers
    seed("sframe_header",
         "rfc-" + std::to_string(h["kid"].get<std::uint64_t>()) + "-" +
             std::to_string(h["ctr"].get<std::uint64_t>()),
         hex(h["encoded"].get<std::string>()));
  }
  seed("sframe_header", "empty", Bytes{});
  seed("sframe_header", "truncated", hex("8f01"));
  seed("sframe_header", "non-minimal-kid", hex("8007"));
  seed("sframe_header", "non-minimal-ctr", hex("090001"));
  seed("sframe_header", "max", hex("ffffffffffffffffffffffffffffffffff"));

  // Mode A: the RFC's frames (other keys: they fail, but their shapes are right), and ours.
  for (const auto& v : rfc["sframe"]) {
    const std::uint8_t suite = v["cipher_suite"] == 5   ? 1
                               : v["cipher_suite"] == 4 ? 2
                               : v["cipher_suite"] == 1 ? 3
                                                        : 0;
    const Bytes meta = hex(v["metadata"].get<std::string>());
    seed("sframe_decrypt", "rfc-suite-" + std::to_string(v["cipher_suite"].get<int>()),
         cat({Bytes{suite, 0, 0, static_cast<std::uint8_t>(meta.size())}, meta,
              hex(v["ct"].get<std::string>())}));
  }
  const Bytes plain = str("a frame of media, more or less");
  const Bytes meta = str("rtp hdr");
  for (std::uint8_t suite = 0; suite < 4; ++suite)
    for (std::uint8_t rb = 0; rb < 4; ++rb) {
      static constexpr unsigned bits[4] = {0, 2, 4, 8};
      Bytes enc;
      if (suite == 0)
        enc = sf_encrypt<sframe::Suite<0xF001, sodium::ChaCha20Poly1305, sframe::Sha256>>(bits[rb], 1, rb,
                                                                                          plain, meta);
      if (suite == 1 && sframe::Suite5::available())
        enc = sf_encrypt<sframe::Suite5>(bits[rb], 1, rb, plain, meta);
#if defined(FRAMESEAL_FUZZ_OPENSSL)
      if (suite == 2) enc = sf_encrypt<sframe::Suite4>(bits[rb], 1, rb, plain, meta);
      if (suite == 3) enc = sf_encrypt<sframe::Suite1>(bits[rb], 1, rb, plain, meta);
#endif
      if (enc.empty()) continue;
      const std::uint8_t b0 = static_cast<std::uint8_t>(suite | rb << 2 | 2 << 4);
      const std::string tag = "s" + std::to_string(suite) + "-r" + std::to_string(bits[rb]);
      seed("sframe_decrypt", "frame-" + tag,
           cat({Bytes{b0, 0, 0, static_cast<std::uint8_t>(meta.size())}, meta, enc}));
      seed("sframe_decrypt", "frame-in-place-" + tag,
           cat({Bytes{static_cast<std::uint8_t>(b0 | 0x40), 1, 0, static_cast<std::uint8_t>(meta.size())},
                meta, enc}));
      seed("sframe_header", "frame-" + tag, enc);
      for (std::uint8_t mutation = 0; mutation < 8; ++mutation) {
        const std::uint8_t b1 = static_cast<std::uint8_t>(mutation << 2 | (mutation % 8) << 5);
        seed("sframe_decrypt", "mutate-" + std::to_string(mutation) + "-" + tag,
             cat({Bytes{static_cast<std::uint8_t>(b0 | 0x80), b1, 0,
                        static_cast<std::uint8_t>(meta.size() | (mutation % 3) << 4)},
                  meta, Bytes{0, static_cast<std::uint8_t>(mutation * 5 + 1), 0x55}, plain}));
      }
    }
  seed("sframe_decrypt", "empty", Bytes{0, 0, 0, 0});
  seed("sframe_decrypt", "header-only", Bytes{0, 0, 0, 0, 0x10});
}

void media_seeds(const fs::path& data) {
  // IVF: the first frames of each sample (frames cut to 600 bytes), and hand-made corner cases.
  for (const char* name : {"vp8-160x120-2s.ivf", "vp9-160x120-2s.ivf", "av1-64x64-10f.ivf"}) {
    const Bytes file = read_file(data / name);
    media::IvfFile ivf;
    if (media::parse_ivf(file, ivf)) continue;
    Bytes out;
    media::write_ivf_header(ivf.header, out);
    for (std::size_t i = 0; i < ivf.frames.size() && i < 3; ++i) {
      const std::size_t n = std::min<std::size_t>(ivf.frames[i].size, 600);
      media::write_ivf_frame_header(n, ivf.frames[i].pts, out);
      out.insert(out.end(), file.begin() + static_cast<std::ptrdiff_t>(ivf.frames[i].offset),
                 file.begin() + static_cast<std::ptrdiff_t>(ivf.frames[i].offset + n));
    }
    seed("ivf", name, out);
    seed("ivf", std::string("truncated-") + name, BytesIn(out).first(out.size() - 7));
  }
  {
    media::IvfHeader h;
    h.fourcc = {'V', 'P', '8', '0'};
    Bytes out;
    media::write_ivf_header(h, out);
    seed("ivf", "header-only", out);
    Bytes big = out;
    big[6] = 40;  // header size 40: frames start later
    big.insert(big.end(), 8, 0);
    media::write_ivf_frame_header(3, 0, big);
    big.insert(big.end(), {0x31, 0, 0});
    seed("ivf", "header-size-40", big);
    h.fourcc = {'H', '2', '6', '4'};
    media::set_frameseal_mark(h, {1, 1});
    Bytes enc;
    media::write_ivf_header(h, enc);
    media::write_ivf_frame_header(4, 0, enc);
    enc.insert(enc.end(), {1, 2, 3, 4});
    seed("ivf", "frameseal-mark", enc);
    h.fourcc = {'O', 'p', 'u', 's'};
    media::set_frameseal_mark(h, {1, 3});
    Bytes opus;
    media::write_ivf_header(h, opus);
    for (const Bytes& pkt :
         {cat({str("OpusHead"), Bytes(11, 1)}), cat({str("OpusTags"), Bytes(8, 0)}), Bytes{0x78, 1, 2}}) {
      media::write_ivf_frame_header(pkt.size(), 0, opus);
      opus.insert(opus.end(), pkt.begin(), pkt.end());
    }
    seed("ivf", "frameseal-opus", opus);
  }

  // Annex-B: the first access units of each sample (cut), both codec choices.
  for (const auto& [name, codec] :
       {std::pair{"h264-160x120-2s.h264", Codec::h264}, std::pair{"h265-160x120-2s.h265", Codec::h265}}) {
    const Bytes file = read_file(data / name);
    std::vector<media::AccessUnit> units;
    if (media::split_access_units(file, codec, units)) continue;
    Bytes out;
    for (std::size_t i = 0; i < units.size() && i < 3; ++i) {
      const std::size_t n = std::min<std::size_t>(units[i].size, i == 0 ? 900 : 200);
      out.insert(out.end(), file.begin() + static_cast<std::ptrdiff_t>(units[i].offset),
                 file.begin() + static_cast<std::ptrdiff_t>(units[i].offset + n));
    }
    const std::uint8_t cfg = codec == Codec::h265 ? 1 | 1 << 1 : 0;
    seed("annexb", name, cat({Bytes{cfg}, out}));
    seed("annexb", std::string("no-extension-") + name,
         cat({Bytes{static_cast<std::uint8_t>(cfg | 2 << 1)}, out}));
    seed("nalu", std::string("sample-") + name,
         cat({Bytes{0}, BytesIn(out).first(std::min<std::size_t>(out.size(), 300))}));
  }
  seed("annexb", "aud-sei-slices",
       cat({Bytes{0}, hex("0000000109f0000000010605ff000000016588840000000141e2000000014188")}));
  seed("annexb", "leading-data", cat({Bytes{0}, hex("ff0000000165888400")}));
  seed("annexb", "h265-aud-vcl", cat({Bytes{1}, hex("00000001460150000000012601af00000000012601")}));

  // Ogg Opus: the sample's first packets rewritten into pages, and the sample's first 3 pages as is.
  {
    const Bytes file = read_file(data / "opus-48k-stereo-2s.opus");
    media::OggOpus ogg;
    if (!media::parse_ogg_opus(file, ogg)) {
      Bytes out;
      media::OggWriter w(out, ogg.serial);
      const std::size_t n = std::min<std::size_t>(ogg.packets.size(), 8);
      for (std::size_t i = 0; i < n; ++i) {
        const BytesIn p = ogg.packet(i);
        w.packet(i < 2 ? p : p.first(std::min<std::size_t>(p.size(), 40)), ogg.packets[i].end_granule,
                 i < 2 || i == 4, i + 1 == n);
      }
      seed("ogg", "sample-rewritten", cat({Bytes{0}, out}));
      seed("ogg", "sample-rewritten-fix-crc", cat({Bytes{1}, out}));
      // The original first pages, cut after page 3.
      std::size_t pos = 0;
      for (int page = 0; page < 3 && pos + 27 <= file.size(); ++page) {
        const std::size_t nseg = file[pos + 26];
        std::size_t body = 0;
        for (std::size_t i = 0; i < nseg; ++i) body += file[pos + 27 + i];
        pos += 27 + nseg + body;
      }
      seed("ogg", "sample-first-pages", cat({Bytes{1}, BytesIn(file).first(std::min(pos, file.size()))}));
      // A packet spanning pages (600 bytes: lacing 255, 255, 90), one page at a time.
      Bytes span;
      media::OggWriter s(span, 0x1234);
      s.packet(ogg.packet(0), 0, true, false);
      s.packet(ogg.packet(1), 0, true, false);
      Bytes long_packet = cat({Bytes{0xfc}, random_bytes(599, 15)});
      s.packet(long_packet, 960, true, true);
      seed("ogg", "long-packet", cat({Bytes{1}, span}));
    }
  }
  seed("ogg", "capture-only", Bytes{0, 'O', 'g', 'g', 'S'});
}

void key_ring_seeds() {
  // [options][cipher] then operations (opcode byte, arguments); see fuzz_key_ring.cpp.
  const Bytes k0 = {5, 1, 2, 3, 4, 5};  // set_key (op 0): length byte % 9, then the material
  const Bytes k7 = {4, 1, 2, 3, 4, 5};  // both sides (op 7): 1 + length byte % 8, then the material
  auto ops = [](std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  };
  // Options: size 4 (3), window 3 (3 << 2), keep 2 (2 << 4), tolerance -1 (0 << 6).
  const std::uint8_t opts = 3 | 3 << 2 | 2 << 4;
  seed("key_ring", "send-same-key", ops({Bytes{opts, 0}, Bytes{7, 1}, k7, Bytes{4, 4, 4}}));
  seed("key_ring", "sender-ratchets-receiver-follows",
       ops({Bytes{opts, 0}, Bytes{7, 0}, k7, Bytes{4, 1, 0, 4, 1, 0, 1, 0, 4, 4}}));
  seed("key_ring", "both-ratchet-late",
       ops({Bytes{opts, 0}, Bytes{7, 2}, k7, Bytes{1, 2, 4, 1 | 8, 2, 4, 4}}));
  seed("key_ring", "receiver-ahead",
       ops({Bytes{opts, 1}, Bytes{7, 0}, k7, Bytes{1 | 8, 0, 4, 1 | 8, 0, 4, 1, 0, 4}}));
  seed("key_ring", "rotate-index",
       ops({Bytes{opts, 0}, Bytes{7, 0}, k7, Bytes{4, 7, 1}, k7, Bytes{4, 2, 0, 4, 2 | 8, 0, 4}}));
  seed("key_ring", "failures-invalidate",
       ops({Bytes{static_cast<std::uint8_t>(opts | 2 << 6), 0}, Bytes{7, 0}, k7,
            Bytes{5 | 16, 9, 5 | 16, 3, 5 | 16, 1, 4, 1, 0, 4, 0 | 8, 0, 3, 9, 9, 9, 4}}));
  seed("key_ring", "export-clear",
       ops({Bytes{opts, 0}, Bytes{0, 2}, k0, Bytes{6, 2, 6 | 8, 2, 3, 2, 6, 2, 6, 4, 0, 0, 0}}));
  seed("key_ring", "window-zero", ops({Bytes{1, 0}, Bytes{7, 0}, k7, Bytes{1, 0, 4, 1 | 8, 0, 4}}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  const fs::path vectors = FRAMESEAL_SEED_VECTORS_DIR, data = FRAMESEAL_SEED_DATA_DIR;
  std::ifstream lkf(vectors / "livekit/livekit-client-2.23.0-public.json");
  std::ifstream rfcf(vectors / "sframe/rfc9605-test-vectors.json");
  if (!lkf || !rfcf) {
    std::fprintf(stderr, "make_seeds: vectors not found under %s\n", vectors.c_str());
    return 1;
  }
  livekit_seeds(nlohmann::json::parse(lkf));
  codec_seeds();
  sframe_seeds(nlohmann::json::parse(rfcf));
  media_seeds(data);
  key_ring_seeds();
  std::size_t total = 0;
  for (const auto& [t, n] : g_counts) {
    std::printf("%-16s %4zu seeds %7zu bytes\n", t.c_str(), n, g_bytes[t]);
    total += g_bytes[t];
  }
  std::printf("total %zu bytes\n", total);
  return 0;
}
