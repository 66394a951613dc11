# Issue 16, finding 7: repeated events summarised (util/event.h) and an
# overlong SMTP reply shown once; bench/floods.py is the end-to-end check.
add_executable(test_events unit/test_events.c unit/session.c)
target_link_libraries(test_events PRIVATE ss_synth ss_dissect ss_capture)
ss_test(unit_events test_events)
