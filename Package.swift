// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "MetaGRAPPA",
    products: [
        .library(name: "Compute", targets: ["Compute"]),
        .library(name: "MRICore", targets: ["MRICore"]),
        .library(name: "MRIIO", targets: ["MRIIO"]),
        .library(name: "GRAPPA", targets: ["GRAPPA"]),
        .library(name: "NeuralNetwork", targets: ["NeuralNetwork"]),
        .library(name: "LatticeCNN", targets: ["LatticeCNN"]),
        .library(name: "RAKI", targets: ["RAKI"]),
        .library(name: "MetaLearner", targets: ["MetaLearner"]),
        .library(name: "MetaTraining", targets: ["MetaTraining"]),
        .library(name: "Reconstruction", targets: ["Reconstruction"]),
        .executable(name: "metagrappa", targets: ["metagrappa"]),
        // The C ABI (metagrappa.h), loaded by the Python package.
        .library(name: "MetaGrappaC", type: .dynamic, targets: ["MetaGrappaC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Private C shims over Debian's system libraries.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CHDF5", providers: [.apt(["libhdf5-dev"])]),  // loaded at run time (shim.h)
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc"),

        // Numerics with no MRI in them: threads, BLAS/LAPACK wrappers, FFT plans, seeded
        // random numbers.
        .target(name: "Compute", dependencies: [
            "CBLAS", "CFFTW", "CMalloc",
            .product(name: "Numerics", package: "swift-numerics"),
        ]),
        // The MRI domain: k-space, sampling masks and the checked acquisition, centred FFTs,
        // coil combination and compression, metrics, phantom simulation.
        .target(name: "MRICore", dependencies: [
            "Compute", "CFFTW",
            .product(name: "Numerics", package: "swift-numerics"),
        ]),
        // File formats: .npy, BART .cfl, fastMRI and ISMRMRD HDF5 k-space; PNG out.
        .target(name: "MRIIO", dependencies: [
            "MRICore", "CZlib", "CHDF5",
            .product(name: "Numerics", package: "swift-numerics"),
        ]),
        // GRAPPA calibration and application.
        .target(name: "GRAPPA", dependencies: [
            "Compute", "MRICore", "CFFTW",
            .product(name: "Numerics", package: "swift-numerics"),
        ]),
        // A small neural-network core: shift-GEMM convolutions with hand-written backward
        // passes, activations, MSE, Adam; parameters as one flat vector.
        .target(name: "NeuralNetwork", dependencies: ["Compute"]),
        // k-space lattice lines as CNN feature maps: the data layout RAKI and Meta-GRAPPA's
        // learner share (ACS training pairs, whole-k-space input, filling the missing lines).
        .target(name: "LatticeCNN", dependencies: [
            "Compute", "MRICore", "NeuralNetwork",
            .product(name: "Numerics", package: "swift-numerics"),
        ]),
        // RAKI: a CNN trained per scan on its ACS.
        .target(name: "RAKI", dependencies: [
            "Compute", "MRICore", "NeuralNetwork", "LatticeCNN", "GRAPPA",
            .product(name: "Numerics", package: "swift-numerics"),
        ]),
        // Meta-GRAPPA: the learner CNN, the coordinate-wise LSTM meta-learner, one meta-training
        // step, models and their coil-array profiles, and the simulated brain tasks.
        .target(name: "MetaLearner", dependencies: [
            "Compute", "MRICore", "NeuralNetwork", "LatticeCNN", "GRAPPA",
            .product(name: "Numerics", package: "swift-numerics"),
        ]),
        // Meta-training runs: task streams (simulated or the user's scans), validation,
        // schedule, checkpoints, early stopping, the coil-array profile.
        .target(name: "MetaTraining", dependencies: [
            "Compute", "MRICore", "MRIIO", "GRAPPA", "MetaLearner",
        ]),
        // Reconstruction as one library call: the method reconstructors over a checked
        // acquisition, coil compression around any of them, the slice pipeline over volume
        // files, evaluation against a fully sampled reference. Every front end calls this.
        .target(name: "Reconstruction", dependencies: [
            "Compute", "MRICore", "MRIIO", "GRAPPA", "RAKI", "MetaLearner",
        ]),
        // The command-line tool: one ArgumentParser type per subcommand, mapping flags onto
        // library values.
        .executableTarget(name: "metagrappa", dependencies: [
            "Compute", "MRICore", "MRIIO", "GRAPPA", "RAKI", "MetaLearner", "MetaTraining", "Reconstruction",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The C ABI over the library: @_cdecl entry points mapping pointers, shapes and JSON
        // options onto library values (the Python package's native half).
        .target(name: "MetaGrappaC", dependencies: [
            "Compute", "MRICore", "MRIIO", "GRAPPA", "RAKI", "MetaLearner", "Reconstruction",
        ], exclude: ["metagrappa.h"]),

        // Helpers shared by the test targets (temporary files, processes, shared data).
        .target(name: "TestSupport", dependencies: ["MRICore",
                                                    .product(name: "Numerics", package: "swift-numerics")],
                path: "Tests/TestSupport"),
        // Stage timings of GRAPPA in release builds (see BENCHMARKS.md).
        .executableTarget(name: "grappa-bench", dependencies: ["Compute", "MRICore", "MRIIO", "GRAPPA"],
                          path: "Benchmarks/GrappaBench"),

        // GRAPPA's automatic support and λ against the default and the oracle (see BENCHMARKS.md).
        .executableTarget(name: "grappa-auto-bench", dependencies: ["Compute", "MRICore", "MRIIO", "GRAPPA", "MetaLearner"],
                          path: "Benchmarks/GrappaAuto"),

        .executableTarget(name: "prior-probe", dependencies: ["Compute", "MRICore", "MRIIO", "GRAPPA", "MetaLearner", "MetaTraining"],
                          path: "Benchmarks/PriorProbe"),

        // RAKI variants the CLI does not expose (see BENCHMARKS.md).
        .executableTarget(name: "raki-probe", dependencies: ["Compute", "MRICore", "MRIIO", "GRAPPA", "RAKI"],
                          path: "Benchmarks/RakiProbe"),

        // Residual RAKI against GRAPPA and plain RAKI on simulated scans (see BENCHMARKS.md).
        .executableTarget(name: "raki-residual-bench", dependencies: ["Compute", "MRICore", "MRIIO", "GRAPPA", "RAKI", "MetaLearner"],
                          path: "Benchmarks/RakiResidual"),

        // The paper's comparison on reserved slices (see BENCHMARKS.md).
        .executableTarget(name: "meta-bench", dependencies: ["Compute", "MRICore", "MRIIO", "GRAPPA", "RAKI", "MetaLearner", "MetaTraining"],
                          path: "Benchmarks/MetaBench"),

        // libFuzzer entry point for the readers (built only with -sanitize=fuzzer; RELIABILITY.md).
        .executableTarget(name: "reader-fuzz", dependencies: ["MRICore", "MRIIO", "GRAPPA", "MetaLearner"],
                          path: "Fuzz/ReaderFuzz"),

        .testTarget(name: "MRICoreTests", dependencies: ["MRICore", "TestSupport"]),
        .testTarget(name: "MRIIOTests", dependencies: ["MRIIO", "MRICore", "TestSupport"]),
        .testTarget(name: "GRAPPATests", dependencies: ["GRAPPA", "MRICore", "MRIIO", "TestSupport",
                                                             .product(name: "Numerics", package: "swift-numerics")]),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork", "MRICore", "TestSupport"]),
        .testTarget(name: "RAKITests", dependencies: ["RAKI", "GRAPPA", "MRICore", "MRIIO", "TestSupport",
                                                             .product(name: "Numerics", package: "swift-numerics")]),
        .testTarget(name: "MetaLearnerTests", dependencies: ["MetaLearner", "GRAPPA", "RAKI", "NeuralNetwork", "MRICore",
                                                             "MRIIO", "TestSupport",
                                                             .product(name: "Numerics", package: "swift-numerics")]),
        .testTarget(name: "ReconstructionTests", dependencies: ["Reconstruction", "GRAPPA", "RAKI", "MRICore", "MRIIO", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["metagrappa", "GRAPPA", "RAKI", "MetaLearner", "MRIIO", "MRICore", "Reconstruction",
                                                     "TestSupport"]),
    ]
)
