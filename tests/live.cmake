# Live suite (label "live"): real captured transfers through the wiremeter
# binary, the agreement of their pcaps with tshark, the command line's
# errors and the sweep. Python 3 stdlib only; each script takes the binary
# as argv[1]. A test that needs capture rights (or tshark) exits 77 —
# skipped — when they are missing, and fails under
# WIREMETER_REQUIRE_CAPTURE=1.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
foreach(name runs tshark cli sweep)
  add_test(NAME live_${name}
           COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/live/test_${name}.py
                   $<TARGET_FILE:wiremeter>)
  set_tests_properties(live_${name} PROPERTIES
    LABELS live
    SKIP_RETURN_CODE 77
    TIMEOUT 900)
endforeach()

# `analyze` of the files people bring (cut short, two link types, after
# 2038): no capture rights needed; tshark optional.
add_test(NAME live_files
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/live/test_files.py
                 $<TARGET_FILE:wiremeter>)
set_tests_properties(live_files PROPERTIES LABELS live TIMEOUT 300)
