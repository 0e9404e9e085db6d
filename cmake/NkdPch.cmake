# Precompiled headers: most of a translation unit's compile time here is spent parsing the same
# third-party headers (nlohmann/json, spdlog, yaml-cpp, cpp-httplib, GoogleTest), so four targets
# precompile them and every other one reuses theirs (each is a few seconds of CPU, times three
# trees in a CI run): nkd_common the base list (nkd_metrics reuses it), nkd_model the base plus
# yaml-cpp (every other stage library), nkd_syncd the base, yaml-cpp and cpp-httplib (the nkd
# binary), and the test support library all of those and GoogleTest (every test executable). A
# target that reuses a precompiled header compiles with the same options and definitions as the
# one that made it (spdlog's and fmt's, identical for every target); header-only code it does
# not call costs nothing at link time.
# -Winvalid-pch (an error under -Werror) makes a precompiled header that cannot be used fail the
# build instead of silently compiling without it. NKD_PCH=OFF builds without them (to check that
# every file includes what it uses).
option(NKD_PCH "Use precompiled headers" ON)

# GCC's flow-based buffer warnings fire inside libstdc++'s own std::string code at -O2 (GCC bugs
# 105651, 105329); a header normally silences them as a system header, but code that comes from a
# precompiled header loses that mark. So, with precompiled headers only, GCC 12 does not report
# them; real out-of-bounds accesses are the sanitizer build's to find.
set(NKD_PCH_OPTIONS -Winvalid-pch)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND NKD_PCH_OPTIONS -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread
    -Wno-restrict)
endif()

set(NKD_PCH_BASE <algorithm> <chrono> <functional> <map> <memory> <mutex> <optional> <set>
  <string> <string_view> <thread> <utility> <vector> <nlohmann/json.hpp> <spdlog/spdlog.h>)
set(NKD_PCH_YAML ${NKD_PCH_BASE} <yaml-cpp/yaml.h>)
set(NKD_PCH_HTTP ${NKD_PCH_YAML} <httplib.h>)
set(NKD_PCH_TEST ${NKD_PCH_HTTP} <gtest/gtest.h> <gmock/gmock.h>)

# nkd_precompile(TARGET LIST-VARIABLE): TARGET precompiles the headers in ${LIST-VARIABLE}.
function(nkd_precompile target list)
  if(NKD_PCH)
    target_precompile_headers(${target} PRIVATE ${${list}})
    target_compile_options(${target} PRIVATE ${NKD_PCH_OPTIONS})
  endif()
endfunction()

# nkd_reuse_precompiled(TARGET FROM): TARGET compiles with FROM's precompiled header (the two
# must have the same compile options and definitions).
function(nkd_reuse_precompiled target from)
  if(NKD_PCH)
    target_precompile_headers(${target} REUSE_FROM ${from})
    target_compile_options(${target} PRIVATE ${NKD_PCH_OPTIONS})
  endif()
endfunction()
