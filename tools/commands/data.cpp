// `frameseal data encrypt|decrypt`: LiveKit E2EE data packets (livekit/data_packet.hpp) as hex
// arguments, one output line each, like `frameseal frame`.
//   encrypt: each HEX is a serialized EncryptedPacketPayload (chat, RPC, stream parts, user packet);
//            prints the serialized EncryptedPacket (what goes into DataPacket field 18)
//   decrypt: each HEX is an EncryptedPacket, or a whole DataPacket with --data-packet (field 18 is
//            taken from it); prints the payload, or "drop <reason>"
// Keys as for the media commands (--key, --key-file, --passphrase, --kdf, --salt, --key-index,
// --cipher, --ratchet-window), plus --ratchet N (ratchet before use). --iv unique (default) or
// livekit (livekit-client's formula; with --iv-random R --iv-timestamp MS --iv-count N fixed, for
// byte-identical output); --type none|gcm: the encryption_type written (livekit-client: none).
//
// --track: LiveKit data tracks (livekit/data_track.hpp) instead of data packets.
//   encrypt: each HEX is one frame's payload; prints its packets (seal the frame, then cut it at
//            --mtu N, default 16000, with --handle H (default 1), --timestamp T (90 kHz, default 0)
//            and --user-timestamp U if given), one line per packet
//   decrypt: each HEX is one packet, in arrival order; prints each reassembled and decrypted frame's
//            payload, "drop <reason>" for a packet that is not one or a frame that fails (decrypt
//            errors, or the depacketizer's interrupted / unknown_frame / buffer_full / incomplete)
#include "command.hpp"
#include "file_engine.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace cli {
namespace {

class Data final : public Command {
 public:
  Data()
      : Command("data encrypt|decrypt [options] HEX...",
                "LiveKit E2EE data packets (see frameseal data --help)") {}
  int run(int argc, char** argv) override;
};

// `frameseal data-track ...` = `frameseal data --track ...`.
class DataTrack final : public Command {
 public:
  DataTrack()
      : Command("data-track encrypt|decrypt [options] HEX...",
                "LiveKit data track frames / packets (= data --track)") {}
  int run(int argc, char** argv) override;
};

inline const char* data_usage =
    "usage: frameseal data encrypt|decrypt [options] HEX [HEX...]\n"
    "  encrypt: HEX = a serialized EncryptedPacketPayload; prints the EncryptedPacket (DataPacket field 18)\n"
    "  decrypt: HEX = an EncryptedPacket (or, with --data-packet, a whole DataPacket); prints the payload\n"
    "           or \"drop <reason>\"\n"
    "%s"
    "  --ratchet N            ratchet the key N times before use\n"
    "  --iv unique|livekit    IV policy (default unique; livekit = livekit-client's data IV formula)\n"
    "  --iv-random R --iv-timestamp MS --iv-count N   fix livekit's random, milliseconds and send counter\n"
    "  --type none|gcm        EncryptedPacket.encryption_type to write (default none, as livekit-client)\n"
    "  --data-packet          decrypt: the input is a DataPacket\n"
    "  --track                data track frames: encrypt HEX = a frame payload, prints its packets;\n"
    "                         decrypt HEX = a packet, prints each reassembled frame's payload\n"
    "  --handle H --mtu N --timestamp T --user-timestamp U   --track encrypt: the packets' header\n";

struct DataOptions {
  KeyOptions key;
  bool encrypt = true;
  std::size_t ratchets = 0;
  bool livekit_iv = false;
  std::optional<std::uint32_t> iv_random, iv_timestamp;
  std::uint32_t iv_count = 0;
  fs::livekit::DataEncryptionType type = fs::livekit::DataEncryptionType::none;
  bool data_packet = false;
  bool track = false;
  std::uint16_t handle = 1;
  std::size_t mtu = fs::livekit::data_track_default_mtu;
  std::uint32_t timestamp = 0;
  std::optional<std::uint64_t> user_timestamp;
  std::vector<Bytes> inputs;
};

inline DataOptions parse_data_options(int argc, char** argv) {
  DataOptions o;
  if (argc < 1) die(std::string("frameseal data: expected encrypt or decrypt (frameseal data --help)"));
  const std::string mode = argv[0];
  if (mode == "--help" || mode == "-h") {
    std::printf(data_usage, key_options_usage);
    std::exit(0);
  }
  if (mode != "encrypt" && mode != "decrypt") die("frameseal data: expected encrypt or decrypt, got " + mode);
  o.encrypt = mode == "encrypt";
  Args args(argc - 1, argv + 1);
  while (args.more()) {
    const std::string a = args.next();
    if (parse_key_option(o.key, args, a)) continue;
    auto value = [&]() -> std::string { return args.value(a); };
    if (a == "--ratchet") {
      o.ratchets = parse_uint(a, value(), 1000);
    } else if (a == "--iv") {
      const std::string v = value();
      if (v != "unique" && v != "livekit") die("--iv: expected unique or livekit");
      o.livekit_iv = v == "livekit";
    } else if (a == "--iv-random") {
      o.iv_random = static_cast<std::uint32_t>(parse_uint(a, value(), 0xffffffffu));
    } else if (a == "--iv-timestamp") {
      o.iv_timestamp = static_cast<std::uint32_t>(parse_uint(a, value(), 0xffffffffu));
    } else if (a == "--iv-count") {
      o.iv_count = static_cast<std::uint32_t>(parse_uint(a, value(), 0xffffffffu));
    } else if (a == "--type") {
      const std::string v = value();
      if (v == "none")
        o.type = fs::livekit::DataEncryptionType::none;
      else if (v == "gcm")
        o.type = fs::livekit::DataEncryptionType::gcm;
      else
        die("--type: expected none or gcm");
    } else if (a == "--data-packet") {
      o.data_packet = true;
    } else if (a == "--track") {
      o.track = true;
    } else if (a == "--handle") {
      o.handle = static_cast<std::uint16_t>(parse_uint(a, value(), 0xffff));
      if (o.handle == 0) die("--handle: 0 is reserved; 1..65535");
    } else if (a == "--mtu") {
      o.mtu = parse_uint(a, value(), 1 << 20);
    } else if (a == "--timestamp") {
      o.timestamp = static_cast<std::uint32_t>(parse_uint(a, value(), 0xffffffffu));
    } else if (a == "--user-timestamp") {
      o.user_timestamp = parse_uint(a, value(), ~std::uint64_t{0});
    } else if (a == "--help" || a == "-h") {
      std::printf(data_usage, key_options_usage);
      std::exit(0);
    } else if (a.size() > 1 && a[0] == '-') {
      die("unknown option for data: " + a + " (frameseal data --help)");
    } else {
      auto b = parse_hex(a);
      if (!b) die("not hex: argument " + std::to_string(args.last_index() + 1));
      o.inputs.push_back(std::move(*b));
    }
  }
  if (!o.key.has_key()) die("data: a key is needed: --key-file PATH, --key HEX or --passphrase TEXT");
  if (o.key.format != "livekit") die("data: only LiveKit's format has data packets (--format livekit)");
  if ((o.iv_random || o.iv_timestamp) && !o.livekit_iv)
    die("--iv-random/--iv-timestamp go with --iv livekit");
  if (o.iv_random.has_value() != o.iv_timestamp.has_value()) die("give both --iv-random and --iv-timestamp");
  if (o.inputs.empty()) die("data: no packets given");
  if (o.track && o.data_packet) die("--track and --data-packet: a data track packet is not a DataPacket");
  return o;
}

// --track: frames through DataTrackPacketizer / DataTrackDepacketizer, sealed with `dc` (the
// session layer's seal_data / open_data do the same per participant).
template <class Cryptor, class Ring>
void run_data_track(DataOptions& o, Cryptor& dc, Ring& ring) {
  namespace lk = fs::livekit;
  std::vector<std::uint8_t> out;
  if (o.encrypt) {
    auto pk = lk::DataTrackPacketizer::create(o.handle, o.mtu);
    if (!pk) die("--mtu " + std::to_string(o.mtu) + ": too small for a packet header (or a bad --handle)");
    std::vector<std::uint8_t> scratch(o.mtu);
    for (const Bytes& in : o.inputs) {
      out.assign(in.size() + Ring::cipher_type::tag_bytes, 0);
      auto s = dc.seal(in, out);
      if (!s) die(std::string("encrypt: ") + std::string(fs::to_string(s.error())));
      auto n = pk->packetize(s->value, o.timestamp, lk::DataTrackE2ee{s->key_index, s->iv}, o.user_timestamp,
                             scratch, [](fs::BytesIn p) { std::printf("%s\n", to_hex(p).c_str()); });
      if (!n) die(std::string("packetize: ") + std::string(fs::to_string(n.error())));
    }
    return;
  }
  static constexpr const char* drops[] = {"none", "interrupted", "unknown_frame", "buffer_full",
                                          "incomplete"};
  lk::DataTrackDepacketizer d;
  for (const Bytes& in : o.inputs) {
    lk::DataTrackDrop why;
    auto f = d.push(in, &why);
    if (why != lk::DataTrackDrop::none) std::printf("drop %s\n", drops[static_cast<int>(why)]);
    if (!f) {
      std::printf("drop %s\n", std::string(fs::to_string(f.error())).c_str());
      continue;
    }
    if (!*f) continue;
    const lk::DataTrackFrame& frame = **f;
    if (!frame.header.e2ee) {
      std::printf("drop not_encrypted\n");  // livekit-client: "Missing E2EE meta"
      continue;
    }
    out.assign(frame.payload.size(), 0);
    lk::DataReport rep;
    auto r = dc.open(frame.header.e2ee->key_index, frame.header.e2ee->iv, frame.payload, out, &rep);
    if (r && rep.match.ratchet_steps > 0) (void)ring.refill(rep.key_index);
    if (r)
      std::printf("%s\n", to_hex(*r).c_str());
    else
      std::printf("drop %s\n", std::string(fs::to_string(r.error())).c_str());
  }
}

template <class C, class Iv>
int run_data(DataOptions& o, Iv iv) {
  auto ring = make_ring<C>(o.key);
  for (std::size_t r = 0; r < o.ratchets; ++r)
    if (!ring.ratchet(o.key.key_index % ring.size())) die("ratchet failed");
  fs::livekit::DataCryptor<C, Iv> dc(ring, std::move(iv), {.emit_type = o.type});
  if (o.track) {
    run_data_track(o, dc, ring);
    o.key.wipe();
    return 0;
  }
  std::vector<std::uint8_t> out;
  for (const Bytes& in : o.inputs) {
    if (o.encrypt) {
      out.assign(decltype(dc)::max_packet_size(in.size()), 0);
      auto r = dc.encrypt(in, out);
      if (!r) die(std::string("encrypt: ") + std::string(fs::to_string(r.error())));
      std::printf("%s\n", to_hex(*r).c_str());
      continue;
    }
    fs::BytesIn packet = in;
    if (o.data_packet) {
      auto f = fs::livekit::find_encrypted_packet(in);
      if (!f || !f->has_value()) {
        std::printf("drop %s\n", !f ? std::string(fs::to_string(f.error())).c_str() : "not_encrypted");
        continue;
      }
      packet = **f;
    }
    out.assign(packet.size(), 0);
    fs::livekit::DataReport rep;
    auto r = dc.decrypt(packet, out, &rep);
    if (r && rep.match.ratchet_steps > 0) (void)ring.refill(rep.key_index);
    if (r)
      std::printf("%s\n", to_hex(*r).c_str());
    else
      std::printf("drop %s\n", std::string(fs::to_string(r.error())).c_str());
  }
  o.key.wipe();
  return 0;
}

int run_data_command(int argc, char** argv) {
  DataOptions o = parse_data_options(argc, argv);
  const CipherId cipher = o.key.cipher.value_or(CipherId::aes128gcm);
  return with_cipher(cipher, [&]<class C>() {
    if (!o.livekit_iv) return run_data<C>(o, fs::livekit::UniqueIv());
    if (o.iv_random)
      return run_data<C>(o, fs::livekit::LivekitDataIv(*o.iv_random, *o.iv_timestamp, o.iv_count));
    return run_data<C>(o, fs::livekit::LivekitDataIv());
  });
}

int Data::run(int argc, char** argv) {
  return run_data_command(argc, argv);
}

int DataTrack::run(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  static char track[] = "--track";
  args.insert(args.begin() + (args.empty() ? 0 : 1), track);
  return run_data_command(static_cast<int>(args.size()), args.data());
}

FRAMESEAL_CLI_COMMAND("data", Data);
FRAMESEAL_CLI_COMMAND("data-track", DataTrack);

}  // namespace

}  // namespace cli
