# lwcc_add_model: compile an ONNX model with lwcc at build time and add the
# generated C to a target.
#
#   lwcc_add_model(<target> <model.onnx>
#                  [NAME <prefix>] [TARGET <arch>] [OPT <-O0|-O1|-O2|-Os>]
#                  [SHAPES <name:1x3x224x224>...] [FREEZE <name=file.pb>...]
#                  [LWCC_ARGS <arg>...])
#
# The model's <prefix>.c and <prefix>.h are written to
# ${CMAKE_CURRENT_BINARY_DIR}/lwcc/<prefix>/, <prefix>.c is added to <target>
# and the folder to its include path. The command depends on the model, the
# lwcc executable and, through lwcc's --depfile, on external data files and
# frozen inputs, so editing any of them regenerates only this model.
include_guard(GLOBAL)

if(NOT LWCC_EXECUTABLE)
  find_program(LWCC_EXECUTABLE lwcc HINTS "${CMAKE_CURRENT_LIST_DIR}/../../../bin")
endif()

function(lwcc_add_model target model)
  cmake_parse_arguments(ARG "" "NAME;TARGET;OPT" "SHAPES;FREEZE;LWCC_ARGS" ${ARGN})
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
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/lwcc/${ARG_NAME}")
  set(out_c "${dir}/${ARG_NAME}.c")
  set(out_h "${dir}/${ARG_NAME}.h")
  set(args "${model_abs}" ${ARG_OPT} --target=${ARG_TARGET} --name=${ARG_NAME} -o "${out_c}"
           --depfile=${dir}/${ARG_NAME}.d)
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
    COMMENT "lwcc ${model} -> ${ARG_NAME}.c"
    VERBATIM)
  target_sources(${target} PRIVATE "${out_c}" "${out_h}")
  target_include_directories(${target} PRIVATE "${dir}")
endfunction()
