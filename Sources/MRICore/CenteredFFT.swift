import CFFTW
import Compute
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
    static func shiftCopy(from src: UnsafePointer<Complex<Float>>, to dst: UnsafeMutablePointer<Complex<Float>>,
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
