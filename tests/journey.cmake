# Tests of journey (issue 15), included by tests/CMakeLists.txt.
