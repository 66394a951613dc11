# The decryption step (dissect/tlsdec.c, dissect/keylog.c; issue 17 step
# 2): RFC 8448's trace, the key log reader, and captures decrypted with
# their key logs against tshark's decryption of them. Included from
# tests/CMakeLists.txt.

# RFC 8448 section 3: the key schedule's values and the records' plaintext.
add_executable(test_tlsdec_rfc8448 ${src}/tests/unit/test_tlsdec_rfc8448.c)
target_link_libraries(test_tlsdec_rfc8448 PRIVATE ss_dissect PkgConfig::CRYPTO)
ss_test(unit_tlsdec_rfc8448 test_tlsdec_rfc8448)

# A capture decrypted as tlsproto.c is to decrypt it, every record printed
# (tests/tls/decrypt_compare.py holds it against tshark's decryption).
add_executable(test_tlsdec_pcap ${src}/tests/unit/test_tlsdec_pcap.c)
target_link_libraries(test_tlsdec_pcap PRIVATE ss_dissect ss_frames PkgConfig::CRYPTO)

# The key log reader: OpenSSL's key logs, lines wrong each way, the caps,
# pcapng secrets blocks.
add_executable(test_tlsdec_keylog ${src}/tests/unit/test_tlsdec_keylog.c)
target_link_libraries(test_tlsdec_keylog PRIVATE ss_dissect)
ss_test(unit_tlsdec_keylog test_tlsdec_keylog ${src}/tests/tls)

# Captures decrypted against tshark 4.0's decryption of them with the same
# key log (tests/tls/README-decrypt.md): NAME FLOWS. Fed whole, a byte at a
# time and in pieces of 7.
set(ss_tlsdec_captures
    "tls13-aes128-keyupdate\;1" "tls13-aes256\;1" "tls13-chacha-keyupdate\;1" "tls13-hrr-resume\;2"
    "tls12-gcm-ems\;1" "tls12-gcm256\;1" "tls12-chacha\;1" "tls12-cbc-etm\;1" "tls12-cbc-noetm\;1"
    "tls12-cbc384\;1" "tls12-rsa\;1" "tls12-clientcert\;1" "tls12-resume\;4" "tls12-ticket\;2")
set(ss_tlsdec_cmp /usr/bin/python3 ${src}/tests/tls/decrypt_compare.py $<TARGET_FILE:test_tlsdec_pcap>)
foreach(c ${ss_tlsdec_captures})
  list(GET c 0 name)
  list(GET c 1 flows)
  set(t ${src}/tests/tls/${name})
  ss_test(tlsdec_tshark_${name} ${ss_tlsdec_cmp} ${t}.pcap ${t}.keylog ${t}.tshark-dec.txt --flows ${flows})
endforeach()

# The secrets from the capture's own pcapng Decryption Secrets Block
# (editcap --inject-secrets), no key log file.
set(t ${src}/tests/tls/tls13-hrr-resume)
ss_test(tlsdec_dsb ${ss_tlsdec_cmp} ${t}-dsb.pcapng ${t}.keylog ${t}.tshark-dec.txt --dsb --no-keylog)

# One session's secrets missing or wrong: that flow says no_key or
# bad_record_mac for each record (three said, stopped after eight), the
# other flows decrypt as tshark does.
foreach(c "tls12-ticket;drop;1" "tls12-ticket;corrupt;2" "tls12-resume;corrupt;3"
          "tls13-hrr-resume;drop;2" "tls13-hrr-resume;corrupt;1")
  list(GET c 0 name)
  list(GET c 1 how)
  list(GET c 2 n)
  set(t ${src}/tests/tls/${name})
  ss_test(tlsdec_${how}_${name}_${n} ${ss_tlsdec_cmp} ${t}.pcap ${t}.keylog ${t}.tshark-dec.txt --${how} ${n})
endforeach()

# A frame lost: the records after the hole open at their sequence numbers
# (TLS 1.2 GCM, ChaCha20 and CBC), under the next key when the frame held a
# KeyUpdate (TLS 1.3).
foreach(c "tls12-ticket;13" "tls12-chacha;13" "tls12-cbc-noetm;13" "tls13-aes128-keyupdate;15"
          "tls13-chacha-keyupdate;29" "tls13-aes256;13")
  list(GET c 0 name)
  list(GET c 1 frame)
  set(t ${src}/tests/tls/${name})
  ss_test(tlsdec_lost_${name}_${frame} ${ss_tlsdec_cmp} ${t}.pcap ${t}.keylog ${t}.tshark-dec.txt --skip-frame ${frame})
endforeach()
