import Dispatch

/// Wall-clock stopwatch.
public struct Stopwatch: Sendable {
    private let start = DispatchTime.now().uptimeNanoseconds

    /// Starts now.
    public init() {}

    /// Seconds since the start.
    public var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}
