# libFuzzer targets (WM_FUZZ=ON, configure with CC=clang): the size parser,
# the whole offline path from pcap bytes to JSON, and the capture file
# reader on whole and cut-short files (fuzz_capfile). Each runs as a ctest
# test labelled "fuzz" for $WM_FUZZ_SECONDS seconds (read when the test
# runs; default 30) from the seeds in tests/fuzz/corpus_*/. What libFuzzer
# finds goes to the build tree, never into the sources: new inputs to
# fuzz/corpus_*/, crashes to fuzz/artifacts/.
if(NOT WM_FUZZ)
  return()
endif()
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "WM_FUZZ needs clang (configure with CC=clang), not ${CMAKE_C_COMPILER_ID}")
endif()

set(WM_FUZZ_SANITIZERS address,undefined)
# The library is instrumented for coverage without libFuzzer's main; its
# consumers (unit tests, the binary) then need the sanitizer runtimes.
target_compile_options(wm_worker PRIVATE
  -fsanitize=fuzzer-no-link,${WM_FUZZ_SANITIZERS} -fno-omit-frame-pointer
  -fno-sanitize-recover=all)
target_link_options(wm_worker INTERFACE -fsanitize=${WM_FUZZ_SANITIZERS})

set(WM_FUZZ_DIR ${CMAKE_CURRENT_BINARY_DIR}/fuzz)
file(MAKE_DIRECTORY ${WM_FUZZ_DIR}/artifacts)

foreach(target size pcap capfile)
  set(name fuzz_${target})
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/${name}.c)
  target_compile_options(${name} PRIVATE
    -fsanitize=fuzzer,${WM_FUZZ_SANITIZERS} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,${WM_FUZZ_SANITIZERS})
  target_link_libraries(${name} PRIVATE wm_worker_internal)

  set(work_corpus ${WM_FUZZ_DIR}/corpus_${target})
  file(MAKE_DIRECTORY ${work_corpus})
  # A shell reads WM_FUZZ_SECONDS at run time, so CI can change it without
  # reconfiguring. The first corpus directory is the one libFuzzer writes.
  add_test(NAME fuzz_${target}
    COMMAND sh -c "exec \"$0\" -max_total_time=\"\${WM_FUZZ_SECONDS:-30}\" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=\"$1/\" \"$2\" \"$3\""
      $<TARGET_FILE:${name}> ${WM_FUZZ_DIR}/artifacts ${work_corpus}
      ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_${target})
  set_tests_properties(fuzz_${target} PROPERTIES LABELS fuzz TIMEOUT 7200
    ENVIRONMENT "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1;ASAN_OPTIONS=detect_leaks=1")
endforeach()
