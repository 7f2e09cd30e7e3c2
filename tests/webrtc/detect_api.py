#!/usr/bin/env python3
"""Prints the libwebrtc API generation of a source tree, for the compile check of the adapters.

usage: detect_api.py WEBRTC_SRC_DIR
Output: "<generation> <video_header>": generation 1, 2 or 3 as in include/frameseal/webrtc/api.hpp
(1: rtc::ArrayView and a plain-enum cricket::MediaType; 2: ArrayView and webrtc::MediaType as an
enum class; 3: std::span), and 1 when TransformableVideoFrameInterface has webrtc-sdk's header()
(the test's mock frames must implement it there). Exits 1 when the folder is not a libwebrtc tree.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
try:
    transformer = (root / "api/frame_transformer_interface.h").read_text()
    media = (root / "api/media_types.h").read_text()
except OSError as e:
    sys.exit(f"detect_api.py: {root} does not look like a libwebrtc source tree ({e})")
array_view = root / "api/array_view.h"
array_view = array_view.read_text() if array_view.exists() else ""

if re.search(r"std::span<const uint8_t>\s+GetData\(\)", transformer) or re.search(
        r"using\s+ArrayView\s*(\[\[[^\]]*\]\]\s*)?(ABSL_\w+\(\)\s*)?=\s*std::span", array_view):
    generation = 3
elif re.search(r"namespace cricket\s*\{\s*enum MediaType\b", media):
    generation = 1
else:
    generation = 2
video_header = 1 if re.search(r"RTPVideoHeader&\s*header\s*\(\s*\)", transformer) else 0
print(generation, video_header)
