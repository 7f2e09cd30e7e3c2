// Fuzz target: the CLI's H.264/H.265 Annex-B reader (tools/media/annexb.hpp) and read_media on an
// elementary stream.
//
// Input: byte 0 the codec (bit 0: H.264 / H.265) and the file name read_media sees (bits 1-2:
// .h264, .h265, no extension, .264); then the stream.
// Checks: split_access_units never reads outside the stream; on success the access units tile the
// stream exactly (back to back from byte 0 to the end, none empty, so concatenated they give the
// stream back byte for byte), and a key frame has a slice; sniff_annexb_codec never reads past the
// stream; read_media's frames are exactly the access units of the codec it chose.
#include <media/annexb.hpp>
#include <media/containers.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace fsfuzz;

void check_units(media::BytesIn in, const std::vector<media::AccessUnit>& units) {
  std::size_t pos = 0;
  for (const media::AccessUnit& u : units) {
    FS_FUZZ_CHECK(u.offset == pos && u.size > 0 && u.size <= in.size() - u.offset);
    if (u.key) FS_FUZZ_CHECK(u.has_slice);
    pos = u.offset + u.size;
  }
  FS_FUZZ_CHECK(pos == in.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input input(data, size);
  const std::uint8_t cfg = input.byte();
  const media::BytesIn rest = input.rest();
  const Bytes file(rest.begin(), rest.end());
  const media::BytesIn in(file);
  const frameseal::Codec codec = (cfg & 1) ? frameseal::Codec::h265 : frameseal::Codec::h264;

  std::vector<media::AccessUnit> units;
  const auto err = media::split_access_units(in, codec, units);
  if (err) {
    FS_FUZZ_CHECK(!err->what.empty());
  } else {
    FS_FUZZ_CHECK(!units.empty());
    check_units(in, units);
  }
  (void)media::sniff_annexb_codec(in);
  (void)media::starts_with_start_code(in);

  static constexpr const char* names[4] = {"input.h264", "input.h265", "input", "input.264"};
  media::MediaFile mf;
  const auto merr = media::read_media(in, names[(cfg >> 1) & 3], frameseal::Codec::unknown, mf);
  if (!merr) {
    if (mf.container != media::AnnexBContainer::name) return 0;  // the bytes said IVF or Ogg
    std::vector<media::AccessUnit> want;
    FS_FUZZ_CHECK(!media::split_access_units(in, mf.codec, want));
    FS_FUZZ_CHECK(mf.frames.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      FS_FUZZ_CHECK(mf.frames[i].data.data() == file.data() + want[i].offset &&
                    mf.frames[i].data.size() == want[i].size);
      FS_FUZZ_CHECK(mf.frames[i].key && *mf.frames[i].key == want[i].key);
    }
  } else {
    FS_FUZZ_CHECK(!merr->what.empty());
  }
  return 0;
}
