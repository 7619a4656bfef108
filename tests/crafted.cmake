# Crafted captures (label "unit"): `wiremeter analyze` of pcaps written by
# tests/crafted/pcapgen.py — distinct client and server addresses, every
# threshold of the sequence analysis at its edge, broken headers — checked
# against values worked out by hand. No capture rights, no daemon.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME unit_crafted
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/crafted/test_crafted.py
                 $<TARGET_FILE:wiremeter>)
set_tests_properties(unit_crafted PROPERTIES LABELS unit TIMEOUT 120)
