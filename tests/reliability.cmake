# Reliability suite (label "reliability"): the real daemon under what a
# careless client, an attacker on the same host or a failing disk does to
# it — connection floods, malformed and hostile requests, a full or
# read-only store, kill -9 at random moments, SIGTERM during long runs.
# Python 3 stdlib scripts (tests/reliability/test_*.py), each taking the
# binary as argv[1]; a test that needs capture rights or root (tmpfs
# mounts) exits 77 without them, and fails instead under
# WIREMETER_REQUIRE_CAPTURE=1. Long campaigns have a CI length and a
# longer one through environment variables each script documents.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
file(GLOB WM_RELIABILITY_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/reliability/test_*.py)
foreach(script ${WM_RELIABILITY_TESTS})
  get_filename_component(name ${script} NAME_WE)
  string(REGEX REPLACE "^test_" "" name ${name})
  add_test(NAME reliability_${name}
           COMMAND Python3::Interpreter ${script} $<TARGET_FILE:wiremeter>)
  set_tests_properties(reliability_${name} PROPERTIES
    LABELS reliability
    SKIP_RETURN_CODE 77
    TIMEOUT 900)
endforeach()
