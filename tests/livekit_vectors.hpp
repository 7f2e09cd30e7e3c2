// The livekit-client 2.23.0 known answers (tests/vectors/livekit/), as the unit tests read them:
// the JSON document and the FrameInfo of one vector.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "common.hpp"

namespace fstest {

inline nlohmann::json livekit_vectors() {
  std::ifstream f(vectors_dir() + "/livekit/livekit-client-2.23.0-public.json");
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}

inline frameseal::FrameInfo info_of(const nlohmann::json& v) {
  using namespace frameseal;
  FrameInfo info;
  info.codec = codec_from_string(v["codec"].get<std::string>()).value();
  info.kind = v["kind"] == "audio" ? MediaKind::audio : MediaKind::video;
  if (v["frame_type"].is_string()) info.key_frame = v["frame_type"] == "key";
  info.ssrc = v["ssrc"].get<std::uint32_t>();
  info.rtp_timestamp = v["rtp_timestamp"].get<std::uint32_t>();
  return info;
}

}  // namespace fstest
