# The DNS name walker (dissect/dnswire.h) against ldns, and the DNS
# dissector's waiting queries against --max-held-mem. Included from
# tests/CMakeLists.txt; paths from this file's own directory. Its argv:
# the source tree (pcaps/) and the shared folder (its corpus; left out of
# the test when absent).
add_executable(test_dnswalk ${CMAKE_CURRENT_LIST_DIR}/unit/test_dnswalk.c)
target_include_directories(test_dnswalk PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_dnswalk PRIVATE ss_frames ss_dissect)
ss_test(unit_dnswalk test_dnswalk ${CMAKE_CURRENT_LIST_DIR}/.. ${SS_SHARED})
