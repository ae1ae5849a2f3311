# Warning flags for lwcc's own sources (STYLE.md); LWCC_WERROR adds -Werror.
function(lwcc_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wvla -Wno-sign-conversion)
  if(LWCC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
