# The JSON writers of report/json.h that put records together in memory
# (issue 18 point 2): against the FILE writers and FIPS 180-2's vectors.
add_executable(test_jsonw unit/test_jsonw.c)
target_link_libraries(test_jsonw PRIVATE ss_report)
ss_test(unit_jsonw test_jsonw)
