# Tests of names (issue 15), included by tests/CMakeLists.txt.
