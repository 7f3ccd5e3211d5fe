import Foundation

/// Where a file's slices lie in the scanner, for images with their geometry.
///
/// Coordinates are the patient coordinate system of DICOM and ISMRMRD: millimetres, x towards
/// the patient's left, y posterior, z head (LPS; Siemens' Sag, Cor, Tra). A slice's image
/// `[ny, nx]` (inverse centred FFT of its k-space, readout oversampling removed) has
/// pixel `(y, x)` at `centre + (x − nx/2)·Δx·read + (y − ny/2)·Δy·phase`: readout along
/// the image's columns, phase encoding along its rows, as ISMRMRD and Gadgetron place them.
public struct ScanGeometry: Sendable, Equatable {
    /// One slice's placement.
    public struct Slice: Sendable, Equatable {
        /// The slice centre (mm, LPS).
        public var centre: SIMD3<Double>
        /// Unit vectors of the readout, phase-encoding and slice directions (LPS).
        public var read: SIMD3<Double>, phase: SIMD3<Double>, normal: SIMD3<Double>

        public init(centre: SIMD3<Double>, read: SIMD3<Double>, phase: SIMD3<Double>, normal: SIMD3<Double>) {
            self.centre = centre
            self.read = read
            self.phase = phase
            self.normal = normal
        }
    }

    /// Field of view (mm) of the image along the readout (without oversampling) and the
    /// phase encoding.
    public var readoutFOV: Double, phaseFOV: Double
    /// Slice thickness (mm).
    public var sliceThickness: Double
    /// How many times the recorded readout spans ``readoutFOV`` (2 for Siemens' usual
    /// oversampling): the image keeps the central `nx / readoutOversampling` columns.
    public var readoutOversampling: Int
    /// The placement of each of the file's slices (by slice index of its reader).
    public var slices: [Slice]

    public init(readoutFOV: Double, phaseFOV: Double, sliceThickness: Double, readoutOversampling: Int, slices: [Slice]) {
        self.readoutFOV = readoutFOV
        self.phaseFOV = phaseFOV
        self.sliceThickness = sliceThickness
        self.readoutOversampling = readoutOversampling
        self.slices = slices
    }

    /// The rotation a Siemens or ISMRMRD quaternion `(w, x, y, z)` stands for, as its
    /// columns: in Siemens' convention the columns are the phase, readout and slice
    /// directions (ISMRMRD's conversion of Siemens raw data reads them so).
    public static func rotationColumns(w: Double, x: Double, y: Double, z: Double) -> [SIMD3<Double>] {
        [SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y + z * w), 2 * (x * z - y * w)),
         SIMD3(2 * (x * y - z * w), 1 - 2 * (x * x + z * z), 2 * (y * z + x * w)),
         SIMD3(2 * (x * z + y * w), 2 * (y * z - x * w), 1 - 2 * (x * x + y * y))]
    }
}
