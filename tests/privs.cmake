# Issue 16, findings 4 and 5: no privilege once the capture is open
# (capture/privs.h), and a pcapng block on an undescribed interface skipped.
# Included from tests/CMakeLists.txt.
ss_test(cli_privs ${CMAKE_SOURCE_DIR}/tests/cli/privs.sh $<TARGET_FILE:smtpsniff> ${CMAKE_SOURCE_DIR})
ss_test(cli_pcapng /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/cli/pcapng.py $<TARGET_FILE:smtpsniff>
        ${CMAKE_CURRENT_BINARY_DIR}/pcapng)
