# CMake toolchain: ffi/ cross-compiled on Linux for arm64 macOS with zig's clang and zig's Mach-O linker, without
# an SDK (zig brings libc headers, libc++ headers and libSystem.tbd).
#   cmake -S ffi -B <build> -DCMAKE_TOOLCHAIN_FILE=scripts/darwin/arm64-macos.cmake -DVMLX_LIBCXX_STUB=<libc++.tbd> ...
set(CMAKE_SYSTEM_NAME Darwin)
set(CMAKE_SYSTEM_PROCESSOR arm64)
set(CMAKE_SYSTEM_VERSION 23.0)  # Darwin 23 is macOS 14
set(CMAKE_OSX_ARCHITECTURES "" CACHE STRING "" FORCE)  # zig takes the architecture from -target
set(CMAKE_OSX_DEPLOYMENT_TARGET "" CACHE STRING "" FORCE)
set(CMAKE_OSX_SYSROOT "/" CACHE PATH "" FORCE)
set(CMAKE_CXX_COMPILER "${CMAKE_CURRENT_LIST_DIR}/zig-c++")
set(CMAKE_AR "${CMAKE_CURRENT_LIST_DIR}/zig-ar" CACHE FILEPATH "" FORCE)
set(CMAKE_RANLIB "${CMAKE_CURRENT_LIST_DIR}/zig-ranlib" CACHE FILEPATH "" FORCE)
set(CMAKE_INSTALL_NAME_TOOL "/bin/true" CACHE FILEPATH "" FORCE)  # nothing is installed; zig writes the final names
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# libc++ comes from Apple's /usr/lib/libc++.1.dylib through a stub that lists only the symbols Apple-linked
# binaries of the wheel import from it (scripts/darwin/libcxx_stub.py): any other libc++ symbol fails the link.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VMLX_LIBCXX_STUB)
if(NOT VMLX_LIBCXX_STUB)
  message(FATAL_ERROR "arm64-macos.cmake needs -DVMLX_LIBCXX_STUB=<path to the generated libc++.tbd>")
endif()
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-nostdlib++ ${VMLX_LIBCXX_STUB}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib++ ${VMLX_LIBCXX_STUB}")

# Without sw_vers (macOS only) CMake's Darwin platform files leave rpath support off, which also makes the
# install name an absolute path: turn both on, so libvmlx gets LC_RPATH @loader_path and @rpath/libvmlx.dylib.
set(CMAKE_SHARED_LIBRARY_RUNTIME_CXX_FLAG "-Wl,-rpath,")
set(CMAKE_INSTALL_NAME_DIR "@rpath")
set(CMAKE_BUILD_WITH_INSTALL_NAME_DIR ON)
