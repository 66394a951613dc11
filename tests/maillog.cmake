# Tests of maillog (issue 15), included by tests/CMakeLists.txt.
