import Foundation
import MRICore
import Numerics
import Testing
import TestSupport

/// The centred orthonormal DFT written out directly, in Double:
/// `X[u, v] = Σ x[y, x] · e^{∓2πi ((u−cu)(y−cy)/ny + (v−cv)(x−cx)/nx)} / sqrt(ny·nx)`
/// with centres `cy = ny/2`, `cx = nx/2` (numpy's fftshift/ifftshift convention).
func directCentredDFT(_ input: [Complex<Float>], ny: Int, nx: Int, forward: Bool) -> [Complex<Double>] {
    let sign = forward ? -1.0 : 1.0
    var out = [Complex<Double>](repeating: .zero, count: ny * nx)
    for u in 0..<ny {
        for v in 0..<nx {
            var acc = Complex<Double>.zero
            for y in 0..<ny {
                for x in 0..<nx {
                    let phase = sign * 2 * Double.pi * (Double((u - ny / 2) * (y - ny / 2)) / Double(ny)
                                                        + Double((v - nx / 2) * (x - nx / 2)) / Double(nx))
                    let z = input[y * nx + x]
                    acc += Complex(Double(z.real), Double(z.imaginary)) * Complex(cos(phase), sin(phase))
                }
            }
            out[u * nx + v] = acc / Complex(Double(ny * nx).squareRoot(), 0)
        }
    }
    return out
}

@Suite struct CenteredFFTTests {
    /// Every coil of `fast` against the direct DFT of the same coil of `input`.
    func expectMatchesDirectDFT(_ fast: [Complex<Float>], of input: [Complex<Float>], coils: Int, ny: Int, nx: Int,
                                forward: Bool) {
        for c in 0..<coils {
            let slice = Array(input[(c * ny * nx)..<((c + 1) * ny * nx)])
            let direct = directCentredDFT(slice, ny: ny, nx: nx, forward: forward)
            for i in 0..<(ny * nx) {
                let f = fast[c * ny * nx + i]
                let err = (Complex(Double(f.real), Double(f.imaginary)) - direct[i]).length
                #expect(err < 1e-5, "coil \(c) index \(i): \(f) vs \(direct[i])")
            }
        }
    }

    @Test(arguments: [(8, 8), (6, 10), (5, 7), (9, 4), (1, 6)])
    func forwardMatchesDirectDFT(ny: Int, nx: Int) {
        let k = randomKSpace(coils: 3, ny: ny, nx: nx, seed: UInt64(ny * 100 + nx))
        let images = CoilImages(coils: 3, ny: ny, nx: nx, data: k.data)
        expectMatchesDirectDFT(CenteredFFT.kspace(from: images).data, of: images.data, coils: 3, ny: ny, nx: nx, forward: true)
    }

    @Test(arguments: [(8, 8), (7, 5), (6, 9)])
    func inverseMatchesDirectDFT(ny: Int, nx: Int) {
        let k = randomKSpace(coils: 2, ny: ny, nx: nx, seed: 7)
        expectMatchesDirectDFT(CenteredFFT.image(from: k).data, of: k.data, coils: 2, ny: ny, nx: nx, forward: false)
    }

    @Test func roundTripAndParseval() {
        let k = randomKSpace(coils: 4, ny: 33, nx: 40, seed: 11)
        let images = CenteredFFT.image(from: k)
        let back = CenteredFFT.kspace(from: images)
        #expect(maxAbsDifference(back.data, k.data) < 1e-4)
        let ek = k.data.reduce(0.0) { $0 + Double($1.lengthSquared) }
        let ei = images.data.reduce(0.0) { $0 + Double($1.lengthSquared) }
        #expect(abs(ek - ei) / ek < 1e-5)
    }

    @Test func pointAtCentreIsFlat() {
        // A unit sample at the k-space centre is a constant image of value 1/sqrt(N).
        var k = KSpace(zerosCoils: 1, ny: 12, nx: 10)
        k[0, 6, 5] = Complex(1, 0)
        let image = CenteredFFT.image(from: k)
        let expected = Float(1 / (120.0).squareRoot())
        for z in image.data {
            #expect(abs(z.real - expected) < 1e-6 && abs(z.imaginary) < 1e-6)
        }
    }
}
