// TEST ONLY: stands in for libwebrtc's api/rtp_sender_interface.h (see fake_webrtc.hpp).
#pragma once
#include "../../fake_webrtc.hpp"
