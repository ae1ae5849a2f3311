# Toolchain file: bare-metal Cortex-M4F (hard float, FPv4-SP) with Debian's
# gcc-arm-none-eabi and newlib. The flags are those of samples/cortex-m4/run.sh;
# CMake passes CMAKE_C_FLAGS to the link step too, which picks the matching
# hard-float newlib.
#   cmake -S ... -B ... -DCMAKE_TOOLCHAIN_FILE=samples/cmake-cortex-m4/arm-none-eabi.cmake
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
# no OS to link a test program against: check the compiler with a static library
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
