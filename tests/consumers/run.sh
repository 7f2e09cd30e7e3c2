#!/usr/bin/env bash
# The ways a project consumes frameseal, each built from scratch and run (tests/consumers/):
#   meson-subproject        frameseal's source tree in subprojects/frameseal; nothing of frameseal
#                           installed into the consumer's prefix, no CLI or test of frameseal built
#   meson-pkgconfig         a fresh `meson install` of frameseal into a temporary prefix, pkg-config
#   gst-plugin-install      the GStreamer plugin of that install, loaded by gst-inspect-1.0
#   cmake-find-package      find_package(frameseal) on that meson install, and on a `cmake --install`
#   cmake-add-subdirectory  add_subdirectory() of the source tree, and FetchContent with SOURCE_DIR
#   single-header           g++ -std=c++20 -I single_include x.cpp -lsodium (-lcrypto), on a copy of
#                           single_include/ alone
# and frameseal's own CMake build (its ctest round trip). Each consumer builds roundtrip.cpp, which
# encrypts and decrypts one frame and must print "roundtrip ok".
# Usage: tests/consumers/run.sh   Last line: "consumers: N passed, M failed"; exit 1 on a failure.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jobs=${FRAMESEAL_JOBS:-2}
for tool in meson ninja cmake pkg-config g++; do
  command -v "$tool" >/dev/null || { echo "consumers: $tool is missing (tools/bootstrap installs it)" >&2; exit 2; }
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; [[ -f $tmp/log ]] && tail -15 "$tmp/log" | sed 's/^/    /'; failed=$((failed + 1)); }
# project DIR NAME: a copy of consumer NAME with roundtrip.cpp beside its build file
project() {
  mkdir -p "$1" && cp -r "$here/$2/." "$1/" && cp "$here/roundtrip.cpp" "$1/"
}
# runs BIN...: each prints "roundtrip ok" and exits 0
runs() {
  local b
  for b in "$@"; do
    "$b" >"$tmp/run.txt" 2>&1 && grep -q "^roundtrip ok" "$tmp/run.txt" || { cat "$tmp/run.txt" >>"$tmp/log"; return 1; }
  done
}

# --- a fresh install of frameseal by meson, into a temporary prefix
prefix="$tmp/prefix"
if meson setup "$tmp/fs-meson" "$root" --prefix="$prefix" -Dtests=false -Dbench=false -Dcli=false \
     -Dsingle_header=false -Dgstreamer=enabled >"$tmp/log" 2>&1 && meson install -C "$tmp/fs-meson" >>"$tmp/log" 2>&1; then
  ok meson-install
else
  fail meson-install "meson setup/install of frameseal failed"
fi
# The GStreamer plugin goes to <prefix>/<libdir>/gstreamer-1.0, and GStreamer finds its elements there.
plugin="$(find "$prefix" -path '*/gstreamer-1.0/libgstframeseal.so' -print -quit 2>/dev/null)"
if [[ -n $plugin ]] && GST_REGISTRY="$tmp/registry.bin" GST_PLUGIN_PATH="$(dirname "$plugin")" \
     gst-inspect-1.0 framesealenc >"$tmp/log" 2>&1 && grep -q "frameseal E2EE encrypter" "$tmp/log"; then
  ok gst-plugin-install
else
  fail gst-plugin-install "libgstframeseal.so not installed under $prefix, or gst-inspect-1.0 cannot load it"
fi
pcdir="$(dirname "$(find "$prefix" -name frameseal.pc -print -quit 2>/dev/null)")"

# --- meson subproject
p="$tmp/meson-subproject"
project "$p" meson-subproject
mkdir -p "$p/subprojects" && ln -s "$root" "$p/subprojects/frameseal"
if meson setup "$p/build" "$p" --wrap-mode=forcefallback --prefix="$tmp/sub-prefix" >"$tmp/log" 2>&1 &&
   ninja -C "$p/build" -j "$jobs" >>"$tmp/log" 2>&1 && runs "$p/build/roundtrip" "$p/build/roundtrip-sodium"; then
  ok meson-subproject
else
  fail meson-subproject "build or run failed"
fi
if DESTDIR="$tmp/sub-dest" meson install -C "$p/build" >"$tmp/log" 2>&1; then
  installed="$(cd "$tmp/sub-dest" && find . -type f | sort | tr '\n' ' ')"
  want="./$tmp/sub-prefix/bin/roundtrip ./$tmp/sub-prefix/bin/roundtrip-sodium "
  if [[ "$installed" == "${want//\/\//\/}" ]]; then ok meson-subproject-installs-nothing-of-frameseal
  else fail meson-subproject-installs-nothing-of-frameseal "installed: $installed"; fi
else
  fail meson-subproject-installs-nothing-of-frameseal "meson install failed"
fi
if [[ -z "$(find "$p/build/subprojects" -type f \( -name frameseal -o -name 'unit-*' -o -name 'bench_*' \) -perm -u+x -print -quit)" ]]; then
  ok meson-subproject-builds-no-cli-or-tests
else
  fail meson-subproject-builds-no-cli-or-tests "frameseal's CLI or tests were built inside the consumer"
fi

# --- meson via pkg-config on the fresh install
p="$tmp/meson-pkgconfig"
project "$p" meson-pkgconfig
if [[ -n "$pcdir" ]] && PKG_CONFIG_PATH="$pcdir" meson setup "$p/build" "$p" >"$tmp/log" 2>&1 &&
   ninja -C "$p/build" -j "$jobs" >>"$tmp/log" 2>&1 && runs "$p/build/roundtrip" "$p/build/roundtrip-sodium"; then
  ok meson-pkgconfig
else
  fail meson-pkgconfig "build or run failed (pkg-config dir: ${pcdir:-none})"
fi
if [[ -n "$pcdir" ]] && ! PKG_CONFIG_PATH="$pcdir" pkg-config --cflags frameseal frameseal-openssl | grep -- '-std=' >/dev/null; then
  ok pkgconfig-leaves-the-standard-to-the-consumer
else
  fail pkgconfig-leaves-the-standard-to-the-consumer "pkg-config --cflags: $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags frameseal 2>&1)"
fi

# --- CMake find_package, on the meson install and on a CMake install
cmake_consumer() {  # NAME PREFIX
  local p="$tmp/$1"
  project "$p" cmake-find-package
  cmake -S "$p" -B "$p/build" -G Ninja -DCMAKE_PREFIX_PATH="$2" >"$tmp/log" 2>&1 &&
    cmake --build "$p/build" -j "$jobs" >>"$tmp/log" 2>&1 && runs "$p/build/roundtrip" "$p/build/roundtrip-sodium"
}
if cmake_consumer cmake-find-package-meson-install "$prefix"; then ok cmake-find-package-meson-install
else fail cmake-find-package-meson-install "configure, build or run failed"; fi

cprefix="$tmp/cmake-prefix"
if cmake -S "$root" -B "$tmp/fs-cmake" -G Ninja -DCMAKE_INSTALL_PREFIX="$cprefix" >"$tmp/log" 2>&1 &&
   cmake --build "$tmp/fs-cmake" -j "$jobs" >>"$tmp/log" 2>&1 &&
   (cd "$tmp/fs-cmake" && ctest --output-on-failure >>"$tmp/log" 2>&1) && cmake --install "$tmp/fs-cmake" >>"$tmp/log" 2>&1; then
  ok cmake-top-level-build-ctest-install
else
  fail cmake-top-level-build-ctest-install "frameseal's own CMake configure, ctest or install failed"
fi
if cmake_consumer cmake-find-package-cmake-install "$cprefix"; then ok cmake-find-package-cmake-install
else fail cmake-find-package-cmake-install "configure, build or run failed"; fi
# A version the package does not satisfy is refused.
p="$tmp/cmake-too-new"
project "$p" cmake-find-package
sed -i 's/find_package(frameseal 0.2 /find_package(frameseal 9.0 /' "$p/CMakeLists.txt"
if ! cmake -S "$p" -B "$p/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/log" 2>&1 && grep -q "frameseal" "$tmp/log"; then
  ok cmake-find-package-version-check
else
  fail cmake-find-package-version-check "find_package(frameseal 9.0) should fail"
fi

# --- CMake add_subdirectory and FetchContent of the source tree
for mode in add_subdirectory fetchcontent; do
  p="$tmp/cmake-$mode"
  project "$p" cmake-add-subdirectory
  fc=OFF
  [[ $mode == fetchcontent ]] && fc=ON
  if cmake -S "$p" -B "$p/build" -G Ninja -DFRAMESEAL_SOURCE_DIR="$root" -DUSE_FETCHCONTENT=$fc \
       -DCMAKE_INSTALL_PREFIX="$p/prefix" >"$tmp/log" 2>&1 &&
     cmake --build "$p/build" -j "$jobs" >>"$tmp/log" 2>&1 && runs "$p/build/roundtrip" &&
     cmake --install "$p/build" >>"$tmp/log" 2>&1; then
    installed="$(cd "$p/prefix" && find . -type f | sort | tr '\n' ' ')"
    if [[ "$installed" == "./bin/roundtrip " && ! -e "$p/build/frameseal/frameseal-cmake-roundtrip" &&
          ! -e "$p/build/_deps/frameseal-build/frameseal-cmake-roundtrip" ]]; then
      ok "cmake-$mode"
    else
      fail "cmake-$mode" "frameseal installed files or built its test as a subproject: $installed"
    fi
  else
    fail "cmake-$mode" "configure, build, run or install failed"
  fi
done

# --- the single header, alone, with a plain compiler
p="$tmp/single"
mkdir -p "$p" && cp -r "$root/single_include" "$p/" && cp "$here/roundtrip.cpp" "$p/"
if g++ -std=c++20 -I"$p/single_include" "$p/roundtrip.cpp" -o "$p/roundtrip-sodium" -lsodium >"$tmp/log" 2>&1 &&
   g++ -std=c++20 -DFRAMESEAL_CONSUMER_OPENSSL=1 -I"$p/single_include" "$p/roundtrip.cpp" -o "$p/roundtrip" \
     -lsodium -lcrypto >>"$tmp/log" 2>&1 && runs "$p/roundtrip" "$p/roundtrip-sodium"; then
  ok single-header
else
  fail single-header "g++ -std=c++20 -I single_include ... failed"
fi
# The same against BoringSSL (Debian's android-libboringssl-dev), with the command line of docs/api.md ("Ciphers").
# (Never `cmd | grep -q` under pipefail: grep -q exits at the first match, cmd may then die of
# SIGPIPE and the pipeline fails although the line was there; this case failed so in CI once.)
bssl_inc=/usr/include/android
bssl_lib=/usr/lib/$(gcc -print-multiarch)/android
if g++ -std=c++20 -DFRAMESEAL_CONSUMER_OPENSSL=1 -isystem "$bssl_inc" -I"$p/single_include" "$p/roundtrip.cpp" \
     -o "$p/roundtrip-boringssl" -L"$bssl_lib" -Wl,-rpath,"$bssl_lib" -lcrypto -lsodium >"$tmp/log" 2>&1 &&
   runs "$p/roundtrip-boringssl" && grep -q "^boringssl aes128gcm: ok" "$tmp/run.txt" &&
   ldd "$p/roundtrip-boringssl" | grep "$bssl_lib/libcrypto" >/dev/null; then
  ok single-header-boringssl
else
  echo "    (output: $(tr '\n' ' ' <"$tmp/run.txt" 2>/dev/null))" >>"$tmp/log"
  fail single-header-boringssl "the single header against BoringSSL ($bssl_inc, $bssl_lib) did not build, run or use it"
fi
# Below C++20, the one clear line version.hpp promises.
if ! g++ -std=c++17 -I"$p/single_include" -c "$p/roundtrip.cpp" -o /dev/null 2>"$tmp/err.txt" &&
   grep -q "frameseal needs C++20" "$tmp/err.txt"; then
  ok single-header-cxx17-error
else
  fail single-header-cxx17-error "expected #error 'frameseal needs C++20' with -std=c++17"
fi

echo "consumers: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
