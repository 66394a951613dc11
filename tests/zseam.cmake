# The stream transforms between reassembly and the line engines
# (dissect/pingpong.h; issue 17 step 3): TLS decryption and IMAP
# COMPRESS=DEFLATE (dissect/inflate.c) stacked, on a session whose TLS is
# OpenSSL's own, in memory, with its key log (libssl: a test's need only).
# Included from tests/CMakeLists.txt.
pkg_check_modules(SSL IMPORTED_TARGET libssl)
if(SSL_FOUND)
  add_executable(test_zseam ${src}/tests/unit/test_zseam.c)
  target_link_libraries(test_zseam PRIVATE ss_synth ss_dissect PkgConfig::SSL PkgConfig::CRYPTO)
  ss_test(unit_zseam test_zseam)
endif()
