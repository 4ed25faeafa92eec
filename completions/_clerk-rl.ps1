
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'clerk-rl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'clerk-rl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'clerk-rl' {
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'One quick call: rate-limit headers, instance type, documented limit, budget')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Measure the limit, burst and window the server really enforces for this key')
            [CompletionResult]::new('export-users', 'export-users', [CompletionResultType]::ParameterValue, 'Dump every user as JSON Lines, paced to the budget, resumable')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Call any Backend API endpoint through the paced, retried core (like `gh api`)')
            [CompletionResult]::new('batch-get', 'batch-get', [CompletionResultType]::ParameterValue, 'Fetch users by id (one request per 100 ids) as JSON Lines, with an optional Redis cache')
            [CompletionResult]::new('import-users', 'import-users', [CompletionResultType]::ParameterValue, 'Create users from JSON Lines (export-users'' output or POST /v1/users bodies), exactly once')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Watch every process spending the key through --budget-store, like htop for one key')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Manage the Redis cache batch-get keeps (no request to Clerk)')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run a local Clerk-compatible Backend API server')
            [CompletionResult]::new('webhook', 'webhook', [CompletionResultType]::ParameterValue, 'Receive Clerk''s webhooks and keep the batch-get cache true')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show the settings in force and where each came from (flag, environment, profile, default)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page to stdout, or write them all into a folder with --dir')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;status' {
            [CompletionResult]::new('--min-remaining', '--min-remaining', [CompletionResultType]::ParameterName, 'Exit 3 when the Remaining header is under PCT percent of the Limit header')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--allow-unknown', '--allow-unknown', [CompletionResultType]::ParameterName, 'Let the --min-remaining gate pass when the server sends no Remaining and Limit headers (without it the gate fails closed: exit 3)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;probe' {
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'burst, ramp or constant')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'The GET path to probe, under /v1/, e.g. --endpoint ''/v1/users/count''')
            [CompletionResult]::new('--max-requests', '--max-requests', [CompletionResultType]::ParameterName, 'Send at most this many requests (default: 3x the documented limit of the key''s instance, else 3x the budget''s limit)')
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'Stop sending after this long')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'The most requests in flight at once. Burst mode chooses enough to send twice the limit to find over the first request''s round trip (at least 4) and says what it chose; ramp and constant modes use it as their bound')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'The limit to find, e.g. --expect 1000/10s (default: the documented limit of the key''s instance, else the budget''s --rate). It sets how many requests burst mode keeps in flight and the default --max-requests (3x it)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Ramp: the first rate (per second, or N/DURATION)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Ramp: the last rate (per second, or N/DURATION)')
            [CompletionResult]::new('--steps', '--steps', [CompletionResultType]::ParameterName, 'Ramp: how many rates from --from to --to')
            [CompletionResult]::new('--step-duration', '--step-duration', [CompletionResultType]::ParameterName, 'Ramp: how long each rate is held')
            [CompletionResult]::new('--probe-rate', '--probe-rate', [CompletionResultType]::ParameterName, 'Constant: the rate to hold (per second, or N/DURATION); named apart from the global --rate, which is the budget')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Constant: how long to hold it')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Also draw the timeline as an SVG chart into FILE')
            [CompletionResult]::new('--timeline', '--timeline', [CompletionResultType]::ParameterName, 'Write every request (time, status, headers'' remaining) as CSV into FILE')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--allow-production', '--allow-production', [CompletionResultType]::ParameterName, 'Allow probing with a production (sk_live_) key: it spends that instance''s real limit')
            [CompletionResult]::new('--honor-retry-after', '--honor-retry-after', [CompletionResultType]::ParameterName, 'Burst mode: send nothing while a Retry-After wait runs (the default for a production key, whose budget is the live application''s). N and the algorithm are still found; the window only to the resolution of the Retry-After values (whole seconds at Clerk)')
            [CompletionResult]::new('--sample-during-waits', '--sample-during-waits', [CompletionResultType]::ParameterName, 'Burst mode: send sparse single requests during a Retry-After wait too, to time the window finely (the default for development and unknown keys)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;export-users' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to FILE instead of stdout: FILE.partial is renamed to FILE on success, and a checkpoint makes it resumable')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to FILE instead of stdout: FILE.partial is renamed to FILE on success, and a checkpoint makes it resumable')
            [CompletionResult]::new('--page-size', '--page-size', [CompletionResultType]::ParameterName, 'Users per page (one request each), 1..500')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'A filter of GET /v1/users, e.g. banned=false, query=smith, created_at_after=2024-01-01 (repeatable). Names are checked against the API''s list; *_at_* filters take Unix milliseconds or RFC 3339 dates and date-times (2024-01-01, 2024-01-01T12:00:00Z)')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'Checkpoint file (default: FILE.checkpoint beside --output)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Concurrent page streams; 0 picks them from the budget and the latency (1 = sequential)')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--no-count', '--no-count', [CompletionResultType]::ParameterName, 'Skip the two count requests (at the start for the progress bar''s total and ETA, at the end to prove every user was written): the export is then not checked, and says so')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'One count request, then print users, requests needed and the time the budget implies')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Continue an interrupted export from its checkpoint')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing output, discarding an unfinished export''s checkpoint')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;api' {
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'The HTTP method: GET, POST, PATCH, PUT, DELETE or HEAD')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'The HTTP method: GET, POST, PATCH, PUT, DELETE or HEAD')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A string field, KEY=VALUE: a query parameter for GET, else a JSON body field (repeatable)')
            [CompletionResult]::new('--raw-field', '--raw-field', [CompletionResultType]::ParameterName, 'A string field, KEY=VALUE: a query parameter for GET, else a JSON body field (repeatable)')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'A typed field, KEY=VALUE: true, false, null and numbers as JSON, @FILE a file''s content (repeatable)')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'A typed field, KEY=VALUE: true, false, null and numbers as JSON, @FILE a file''s content (repeatable)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'An extra request header, e.g. -H ''Idempotency-Key: 3f1c…'' (repeatable)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'An extra request header, e.g. -H ''Idempotency-Key: 3f1c…'' (repeatable)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Send this file (''-'' for stdin) as the request body, as is')
            [CompletionResult]::new('--page-size', '--page-size', [CompletionResultType]::ParameterName, 'With --paginate: items per page (the limit sent), 1..500')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'With --paginate: offset pages in flight at once; 0 (the default) keeps as many as the budget needs at the measured round trip (rate x round trip, up to 64). A cursor walk (/v1/users) goes one page at a time whatever this says')
            [CompletionResult]::new('--jq', '--jq', [CompletionResultType]::ParameterName, 'Filter the answer through a jq expression (jaq): each output on its own line, a string raw, anything else compact JSON. With --paginate it runs on each item. Not with --batch')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Send every request of FILE (''-'' for stdin), one JSON object a line: {"method","path","body","headers","idempotency_key","id"}; results as JSON Lines')
            [CompletionResult]::new('--results', '--results', [CompletionResultType]::ParameterName, 'With --batch: write the results to PATH instead of stdout')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'With --batch: the journal of finished lines (default: FILE.batch-journal beside FILE)')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--paginate', '--paginate', [CompletionResultType]::ParameterName, 'Walk every page of a list endpoint and write its items as JSON Lines')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Print the response''s status line and headers on stderr')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Print the response''s status line and headers on stderr')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'With --batch: check every line and print the plan and the time the budgets need; send nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;batch-get' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to FILE instead of stdout (FILE.partial, renamed to FILE when done)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to FILE instead of stdout (FILE.partial, renamed to FILE when done)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once; 0 (the default) keeps as many as the budget needs at the measured round trip (rate x round trip, up to 64). The budget paces them all either way')
            [CompletionResult]::new('--strategy', '--strategy', [CompletionResultType]::ParameterName, 'list: up to 100 ids per request; get: one request per id')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Redis to cache users in, e.g. redis://127.0.0.1:6379/0, or a Redis Cluster: redis+cluster://HOST:PORT[,HOST:PORT...]')
            [CompletionResult]::new('--cache-ttl', '--cache-ttl', [CompletionResultType]::ParameterName, 'How long cached users live in Redis, e.g. 60s, 10m, 1h')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--allow-missing', '--allow-missing', [CompletionResultType]::ParameterName, 'Exit 0 even when some ids are not found (they are still listed on stderr)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'A line that is not a user id is an error (exit 2, before any request)')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Ignore cached users: fetch every id and rewrite its cache entry')
            [CompletionResult]::new('--cache-required', '--cache-required', [CompletionResultType]::ParameterName, 'Exit 1 when Redis is unavailable, instead of warning once and working uncached')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;import-users' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'The journal of outcomes (default: FILE.import-journal beside the input)')
            [CompletionResult]::new('--results', '--results', [CompletionResultType]::ParameterName, 'Write the per-line results to PATH instead of stdout')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Creates in flight at once; 0 (the default) keeps as many as the budget needs at the measured round trip (rate x round trip, up to 64). The budget paces them all either way')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--require-password', '--require-password', [CompletionResultType]::ParameterName, 'A line without password or password_digest is invalid (instead of being created with skip_password_requirement)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Check every line offline and print the bodies that would be sent; send nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;top' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often the live view refreshes, e.g. 1s, 500ms')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Print once and exit (also when stdout is not a terminal, or with --json)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;cache' {
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete cached users of this instance (the key''s), by id or all of them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;cache;purge' {
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Redis to cache users in, e.g. redis://127.0.0.1:6379/0, or a Redis Cluster: redis+cluster://HOST:PORT[,HOST:PORT...]')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Delete every cached user of this instance')
            [CompletionResult]::new('--guards', '--guards', [CompletionResultType]::ParameterName, 'Also delete the version markers and tombstones of those users (or of all, with --all)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;cache;help' {
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete cached users of this instance (the key''s), by id or all of them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;cache;help;purge' {
            break
        }
        'clerk-rl;cache;help;help' {
            break
        }
        'clerk-rl;sandbox' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port on 127.0.0.1 (0 picks a free one), e.g. --port 8787')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Listen on this address instead of 127.0.0.1, e.g. --listen 0.0.0.0:8787 or --listen ::1 (a bare address takes --port)')
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'How many generated users it holds, e.g. --users 1000000 (generated on demand: fast, small)')
            [CompletionResult]::new('--organizations', '--organizations', [CompletionResultType]::ParameterName, 'How many generated organizations it holds (GET /v1/organizations), e.g. --organizations 500')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the users, the key and the faults, e.g. --seed 7')
            [CompletionResult]::new('--accept-key', '--accept-key', [CompletionResultType]::ParameterName, 'Also accept this secret key (repeatable), e.g. --accept-key sk_test_ci')
            [CompletionResult]::new('--over-quota-key', '--over-quota-key', [CompletionResultType]::ParameterName, 'A key that authenticates but gets 403 quota_exceeded (repeatable), e.g. --over-quota-key sk_test_full')
            [CompletionResult]::new('--forbidden-key', '--forbidden-key', [CompletionResultType]::ParameterName, 'A key that authenticates but gets 403 authorization_invalid (repeatable), e.g. --forbidden-key sk_test_ro')
            [CompletionResult]::new('--algorithm', '--algorithm', [CompletionResultType]::ParameterName, 'How the limit is counted per key, e.g. --algorithm bucket')
            [CompletionResult]::new('--block', '--block', [CompletionResultType]::ParameterName, 'After a 429, refuse every request of that key for this long, e.g. --block 30s')
            [CompletionResult]::new('--rate-limit-headers', '--rate-limit-headers', [CompletionResultType]::ParameterName, 'Rate-limit headers on every limited response, e.g. --rate-limit-headers x-ratelimit')
            [CompletionResult]::new('--retry-after', '--retry-after', [CompletionResultType]::ParameterName, 'The Retry-After header of a 429, e.g. --retry-after http-date')
            [CompletionResult]::new('--faults', '--faults', [CompletionResultType]::ParameterName, 'Inject failures into a seeded share of requests, e.g. --faults 500:0.05,reset:0.01,truncate:0.01,slow=2s:0.01 (a status 400..599, reset = drop the connection, reset-after = drop it after the handler ran (a create committed, its answer lost), truncate = half the body, slow=DURATION)')
            [CompletionResult]::new('--fault-seed', '--fault-seed', [CompletionResultType]::ParameterName, 'Seed of the fault draws (default: --seed), e.g. --fault-seed 3')
            [CompletionResult]::new('--faults-max', '--faults-max', [CompletionResultType]::ParameterName, 'Inject at most N faults in all, then serve normally, e.g. --faults-max 5')
            [CompletionResult]::new('--request-log', '--request-log', [CompletionResultType]::ParameterName, 'Append one JSON line per request (time, method, path, query, status, fault), e.g. --request-log requests.jsonl')
            [CompletionResult]::new('--latency', '--latency', [CompletionResultType]::ParameterName, 'Round-trip time added to every request, like a distant server (e.g. 150ms): half before the request is counted and logged, half before the response leaves')
            [CompletionResult]::new('--jitter', '--jitter', [CompletionResultType]::ParameterName, 'Vary each half of --latency by up to this much, uniformly (e.g. 20%): Clerk from afar never answers in exactly the same time twice')
            [CompletionResult]::new('--per-user', '--per-user', [CompletionResultType]::ParameterName, 'The server''s own time per user on a list page, e.g. 0.2ms (a 500-user page then takes 100 ms longer than a 1-user page), spent within a --capacity slot')
            [CompletionResult]::new('--capacity', '--capacity', [CompletionResultType]::ParameterName, 'Serve at most N requests at once; the rest queue (before they are counted), as a real server does. Default: no bound')
            [CompletionResult]::new('--misbehave', '--misbehave', [CompletionResultType]::ParameterName, 'Misbehave on GET /v1/users as a proxy, a cache or an old API version can, to rehearse what export-users and batch-get do then (repeatable)')
            [CompletionResult]::new('--ready-file', '--ready-file', [CompletionResultType]::ParameterName, 'Once the server listens, write its URL and a newline to this file (whole, by a rename), for a CI step to wait on; removed first if it exists, and again when the sandbox stops, e.g. --ready-file /tmp/sandbox.url')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--reject-cursor', '--reject-cursor', [CompletionResultType]::ParameterName, 'Answer starting_after with 422 form_param_unknown, like an API version without cursors')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Answer a query parameter GET /v1/users or /v1/users/count does not define with 422 form_param_unknown (Clerk ignores it: a misspelt filter widens the result silently)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;webhook' {
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;webhook;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port to listen on (port 0 picks a free one), e.g. 0.0.0.0:8787')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Redis to cache users in, e.g. redis://127.0.0.1:6379/0, or a Redis Cluster: redis+cluster://HOST:PORT[,HOST:PORT...]')
            [CompletionResult]::new('--cache-ttl', '--cache-ttl', [CompletionResultType]::ParameterName, 'How long users written by --prime live in Redis, as batch-get''s --cache-ttl')
            [CompletionResult]::new('--tombstone-ttl', '--tombstone-ttl', [CompletionResultType]::ParameterName, 'How long a deleted user''s tombstone and an updated user''s version marker are kept (at least the longest --cache-ttl of any batch-get using this cache)')
            [CompletionResult]::new('--signing-secret-file', '--signing-secret-file', [CompletionResultType]::ParameterName, 'Read the signing secret (whsec_...) from this file instead of CLERK_WEBHOOK_SIGNING_SECRET')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'The log on stderr: text lines that start with the time (RFC 3339, UTC), or one JSON object per line (time, level, message, delivery, event, user, status) for log collectors')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--prime', '--prime', [CompletionResultType]::ParameterName, 'On user.created and user.updated, write the user from the payload instead of deleting')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;webhook;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;webhook;help;serve' {
            break
        }
        'clerk-rl;webhook;help;help' {
            break
        }
        'clerk-rl;config' {
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print every setting in force, its value (the key masked) and where it came from')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;config;show' {
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;config;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print every setting in force, its value (the key masked) and where it came from')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;config;help;show' {
            break
        }
        'clerk-rl;config;help;help' {
            break
        }
        'clerk-rl;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write the scripts of all five shells into this folder instead')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write every page (clerk-rl.1, clerk-rl-status.1, ...) into this folder instead')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset. Clerk''s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool''s cautious presets, not Clerk figures: free 20/10s, pro 100/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--endpoint-rate', '--endpoint-rate', [CompletionResultType]::ParameterName, 'Override one of Clerk''s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--http-version', '--http-version', [CompletionResultType]::ParameterName, 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection')
            [CompletionResult]::new('--budget-store', '--budget-store', [CompletionResultType]::ParameterName, 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)')
            [CompletionResult]::new('--budget-store-optional', '--budget-store-optional', [CompletionResultType]::ParameterName, 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'One quick call: rate-limit headers, instance type, documented limit, budget')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Measure the limit, burst and window the server really enforces for this key')
            [CompletionResult]::new('export-users', 'export-users', [CompletionResultType]::ParameterValue, 'Dump every user as JSON Lines, paced to the budget, resumable')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Call any Backend API endpoint through the paced, retried core (like `gh api`)')
            [CompletionResult]::new('batch-get', 'batch-get', [CompletionResultType]::ParameterValue, 'Fetch users by id (one request per 100 ids) as JSON Lines, with an optional Redis cache')
            [CompletionResult]::new('import-users', 'import-users', [CompletionResultType]::ParameterValue, 'Create users from JSON Lines (export-users'' output or POST /v1/users bodies), exactly once')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Watch every process spending the key through --budget-store, like htop for one key')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Manage the Redis cache batch-get keeps (no request to Clerk)')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run a local Clerk-compatible Backend API server')
            [CompletionResult]::new('webhook', 'webhook', [CompletionResultType]::ParameterValue, 'Receive Clerk''s webhooks and keep the batch-get cache true')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show the settings in force and where each came from (flag, environment, profile, default)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page to stdout, or write them all into a folder with --dir')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;help;status' {
            break
        }
        'clerk-rl;help;probe' {
            break
        }
        'clerk-rl;help;export-users' {
            break
        }
        'clerk-rl;help;api' {
            break
        }
        'clerk-rl;help;batch-get' {
            break
        }
        'clerk-rl;help;import-users' {
            break
        }
        'clerk-rl;help;top' {
            break
        }
        'clerk-rl;help;cache' {
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete cached users of this instance (the key''s), by id or all of them')
            break
        }
        'clerk-rl;help;cache;purge' {
            break
        }
        'clerk-rl;help;sandbox' {
            break
        }
        'clerk-rl;help;webhook' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users')
            break
        }
        'clerk-rl;help;webhook;serve' {
            break
        }
        'clerk-rl;help;config' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print every setting in force, its value (the key masked) and where it came from')
            break
        }
        'clerk-rl;help;config;show' {
            break
        }
        'clerk-rl;help;completions' {
            break
        }
        'clerk-rl;help;man' {
            break
        }
        'clerk-rl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
