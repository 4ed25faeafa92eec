# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_clerk_rl_global_optspecs
    string join \n api-url= secret-key-file= plan= rate= burst= endpoint-rate= json no-progress max-retries= timeout= max-wait= http-version= v/verbose q/quiet budget-store= budget-store-optional metrics-listen= sandbox sandbox-users= sandbox-seed= profile= h/help V/version
end

function __fish_clerk_rl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_clerk_rl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_clerk_rl_using_subcommand
    set -l cmd (__fish_clerk_rl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -s V -l version -d 'Print version'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "status" -d 'One quick call: rate-limit headers, instance type, documented limit, budget'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "probe" -d 'Measure the limit, burst and window the server really enforces for this key'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "export-users" -d 'Dump every user as JSON Lines, paced to the budget, resumable'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "api" -d 'Call any Backend API endpoint through the paced, retried core (like `gh api`)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "batch-get" -d 'Fetch users by id (one request per 100 ids) as JSON Lines, with an optional Redis cache'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "import-users" -d 'Create users from JSON Lines (export-users\' output or POST /v1/users bodies), exactly once'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "top" -d 'Watch every process spending the key through --budget-store, like htop for one key'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "cache" -d 'Manage the Redis cache batch-get keeps (no request to Clerk)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "sandbox" -d 'Run a local Clerk-compatible Backend API server'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "webhook" -d 'Receive Clerk\'s webhooks and keep the batch-get cache true'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "config" -d 'Show the settings in force and where each came from (flag, environment, profile, default)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "man" -d 'Print a man page to stdout, or write them all into a folder with --dir'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l min-remaining -d 'Exit 3 when the Remaining header is under PCT percent of the Limit header' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l allow-unknown -d 'Let the --min-remaining gate pass when the server sends no Remaining and Limit headers (without it the gate fails closed: exit 3)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l mode -d 'burst, ramp or constant' -r -f -a "burst\t'Back-to-back until the first 429, then time the recovery (infers N, W and the algorithm)'
ramp\t'Step the rate up from --from to --to until 429s start'
constant\t'Hold --probe-rate for --duration'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l endpoint -d 'The GET path to probe, under /v1/, e.g. --endpoint \'/v1/users/count\'' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l max-requests -d 'Send at most this many requests (default: 3x the documented limit of the key\'s instance, else 3x the budget\'s limit)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l max-duration -d 'Stop sending after this long' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l concurrency -d 'The most requests in flight at once. Burst mode chooses enough to send twice the limit to find over the first request\'s round trip (at least 4) and says what it chose; ramp and constant modes use it as their bound' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l expect -d 'The limit to find, e.g. --expect 1000/10s (default: the documented limit of the key\'s instance, else the budget\'s --rate). It sets how many requests burst mode keeps in flight and the default --max-requests (3x it)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l from -d 'Ramp: the first rate (per second, or N/DURATION)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l to -d 'Ramp: the last rate (per second, or N/DURATION)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l steps -d 'Ramp: how many rates from --from to --to' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l step-duration -d 'Ramp: how long each rate is held' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l probe-rate -d 'Constant: the rate to hold (per second, or N/DURATION); named apart from the global --rate, which is the budget' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l duration -d 'Constant: how long to hold it' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l plot -d 'Also draw the timeline as an SVG chart into FILE' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l timeline -d 'Write every request (time, status, headers\' remaining) as CSV into FILE' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l allow-production -d 'Allow probing with a production (sk_live_) key: it spends that instance\'s real limit'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l honor-retry-after -d 'Burst mode: send nothing while a Retry-After wait runs (the default for a production key, whose budget is the live application\'s). N and the algorithm are still found; the window only to the resolution of the Retry-After values (whole seconds at Clerk)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l sample-during-waits -d 'Burst mode: send sparse single requests during a Retry-After wait too, to time the window finely (the default for development and unknown keys)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -s o -l output -d 'Write to FILE instead of stdout: FILE.partial is renamed to FILE on success, and a checkpoint makes it resumable' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l page-size -d 'Users per page (one request each), 1..500' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l filter -d 'A filter of GET /v1/users, e.g. banned=false, query=smith, created_at_after=2024-01-01 (repeatable). Names are checked against the API\'s list; *_at_* filters take Unix milliseconds or RFC 3339 dates and date-times (2024-01-01, 2024-01-01T12:00:00Z)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l checkpoint -d 'Checkpoint file (default: FILE.checkpoint beside --output)' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l concurrency -d 'Concurrent page streams; 0 picks them from the budget and the latency (1 = sequential)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l no-count -d 'Skip the two count requests (at the start for the progress bar\'s total and ETA, at the end to prove every user was written): the export is then not checked, and says so'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l dry-run -d 'One count request, then print users, requests needed and the time the budget implies'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l resume -d 'Continue an interrupted export from its checkpoint'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l force -d 'Replace an existing output, discarding an unfinished export\'s checkpoint'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand export-users" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -s X -l method -d 'The HTTP method: GET, POST, PATCH, PUT, DELETE or HEAD' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -s f -l raw-field -d 'A string field, KEY=VALUE: a query parameter for GET, else a JSON body field (repeatable)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -s F -l field -d 'A typed field, KEY=VALUE: true, false, null and numbers as JSON, @FILE a file\'s content (repeatable)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -s H -l header -d 'An extra request header, e.g. -H \'Idempotency-Key: 3f1c…\' (repeatable)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l input -d 'Send this file (\'-\' for stdin) as the request body, as is' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l page-size -d 'With --paginate: items per page (the limit sent), 1..500' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l concurrency -d 'With --paginate: offset pages in flight at once; 0 (the default) keeps as many as the budget needs at the measured round trip (rate x round trip, up to 64). A cursor walk (/v1/users) goes one page at a time whatever this says' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l jq -d 'Filter the answer through a jq expression (jaq): each output on its own line, a string raw, anything else compact JSON. With --paginate it runs on each item. Not with --batch' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l batch -d 'Send every request of FILE (\'-\' for stdin), one JSON object a line: {"method","path","body","headers","idempotency_key","id"}; results as JSON Lines' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l results -d 'With --batch: write the results to PATH instead of stdout' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l state -d 'With --batch: the journal of finished lines (default: FILE.batch-journal beside FILE)' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l paginate -d 'Walk every page of a list endpoint and write its items as JSON Lines'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -s i -l include -d 'Print the response\'s status line and headers on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l dry-run -d 'With --batch: check every line and print the plan and the time the budgets need; send nothing'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand api" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -s o -l output -d 'Write to FILE instead of stdout (FILE.partial, renamed to FILE when done)' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l concurrency -d 'Requests in flight at once; 0 (the default) keeps as many as the budget needs at the measured round trip (rate x round trip, up to 64). The budget paces them all either way' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l strategy -d 'list: up to 100 ids per request; get: one request per id' -r -f -a "list\t'GET /v1/users?user_id=...&limit=100: up to 100 ids per request'
get\t'GET /v1/users/{id}: one request per id (for servers without the user_id filter)'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l cache -d 'Redis to cache users in, e.g. redis://127.0.0.1:6379/0, or a Redis Cluster: redis+cluster://HOST:PORT[,HOST:PORT...]' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l cache-ttl -d 'How long cached users live in Redis, e.g. 60s, 10m, 1h' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l allow-missing -d 'Exit 0 even when some ids are not found (they are still listed on stderr)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l strict -d 'A line that is not a user id is an error (exit 2, before any request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l refresh -d 'Ignore cached users: fetch every id and rewrite its cache entry'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l cache-required -d 'Exit 1 when Redis is unavailable, instead of warning once and working uncached'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand batch-get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l state -d 'The journal of outcomes (default: FILE.import-journal beside the input)' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l results -d 'Write the per-line results to PATH instead of stdout' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l concurrency -d 'Creates in flight at once; 0 (the default) keeps as many as the budget needs at the measured round trip (rate x round trip, up to 64). The budget paces them all either way' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l require-password -d 'A line without password or password_digest is invalid (instead of being created with skip_password_requirement)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l dry-run -d 'Check every line offline and print the bodies that would be sent; send nothing'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand import-users" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l interval -d 'How often the live view refreshes, e.g. 1s, 500ms' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l once -d 'Print once and exit (also when stdout is not a terminal, or with --json)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand top" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -f -a "purge" -d 'Delete cached users of this instance (the key\'s), by id or all of them'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and not __fish_seen_subcommand_from purge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l cache -d 'Redis to cache users in, e.g. redis://127.0.0.1:6379/0, or a Redis Cluster: redis+cluster://HOST:PORT[,HOST:PORT...]' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l all -d 'Delete every cached user of this instance'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l guards -d 'Also delete the version markers and tombstones of those users (or of all, with --all)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Delete cached users of this instance (the key\'s), by id or all of them'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l port -d 'Port on 127.0.0.1 (0 picks a free one), e.g. --port 8787' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l listen -d 'Listen on this address instead of 127.0.0.1, e.g. --listen 0.0.0.0:8787 or --listen ::1 (a bare address takes --port)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l users -d 'How many generated users it holds, e.g. --users 1000000 (generated on demand: fast, small)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l organizations -d 'How many generated organizations it holds (GET /v1/organizations), e.g. --organizations 500' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l seed -d 'Seed of the users, the key and the faults, e.g. --seed 7' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l accept-key -d 'Also accept this secret key (repeatable), e.g. --accept-key sk_test_ci' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l over-quota-key -d 'A key that authenticates but gets 403 quota_exceeded (repeatable), e.g. --over-quota-key sk_test_full' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l forbidden-key -d 'A key that authenticates but gets 403 authorization_invalid (repeatable), e.g. --forbidden-key sk_test_ro' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l algorithm -d 'How the limit is counted per key, e.g. --algorithm bucket' -r -f -a "fixed\t'Fixed windows aligned to the sandbox\'s start: at most N per window, the count resets at each window\'s end'
sliding\t'Sliding log: at most N in any window of length W ending now'
bucket\t'Token bucket of capacity --burst (or the plan\'s burst), refilled at N per W'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l block -d 'After a 429, refuse every request of that key for this long, e.g. --block 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l rate-limit-headers -d 'Rate-limit headers on every limited response, e.g. --rate-limit-headers x-ratelimit' -r -f -a "x-ratelimit\t'X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset (seconds until reset)'
ietf\t'IETF draft-10: RateLimit-Policy: "default";q=N;w=W and RateLimit: "default";r=R;t=T'
none\t'No rate-limit headers: only Retry-After on a 429, as Clerk documents'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l retry-after -d 'The Retry-After header of a 429, e.g. --retry-after http-date' -r -f -a "seconds\t'Retry-After: whole seconds, rounded up (what Clerk documents)'
http-date\t'Retry-After: an HTTP-date (RFC 9110 allows it; some servers send it)'
none\t'No Retry-After header on a 429'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l faults -d 'Inject failures into a seeded share of requests, e.g. --faults 500:0.05,reset:0.01,truncate:0.01,slow=2s:0.01 (a status 400..599, reset = drop the connection, reset-after = drop it after the handler ran (a create committed, its answer lost), truncate = half the body, slow=DURATION)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l fault-seed -d 'Seed of the fault draws (default: --seed), e.g. --fault-seed 3' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l faults-max -d 'Inject at most N faults in all, then serve normally, e.g. --faults-max 5' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l request-log -d 'Append one JSON line per request (time, method, path, query, status, fault), e.g. --request-log requests.jsonl' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l latency -d 'Round-trip time added to every request, like a distant server (e.g. 150ms): half before the request is counted and logged, half before the response leaves' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l jitter -d 'Vary each half of --latency by up to this much, uniformly (e.g. 20%): Clerk from afar never answers in exactly the same time twice' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l per-user -d 'The server\'s own time per user on a list page, e.g. 0.2ms (a 500-user page then takes 100 ms longer than a 1-user page), spent within a --capacity slot' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l capacity -d 'Serve at most N requests at once; the rest queue (before they are counted), as a real server does. Default: no bound' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l misbehave -d 'Misbehave on GET /v1/users as a proxy, a cache or an old API version can, to rehearse what export-users and batch-get do then (repeatable)' -r -f -a "ignore-order\t'Lists newest first whatever order_by says (Clerk\'s default order), but honours starting_after and offset'
repeat-page\t'Every page is the first page: starting_after and offset are ignored (a cache keyed on the path)'
jump-back\t'Past user 600 the cursor (or offset) goes back 500 users: user 601 is followed by 101..'
shuffle-page\t'Users inside a page come in a shuffled order'
cap-results\t'A user_id= list returns at most 10 of the ids asked, all of which exist'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l ready-file -d 'Once the server listens, write its URL and a newline to this file (whole, by a rename), for a CI step to wait on; removed first if it exists, and again when the sandbox stops, e.g. --ready-file /tmp/sandbox.url' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l reject-cursor -d 'Answer starting_after with 422 form_param_unknown, like an API version without cursors'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l strict -d 'Answer a query parameter GET /v1/users or /v1/users/count does not define with 422 form_param_unknown (Clerk ignores it: a misspelt filter widens the result silently)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -f -a "serve" -d 'Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and not __fish_seen_subcommand_from serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l listen -d 'Address and port to listen on (port 0 picks a free one), e.g. 0.0.0.0:8787' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l cache -d 'Redis to cache users in, e.g. redis://127.0.0.1:6379/0, or a Redis Cluster: redis+cluster://HOST:PORT[,HOST:PORT...]' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l cache-ttl -d 'How long users written by --prime live in Redis, as batch-get\'s --cache-ttl' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l tombstone-ttl -d 'How long a deleted user\'s tombstone and an updated user\'s version marker are kept (at least the longest --cache-ttl of any batch-get using this cache)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l signing-secret-file -d 'Read the signing secret (whsec_...) from this file instead of CLERK_WEBHOOK_SIGNING_SECRET' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l log-format -d 'The log on stderr: text lines that start with the time (RFC 3339, UTC), or one JSON object per line (time, level, message, delivery, event, user, status) for log collectors' -r -f -a "text\t'`2026-12-06T03:01:55.123Z webhook msg_…: user.updated user_…: cache entry deleted, …`'
json\t'`{"time":"…","level":"info","message":"…","delivery":"msg_…","event":"user.updated","user":"user_…","status":204}`'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l prime -d 'On user.created and user.updated, write the user from the payload instead of deleting'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -f -a "show" -d 'Print every setting in force, its value (the key masked) and where it came from'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and not __fish_seen_subcommand_from show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print every setting in force, its value (the key masked) and where it came from'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l dir -d 'Write the scripts of all five shells into this folder instead' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l dir -d 'Write every page (clerk-rl.1, clerk-rl-status.1, ...) into this folder instead' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l plan -d 'Budget preset. Clerk\'s documented limits: dev 100/10s (development instances), prod 1000/10s (production instances). This tool\'s cautious presets, not Clerk figures: free 20/10s, pro 100/10s' -r -f -a "free\t'20 requests per 10 s: a cautious preset of this tool, not a Clerk figure'
pro\t'100 requests per 10 s: a preset of this tool, not a Clerk figure'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l endpoint-rate -d 'Override one of Clerk\'s documented endpoint limits, paced besides the budget (repeatable): user-update (PATCH /v1/users/{id} and /metadata, 10/10s per user), invitation-create (POST /v1/invitations, 100/1h), invitation-bulk (POST /v1/invitations/bulk, 25/1h)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l http-version -d 'HTTP version: auto (over https, HTTP/2 when the server offers it, as Clerk does; over http to loopback, HTTP/1.1), 1.1, or 2 (over http: HTTP/2 without upgrade, which the sandbox serves). HTTP/2 carries every request in flight on one connection' -r -f -a "auto\t'https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1'
1.1\t'HTTP/1.1 only'
2\t'HTTP/2 only: by ALPN over https, without upgrade (prior knowledge) over http'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l budget-store -d 'Share the key\'s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0, a Redis Cluster by its seed nodes, redis+cluster://10.0.0.1:7000,10.0.0.2:7000, or Sentinel, redis+sentinel://10.0.0.5:26379/mymaster (rediss… for TLS; batch-get caches users there too, unless --cache is given)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l metrics-listen -d 'Serve Prometheus metrics (OpenMetrics text) on http://ADDR/metrics while the command runs, e.g. 127.0.0.1:9464 (:9464 is 127.0.0.1; port 0 picks one, shown on stderr)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l profile -d 'Use the named profile of the config file ($XDG_CONFIG_HOME/clerk-rl/config.toml): its api_url, secret_key_file, plan or rate, burst, budget_store and cache, under flags and environment variables' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -s q -l quiet -d 'Errors only on stderr: no warnings, progress, notes or summary (stdout is unchanged)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l budget-store-optional -d 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "status" -d 'One quick call: rate-limit headers, instance type, documented limit, budget'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "probe" -d 'Measure the limit, burst and window the server really enforces for this key'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "export-users" -d 'Dump every user as JSON Lines, paced to the budget, resumable'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "api" -d 'Call any Backend API endpoint through the paced, retried core (like `gh api`)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "batch-get" -d 'Fetch users by id (one request per 100 ids) as JSON Lines, with an optional Redis cache'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "import-users" -d 'Create users from JSON Lines (export-users\' output or POST /v1/users bodies), exactly once'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "top" -d 'Watch every process spending the key through --budget-store, like htop for one key'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "cache" -d 'Manage the Redis cache batch-get keeps (no request to Clerk)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "sandbox" -d 'Run a local Clerk-compatible Backend API server'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "webhook" -d 'Receive Clerk\'s webhooks and keep the batch-get cache true'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "config" -d 'Show the settings in force and where each came from (flag, environment, profile, default)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "man" -d 'Print a man page to stdout, or write them all into a folder with --dir'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status probe export-users api batch-get import-users top cache sandbox webhook config completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "purge" -d 'Delete cached users of this instance (the key\'s), by id or all of them'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "serve" -d 'Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print every setting in force, its value (the key masked) and where it came from'
