# Fuzz targets: built with libFuzzer when SS_FUZZ is on (make fuzz), else
# with onefile.c, replaying under ctest the seeds, the corpus kept from
# campaigns (tests/fuzz/corpus/<target>/) and every saved crash.
# Seeds: pcap takes whole captures; the protocol targets take conversations
# (tests/fuzz/chunks.h) kept under tests/fuzz/seeds/<target>/; tcp takes
# segment lists (tests/fuzz/fuzz_tcp.c). tests/fuzz/README says how they run.
add_library(ss_chunks STATIC fuzz/chunks.c)
target_include_directories(ss_chunks PUBLIC fuzz)
target_link_libraries(ss_chunks PUBLIC ss_synth)

# A fuzz target NAME from SOURCE: libFuzzer's main, or a replay test of the
# folders given after the source.
function(ss_fuzz name source)
  if(SS_FUZZ)
    add_executable(${name} ${source})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(${name} ${source} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/onefile.c)
    string(REPLACE "fuzz_" "" seeds ${name})
    ss_test(${name}_replay ${name} ${src}/tests/fuzz/seeds/${seeds} ${src}/tests/fuzz/corpus/${name}
            ${ARGN})
  endif()
endfunction()

foreach(target pcap smtp message dns pop3 imap syslog)
  ss_fuzz(fuzz_${target} fuzz/fuzz_${target}.c ${src}/tests/message ${src}/pcaps ${src}/tests/garbage
          ${SS_SHARED}/corpus)
  target_link_libraries(fuzz_${target} PRIVATE ss_dissect ss_chunks)
endforeach()
target_link_libraries(fuzz_dns PRIVATE ss_report) # it formats records and learns names
target_link_libraries(fuzz_syslog PRIVATE ss_report) # it formats records
target_link_libraries(fuzz_pcap PRIVATE ss_frames)
foreach(target smtp pop3 imap)
  target_sources(fuzz_${target} PRIVATE fuzz/textproto.c)
endforeach()

# The in-place reader of classic pcap files against libpcap (differential).
ss_fuzz(fuzz_pcapread fuzz/fuzz_pcapread.c ${src}/pcaps ${src}/tests/garbage ${SS_SHARED}/corpus)
target_sources(fuzz_pcapread PRIVATE pcapdiff.c)
target_link_libraries(fuzz_pcapread PRIVATE ss_capture)

# TCP reassembly alone, fed segment lists, its promises checked.
ss_fuzz(fuzz_tcp fuzz/fuzz_tcp.c ${src}/tests/garbage)
target_link_libraries(fuzz_tcp PRIVATE ss_reassembly)

# Every tests/verify/fuzz_*.c is a fuzz target like those above, with its
# seeds in tests/fuzz/seeds/<name without fuzz_>/.
file(GLOB ss_verify_fuzz CONFIGURE_DEPENDS ${src}/tests/verify/fuzz_*.c)
foreach(t ${ss_verify_fuzz})
  get_filename_component(n ${t} NAME_WE)
  ss_fuzz(${n} ${t} ${src}/tests/message ${src}/tests/garbage)
  target_link_libraries(${n} PRIVATE ss_verify ss_chunks)
endforeach()
