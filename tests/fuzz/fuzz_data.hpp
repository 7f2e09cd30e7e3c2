// Shared by the data fuzz targets (fuzz_data_packet.cpp, fuzz_data_track.cpp): the key ring they
// decrypt with (keys at indexes 0 and 3) and the "this span lies inside that one" check.
#pragma once

#include <frameseal/frameseal.hpp>

#include "fuzz_common.hpp"

namespace fsfuzz {

using DataCipher = frameseal::sodium::ChaCha20Poly1305;

inline bool inside(frameseal::BytesIn part, frameseal::BytesIn whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Built once; targets clone it so a decrypt that ratchets does not change what the next input sees.
inline frameseal::KeyRing<DataCipher>& data_ring() {
  static frameseal::KeyRing<DataCipher> r = [] {
    auto k = frameseal::KeyRing<DataCipher>::create().value();
    FS_FUZZ_CHECK(k.set_key(3, frameseal::as_bytes("three")) == frameseal::Errc::ok);
    FS_FUZZ_CHECK(k.set_key(0, frameseal::as_bytes("zero")) == frameseal::Errc::ok);
    return k;
  }();
  return r;
}

}  // namespace fsfuzz
