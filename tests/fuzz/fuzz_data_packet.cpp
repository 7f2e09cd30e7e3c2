// Fuzz target: LiveKit data packets (livekit/data_packet.hpp). The input is taken three ways:
//   - as an EncryptedPacket: parse; when it parses, encode(parse(x)) parses to the same fields, and
//     DataCryptor::decrypt (a ring holding keys at indexes 0 and 3) never writes past `out`, and on
//     failure leaves nothing of its own there;
//   - as a DataPacket: find_encrypted_packet never reads outside the input, and what it finds lies
//     inside it;
//   - as a payload: encrypt then decrypt gives it back, with the IV policy and emitted type chosen
//     by the first byte.
#include <frameseal/frameseal.hpp>

#include "fuzz_data.hpp"

using namespace fsfuzz;
using namespace frameseal;
using C = DataCipher;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const BytesIn in(data, size);

  auto p = livekit::parse_encrypted_packet(in);
  if (p) {
    FS_FUZZ_CHECK(p->iv.size() == livekit::iv_bytes && inside(p->iv, in) && inside(p->encrypted_value, in));
    Bytes again(livekit::encoded_size(*p));
    auto e = livekit::encode(*p, again);
    FS_FUZZ_CHECK(e.has_value() && e->size() == again.size());
    auto q = livekit::parse_encrypted_packet(again);
    FS_FUZZ_CHECK(q.has_value() && q->key_index == p->key_index && q->encryption_type == p->encryption_type);
    FS_FUZZ_CHECK(std::equal(q->iv.begin(), q->iv.end(), p->iv.begin(), p->iv.end()));
    FS_FUZZ_CHECK(std::equal(q->encrypted_value.begin(), q->encrypted_value.end(), p->encrypted_value.begin(),
                             p->encrypted_value.end()));
  } else {
    FS_FUZZ_CHECK(p.error() == Errc::malformed_frame);
  }
  {
    // Fresh ring copies: a decrypt that ratchets must not change what the next input sees.
    auto r = data_ring().clone().value();
    livekit::DataCryptor<C> dc(r);
    Guarded out(size, 0xCC);
    const Bytes before(size, 0xCC);
    auto d = dc.decrypt(in, out.span());
    FS_FUZZ_CHECK(out.guard_intact());
    if (!d) FS_FUZZ_CHECK(only_old_or_zero(out.span(), before));
    if (d) FS_FUZZ_CHECK(p.has_value());  // only an EncryptedPacket can decrypt
  }
  auto f = livekit::find_encrypted_packet(in);
  if (f && f->has_value()) FS_FUZZ_CHECK(inside(**f, in));
  if (!f) FS_FUZZ_CHECK(f.error() == Errc::malformed_frame);

  // As a payload.
  Input choice(data, size);
  const std::uint8_t cfg = choice.byte();
  const BytesIn payload = choice.rest();
  auto r = data_ring().clone().value();
  FS_FUZZ_CHECK(r.set_current_index(cfg & 1 ? 3 : 0) == Errc::ok);
  const livekit::DataCryptorOptions o{cfg & 2 ? livekit::DataEncryptionType::gcm
                                              : livekit::DataEncryptionType::none};
  Bytes packet(livekit::DataCryptor<C>::max_packet_size(payload.size()));
  Result<BytesOut> e = Errc::internal_error;
  if (cfg & 4) {
    livekit::DataCryptor<C, livekit::LivekitDataIv> tx(r, livekit::LivekitDataIv(choice.left(), cfg, cfg), o);
    e = tx.encrypt(payload, packet);
  } else {
    livekit::DataCryptor<C> tx(r, livekit::UniqueIv(), o);
    e = tx.encrypt(payload, packet);
  }
  FS_FUZZ_CHECK(e.has_value());
  livekit::DataCryptor<C> rx(r);
  Bytes back(e->size());
  livekit::DataReport rep;
  auto d = rx.decrypt(*e, back, &rep);
  FS_FUZZ_CHECK(d.has_value() && std::equal(d->begin(), d->end(), payload.begin(), payload.end()));
  FS_FUZZ_CHECK(rep.key_index == (cfg & 1 ? 3u : 0u));
  return 0;
}
