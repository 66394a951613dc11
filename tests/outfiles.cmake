# Tests of the output files (issue 16, finding 3), included by
# tests/CMakeLists.txt: links planted in --streams and --export DIR, with
# and without --overwrite, a stream file swapped while the --max-open-files
# LRU has it closed (tests/cli/outfiles_swap.py), the modes under umask 0
# and 022; each against a run into an empty DIR and the planted files' bytes.
ss_test(cli_outfiles ${src}/tests/cli/outfiles.sh $<TARGET_FILE:smtpsniff> ${src})
# Unit test: export_file_create() and export_file_reopen() against what
# the kernel says of each name (hard links, symbolic links, a FIFO, a
# directory, a file swapped, a second name).
add_executable(test_outfiles unit/test_outfiles.c)
target_link_libraries(test_outfiles PRIVATE ss_report)
ss_test(unit_outfiles test_outfiles)
