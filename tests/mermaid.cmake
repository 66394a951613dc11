# Tests of mermaid (issue 15), included by tests/CMakeLists.txt.
