// gst/engine.hpp: what the GStreamer elements run, without GStreamer: one participant of a session
// manager (LiveKit or SFrame format, cipher chosen at run time) behind a small virtual interface, and
// the conversions between length-prefixed (avc/hvc1) and Annex B access units.
//
// One Engine = one E2eeManager (or SframeE2eeManager) with one participant identity; the element's
// streaming thread calls encrypt/decrypt, its control side (properties, action signals) calls
// set_key/ratchet/set_key_index. Both are safe at once: the session layer locks the participant for
// a frame and for a key change, and derives keys outside that lock (session/key_provider.hpp).
// Frames allocate nothing here beyond the scratch buffers growing to the largest frame once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <frameseal/ciphers/openssl.hpp>
#include <frameseal/ciphers/sodium.hpp>
#include <frameseal/frameseal.hpp>
#include <frameseal/sframe/openssl_suites.hpp>

namespace frameseal_gst {

namespace fs = frameseal;

enum class WireFormat { livekit, sframe };
enum class CipherChoice { aes128gcm, aes256gcm, chacha20poly1305 };

struct EngineConfig {
  WireFormat format = WireFormat::livekit;
  CipherChoice cipher = CipherChoice::aes128gcm;
  fs::KdfAlgorithm kdf = fs::KdfAlgorithm::hkdf;
  std::vector<std::uint8_t> salt{fs::default_ratchet_salt.begin(), fs::default_ratchet_salt.end()};
  std::size_t ratchet_window = fs::default_ratchet_window_size;
  int failure_tolerance = fs::default_failure_tolerance;
  unsigned sframe_ratchet_bits = 0;
  std::string identity;
};

using StateReport = std::function<void(fs::session::EncryptionState)>;

class Engine {
 public:
  virtual ~Engine() = default;
  [[nodiscard]] virtual fs::Errc set_key(fs::BytesIn material, std::size_t key_index) = 0;
  [[nodiscard]] virtual fs::Errc ratchet(std::size_t key_index) = 0;
  [[nodiscard]] virtual fs::Errc set_key_index(std::size_t key_index) noexcept = 0;
  [[nodiscard]] virtual std::size_t key_index() const noexcept = 0;
  [[nodiscard]] virtual std::size_t max_encrypted_size(std::size_t n) const noexcept = 0;
  [[nodiscard]] virtual fs::Result<fs::BytesOut> encrypt(const fs::FrameInfo& info, fs::BytesIn in,
                                                         fs::BytesOut out) noexcept = 0;
  [[nodiscard]] virtual fs::Result<fs::BytesOut> decrypt(const fs::FrameInfo& info, fs::BytesIn in,
                                                         fs::BytesOut out) noexcept = 0;
  [[nodiscard]] virtual fs::session::Counters counters() const noexcept = 0;
  [[nodiscard]] virtual fs::session::EncryptionState state() const noexcept = 0;
};

namespace detail {

inline fs::LivekitKdf livekit_kdf(fs::KdfAlgorithm a) {
  fs::LivekitKdf k;
  k.algorithm = a;
  k.pbkdf2 = &fs::openssl::pbkdf2_hmac_sha256;
  return k;
}

inline fs::session::E2eeOptions session_options(const EngineConfig& c, fs::session::EncryptionType type) {
  fs::session::E2eeOptions eo;
  eo.encryption_type = type;
  auto& ko = eo.key_provider_options;
  ko.ratchet_window_size = c.ratchet_window;
  ko.failure_tolerance = c.failure_tolerance;
  ko.ratchet_salt = c.salt;
  ko.kdf = c.kdf;
  return eo;
}

template <class Manager>
class EngineImpl final : public Engine {
 public:
  using cryptor_type = typename Manager::frame_cryptor_type;
  EngineImpl(Manager m, cryptor_type c, std::string identity)
      : manager_(std::move(m)), cryptor_(std::move(c)), identity_(std::move(identity)) {}

  fs::Errc set_key(fs::BytesIn material, std::size_t key_index) override {
    return manager_.key_provider().set_key(identity_, material, key_index);
  }
  fs::Errc ratchet(std::size_t key_index) override {
    auto r = manager_.key_provider().ratchet_key(identity_, key_index);
    return r ? fs::Errc::ok : r.error();
  }
  fs::Errc set_key_index(std::size_t key_index) noexcept override {
    return cryptor_.set_key_index(key_index);
  }
  std::size_t key_index() const noexcept override { return cryptor_.key_index(); }
  std::size_t max_encrypted_size(std::size_t n) const noexcept override {
    return cryptor_type::max_encrypted_size(n);
  }
  fs::Result<fs::BytesOut> encrypt(const fs::FrameInfo& info, fs::BytesIn in,
                                   fs::BytesOut out) noexcept override {
    return cryptor_.encrypt(info, in, out);
  }
  fs::Result<fs::BytesOut> decrypt(const fs::FrameInfo& info, fs::BytesIn in,
                                   fs::BytesOut out) noexcept override {
    return cryptor_.decrypt(info, in, out);
  }
  fs::session::Counters counters() const noexcept override { return cryptor_.counters(); }
  fs::session::EncryptionState state() const noexcept override { return cryptor_.state(); }
  Manager& manager() noexcept { return manager_; }

 private:
  Manager manager_;
  cryptor_type cryptor_;
  std::string identity_;
};

template <class Manager>
std::unique_ptr<Engine> finish(fs::Result<Manager> m, const EngineConfig& c, StateReport report,
                               std::string& error) {
  if (!m) {
    error = "cannot create the session: " + std::string(fs::to_string(m.error()));
    return nullptr;
  }
  auto cryptor = m->frame_cryptor(c.identity);
  if (!cryptor) {
    error = "cannot create the participant: " + std::string(fs::to_string(cryptor.error()));
    return nullptr;
  }
  if (report)
    m->on_e2ee_state_changed([report](const std::string&, fs::session::EncryptionState s) { report(s); });
  return std::make_unique<EngineImpl<Manager>>(std::move(*m), std::move(*cryptor), c.identity);
}

template <fs::Cipher C>
std::unique_ptr<Engine> make_livekit(const EngineConfig& c, StateReport report, std::string& error) {
  // custom: LiveKit's frame layout with the chosen cipher (gcm would refuse ChaCha20-Poly1305).
  auto eo = session_options(c, fs::session::EncryptionType::custom);
  return finish(fs::session::E2eeManager<C>::create(std::move(eo), livekit_kdf(c.kdf)), c, std::move(report),
                error);
}

template <fs::sframe::CipherSuite S>
std::unique_ptr<Engine> make_sframe(const EngineConfig& c, StateReport report, std::string& error) {
  auto eo = session_options(c, fs::session::EncryptionType::gcm);
  fs::session::SframeOptions so;
  so.ratchet_bits = c.sframe_ratchet_bits;
  return finish(fs::session::SframeE2eeManager<S>::create(std::move(eo), so), c, std::move(report), error);
}

}  // namespace detail

// The engine for c, or nullptr with the reason in `error`. `report` gets every state change (on the
// thread that caused it, after the participant's lock is released).
inline std::unique_ptr<Engine> make_engine(const EngineConfig& c, StateReport report, std::string& error) {
  if (c.format == WireFormat::sframe) {
    switch (c.cipher) {
      case CipherChoice::aes128gcm:
        return detail::make_sframe<fs::sframe::Suite4>(c, std::move(report), error);
      case CipherChoice::aes256gcm:
        if (fs::sodium::Aes256Gcm::available())
          return detail::make_sframe<fs::sframe::Suite5>(c, std::move(report), error);
        return detail::make_sframe<fs::sframe::Suite5Openssl>(c, std::move(report), error);
      case CipherChoice::chacha20poly1305:
        break;
    }
    error =
        "format sframe: RFC 9605 registers no ChaCha20-Poly1305 suite; use aes128gcm (suite 4) or aes256gcm "
        "(suite 5)";
    return nullptr;
  }
  switch (c.cipher) {
    case CipherChoice::aes128gcm:
      return detail::make_livekit<fs::openssl::Aes128Gcm>(c, std::move(report), error);
    case CipherChoice::aes256gcm:
      if (fs::sodium::Aes256Gcm::available())
        return detail::make_livekit<fs::sodium::Aes256Gcm>(c, std::move(report), error);
      return detail::make_livekit<fs::openssl::Aes256Gcm>(c, std::move(report), error);
    case CipherChoice::chacha20poly1305:
      break;
  }
  return detail::make_livekit<fs::sodium::ChaCha20Poly1305>(c, std::move(report), error);
}

// ---- length-prefixed (ISO/IEC 14496-15 avc/hvc1) <-> Annex B access units

// Appends `in` (NAL units each behind a big-endian length of `length_size` bytes, 1..4) to `out` as
// Annex B with 4-byte start codes. False when a length runs past the end (out is then unspecified).
inline bool length_prefixed_to_annexb(fs::BytesIn in, std::size_t length_size,
                                      std::vector<std::uint8_t>& out) {
  out.clear();
  std::size_t i = 0;
  while (i < in.size()) {
    if (in.size() - i < length_size) return false;
    std::size_t n = 0;
    for (std::size_t k = 0; k < length_size; ++k) n = (n << 8) | in[i + k];
    i += length_size;
    if (n > in.size() - i) return false;
    static constexpr std::uint8_t sc[4] = {0, 0, 0, 1};
    out.insert(out.end(), sc, sc + 4);
    out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(i),
               in.begin() + static_cast<std::ptrdiff_t>(i + n));
    i += n;
  }
  return true;
}

// Writes the Annex B access unit `in` to `out` as NAL units behind `length_size`-byte lengths and
// returns the bytes written, or 0 when it does not fit (or a NAL is too long for the length size, or
// `in` does not start with a start code). NAL boundaries are the start codes: an encrypted LiveKit
// H.264/H.265 frame has none inside its escaped body, so its last NAL unit (ending in the key index,
// which may be 0x00) keeps every byte; zero bytes before a start code belong to the previous NAL, as
// in the input.
inline std::size_t annexb_to_length_prefixed(fs::BytesIn in, std::size_t length_size, fs::BytesOut out) {
  auto start_code_at = [&](std::size_t i) -> std::size_t {  // length of a start code at i, or 0
    if (i + 3 <= in.size() && in[i] == 0 && in[i + 1] == 0 && in[i + 2] == 1) return 3;
    if (i + 4 <= in.size() && in[i] == 0 && in[i + 1] == 0 && in[i + 2] == 0 && in[i + 3] == 1) return 4;
    return 0;
  };
  std::size_t i = start_code_at(0);
  if (i == 0) return 0;
  std::size_t w = 0;
  const std::size_t max_len = length_size >= 4 ? 0xffffffffu : ((std::size_t{1} << (8 * length_size)) - 1);
  while (i <= in.size()) {
    std::size_t j = i, sc = 0;
    while (j < in.size() && (sc = start_code_at(j)) == 0) ++j;
    const std::size_t n = j - i;
    if (n > max_len || out.size() - w < length_size + n) return 0;
    for (std::size_t k = 0; k < length_size; ++k)
      out[w + k] = static_cast<std::uint8_t>(n >> (8 * (length_size - 1 - k)));
    if (n) std::memcpy(out.data() + w + length_size, in.data() + i, n);
    w += length_size + n;
    if (j >= in.size()) break;
    i = j + sc;
  }
  return w;
}

// GStreamer's rtph264depay/rtph265depay (1.22) put parameter sets in front of an access unit that
// already carries its own: the ones seen earlier in the stream (after the sender's first key frame),
// or the sprop-parameter-sets of the caps (webrtcbin gives a sendrecv transceiver's receive side the
// caps of what this side sends). That prefix was never part of the sender's frame, so the LiveKit
// clear header (the AAD) no longer matches. Returns the offset of the sender's own access unit:
// the end of a leading run of parameter-set NAL units (H.264 SPS/PPS, H.265 VPS/SPS/PPS; the run
// ends at the first other NAL unit or at the next one of the first one's type) when a NAL unit of
// the first one's type (a second SPS, or VPS) follows before the first slice; 0 otherwise. An
// encoder sends one SPS (VPS) per access unit, so a frame nothing was put in front of is left alone.
inline std::size_t inserted_parameter_sets(fs::BytesIn au, bool h265) {
  constexpr std::size_t max_nals = 64;
  std::size_t starts[max_nals];  // first byte of each NAL unit's start code, up to the first slice
  std::uint8_t types[max_nals];
  std::size_t count = 0;
  bool have_vcl = false;
  fs::AnnexBScanner scanner(au);
  if (scanner.leading_data()) return 0;
  fs::Nalu u;
  while (count < max_nals && scanner.next(u)) {
    if (u.size() == 0) continue;
    const std::uint8_t header = au[u.offset];
    starts[count] = u.start_code;
    types[count++] = h265 ? fs::h265_nalu_type(header) : fs::h264_nalu_type(header);
    if (h265 ? fs::h265_is_vcl(header) : fs::h264_is_slice(header)) {
      have_vcl = true;
      break;
    }
  }
  auto parameter_set = [&](std::uint8_t t) { return h265 ? (t >= 32 && t <= 34) : (t == 7 || t == 8); };
  if (!have_vcl || count < 2 || !parameter_set(types[0])) return 0;
  const std::size_t first_vcl = count - 1;
  std::size_t k = 1;
  while (k < first_vcl && parameter_set(types[k]) && types[k] != types[0]) ++k;
  for (std::size_t m = k; m < first_vcl; ++m)
    if (types[m] == types[0]) return starts[k];
  return 0;
}

}  // namespace frameseal_gst
