# Shared by the sample scripts: a fresh WORK folder with lwcc installed from BINARY_DIR
# into WORK/prefix, and run(COMMAND...), which stops the script with the command's
# output when it fails and leaves its stdout in `out`.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${WORK}/prefix)
