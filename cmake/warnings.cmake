# Warning flags for lwcc's own sources (STYLE.md); LWCC_WERROR adds -Werror.
# -Wno-missing-field-initializers: the op table's rows leave the optional hooks at the
# end of OpDef out (they are NULL, as C guarantees) rather than spell every one.
function(lwcc_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wvla -Wno-sign-conversion -Wno-missing-field-initializers)
  if(LWCC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
