# The DNS dissector's waiting queries, a ring (dissect/dns.c): their order
# against a model of the pairing rule, and --max-held-mem's account.
# Included from tests/CMakeLists.txt; paths from this file's own directory.
add_executable(test_dnsring ${CMAKE_CURRENT_LIST_DIR}/unit/test_dnsring.c)
target_include_directories(test_dnsring PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_dnsring PRIVATE ss_dissect)
ss_test(unit_dnsring test_dnsring)
