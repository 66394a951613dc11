# Issue 16, finding 2: the messages being collected, all sessions together,
# held within --max-messages-mem (dissect/msgmem.h); bench/msgmem.py is the
# end-to-end check. Included from tests/CMakeLists.txt; paths from this
# file's own directory, so that it reads the same from wherever it is.
add_executable(test_msgmem ${CMAKE_CURRENT_LIST_DIR}/unit/test_msgmem.c)
target_include_directories(test_msgmem PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_msgmem PRIVATE ss_synth ss_dissect)
ss_test(unit_msgmem test_msgmem)
