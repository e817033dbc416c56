# Shared by tools/build-runner and tools/embedded-check; sourced from the repository root.

# kernels_modulemap DIR: DIR/module.modulemap, the runtime kernels' headers as the clang
# module CPithRuntimeKernels (what SwiftPM makes of Sources/CPithRuntimeKernels), for
# swiftc -I DIR. The runtime needs no other C kernels (Sources/CPithTrainKernels: training).
kernels_modulemap() {
    mkdir -p "$1"
    cat > "$1/module.modulemap" <<MAP
module CPithRuntimeKernels {
    umbrella header "$PWD/Sources/CPithRuntimeKernels/include/CPithRuntimeKernels.h"
    export *
}
MAP
}

# runtime_objects DIR TRIPLE [SWIFTC FLAGS...]: PithFormat and PithRuntime compiled as
# Embedded Swift for TRIPLE into DIR/PithFormat.o and DIR/PithRuntime.o, with their modules.
runtime_objects() {
    local dir=$1 triple=$2
    shift 2
    mkdir -p "$dir"
    local module
    for module in PithFormat PithRuntime; do
        swiftc -enable-experimental-feature Embedded -wmo -parse-as-library -Osize -target "$triple" -I "$dir" "$@" \
            -module-name "$module" -emit-module -emit-module-path "$dir/$module.swiftmodule" \
            -c Sources/"$module"/*.swift -o "$dir/$module.o"
    done
}

# host_c_objects DIR [CLANG FLAGS...]: every runtime kernel for this machine (all
# instruction-set variants, chosen at run time; not the arm64 NEON one) and what Embedded
# Swift's stdlib asks of libc (tools/embedded/stdlib_support.c), compiled into DIR; prints
# the objects' paths.
host_c_objects() {
    local dir=$1 c o
    shift
    mkdir -p "$dir"
    for c in Sources/CPithRuntimeKernels/*.c tools/embedded/stdlib_support.c; do
        case "$c" in *neon*) continue ;; esac
        o="$dir/$(basename "${c%.c}").o"
        clang "$@" -I Sources/CPithRuntimeKernels/include -c "$c" -o "$o"
        echo "$o"
    done
}

# embedded_libdir [TRIPLE]: Embedded Swift's libraries for TRIPLE, by default this machine's
# (libswiftUnicodeDataTables.a).
embedded_libdir() {
    local triple=${1:-$(uname -m)-unknown-linux-gnu} dir
    dir=/opt/swift/usr/lib/swift/embedded/$triple
    [ -d "$dir" ] || dir="$(dirname "$(dirname "$(command -v swiftc)")")/lib/swift/embedded/$triple"
    echo "$dir"
}
