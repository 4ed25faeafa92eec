# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_clerk_rl_global_optspecs
    string join \n api-url= secret-key-file= plan= rate= burst= json no-progress max-retries= timeout= max-wait= v/verbose sandbox sandbox-users= sandbox-seed= h/help V/version
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
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l plan -d 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s' -r -f -a "free\t'20 requests per 10 s, bursts up to 40'
pro\t'100 requests per 10 s, bursts up to 200'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -s V -l version -d 'Print version'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "status" -d 'One quick call: rate-limit headers, instance type, documented limit, budget'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "sandbox" -d 'Run a local Clerk-compatible Backend API server'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "man" -d 'Write man pages (one per subcommand) into a folder'
complete -c clerk-rl -n "__fish_clerk_rl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l min-remaining -d 'Exit 3 when the Remaining header is under PCT percent of the Limit header' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l plan -d 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s' -r -f -a "free\t'20 requests per 10 s, bursts up to 40'
pro\t'100 requests per 10 s, bursts up to 200'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l port -d 'Port on 127.0.0.1 (0 picks a free one)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l plan -d 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s' -r -f -a "free\t'20 requests per 10 s, bursts up to 40'
pro\t'100 requests per 10 s, bursts up to 200'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand sandbox" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l dir -d 'Write the scripts of all five shells into this folder instead' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l plan -d 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s' -r -f -a "free\t'20 requests per 10 s, bursts up to 40'
pro\t'100 requests per 10 s, bursts up to 200'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l dir -d 'Folder to write the pages into' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l api-url -d 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l secret-key-file -d 'Read the secret key from this file (\'-\' reads stdin) instead of CLERK_SECRET_KEY' -r -F
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l plan -d 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s' -r -f -a "free\t'20 requests per 10 s, bursts up to 40'
pro\t'100 requests per 10 s, bursts up to 200'
dev\t'100 requests per 10 s: Clerk\'s documented limit for development instances'
prod\t'1000 requests per 10 s: Clerk\'s documented limit for production instances'"
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l rate -d 'Custom budget overriding the plan\'s rate, e.g. 100/10s, 5/1s, 300/1m' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l burst -d 'Pace as a token bucket of this capacity (bursts above the strict window)' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l max-retries -d 'Retries per request for 429s and transient failures' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l timeout -d 'Timeout of one request, e.g. 30s' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l max-wait -d 'Give up (exit 3) when the server asks us to wait longer than this' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l sandbox-users -d 'With --sandbox: how many users the sandbox holds' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l sandbox-seed -d 'With --sandbox: the seed its users are generated from' -r
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l json -d 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l no-progress -d 'Never show progress bars (they are hidden anyway when stderr is not a terminal)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -s v -l verbose -d 'More detail on stderr (-v: retries and waits, -vv: every request)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -l sandbox -d 'Run against an in-process sandbox instead of Clerk (no account or key needed)'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status sandbox completions man help" -f -a "status" -d 'One quick call: rate-limit headers, instance type, documented limit, budget'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status sandbox completions man help" -f -a "sandbox" -d 'Run a local Clerk-compatible Backend API server'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status sandbox completions man help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status sandbox completions man help" -f -a "man" -d 'Write man pages (one per subcommand) into a folder'
complete -c clerk-rl -n "__fish_clerk_rl_using_subcommand help; and not __fish_seen_subcommand_from status sandbox completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
