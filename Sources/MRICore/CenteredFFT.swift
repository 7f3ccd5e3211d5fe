import CFFTW
import Foundation
import Numerics

/// Centred, orthonormal 2-D Fourier transforms between coil images and k-space:
/// `k = fftshift(fft2(ifftshift(x))) / sqrt(ny·nx)` and its exact inverse.
///
/// FFTW plans are created once per size and cached (FFTW's planner is not
/// thread-safe; execution is). Coils are transformed in parallel.
public enum CenteredFFT {
    /// Coil images of a k-space: `fftshift(ifft2(ifftshift(k)))` per coil, orthonormal.
    public static func image(from k: KSpace) -> CoilImages {
        CoilImages(coils: k.coils, ny: k.ny, nx: k.nx,
                   data: transform(k.data, coils: k.coils, ny: k.ny, nx: k.nx, forward: false))
    }

    /// k-space of coil images: `fftshift∘fft2∘ifftshift` per coil, orthonormal.
    public static func kspace(from images: CoilImages) -> KSpace {
        // Shapes come from a valid CoilImages, so this cannot fail.
        try! KSpace(coils: images.coils, ny: images.ny, nx: images.nx,
                    data: transform(images.data, coils: images.coils, ny: images.ny, nx: images.nx, forward: true))
    }

    /// Root-sum-of-squares image of a k-space.
    public static func rssImage(of k: KSpace) -> RealImage {
        image(from: k).rootSumOfSquares()
    }

    static func transform(_ input: [Complex<Float>], coils: Int, ny: Int, nx: Int, forward: Bool) -> [Complex<Float>] {
        let n = ny * nx
        // Pad each coil's slot to a multiple of 2 complex values (16 bytes) so that every
        // slot has the alignment the cached plan was made for.
        let slot = (n + 1) & ~1
        let plan = FFTPlanCache.shared.plan2D(ny: ny, nx: nx, forward: forward)
        let work = UnsafeSendable(fftwf_alloc_complex(slot * coils)!)
        defer { fftwf_free(work.value) }
        var output = [Complex<Float>](repeating: .zero, count: coils * n)
        let scale = 1 / Float(n).squareRoot()
        // Into the FFT, undo the centring of the source domain; out of it, centre the result.
        // fftshift: out[i] = in[(i − n/2) mod n]; ifftshift: out[i] = in[(i + n/2) mod n].
        // Both directions are fftshift(F(ifftshift(·))), as numpy writes them; for odd
        // sizes this pair is still an exact inverse of itself.
        let inY = ny / 2, inX = nx / 2
        let outY = ny - inY, outX = nx - inX
        input.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                let s = UnsafeSendable(src.baseAddress!), d = UnsafeSendable(dst.baseAddress!)
                Parallel.forEach(coils) { c in
                    let buf = UnsafeMutableRawPointer(work.value + c * slot)
                        .assumingMemoryBound(to: Complex<Float>.self)
                    shiftCopy(from: s.value + c * n, to: buf, ny: ny, nx: nx, dy: inY, dx: inX, scale: 1)
                    let p = UnsafeMutableRawPointer(buf).assumingMemoryBound(to: fftwf_complex.self)
                    fftwf_execute_dft(plan.value, p, p)
                    shiftCopy(from: buf, to: d.value + c * n, ny: ny, nx: nx, dy: outY, dx: outX, scale: scale)
                }
            }
        }
        return output
    }

    /// `dst[y, x] = scale · src[(y + dy) mod ny, (x + dx) mod nx]`.
    private static func shiftCopy(from src: UnsafePointer<Complex<Float>>, to dst: UnsafeMutablePointer<Complex<Float>>,
                                  ny: Int, nx: Int, dy: Int, dx: Int, scale: Float) {
        for y in 0..<ny {
            let sy = (y + dy) % ny
            let srow = src + sy * nx, drow = dst + y * nx
            let head = nx - dx
            if scale == 1 {
                (drow).update(from: srow + dx, count: head)
                (drow + head).update(from: srow, count: dx)
            } else {
                for x in 0..<head { drow[x] = Complex(srow[x + dx].real * scale, srow[x + dx].imaginary * scale) }
                for x in 0..<dx { drow[head + x] = Complex(srow[x].real * scale, srow[x].imaginary * scale) }
            }
        }
    }
}

/// Process-wide cache of FFTW plans. Planning is serialised by a lock.
package final class FFTPlanCache: @unchecked Sendable {
    package static let shared = FFTPlanCache()

    private struct Key: Hashable {
        let dims: [Int32]
        let howMany: Int32
        let inStride: Int32, inDistance: Int32
        let outStride: Int32, outDistance: Int32
        let inPlace: Bool
        let forward: Bool
    }

    private let lock = NSLock()
    private var plans: [Key: UnsafeSendable<fftwf_plan>] = [:]

    /// An in-place 2-D plan for one `ny × nx` array aligned like `fftwf_malloc`'s.
    package func plan2D(ny: Int, nx: Int, forward: Bool) -> UnsafeSendable<fftwf_plan> {
        plan(Key(dims: [Int32(ny), Int32(nx)], howMany: 1, inStride: 1, inDistance: Int32(ny * nx),
                 outStride: 1, outDistance: Int32(ny * nx), inPlace: true, forward: forward))
    }

    /// An in-place plan of `howMany` 1-D transforms of length `n`, element stride
    /// `stride` and distance `distance` between transforms.
    package func plan1D(n: Int, howMany: Int, stride: Int, distance: Int, forward: Bool) -> UnsafeSendable<fftwf_plan> {
        plan(Key(dims: [Int32(n)], howMany: Int32(howMany), inStride: Int32(stride), inDistance: Int32(distance),
                 outStride: Int32(stride), outDistance: Int32(distance), inPlace: true, forward: forward))
    }

    private func plan(_ key: Key) -> UnsafeSendable<fftwf_plan> {
        lock.lock()
        defer { lock.unlock() }
        if let p = plans[key] { return p }
        let n = Int(key.dims.reduce(1, *))
        let inExtent = (n - 1) * Int(key.inStride) + Int(key.howMany - 1) * Int(key.inDistance) + 1
        let outExtent = (n - 1) * Int(key.outStride) + Int(key.howMany - 1) * Int(key.outDistance) + 1
        let input = fftwf_alloc_complex(max(inExtent, outExtent))!
        let output = key.inPlace ? input : fftwf_alloc_complex(outExtent)!
        defer {
            fftwf_free(input)
            if !key.inPlace { fftwf_free(output) }
        }
        var dims = key.dims
        // FFTW_ESTIMATE: a one-shot CLI cannot afford MEASURE's planning time.
        let flags = UInt32(FFTW_ESTIMATE) | (key.inPlace ? 0 : UInt32(FFTW_UNALIGNED))
        let p = fftwf_plan_many_dft(Int32(dims.count), &dims, key.howMany,
                                    input, nil, key.inStride, key.inDistance,
                                    output, nil, key.outStride, key.outDistance,
                                    key.forward ? FFTW_FORWARD : FFTW_BACKWARD, flags)!
        let boxed = UnsafeSendable(p)
        plans[key] = boxed
        return boxed
    }
}
