// The containers the CLI reads and writes, and the one place they are listed.
//
// A container is a struct with static members (the `Container` concept below):
//   name                      its name in messages and JSON ("ivf")
//   claims(data, ext)         whether it reads this file (magic bytes or the file extension)
//   read(data, ext, hint, m)  the frames of the file into m (a ParseError on bad input)
//   writes(codec)             whether decrypt writes this codec back to this container
//   write(m, frames, out)     frames (decrypted, in m's order and with m's time stamps) as a file
//   encrypted_header(m)       the IVF header of the encrypted file made from m (before the mark)
// Each container's reader, writer and header mapping are in its own file (ivf.hpp, annexb.hpp,
// ogg.hpp). Adding a container is one new file and one entry in `Containers`.
#pragma once

#include <concepts>
#include <span>
#include <string_view>

#include "annexb.hpp"
#include "ivf.hpp"
#include "media_file.hpp"
#include "ogg.hpp"

namespace media {

template <class C>
concept Container = requires(BytesIn data, std::string_view ext, frameseal::Codec codec, MediaFile& m,
                             const MediaFile& cm, std::span<const BytesIn> frames, Bytes& out) {
  { C::name } -> std::convertible_to<std::string_view>;
  { C::claims(data, ext) } -> std::same_as<bool>;
  { C::read(data, ext, codec, m) } -> std::same_as<std::optional<ParseError>>;
  { C::writes(codec) } -> std::same_as<bool>;
  C::write(cm, frames, out);
  { C::encrypted_header(cm) } -> std::same_as<IvfHeader>;
};

template <Container... C>
struct ContainerList {};

// The order in which files are tried: Annex-B last, as it takes whatever the others do not claim.
using Containers = ContainerList<IvfContainer, OggOpusContainer, AnnexBContainer>;

static_assert(Container<IvfContainer>);
static_assert(Container<OggOpusContainer>);
static_assert(Container<AnnexBContainer>);

namespace detail {
template <class... C, class F>
bool first_container(ContainerList<C...>, F&& f) {
  return (f.template operator()<C>() || ...);
}
}  // namespace detail

// Reads `data` (the file named `name`, whose extension is a hint) with the first container that
// claims it. codec_hint overrides the codec of an Annex-B stream (h264/h265); unknown lets the
// extension, then the bytes, decide.
inline std::optional<ParseError> read_media(BytesIn data, std::string_view name, frameseal::Codec codec_hint,
                                            MediaFile& out) {
  out = MediaFile{};
  if (data.empty()) return ParseError{no_frame, "empty file"};
  const std::string_view ext = extension_of(name);
  std::optional<ParseError> result;
  detail::first_container(Containers{}, [&]<class C>() {
    if (!C::claims(data, ext)) return false;
    result = C::read(data, ext, codec_hint, out);
    return true;
  });
  return result;
}

// The decrypted frames of an encrypted file m, as the container its codec goes back to. False when
// no container writes m.codec.
inline bool write_media(const MediaFile& m, std::span<const BytesIn> frames, Bytes& out) {
  return detail::first_container(Containers{}, [&]<class C>() {
    if (!C::writes(m.codec)) return false;
    C::write(m, frames, out);
    return true;
  });
}

// The IVF header an encrypted file made from `source` starts from (the caller adds the mark).
inline IvfHeader encrypted_header(const MediaFile& source) {
  IvfHeader h;
  detail::first_container(Containers{}, [&]<class C>() {
    if (source.container != C::name) return false;
    h = C::encrypted_header(source);
    return true;
  });
  h.fourcc = fourcc_of(source.codec);
  return h;
}

}  // namespace media
