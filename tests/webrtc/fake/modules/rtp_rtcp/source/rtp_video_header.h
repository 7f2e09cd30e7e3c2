// TEST ONLY: stands in for libwebrtc's modules/rtp_rtcp/source/rtp_video_header.h (see fake_webrtc.hpp).
#pragma once
#include "../../../../fake_webrtc.hpp"
