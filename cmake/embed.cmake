# arenite_embed(OUT BASE dir FILES f...) writes OUT, a C++ file defining the table that
# core/embedded.h declares: each file's path relative to BASE, and its bytes.
function(arenite_embed out)
  cmake_parse_arguments(ARG "" "BASE" "FILES" ${ARGN})
  set(script ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DBASE=${ARG_BASE} "-DFILES=${ARG_FILES}" -P ${script}
    DEPENDS ${ARG_FILES} ${script}
    COMMENT "Embedding ${CMAKE_CURRENT_LIST_DIR} assets"
    VERBATIM)
endfunction()
