// frame_encryptor.hpp compiles with nothing included before it (as a user's first include).
#include <frameseal/webrtc/frame_encryptor.hpp>
#include <frameseal/webrtc/frame_encryptor.hpp>

namespace fstest_webrtc {
using Encryptor = frameseal::webrtc_adapter::FrameEncryptor<frameseal::sframe::Suite5>;
using Decryptor = frameseal::webrtc_adapter::FrameDecryptor<frameseal::sframe::Suite5>;
[[maybe_unused]] Encryptor::ref_type (*const make_encryptor)(std::shared_ptr<Encryptor::keys_type>) =
    &Encryptor::create;
[[maybe_unused]] Decryptor::ref_type (*const make_decryptor)(std::shared_ptr<Decryptor::keys_type>) =
    &Decryptor::create;
}  // namespace fstest_webrtc
