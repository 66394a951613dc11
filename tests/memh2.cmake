# Issue 16, finding 2 (the report/ and verify/ part): the journeys within
# --journey-mem, all the walk at the end included (report/journeyint.h);
# the hop table's texts cut where the RFCs bound them (verify/hops.h);
# the waiting hops' texts in --verify-mem (verify/verifier.c); the
# verdicts kept for the end within --verdicts-mem (report/vsummary.h).
# Included from tests/CMakeLists.txt; paths from this file's own directory.
add_executable(test_journeymem ${CMAKE_CURRENT_LIST_DIR}/unit/test_journeymem.c)
target_include_directories(test_journeymem PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_journeymem PRIVATE ss_report)
ss_test(unit_journeymem test_journeymem)

add_executable(test_hopsmem ${CMAKE_CURRENT_LIST_DIR}/unit/test_hopsmem.c)
target_include_directories(test_hopsmem PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_hopsmem PRIVATE ss_verify)
ss_test(unit_hopsmem test_hopsmem)

add_executable(test_vsummarymem ${CMAKE_CURRENT_LIST_DIR}/unit/test_vsummarymem.c)
target_include_directories(test_vsummarymem PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_vsummarymem PRIVATE ss_report)
ss_test(unit_vsummarymem test_vsummarymem)
