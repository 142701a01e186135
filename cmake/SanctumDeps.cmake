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
