// gst/gstframeseal.cpp: the framesealenc and framesealdec elements (GstBaseTransform, one encoded
// frame per buffer, codec from the caps) on frameseal's session layer (gst/engine.hpp).
//
// Contract:
//   - caps: video/x-vp8, video/x-vp9, video/x-h264 and video/x-h265 (byte-stream, or avc/avc3 and
//     hvc1/hev1 length-prefixed with the length size from codec_data; alignment=au), audio/x-opus.
//     Output caps = input caps. format=livekit converts length-prefixed access units to Annex B for
//     the cryptor and back (LiveKit's layout is defined on Annex B, and a length prefix keeps a
//     trailing 0x00 key index that rtph264pay's byte-stream mode would strip). video/x-av1 is refused at caps
//     negotiation with format=livekit (an element error saying why: livekit-client throws on AV1 and the
//     native SDKs encrypt it differently); format=sframe takes it (RFC 9605 encrypts the whole frame).
//   - encrypt: a frame with no key at the sending index is dropped, never sent in clear; decrypt: a
//     frame that does not authenticate (or names a missing key) is dropped and counted, never pushed
//     downstream; for audio a GAP event takes its place (gap-on-drop) so the decoder conceals it.
//   - keys: key (hex) / key-file / passphrase (write-only: gst-inspect and the logs show only
//     key-fingerprint, the first 8 hex digits of SHA-256 of the material), key-index, and the action
//     signals set-key, ratchet and set-key-index. They may be used while streaming, from any
//     thread: the session layer locks the participant for a frame and for a key change and derives
//     outside that lock. After a key change the encrypting element asks upstream for a key unit
//     (request-key-unit) so a receiver that only has the new key gets a decodable frame soon; the
//     decrypting element asks for one after it dropped a video frame (at most once a second).
//   - the bus: an element message "frameseal-state" (identity, state, direction and the counters)
//     each time the participant's EncryptionState changes; the "stats" property is the same
//     structure on demand.
//   - decrypt, H.264/H.265: parameter sets that rtph264depay/rtph265depay put in front of an access
//     unit which already carries them are skipped before decrypting (engine.hpp,
//     inserted_parameter_sets), so the clear header is the sender's again.
//   - the streaming thread allocates one output buffer per frame (GStreamer's), plus the GAP or
//     key-unit event of a dropped frame and the bus message of a state change, once the scratch
//     buffers have grown to the largest frame; it never runs a KDF.
#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>
#include <gst/video/video-event.h>

#include <sodium.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "engine.hpp"
#include "gstframeseal.h"

GST_DEBUG_CATEGORY_STATIC(frameseal_debug);
#define GST_CAT_DEFAULT frameseal_debug

namespace {

namespace fs = frameseal;
using frameseal_gst::CipherChoice;
using frameseal_gst::Engine;
using frameseal_gst::EngineConfig;
using frameseal_gst::WireFormat;

// ---- secrets and their fingerprints

// A std::vector whose bytes are wiped before it lets them go.
struct Material {
  std::vector<std::uint8_t> bytes;
  Material() = default;
  Material(const Material&) = delete;
  Material& operator=(const Material&) = delete;
  ~Material() { wipe(); }
  void wipe() noexcept {
    if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
    bytes.clear();
  }
  void assign(const std::uint8_t* p, std::size_t n) {
    wipe();
    bytes.reserve(n);  // one allocation, so no unwiped copy is left behind by growth
    bytes.assign(p, p + n);
  }
};

std::string fingerprint(const std::vector<std::uint8_t>& m) {
  if (m.empty()) return "";
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, m.data(), m.size());
  char out[9];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
  return out;
}

// Hex (white space around it allowed) into `out`; false when it is not an even, non-zero number of
// hex digits. The caller wipes `out`.
bool parse_hex(const char* s, Material& out) {
  if (!s) return false;
  std::string_view v(s);
  while (!v.empty() && g_ascii_isspace(v.front())) v.remove_prefix(1);
  while (!v.empty() && g_ascii_isspace(v.back())) v.remove_suffix(1);
  if (v.empty() || v.size() % 2 != 0 || v.size() > 2 * 1024) return false;
  std::vector<std::uint8_t> tmp(v.size() / 2);
  for (std::size_t i = 0; i < tmp.size(); ++i) {
    const int hi = g_ascii_xdigit_value(v[2 * i]), lo = g_ascii_xdigit_value(v[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      sodium_memzero(tmp.data(), tmp.size());
      return false;
    }
    tmp[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  out.assign(tmp.data(), tmp.size());
  sodium_memzero(tmp.data(), tmp.size());
  return true;
}

// The key file rule of the CLI: hex if the file (less trailing white space) is an even number of hex
// digits, otherwise the raw bytes. Returns an error message, or "" on success.
std::string read_key_file(const char* path, Material& out) {
  GError* err = nullptr;
  gchar* data = nullptr;
  gsize len = 0;
  if (!g_file_get_contents(path, &data, &len, &err)) {
    std::string m = err ? err->message : "cannot read";
    g_clear_error(&err);
    return m;
  }
  std::string e;
  if (len == 0 || len > 1024 * 1024) {
    e = len == 0 ? "the file is empty" : "the file is larger than 1 MiB";
  } else {
    std::size_t n = len;
    while (n > 0 && g_ascii_isspace(data[n - 1])) --n;
    bool hex = n >= 2 && n % 2 == 0;
    for (std::size_t i = 0; hex && i < n; ++i) hex = g_ascii_isxdigit(data[i]);
    if (hex) {
      std::string tmp(data, n);
      parse_hex(tmp.c_str(), out);
      sodium_memzero(tmp.data(), tmp.size());
    } else {
      out.assign(reinterpret_cast<const std::uint8_t*>(data), len);
    }
  }
  sodium_memzero(data, len);
  g_free(data);
  return e;
}

// ---- enums for the properties

// Registers `values` (static, null-terminated) once as the enum type `name`.
GType register_enum(GType& t, const char* name, const GEnumValue* values) {
  if (g_once_init_enter(&t)) g_once_init_leave(&t, g_enum_register_static(name, values));
  return t;
}

GType format_enum_type() {
  static GType t = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(WireFormat::livekit), "LiveKit E2EE (livekit-client, the native SDKs)", "livekit"},
      {static_cast<gint>(WireFormat::sframe), "IETF SFrame (RFC 9605)", "sframe"},
      {0, nullptr, nullptr}};
  return register_enum(t, "GstFramesealFormat", values);
}

GType cipher_enum_type() {
  static GType t = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(CipherChoice::aes128gcm), "AES-128-GCM (LiveKit's wire cipher; SFrame suite 4)",
       "aes128gcm"},
      {static_cast<gint>(CipherChoice::aes256gcm), "AES-256-GCM (SFrame suite 5)", "aes256gcm"},
      {static_cast<gint>(CipherChoice::chacha20poly1305),
       "ChaCha20-Poly1305 (LiveKit layout, frameseal peers only)", "chacha20poly1305"},
      {0, nullptr, nullptr}};
  return register_enum(t, "GstFramesealCipher", values);
}

enum class KdfChoice { automatic, hkdf, pbkdf2 };

GType kdf_enum_type() {
  static GType t = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(KdfChoice::automatic),
       "PBKDF2 for a passphrase, HKDF for key/key-file (livekit-client's choice)", "auto"},
      {static_cast<gint>(KdfChoice::hkdf), "HKDF-SHA256", "hkdf"},
      {static_cast<gint>(KdfChoice::pbkdf2), "PBKDF2-HMAC-SHA256, 100000 iterations", "pbkdf2"},
      {0, nullptr, nullptr}};
  return register_enum(t, "GstFramesealKdf", values);
}

// ---- the element's state

struct Private {
  bool encrypt = true;
  std::mutex mutex;  // guards everything below but the engine's own calls and `force_key_unit`
  EngineConfig config;
  KdfChoice kdf = KdfChoice::automatic;
  bool passphrase = false;  // the material came from the passphrase property
  Material material;
  std::string key_file;
  guint key_index = 0;
  bool request_key_unit = true;
  bool gap_on_drop = true;
  // Created in start(), destroyed in stop(): the streaming thread only runs between the two.
  std::unique_ptr<Engine> engine;
  // From the caps (set_caps, before any buffer on the streaming thread).
  fs::MediaKind kind = fs::MediaKind::video;
  fs::Codec codec = fs::Codec::unknown;
  std::size_t length_size = 0;  // 0: Annex B (or not H.264/H.265); 1..4: avc/hvc1 length prefixes
  std::vector<std::uint8_t> scratch_in, scratch_out;  // streaming thread only
  std::atomic<bool> force_key_unit{false};
  gint64 last_key_unit_request = G_MININT64 / 2;  // decrypt: streaming thread only
};

}  // namespace

struct _GstFrameseal {
  GstBaseTransform parent;
  Private* priv;
};

struct _GstFramesealClass {
  GstBaseTransformClass parent_class;
};

G_DEFINE_ABSTRACT_TYPE(GstFrameseal, gst_frameseal, GST_TYPE_BASE_TRANSFORM)

struct _GstFramesealEnc {
  GstFrameseal parent;
};
struct _GstFramesealEncClass {
  GstFramesealClass parent_class;
};
struct _GstFramesealDec {
  GstFrameseal parent;
};
struct _GstFramesealDecClass {
  GstFramesealClass parent_class;
};
G_DEFINE_TYPE(GstFramesealEnc, gst_frameseal_enc, GST_TYPE_FRAMESEAL)
G_DEFINE_TYPE(GstFramesealDec, gst_frameseal_dec, GST_TYPE_FRAMESEAL)

namespace {

enum {
  PROP_0,
  PROP_FORMAT,
  PROP_KEY,
  PROP_KEY_FILE,
  PROP_PASSPHRASE,
  PROP_KEY_FINGERPRINT,
  PROP_KDF,
  PROP_SALT,
  PROP_KEY_INDEX,
  PROP_CIPHER,
  PROP_RATCHET_WINDOW,
  PROP_FAILURE_TOLERANCE,
  PROP_IDENTITY,
  PROP_SFRAME_RATCHET_BITS,
  PROP_REQUEST_KEY_UNIT,
  PROP_GAP_ON_DROP,
  PROP_STATS,
};

GstStructure* stats_structure(GstFrameseal* self, Engine* e, const char* name) {
  const auto c = e ? e->counters() : fs::session::Counters{};
  const auto state = e ? e->state() : fs::session::EncryptionState::new_;
  Private& p = *self->priv;
  return gst_structure_new(
      name, "identity", G_TYPE_STRING, p.config.identity.c_str(), "direction", G_TYPE_STRING,
      p.encrypt ? "encrypt" : "decrypt", "state", G_TYPE_STRING,
      std::string(fs::session::to_string(state)).c_str(), "key-index", G_TYPE_UINT,
      static_cast<guint>(e ? e->key_index() : p.key_index), "encrypted", G_TYPE_UINT64,
      static_cast<guint64>(c.encrypted), "decrypted", G_TYPE_UINT64, static_cast<guint64>(c.decrypted),
      "encryption-failures", G_TYPE_UINT64, static_cast<guint64>(c.encryption_failures), "auth-failures",
      G_TYPE_UINT64, static_cast<guint64>(c.auth_failures), "missing-key", G_TYPE_UINT64,
      static_cast<guint64>(c.missing_key), "invalid-key", G_TYPE_UINT64, static_cast<guint64>(c.invalid_key),
      "malformed", G_TYPE_UINT64, static_cast<guint64>(c.malformed), "replayed", G_TYPE_UINT64,
      static_cast<guint64>(c.replayed), "other-failures", G_TYPE_UINT64,
      static_cast<guint64>(c.other_failures), "ratchets", G_TYPE_UINT64, static_cast<guint64>(c.ratchets),
      "empty", G_TYPE_UINT64, static_cast<guint64>(c.empty), "last-error", G_TYPE_STRING,
      std::string(fs::to_string(c.last_error)).c_str(), "last-error-key-index", G_TYPE_UINT,
      static_cast<guint>(c.last_error_key_index), nullptr);
}

fs::KdfAlgorithm effective_kdf(const Private& p) {
  if (p.kdf == KdfChoice::hkdf) return fs::KdfAlgorithm::hkdf;
  if (p.kdf == KdfChoice::pbkdf2) return fs::KdfAlgorithm::pbkdf2;
  return p.passphrase ? fs::KdfAlgorithm::pbkdf2 : fs::KdfAlgorithm::hkdf;
}

// Installs the current material at the current key index into a running engine (control side).
// Called with the mutex held.
bool install_key_locked(GstFrameseal* self) {
  Private& p = *self->priv;
  if (!p.engine || p.material.bytes.empty()) return true;
  const auto e =
      p.engine->set_key(fs::BytesIn(p.material.bytes.data(), p.material.bytes.size()), p.key_index);
  if (e != fs::Errc::ok) {
    GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS,
                        ("frameseal: cannot install the key at index %u: %s", p.key_index,
                         std::string(fs::to_string(e)).c_str()),
                        (nullptr));
    return false;
  }
  GST_INFO_OBJECT(self, "key %s installed at index %u", fingerprint(p.material.bytes).c_str(), p.key_index);
  p.force_key_unit.store(true, std::memory_order_relaxed);
  return true;
}

void set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = reinterpret_cast<GstFrameseal*>(object);
  Private& p = *self->priv;
  std::lock_guard<std::mutex> lock(p.mutex);
  switch (prop_id) {
    case PROP_FORMAT:
      p.config.format = static_cast<WireFormat>(g_value_get_enum(value));
      break;
    case PROP_CIPHER:
      p.config.cipher = static_cast<CipherChoice>(g_value_get_enum(value));
      break;
    case PROP_KDF:
      p.kdf = static_cast<KdfChoice>(g_value_get_enum(value));
      break;
    case PROP_SALT: {
      const char* s = g_value_get_string(value);
      std::string_view v = s ? s : "";
      p.config.salt.assign(v.begin(), v.end());
      break;
    }
    case PROP_RATCHET_WINDOW:
      p.config.ratchet_window = g_value_get_uint(value);
      break;
    case PROP_FAILURE_TOLERANCE:
      p.config.failure_tolerance = g_value_get_int(value);
      break;
    case PROP_IDENTITY: {
      const char* s = g_value_get_string(value);
      p.config.identity = s ? s : "";
      break;
    }
    case PROP_SFRAME_RATCHET_BITS:
      p.config.sframe_ratchet_bits = g_value_get_uint(value);
      break;
    case PROP_REQUEST_KEY_UNIT:
      p.request_key_unit = g_value_get_boolean(value);
      break;
    case PROP_GAP_ON_DROP:
      p.gap_on_drop = g_value_get_boolean(value);
      break;
    case PROP_KEY: {
      Material m;
      if (!parse_hex(g_value_get_string(value), m)) {
        GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS,
                            ("frameseal: key is not an even number of hex digits (1-1024 bytes); "
                             "the previous key stays"),
                            (nullptr));
        break;
      }
      p.material.assign(m.bytes.data(), m.bytes.size());
      p.passphrase = false;
      install_key_locked(self);
      break;
    }
    case PROP_PASSPHRASE: {
      const char* s = g_value_get_string(value);
      if (!s || !*s) {
        GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS, ("frameseal: empty passphrase; the previous key stays"),
                            (nullptr));
        break;
      }
      p.material.assign(reinterpret_cast<const std::uint8_t*>(s), std::strlen(s));
      p.passphrase = true;
      install_key_locked(self);
      break;
    }
    case PROP_KEY_FILE: {
      const char* path = g_value_get_string(value);
      p.key_file = path ? path : "";
      if (p.key_file.empty()) break;
      Material m;
      if (auto e = read_key_file(path, m); !e.empty()) {
        GST_ELEMENT_WARNING(self, RESOURCE, READ,
                            ("frameseal: key-file %s: %s; the previous key stays", path, e.c_str()),
                            (nullptr));
        break;
      }
      p.material.assign(m.bytes.data(), m.bytes.size());
      p.passphrase = false;
      install_key_locked(self);
      break;
    }
    case PROP_KEY_INDEX: {
      p.key_index = g_value_get_uint(value);
      if (p.engine && !p.material.bytes.empty()) install_key_locked(self);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

void get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = reinterpret_cast<GstFrameseal*>(object);
  Private& p = *self->priv;
  std::lock_guard<std::mutex> lock(p.mutex);
  switch (prop_id) {
    case PROP_FORMAT:
      g_value_set_enum(value, static_cast<gint>(p.config.format));
      break;
    case PROP_CIPHER:
      g_value_set_enum(value, static_cast<gint>(p.config.cipher));
      break;
    case PROP_KDF:
      g_value_set_enum(value, static_cast<gint>(p.kdf));
      break;
    case PROP_SALT:
      g_value_set_string(value, std::string(p.config.salt.begin(), p.config.salt.end()).c_str());
      break;
    case PROP_RATCHET_WINDOW:
      g_value_set_uint(value, static_cast<guint>(p.config.ratchet_window));
      break;
    case PROP_FAILURE_TOLERANCE:
      g_value_set_int(value, p.config.failure_tolerance);
      break;
    case PROP_IDENTITY:
      g_value_set_string(value, p.config.identity.c_str());
      break;
    case PROP_SFRAME_RATCHET_BITS:
      g_value_set_uint(value, p.config.sframe_ratchet_bits);
      break;
    case PROP_REQUEST_KEY_UNIT:
      g_value_set_boolean(value, p.request_key_unit);
      break;
    case PROP_GAP_ON_DROP:
      g_value_set_boolean(value, p.gap_on_drop);
      break;
    case PROP_KEY_FILE:
      g_value_set_string(value, p.key_file.c_str());
      break;
    case PROP_KEY_INDEX:
      g_value_set_uint(value, p.engine ? static_cast<guint>(p.engine->key_index()) : p.key_index);
      break;
    case PROP_KEY_FINGERPRINT:
      g_value_set_string(value, fingerprint(p.material.bytes).c_str());
      break;
    case PROP_STATS:
      g_value_take_boxed(value, stats_structure(self, p.engine.get(), "frameseal-stats"));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

// ---- action signals (from any thread)

gboolean action_set_key(GstFrameseal* self, const gchar* hex, guint key_index) {
  Private& p = *self->priv;
  Material m;
  if (!parse_hex(hex, m) || key_index > 255) {
    GST_WARNING_OBJECT(self, "set-key: not a hex key (or key index %u > 255); nothing changed", key_index);
    return FALSE;
  }
  std::lock_guard<std::mutex> lock(p.mutex);
  p.material.assign(m.bytes.data(), m.bytes.size());
  p.passphrase = false;
  p.key_index = key_index;
  return install_key_locked(self) ? TRUE : FALSE;
}

gboolean action_ratchet(GstFrameseal* self, guint key_index) {
  Private& p = *self->priv;
  std::lock_guard<std::mutex> lock(p.mutex);
  if (!p.engine) {
    GST_WARNING_OBJECT(self, "ratchet: the element is not running");
    return FALSE;
  }
  if (const auto e = p.engine->ratchet(key_index); e != fs::Errc::ok) {
    GST_WARNING_OBJECT(self, "ratchet of key index %u failed: %s", key_index,
                       std::string(fs::to_string(e)).c_str());
    return FALSE;
  }
  GST_INFO_OBJECT(self, "ratcheted key index %u", key_index);
  p.force_key_unit.store(true, std::memory_order_relaxed);
  return TRUE;
}

gboolean action_set_key_index(GstFrameseal* self, guint key_index) {
  Private& p = *self->priv;
  std::lock_guard<std::mutex> lock(p.mutex);
  p.key_index = key_index;
  if (!p.engine) return key_index <= 255;
  if (const auto e = p.engine->set_key_index(key_index); e != fs::Errc::ok) {
    GST_WARNING_OBJECT(self, "set-key-index %u: %s", key_index, std::string(fs::to_string(e)).c_str());
    return FALSE;
  }
  p.force_key_unit.store(true, std::memory_order_relaxed);
  return TRUE;
}

// ---- GstBaseTransform

gboolean start(GstBaseTransform* trans) {
  auto* self = reinterpret_cast<GstFrameseal*>(trans);
  Private& p = *self->priv;
  std::lock_guard<std::mutex> lock(p.mutex);
  EngineConfig c = p.config;
  c.kdf = effective_kdf(p);
  if (c.identity.empty()) c.identity = p.encrypt ? "local" : "remote";
  std::string error;
  auto report = [self](fs::session::EncryptionState) {
    // The callback runs on the thread that changed the state, after the participant's lock is
    // released; the engine is alive (it is destroyed only after streaming stopped).
    Engine* e = self->priv->engine.get();
    GstStructure* s = stats_structure(self, e, "frameseal-state");
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  };
  p.engine = frameseal_gst::make_engine(c, report, error);
  if (!p.engine) {
    GST_ELEMENT_ERROR(self, LIBRARY, INIT, ("frameseal: %s", error.c_str()), (nullptr));
    return FALSE;
  }
  if (p.material.bytes.empty()) {
    GST_ELEMENT_WARNING(
        self, LIBRARY, SETTINGS,
        ("frameseal: no key yet (key, key-file, passphrase or set-key): frames are dropped until one is set"),
        (nullptr));
  } else if (!install_key_locked(self)) {
    p.engine.reset();
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("frameseal: the key could not be installed"), (nullptr));
    return FALSE;
  }
  p.config.identity = c.identity;
  p.force_key_unit.store(false, std::memory_order_relaxed);  // the first frame is a key frame anyway
  gst_base_transform_set_passthrough(trans, FALSE);
  gst_base_transform_set_in_place(trans, FALSE);
  return TRUE;
}

gboolean stop(GstBaseTransform* trans) {
  auto* self = reinterpret_cast<GstFrameseal*>(trans);
  std::lock_guard<std::mutex> lock(self->priv->mutex);
  self->priv->engine.reset();
  return TRUE;
}

gboolean set_caps(GstBaseTransform* trans, GstCaps* incaps, GstCaps*) {
  auto* self = reinterpret_cast<GstFrameseal*>(trans);
  Private& p = *self->priv;
  const GstStructure* s = gst_caps_get_structure(incaps, 0);
  const std::string name = gst_structure_get_name(s);
  p.length_size = 0;
  p.kind = fs::MediaKind::video;
  if (name == "video/x-vp8") {
    p.codec = fs::Codec::vp8;
  } else if (name == "video/x-vp9") {
    p.codec = fs::Codec::vp9;
  } else if (name == "video/x-h264" || name == "video/x-h265") {
    const bool h264 = name == "video/x-h264";
    p.codec = h264 ? fs::Codec::h264 : fs::Codec::h265;
    const char* alignment = gst_structure_get_string(s, "alignment");
    if (alignment && std::string_view(alignment) != "au") {
      GST_ELEMENT_ERROR(
          self, STREAM, FORMAT,
          ("frameseal: %s needs alignment=au (one access unit per buffer), got %s", name.c_str(), alignment),
          (nullptr));
      return FALSE;
    }
    const char* format = gst_structure_get_string(s, "stream-format");
    // LiveKit's H.264/H.265 layout is defined on Annex B; SFrame encrypts the frame as it is.
    if (format && std::string_view(format) != "byte-stream" && p.config.format == WireFormat::livekit) {
      p.length_size = 4;
      if (const GValue* v = gst_structure_get_value(s, "codec_data");
          v && G_VALUE_HOLDS(v, GST_TYPE_BUFFER)) {
        GstBuffer* cd = gst_value_get_buffer(v);
        GstMapInfo m;
        if (gst_buffer_map(cd, &m, GST_MAP_READ)) {
          const std::size_t at = h264 ? 4 : 21;  // avcC lengthSizeMinusOne / hvcC lengthSizeMinusOne
          if (m.size > at) p.length_size = (m.data[at] & 3u) + 1;
          gst_buffer_unmap(cd, &m);
        }
      }
    }
  } else if (name == "audio/x-opus") {
    p.kind = fs::MediaKind::audio;
    p.codec = fs::Codec::opus;
  } else if (name == "video/x-av1") {
    if (p.config.format == WireFormat::livekit) {
      GST_ELEMENT_ERROR(
          self, STREAM, CODEC_NOT_FOUND,
          ("frameseal: AV1 is not supported by LiveKit E2EE (livekit-client refuses to encrypt AV1 and the "
           "native SDKs encrypt it another way); use VP8, VP9, H.264, H.265 or Opus, or format=sframe"),
          (nullptr));
      return FALSE;
    }
    p.codec = fs::Codec::av1;
  } else {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("frameseal: unsupported caps %s", name.c_str()), (nullptr));
    return FALSE;
  }
  GST_INFO_OBJECT(self, "%s, %s", name.c_str(), p.length_size ? "length-prefixed" : "as is");
  return TRUE;
}

GstFlowReturn unused_transform(GstBaseTransform*, GstBuffer*, GstBuffer*) {
  return GST_FLOW_NOT_SUPPORTED;
}

// One frame: the queued input buffer to a new output buffer, or dropped.
GstFlowReturn generate_output(GstBaseTransform* trans, GstBuffer** outbuf) {
  auto* self = reinterpret_cast<GstFrameseal*>(trans);
  Private& p = *self->priv;
  *outbuf = nullptr;
  GstBuffer* in = trans->queued_buf;
  if (!in) return GST_FLOW_OK;
  trans->queued_buf = nullptr;

  if (p.encrypt && p.kind == fs::MediaKind::video &&
      p.force_key_unit.exchange(false, std::memory_order_relaxed) && p.request_key_unit) {
    gst_pad_push_event(GST_BASE_TRANSFORM_SINK_PAD(trans),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  }

  GstMapInfo map;
  if (!gst_buffer_map(in, &map, GST_MAP_READ)) {
    gst_buffer_unref(in);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("frameseal: cannot map the input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  fs::BytesIn frame(map.data, map.size);
  bool framing_ok = true;
  if (p.length_size) {
    framing_ok = frameseal_gst::length_prefixed_to_annexb(frame, p.length_size, p.scratch_in);
    frame = fs::BytesIn(p.scratch_in.data(), p.scratch_in.size());
  }
  if (!p.encrypt && framing_ok && (p.codec == fs::Codec::h264 || p.codec == fs::Codec::h265)) {
    const std::size_t skip = frameseal_gst::inserted_parameter_sets(frame, p.codec == fs::Codec::h265);
    if (skip) GST_LOG_OBJECT(self, "skipping %zu bytes of parameter sets the depayloader put in front", skip);
    frame = frame.subspan(skip);
  }
  fs::FrameInfo info;
  info.kind = p.kind;
  info.codec = p.codec;
  if (p.codec == fs::Codec::h264 || p.codec == fs::Codec::h265)
    info.key_frame = !GST_BUFFER_FLAG_IS_SET(in, GST_BUFFER_FLAG_DELTA_UNIT);
  const std::size_t cap = p.encrypt ? p.engine->max_encrypted_size(frame.size()) : frame.size();
  if (p.scratch_out.size() < cap) p.scratch_out.resize(cap + cap / 4);
  fs::BytesOut out(p.scratch_out.data(), p.scratch_out.size());
  fs::Result<fs::BytesOut> r = fs::Errc::malformed_frame;
  if (framing_ok) r = p.encrypt ? p.engine->encrypt(info, frame, out) : p.engine->decrypt(info, frame, out);
  gst_buffer_unmap(in, &map);

  if (!r) {
    GST_LOG_OBJECT(self, "%s dropped a frame: %s", p.encrypt ? "encrypt" : "decrypt",
                   framing_ok ? std::string(fs::to_string(r.error())).c_str() : "bad NAL length prefix");
    if (!p.encrypt && p.kind == fs::MediaKind::video && p.request_key_unit) {
      const gint64 now = g_get_monotonic_time();
      if (now - p.last_key_unit_request >= G_USEC_PER_SEC) {  // at most once a second
        p.last_key_unit_request = now;
        gst_pad_push_event(GST_BASE_TRANSFORM_SINK_PAD(trans),
                           gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
      }
    }
    if (!p.encrypt && p.gap_on_drop && p.kind == fs::MediaKind::audio && GST_BUFFER_PTS_IS_VALID(in))
      gst_pad_push_event(GST_BASE_TRANSFORM_SRC_PAD(trans),
                         gst_event_new_gap(GST_BUFFER_PTS(in), GST_BUFFER_DURATION(in)));
    gst_buffer_unref(in);
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }

  std::size_t n = r->size();
  GstBuffer* ob = gst_buffer_new_allocate(nullptr, n, nullptr);
  GstMapInfo om;
  if (!ob || !gst_buffer_map(ob, &om, GST_MAP_WRITE)) {
    if (ob) gst_buffer_unref(ob);
    gst_buffer_unref(in);
    GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, ("frameseal: cannot allocate an output buffer"),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  if (p.length_size) {
    n = frameseal_gst::annexb_to_length_prefixed(*r, p.length_size, fs::BytesOut(om.data, om.size));
  } else {
    std::memcpy(om.data, r->data(), n);
  }
  gst_buffer_unmap(ob, &om);
  if (p.length_size && n == 0) {
    gst_buffer_unref(ob);
    gst_buffer_unref(in);
    GST_WARNING_OBJECT(self, "the frame does not fit the stream's NAL length size; dropped");
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }
  gst_buffer_set_size(ob, static_cast<gssize>(n));
  gst_buffer_copy_into(ob, in,
                       static_cast<GstBufferCopyFlags>(GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS |
                                                       GST_BUFFER_COPY_META),
                       0, static_cast<gsize>(-1));
  gst_buffer_unref(in);
  *outbuf = ob;
  return GST_FLOW_OK;
}

const char* caps_string =
    "video/x-vp8; video/x-vp9; "
    "video/x-h264, stream-format=(string){ byte-stream, avc, avc3 }, alignment=(string)au; "
    "video/x-h265, stream-format=(string){ byte-stream, hvc1, hev1 }, alignment=(string)au; "
    "audio/x-opus; video/x-av1";

void finalize(GObject* object) {
  auto* self = reinterpret_cast<GstFrameseal*>(object);
  delete self->priv;
  self->priv = nullptr;
  G_OBJECT_CLASS(gst_frameseal_parent_class)->finalize(object);
}

}  // namespace

static void gst_frameseal_class_init(GstFramesealClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  trans_class->start = start;
  trans_class->stop = stop;
  trans_class->set_caps = set_caps;
  trans_class->transform = unused_transform;
  trans_class->generate_output = generate_output;
  trans_class->passthrough_on_same_caps = FALSE;

  const auto ready =
      static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto live =
      static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto secret =
      static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(gobject_class, PROP_FORMAT,
                                  g_param_spec_enum("format", "Format", "Wire format", format_enum_type(),
                                                    static_cast<gint>(WireFormat::livekit), ready));
  g_object_class_install_property(
      gobject_class, PROP_KEY,
      g_param_spec_string("key", "Key",
                          "Key material in hex (write-only; see key-fingerprint). Applied at key-index, also "
                          "while streaming",
                          nullptr, secret));
  g_object_class_install_property(
      gobject_class, PROP_KEY_FILE,
      g_param_spec_string("key-file", "Key file",
                          "File holding the key material: hex text, or else raw bytes", nullptr, live));
  g_object_class_install_property(
      gobject_class, PROP_PASSPHRASE,
      g_param_spec_string("passphrase", "Passphrase",
                          "A passphrase as key material, as livekit-client's setKey(string) "
                          "(PBKDF2 unless kdf says otherwise; write-only)",
                          nullptr, secret));
  g_object_class_install_property(
      gobject_class, PROP_KEY_FINGERPRINT,
      g_param_spec_string("key-fingerprint", "Key fingerprint",
                          "First 8 hex digits of SHA-256 of the key material (the key "
                          "itself is never shown)",
                          "", static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      gobject_class, PROP_KDF,
      g_param_spec_enum("kdf", "KDF", "How keys are derived from the material", kdf_enum_type(),
                        static_cast<gint>(KdfChoice::automatic), ready));
  g_object_class_install_property(
      gobject_class, PROP_SALT,
      g_param_spec_string("salt", "Ratchet salt", "KDF salt (LiveKit's ratchetSalt)", "LKFrameEncryptionKey",
                          ready));
  g_object_class_install_property(
      gobject_class, PROP_KEY_INDEX,
      g_param_spec_uint("key-index", "Key index",
                        "Key slot the key goes to and (encrypt) the KID frames are sent with", 0, 255, 0,
                        live));
  g_object_class_install_property(gobject_class, PROP_CIPHER,
                                  g_param_spec_enum("cipher", "Cipher", "AEAD", cipher_enum_type(),
                                                    static_cast<gint>(CipherChoice::aes128gcm), ready));
  g_object_class_install_property(
      gobject_class, PROP_RATCHET_WINDOW,
      g_param_spec_uint("ratchet-window", "Ratchet window",
                        "Receive-side ratchet steps tried for a frame that does not "
                        "authenticate (LiveKit's ratchetWindowSize)",
                        0, 256, 16, ready));
  g_object_class_install_property(
      gobject_class, PROP_FAILURE_TOLERANCE,
      g_param_spec_int("failure-tolerance", "Failure tolerance",
                       "Failed frames before a key is marked invalid; -1: never", -1, G_MAXINT, -1, ready));
  g_object_class_install_property(
      gobject_class, PROP_IDENTITY,
      g_param_spec_string("participant-identity", "Participant identity",
                          "The participant these frames belong to (in "
                          "bus messages); default local (encrypt) / remote (decrypt)",
                          nullptr, ready));
  g_object_class_install_property(gobject_class, PROP_SFRAME_RATCHET_BITS,
                                  g_param_spec_uint("sframe-ratchet-bits", "SFrame ratchet bits",
                                                    "format=sframe: R of RFC 9605 section 5.1 (the ratchet "
                                                    "signal needs R > 0)",
                                                    0, 56, 0, ready));
  g_object_class_install_property(
      gobject_class, PROP_REQUEST_KEY_UNIT,
      g_param_spec_boolean(
          "request-key-unit", "Request key unit",
          "Ask upstream for a key unit: encrypt, after a key "
          "change; decrypt, after a video frame was dropped (at most once a second; upstream, rtpbin "
          "or webrtcbin can turn it into an RTCP PLI), so the decoder can resynchronise on a key frame",
          TRUE, live));
  g_object_class_install_property(
      gobject_class, PROP_GAP_ON_DROP,
      g_param_spec_boolean("gap-on-drop", "GAP on drop",
                           "Decrypt, audio: send a GAP event for each dropped frame", TRUE, live));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics", "identity, state and counters of the participant",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  g_signal_new_class_handler(
      "set-key", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_set_key), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_UINT);
  g_signal_new_class_handler(
      "ratchet", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(action_ratchet), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_UINT);
  g_signal_new_class_handler("set-key-index", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(action_set_key_index), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 1,
                             G_TYPE_UINT);

  GstCaps* caps = gst_caps_from_string(caps_string);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);
  GST_DEBUG_CATEGORY_INIT(frameseal_debug, "frameseal", 0, "frameseal E2EE elements");
}

static void gst_frameseal_init(GstFrameseal* self) {
  self->priv = new Private();  // the subclass's init sets priv->encrypt (its class is not known yet here)
}

static void gst_frameseal_enc_class_init(GstFramesealEncClass* klass) {
  gst_element_class_set_static_metadata(
      GST_ELEMENT_CLASS(klass), "frameseal E2EE encrypter", "Filter/Encoder/Encryption",
      "Encrypts encoded frames end to end (LiveKit E2EE or SFrame) before the payloader", "frameseal");
}
static void gst_frameseal_enc_init(GstFramesealEnc* self) {
  reinterpret_cast<GstFrameseal*>(self)->priv->encrypt = true;
}

static void gst_frameseal_dec_class_init(GstFramesealDecClass* klass) {
  gst_element_class_set_static_metadata(GST_ELEMENT_CLASS(klass), "frameseal E2EE decrypter",
                                        "Filter/Decoder/Decryption",
                                        "Decrypts end-to-end encrypted frames (LiveKit E2EE or SFrame) after "
                                        "the depayloader; drops what does not "
                                        "authenticate",
                                        "frameseal");
}
static void gst_frameseal_dec_init(GstFramesealDec* self) {
  reinterpret_cast<GstFrameseal*>(self)->priv->encrypt = false;
}
