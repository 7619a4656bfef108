# Installs the browser test's npm packages into DEST with `npm ci` (the
# exact versions and integrity hashes of SRC/package-lock.json; npm ci
# also refuses a lock file that does not match package.json). Skipped
# when DEST already holds an install of the same lock file.
#   cmake -DNPM=npm -DSRC=tests/browser -DDEST=build/tests/browser-node -P npm-ci.cmake
# MARKER names a package whose presence says an install is there
# (playwright-core unless given; the HTTP suite's install gives ajv).
if(NOT MARKER)
  set(MARKER playwright-core)
endif()
if(NOT NPM)
  message(FATAL_ERROR "npm was not found when CMake ran: install Node.js and npm (scripts/install-deps.sh --test) and configure again")
endif()
file(SHA256 ${SRC}/package-lock.json lock_hash)
file(SHA256 ${SRC}/package.json package_hash)
set(stamp ${DEST}/.installed-from)
if(EXISTS ${stamp} AND EXISTS ${DEST}/node_modules/${MARKER}/package.json)
  file(READ ${stamp} installed)
  if(installed STREQUAL "${lock_hash} ${package_hash}")
    message(STATUS "test packages are installed in ${DEST}")
    return()
  endif()
endif()
file(MAKE_DIRECTORY ${DEST})
file(COPY ${SRC}/package.json ${SRC}/package-lock.json DESTINATION ${DEST})
execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                WORKING_DIRECTORY ${DEST}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed (${rc}) in ${DEST}: is the npm registry reachable, and does package-lock.json match package.json?")
endif()
file(WRITE ${stamp} "${lock_hash} ${package_hash}")
message(STATUS "test packages installed in ${DEST}")
