import Foundation
import PlatformModel
import Testing

@Suite struct WireFormatTests {
    @Test func releasesRoundTripWithMillisecondDates() throws {
        let created = Date(timeIntervalSince1970: 1_763_000_000.123)
        let release = Release(
            app: "wallet-ios", version: "5.2.0", build: 812, stage: .rolledBack, grayPercent: 12.34,
            notes: "n", createdAt: created, updatedAt: created, revision: 3)
        let data = try WireFormat.encoder().encode(release)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"grayPercent\":12.34"))
        #expect(json.contains("\"stage\":\"rolled_back\""))
        #expect(json.contains("\"createdAt\":\"2025-11-13T02:13:20.123Z\""))
        let back = try WireFormat.decoder().decode(Release.self, from: data)
        #expect(back == release)
    }

    @Test func datesWithoutFractionsOrWithOffsetsAreAccepted() {
        #expect(WireFormat.parseDate("2026-01-02T03:04:05Z") == Date(timeIntervalSince1970: 1_767_323_045))
        #expect(WireFormat.parseDate("2026-01-02T04:04:05.5+01:00") == Date(timeIntervalSince1970: 1_767_323_045.5))
        #expect(WireFormat.formatDate(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.750Z")
        // Found by fuzzing the API: more than three fraction digits crashed the parser.
        #expect(WireFormat.parseDate("2026-01-02T03:04:05.123456789Z") == Date(timeIntervalSince1970: 1_767_323_045.123))
    }

    @Test(arguments: ["yesterday", "", "2026-13-02T03:04:05Z", "2026-01-02T03:04:05", "2026-01-02T03:04:05.Z",
                      "2026-01-02T03:04:05Zjunk", "2026-01-02 03:04:05Z", "\u{1B}[2J-01-02T03:04:05Z"])
    func malformedDatesAreRejected(text: String) {
        #expect(WireFormat.parseDate(text) == nil)
    }

    @Test func problemDetailsDecode() throws {
        let body = #"{"type":"about:blank","title":"Not Found","status":404,"detail":"no app with id 'x'"}"#
        let problem = try WireFormat.decoder().decode(Problem.self, from: Data(body.utf8))
        #expect(problem.status == 404)
        #expect(problem.description == "Not Found: no app with id 'x'")
    }

    @Test func unknownStageIsAnError() {
        let body = #"{"app":"a","version":"1","build":1,"stage":"launched","grayPercent":0,"notes":"","createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:05Z","revision":1}"#
        #expect(throws: DecodingError.self) { try WireFormat.decoder().decode(Release.self, from: Data(body.utf8)) }
    }

    @Test func rolesPermissions() {
        #expect(Role.viewer < Role.admin)
        #expect(!Role.viewer.mayChangeReleases && !Role.viewer.mayChangeSwitches)
        #expect(Role.support.mayChangeSwitches && !Role.support.mayChangeReleases)
        #expect(Role.releaseManager.mayChangeReleases && !Role.releaseManager.mayChangeSwitches)
        #expect(Role.admin.mayChangeReleases && Role.admin.mayChangeSwitches)
        #expect(Role(rawValue: "release-manager") == .releaseManager)
    }

    @Test func seededRandomIsDeterministic() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
    }
}

@Suite struct StackFrameJSONTests {
    @Test func handWrittenFramesDecodeToTheSameFrames() throws {
        let frames = [
            StackFrame(symbol: "com.opsdeck.Pay.submit", file: "Pay.kt", line: 42, inApp: true),
            StackFrame(symbol: "weird \"quoted\" \\ back\nline\u{1B}[31m\u{0}", file: nil, line: nil, inApp: false),
            StackFrame(symbol: "ünïcødé 支付", file: "a/b.swift", line: 0, inApp: false),
        ]
        let text = StackFrame.jsonArray(frames)
        #expect(try WireFormat.decoder().decode([StackFrame].self, from: Data(text.utf8)) == frames)
        #expect(String(decoding: try WireFormat.encoder().encode(frames), as: UTF8.self) == text, "the same bytes as the encoder")
        #expect(StackFrame.jsonArray([]) == "[]")
    }
}

@Suite struct UpgradeAnswerJSONTests {
    @Test func handWrittenAnswerIsTheEncodersDocument() throws {
        let offer = UpgradeAnswer.Offer(version: "5.3.0", build: 898, stage: .gray, notes: "Faster \"checkout\"\nand a fix ✓")
        for answer in [
            UpgradeAnswer(app: "wallet-ios", device: "d-1", current: "5.2.1", offer: offer, switches: ["pay-api": true, "hd-images": false, "a": true]),
            UpgradeAnswer(app: "wallet-ios", device: "d/2", current: "5.3.0", offer: nil, switches: [:]),
        ] {
            #expect(answer.json() == String(decoding: try WireFormat.encoder().encode(answer), as: UTF8.self))
            #expect(try WireFormat.decoder().decode(UpgradeAnswer.self, from: Data(answer.json().utf8)) == answer)
        }
    }
}

@Suite struct VersionOrderTests {
    /// The plain definition: split on . - +, each part's leading digits, missing parts 0.
    static func reference(_ a: String, _ b: String) -> ComparisonResult {
        func parts(_ version: String) -> [Int] {
            version.split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "+" }).map { Int($0.prefix { $0.isASCII && $0.isNumber }) ?? 0 }
        }
        let left = parts(a), right = parts(b)
        for index in 0..<max(left.count, right.count) {
            let x = index < left.count ? left[index] : 0, y = index < right.count ? right[index] : 0
            if x != y { return x < y ? .orderedAscending : .orderedDescending }
        }
        return .orderedSame
    }

    @Test func agreesWithTheDefinitionOnManyVersions() {
        var random = SeededRandom(seed: 7)
        let pieces = ["0", "1", "2", "9", "10", "11", "100", "beta", "rc1", "2a", "", "007"]
        let separators = [".", "-", "+", ".."]
        func version() -> String {
            (0..<Int(random.next() % 5)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }
                .joined(separator: separators[Int(random.next() % UInt64(separators.count))])
        }
        for _ in 0..<5_000 {
            let a = version(), b = version()
            #expect(VersionOrder.compare(a, b) == Self.reference(a, b), "\(a) vs \(b)")
        }
        #expect(VersionOrder.isNewer("5.10.0", than: "5.9.2"))
        #expect(VersionOrder.compare("5.9", "5.9.0.0") == .orderedSame)
    }
}

@Suite struct CrashEventFastDecodeTests {
    @Test func fastDecodeReadsWhatTheEncoderWrites() throws {
        let event = CrashEvent(
            id: 9_007_199_254, app: "wallet-ios", release: "5.3.0", kind: .anr,
            device: DeviceInfo(id: "d1", os: .ios, osVersion: "17.2", model: "iPhone 15", city: "杭州", network: nil),
            exceptionType: "ANR", message: "main thread blocked \"5s\"",
            frames: [StackFrame(symbol: "a", file: "A.swift", line: 3, inApp: true), StackFrame(symbol: "b", inApp: false)],
            fingerprint: "f00", at: Date(timeIntervalSince1970: 1_800_000_000.123))
        let data = try WireFormat.encoder().encode(event)
        #expect(CrashEvent.fastDecode(data) == event)
        #expect(CrashEvent.fastDecode(Data(#"{"id":"not a number"}"#.utf8)) == nil)
        #expect(CrashEvent.fastDecode(Data("garbage".utf8)) == nil)
    }

    /// The hand-written reader against JSONDecoder on the same documents: hostile text,
    /// every escape, unknown fields of every shape, nulls, spacing; and broken JSON.
    @Test func fastDecodeAgreesWithJSONDecoder() throws {
        var random = SeededRandom(seed: 11)
        let texts = ["", "plain", "quote \" back \\ slash /", "ctl \u{1B}[31m \u{0} \u{7} \u{8} \u{C} \u{7F} \n\r\t", "杭州 ünï 😀 \u{202E}rtl", String(repeating: "x", count: 300)]
        func text() -> String { texts[Int(random.next() % UInt64(texts.count))] }
        for round in 0..<200 {
            var frames: [StackFrame] = []
            for index in 0..<Int(random.next() % 4) {
                let file: String? = round % 2 == 0 ? text() : nil
                let line: Int? = round % 3 == 0 ? nil : Int(random.next() % 100_000)
                frames.append(StackFrame(symbol: text() + "\(index)", file: file, line: line, inApp: index % 2 == 0))
            }
            let city: String? = round % 4 == 0 ? nil : text()
            let device = DeviceInfo(id: text(), os: .harmony, osVersion: text(), model: text(), city: city, network: text())
            let event = CrashEvent(
                id: Int64(random.next() % 9_007_199_254_740_991), app: text(), release: text(), kind: round % 2 == 0 ? .crash : .anr,
                device: device, exceptionType: text(), message: text(), frames: frames, fingerprint: text(),
                at: Date(timeIntervalSince1970: 1_800_000_000.5))
            let data = try WireFormat.encoder().encode(event)
            #expect(CrashEvent.fastDecode(data) == event)
            #expect(try WireFormat.decoder().decode(CrashEvent.self, from: data) == event)
            // The hand-written writer is the encoder's document, byte for byte.
            #expect(event.json() == String(decoding: data, as: UTF8.self))
            #expect(StackFrame.fromJSONArray(StackFrame.jsonArray(frames)) == frames)
        }
        // Unknown fields (any shape), explicit nulls, spacing and escapes JSONEncoder never writes.
        let loose = #"""
            { "extra": {"a": [1, 2.5e3, -0.1, true, null, {"b": "\u00e9"}]}, "id" : 42, "app":"a\/b", "release":"1",
              "kind":"crash", "device":{"id":"d","os":"ios","osVersion":"17","model":"m","city":null,"network":null,"more":[]},
              "exceptionType":"\ud83d\ude00 E","message":"tab\there","frames":[{"symbol":"s","inApp":false,"file":null,"line":null}],
              "fingerprint":"f","at":"2027-01-15T08:00:00.000Z" }
            """#
        let decoded = try WireFormat.decoder().decode(CrashEvent.self, from: Data(loose.utf8))
        #expect(CrashEvent.fastDecode(Data(loose.utf8)) == decoded)
        #expect(decoded.exceptionType == "😀 E" && decoded.app == "a/b")
        let broken = [#"{"id":1"#, #"{"id":1.5}"#, #"{"id":1} x"#, #"{"app":"\ud83d"}"#, "{\"app\":\"raw\u{1}\"}", "[]", ""]
        for text in broken {
            #expect(CrashEvent.fastDecode(Data(text.utf8)) == nil, "\(text)")
        }
    }
}

/// Names a newer server sends are kept and sent back as they came, for every open
/// vocabulary; known names map to their cases.
@Suite struct OpenVocabularyTests {
    @Test func unknownNamesRoundTripAndKnownOnesMap() throws {
        let decoder = WireFormat.decoder(), encoder = WireFormat.encoder()
        let kinds = try decoder.decode([AlertKind].self, from: Data(#"["velocity","budget_burn"]"#.utf8))
        #expect(kinds == [.velocity, .other("budget_burn")])
        #expect(String(decoding: try encoder.encode(kinds), as: UTF8.self) == #"["velocity","budget_burn"]"#)
        let actions = try decoder.decode([AuditAction].self, from: Data(#"["release.halt","funnel.archive"]"#.utf8))
        #expect(actions == [.releaseHalt, .other("funnel.archive")])
        #expect(actions.map(\.rawValue) == ["release.halt", "funnel.archive"])
        #expect(AuditAction.knownNames.count == AuditAction.names.count && AlertKind.knownNames.contains("guardrail_halt"))
    }
}
