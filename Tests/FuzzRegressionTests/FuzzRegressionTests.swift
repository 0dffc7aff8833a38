import Foundation
import FuzzTargets
import Testing

/// Every input kept for a fuzz target (its seeds, and each input that once crashed it,
/// named `crash-…` after the fix) runs again in `make test`: a fixed crash stays fixed.
@Suite struct FuzzRegressionTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    static func inputs(_ target: FuzzTarget) -> [URL] {
        let folder = corpus.appendingPathComponent(target.rawValue)
        return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTarget.allCases)
    func keptInputsRunClean(target: FuzzTarget) throws {
        let inputs = Self.inputs(target)
        #expect(!inputs.isEmpty, "no kept inputs for \(target.rawValue) in \(Self.corpus.path)")
        for input in inputs {
            // A trap here ends the test run with the input's name in the log above it.
            print("fuzz regression: \(target.rawValue)/\(input.lastPathComponent)")
            target.run(try Data(contentsOf: input))
        }
    }
}
