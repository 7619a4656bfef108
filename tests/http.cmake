# HTTP suite (label "http"): the real `wiremeter serve` on a free loopback
# port with a temporary data directory, driven over HTTP by Python 3 stdlib
# scripts (tests/http/test_*.py, each taking the binary as argv[1]). Tests
# that need capture rights exit 77 — skipped — without them, and fail
# under WIREMETER_REQUIRE_CAPTURE=1.
#
# Every JSON answer a test receives is validated against the OpenAPI
# document (tests/http/validate.mjs: ajv with ajv-formats, JSON Schema
# 2020-12), and http_openapi_lint runs `redocly lint` with the recommended
# rules over docs/openapi.json. Those npm packages are installed by the
# setup test http_npm_ci into the build directory with `npm ci` from
# tests/http/package-lock.json, the way the browser suite installs its own.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
find_program(WM_NODE node)
find_program(WM_NPM npm)
set(WM_HTTP_NODE_DIR ${CMAKE_CURRENT_BINARY_DIR}/http-node)

add_test(NAME http_npm_ci
         COMMAND ${CMAKE_COMMAND}
                 -DNPM=${WM_NPM}
                 -DSRC=${CMAKE_CURRENT_SOURCE_DIR}/http
                 -DDEST=${WM_HTTP_NODE_DIR}
                 -DMARKER=ajv
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/browser/npm-ci.cmake)
set_tests_properties(http_npm_ci PROPERTIES
  LABELS http
  FIXTURES_SETUP wm_http_node
  TIMEOUT 600)

if(WM_NODE)
  add_test(NAME http_openapi_lint
           COMMAND ${WM_NODE} ${WM_HTTP_NODE_DIR}/node_modules/@redocly/cli/bin/cli.js
                   lint --config ${CMAKE_CURRENT_SOURCE_DIR}/http/redocly.yaml
                   ${PROJECT_SOURCE_DIR}/docs/openapi.json)
else()
  add_test(NAME http_openapi_lint
           COMMAND sh -c "echo 'FAIL: node was not found when CMake ran; install it (scripts/install-deps.sh --test) and configure again'; exit 1")
endif()
set_tests_properties(http_openapi_lint PROPERTIES
  LABELS http
  FIXTURES_REQUIRED wm_http_node
  ENVIRONMENT "REDOCLY_TELEMETRY=off;REDOCLY_SUPPRESS_UPDATE_NOTICE=true"
  TIMEOUT 120)

file(GLOB WM_HTTP_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/http/test_*.py)
foreach(script ${WM_HTTP_TESTS})
  get_filename_component(name ${script} NAME_WE)
  string(REGEX REPLACE "^test_" "" name ${name})
  add_test(NAME http_${name}
           COMMAND Python3::Interpreter ${script} $<TARGET_FILE:wiremeter>)
  set_tests_properties(http_${name} PROPERTIES
    LABELS http
    SKIP_RETURN_CODE 77
    FIXTURES_REQUIRED wm_http_node
    ENVIRONMENT "WM_HTTP_NODE_MODULES=${WM_HTTP_NODE_DIR}/node_modules;WM_NODE=${WM_NODE}"
    TIMEOUT 600)
endforeach()
