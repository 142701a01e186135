# Finds every dependency through pkg-config. A missing one stops the configure step with
# the Debian package that provides it, so the fix is one apt-get line (or scripts/bootstrap).
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config was not found: install the Debian package 'pkg-config' "
                      "(apt-get install pkg-config) or run scripts/bootstrap as root")
endif()

function(sanctum_require_pkg target module debian_package)
  pkg_check_modules(${target} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${target}_FOUND)
    message(FATAL_ERROR "missing dependency '${module}': install the Debian package "
                        "'${debian_package}' (apt-get install ${debian_package}) "
                        "or run scripts/bootstrap as root")
  endif()
  message(STATUS "found ${module} ${${target}_VERSION}")
endfunction()

sanctum_require_pkg(GIT2 "libgit2>=1.5" libgit2-dev)
sanctum_require_pkg(SODIUM "libsodium>=1.0.18" libsodium-dev)
sanctum_require_pkg(UV "libuv>=1.44" libuv1-dev)
sanctum_require_pkg(ZLIB "zlib" zlib1g-dev)
sanctum_require_pkg(JANSSON "jansson" libjansson-dev)
if(SANCTUM_TESTS OR SANCTUM_FUZZ)
  sanctum_require_pkg(CMOCKA "cmocka" libcmocka-dev)
endif()

# http_parser (the forge webhook listener in transport/) ships no pkg-config file on
# Debian: find its header and library by hand, and read the version from the header.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h)
find_library(HTTP_PARSER_LIBRARY http_parser)
if(NOT HTTP_PARSER_INCLUDE_DIR OR NOT HTTP_PARSER_LIBRARY)
  message(FATAL_ERROR "missing dependency 'http_parser' (http_parser.h and libhttp_parser): "
                      "install the Debian package 'libhttp-parser-dev' "
                      "(apt-get install libhttp-parser-dev) or run scripts/bootstrap as root")
endif()
file(STRINGS ${HTTP_PARSER_INCLUDE_DIR}/http_parser.h HTTP_PARSER_VERSION_LINES
     REGEX "^#define HTTP_PARSER_VERSION_(MAJOR|MINOR|PATCH) [0-9]+")
foreach(part MAJOR MINOR PATCH)
  string(REGEX REPLACE ".*HTTP_PARSER_VERSION_${part} ([0-9]+).*" "\\1"
         HTTP_PARSER_VERSION_${part} "${HTTP_PARSER_VERSION_LINES}")
endforeach()
set(HTTP_PARSER_VERSION
    "${HTTP_PARSER_VERSION_MAJOR}.${HTTP_PARSER_VERSION_MINOR}.${HTTP_PARSER_VERSION_PATCH}")
# 2.9.3 fixed request smuggling through Transfer-Encoding (CVE-2019-15605).
if(HTTP_PARSER_VERSION VERSION_LESS 2.9.3 OR HTTP_PARSER_VERSION VERSION_GREATER_EQUAL 3)
  message(FATAL_ERROR "http_parser ${HTTP_PARSER_VERSION} found in ${HTTP_PARSER_INCLUDE_DIR}, "
                      "2.9.3 or a later 2.x is needed: install the Debian package "
                      "'libhttp-parser-dev' (apt-get install libhttp-parser-dev)")
endif()
add_library(SanctumDeps::HTTP_PARSER UNKNOWN IMPORTED GLOBAL)
set_target_properties(SanctumDeps::HTTP_PARSER PROPERTIES
  IMPORTED_LOCATION ${HTTP_PARSER_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${HTTP_PARSER_INCLUDE_DIR})
message(STATUS "found http_parser ${HTTP_PARSER_VERSION}")
