# Opens lwcc's --report page in headless Chromium and checks the DOM Chromium built from it:
# the page's script ran to its end without an error (it writes data-ok="1" and a status
# line counting the arena rectangles, the layer rows and the page's scripts), the arena
# picture and the layer table are there, and the model's hostile node and value names
# (tests/integration/report/hostile_names.onnx) stayed text: no element came from them.
# Also the digits sample at -O2 and -Os. Chromium comes with tools/setup-deps.sh (Debian
# package chromium); without it the test fails and says so.
# -DLWCC=path of lwcc -DSOURCE_DIR=the source tree -DWORK=a scratch folder
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 240)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

# count(VAR TEXT REGEX): how many times REGEX matches in TEXT
function(count var text regex)
  string(REGEX MATCHALL "${regex}" all "${text}")
  list(LENGTH all n)
  set(${var} ${n} PARENT_SCOPE)
endfunction()

function(expect dom what regex)
  if(NOT dom MATCHES "${regex}")
    message(FATAL_ERROR "${what}: the DOM does not match '${regex}'")
  endif()
endfunction()

find_program(CHROMIUM NAMES chromium chromium-browser google-chrome)
if(NOT CHROMIUM)
  message(FATAL_ERROR "chromium is not installed: run tools/setup-deps.sh "
                      "(Debian: apt-get install chromium)")
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

# check(NAME MODEL FLAGS...): compile with --report, load the page, check its DOM
function(check name model)
  set(page ${WORK}/${name}.html)
  run(${LWCC} ${model} ${ARGN} -o ${WORK}/${name}.c --report=${page})
  file(READ ${page} html)
  count(nrect "${html}" "<rect class=\"slot\"")
  count(nrow "${html}" "<tr id=\"L[0-9]+\"")
  # the root can only run Chromium without its sandbox; a profile of its own keeps the
  # user's alone
  run(${CHROMIUM} --headless --no-sandbox --disable-gpu --no-first-run
      --user-data-dir=${WORK}/profile-${name} --dump-dom file://${page})
  set(dom "${out}")
  file(WRITE ${WORK}/${name}.dom.html "${dom}")
  expect("${dom}" ${name} "id=\"script-status\"[^>]*data-ok=\"1\"")
  expect("${dom}" ${name}
         "script ran: ${nrect} arena rectangles, ${nrow} layers, 1 script<")
  expect("${dom}" ${name} "<svg id=\"arena\"")
  expect("${dom}" ${name} "<table id=\"layers\"")
  expect("${dom}" ${name} "id=\"arena-size\" data-bytes=\"[0-9]+\"")
  count(ndom "${dom}" "<rect class=\"slot\"")
  if(NOT ndom EQUAL nrect OR nrow EQUAL 0)
    message(FATAL_ERROR "${name}: ${ndom} arena rectangles in the DOM, ${nrect} in the "
                        "page; ${nrow} layer rows")
  endif()
  message(STATUS "${name}: ${nrect} arena rectangles, ${nrow} layers; the script ran")
  set(dom "${dom}" PARENT_SCOPE)
endfunction()

set(hostile ${SOURCE_DIR}/tests/integration/report/hostile_names.onnx)
check(hostile ${hostile} -O2)
# the names are text: escaped in the DOM Chromium serializes, no element made of them
expect("${dom}" hostile "&lt;script&gt;alert\\(\"conv\"\\)&lt;/script&gt;")
expect("${dom}" hostile "relu_out&lt;/title&gt;&lt;b&gt;x")
expect("${dom}" hostile "relu&amp;amp;")
if(dom MATCHES "<script>alert" OR dom MATCHES "</title><b>x")
  message(FATAL_ERROR "hostile: a model string became markup")
endif()
check(hostile_o0 ${hostile} -O0)
check(digits ${SOURCE_DIR}/samples/digits/model.onnx -O2)
check(digits_os ${SOURCE_DIR}/samples/digits/model.onnx -Os --target=cortex-m4)
