# Path suite (label "path"): runs over path=link, the client and the server
# in network namespaces of their own joined by a veth pair (issue 13).
# Python 3 stdlib only; each script takes the binary as argv[1]. A test
# exits 77 — skipped — where this host cannot make a link (namespaces,
# veth, tbf) or lacks tshark, and fails under WIREMETER_REQUIRE_CAPTURE=1.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
foreach(name link isolation ends loss series userns)
  add_test(NAME path_${name}
           COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/path/test_${name}.py
                   $<TARGET_FILE:wiremeter>)
  set_tests_properties(path_${name} PROPERTIES
    LABELS path
    SKIP_RETURN_CODE 77
    TIMEOUT 300)
endforeach()

# The command line without root (wiremeter run/sweep/presets as nobody in
# a user namespace of their own).
add_test(NAME path_cli_userns
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/path/test_cli_userns.py
                 $<TARGET_FILE:wiremeter>)
set_tests_properties(path_cli_userns PROPERTIES
  LABELS path
  SKIP_RETURN_CODE 77
  TIMEOUT 300)

# What a command-line run probes of the host: only what it asks for.
add_test(NAME path_cli_probe
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/path/test_cli_probe.py
                 $<TARGET_FILE:wiremeter>)
set_tests_properties(path_cli_probe PROPERTIES
  LABELS path
  SKIP_RETURN_CODE 77
  TIMEOUT 300)

# Where the time series' kernel samples start: at the connection's
# establishment.
add_test(NAME path_series_start
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/path/test_series_start.py
                 $<TARGET_FILE:wiremeter>)
set_tests_properties(path_series_start PROPERTIES
  LABELS path
  SKIP_RETURN_CODE 77
  TIMEOUT 300)
