# How libssh2-hpp finds libssh2, written once for the two ways CMake meets libssh2-hpp:
# the top-level CMakeLists.txt (add_subdirectory, FetchContent) and the installed
# libssh2-hppConfig.cmake (find_package), next to which this file is installed.

# libssh2_hpp_find_libssh2(<target-var> <message-var>): sets <target-var> to a target that
# links libssh2: libssh2::libssh2 (libssh2's own CMake package, or a libssh2 the project
# already has), else PkgConfig::LIBSSH2_HPP_LIBSSH2 (pkg-config), else libssh2-hpp::libssh2
# (libssh2.h and a library found by hand). Without libssh2, sets it to "" and
# <message-var> to what to install.
function(libssh2_hpp_find_libssh2 target_var message_var)
  if(NOT TARGET libssh2::libssh2)
    # Not from CMake's package registries: they list libssh2 build trees (its CMake build
    # registers itself), which would win over the installed libssh2 unannounced.
    find_package(libssh2 CONFIG QUIET NO_CMAKE_PACKAGE_REGISTRY NO_CMAKE_SYSTEM_PACKAGE_REGISTRY)
  endif()
  if(TARGET libssh2::libssh2)
    set(${target_var} libssh2::libssh2 PARENT_SCOPE)
    return()
  endif()

  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(LIBSSH2_HPP_LIBSSH2 QUIET IMPORTED_TARGET libssh2)
  endif()
  if(TARGET PkgConfig::LIBSSH2_HPP_LIBSSH2)
    set(${target_var} PkgConfig::LIBSSH2_HPP_LIBSSH2 PARENT_SCOPE)
    return()
  endif()

  if(NOT TARGET libssh2-hpp::libssh2)
    find_path(LIBSSH2_HPP_LIBSSH2_INCLUDE_DIR libssh2.h)
    find_library(LIBSSH2_HPP_LIBSSH2_LIBRARY NAMES ssh2 libssh2)
    if(LIBSSH2_HPP_LIBSSH2_INCLUDE_DIR AND LIBSSH2_HPP_LIBSSH2_LIBRARY)
      add_library(libssh2-hpp::libssh2 UNKNOWN IMPORTED)
      set_target_properties(libssh2-hpp::libssh2 PROPERTIES
        IMPORTED_LOCATION "${LIBSSH2_HPP_LIBSSH2_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${LIBSSH2_HPP_LIBSSH2_INCLUDE_DIR}")
    endif()
  endif()
  if(TARGET libssh2-hpp::libssh2)
    set(${target_var} libssh2-hpp::libssh2 PARENT_SCOPE)
    return()
  endif()

  set(${target_var} "" PARENT_SCOPE)
  set(${message_var}
    "libssh2-hpp needs libssh2, found neither as a CMake package, through pkg-config, nor as libssh2.h and a libssh2 library: install libssh2's development files (Debian: libssh2-1-dev)"
    PARENT_SCOPE)
endfunction()
