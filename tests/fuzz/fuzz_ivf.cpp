// Fuzz target: the CLI's IVF reader (tools/media/ivf.hpp) and read_media on an .ivf file.
//
// Input: an IVF file.
// Checks: parse_ivf never reads outside the file and never throws; on success the frames are
// back to back from the header size to the end of the file, each inside the file; writing the
// header and frames back (write_ivf_header / write_ivf_frame_header) and parsing that gives the same
// header fields and frames; a refusal names a frame index only for frame-level problems;
// read_media's frames are the parsed frames' bytes (and refused exactly when the header cannot be
// parsed, or for its own documented reasons).
#include <media/containers.hpp>
#include <media/ivf.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace fsfuzz;

bool same_header(const media::IvfHeader& a, const media::IvfHeader& b) {
  return a.version == b.version && a.fourcc == b.fourcc && a.width == b.width && a.height == b.height &&
         a.rate == b.rate && a.scale == b.scale && a.frame_count == b.frame_count && a.reserved == b.reserved;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes file(data, data + size);
  const media::BytesIn in(file);
  media::IvfFile ivf;
  const auto err = media::parse_ivf(in, ivf);
  if (err) {
    FS_FUZZ_CHECK(!err->what.empty());
    FS_FUZZ_CHECK(err->frame == media::no_frame || err->frame <= ivf.frames.size());
  } else {
    std::size_t pos = ivf.header.header_bytes;
    FS_FUZZ_CHECK(pos >= media::ivf_header_bytes && pos <= file.size());
    for (const media::IvfFrame& f : ivf.frames) {
      FS_FUZZ_CHECK(f.offset == pos + media::ivf_frame_header_bytes);
      FS_FUZZ_CHECK(f.offset <= file.size() && f.size <= file.size() - f.offset);
      pos = f.offset + f.size;
    }
    FS_FUZZ_CHECK(pos == file.size());

    // Written back (header size 32) and read again: the same header and frames.
    Bytes out;
    media::write_ivf_header(ivf.header, out);
    FS_FUZZ_CHECK(out.size() == media::ivf_header_bytes);
    for (const media::IvfFrame& f : ivf.frames) {
      media::write_ivf_frame_header(f.size, f.pts, out);
      out.insert(out.end(), file.begin() + static_cast<std::ptrdiff_t>(f.offset),
                 file.begin() + static_cast<std::ptrdiff_t>(f.offset + f.size));
    }
    media::IvfFile again;
    FS_FUZZ_CHECK(!media::parse_ivf(out, again));
    FS_FUZZ_CHECK(same_header(ivf.header, again.header) && again.frames.size() == ivf.frames.size());
    for (std::size_t i = 0; i < ivf.frames.size(); ++i) {
      FS_FUZZ_CHECK(again.frames[i].size == ivf.frames[i].size && again.frames[i].pts == ivf.frames[i].pts);
      FS_FUZZ_CHECK(
          std::equal(file.begin() + static_cast<std::ptrdiff_t>(ivf.frames[i].offset),
                     file.begin() + static_cast<std::ptrdiff_t>(ivf.frames[i].offset + ivf.frames[i].size),
                     out.begin() + static_cast<std::ptrdiff_t>(again.frames[i].offset)));
    }
  }

  media::MediaFile mf;
  const auto merr = media::read_media(in, "input.ivf", frameseal::Codec::unknown, mf);
  if (err) FS_FUZZ_CHECK(merr.has_value());
  if (!merr) {
    FS_FUZZ_CHECK(!err && mf.container == media::IvfContainer::name && mf.frames.size() == ivf.frames.size());
    for (std::size_t i = 0; i < mf.frames.size(); ++i) {
      FS_FUZZ_CHECK(within(mf.frames[i].data, in));
      FS_FUZZ_CHECK(mf.frames[i].data.data() == file.data() + ivf.frames[i].offset &&
                    mf.frames[i].data.size() == ivf.frames[i].size);
    }
  } else {
    FS_FUZZ_CHECK(!merr->what.empty());
  }
  return 0;
}
