# Issue 16, finding 2: the captured-DNS store within --dns-mem
# (verify/dnsstore.h) and IP fragments counted with what each piece costs
# against --max-frag-mem (capture/frag.h). Included from
# tests/CMakeLists.txt; paths from this file's own directory.
add_executable(test_fragmem ${CMAKE_CURRENT_LIST_DIR}/unit/test_fragmem.c)
target_include_directories(test_fragmem PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_fragmem PRIVATE ss_capture)
ss_test(unit_fragmem test_fragmem)

add_executable(test_dnsmem ${CMAKE_CURRENT_LIST_DIR}/unit/test_dnsmem.c)
target_include_directories(test_dnsmem PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_dnsmem PRIVATE ss_verify)
ss_test(unit_dnsmem test_dnsmem)
