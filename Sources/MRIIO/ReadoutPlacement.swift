/// Where a readout's samples go: the recorded `samples` placed from `shift` in a readout of
/// `nx` whose centre `nx/2` is the echo. An asymmetric echo (partial Fourier in the readout:
/// the recorded k-space centre sample, the most common among the imaging readouts, more than
/// `samples/16` from `samples/2`) is completed to the symmetric readout it belongs to, the
/// never-acquired samples zero; a centre of 0 (not recorded) or near `samples/2` leaves the
/// readout as it is.
struct ReadoutPlacement {
    var nx: Int
    var shift: Int
    var note: String?

    /// The placement of readouts of `samples` samples whose recorded centres are `centres`.
    init(centres: [Int], samples: Int) {
        let centre = mostCommon(centres) ?? 0
        // Asymmetric echoes leave out a fifth of the readout or more; a centre a sample or two
        // off the middle is a sequence's rounding, not a missing part.
        guard centre > 0, centre < samples, abs(centre - samples / 2) > samples / 16 else {
            (nx, shift, note) = (samples, 0, nil)
            return
        }
        nx = 2 * max(centre, samples - centre)
        shift = nx / 2 - centre
        note = "asymmetric echo: \(samples) samples recorded with the echo at sample \(centre), placed at \(shift)…\(shift + samples - 1) of a \(nx)-sample readout (the rest never acquired: zero)"
    }

    /// The acquired samples of the placed readout, nil if all of them.
    func acquired(samples: Int) -> Range<Int>? { nx == samples ? nil : shift..<(shift + samples) }
}

/// The most frequent of `values` (the smallest among equally frequent ones), nil if empty:
/// the k-space centre a file's scans record, past the odd damaged or special scan.
func mostCommon(_ values: [Int]) -> Int? {
    let counts = Dictionary(grouping: values, by: { $0 }).mapValues(\.count)
    return counts.max { $0.value < $1.value || $0.value == $1.value && $0.key > $1.key }?.key
}
