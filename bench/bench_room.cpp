// bench_room: a room through the session layer, the way an SFU bot, a recorder or an agent sees it:
// one E2eeManager decrypting every participant's audio and video, on 1 or 2 threads, beside the raw
// AEAD call for the same frames in the same run, and the same while keys change under it.
//
//   bench_room [--quick] [--out FILE.json]
//
// Room: N = 1, 8, 64, 256 participants (identities p0..), each sending 160 B Opus frames at 50 fps
// and, for N <= 64, VP8 video at 30 fps: 1.2 KiB delta frames and a 64 KiB key frame every 2 s.
// Per-participant keys (HKDF), OpenSSL AES-128-GCM (LiveKit's wire cipher).
//
// 1. throughput: the frames of `room_seconds` of room time are encrypted beforehand (a second
//    manager, the senders); then the bot decrypts them all, in timestamp order, as fast as it can.
//    Thread j of T takes the participants i with i % T == j (a participant's frames stay on one
//    thread, as a transport delivers them). Every call is timed (steady_clock; its own cost, the
//    same on both rows, is in both) and every output compared with the sent frame. The raw row is
//    openssl::Aes128Gcm::open of the same frame sizes (clear header as AAD) under a key per
//    participant: the AEAD floor. Reported: frames/s, per-class p50/p99/max latency, the frame
//    path's median extra time over raw at 160 B, and operator-new calls during the timed loops.
// 2. churn: one decrypting thread runs the room for `churn_seconds` of wall time, each frame
//    encrypted just before it is decrypted (the senders follow the key changes), while a control
//    thread changes keys once a second, and a forged frame (valid trailer, last tag byte flipped)
//    follows every tenth frame. Kinds: shared-key ratchet (the senders ratchet, the bot follows
//    through its pre-derived window), per-participant set_key (a new key at the next index, one
//    participant per second, the bot first), key-index switch (every sender moves to the next of
//    4 preset indices). HKDF and PBKDF2 (100 000 iterations, OpenSSL). Only the bot's decrypt of
//    legitimate frames is timed. The senders' rings have ratchet window 0 (a sender never searches
//    one; it would only add the senders' KDF work, which is another machine's, to this one).
//    One decrypting thread, so the control thread and the provider's refill thread have the other
//    core: on 2 cores a second media thread would measure the scheduler, not the library.
//
// Writes JSON (tools/bench: build/bench/results/bench_room.json; bench/report.py makes the tables
// and the latency plot) and prints a table. Exits non-zero when a frame fails to decrypt or comes
// out different: the figures of a broken run are not reported.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <frameseal/ciphers/openssl.hpp>
#include <frameseal/frameseal.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"

// operator new counting per thread (g_counting / g_allocations), the tests' replacement.
#include "../tests/alloc_counter.hpp"

namespace {

using namespace fsbench;
using Gcm = fs::openssl::Aes128Gcm;
using Manager = fs::session::E2eeManager<Gcm>;
using Cryptor = fs::session::FrameCryptor<Gcm>;
using Clock = std::chrono::steady_clock;

enum Class : std::uint8_t { audio = 0, delta = 1, key = 2 };
constexpr const char* class_name[] = {"audio-160B", "video-delta-1.2KiB", "video-key-64KiB"};
constexpr std::size_t class_clear[] = {1, 3, 10};  // LiveKit's clear bytes: Opus TOC, VP8 delta/key

struct Event {
  std::uint32_t participant;
  Class cls;
  std::uint32_t rtp_timestamp;
};

void die(const std::string& why) {
  std::fprintf(stderr, "bench_room: %s\n", why.c_str());
  std::exit(1);
}

const Bytes plain[] = {opus_frame(160, 11), vp8_frame(1200, false, 12), vp8_frame(65536, true, 13)};

fs::FrameInfo info_of(const Event& e) {
  fs::FrameInfo i;
  i.kind = e.cls == audio ? fs::MediaKind::audio : fs::MediaKind::video;
  i.codec = e.cls == audio ? fs::Codec::opus : fs::Codec::vp8;
  i.key_frame = e.cls == key;
  i.ssrc = 0x1000 + e.participant * 2 + (e.cls == audio ? 0 : 1);
  i.rtp_timestamp = e.rtp_timestamp;
  return i;
}

// `seconds` of room time: audio every 20 ms, video every 1/30 s (a key frame every 60th).
std::vector<Event> schedule(std::size_t n, double seconds) {
  struct Timed {
    double t;
    Event e;
  };
  std::vector<Timed> all;
  const bool video = n <= 64;
  for (std::uint32_t p = 0; p < n; ++p) {
    for (std::uint32_t k = 0; k * 0.020 < seconds; ++k) all.push_back({k * 0.020, {p, audio, k * 960}});
    if (video)
      for (std::uint32_t k = 0; k / 30.0 < seconds; ++k)
        all.push_back({k / 30.0, {p, k % 60 == 0 ? key : delta, k * 3000}});
  }
  std::stable_sort(all.begin(), all.end(), [](const Timed& a, const Timed& b) { return a.t < b.t; });
  std::vector<Event> out;
  out.reserve(all.size());
  for (const auto& x : all) out.push_back(x.e);
  return out;
}

std::string identity(std::uint32_t p) {
  return "p" + std::to_string(p);
}
Bytes material(std::uint32_t p, std::uint32_t generation) {
  return random_bytes(32, 1000 + p * 97 + generation * 7919);
}

Manager make_manager(fs::KdfAlgorithm kdf, std::size_t window, bool shared) {
  fs::session::E2eeOptions o;
  o.key_provider_options.kdf = kdf;
  o.key_provider_options.ratchet_window_size = window;
  if (shared) o.key_provider_options.shared_key = fs::SecretBuffer::copy_of(material(9999, 0)).value();
  auto m = Manager::create(std::move(o), fs::openssl::livekit_kdf(kdf));
  if (!m) die("E2eeManager::create failed");
  return std::move(*m);
}

struct Stats {
  std::size_t count = 0;
  double p50 = 0, p99 = 0, p999 = 0, max = 0;  // ns
  std::size_t over_1ms = 0;
};
Stats stats_of(std::vector<double>& v) {
  Stats s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.p999 = at(0.999);
  s.max = v.back();
  s.over_1ms = static_cast<std::size_t>(v.end() - std::upper_bound(v.begin(), v.end(), 1e6));
  return s;
}

std::string json_stats(const Stats& s) {
  char b[200];
  std::snprintf(b, sizeof b,
                "{\"count\": %zu, \"p50_ns\": %.0f, \"p99_ns\": %.0f, \"p999_ns\": %.0f, \"max_ns\": %.0f, "
                "\"over_1ms\": %zu}",
                s.count, s.p50, s.p99, s.p999, s.max, s.over_1ms);
  return b;
}

// Log-spaced points of a latency distribution, for the plot: [ns, fraction <= ns].
std::string json_cdf(const std::vector<double>& sorted) {
  std::string out = "[";
  if (!sorted.empty()) {
    for (double q : {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999, 1.0}) {
      const std::size_t i =
          std::min(sorted.size() - 1, static_cast<std::size_t>(q * static_cast<double>(sorted.size())));
      char b[64];
      std::snprintf(b, sizeof b, "%s[%.0f, %.5f]", out.size() > 1 ? ", " : "", sorted[i], q);
      out += b;
    }
  }
  return out + "]";
}

// ---- 1. throughput ----
struct Prepared {
  std::vector<Event> events;
  Bytes lk;                         // the senders' encrypted frames, back to back
  std::vector<std::size_t> lk_off;  // events.size() + 1 offsets
  Bytes raw;                        // raw AEAD ciphertexts (clear header as AAD, body + tag)
  std::vector<std::size_t> raw_off;
};

std::string run_throughput(std::size_t n, double room_seconds, const std::vector<unsigned>& thread_counts,
                           std::string& table) {
  Prepared pr;
  pr.events = schedule(n, room_seconds);
  Manager senders = make_manager(fs::KdfAlgorithm::hkdf, 0, false);
  Manager bot = make_manager(fs::KdfAlgorithm::hkdf, fs::default_ratchet_window_size, false);
  std::vector<Cryptor> tx, rx;
  std::vector<Gcm> raw_ciphers;
  for (std::uint32_t p = 0; p < n; ++p) {
    const Bytes k = material(p, 0);
    if (senders.key_provider().set_key(identity(p), k, 0) != fs::Errc::ok ||
        bot.key_provider().set_key(identity(p), k, 0) != fs::Errc::ok)
      die("set_key failed");
    tx.push_back(senders.frame_cryptor(identity(p)).value());
    rx.push_back(bot.frame_cryptor(identity(p)).value());
    const Bytes rk = random_bytes(Gcm::key_bytes, 5000 + p);
    auto c = Gcm::create(key_span<Gcm>(rk));
    if (!c) die("raw cipher create failed");
    raw_ciphers.push_back(std::move(*c));
  }
  const Bytes nonce = random_bytes(Gcm::nonce_bytes, 6);
  const std::span<const std::uint8_t, Gcm::nonce_bytes> nonce_span(nonce.data(), Gcm::nonce_bytes);
  Bytes scratch(Cryptor::max_encrypted_size(65536));
  pr.lk_off.push_back(0);
  pr.raw_off.push_back(0);
  for (const Event& e : pr.events) {
    auto r = tx[e.participant].encrypt(info_of(e), plain[e.cls], scratch);
    if (!r) die("encrypt failed");
    pr.lk.insert(pr.lk.end(), r->begin(), r->end());
    pr.lk_off.push_back(pr.lk.size());
    const Bytes& f = plain[e.cls];
    const std::size_t c = class_clear[e.cls];
    Bytes ct(f.size() - c + Gcm::tag_bytes);
    if (!raw_ciphers[e.participant].seal(ct, fs::BytesIn(f).subspan(c), fs::BytesIn(f).first(c), nonce_span))
      die("raw seal failed");
    pr.raw.insert(pr.raw.end(), ct.begin(), ct.end());
    pr.raw_off.push_back(pr.raw.size());
  }

  std::string json;
  for (unsigned threads : thread_counts) {
    // Per thread: latencies per class, for both rows; reserved before timing.
    struct Lane {
      std::vector<double> lat[2][3];
      std::vector<double> diff[3];
      Bytes out = Bytes(65536 + 64);
      std::uint64_t news[3] = {0, 0, 0};
      bool bad = false;
    };
    std::vector<Lane> lanes(threads);
    for (auto& l : lanes)
      for (auto& row : l.lat)
        for (auto& v : row) v.reserve(pr.events.size());
    for (auto& l : lanes)
      for (auto& v : l.diff) v.reserve(pr.events.size());
    auto frame_one = [&](Lane& l, std::size_t i, const Event& e) {
      const fs::BytesIn frame(pr.lk.data() + pr.lk_off[i], pr.lk_off[i + 1] - pr.lk_off[i]);
      const auto t0 = Clock::now();
      auto r = rx[e.participant].decrypt(info_of(e), frame, l.out);
      const auto t1 = Clock::now();
      if (!r || r->size() != plain[e.cls].size() || !std::equal(r->begin(), r->end(), plain[e.cls].begin()))
        l.bad = true;
      return std::chrono::duration<double, std::nano>(t1 - t0).count();
    };
    auto raw_one = [&](Lane& l, std::size_t i, const Event& e) {
      const fs::BytesIn ct(pr.raw.data() + pr.raw_off[i], pr.raw_off[i + 1] - pr.raw_off[i]);
      const Bytes& f = plain[e.cls];
      const std::size_t c = class_clear[e.cls];
      const auto t0 = Clock::now();
      auto ok = raw_ciphers[e.participant].open(fs::BytesOut(l.out).first(f.size() - c), ct,
                                                fs::BytesIn(f).first(c), nonce_span);
      const auto t1 = Clock::now();
      if (!ok || !std::equal(f.begin() + static_cast<std::ptrdiff_t>(c), f.end(), l.out.begin()))
        l.bad = true;
      return std::chrono::duration<double, std::nano>(t1 - t0).count();
    };
    // row 0: the frame path, row 1: raw, row 2: paired (each frame's raw open and frame-path decrypt
    // back to back, in alternating order; the difference per frame, so a machine that slows down
    // in between shifts both halves of a pair alike).
    auto work = [&](unsigned j, int row) {
      Lane& l = lanes[j];
      g_allocations = 0;
      g_counting = true;
      for (std::size_t i = 0; i < pr.events.size(); ++i) {
        const Event& e = pr.events[i];
        if (e.participant % threads != j) continue;
        if (row == 0) {
          l.lat[0][e.cls].push_back(frame_one(l, i, e));
        } else if (row == 1) {
          l.lat[1][e.cls].push_back(raw_one(l, i, e));
        } else if (i % 2 == 0) {
          const double r = raw_one(l, i, e);
          l.diff[e.cls].push_back(frame_one(l, i, e) - r);
        } else {
          const double f = frame_one(l, i, e);
          l.diff[e.cls].push_back(f - raw_one(l, i, e));
        }
      }
      g_counting = false;
      l.news[row] = g_allocations;
    };
    double wall[3] = {0, 0, 0};
    std::uint64_t news[3] = {0, 0, 0};
    for (int row : {1, 0, 1, 0, 2}) {  // raw, frame path, twice (the second pass is kept), paired
      for (auto& l : lanes) {
        if (row < 2)
          for (auto& v : l.lat[row]) v.clear();
      }
      const auto start = Clock::now();
      std::vector<std::thread> ts;
      for (unsigned j = 1; j < threads; ++j) ts.emplace_back(work, j, row);
      work(0, row);
      for (auto& t : ts) t.join();
      wall[row] = std::chrono::duration<double>(Clock::now() - start).count();
    }
    for (auto& l : lanes) {
      if (l.bad) die("a frame failed to decrypt or came out different (N=" + std::to_string(n) + ")");
      for (int row = 0; row < 3; ++row) news[row] += l.news[row];
    }
    const std::size_t frames = pr.events.size();
    Stats st[2][3];
    double extra[3] = {0, 0, 0};  // median of the paired differences
    for (int c = 0; c < 3; ++c) {
      for (int row : {0, 1}) {
        std::vector<double> all;
        for (auto& l : lanes) all.insert(all.end(), l.lat[row][c].begin(), l.lat[row][c].end());
        st[row][c] = stats_of(all);
      }
      std::vector<double> d;
      for (auto& l : lanes) d.insert(d.end(), l.diff[c].begin(), l.diff[c].end());
      extra[c] = stats_of(d).p50;
    }
    char head[400];
    std::snprintf(head, sizeof head,
                  "%s{\"participants\": %zu, \"threads\": %u, \"frames\": %zu, \"room_seconds\": %.1f, "
                  "\"frames_per_s\": %.0f, \"raw_frames_per_s\": %.0f, \"allocations\": %llu, "
                  "\"raw_allocations\": %llu, \"classes\": {",
                  json.empty() ? "" : ",\n    ", n, threads, frames, room_seconds, frames / wall[0],
                  frames / wall[1], static_cast<unsigned long long>(news[0] + news[2]),
                  static_cast<unsigned long long>(news[1]));
    json += head;
    bool first = true;
    for (int c = 0; c < 3; ++c) {
      if (!st[0][c].count) continue;
      char x[64];
      std::snprintf(x, sizeof x, ", \"extra_p50_ns\": %.0f}", extra[c]);
      json += std::string(first ? "" : ", ") + "\"" + class_name[c] +
              "\": {\"frame\": " + json_stats(st[0][c]) + ", \"raw\": " + json_stats(st[1][c]) + x;
      first = false;
    }
    json += "}}";
    char line[300];
    std::snprintf(line, sizeof line,
                  "N=%-4zu T=%u  %9.0f frames/s (raw %9.0f)  160 B p50 %5.0f ns (raw %5.0f; paired extra "
                  "%+4.0f)  p99 %6.0f  max %8.0f  allocs %llu\n",
                  n, threads, frames / wall[0], frames / wall[1], st[0][0].p50, st[1][0].p50, extra[0],
                  st[0][0].p99, st[0][0].max, static_cast<unsigned long long>(news[0] + news[2]));
    table += line;
    std::fputs(line, stderr);
  }
  return json;
}

// ---- 2. churn ----
enum class Churn { none, shared_ratchet, set_key, key_index };
constexpr const char* churn_name[] = {"none (baseline)", "shared-key ratchet", "per-participant set_key",
                                      "key-index switch"};
constexpr std::size_t preset_indices = 2;

std::string run_churn(std::size_t n, Churn kind, fs::KdfAlgorithm kdf, double seconds, std::string& table) {
  const bool shared = kind == Churn::shared_ratchet;
  Manager senders = make_manager(kdf, 0, shared);
  Manager bot = make_manager(kdf, fs::default_ratchet_window_size, shared);
  std::vector<Cryptor> tx, rx;
  for (std::uint32_t p = 0; p < n; ++p) {
    if (!shared) {
      const std::size_t keys = kind == Churn::key_index ? preset_indices : 1;
      for (std::size_t k = keys; k-- > 0;) {
        const Bytes m = material(p, static_cast<std::uint32_t>(k));
        if (senders.key_provider().set_key(identity(p), m, k) != fs::Errc::ok ||
            bot.key_provider().set_key(identity(p), m, k) != fs::Errc::ok)
          die("set_key failed");
      }
    }
    tx.push_back(senders.frame_cryptor(identity(p)).value());
    rx.push_back(bot.frame_cryptor(identity(p)).value());
  }
  const std::vector<Event> events = schedule(n, 2.0);

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> changes{0};
  std::mutex m;
  std::condition_variable cv;
  // The control thread: once a second. It does the senders' part and the bot's part of a change;
  // frames encrypted meanwhile use whatever key the senders have, which the bot must follow.
  std::thread control([&] {
    std::uint32_t generation = 1;
    std::uint32_t next = 0;
    std::unique_lock<std::mutex> lock(m);
    while (!cv.wait_for(lock, std::chrono::seconds(1), [&] { return stop.load(); })) {
      lock.unlock();
      bool ok = true;
      if (kind == Churn::none) {
        // the baseline: the same loop, the control thread wakes and does nothing
      } else if (kind == Churn::shared_ratchet) {
        ok = senders.key_provider().ratchet_shared_key(0).has_value();
      } else if (kind == Churn::set_key) {
        const std::uint32_t p = next++ % static_cast<std::uint32_t>(n);
        const std::size_t index = generation % fs::default_key_ring_size;
        const Bytes k = material(p, 100 + generation++);
        ok = bot.key_provider().set_key(identity(p), k, index) == fs::Errc::ok &&
             senders.key_provider().set_key(identity(p), k, index) == fs::Errc::ok;
      } else {
        const std::size_t index = generation++ % preset_indices;
        for (auto& c : tx) ok = ok && c.set_key_index(index) == fs::Errc::ok;
      }
      if (!ok) die("a key change failed");
      changes.fetch_add(1);
      lock.lock();
    }
  });

  std::vector<double> lat[3];
  for (auto& v : lat) v.reserve(3'000'000);  // kept below capacity: no allocation in the loop
  Bytes enc(Cryptor::max_encrypted_size(65536)), forged(enc.size()), out(65536 + 64);
  std::size_t legit_failures = 0, forged_accepted = 0, forged_sent = 0, frames = 0;
  std::uint32_t lap = 0;
  g_allocations = 0;
  g_counting = true;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    for (std::size_t i = 0; i < events.size(); ++i) {
      Event e = events[i];
      e.rtp_timestamp += lap * 96000;
      const fs::FrameInfo info = info_of(e);
      auto c = tx[e.participant].encrypt(info, plain[e.cls], enc);
      if (!c) die("encrypt failed under churn");
      const auto t0 = Clock::now();
      auto r = rx[e.participant].decrypt(info, *c, out);
      const auto t1 = Clock::now();
      if (lat[e.cls].size() < lat[e.cls].capacity())
        lat[e.cls].push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
      if (!r || r->size() != plain[e.cls].size() || !std::equal(r->begin(), r->end(), plain[e.cls].begin()))
        ++legit_failures;
      ++frames;
      if (frames % 10 == 0) {
        std::copy(c->begin(), c->end(), forged.begin());
        forged[c->size() - 15] ^= 0x01;  // the tag's last byte: before the 12-byte IV and 2-byte trailer
        ++forged_sent;
        if (rx[e.participant].decrypt(info, fs::BytesIn(forged).first(c->size()), out)) ++forged_accepted;
      }
      if ((frames & 1023) == 0 && Clock::now() >= end) break;
    }
    ++lap;
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  g_counting = false;
  const std::uint64_t news = g_allocations;
  {
    std::lock_guard<std::mutex> lock(m);
    stop = true;
  }
  cv.notify_all();
  control.join();
  if (legit_failures)
    die(std::to_string(legit_failures) + " legitimate frames failed under " +
        churn_name[static_cast<int>(kind)]);
  if (forged_accepted) die("a forged frame was accepted");

  const char* kdf_name = kdf == fs::KdfAlgorithm::hkdf ? "hkdf" : "pbkdf2";
  char head[400];
  std::snprintf(
      head, sizeof head,
      "{\"participants\": %zu, \"churn\": \"%s\", \"kdf\": \"%s\", \"seconds\": %.2f, \"key_changes\": %llu, "
      "\"frames\": %zu, \"forged\": %zu, \"frames_per_s\": %.0f, \"allocations\": %llu, \"classes\": {",
      n, churn_name[static_cast<int>(kind)], kdf_name, wall, static_cast<unsigned long long>(changes.load()),
      frames, forged_sent, frames / wall, static_cast<unsigned long long>(news));
  std::string json = head;
  Stats st[3];
  for (int c = 0; c < 3; ++c) {
    st[c] = stats_of(lat[c]);
    if (!st[c].count) continue;
    json += std::string(c ? ", " : "") + "\"" + class_name[c] + "\": " + json_stats(st[c]);
  }
  json += "}, \"cdf_audio\": " + json_cdf(lat[0]) + "}";
  char line[300];
  std::snprintf(line, sizeof line,
                "churn N=%-3zu %-24s %-6s changes %llu  160 B p50 %5.0f p99 %5.0f p99.9 %6.0f max %8.0f ns "
                "(>1ms: %zu) | video max %8.0f ns  allocs %llu\n",
                n, churn_name[static_cast<int>(kind)], kdf_name,
                static_cast<unsigned long long>(changes.load()), st[0].p50, st[0].p99, st[0].p999, st[0].max,
                st[0].over_1ms, std::max(st[1].max, st[2].max), static_cast<unsigned long long>(news));
  table += line;
  std::fputs(line, stderr);
  return json;
}

std::string loadavg() {
  char b[128] = {0};
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (!std::fgets(b, sizeof b, f)) b[0] = 0;
    std::fclose(f);
  }
  // the 1, 5 and 15 minute load averages: the first three fields
  std::string s(b);
  std::size_t end = 0;
  for (int field = 0; field < 3 && end != std::string::npos; ++field)
    end = s.find(' ', end + (field ? 1 : 0));
  return s.substr(0, end == std::string::npos ? s.find('\n') : end);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  const char* out_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0)
      quick = true;
    else if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc)
      out_path = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_room [--quick] [--out FILE.json]\n");
      return 2;
    }
  }
  if (!Gcm::available()) die("OpenSSL AES-128-GCM is not available");
  const double room_seconds = quick ? 1.0 : 4.0;
  const double churn_seconds = quick ? 2.2 : 5.5;
  std::string table;
  std::string json = "{\n  \"quick\": " + std::string(quick ? "true" : "false") +
                     ",\n  \"loadavg_start\": \"" + loadavg() +
                     "\",\n  \"cpus\": " + std::to_string(std::thread::hardware_concurrency()) +
                     ",\n  \"throughput\": [\n    ";
  bool first = true;
  for (std::size_t n : {1, 8, 64, 256}) {
    std::vector<unsigned> threads = {1u};
    if (n > 1) threads.push_back(2u);
    std::string j = run_throughput(n, room_seconds, threads, table);
    json += (first ? "" : ",\n    ") + j;
    first = false;
  }
  json += "\n  ],\n  \"churn\": [\n    ";
  first = true;
  // PBKDF2 at N = 8 only: installing a participant's key derives its ratchet window (17 PBKDF2
  // calls, ~0.6 s), so setting up 64 participants would take most of the run.
  for (auto kdf : {fs::KdfAlgorithm::hkdf, fs::KdfAlgorithm::pbkdf2})
    for (Churn kind : {Churn::none, Churn::shared_ratchet, Churn::set_key, Churn::key_index})
      for (std::size_t n : {8, 64}) {
        if (kdf == fs::KdfAlgorithm::pbkdf2 && (n > 8 || kind == Churn::none)) continue;
        std::string j = run_churn(n, kind, kdf, churn_seconds, table);
        json += (first ? "" : ",\n    ") + j;
        first = false;
      }
  json += "\n  ],\n  \"loadavg_end\": \"" + loadavg() + "\"\n}\n";
  if (out_path) {
    FILE* f = std::fopen(out_path, "w");
    if (!f || std::fputs(json.c_str(), f) < 0 || std::fclose(f) != 0)
      die(std::string("cannot write ") + out_path);
  } else {
    std::fputs(json.c_str(), stdout);
  }
  return 0;
}
