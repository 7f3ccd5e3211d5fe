#!/usr/bin/env bash
# Applies deliberate small faults to the library one at a time, runs the tests that should
# catch each, and restores the file: a fault the suite does not catch is a gap in it.
# Usage: Lab/scripts/mutation_check.sh [TREE]   (TREE: a checkout, default this one; its
# working tree must be clean — every file is restored after its mutation.)
set -uo pipefail
cd "${1:-$(dirname "$0")/..}"
run() {
    local name="$1" file="$2" expr="$3" filter="$4" backup
    backup=$(mktemp)
    cp "$file" "$backup"
    sed -i "$expr" "$file"
    if cmp -s "$file" "$backup"; then echo "| $name | not applicable to this tree |"; rm "$backup"; return; fi
    if ! swift build --build-tests >/dev/null 2>&1; then echo "| $name | build failed |"; cp "$backup" "$file"; rm "$backup"; return; fi
    local out failed
    out=$(swift test --filter "$filter" 2>&1)
    failed=$(echo "$out" | grep -E "^✘ Test [A-Za-z]+\(" | grep -oE "Test [A-Za-z]+\(" | sort -u | sed 's/Test //; s/($//' | tr '\n' ' ')
    if [ -n "$failed" ]; then echo "| $name | caught: $failed|"
    elif echo "$out" | grep -q "Test run with .* passed"; then echo "| $name | NOT caught |"
    else echo "| $name | caught: the test process crashed |"; fi
    cp "$backup" "$file"; rm "$backup"
}
echo "| fault | result |"
echo "|---|---|"
run "GRAPPA classic λ ×10" Sources/GRAPPA/Grappa.swift \
    's/public static let defaultRegularization = 1e-4/public static let defaultRegularization = 1e-3/' "GRAPPA|Numpy|SharedData"
run "one GRAPPA kernel tap dropped" Sources/GRAPPA/GrappaApplication.swift \
    's/for d in 0..<bx { w\[(d \* nTrg + t) \* nSrc + j \* coils + sc\] = src\[from + d\] }/for d in 0..<bx where !(d == 0 \&\& sc == 0 \&\& j == 0) { w[(d * nTrg + t) * nSrc + j * coils + sc] = src[from + d] }/' "GRAPPA|Numpy|SharedData"
run "a meta gate's weight sign flipped" Sources/MetaLearner/MetaLearnerLSTM.swift \
    's/+ w\[b + 4\] \* x.4 + w\[b + 5\] \* previous/+ w[b + 4] * x.4 - w[b + 5] * previous/' "MetaGradient|MetaUpdate|ShippedModel"
run "momentum gate fed the input gate's previous value" Sources/MetaLearner/MetaLearnerLSTM.swift \
    's/o.value\[p\] = Self.gate(w.value, 2, common, previous.2\[p\])/o.value[p] = Self.gate(w.value, 2, common, previous.1[p])/' "MetaGradient|MetaUpdate|ShippedModel"
run "meta backward pass drops the momentum carry" Sources/MetaLearner/MetaLearnerLSTM.swift \
    's/let dO = dH\[p\] \* carried + carry.2\[p\]/let dO = dH[p] * carried/' "MetaGradient|MetaUpdate|ShippedModel"
run "SSIM window σ 1.5 → 1.6" Sources/MRICore/ImageMetrics.swift \
    's/public static let ssimSigma = 1.5/public static let ssimSigma = 1.6/' "ImageMetrics|Evaluat|ReconCommand"
run "ISMRMRD reversed readouts not flipped" Sources/MRIIO/IsmrmrdVolume.swift \
    's/let s = 2 \* (coil \* nx + (a.reversed ? nx - 1 - x : x))/let s = 2 * (coil * nx + x)/' "Ismrmrd|VolumeRecon"
run "RAKI learning rate 3e-3 → 2e-3" Sources/RAKI/Raki.swift \
    's/public var learningRate: Float = 3e-3/public var learningRate: Float = 2e-3/' "RakiTests|Reconstructor"
run "RAKI's f(0) not subtracted" Sources/LatticeCNN/LatticeLineGeometry.swift \
    's/let offsets = subtractZeroResponse ? network.zeroResponse() : nil/let offsets: [Float]? = nil/' "RakiZeroResponse|RakiTests"
run "twix reflected lines not flipped" Sources/MRIIO/TwixVolume.swift \
    's/let reflect = e.scan.has(.reflect)/let reflect = false/' "Twix"
run "prewhitening not mapped back" Sources/Reconstruction/MethodReconstructors.swift \
    's/forward: whitening.whitened, backward: whitening.unwhitened/forward: whitening.whitened, backward: { $0 }/' "Twix|Prewhit"
swift build --build-tests >/dev/null 2>&1
