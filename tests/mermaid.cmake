# Tests of mermaid (issue 15), included by tests/CMakeLists.txt.
# unit_mermaid: the writer (report/mermaid.c); it also writes the diagrams it
# made to mermaid-sample.md, for mermaid_render to draw with the real Mermaid.
add_executable(test_mermaid unit/test_mermaid.c)
target_link_libraries(test_mermaid PRIVATE ss_report)
ss_test(unit_mermaid test_mermaid ${CMAKE_CURRENT_BINARY_DIR}/mermaid-sample.md)
set_tests_properties(unit_mermaid PROPERTIES FIXTURES_SETUP mermaid_sample)
# mermaid_render: every ```mermaid block of the files (a folder: its *.md)
# drawn by @mermaid-js/mermaid-cli (tools/mermaid, installed by
# tools/deps-mermaid) in Debian's chromium; skips (77) without them unless
# CI=true. The book's diagrams, when ../shared is there, and the writer's.
ss_test(mermaid_render /usr/bin/python3 ${src}/tests/mermaid/render.py ${CMAKE_CURRENT_BINARY_DIR}/mermaid-sample.md
        --if-there ${SS_SHARED}/smtpbook/upstream/book/v1/mermaid)
set_tests_properties(mermaid_render PROPERTIES FIXTURES_REQUIRED mermaid_sample)
