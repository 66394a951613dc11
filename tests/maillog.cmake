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
# with libFuzzer under SS_FUZZ, else replaying its seeds, its kept corpus,
# the lab's logs and the saved crashes under ctest (ss_fuzz, fuzz.cmake).
ss_fuzz(fuzz_logline fuzz/fuzz_logline.c ${src}/pcaps ${src}/tests/garbage)
target_link_libraries(fuzz_logline PRIVATE ss_dissect ss_report) # it formats records
