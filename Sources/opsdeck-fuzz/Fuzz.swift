import FuzzTargets
import Foundation

// Built two ways. `make fuzz` builds with `-sanitize=fuzzer,address -DFUZZING`: libFuzzer
// brings `main` and calls the entry point below with each input, for the target named by
// OPSDECK_FUZZ. Any other build is a replayer: `opsdeck-fuzz TARGET FILE...` runs the
// target over each file (what a crash report needs to be reproduced).

#if FUZZING
nonisolated(unsafe) private var target: FuzzTarget?

/// The target named by OPSDECK_FUZZ, or exit 64 with the names.
private func chooseTarget() -> FuzzTarget {
    if let target { return target }
    guard let chosen = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["OPSDECK_FUZZ"] ?? "") else {
        FileHandle.standardError.write(Data("set OPSDECK_FUZZ to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(64)
    }
    target = chosen
    return chosen
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = chooseTarget()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    chooseTarget().run(UnsafeBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable with `main` defined as `opsdeck_fuzz_main` (so that tests
/// could link it), which takes the place of libFuzzer's own `main`: this is that entry,
/// and it hands over to libFuzzer's driver.
@_cdecl("opsdeck_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return runDriver(&count, &arguments) { data, size in testOneInput(data, size) }
}
#else
@main
struct Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: opsdeck-fuzz TARGET FILE...   (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            print("Replays inputs; build with `make fuzz` to fuzz.")
            exit(64)
        }
        for path in arguments.dropFirst() {
            target.run(try Data(contentsOf: URL(fileURLWithPath: path)))
            print("\(path): ok")
        }
    }
}
#endif
