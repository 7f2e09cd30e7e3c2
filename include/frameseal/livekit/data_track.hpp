// frameseal/livekit/data_track.hpp: LiveKit data tracks (livekit-client 2.23.0
// src/room/data-track/): the packet format v0, the packetizer and depacketizer, and what E2EE adds.
//
// A data track frame (an application payload, optionally with a 64-bit user timestamp) is, when the
// room uses E2EE, first sealed as a whole with the sender's key ring exactly as a data packet
// (DataCryptor::seal: AES-GCM, no AAD, the ring's sending key index, a fresh 12-byte IV), then cut
// into packets of at most `mtu` bytes (livekit-client: 16000). Each packet:
//
//   byte 0      version (3 bits, 0) << 5 | frame marker (2 bits) << 3 | extension flag << 2
//               marker: 2 start, 0 inter, 1 final, 3 single (the only packet of its frame)
//   byte 1      reserved (0)
//   bytes 2-3   track handle, big endian (1..65535; 0 is reserved)
//   bytes 4-5   sequence number (per track, +1 per packet, wraps)
//   bytes 6-7   frame number (per track, +1 per frame, wraps)
//   bytes 8-11  timestamp (90 kHz ticks, the same for every packet of a frame)
//   if the extension flag is set:
//     u16 W     the extension block is 4 * (W + 1) bytes including these two
//     tag, length, value ...   E2EE: tag 1, length 13, key index (1) || IV (12)
//                              user timestamp: tag 2, length 8, big-endian u64
//                              tag 0: padding (its length byte is read and ignored)
//     zero padding to the 4-byte boundary
//   payload     this packet's slice of the (sealed) frame
//
// Every packet of a frame carries the same extensions (the receiver takes the start packet's).
// Writing: E2EE first, then the user timestamp, then zero padding (as livekit-client). Reading: as
// livekit-client (unknown tags are skipped; a later version is refused), but stricter where it
// reads out of bounds: an extension whose length runs past the block, and a known extension shorter
// than its value, are malformed.
//
// What E2EE protects: the frame payload, sealed and authenticated as a whole. Nothing in the
// header is authenticated: not the key index or IV (changing them fails decryption), not the
// handle, sequence, frame number, timestamp or user timestamp, which the SFU reads and may change.
// Packet loss drops the frame (the depacketizer needs every packet between start and final).
//
// Contract: parsing, writing and packetizing allocate nothing and do not throw. The depacketizer
// allocates: its reorder slots as they are first used (at most max_packets_per_frame of them, each
// growing to the largest packet once) and the frame buffer (growing to the largest frame once), so
// its push may throw std::bad_alloc. Errors: malformed_frame (a packet that is not one),
// invalid_argument (bad handle or MTU), buffer_too_small.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "../bytes.hpp"
#include "../error.hpp"
#include "data_packet.hpp"
#include "iv.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace livekit {

// The wire values of the frame marker.
enum class DataTrackMarker : std::uint8_t { inter = 0, final_ = 1, start = 2, single = 3 };

struct DataTrackE2ee {
  std::uint8_t key_index = 0;
  std::array<std::uint8_t, iv_bytes> iv{};
  friend bool operator==(const DataTrackE2ee&, const DataTrackE2ee&) = default;
};

struct DataTrackHeader {
  DataTrackMarker marker = DataTrackMarker::single;
  std::uint16_t handle = 1;
  std::uint16_t sequence = 0;
  std::uint16_t frame_number = 0;
  std::uint32_t timestamp = 0;  // 90 kHz
  std::optional<std::uint64_t> user_timestamp;
  std::optional<DataTrackE2ee> e2ee;
  friend bool operator==(const DataTrackHeader&, const DataTrackHeader&) = default;
};

struct DataTrackPacketView {
  DataTrackHeader header;
  BytesIn payload;
};

inline constexpr std::size_t data_track_base_header = 12;
inline constexpr std::size_t data_track_default_mtu = 16000;  // livekit-client's TRANSPORT_MTU_BYTES

namespace detail {
inline constexpr std::uint8_t ext_e2ee = 1, ext_user_timestamp = 2, ext_e2ee_len = 13,
                              ext_user_timestamp_len = 8;

[[nodiscard]] constexpr std::size_t extension_bytes(const DataTrackHeader& h) noexcept {
  return (h.e2ee ? 2 + ext_e2ee_len : 0) + (h.user_timestamp ? 2 + ext_user_timestamp_len : 0);
}
}  // namespace detail

// Bytes of h's header (12, or 12 + the extension block rounded up to 4-byte words).
[[nodiscard]] constexpr std::size_t data_track_header_size(const DataTrackHeader& h) noexcept {
  const std::size_t ext = detail::extension_bytes(h);
  if (ext == 0) return data_track_base_header;
  const std::size_t words = (2 + ext + 3) / 4;
  return data_track_base_header + 4 * words;
}

// Writes h into out; returns the bytes written.
[[nodiscard]] inline Result<std::size_t> write_data_track_header(const DataTrackHeader& h,
                                                                 BytesOut out) noexcept {
  if (h.handle == 0) return Errc::invalid_argument;
  const std::size_t n = data_track_header_size(h), ext = detail::extension_bytes(h);
  if (out.size() < n) return Errc::buffer_too_small;
  std::uint8_t* p = out.data();
  p[0] = static_cast<std::uint8_t>(static_cast<unsigned>(h.marker) << 3 | (ext ? 1u << 2 : 0u));
  p[1] = 0;
  store_be16(p + 2, h.handle);
  store_be16(p + 4, h.sequence);
  store_be16(p + 6, h.frame_number);
  store_be32(p + 8, h.timestamp);
  if (ext) {
    const std::size_t words = (n - data_track_base_header) / 4;
    store_be16(p + 12, static_cast<std::uint16_t>(words - 1));
    std::size_t i = 14;
    if (h.e2ee) {
      p[i++] = detail::ext_e2ee;
      p[i++] = detail::ext_e2ee_len;
      p[i++] = h.e2ee->key_index;
      std::memcpy(p + i, h.e2ee->iv.data(), iv_bytes);
      i += iv_bytes;
    }
    if (h.user_timestamp) {
      p[i++] = detail::ext_user_timestamp;
      p[i++] = detail::ext_user_timestamp_len;
      store_be64(p + i, *h.user_timestamp);
      i += 8;
    }
    std::memset(p + i, 0, n - i);
  }
  return n;
}

// One packet: its header and payload (a view into `packet`).
[[nodiscard]] inline Result<DataTrackPacketView> parse_data_track_packet(BytesIn packet) noexcept {
  if (packet.size() < data_track_base_header) return Errc::malformed_frame;
  const std::uint8_t* p = packet.data();
  if (((p[0] >> 5) & 7) > 0) return Errc::malformed_frame;  // a later version
  DataTrackPacketView v;
  v.header.marker = static_cast<DataTrackMarker>((p[0] >> 3) & 3);
  const bool ext = (p[0] >> 2) & 1;
  v.header.handle = load_be16(p + 2);
  if (v.header.handle == 0) return Errc::malformed_frame;  // reserved
  v.header.sequence = load_be16(p + 4);
  v.header.frame_number = load_be16(p + 6);
  v.header.timestamp = load_be32(p + 8);
  std::size_t at = data_track_base_header;
  if (ext) {
    if (packet.size() - at < 2) return Errc::malformed_frame;
    const std::size_t block = 4 * (std::size_t{load_be16(p + at)} + 1) - 2;
    at += 2;
    if (packet.size() - at < block) return Errc::malformed_frame;
    std::size_t i = 0;
    const std::uint8_t* e = p + at;
    while (block - i >= 2) {
      const std::uint8_t tag = e[i], len = e[i + 1];
      i += 2;
      if (tag == 0) continue;  // padding, as livekit-client reads it
      if (len > block - i) return Errc::malformed_frame;
      if (tag == detail::ext_e2ee) {
        if (len < detail::ext_e2ee_len) return Errc::malformed_frame;
        DataTrackE2ee d;
        d.key_index = e[i];
        std::memcpy(d.iv.data(), e + i + 1, iv_bytes);
        v.header.e2ee = d;
      } else if (tag == detail::ext_user_timestamp) {
        if (len < detail::ext_user_timestamp_len) return Errc::malformed_frame;
        v.header.user_timestamp = load_be64(e + i);
      }
      i += len;
    }
    at += block;
  }
  v.payload = packet.subspan(at);
  return v;
}

// Cuts frames into packets, as livekit-client's DataTrackPacketizer: one per track, counting
// sequence and frame numbers from 0.
class DataTrackPacketizer {
 public:
  [[nodiscard]] static Result<DataTrackPacketizer> create(std::uint16_t handle,
                                                          std::size_t mtu = data_track_default_mtu) noexcept {
    if (handle == 0 || mtu <= data_track_header_size(full_header())) return Errc::invalid_argument;
    return DataTrackPacketizer(handle, mtu);
  }

  // The packets of one frame: emit(BytesIn packet) once per packet, in order, each written into
  // `scratch` (at least mtu() bytes, or the frame's header + payload if smaller). `e2ee` and
  // `user_timestamp` go into every packet's header. Returns the number of packets. An empty payload
  // makes no packet (livekit-client sends nothing for it either).
  template <class Emit>
  [[nodiscard]] Result<std::size_t> packetize(BytesIn payload, std::uint32_t timestamp,
                                              const std::optional<DataTrackE2ee>& e2ee,
                                              const std::optional<std::uint64_t>& user_timestamp,
                                              BytesOut scratch, Emit&& emit) noexcept {
    DataTrackHeader h;
    h.handle = handle_;
    h.frame_number = frame_number_++;
    h.timestamp = timestamp;
    h.e2ee = e2ee;
    h.user_timestamp = user_timestamp;
    const std::size_t head = data_track_header_size(h), room = mtu_ - head;
    const std::size_t count = (payload.size() + room - 1) / room;
    for (std::size_t k = 0, off = 0; off < payload.size(); ++k, off += room) {
      const std::size_t n = payload.size() - off < room ? payload.size() - off : room;
      h.marker = count <= 1       ? DataTrackMarker::single
                 : k == 0         ? DataTrackMarker::start
                 : k + 1 == count ? DataTrackMarker::final_
                                  : DataTrackMarker::inter;
      h.sequence = sequence_++;
      if (scratch.size() < head + n) return Errc::buffer_too_small;
      auto w = write_data_track_header(h, scratch);
      if (!w) return w.error();
      std::memcpy(scratch.data() + head, payload.data() + off, n);
      emit(BytesIn(scratch.data(), head + n));
    }
    return count;
  }

  [[nodiscard]] std::size_t mtu() const noexcept { return mtu_; }
  [[nodiscard]] std::uint16_t handle() const noexcept { return handle_; }

 private:
  DataTrackPacketizer(std::uint16_t handle, std::size_t mtu) noexcept : handle_(handle), mtu_(mtu) {}
  static DataTrackHeader full_header() noexcept {
    DataTrackHeader h;
    h.e2ee = DataTrackE2ee{};
    h.user_timestamp = 0;
    return h;
  }
  std::uint16_t handle_;
  std::size_t mtu_;
  std::uint16_t sequence_ = 0, frame_number_ = 0;
};

// Why the depacketizer dropped a frame (livekit-client's DataTrackDepacketizerDropReason).
enum class DataTrackDrop : std::uint8_t {
  none,
  interrupted,    // a new frame started before the partial one was complete
  unknown_frame,  // an inter/final packet of a frame whose start packet never came
  buffer_full,    // more than max_packets_per_frame packets
  incomplete,     // the final packet came with packets between start and final missing
};

// A reassembled frame: its payload (valid until the next push) and the start packet's header.
struct DataTrackFrame {
  BytesIn payload;
  DataTrackHeader header;
};

// Reassembles packets into frames, as livekit-client's DataTrackDepacketizer with one partial frame
// (its default): packets of the partial frame may come in any order; a start or single packet of
// another frame drops it (interrupted).
class DataTrackDepacketizer {
 public:
  static constexpr std::size_t max_packets_per_frame = 128;  // livekit-client's MAX_BUFFER_PACKETS

  // A frame when `packet` completes one; std::nullopt while one is being assembled or when a frame
  // was dropped (`drop` says why). Errors: malformed_frame (not a packet).
  [[nodiscard]] Result<std::optional<DataTrackFrame>> push(BytesIn packet, DataTrackDrop* drop = nullptr) {
    DataTrackDrop local;
    DataTrackDrop& why = drop ? *drop : local;
    why = DataTrackDrop::none;
    auto v = parse_data_track_packet(packet);
    if (!v) return v.error();
    const DataTrackHeader& h = v->header;
    switch (h.marker) {
      case DataTrackMarker::single:
        if (active_) {
          active_ = false;
          why = DataTrackDrop::interrupted;
        }
        frame_.assign(v->payload.begin(), v->payload.end());
        return std::optional<DataTrackFrame>(DataTrackFrame{BytesIn(frame_.data(), frame_.size()), h});
      case DataTrackMarker::start:
        if (active_) why = DataTrackDrop::interrupted;
        active_ = true;
        start_ = h;
        used_ = 0;
        store(h.sequence, v->payload);
        return std::optional<DataTrackFrame>();
      case DataTrackMarker::inter:
      case DataTrackMarker::final_:
        break;
    }
    if (!active_ || h.frame_number != start_.frame_number) {  // the partial frame, if any, stays
      why = DataTrackDrop::unknown_frame;
      return std::optional<DataTrackFrame>();
    }
    if (used_ >= max_packets_per_frame && !find(h.sequence)) {
      active_ = false;
      why = DataTrackDrop::buffer_full;
      return std::optional<DataTrackFrame>();
    }
    store(h.sequence, v->payload);
    if (h.marker == DataTrackMarker::inter) return std::optional<DataTrackFrame>();
    // final: every sequence number from the start packet's to this one must be there
    active_ = false;
    const std::uint16_t count = static_cast<std::uint16_t>(h.sequence - start_.sequence + 1);
    frame_.clear();
    for (std::uint16_t k = 0; k < count; ++k) {
      const Slot* s = find(static_cast<std::uint16_t>(start_.sequence + k));
      if (!s || count > max_packets_per_frame) {
        why = DataTrackDrop::incomplete;
        return std::optional<DataTrackFrame>();
      }
      frame_.insert(frame_.end(), s->bytes.begin(), s->bytes.end());
    }
    return std::optional<DataTrackFrame>(DataTrackFrame{BytesIn(frame_.data(), frame_.size()), start_});
  }

  void reset() noexcept { active_ = false; }

 private:
  struct Slot {
    std::uint16_t sequence = 0;
    std::vector<std::uint8_t> bytes;
  };
  const Slot* find(std::uint16_t seq) const noexcept {
    for (std::size_t i = 0; i < used_; ++i)
      if (slots_[i].sequence == seq) return &slots_[i];
    return nullptr;
  }
  void store(std::uint16_t seq, BytesIn payload) {
    Slot* s = const_cast<Slot*>(find(seq));  // a duplicate replaces the earlier packet, as livekit-client
    if (!s) {
      if (slots_.size() <= used_) slots_.resize(used_ + 1);
      s = &slots_[used_++];
      s->sequence = seq;
    }
    s->bytes.assign(payload.begin(), payload.end());
  }

  std::vector<Slot> slots_;
  std::size_t used_ = 0;
  bool active_ = false;
  DataTrackHeader start_;
  std::vector<std::uint8_t> frame_;
};

}  // namespace livekit
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
