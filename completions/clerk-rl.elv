
use builtin;
use str;

set edit:completion:arg-completer[clerk-rl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'clerk-rl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'clerk-rl'= {
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'One quick call: rate-limit headers, instance type, documented limit, budget'
            cand probe 'Measure the limit, burst and window the server really enforces for this key'
            cand export-users 'Dump every user as JSON Lines, paced to the budget, resumable'
            cand batch-get 'Fetch users by id (one request per 100 ids) as JSON Lines, with an optional Redis cache'
            cand cache 'Manage the Redis cache batch-get keeps (no request to Clerk)'
            cand sandbox 'Run a local Clerk-compatible Backend API server'
            cand webhook 'Receive Clerk''s webhooks and keep the batch-get cache true'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Write man pages (one per subcommand) into a folder'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'clerk-rl;status'= {
            cand --min-remaining 'Exit 3 when the Remaining header is under PCT percent of the Limit header'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;probe'= {
            cand --mode 'burst, ramp or constant'
            cand --endpoint 'The GET path to probe, under /v1/, e.g. --endpoint ''/v1/users/count'''
            cand --max-requests 'Send at most this many requests (default: 3x the documented limit of the key''s instance, else 3x the budget''s limit)'
            cand --max-duration 'Stop sending after this long'
            cand --concurrency 'The most requests in flight at once. Burst mode chooses enough to send twice the limit to find over the first request''s round trip (at least 4) and says what it chose; ramp and constant modes use it as their bound'
            cand --expect 'The limit to find, e.g. --expect 1000/10s (default: the documented limit of the key''s instance, else the budget''s --rate). It sets how many requests burst mode keeps in flight and the default --max-requests (3x it)'
            cand --from 'Ramp: the first rate (per second, or N/DURATION)'
            cand --to 'Ramp: the last rate (per second, or N/DURATION)'
            cand --steps 'Ramp: how many rates from --from to --to'
            cand --step-duration 'Ramp: how long each rate is held'
            cand --probe-rate 'Constant: the rate to hold (per second, or N/DURATION); named apart from the global --rate, which is the budget'
            cand --duration 'Constant: how long to hold it'
            cand --plot 'Also draw the timeline as an SVG chart into FILE'
            cand --timeline 'Write every request (time, status, headers'' remaining) as CSV into FILE'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --allow-production 'Allow probing with a production (sk_live_) key: it spends that instance''s real limit'
            cand --honor-retry-after 'Burst mode: send nothing while a Retry-After wait runs (the default for a production key, whose budget is the live application''s). N and the algorithm are still found; the window only to the resolution of the Retry-After values (whole seconds at Clerk)'
            cand --sample-during-waits 'Burst mode: send sparse single requests during a Retry-After wait too, to time the window finely (the default for development and unknown keys)'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;export-users'= {
            cand -o 'Write to FILE instead of stdout: FILE.partial is renamed to FILE on success, and a checkpoint makes it resumable'
            cand --output 'Write to FILE instead of stdout: FILE.partial is renamed to FILE on success, and a checkpoint makes it resumable'
            cand --page-size 'Users per page (one request each), 1..500'
            cand --filter 'A list filter passed to the server, e.g. banned=false, query=smith, created_at_after=1700000000000 (repeatable)'
            cand --checkpoint 'Checkpoint file (default: FILE.checkpoint beside --output)'
            cand --concurrency 'Concurrent page streams; 0 picks them from the budget and the latency (1 = sequential)'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --no-count 'Skip the one count request made for the progress bar''s total and ETA'
            cand --dry-run 'One count request, then print users, requests needed and the time the budget implies'
            cand --resume 'Continue an interrupted export from its checkpoint'
            cand --force 'Replace an existing output, discarding an unfinished export''s checkpoint'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;batch-get'= {
            cand -o 'Write to FILE instead of stdout (FILE.partial, renamed to FILE when done)'
            cand --output 'Write to FILE instead of stdout (FILE.partial, renamed to FILE when done)'
            cand --concurrency 'Requests in flight at once (the budget still paces them all), 1..64'
            cand --strategy 'list: up to 100 ids per request; get: one request per id'
            cand --cache 'Redis to cache users in, e.g. redis://127.0.0.1:6379/0'
            cand --cache-ttl 'How long cached users live in Redis, e.g. 60s, 10m, 1h'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --allow-missing 'Exit 0 even when some ids are not found (they are still listed on stderr)'
            cand --strict 'A line that is not a user id is an error (exit 2, before any request)'
            cand --refresh 'Ignore cached users: fetch every id and rewrite its cache entry'
            cand --cache-required 'Exit 1 when Redis is unavailable, instead of warning once and working uncached'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;cache'= {
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand purge 'Delete cached users of this instance (the key''s), by id or all of them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'clerk-rl;cache;purge'= {
            cand --cache 'Redis to cache users in, e.g. redis://127.0.0.1:6379/0'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --all 'Delete every cached user of this instance'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;cache;help'= {
            cand purge 'Delete cached users of this instance (the key''s), by id or all of them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'clerk-rl;cache;help;purge'= {
        }
        &'clerk-rl;cache;help;help'= {
        }
        &'clerk-rl;sandbox'= {
            cand --port 'Port on 127.0.0.1 (0 picks a free one), e.g. --port 8787'
            cand --listen 'Listen on this address instead of 127.0.0.1, e.g. --listen 0.0.0.0:8787 or --listen ::1 (a bare address takes --port)'
            cand --users 'How many generated users it holds, e.g. --users 1000000 (generated on demand: fast, small)'
            cand --seed 'Seed of the users, the key and the faults, e.g. --seed 7'
            cand --accept-key 'Also accept this secret key (repeatable), e.g. --accept-key sk_test_ci'
            cand --over-quota-key 'A key that authenticates but gets 403 quota_exceeded (repeatable), e.g. --over-quota-key sk_test_full'
            cand --forbidden-key 'A key that authenticates but gets 403 authorization_invalid (repeatable), e.g. --forbidden-key sk_test_ro'
            cand --algorithm 'How the limit is counted per key, e.g. --algorithm bucket'
            cand --block 'After a 429, refuse every request of that key for this long, e.g. --block 30s'
            cand --rate-limit-headers 'Rate-limit headers on every limited response, e.g. --rate-limit-headers x-ratelimit'
            cand --retry-after 'The Retry-After header of a 429, e.g. --retry-after http-date'
            cand --faults 'Inject failures into a seeded share of requests, e.g. --faults 500:0.05,reset:0.01,truncate:0.01,slow=2s:0.01 (a status 400..599, reset = drop the connection, truncate = half the body, slow=DURATION)'
            cand --fault-seed 'Seed of the fault draws (default: --seed), e.g. --fault-seed 3'
            cand --faults-max 'Inject at most N faults in all, then serve normally, e.g. --faults-max 5'
            cand --request-log 'Append one JSON line per request (time, method, path, query, status, fault), e.g. --request-log requests.jsonl'
            cand --latency 'Round-trip time added to every request, like a distant server (e.g. 150ms): half before the request is counted and logged, half before the response leaves'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --reject-cursor 'Answer starting_after with 422 form_param_unknown, like an API version without cursors'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;webhook'= {
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand serve 'Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'clerk-rl;webhook;serve'= {
            cand --listen 'Address and port to listen on (port 0 picks a free one), e.g. 0.0.0.0:8787'
            cand --cache 'Redis to cache users in, e.g. redis://127.0.0.1:6379/0'
            cand --cache-ttl 'How long users written by --prime live in Redis, as batch-get''s --cache-ttl'
            cand --signing-secret-file 'Read the signing secret (whsec_...) from this file instead of CLERK_WEBHOOK_SIGNING_SECRET'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --prime 'On user.created and user.updated, write the user from the payload instead of deleting'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;webhook;help'= {
            cand serve 'Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'clerk-rl;webhook;help;serve'= {
        }
        &'clerk-rl;webhook;help;help'= {
        }
        &'clerk-rl;completions'= {
            cand --dir 'Write the scripts of all five shells into this folder instead'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;man'= {
            cand --dir 'Folder to write the pages into'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --budget-store 'Share the key''s budget with every clerk-rl process using this Redis, e.g. redis://127.0.0.1:6379/0 (batch-get caches users there too, unless --cache is given)'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --budget-store-optional 'With --budget-store: when Redis is unreachable at the start, pace locally with a warning instead of exiting 1'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;help'= {
            cand status 'One quick call: rate-limit headers, instance type, documented limit, budget'
            cand probe 'Measure the limit, burst and window the server really enforces for this key'
            cand export-users 'Dump every user as JSON Lines, paced to the budget, resumable'
            cand batch-get 'Fetch users by id (one request per 100 ids) as JSON Lines, with an optional Redis cache'
            cand cache 'Manage the Redis cache batch-get keeps (no request to Clerk)'
            cand sandbox 'Run a local Clerk-compatible Backend API server'
            cand webhook 'Receive Clerk''s webhooks and keep the batch-get cache true'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Write man pages (one per subcommand) into a folder'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'clerk-rl;help;status'= {
        }
        &'clerk-rl;help;probe'= {
        }
        &'clerk-rl;help;export-users'= {
        }
        &'clerk-rl;help;batch-get'= {
        }
        &'clerk-rl;help;cache'= {
            cand purge 'Delete cached users of this instance (the key''s), by id or all of them'
        }
        &'clerk-rl;help;cache;purge'= {
        }
        &'clerk-rl;help;sandbox'= {
        }
        &'clerk-rl;help;webhook'= {
            cand serve 'Serve a Svix webhook endpoint that invalidates (or, --prime, rewrites) cached users'
        }
        &'clerk-rl;help;webhook;serve'= {
        }
        &'clerk-rl;help;completions'= {
        }
        &'clerk-rl;help;man'= {
        }
        &'clerk-rl;help;help'= {
        }
    ]
    $completions[$command]
}
