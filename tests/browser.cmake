# Browser suite (label "browser"): the chart page in Debian's headless
# Chromium, driven by playwright-core from Node.js against the real daemon
# (tests/browser/test_page.mjs). playwright-core comes from npm, installed
# by the setup test browser_npm_ci into the build directory with `npm ci`
# from tests/browser/package-lock.json, so a fresh clone needs nothing but
# node, npm and chromium (scripts/install-deps.sh --test). The part that
# needs capture rights exits 77 — skipped — without them, and fails under
# WIREMETER_REQUIRE_CAPTURE=1. Screenshots go to
# <build>/tests/browser-artifacts, and to docs/screenshots when
# WM_UPDATE_SCREENSHOTS=1 is set at run time.
find_program(WM_NODE node)
find_program(WM_NPM npm)
set(WM_BROWSER_NODE_DIR ${CMAKE_CURRENT_BINARY_DIR}/browser-node)
set(WM_BROWSER_ARTIFACTS ${CMAKE_CURRENT_BINARY_DIR}/browser-artifacts)

add_test(NAME browser_npm_ci
         COMMAND ${CMAKE_COMMAND}
                 -DNPM=${WM_NPM}
                 -DSRC=${CMAKE_CURRENT_SOURCE_DIR}/browser
                 -DDEST=${WM_BROWSER_NODE_DIR}
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/browser/npm-ci.cmake)
set_tests_properties(browser_npm_ci PROPERTIES
  LABELS browser
  FIXTURES_SETUP wm_browser_node
  TIMEOUT 600)

if(WM_NODE)
  add_test(NAME browser_page
           COMMAND ${WM_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/browser/test_page.mjs
                   $<TARGET_FILE:wiremeter>)
else()
  add_test(NAME browser_page
           COMMAND sh -c "echo 'FAIL: node was not found when CMake ran; install it (scripts/install-deps.sh --test) and configure again'; exit 1")
endif()
set_tests_properties(browser_page PROPERTIES
  LABELS browser
  FIXTURES_REQUIRED wm_browser_node
  SKIP_RETURN_CODE 77
  TIMEOUT 300
  ENVIRONMENT "WM_NODE_MODULES=${WM_BROWSER_NODE_DIR}/node_modules;WM_ARTIFACTS=${WM_BROWSER_ARTIFACTS};WM_WEB_ROOT=${PROJECT_SOURCE_DIR}/web;WM_DOCS_SCREENSHOTS=${PROJECT_SOURCE_DIR}/docs/screenshots")

# The lab report (issue 12, the page side): a sweep of 3 repeats from the
# page, its report against GET /sweeps/{id}, CSV, Figure 1, one printed A4
# page, groups of settings, the teaching layer (tests/browser/test_report.mjs).
if(WM_NODE)
  add_test(NAME browser_report
           COMMAND ${WM_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/browser/test_report.mjs
                   $<TARGET_FILE:wiremeter>)
else()
  add_test(NAME browser_report
           COMMAND sh -c "echo 'FAIL: node was not found when CMake ran; install it (scripts/install-deps.sh --test) and configure again'; exit 1")
endif()
set_tests_properties(browser_report PROPERTIES
  LABELS browser
  FIXTURES_REQUIRED wm_browser_node
  SKIP_RETURN_CODE 77
  TIMEOUT 300
  ENVIRONMENT "WM_NODE_MODULES=${WM_BROWSER_NODE_DIR}/node_modules;WM_ARTIFACTS=${WM_BROWSER_ARTIFACTS};WM_WEB_ROOT=${PROJECT_SOURCE_DIR}/web;WM_DOCS_SCREENSHOTS=${PROJECT_SOURCE_DIR}/docs/screenshots")

# Your own capture (issue 11, the page side): a garbage file, a capture of
# two connections and one of one uploaded through the page's file input,
# the six answers, ladder and packet list against GET /captures/{id}, the
# list and Delete (tests/browser/test_captures.mjs). Needs no capture rights.
if(WM_NODE)
  add_test(NAME browser_captures
           COMMAND ${WM_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/browser/test_captures.mjs
                   $<TARGET_FILE:wiremeter>)
else()
  add_test(NAME browser_captures
           COMMAND sh -c "echo 'FAIL: node was not found when CMake ran; install it (scripts/install-deps.sh --test) and configure again'; exit 1")
endif()
set_tests_properties(browser_captures PROPERTIES
  LABELS browser
  FIXTURES_REQUIRED wm_browser_node
  TIMEOUT 300
  ENVIRONMENT "WM_NODE_MODULES=${WM_BROWSER_NODE_DIR}/node_modules;WM_ARTIFACTS=${WM_BROWSER_ARTIFACTS};WM_WEB_ROOT=${PROJECT_SOURCE_DIR}/web;WM_DOCS_SCREENSHOTS=${PROJECT_SOURCE_DIR}/docs/screenshots")

# Paths and time series on the page (issue 13): the form's path fields and
# named paths, a lossy link run's graphs against GET /runs/{id}/series, the
# path drawing, the compare view of cubic against reno
# (tests/browser/test_paths.mjs). Its link runs need capture and a link
# (root here): without them it exits 77.
if(WM_NODE)
  add_test(NAME browser_paths
           COMMAND ${WM_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/browser/test_paths.mjs
                   $<TARGET_FILE:wiremeter>)
else()
  add_test(NAME browser_paths
           COMMAND sh -c "echo 'FAIL: node was not found when CMake ran; install it (scripts/install-deps.sh --test) and configure again'; exit 1")
endif()
set_tests_properties(browser_paths PROPERTIES
  LABELS browser
  FIXTURES_REQUIRED wm_browser_node
  SKIP_RETURN_CODE 77
  TIMEOUT 300
  ENVIRONMENT "WM_NODE_MODULES=${WM_BROWSER_NODE_DIR}/node_modules;WM_ARTIFACTS=${WM_BROWSER_ARTIFACTS};WM_WEB_ROOT=${PROJECT_SOURCE_DIR}/web;WM_DOCS_SCREENSHOTS=${PROJECT_SOURCE_DIR}/docs/screenshots")
