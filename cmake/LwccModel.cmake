# lwcc_add_model: compile an ONNX model with lwcc at build time and add the
# generated code to a target.
#
#   lwcc_add_model(<target> <model.onnx>
#                  [NAME <prefix>] [TARGET <arch>] [OPT <-O0|-O1|-O2|-Os>]
#                  [BACKEND <c|llvm>]
#                  [SHAPES <name:1x3x224x224>...] [FREEZE <name=file.pb>...]
#                  [LWCC_ARGS <arg>...])
#
# The model's <prefix>.c (BACKEND c, the default; or <prefix>.o from lwcc's LLVM
# backend, BACKEND llvm) and <prefix>.h are written to
# ${CMAKE_CURRENT_BINARY_DIR}/lwcc/<prefix>/, the .c or .o is added to <target>
# and the folder to its include path. The command depends on the model, the
# lwcc executable and, through lwcc's --depfile, on external data files and
# frozen inputs, so editing any of them regenerates only this model.
include_guard(GLOBAL)

if(NOT LWCC_EXECUTABLE)
  find_program(LWCC_EXECUTABLE lwcc HINTS "${CMAKE_CURRENT_LIST_DIR}/../../../bin")
endif()

function(lwcc_add_model target model)
  cmake_parse_arguments(ARG "" "NAME;TARGET;OPT;BACKEND" "SHAPES;FREEZE;LWCC_ARGS" ${ARGN})
  if(NOT LWCC_EXECUTABLE)
    message(FATAL_ERROR "lwcc_add_model: lwcc not found (set LWCC_EXECUTABLE)")
  endif()
  get_filename_component(model_abs "${model}" ABSOLUTE)
  if(NOT ARG_NAME)
    get_filename_component(ARG_NAME "${model}" NAME_WE)
    string(MAKE_C_IDENTIFIER "${ARG_NAME}" ARG_NAME)
    string(TOLOWER "${ARG_NAME}" ARG_NAME)
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET generic)
  endif()
  if(NOT ARG_OPT)
    set(ARG_OPT -O2)
  endif()
  if(NOT ARG_BACKEND)
    set(ARG_BACKEND c)
  endif()
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/lwcc/${ARG_NAME}")
  if(ARG_BACKEND STREQUAL "c")
    set(out_c "${dir}/${ARG_NAME}.c")
    set(emit)
  elseif(ARG_BACKEND STREQUAL "llvm")
    set(out_c "${dir}/${ARG_NAME}.o") # an object file, linked into <target> as is
    set(emit --emit=obj)
  else()
    message(FATAL_ERROR "lwcc_add_model: BACKEND must be c or llvm, not '${ARG_BACKEND}'")
  endif()
  set(out_h "${dir}/${ARG_NAME}.h")
  get_filename_component(out_name "${out_c}" NAME)
  set(args "${model_abs}" ${ARG_OPT} --target=${ARG_TARGET} --name=${ARG_NAME} ${emit}
           -o "${out_c}" --depfile=${dir}/${ARG_NAME}.d)
  set(deps "${model_abs}")
  foreach(s IN LISTS ARG_SHAPES)
    list(APPEND args --shape ${s})
  endforeach()
  foreach(f IN LISTS ARG_FREEZE)
    string(REGEX REPLACE "^([^=]*)=(.*)$" "\\1" fname "${f}")
    string(REGEX REPLACE "^([^=]*)=(.*)$" "\\2" fpath "${f}")
    get_filename_component(fpath "${fpath}" ABSOLUTE)
    list(APPEND args --freeze-input "${fname}=${fpath}")
    list(APPEND deps "${fpath}")
  endforeach()
  list(APPEND args ${ARG_LWCC_ARGS})
  set(depfile_arg)
  if(CMAKE_GENERATOR MATCHES "Ninja|Makefiles")
    set(depfile_arg DEPFILE "${dir}/${ARG_NAME}.d")
  endif()
  add_custom_command(
    OUTPUT "${out_c}" "${out_h}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${dir}"
    COMMAND "${LWCC_EXECUTABLE}" ${args}
    DEPENDS ${deps} "${LWCC_EXECUTABLE}"
    ${depfile_arg}
    COMMENT "lwcc ${model} -> ${out_name}"
    VERBATIM)
  target_sources(${target} PRIVATE "${out_c}" "${out_h}")
  target_include_directories(${target} PRIVATE "${dir}")
endfunction()
