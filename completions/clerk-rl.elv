
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
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'One quick call: rate-limit headers, instance type, documented limit, budget'
            cand sandbox 'Run a local Clerk-compatible Backend API server'
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
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;sandbox'= {
            cand --port 'Port on 127.0.0.1 (0 picks a free one)'
            cand --api-url 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)'
            cand --secret-key-file 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY'
            cand --plan 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s'
            cand --rate 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m'
            cand --burst 'Pace as a token bucket of this capacity (bursts above the strict window)'
            cand --max-retries 'Retries per request for 429s and transient failures'
            cand --timeout 'Timeout of one request, e.g. 30s'
            cand --max-wait 'Give up (exit 3) when the server asks us to wait longer than this'
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
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
            cand --sandbox-users 'With --sandbox: how many users the sandbox holds'
            cand --sandbox-seed 'With --sandbox: the seed its users are generated from'
            cand --json 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
            cand --no-progress 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
            cand -v 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --verbose 'More detail on stderr (-v: retries and waits, -vv: every request)'
            cand --sandbox 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'clerk-rl;help'= {
            cand status 'One quick call: rate-limit headers, instance type, documented limit, budget'
            cand sandbox 'Run a local Clerk-compatible Backend API server'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Write man pages (one per subcommand) into a folder'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'clerk-rl;help;status'= {
        }
        &'clerk-rl;help;sandbox'= {
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
