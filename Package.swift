// swift-tools-version: 6.1
import PackageDescription

// The product: the libraries, the `metagrappa` tool and the C ABI. Research executables,
// probes and benchmark scripts live in Lab/ (a package of its own that depends on this one),
// the libFuzzer harness in Fuzz/; `swift build` here builds neither.

/// Absolute paths handed to the assembler that links the shipped files into the binary.
let shippedFiles: [CSetting] = [
    .define("MODELS_DIR", to: "\"\(Context.packageDirectory)/Models\""),
    .define("DATA_DIR", to: "\"\(Context.packageDirectory)/Data\""),
]
let numerics = Target.Dependency.product(name: "Numerics", package: "swift-numerics")

let package = Package(
    name: "MetaGRAPPA",
    products: [
        .library(name: "Compute", targets: ["Compute"]),
        .library(name: "MRICore", targets: ["MRICore"]),
        .library(name: "MRIIO", targets: ["MRIIO"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        .library(name: "GRAPPA", targets: ["GRAPPA"]),
        .library(name: "CoilSensitivity", targets: ["CoilSensitivity"]),
        .library(name: "CompressedSensing", targets: ["CompressedSensing"]),
        .library(name: "NeuralNetwork", targets: ["NeuralNetwork"]),
        .library(name: "KSpaceLattice", targets: ["KSpaceLattice"]),
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
        // The shipped meta models and the Colin27 volume, linked in byte for byte.
        .target(name: "CShippedData", cSettings: shippedFiles),

        // Numerics with no MRI in them: threads, BLAS/LAPACK wrappers, FFT plans, seeded
        // random numbers.
        .target(name: "Compute", dependencies: ["CBLAS", "CFFTW", "CMalloc", numerics]),
        // The MRI domain: k-space, sampling masks and the checked acquisition, centred FFTs,
        // coil combination, compression and whitening, metrics.
        .target(name: "MRICore", dependencies: ["Compute", "CFFTW", numerics]),
        // File formats: .npy, BART .cfl, fastMRI and ISMRMRD HDF5, Siemens raw data; gzip.
        .target(name: "MRIIO", dependencies: ["MRICore", "CZlib", "CHDF5", numerics]),
        // Simulated scans: the Shepp–Logan phantom through loop-coil arrays, the paper's
        // 32-loop head array and how it sits on a head, brain tasks from the shipped Colin27
        // volume.
        .target(name: "Simulation", dependencies: ["Compute", "MRICore", "MRIIO", "CShippedData", numerics]),
        // Figures: PNG out, a bitmap font, the image/error comparison figure.
        .target(name: "Reporting", dependencies: ["MRICore", "MRIIO", "CZlib"]),
        // GRAPPA calibration, application, automatic support and λ, g-factor, kernel files.
        .target(name: "GRAPPA", dependencies: ["Compute", "MRICore", "CFFTW", numerics]),
        // Coil sensitivity maps from the calibration lines (ESPIRiT).
        .target(name: "CoilSensitivity", dependencies: ["Compute", "MRICore", numerics]),
        // SENSE with l1-wavelet sparsity: the encoding operator, the wavelet, the solver.
        .target(name: "CompressedSensing", dependencies: ["Compute", "MRICore", "CoilSensitivity", "CFFTW", numerics]),
        // A small neural-network core: shift-GEMM convolutions with hand-written backward
        // passes, activations, MSE, Adam; parameters as one flat vector.
        .target(name: "NeuralNetwork", dependencies: ["Compute"]),
        // k-space lattice lines as CNN feature maps: the data layout RAKI and Meta-GRAPPA's
        // learner share (ACS training pairs, whole-k-space input, filling the missing lines).
        .target(name: "KSpaceLattice", dependencies: ["Compute", "MRICore", "NeuralNetwork", numerics]),
        // RAKI: a CNN trained per scan on its ACS.
        .target(name: "RAKI", dependencies: ["Compute", "MRICore", "NeuralNetwork", "KSpaceLattice", numerics]),
        // Meta-GRAPPA: the learner CNN, the coordinate-wise LSTM meta-learner, one meta-training
        // step, models and their coil-array profiles, the shipped models.
        .target(name: "MetaLearner", dependencies: [
            "Compute", "MRICore", "NeuralNetwork", "KSpaceLattice", "GRAPPA", "CShippedData", numerics,
        ]),
        // Meta-training runs: task streams (simulated or the user's scans), validation,
        // schedule, checkpoints, early stopping, the coil-array profile.
        .target(name: "MetaTraining", dependencies: [
            "Compute", "MRICore", "MRIIO", "Simulation", "GRAPPA", "MetaLearner",
        ]),
        // Reconstruction as one library call: the method reconstructors over a checked
        // acquisition, coil compression around any of them, the slice pipeline over volume
        // files, evaluation against a fully sampled reference. Every front end calls this.
        .target(name: "Reconstruction", dependencies: [
            "Compute", "MRICore", "MRIIO", "Reporting", "GRAPPA", "RAKI", "MetaLearner", "CoilSensitivity", "CompressedSensing",
        ]),
        // The command-line tool: one ArgumentParser type per subcommand, mapping flags onto
        // library values.
        .executableTarget(name: "metagrappa", dependencies: [
            "Compute", "MRICore", "MRIIO", "Simulation", "Reporting", "GRAPPA", "RAKI", "MetaLearner",
            "MetaTraining", "Reconstruction", "CoilSensitivity",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The C ABI over the library: @_cdecl entry points mapping pointers, shapes and JSON
        // options onto library values (the Python package's native half).
        .target(name: "MetaGrappaC", dependencies: [
            "Compute", "MRICore", "MRIIO", "GRAPPA", "RAKI", "MetaLearner", "Reconstruction", "CoilSensitivity",
        ], exclude: ["metagrappa.h"]),

        // Helpers shared by the test targets (temporary files, processes, the repository's test data).
        .target(name: "TestSupport", dependencies: ["MRICore", "MRIIO", "Simulation", numerics],
                path: "Tests/TestSupport"),
        .testTarget(name: "MRICoreTests", dependencies: ["MRICore", "Simulation", "TestSupport"]),
        .testTarget(name: "MRIIOTests", dependencies: ["MRIIO", "MRICore", "Simulation", "TestSupport"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "MRICore", "TestSupport"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "MRICore", "TestSupport"]),
        .testTarget(name: "GRAPPATests", dependencies: ["GRAPPA", "MRICore", "MRIIO", "Simulation", "TestSupport", numerics]),
        .testTarget(name: "CoilSensitivityTests", dependencies: ["CoilSensitivity", "MRICore", "Simulation", "TestSupport", numerics]),
        .testTarget(name: "CompressedSensingTests", dependencies: ["CompressedSensing", "CoilSensitivity", "MRICore", "Simulation",
                                                                   "TestSupport", numerics]),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork", "MRICore", "TestSupport"]),
        .testTarget(name: "RAKITests", dependencies: ["RAKI", "GRAPPA", "MRICore", "MRIIO", "Simulation", "TestSupport", numerics]),
        .testTarget(name: "MetaLearnerTests", dependencies: ["MetaLearner", "GRAPPA", "RAKI", "NeuralNetwork", "MRICore",
                                                             "MRIIO", "Simulation", "TestSupport", numerics]),
        .testTarget(name: "ReconstructionTests", dependencies: ["Reconstruction", "GRAPPA", "RAKI", "MRICore", "MRIIO",
                                                                "Simulation", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["metagrappa", "GRAPPA", "RAKI", "MetaLearner", "MRIIO", "MRICore", "CompressedSensing",
                                                     "Reconstruction", "Simulation", "TestSupport"]),
    ]
)
