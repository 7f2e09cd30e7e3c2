// frameseal/sframe/openssl_suites.hpp: the SFrame cipher suites that need the OpenSSL 3 /
// BoringSSL backend (opt-in; link libcrypto). libsodium has no AES-128 and no AES-CTR, so of the
// RFC 9605 suites only 0x0005 is in the core (sframe::Suite5, suite.hpp).
//
//   Suite1  0x0001  AES_128_CTR_HMAC_SHA256_80  openssl::AesCtr128HmacSha256_80
//   Suite2  0x0002  AES_128_CTR_HMAC_SHA256_64  openssl::AesCtr128HmacSha256_64
//   Suite3  0x0003  AES_128_CTR_HMAC_SHA256_32  openssl::AesCtr128HmacSha256_32
//   Suite4  0x0004  AES_128_GCM_SHA256_128      openssl::Aes128Gcm
//   Suite5Openssl 0x0005 AES_256_GCM_SHA512_128 openssl::Aes256Gcm (same wire format as Suite5;
//                                               for machines where libsodium's AES-GCM is unavailable)
//   Suite6  0x0006  AES_256_CTR_HMAC_SHA512_80  openssl::AesCtr256HmacSha512_80  (post-RFC draft)
//   Suite7  0x0007  AES_256_CTR_HMAC_SHA512_64  openssl::AesCtr256HmacSha512_64  (post-RFC draft)
//   Suite8  0x0008  AES_256_CTR_HMAC_SHA512_32  openssl::AesCtr256HmacSha512_32  (post-RFC draft)
// The key schedule's HKDF stays on libsodium (the same bytes; it runs only at key install).
// Threading follows the backend: OpenSSL cipher instances own EVP contexts, so a FrameCryptor over
// these suites is used by one thread at a time (as every FrameCryptor is anyway).
//
// Like ciphers/openssl.hpp this edge includes only the core umbrella and the OpenSSL backend, so it
// also works next to the single-header edition (tools/amalgamate.py copies it there).
#pragma once

#include "../ciphers/openssl.hpp"
#include "suite.hpp"

namespace frameseal {
inline namespace FRAMESEAL_ABI_NAMESPACE {
namespace sframe {

using Suite1 = Suite<0x0001, openssl::AesCtr128HmacSha256_80, Sha256>;
using Suite2 = Suite<0x0002, openssl::AesCtr128HmacSha256_64, Sha256>;
using Suite3 = Suite<0x0003, openssl::AesCtr128HmacSha256_32, Sha256>;
using Suite4 = Suite<0x0004, openssl::Aes128Gcm, Sha256>;
using Suite5Openssl = Suite<0x0005, openssl::Aes256Gcm, Sha512>;
using Suite6 = Suite<0x0006, openssl::AesCtr256HmacSha512_80, Sha512>;
using Suite7 = Suite<0x0007, openssl::AesCtr256HmacSha512_64, Sha512>;
using Suite8 = Suite<0x0008, openssl::AesCtr256HmacSha512_32, Sha512>;

static_assert(CipherSuite<Suite1> && CipherSuite<Suite2> && CipherSuite<Suite3> && CipherSuite<Suite4>);
static_assert(CipherSuite<Suite5Openssl> && CipherSuite<Suite6> && CipherSuite<Suite7> &&
              CipherSuite<Suite8>);

}  // namespace sframe
}  // namespace FRAMESEAL_ABI_NAMESPACE
}  // namespace frameseal
