/// The commented config `policywatch init` writes. It must load without a diagnostic
/// (tested), so every example in it is real.
public enum StarterConfig {
    public static let text = """
        # policywatch configuration (version 1). Check it with: policywatch scan --config policywatch.yaml
        # Paths are relative to this file's directory; ~/ means your home directory.
        # Command-line flags override what is set here; paths given to 'scan' replace 'sources'.
        version: 1

        # Where runs remember what they saw and raised (SQLite). Delete it (and its -wal and -shm
        # files) to start afresh: the next run reports every alert again.
        state: .policywatch/state.sqlite

        # Your rule files and directories, added to the built-in rule pack.
        rules: []
        #  - my-rules/

        # Set to false to run only your own rules.
        default_rules: true

        # What to scan: files, directories (recursively: .txt .md .json .jsonl .rss .atom .xml
        # .html), and http(s) URLs of RSS/Atom feeds or web pages.
        sources:
          - inbox/
        #  - https://example.com/news/feed.xml
        #  - url: https://example.org/atom.xml
        #    name: Example Org        # shown as the articles' source

        # Where alerts go (types: json, jsonl, console, html, webhook, command; see docs/reporters.md).
        # Each reporter gets every alert it wants exactly once, even across crashes; the state knows
        # it by 'name', else TYPE:TARGET as written (json:reports/latest.json). Without reporters a
        # run prints the report on stdout.
        reporters:
          - type: json                # this run's new alerts as one report, replaced each run
            path: reports/latest.json
          - type: jsonl               # one alert per line, appended
            path: reports/alerts.jsonl
        #  - type: webhook            # a Slack message per high or critical alert
        #    url: https://hooks.slack.com/services/${SLACK_HOOK}
        #    format: slack
        #    min_severity: high

        options:
          max_bytes: 16MB             # skip (and report) larger inputs
          timeout: 30s                # per HTTP attempt
          retries: 2                  # more attempts for network errors, 5xx and 429
          wait: 0                     # seconds to wait when another run holds the state
          fail_on_alert: false        # exit 1 when a run raises alerts

        """
}
