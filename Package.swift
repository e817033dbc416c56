// swift-tools-version:6.0
// Pith: train a teacher, distil a student, quantize, pack, run. See README.md and docs/architecture.md.
import PackageDescription

let package = Package(
    name: "Pith",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pith", targets: ["pith"]),
        .executable(name: "pith-run", targets: ["pith-run"]),
        .library(name: "PithTensor", targets: ["PithTensor"]),
        .library(name: "PithNN", targets: ["PithNN"]),
        .library(name: "PithIO", targets: ["PithIO"]),
        .library(name: "PithFormat", targets: ["PithFormat"]),
        .library(name: "PithQuant", targets: ["PithQuant"]),
        .library(name: "PithDistill", targets: ["PithDistill"]),
        .library(name: "PithONNX", targets: ["PithONNX"]),
        .library(name: "PithRuntime", targets: ["PithRuntime"]),
        .library(name: "PithC", targets: ["PithC"]),
        .library(name: "PithPipeline", targets: ["PithPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System-library shims: a module map and one header each.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CPosix", path: "Sources/CPosix"),
        // C kernels: a portable reference and instruction-set twins chosen at run time
        // (docs/kernels.md). What ships with the runtime, and what only training needs.
        .target(name: "CPithRuntimeKernels", path: "Sources/CPithRuntimeKernels", linkerSettings: [.linkedLibrary("m")]),
        .target(name: "CPithTrainKernels", dependencies: ["CPithRuntimeKernels"], path: "Sources/CPithTrainKernels",
                linkerSettings: [.linkedLibrary("m")]),
        // The UCI digits data set (CC BY 4.0), embedded as gzip bytes.
        .target(name: "CDigits", path: "Sources/CDigits"),

        // Readers and writers of IDX, NPY/NPZ and CSV data, shared by the toolchain and pith-run:
        // Foundation-free, Embedded Swift subset (CPosix for bounded file reads).
        .target(name: "PithIO", dependencies: ["CPosix"]),
        // The .pith format (docs/FORMAT.md): Foundation-free, Embedded Swift subset.
        .target(name: "PithFormat", dependencies: ["CZstd", "CPosix"]),
        // The runtime: loads a .pith file and runs it. Foundation-free, Embedded Swift subset.
        .target(name: "PithRuntime", dependencies: ["PithFormat", "CPithRuntimeKernels"]),
        .target(name: "PithTensor", dependencies: ["COpenBLAS", "CMalloc", "CPithTrainKernels", "CPithRuntimeKernels"]),
        .target(name: "PithNN", dependencies: ["PithTensor", "PithFormat", "PithIO", "CZlib", "CDigits"]),
        // Quantization and export to the .pith graph (toolchain side).
        .target(name: "PithQuant", dependencies: ["PithNN", "PithTensor", "PithFormat"]),
        .target(name: "PithDistill", dependencies: ["PithNN", "PithTensor"]),
        // ONNX import (toolchain side): a bounded protobuf reader and the lowering of ONNX
        // graphs to Pith's layers.
        .target(name: "PithONNX", dependencies: ["PithNN", "PithTensor", "PithIO", "PithFormat"]),
        // Recipes, the manifest, the stages as typed functions, the report.
        .target(name: "PithPipeline", dependencies: ["CPosix", "PithIO", "PithNN", "PithTensor", "PithFormat", "PithQuant", "PithRuntime", "PithDistill", "PithONNX"]),
        // The command-line tool: thin adapters over the libraries.
        .executableTarget(name: "pith", dependencies: [
            "PithPipeline", "PithIO", "PithNN", "PithTensor", "PithQuant", "PithONNX", "PithFormat",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // The C API: include/pith.h (CPithAPI) implemented in Swift (PithC), and a C program using it.
        .target(name: "CPithAPI", path: "Sources/CPithAPI"),
        .target(name: "PithC", dependencies: ["PithRuntime", "PithFormat", "CPithAPI"]),
        .executableTarget(name: "pith-c-example", dependencies: ["CPithAPI", "PithC"], path: "Examples/c-api"),
        // The standalone runner: PithRuntime and PithIO.
        .executableTarget(name: "pith-run", dependencies: ["PithRuntime", "PithFormat", "PithIO", "CPosix"]),

        .testTarget(name: "PithIOTests", dependencies: ["PithIO"]),
        .testTarget(name: "PithFormatTests", dependencies: ["PithFormat", "CZstd"]),
        .testTarget(name: "PithTensorTests", dependencies: ["PithTensor", "CPithTrainKernels", "CPithRuntimeKernels"]),
        .testTarget(name: "PithNNTests", dependencies: ["PithNN", "PithTensor", "PithIO", "CMalloc"]),
        .testTarget(name: "KernelTests", dependencies: ["CPithRuntimeKernels"]),
        .testTarget(name: "PithRuntimeTests", dependencies: ["PithRuntime", "PithQuant", "PithNN", "PithFormat", "PithTensor", "CPithRuntimeKernels"]),
        .testTarget(name: "PithQuantTests", dependencies: ["PithQuant", "PithFormat", "PithNN", "PithRuntime", "PithTensor", "CPithRuntimeKernels"]),
        .testTarget(name: "PithDistillTests", dependencies: ["PithDistill", "PithNN", "PithTensor"]),
        .testTarget(name: "PithONNXTests", dependencies: ["PithONNX", "PithNN", "PithTensor", "PithFormat"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PithCTests", dependencies: ["PithC", "CPithAPI", "PithQuant", "PithNN", "PithFormat"]),
        .testTarget(name: "PithPipelineTests", dependencies: ["PithPipeline", "PithNN"]),
        .testTarget(name: "PithCLITests", dependencies: ["pith", "pith-run", "pith-c-example", "PithNN", "PithFormat"]),
    ],
    swiftLanguageModes: [.v6]
)
