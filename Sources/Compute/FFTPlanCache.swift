import CFFTW
import Foundation

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
