# --mbox FILE (issue 18), included by tests/CMakeLists.txt: every lab
# recording, all scenarios merged, IMAPS decrypted and a capture made by hand
# with "From " lines of every kind; the mbox read back by Python's mailbox,
# each message held to its --export .eml byte for byte (mboxrd unquoted,
# CRLF as LF) and to the --json records; the file made as --export's files.
ss_test(cli_mbox /usr/bin/python3 ${src}/tests/cli/mbox.py $<TARGET_FILE:smtpsniff> ${src})
