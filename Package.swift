// swift-tools-version:6.1
import PackageDescription

// Module graph (arrows point down only; see ../shared/DESIGN.md):
//
//   opsdeck ─┬─ Console ─┬─ TUI ── CCurses
//            │           └─ Sync ─┬─ PlatformClient ── CCurl, CLinux
//            │                    └─ Cache
//            ├─ PlatformServer ── CLinux, CCompression
//            ├─ Simulator
//            └─ PlatformModel   (Foundation only; shared wire types)
let package = Package(
    name: "OpsDeck",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "opsdeck", targets: ["opsdeck"]),
        .executable(name: "opsdeck-bench", targets: ["opsdeck-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C shims: ncursesw macros/globals and libcurl's variadic setopt are not importable.
        .systemLibrary(name: "CCurses", path: "Sources/CCurses"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        // epoll, eventfd, thread names, CPU affinity: for the device gateway and the bench.
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        // zlib and brotli decoders: Sentry SDKs send gzip- or br-compressed envelopes.
        .systemLibrary(name: "CCompression", path: "Sources/CCompression"),

        .target(name: "PlatformModel"),
        .target(
            name: "TUI",
            dependencies: ["CCurses"]
        ),
        .target(
            name: "PlatformClient",
            dependencies: ["CCurl", "CLinux", "PlatformModel"]
        ),
        .target(
            name: "Cache",
            dependencies: [
                "PlatformModel", .product(name: "GRDB", package: "GRDB.swift"),
                // The live feed's insert binds values straight to SQLite (CacheFeeds.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "Sync",
            dependencies: [
                "PlatformClient", "Cache", "PlatformModel", "CLinux",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Console",
            dependencies: [
                "TUI", "Sync", "Cache", "PlatformModel", "CLinux",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "PlatformServer",
            dependencies: [
                "PlatformModel", "CLinux", "CCompression",
                .product(name: "GRDB", package: "GRDB.swift"),
                // `serve --db postgres://…`: the same store on PostgreSQL (Storage/Postgres*.swift).
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            // The API's OpenAPI 3.1 description, served at /openapi.json.
            resources: [.copy("openapi.json")]
        ),
        .target(
            name: "Simulator",
            dependencies: ["PlatformClient", "PlatformModel"]
        ),
        .executableTarget(
            name: "opsdeck",
            dependencies: [
                "Console", "Cache", "PlatformServer", "Simulator", "PlatformModel", "PlatformClient", "TUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // `make bench`: figures for the platform on loopback (not run by the tests).
        .executableTarget(name: "opsdeck-bench", dependencies: ["Cache", "CLinux", "PlatformClient", "PlatformModel"]),
        // The parsers of untrusted bytes as fuzz targets (`make fuzz`), and their replayer.
        .target(
            name: "FuzzTargets",
            dependencies: ["Cache", "PlatformClient", "PlatformModel", "PlatformServer", "TUI", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(name: "opsdeck-fuzz", dependencies: ["FuzzTargets"]),

        // Helpers more than one test target needs (see Tests/TestSupport).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TUITests", dependencies: ["TUI"]),
        .testTarget(name: "PlatformModelTests", dependencies: ["PlatformModel"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "PlatformServer", "PlatformClient", "Cache", "Sync", "PlatformModel", "Simulator", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Stores made at an older migration, to test what opening them does.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "TUI", "Cache", "PlatformModel"], exclude: ["Snapshots"]),
        // Drives the built `opsdeck` binary in tmux; needs `swift build` first (make test does it).
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"], exclude: ["Corpus"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Cache", "PlatformClient", "PlatformModel", "TestSupport", "TUI"]),
    ]
)
