// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "policywatch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "policywatch", targets: ["PolicyWatchCLI"]),
        .library(name: "PolicyWatch", targets: ["PolicyWatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // State for cron runs: SQLite (system libsqlite3) with WAL and migrations (the outbox of deliveries).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Webhook body templates.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Shared state for several scanners (state: postgres://...): the PostgreSQL driver.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // libyaml from the system (Debian: libyaml-dev).
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // libxml2's tolerant HTML parser, from the system (Debian: libxml2-dev). FoundationXML
        // links the same library, so this adds no new runtime dependency.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]
        ),
        // LZ4's block compression, from the system (Debian: liblz4-dev): the SQLite state's
        // alert groups (AlertGroupText).
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        // mimalloc, the program's allocator (Debian: libmimalloc-dev): linked into the command
        // line, which sets its options (PolicyWatchCLI/Allocator.swift; docs/performance.md,
        // "Twelfth round"). No pkg-config file ships with it.
        .systemLibrary(
            name: "CMimalloc",
            providers: [.apt(["libmimalloc-dev"]), .brew(["mimalloc"])]
        ),
        // YAML text -> node tree where every node knows file:line:column.
        .target(name: "YAMLLoader", dependencies: ["CYAML"]),
        // SSE2 byte classification for the normaliser (header-only; a plain loop elsewhere).
        .target(name: "CPolicySIMD"),
        // Text normalisation and multi-pattern term matching; knows nothing of rules or YAML.
        .target(name: "PolicyMatcher", dependencies: ["CPolicySIMD"]),
        // The engine: rules (parse, validate, compile), articles, scanner, report.
        .target(
            name: "PolicyWatch",
            dependencies: [
                "YAMLLoader", "PolicyMatcher", "CLibXML2", "CLZ4",
                // SSE2 helpers of the story hash and the JSON Lines reader (ContentHash, FastJSON).
                "CPolicySIMD",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C interface, for the statements run once per alert (SQLiteCall).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            plugins: ["EmbedRules"]
        ),
        // Thin command line over the engine.
        .executableTarget(
            name: "PolicyWatchCLI",
            dependencies: [
                "PolicyWatch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // Replaces the C library's malloc in the program: alerts are made on the
                // scanning threads and freed on the sinks' thread, and glibc then locks the
                // arena of every free.
                .target(name: "CMimalloc", condition: .when(platforms: [.linux])),
            ]
        ),
        // Build-time: embeds rules/*.yaml into the library as the default rule pack.
        .executableTarget(name: "EmbedRulesTool"),
        // The normaliser alone, timed on a corpus (scripts/bench --normalizer); not shipped.
        .executableTarget(name: "NormalizerBench", dependencies: ["PolicyMatcher"]),
        .plugin(name: "EmbedRules", capability: .buildTool(), dependencies: ["EmbedRulesTool"]),

        // Helpers shared by test targets (a loopback HTTP server); not shipped.
        .target(name: "PolicyWatchTestSupport", path: "Tests/TestSupport"),

        .testTarget(name: "YAMLLoaderTests", dependencies: ["YAMLLoader"]),
        .testTarget(name: "PolicyMatcherTests", dependencies: ["PolicyMatcher"]),
        // Fixtures are read from the source tree (#filePath): golden files stay plain files.
        .testTarget(
            name: "PolicyWatchTests",
            dependencies: ["PolicyWatch", "PolicyMatcher", "YAMLLoader", "PolicyWatchTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "CLITests", dependencies: ["PolicyWatchCLI", "PolicyWatch", "YAMLLoader", "PolicyWatchTestSupport"]),
    ]
)
