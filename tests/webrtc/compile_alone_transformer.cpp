// frame_transformer.hpp compiles with nothing included before it (as a user's first include).
#include <frameseal/webrtc/frame_transformer.hpp>
#include <frameseal/webrtc/frame_transformer.hpp>

namespace fstest_webrtc {
using Transformer = frameseal::webrtc_adapter::FrameTransformer<frameseal::sodium::ChaCha20Poly1305>;
[[maybe_unused]] Transformer::ref_type (*const make_transformer)(
    Transformer::frame_cryptor_type, frameseal::webrtc_adapter::TransformerOptions) = &Transformer::create;
}  // namespace fstest_webrtc
