# Tests of the journeys (issue 15), included by tests/CMakeLists.txt.
# Each message's path against the one built from the servers' own log
# files, with the syslog on the wire and with --log.
ss_test(lab_journeys /usr/bin/python3 ${src}/tests/corpus/lab_journeys.py $<TARGET_FILE:smtpsniff>
        ${src}/pcaps ${src}/pcaps/opendkim ${src}/pcaps/starttls ${src}/pcaps/tls)
# --host and --message keep exactly lines of the unfiltered output.
ss_test(cli_filters /usr/bin/python3 ${src}/tests/cli/filters.py $<TARGET_FILE:smtpsniff> ${src})
# The diagrams of every shipped capture hold its hosts, commands, replies,
# DNS questions and verdicts, and the real Mermaid draws them.
ss_test(mermaid_pcaps /usr/bin/python3 ${src}/tests/mermaid/pcaps.py $<TARGET_FILE:smtpsniff> ${src}
        ${CMAKE_CURRENT_BINARY_DIR}/mermaid-pcaps)
# fuzz_journey: hostile log lines and copies through the walk, the text,
# the JSON and the diagrams (tests/fuzz/fuzz_journey.c).
ss_fuzz(fuzz_journey fuzz/fuzz_journey.c ${src}/pcaps ${src}/tests/garbage)
target_link_libraries(fuzz_journey PRIVATE ss_report)
# Journeys of what the recordings lack: deferral and retry, bounce and
# notice, expiry, a hop only the log shows, a queue before the first copy,
# a "queued as" loop, a fork, the caps.
add_executable(test_journey unit/test_journey.c)
target_link_libraries(test_journey PRIVATE ss_report)
ss_test(unit_journey test_journey)
