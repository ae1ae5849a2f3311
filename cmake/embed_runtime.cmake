# cmake/embed_runtime.cmake: cmake -DSRC_DIR=<runtime-min> -DOUT_C=<rt_blob.c> -P this file.
#
# Every SRC_DIR/*.c (in name order) is cut at its marker lines
#     /* @helper NAME deps: DEP1 DEP2 */
# A helper is the text after its marker line up to the next marker or the end of the file,
# with LWRT_FN replaced by "static inline". The deps must name exactly the lwrt_ identifiers
# the text uses (checked here). The table is written in dependency order (a stable
# topological sort of file order), so a printer that copies the helpers it needs in table
# order always defines a helper before its first use.
#
# Output: const LwrtHelper lwrt_helpers[] = { { name, deps, source }, ... }; and
# lwrt_nhelpers. A source is a concatenated string literal, one literal per source line;
# one longer than C's 4095-character minimum limit is a char array instead, so lwcc's
# -Wpedantic build needs no warning silenced.
cmake_minimum_required(VERSION 3.20)

if(NOT SRC_DIR OR NOT OUT_C)
  message(FATAL_ERROR "usage: cmake -DSRC_DIR=<dir> -DOUT_C=<file.c> -P embed_runtime.cmake")
endif()

set(marker "/* @helper ")
set(names "")
file(GLOB srcs ${SRC_DIR}/*.c)
list(SORT srcs)

foreach(src IN LISTS srcs)
  file(READ ${src} text)
  get_filename_component(base ${src} NAME)
  string(FIND "${text}" "${marker}" pos)
  while(pos GREATER -1)
    string(SUBSTRING "${text}" ${pos} -1 text)
    # the marker line
    string(FIND "${text}" "\n" eol)
    if(eol EQUAL -1)
      message(FATAL_ERROR "${base}: marker without a helper after it")
    endif()
    string(SUBSTRING "${text}" 0 ${eol} line)
    if(NOT line MATCHES "^/\\* @helper ([A-Za-z_][A-Za-z0-9_]*) deps:([A-Za-z0-9_ ]*)\\*/[ \t]*$")
      message(FATAL_ERROR "${base}: bad marker line '${line}'; "
                          "expected '/* @helper NAME deps: DEP... */'")
    endif()
    set(name ${CMAKE_MATCH_1})
    string(STRIP "${CMAKE_MATCH_2}" deps)
    string(REGEX REPLACE " +" " " deps "${deps}")
    math(EXPR eol "${eol} + 1")
    string(SUBSTRING "${text}" ${eol} -1 text)
    # the body, up to the next marker
    string(FIND "${text}" "${marker}" pos)
    if(pos GREATER -1)
      string(SUBSTRING "${text}" 0 ${pos} body)
    else()
      set(body "${text}")
    endif()
    string(REPLACE "LWRT_FN" "static inline" body "${body}")
    string(REGEX REPLACE "[ \t\r\n]+$" "" body "${body}")
    set(body "${body}\n")

    if(name IN_LIST names)
      message(FATAL_ERROR "${base}: helper ${name} defined twice")
    endif()
    if(NOT body MATCHES "static inline[^;{]*[ *]${name}\\(")
      message(FATAL_ERROR "${base}: helper ${name}: no 'LWRT_FN ... ${name}(' after its marker")
    endif()
    # the declared deps must be exactly the lwrt_ names the body uses
    string(REGEX MATCHALL "lwrt_[A-Za-z0-9_]+" used "${body}")
    list(REMOVE_DUPLICATES used)
    list(REMOVE_ITEM used ${name})
    list(SORT used)
    string(REPLACE " " ";" declared "${deps}")
    list(SORT declared)
    if(NOT "${used}" STREQUAL "${declared}")
      string(REPLACE ";" " " used "${used}")
      message(FATAL_ERROR "${base}: helper ${name} declares deps '${deps}' but uses '${used}'")
    endif()

    list(APPEND names ${name})
    set(deps_${name} "${deps}")
    set(body_${name} "${body}")
    set(file_${name} "${base}")
  endwhile()
endforeach()

# Stable topological order: repeatedly take the first helper whose deps are all placed.
foreach(name IN LISTS names)
  string(REPLACE " " ";" dl "${deps_${name}}")
  foreach(d IN LISTS dl)
    if(NOT d IN_LIST names)
      message(FATAL_ERROR "${file_${name}}: helper ${name} depends on unknown helper ${d}")
    endif()
  endforeach()
endforeach()
set(order "")
set(todo ${names})
while(todo)
  set(picked "")
  foreach(name IN LISTS todo)
    string(REPLACE " " ";" dl "${deps_${name}}")
    set(ready TRUE)
    foreach(d IN LISTS dl)
      if(NOT d IN_LIST order)
        set(ready FALSE)
        break()
      endif()
    endforeach()
    if(ready)
      set(picked ${name})
      break()
    endif()
  endforeach()
  if(NOT picked)
    string(REPLACE ";" " " todo "${todo}")
    message(FATAL_ERROR "runtime-min helpers depend on each other in a cycle: ${todo}")
  endif()
  list(APPEND order ${picked})
  list(REMOVE_ITEM todo ${picked})
endwhile()

# Emit.
set(arrays "")
set(rows "")
set(n 0)
foreach(name IN LISTS order)
  set(body "${body_${name}}")
  string(LENGTH "${body}" len)
  if(len LESS 4000)
    string(REPLACE "\\" "\\\\" lit "${body}")
    string(REPLACE "\"" "\\\"" lit "${lit}")
    string(REPLACE "?" "\\?" lit "${lit}")
    string(REPLACE "\t" "\\t" lit "${lit}")
    string(REPLACE "\r" "" lit "${lit}")
    string(REGEX REPLACE "\n$" "" lit "${lit}")
    string(REPLACE "\n" "\\n\"\n      \"" lit "${lit}")
    set(src "\n      \"${lit}\\n\"")
  else()
    string(HEX "${body}" hex)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
    string(REPEAT "0x[0-9a-f][0-9a-f]," 16 row16)
    string(REGEX REPLACE "(${row16})" "\\1\n    " hex "${hex}")
    string(APPEND arrays "/* ${name} (${len} characters: longer than a portable string literal) */\n"
                         "static const char src_${name}[] = {\n    ${hex}0x00\n};\n\n")
    set(src " src_${name}")
  endif()
  string(APPEND rows "    { \"${name}\", \"${deps_${name}}\",${src} },\n")
  math(EXPR n "${n} + 1")
endforeach()

file(WRITE ${OUT_C}
  "/* rt_blob.c: generated by cmake/embed_runtime.cmake from the runtime-min sources. Do not edit. */\n"
  "#include \"runtime-min/rt_blob.h\"\n\n"
  "${arrays}"
  "/* name, deps (earlier in this table), source; in dependency order */\n"
  "const LwrtHelper lwrt_helpers[] = {\n${rows}};\n\n"
  "const uint32_t lwrt_nhelpers = ${n};\n")
