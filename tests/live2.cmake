# A live capture on an idle link keeps time (capture/source.c waits in
# poll()): the -w flush, SIGUSR1, the idle-flow tick and SIGINT happen
# without a frame coming, and SIGINT loses no frame the kernel received.
# Root, network namespaces and tcpdump; skips (77) without them.
# Included from tests/CMakeLists.txt; paths from this file's own directory.
ss_test(live_idle ${CMAKE_CURRENT_LIST_DIR}/live2/idle.sh $<TARGET_FILE:smtpsniff>)
set_tests_properties(live_idle PROPERTIES RUN_SERIAL TRUE)
# The same with --workers 2: the capture is read on a thread of its own
# and dissected on two more, and what they queue goes over whenever the
# reading thread waits for frames, so that nothing above waits longer.
ss_test(live_idle_workers ${CMAKE_CURRENT_LIST_DIR}/live2/idle.sh $<TARGET_FILE:smtpsniff> --workers 2)
set_tests_properties(live_idle_workers PROPERTIES RUN_SERIAL TRUE)
