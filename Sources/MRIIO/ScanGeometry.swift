import Foundation
import MRICore

/// Where a file's slices lie in the scanner, for images with their geometry.
///
/// Coordinates are the patient coordinate system of DICOM and ISMRMRD: millimetres, x towards
/// the patient's left, y posterior, z head (LPS; Siemens' Sag, Cor, Tra). A slice's image
/// `[ny, nx]` (inverse centred FFT of its k-space, readout oversampling removed) has
/// pixel `(y, x)` at `centre + (x − nx/2)·Δx·read + (y − ny/2)·Δy·phase`: readout along
/// the image's columns, phase encoding along its rows, as ISMRMRD and Gadgetron place them.
public struct ScanGeometry: Sendable, Equatable, Codable {
    /// One slice's placement.
    public struct Slice: Sendable, Equatable, Codable {
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

    enum CodingKeys: String, CodingKey {
        case readoutFOV = "readout_fov", phaseFOV = "phase_fov", sliceThickness = "slice_thickness"
        case readoutOversampling = "readout_oversampling", slices
    }

    public init(readoutFOV: Double, phaseFOV: Double, sliceThickness: Double, readoutOversampling: Int, slices: [Slice]) {
        self.readoutFOV = readoutFOV
        self.phaseFOV = phaseFOV
        self.sliceThickness = sliceThickness
        self.readoutOversampling = readoutOversampling
        self.slices = slices
    }

    /// As JSON (snake-case keys: `readout_fov`, `slices[i].centre`, …), for other languages.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// From ``json()``'s form; `source` names it in errors.
    public init(json: Data, source: String) throws {
        let decoder = JSONDecoder()
        do { self = try decoder.decode(Self.self, from: json) } catch {
            throw MRIError(.invalidArgument, "\(source): not a geometry (readout_fov, phase_fov, slice_thickness, readout_oversampling, slices of centre, read, phase, normal): \(error)")
        }
        guard readoutFOV > 0, phaseFOV > 0, sliceThickness > 0, readoutOversampling >= 1, !slices.isEmpty else {
            throw MRIError(.invalidArgument, "\(source): a geometry needs positive fields of view and thickness, an oversampling ≥ 1 and at least one slice")
        }
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
