# Layout (label "unit"): the one-way dependencies between worker/ and
# service/ and among service/'s folders, checked on the includes of the
# sources (tests/layout/test_layout.py says which rules).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME unit_layout
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/layout/test_layout.py
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(unit_layout PROPERTIES LABELS unit TIMEOUT 120)
