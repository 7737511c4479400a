# hivescope_discover_scenarios(<target>
#     [LABEL <label>] [TRACE_DIR <dir>] [TEST_PREFIX <prefix>]
#     [WORKING_DIRECTORY <dir>] [EXTRA_ARGS <arg>...] [PROPERTIES <name> <value>...])
#
# Registers every TEST_CASE / SCENARIO of a Catch2 test executable as its own CTest test (it
# wraps catch_discover_tests), and points the hivescope trace listener at a directory in the
# build tree: failing runs write their Mermaid sequence diagrams to TRACE_DIR (default
# ${CMAKE_BINARY_DIR}/hivescope-traces) through the HIVESCOPE_TRACE_DIR environment variable.
#
# Link the executable to hivescope::catch2_main (our main plus the listener), or to
# hivescope::catch2 with your own main that registers hivescope::catch2::TraceListener.
#
# Properties reach the discovered tests through catch_discover_tests, which cannot carry a list
# as one value: hence one LABEL, and the trace directory as the one ENVIRONMENT entry (add more
# variables with PROPERTIES ENVIRONMENT_MODIFICATION "NAME=set:value").

include_guard(GLOBAL)

if(NOT COMMAND catch_discover_tests)
    # Catch2 (v2 and v3) installs Catch.cmake next to its package config.
    if(DEFINED Catch2_DIR)
        list(APPEND CMAKE_MODULE_PATH "${Catch2_DIR}")
    endif()
    include(Catch OPTIONAL RESULT_VARIABLE _hivescope_catch_module)
    if(NOT _hivescope_catch_module)
        message(WARNING "hivescope: Catch.cmake not found (find_package(Catch2) first); "
                        "hivescope_discover_scenarios() will fall back to one test per executable")
    endif()
endif()

function(hivescope_discover_scenarios target)
    cmake_parse_arguments(PARSE_ARGV 1 arg ""
        "LABEL;TRACE_DIR;TEST_PREFIX;WORKING_DIRECTORY" "EXTRA_ARGS;PROPERTIES")
    if(NOT TARGET ${target})
        message(FATAL_ERROR "hivescope_discover_scenarios: no target named ${target}")
    endif()
    if(NOT arg_TRACE_DIR)
        set(arg_TRACE_DIR "${CMAKE_BINARY_DIR}/hivescope-traces")
    endif()
    if(NOT arg_WORKING_DIRECTORY)
        set(arg_WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
    endif()
    set(properties ENVIRONMENT "HIVESCOPE_TRACE_DIR=${arg_TRACE_DIR}")
    if(arg_LABEL)
        list(APPEND properties LABELS "${arg_LABEL}")
    endif()
    list(APPEND properties ${arg_PROPERTIES})

    if(COMMAND catch_discover_tests)
        catch_discover_tests(${target}
            TEST_PREFIX "${arg_TEST_PREFIX}"
            EXTRA_ARGS ${arg_EXTRA_ARGS}
            WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}"
            PROPERTIES ${properties})
    else()
        add_test(NAME "${arg_TEST_PREFIX}${target}" COMMAND ${target} ${arg_EXTRA_ARGS}
            WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
        set_tests_properties("${arg_TEST_PREFIX}${target}" PROPERTIES ${properties})
    endif()
endfunction()
