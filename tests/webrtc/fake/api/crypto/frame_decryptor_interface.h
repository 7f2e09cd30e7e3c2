// TEST ONLY: stands in for libwebrtc's api/crypto/frame_decryptor_interface.h (see fake_webrtc.hpp).
#pragma once
#include "../../../fake_webrtc.hpp"
