# The imported targets of an installed frameseal (header-only), included by frameseal-config.cmake
# with FRAMESEAL_INCLUDE_DIR set:
#   frameseal::frameseal  the library (libsodium), C++20
#   frameseal::openssl    plus the OpenSSL backend (OpenSSL::Crypto), when OpenSSL 3 was found
if(NOT TARGET frameseal::frameseal)
  add_library(frameseal::frameseal INTERFACE IMPORTED)
  set_target_properties(frameseal::frameseal PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${FRAMESEAL_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES sodium::sodium
    INTERFACE_COMPILE_FEATURES cxx_std_20)
endif()
if(TARGET OpenSSL::Crypto AND NOT TARGET frameseal::openssl)
  add_library(frameseal::openssl INTERFACE IMPORTED)
  set_target_properties(frameseal::openssl PROPERTIES
    INTERFACE_LINK_LIBRARIES "frameseal::frameseal;OpenSSL::Crypto")
endif()
