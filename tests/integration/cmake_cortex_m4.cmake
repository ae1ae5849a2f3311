# Installs lwcc into a fresh prefix, cross-builds samples/cmake-cortex-m4
# against it with find_package(lwcc) + lwcc_add_model and the sample's
# arm-none-eabi toolchain file, runs the firmware under QEMU (mps2-an386, as
# samples/cortex-m4/run.sh does) on the digits test images and checks that at
# least MIN_HITS (default 350, as sample.cortex-m4.*) of them are right. The
# model and the test images are copies in WORK, passed through the sample's
# SAMPLE_MODEL and SAMPLE_EVAL cache variables; touching the model must
# regenerate it, a rebuild with nothing changed must not.
# Prints "sample skipped:" (the test's SKIP_REGULAR_EXPRESSION) and stops when
# arm-none-eabi-gcc or qemu-system-arm is missing.
# BACKEND (c or llvm, default c) is the sample's SAMPLE_BACKEND.
if(NOT DEFINED BACKEND)
  set(BACKEND c)
endif()
if(NOT DEFINED MIN_HITS)
  set(MIN_HITS 350)
endif()
find_program(ARM_GCC arm-none-eabi-gcc)
find_program(QEMU qemu-system-arm)
if(NOT ARM_GCC OR NOT QEMU)
  message(STATUS "sample skipped: needs arm-none-eabi-gcc and qemu-system-arm")
  return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/install_prefix.cmake)
file(COPY ${SOURCE_DIR}/samples/digits/model.onnx ${SOURCE_DIR}/samples/digits/eval.bin
     DESTINATION ${WORK}/data)
set(sample ${SOURCE_DIR}/samples/cmake-cortex-m4)
run(${CMAKE_COMMAND} -S ${sample} -B ${WORK}/build
    -DCMAKE_PREFIX_PATH=${WORK}/prefix
    -DCMAKE_TOOLCHAIN_FILE=${sample}/arm-none-eabi.cmake -DCMAKE_BUILD_TYPE=MinSizeRel
    -DSAMPLE_MODEL=${WORK}/data/model.onnx -DSAMPLE_EVAL=${WORK}/data/eval.bin
    -DSAMPLE_BACKEND=${BACKEND})
run(${CMAKE_COMMAND} --build ${WORK}/build)
message(STATUS "${out}")
if(NOT out MATCHES "lwcc [^\n]*model\\.onnx -> model\\.[co]")
  message(FATAL_ERROR "the build did not run lwcc on the model:\n${out}")
endif()
set(elf ${WORK}/build/firmware.elf)
if(NOT EXISTS ${elf})
  message(FATAL_ERROR "the build made no ${elf}")
endif()

function(run_firmware)
  execute_process(
    COMMAND ${QEMU} -M mps2-an386 -nographic -monitor none
            -semihosting-config enable=on,target=native -kernel ${elf}
    WORKING_DIRECTORY ${SOURCE_DIR} TIMEOUT 300
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the firmware failed under QEMU (${rc})")
  endif()
  if(NOT out MATCHES "(^|\n)accuracy: ([0-9]+)/")
    message(FATAL_ERROR "the firmware printed no accuracy line")
  endif()
  if(CMAKE_MATCH_2 LESS MIN_HITS)
    message(FATAL_ERROR "cortex-m4: accuracy ${CMAKE_MATCH_2} below ${MIN_HITS}")
  endif()
endfunction()
run_firmware()

# a rebuild with nothing changed runs no lwcc
run(${CMAKE_COMMAND} --build ${WORK}/build)
if(out MATCHES "lwcc ")
  message(FATAL_ERROR "a no-op rebuild ran lwcc again:\n${out}")
endif()
# a newer model is compiled again
file(TOUCH ${WORK}/data/model.onnx)
run(${CMAKE_COMMAND} --build ${WORK}/build)
if(NOT out MATCHES "lwcc [^\n]*model\\.onnx -> model\\.[co]")
  message(FATAL_ERROR "touching the model did not rerun lwcc:\n${out}")
endif()
