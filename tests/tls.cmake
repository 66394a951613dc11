# The TLS parser (dissect/tls*.c, issue 17 step 1): its unit tests, the
# captures compared with tshark, and its fuzz target. Included from
# tests/CMakeLists.txt after fuzz.cmake.

# A capture read as smtpsniff reads it, its TLS fed to the parser, the facts
# printed (tests/tls/compare.py holds them against tshark's).
add_executable(test_tls_pcap ${src}/tests/unit/test_tls_pcap.c)
target_link_libraries(test_tls_pcap PRIVATE ss_dissect ss_frames PkgConfig::CRYPTO)

# RFC 8448's handshakes, field by field.
add_executable(test_tls_rfc8448 ${src}/tests/unit/test_tls_rfc8448.c)
target_link_libraries(test_tls_rfc8448 PRIVATE ss_dissect PkgConfig::CRYPTO)
ss_test(unit_tls_rfc8448 test_tls_rfc8448)

# The record and handshake layers on real sessions cut every way, and on
# what the wire can do to them; the names against tshark's and OpenSSL's.
add_executable(test_tls ${src}/tests/unit/test_tls.c)
target_link_libraries(test_tls PRIVATE ss_dissect PkgConfig::CRYPTO)
ss_test(unit_tls test_tls ${src}/tests/tls)

# The fuzz target (tests/fuzz/fuzz_tls.c): under ctest it replays the seeds
# made of real sessions (tests/tls/seeds/, tests/tls/mkseeds.py).
if(COMMAND ss_fuzz)
  ss_fuzz(fuzz_tls fuzz/fuzz_tls.c ${src}/tests/tls/seeds)
  target_link_libraries(fuzz_tls PRIVATE ss_dissect PkgConfig::CRYPTO)
endif()

# The parser inside the dissectors (dissect/tlsproto.h): implicit TLS as a
# protocol, its notes and events, through the reassembly engine.
add_executable(test_tls_proto ${src}/tests/unit/test_tls_proto.c)
target_link_libraries(test_tls_proto PRIVATE ss_synth ss_dissect PkgConfig::CRYPTO)
ss_test(unit_tls_proto test_tls_proto ${src}/tests/tls)

# Captures against tshark 4.0's view of them (tests/tls/README.md): what
# OpenSSL s_client and s_server did over loopback (tests/tls/mkpcaps.sh),
# the lab's Postfix STARTTLS hops, and the mail captures with TLS among
# nDPI's (../shared; skipped without it). Each: CAPTURE EXPECTED FLOWS
# EVENTS-ALLOWED.
set(ss_tls_captures
    "tls12-gcm-ems\;${src}/tests/tls/tls12-gcm-ems.pcap\;${src}/tests/tls/tls12-gcm-ems\;1\;-"
    "tls12-cbc-etm\;${src}/tests/tls/tls12-cbc-etm.pcap\;${src}/tests/tls/tls12-cbc-etm\;1\;-"
    "tls12-resume\;${src}/tests/tls/tls12-resume.pcap\;${src}/tests/tls/tls12-resume\;4\;-"
    "tls12-alert\;${src}/tests/tls/tls12-alert.pcap\;${src}/tests/tls/tls12-alert\;2\;tls_alert"
    "tls12-clientcert\;${src}/tests/tls/tls12-clientcert.pcap\;${src}/tests/tls/tls12-clientcert\;1\;-"
    "tls13-hrr-resume\;${src}/tests/tls/tls13-hrr-resume.pcap\;${src}/tests/tls/tls13-hrr-resume\;2\;-"
    "scenario4-4\;${src}/pcaps/starttls/scenario4-4.pcap\;${src}/tests/tls/scenario4-4\;2\;-"
    "smtp-starttls\;${SS_SHARED}/corpus/ndpi/pcap/smtp-starttls.pcap\;${src}/tests/tls/shared/smtp-starttls\;2\;tls_gap,tls_resync"
    "smtps\;${SS_SHARED}/corpus/ndpi/pcap/smtps.pcapng\;${src}/tests/tls/shared/smtps\;1\;-"
    "imap-starttls\;${SS_SHARED}/corpus/ndpi/pcap/imap-starttls.pcap\;${src}/tests/tls/shared/imap-starttls\;1\;-"
    "imaps\;${SS_SHARED}/corpus/ndpi/pcap/imaps.pcap\;${src}/tests/tls/shared/imaps\;2\;tls_truncated"
    "pop3_stls\;${SS_SHARED}/corpus/ndpi/pcap/pop3_stls.pcap\;${src}/tests/tls/shared/pop3_stls\;1\;-"
    "pops\;${SS_SHARED}/corpus/ndpi/pcap/pops.pcapng\;${src}/tests/tls/shared/pops\;1\;tls_truncated"
    "emotet\;${SS_SHARED}/corpus/ndpi/pcap/emotet.pcap\;${src}/tests/tls/shared/emotet\;2\;tls_truncated"
    # the lab's recordings with TLS (lab/record --tls): the client's
    # submission and each relay hop
    "lab-pop3\;${src}/pcaps/tls/pop3.pcap\;${src}/tests/tls/lab/pop3\;1\;-"
    "lab-imap\;${src}/pcaps/tls/imap.pcap\;${src}/tests/tls/lab/imap\;1\;-"
    "lab-pop3s\;${src}/pcaps/tls/pop3s.pcap\;${src}/tests/tls/lab/pop3s\;1\;-"
    "lab-imaps\;${src}/pcaps/tls/imaps.pcap\;${src}/tests/tls/lab/imaps\;1\;-"
    "lab-scenario1-1\;${src}/pcaps/tls/scenario1-1.pcap\;${src}/tests/tls/lab/scenario1-1\;1\;-")
foreach(s 1-2 2-1 2-2 3-1 3-2 4-1 4-2 4-3 4-4)
  list(APPEND ss_tls_captures
       "lab-scenario${s}\;${src}/pcaps/tls/scenario${s}.pcap\;${src}/tests/tls/lab/scenario${s}\;3\;-")
endforeach()
foreach(c ${ss_tls_captures})
  list(GET c 0 name)
  list(GET c 1 capture)
  list(GET c 2 expected)
  list(GET c 3 flows)
  list(GET c 4 allow)
  set(allowed)
  if(NOT allow STREQUAL "-")
    string(REPLACE "," ";" allow "${allow}")
    foreach(a ${allow})
      list(APPEND allowed --allow ${a})
    endforeach()
  endif()
  ss_test(tls_tshark_${name} /usr/bin/python3 ${src}/tests/tls/compare.py $<TARGET_FILE:test_tls_pcap>
          ${capture} ${expected}.tshark.txt --flows ${flows} ${allowed})
endforeach()

# The JSON tls records (docs/json.md) against tshark's view of the same
# captures: version, cipher suite, SNI, the certificates' SHA-256.
ss_test(cli_tls_json /usr/bin/python3 ${src}/tests/cli/tls_json.py $<TARGET_FILE:smtpsniff> ${src})

# Key logs embedded in pcapng Decryption Secrets Blocks (capture/ngsecrets.h),
# against the key log editcap was given.
add_executable(test_ngsecrets ${src}/tests/unit/test_ngsecrets.c)
target_link_libraries(test_ngsecrets PRIVATE ss_capture)
ss_test(unit_ngsecrets test_ngsecrets ${src}/tests/tls)

# Mail over TLS, decrypted with its key log, against the same sessions in
# the clear and against tshark's decryption (tests/tls/README-mail.md).
ss_test(cli_tls_decrypt /usr/bin/python3 ${src}/tests/cli/tls_decrypt.py $<TARGET_FILE:smtpsniff> ${src})
ss_test(cli_tls_lab /usr/bin/python3 ${src}/tests/cli/tls_lab.py $<TARGET_FILE:smtpsniff> ${src})
