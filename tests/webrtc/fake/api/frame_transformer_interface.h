// TEST ONLY: stands in for libwebrtc's api/frame_transformer_interface.h (see fake_webrtc.hpp).
#pragma once
#include "../../fake_webrtc.hpp"
