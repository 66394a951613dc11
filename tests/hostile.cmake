# Issue 16 ("hard to break"): a hostile capture of every class the issue
# names, and of those that held already, each with an ordinary SMTP session
# among the flood that must come out whole (tests/hostile/cases.py), at
# small sizes. The large sizes, with memory against the caps and time
# against linear growth, are tests/hostile/torture.py (`make torture`);
# their memory alone is the ctest torture_memory below. Included from
# tests/CMakeLists.txt; paths from this file's own directory.
ss_test(hostile /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/hostile/suite.py $<TARGET_FILE:smtpsniff>)

# Issue 18: --max-mem and --verify-mem against peak RSS (tests/hostile/caps.py).
# Not under the sanitizers: their shadow memory and quarantine are RSS that
# no cap of smtpsniff's counts.
if(NOT SS_SANITIZERS)
  ss_test(caps_rss /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/hostile/caps.py $<TARGET_FILE:smtpsniff>)
  # Issue 16: the large cases' memory bounds, each at its first large size
  # (torture.py --memory; `make torture` adds the doublings and the time).
  ss_test(torture_memory /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/hostile/torture.py
          $<TARGET_FILE:smtpsniff> --memory)
endif()

# Issue 18: the time-order queue lets lines out as soon as nothing still to
# come can be older, and they still come out in time order
# (tests/hostile/order.py).
ss_test(order_watermark /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/hostile/order.py $<TARGET_FILE:smtpsniff>)
