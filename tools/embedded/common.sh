# Shared by tools/build-runner and tools/embedded-check; sourced from the repository root.

# kernels_modulemap DIR: DIR/module.modulemap, the C kernels' headers as the clang module
# CPithKernels (what SwiftPM makes of Sources/CPithKernels), for swiftc -I DIR.
kernels_modulemap() {
    mkdir -p "$1"
    cat > "$1/module.modulemap" <<MAP
module CPithKernels {
    umbrella header "$PWD/Sources/CPithKernels/include/CPithKernels.h"
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

# host_c_objects DIR [CLANG FLAGS...]: every C kernel for this machine (all instruction-set
# variants, chosen at run time; not the arm64 NEON one) and what Embedded Swift's stdlib asks
# of libc (tools/embedded/stdlib_support.c), compiled into DIR; prints the objects' paths.
host_c_objects() {
    local dir=$1 c o
    shift
    mkdir -p "$dir"
    for c in Sources/CPithKernels/*.c tools/embedded/stdlib_support.c; do
        case "$c" in *neon*) continue ;; esac
        o="$dir/$(basename "${c%.c}").o"
        clang "$@" -I Sources/CPithKernels/include -c "$c" -o "$o"
        echo "$o"
    done
}

# embedded_libdir: Embedded Swift's libraries for this machine (libswiftUnicodeDataTables.a).
embedded_libdir() {
    local triple dir
    triple="$(uname -m)-unknown-linux-gnu"
    dir=/opt/swift/usr/lib/swift/embedded/$triple
    [ -d "$dir" ] || dir="$(dirname "$(dirname "$(command -v swiftc)")")/lib/swift/embedded/$triple"
    echo "$dir"
}
