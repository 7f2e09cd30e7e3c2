// TEST ONLY: stands in for libwebrtc's api/crypto/frame_encryptor_interface.h (see fake_webrtc.hpp).
#pragma once
#include "../../../fake_webrtc.hpp"
