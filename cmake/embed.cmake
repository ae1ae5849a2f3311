# cmake/embed.cmake: lwcc_embed_runtime() turns the runtime-min helpers into a C string table
# at build time (ARCHITECTURE.md section 6); the work is done by embed_runtime.cmake in
# script mode, so the table follows every edit of a runtime-min source.
set(_LWCC_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_runtime.cmake)

# lwcc_embed_runtime(SRC_DIR OUT_C): generate OUT_C, the table of every "@helper" in
# SRC_DIR/*.c (see embed_runtime.cmake), with a rule that reruns when a source changes.
function(lwcc_embed_runtime SRC_DIR OUT_C)
  file(GLOB srcs CONFIGURE_DEPENDS ${SRC_DIR}/*.c)
  list(SORT srcs)
  add_custom_command(
    OUTPUT ${OUT_C}
    COMMAND ${CMAKE_COMMAND} -DSRC_DIR=${SRC_DIR} -DOUT_C=${OUT_C} -P ${_LWCC_EMBED_SCRIPT}
    DEPENDS ${srcs} ${_LWCC_EMBED_SCRIPT}
    COMMENT "Embedding runtime-min helpers into ${OUT_C}"
    VERBATIM)
endfunction()
