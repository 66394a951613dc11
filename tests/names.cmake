# Tests of names and times (issue 15), included by tests/CMakeLists.txt.
# Unit tests: which source names an address and which name stays
# (report/names.c); the -t family's fields, deltas filled in as lines go
# out, through the order queue (report/clock.c, report/order.c).
add_executable(test_names unit/test_names.c)
target_link_libraries(test_names PRIVATE ss_report)
ss_test(unit_names test_names)
add_executable(test_clock unit/test_clock.c)
target_link_libraries(test_clock PRIVATE ss_report)
ss_test(unit_clock test_clock)
# The program: names from the first line in two passes, one name per
# address, --hosts, --zone, --names, syslog senders; each -t form against
# tcpdump's frame times, UTC and TZ=Asia/Tokyo, the zone said once.
ss_test(cli_names ${src}/tests/cli/names.sh $<TARGET_FILE:smtpsniff> ${src} ${SS_SHARED})
ss_test(cli_times ${src}/tests/cli/times.sh $<TARGET_FILE:smtpsniff> ${src})
