# HTTP suite (label "http"): the real `wiremeter serve` on a free loopback
# port with a temporary data directory, driven over HTTP by Python 3 stdlib
# scripts (tests/http/test_*.py, each taking the binary as argv[1]). Tests
# that need capture rights exit 77 — skipped — without them, and fail
# under WIREMETER_REQUIRE_CAPTURE=1.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
file(GLOB WM_HTTP_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/http/test_*.py)
foreach(script ${WM_HTTP_TESTS})
  get_filename_component(name ${script} NAME_WE)
  string(REGEX REPLACE "^test_" "" name ${name})
  add_test(NAME http_${name}
           COMMAND Python3::Interpreter ${script} $<TARGET_FILE:wiremeter>)
  set_tests_properties(http_${name} PROPERTIES
    LABELS http
    SKIP_RETURN_CODE 77
    TIMEOUT 600)
endforeach()
