# Tests of maillog (issue 15), included by tests/CMakeLists.txt.

# maillog_parse() on every line of the lab's logs and on Postfix's,
# Dovecot's and the verifiers' other forms; cuts and garbage.
add_executable(test_maillog unit/test_maillog.c)
target_link_libraries(test_maillog PRIVATE ss_dissect)
ss_test(unit_maillog test_maillog ${src})

# --log FILE: the lab's logs read whole, other formats, journal export,
# merging, New Year, cut and huge lines, errors, garbage.
add_executable(test_logfile unit/test_logfile.c)
target_link_libraries(test_logfile PRIVATE ss_dissect)
ss_test(unit_logfile test_logfile ${src})

# fuzz_logline: --log files and maillog_parse() (tests/fuzz/fuzz_logline.c);
# with libFuzzer under SS_FUZZ, else replaying its seeds, the lab's logs
# and the saved crashes under ctest.
if(SS_FUZZ)
  add_executable(fuzz_logline fuzz/fuzz_logline.c)
  target_link_options(fuzz_logline PRIVATE -fsanitize=fuzzer)
else()
  add_executable(fuzz_logline fuzz/fuzz_logline.c fuzz/onefile.c)
  ss_test(fuzz_logline_replay fuzz_logline ${src}/tests/fuzz/seeds/logline ${src}/pcaps
          ${src}/tests/garbage)
endif()
target_link_libraries(fuzz_logline PRIVATE ss_dissect ss_report) # it formats records
