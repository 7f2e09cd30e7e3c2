// TEST ONLY: stands in for libwebrtc's api/rtp_receiver_interface.h (see fake_webrtc.hpp).
#pragma once
#include "../../fake_webrtc.hpp"
