// TEST ONLY: stands in for libwebrtc's api/scoped_refptr.h (see fake_webrtc.hpp).
#pragma once
#include "../../fake_webrtc.hpp"
