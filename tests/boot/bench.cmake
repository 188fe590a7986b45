# `vmxlab bench --quick` (label "bench"): checks that the table and the JSON come out with every
# figure present (a number, or n/a with a reason) and its target, and that none is worse than its
# ceiling, issue 11's table (tools/vmxlab_py/bench.py TARGETS): a regression check, not exact values.
add_test(NAME bench.quick
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/benchcheck.py
        --vmxlab ${CMAKE_SOURCE_DIR}/tools/vmxlab --out ${CMAKE_BINARY_DIR}/bench-quick.json)
set_tests_properties(bench.quick PROPERTIES LABELS bench TIMEOUT 900
    ENVIRONMENT "VMXLAB_BUILD=${CMAKE_BINARY_DIR}")
