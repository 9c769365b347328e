# Helpers shared by every folder (after leveldb's leveldb_test / leveldb_benchmark).

# creditd_test(<file.cc> LIBS <targets...> [LABELS <labels...>])
# One executable per test file, named after the file, its cases discovered by ctest.
function(creditd_test test_file)
  cmake_parse_arguments(ARG "" "" "LIBS;LABELS" ${ARGN})
  get_filename_component(name "${test_file}" NAME_WE)
  add_executable(${name} "${test_file}")
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    CREDITD_SOURCE_DIR="${PROJECT_SOURCE_DIR}" CREDITD_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()

# creditd_bench(<file.cc> LIBS <targets...>)
function(creditd_bench bench_file)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  get_filename_component(name "${bench_file}" NAME_WE)
  add_executable(${name} "${bench_file}")
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} benchmark::benchmark creditd_huge_pages)
endfunction()

# creditd_check_headers(<target> <headers...>)
# Compiles each header alone (Seastar's checkheaders), so that every header is self-contained.
function(creditd_check_headers target)
  if(NOT CREDITD_CHECK_HEADERS)
    return()
  endif()
  set(sources)
  foreach(header ${ARGN})
    string(MAKE_C_IDENTIFIER "${header}" id)
    set(src "${CMAKE_CURRENT_BINARY_DIR}/header_check/${id}.cc")
    file(RELATIVE_PATH rel "${PROJECT_SOURCE_DIR}" "${CMAKE_CURRENT_SOURCE_DIR}/${header}")
    file(GENERATE OUTPUT "${src}" CONTENT "#include \"${rel}\"  // must compile alone\n")
    list(APPEND sources "${src}")
  endforeach()
  add_library(${target}_headers OBJECT ${sources})
  target_link_libraries(${target}_headers PRIVATE ${target})
endfunction()

# creditd_embed(<output.cc> <symbol> <input file>)
# Turns a data file into a C++ source defining `std::string_view <symbol>()`, so that
# reference tables ship inside the binaries and lookups never touch the disk.
function(creditd_embed output symbol input)
  add_custom_command(
    OUTPUT "${output}"
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${output} -DSYMBOL=${symbol}
            -P "${PROJECT_SOURCE_DIR}/cmake/embed.cmake"
    DEPENDS "${input}" "${PROJECT_SOURCE_DIR}/cmake/embed.cmake"
    COMMENT "Embedding ${input}")
endfunction()
