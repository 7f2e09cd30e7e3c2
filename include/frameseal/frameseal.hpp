// frameseal/frameseal.hpp: the umbrella header. Includes the core: errors, bytes, secrets, the
// Cipher concept with the libsodium backend, the KDFs, the key ring, the codec parsers, the
// LiveKit frame format, the session layer (LiveKit's E2EE API: KeyProvider, E2eeManager, states)
// and the SFrame (RFC 9605) format. Opt-in edges are separate: <frameseal/ciphers/openssl.hpp> (AES-128-GCM,
// LiveKit's wire cipher; needs OpenSSL 3 or BoringSSL) and <frameseal/webrtc/...> (libwebrtc).
#pragma once

#include "version.hpp"
#include "error.hpp"
#include "bytes.hpp"
#include "secret.hpp"
#include "cipher.hpp"
#include "ciphers/sodium.hpp"
#include "kdf.hpp"
#include "codec/codec.hpp"
#include "codec/nalu.hpp"
#include "codec/vp8.hpp"
#include "key_ring.hpp"
#include "livekit/rbsp.hpp"
#include "livekit/clear_header.hpp"
#include "livekit/sif.hpp"
#include "livekit/packet_trailer.hpp"
#include "livekit/iv.hpp"
#include "livekit/frame_cryptor_options.hpp"
#include "livekit/frame_layout.hpp"
#include "livekit/frame_cryptor.hpp"
#include "livekit/data_packet.hpp"
#include "livekit/data_track.hpp"
#include "session/options.hpp"
#include "session/key_provider.hpp"
#include "session/e2ee_manager.hpp"
#include "sframe/header.hpp"
#include "sframe/suite.hpp"
#include "sframe/key_schedule.hpp"
#include "sframe/replay_window.hpp"
#include "sframe/frame_cryptor.hpp"
#include "session/sframe_format.hpp"
