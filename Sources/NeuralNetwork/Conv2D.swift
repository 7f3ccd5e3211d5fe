import Compute

/// A 2-D convolution, stride 1, no padding ("valid"), dilated along the rows (ky), with
/// bias: `out[o, y, x] = b[o] + Σ_{c,i,j} W[o, i, j, c] · in[c, y + i·dilation, x + j]`.
///
/// Computed as one GEMM per kernel tap ("shift-GEMM"): tap `(i, j)` multiplies the
/// `out × in` weight block by the input shifted by `i·dilation` rows and `j` columns.
/// Outputs are computed over whole rows of the input's stride, so each shifted input is
/// an ordinary BLAS matrix (rows = channels, leading dimension = `height · width`); the
/// output columns past the valid width depend only on input columns past the valid
/// width, or wrap into the next row, and are never used. Weights are stored out-major,
/// `[out][i][j][in]`, then the `out` biases, all inside a caller-owned flat vector: so
/// tap `(i, j)` is an `out × in` matrix with leading dimension `taps · in`, and all taps
/// together are one `out × (taps · in)` matrix (see ``Columns``).
public struct Conv2D: Sendable, Equatable, Codable {
    /// Input channels.
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int
    /// Kernel rows (along ky).
    public let kernelHeight: Int
    /// Kernel columns (along kx).
    public let kernelWidth: Int
    /// Whether the layer adds a learned bias per output channel. (Without biases a ReLU
    /// network is positively homogeneous, f(αx) = α·f(x); for RAKI that measured worse.)
    public let hasBias: Bool

    /// Creates a layer description.
    public init(inChannels: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int, bias: Bool = true) {
        precondition(inChannels > 0 && outChannels > 0 && kernelHeight > 0 && kernelWidth > 0, "layer sizes must be positive")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        hasBias = bias
    }

    /// Number of weights and biases.
    public var parameterCount: Int { kernelHeight * kernelWidth * outChannels * inChannels + (hasBias ? outChannels : 0) }
    private var taps: Int { kernelHeight * kernelWidth }
    /// Leading dimension of the weight matrices (one row per output channel).
    private var rowLength: Int { taps * inChannels }
    private var biasOffset: Int { outChannels * rowLength }

    /// Sets every output row to its channel's bias (or leaves the zeros, without biases).
    private func fillBias(_ out: UnsafeMutablePointer<Float>, rowLength n: Int, parameters: UnsafePointer<Float>) {
        guard hasBias else { return }
        for c in 0..<outChannels { (out + c * n).update(repeating: parameters[biasOffset + c], count: n) }
    }

    /// Bias gradients: the output gradient summed over each channel (zero off the valid columns).
    private func biasGradient(_ dy: UnsafePointer<Float>, rowLength n: Int, gradient: UnsafeMutablePointer<Float>) {
        guard hasBias else { return }
        for c in 0..<outChannels {
            var s: Float = 0
            for i in 0..<n { s += dy[c * n + i] }
            gradient[biasOffset + c] = s
        }
    }

    /// Output rows for an input of `height` rows.
    public func outputHeight(_ height: Int, dilation: Int) -> Int { height - (kernelHeight - 1) * dilation }

    /// Forward pass, one GEMM per tap (for a single pass; training uses ``Columns``);
    /// `parameters` points at this layer's part of the flat vector.
    public func forward(_ input: FeatureMap, dilation: Int, parameters: UnsafePointer<Float>) -> FeatureMap {
        precondition(input.channels == inChannels, "layer expects \(inChannels) channels, got \(input.channels)")
        let h = outputHeight(input.height, dilation: dilation)
        precondition(h > 0 && input.validWidth >= kernelWidth, "input too small for the kernel")
        var out = FeatureMap(channels: outChannels, height: h, width: input.width,
                             validWidth: input.validWidth - kernelWidth + 1)
        let n = h * input.width, plane = input.height * input.width
        // The last kernelWidth − 1 columns are past the valid width in every row: leaving
        // them out keeps each shifted matrix inside its channel.
        let used = n - (kernelWidth - 1)
        out.data.withUnsafeMutableBufferPointer { o in
            fillBias(o.baseAddress!, rowLength: n, parameters: parameters)
            input.data.withUnsafeBufferPointer { x in
                for i in 0..<kernelHeight {
                    for j in 0..<kernelWidth {
                        RealLinearAlgebra.gemmSplittingColumns(
                            transA: false, transB: false, m: outChannels, n: used, k: inChannels,
                            a: parameters + (i * kernelWidth + j) * inChannels, lda: rowLength,
                            b: x.baseAddress! + i * dilation * input.width + j, ldb: plane,
                            beta: 1, c: o.baseAddress!, ldc: n)
                    }
                }
            }
        }
        return out
    }

    /// The gradient with respect to the input (`outputGradient` zero outside the valid
    /// columns): one GEMM for all taps, `dCols (taps·in × n) = Wᵀ · dY`, split over the
    /// output positions, then the taps' shifted rows added into the input's channels
    /// ("col2im", in a fixed order). (One GEMM per tap, as before, had only `in` rows per
    /// product, 8 for the learner's last layer, and ran far below the GEMM rate.)
    public func inputGradient(input: FeatureMap, outputGradient: FeatureMap, dilation: Int,
                              parameters: UnsafePointer<Float>) -> FeatureMap {
        let n = outputGradient.height * input.width, plane = input.height * input.width
        let used = n - (kernelWidth - 1)  // see forward(_:dilation:parameters:)
        var dx = FeatureMap(channels: inChannels, height: input.height, width: input.width, validWidth: input.validWidth)
        // A 1 × 1 kernel's unfolded gradient is the input gradient itself.
        if taps == 1 {
            dx.data.withUnsafeMutableBufferPointer { d in
                outputGradient.data.withUnsafeBufferPointer { dy in
                    RealLinearAlgebra.gemmSplittingColumns(transA: true, transB: false, m: inChannels, n: used,
                                                           k: outChannels, a: parameters, lda: rowLength,
                                                           b: dy.baseAddress!, ldb: n, beta: 0, c: d.baseAddress!, ldc: plane)
                }
            }
            return dx
        }
        var columns = [Float](repeating: 0, count: rowLength * used)
        columns.withUnsafeMutableBufferPointer { dc in
            outputGradient.data.withUnsafeBufferPointer { dy in
                RealLinearAlgebra.gemmSplittingColumns(transA: true, transB: false, m: rowLength, n: used, k: outChannels,
                                                       a: parameters, lda: rowLength, b: dy.baseAddress!, ldb: n,
                                                       beta: 0, c: dc.baseAddress!, ldc: used)
            }
        }
        dx.data.withUnsafeMutableBufferPointer { d in
            columns.withUnsafeBufferPointer { dc in
                let (dp, cp) = (UnsafeSendable(d.baseAddress!), UnsafeSendable(dc.baseAddress!))
                // Each worker owns whole input channels, so the shifted additions never race.
                Parallel.forEachChunk(inChannels) { channels in
                    for c in channels {
                        for i in 0..<kernelHeight {
                            for j in 0..<kernelWidth {
                                let source = cp.value + ((i * kernelWidth + j) * inChannels + c) * used
                                let target = dp.value + c * plane + i * dilation * input.width + j
                                for p in 0..<used { target[p] += source[p] }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// An input unfolded for this layer ("im2col"): row `(i·kernelWidth + j)·in + c`
    /// holds input channel `c` shifted by tap `(i, j)`, over the output positions. The
    /// forward pass and the weight gradient each become one GEMM with `K = taps · in`
    /// instead of one per tap, which writes the output once instead of once per tap; an
    /// input used many times (RAKI's ACS) is unfolded once.
    public struct Columns: Sendable {
        /// `taps · in` rows of `count` values.
        let data: [Float]
        /// Output positions per row (`height · width` minus the unused tail).
        let count: Int
        /// The output's geometry.
        let height: Int, width: Int, validWidth: Int
    }

    /// Unfolds `input` for this layer at the given dilation.
    public func columns(of input: FeatureMap, dilation: Int) -> Columns {
        precondition(input.channels == inChannels, "layer expects \(inChannels) channels, got \(input.channels)")
        let h = outputHeight(input.height, dilation: dilation)
        precondition(h > 0 && input.validWidth >= kernelWidth, "input too small for the kernel")
        let used = h * input.width - (kernelWidth - 1), plane = input.height * input.width
        let geometry = (h, input.width, input.validWidth - kernelWidth + 1)
        // A 1 × 1 kernel's unfolding is the input itself: share its buffer.
        if taps == 1 {
            return Columns(data: input.data, count: plane, height: geometry.0, width: geometry.1, validWidth: geometry.2)
        }
        // Every value is copied in below, so the buffer is not zeroed first.
        let data = [Float](unsafeUninitializedCapacity: rowLength * used) { d, initialised in
            input.data.withUnsafeBufferPointer { x in
                for i in 0..<kernelHeight {
                    for j in 0..<kernelWidth {
                        for c in 0..<inChannels {
                            let row = ((i * kernelWidth + j) * inChannels + c) * used
                            (d.baseAddress! + row).initialize(from: x.baseAddress! + c * plane + i * dilation * input.width + j,
                                                              count: used)
                        }
                    }
                }
            }
            initialised = rowLength * used
        }
        return Columns(data: data, count: used, height: geometry.0, width: geometry.1, validWidth: geometry.2)
    }

    /// Forward pass from an unfolded input: one GEMM.
    public func forward(_ columns: Columns, parameters: UnsafePointer<Float>) -> FeatureMap {
        var out = FeatureMap(channels: outChannels, height: columns.height, width: columns.width,
                             validWidth: columns.validWidth)
        let n = columns.height * columns.width
        out.data.withUnsafeMutableBufferPointer { o in
            fillBias(o.baseAddress!, rowLength: n, parameters: parameters)
            columns.data.withUnsafeBufferPointer { x in
                RealLinearAlgebra.gemmSplittingColumns(transA: false, transB: false, m: outChannels, n: columns.count,
                                                       k: rowLength, a: parameters, lda: rowLength, b: x.baseAddress!,
                                                       ldb: columns.count, beta: 1, c: o.baseAddress!, ldc: n)
            }
        }
        return out
    }

    /// Weight and bias gradients from an unfolded input: one GEMM (no input gradient).
    public func backward(_ columns: Columns, outputGradient: FeatureMap, gradient: UnsafeMutablePointer<Float>) {
        let n = columns.height * columns.width
        outputGradient.data.withUnsafeBufferPointer { dy in
            columns.data.withUnsafeBufferPointer { x in
                // dW (out × taps·in) = dY (out × n) · Xcolᵀ (n × taps·in)
                RealLinearAlgebra.gemmSplittingColumns(transA: false, transB: true, m: outChannels, n: rowLength,
                                                       k: columns.count, a: dy.baseAddress!, lda: n, b: x.baseAddress!,
                                                       ldb: columns.count, beta: 0, c: gradient, ldc: rowLength)
            }
            biasGradient(dy.baseAddress!, rowLength: n, gradient: gradient)
        }
    }
}
