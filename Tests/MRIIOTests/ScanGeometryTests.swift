import Foundation
import Compute
@testable import MRIIO
import Testing
import TestSupport

/// Where slices lie: the twix scan headers' slice data against twixtools, NIfTI's quaternion
/// against the matrix it stands for.
@Suite struct ScanGeometryTests {
    /// Centre, rotation columns (phase, readout, slice), fields of view and thickness of every
    /// shipped twix file (VB and VD layouts) as twixtools reads its first image scan and
    /// protocol.
    @Test(arguments: TwixReaderTests.files)
    func twixGeometryEqualsTwixtools(file: String) throws {
        let path = try testData("twix/" + file)
        let geometry = try #require(try KSpaceFiles.openReader(path).geometry())
        let py = try runPython("""
            import twixtools
            from twixtools.geometry import quat_to_rotmat
            t = twixtools.read_twix('\(path)', verbose=False)[-1]
            m = [m for m in t['mdb'] if m.is_image_scan()][0]
            p = m.mdh.SliceData.SlicePos
            r = quat_to_rotmat(*m.mdh.SliceData.Quaternion)
            s = t['hdr']['MeasYaps']['sSliceArray']['asSlice'][0]
            values = [p.Sag, p.Cor, p.Tra] + [r[i][j] for j in range(3) for i in range(3)] + [s['dReadoutFOV'], s['dPhaseFOV'], s['dThickness']]
            print(' '.join(repr(float(v)) for v in values))
            """)
        let last = py.stdout.split(whereSeparator: \.isNewline).last ?? ""  // twixtools may print warnings first
        let v = last.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(py.status == 0 && v.count == 15, "twixtools: \(py.stderr)")
        let s = geometry.slices[0]
        let ours = [s.centre.x, s.centre.y, s.centre.z, s.phase.x, s.phase.y, s.phase.z, s.read.x, s.read.y, s.read.z,
                    s.normal.x, s.normal.y, s.normal.z, geometry.readoutFOV, geometry.phaseFOV, geometry.sliceThickness]
        for (a, b) in zip(ours, v) { #expect(abs(a - b) < 1e-5, "\(file): \(ours) vs twixtools \(v)") }
        #expect(geometry.readoutOversampling == (file.contains("oversampled") ? 2 : 1))
    }

    /// The protocol's fields of view: the phase one widened by the phase oversampling, the
    /// readout oversampling where the readout divides by it.
    @Test func twixFieldOfViewFollowsTheProtocol() throws {
        func protocolText(_ extra: String) -> TwixProtocol {
            TwixProtocol(buffers: ["MeasYaps": """
                ### ASCCONV BEGIN ###
                sSliceArray.asSlice[0].dReadoutFOV = 220
                sSliceArray.asSlice[0].dPhaseFOV = 165
                sSliceArray.asSlice[0].dThickness = 3
                \(extra)
                ### ASCCONV END ###
                """, "Dicom": "<ParamDouble.\"flReadoutOSFactor\">  { <Precision> 6  2.000000  }"])
        }
        let plain = try #require(TwixVolumeReader.fieldOfView(protocolText(""), samples: 512))
        #expect(plain.readout == 220 && plain.phase == 165 && plain.thickness == 3 && plain.oversampling == 2)
        let wider = try #require(TwixVolumeReader.fieldOfView(protocolText("sKSpace.dPhaseOversamplingForDialog = 0.2"), samples: 512))
        #expect(abs(wider.phase - 198) < 1e-9)
        #expect(TwixVolumeReader.fieldOfView(protocolText(""), samples: 511)?.oversampling == 1)
        #expect(TwixVolumeReader.fieldOfView(TwixProtocol(buffers: [:]), samples: 512) == nil)
    }

    /// The readout is completed only for a real asymmetric echo: the echo early or late by
    /// more than 1/16 of the readout; a centre one sample off, or not recorded, keeps it.
    @Test func asymmetricEchoPlacement() {
        let early = ReadoutPlacement(centres: [60, 60, 100], samples: 200)
        #expect(early.nx == 280 && early.shift == 80 && early.acquired(samples: 200) == 80..<280)  // echo at 60 → 140 of 280
        let late = ReadoutPlacement(centres: [150], samples: 200)
        #expect(late.nx == 300 && late.shift == 0)
        for centre in [0, 99, 101, 110] {
            let kept = ReadoutPlacement(centres: [centre], samples: 200)
            #expect(kept.nx == 200 && kept.acquired(samples: 200) == nil, "\(centre)")
        }
    }

    /// NIfTI's (b, c, d, qfac) of rotations of both handedness, turned back into a matrix by
    /// the standard's formula, give the matrix.
    @Test func niftiQuaternionRepresentsTheMatrix() {
        var rng = SeededGenerator(seed: 9)
        for trial in 0..<200 {
            var u: [SIMD3<Double>]
            if trial < 4 {
                // Half turns (a = 0), where the quaternion comes from the diagonal's other terms.
                u = [SIMD3(1, 0, 0), SIMD3(0, -1, 0), SIMD3(0, 0, -1)]
                if trial >= 2 { u = [SIMD3(-1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, -1)] }
            } else {
                // A random rotation by Gram–Schmidt.
                let a = unit(SIMD3(rng.normal(), rng.normal(), rng.normal()))
                let raw = SIMD3(rng.normal(), rng.normal(), rng.normal())
                let b = unit(raw - dot(raw, a) * a)
                u = [a, b, cross(a, b)]
            }
            if trial % 2 == 1 { u[2] = -u[2] }  // left-handed
            let (q, qfac) = NiftiFile.quaternion(u)
            let m = Self.matrix(b: q.x, c: q.y, d: q.z, qfac: qfac)
            for i in 0..<3 { #expect(dot(m[i] - u[i], m[i] - u[i]) < 1e-12, "trial \(trial) column \(i): \(m[i]) vs \(u[i])") }
        }
    }

    /// The NIfTI-1 standard's rotation matrix (as columns) of a quaternion and qfac.
    static func matrix(b: Double, c: Double, d: Double, qfac: Double) -> [SIMD3<Double>] {
        let a = max(0, 1 - b * b - c * c - d * d).squareRoot()
        let r11 = a * a + b * b - c * c - d * d, r12 = 2 * (b * c - a * d), r13 = 2 * (b * d + a * c)
        let r21 = 2 * (b * c + a * d), r22 = a * a + c * c - b * b - d * d, r23 = 2 * (c * d - a * b)
        let r31 = 2 * (b * d - a * c), r32 = 2 * (c * d + a * b), r33 = a * a + d * d - c * c - b * b
        return [SIMD3(r11, r21, r31), SIMD3(r12, r22, r32), SIMD3(r13 * qfac, r23 * qfac, r33 * qfac)]
    }
}

private func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
private func unit(_ a: SIMD3<Double>) -> SIMD3<Double> { a / dot(a, a).squareRoot() }
private func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
