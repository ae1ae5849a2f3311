# Installs lwcc into a fresh prefix, builds samples/cmake-host against it with
# find_package(lwcc) + lwcc_add_model, runs it on the digits test images and
# checks its accuracy line, then that a rebuild with nothing changed runs no lwcc
# (cmake_cortex_m4.cmake checks that touching the model regenerates it).
include(${CMAKE_CURRENT_LIST_DIR}/install_prefix.cmake)
if(NOT EXISTS ${WORK}/prefix/lib/cmake/lwcc/lwccConfig.cmake AND
   NOT EXISTS ${WORK}/prefix/lib/x86_64-linux-gnu/cmake/lwcc/lwccConfig.cmake)
  file(GLOB_RECURSE cfg ${WORK}/prefix/*lwccConfig.cmake)
  if(NOT cfg)
    message(FATAL_ERROR "the install tree has no lwccConfig.cmake")
  endif()
endif()
if(NOT EXISTS ${WORK}/prefix/share/man/man1/lwcc.1)
  message(FATAL_ERROR "the install tree has no man page")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/samples/cmake-host -B ${WORK}/build
    -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK}/build)
run(${WORK}/build/digits_app ${SOURCE_DIR}/samples/digits/eval.bin)
message(STATUS "${out}")
if(NOT out MATCHES "accuracy[^\n]*0\\.99")
  message(FATAL_ERROR "the sample did not report the expected accuracy:\n${out}")
endif()
# a rebuild with nothing changed runs no lwcc
run(${CMAKE_COMMAND} --build ${WORK}/build)
if(out MATCHES "lwcc ")
  message(FATAL_ERROR "a no-op rebuild ran lwcc again:\n${out}")
endif()
