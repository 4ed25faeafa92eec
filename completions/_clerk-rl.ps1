
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
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'One quick call: rate-limit headers, instance type, documented limit, budget')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run a local Clerk-compatible Backend API server')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages (one per subcommand) into a folder')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;status' {
            [CompletionResult]::new('--min-remaining', '--min-remaining', [CompletionResultType]::ParameterName, 'Exit 3 when the Remaining header is under PCT percent of the Limit header')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;sandbox' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port on 127.0.0.1 (0 picks a free one)')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write the scripts of all five shells into this folder instead')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder to write the pages into')
            [CompletionResult]::new('--api-url', '--api-url', [CompletionResultType]::ParameterName, 'Base URL of the Backend API, without /v1 (a trailing /v1 is accepted)')
            [CompletionResult]::new('--secret-key-file', '--secret-key-file', [CompletionResultType]::ParameterName, 'Read the secret key from this file (''-'' reads stdin) instead of CLERK_SECRET_KEY')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Budget preset: free 20/10s, pro 100/10s, dev 100/10s, prod 1000/10s')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Custom budget overriding the plan''s rate, e.g. 100/10s, 5/1s, 300/1m')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Pace as a token bucket of this capacity (bursts above the strict window)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries per request for 429s and transient failures')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 30s')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Give up (exit 3) when the server asks us to wait longer than this')
            [CompletionResult]::new('--sandbox-users', '--sandbox-users', [CompletionResultType]::ParameterName, 'With --sandbox: how many users the sandbox holds')
            [CompletionResult]::new('--sandbox-seed', '--sandbox-seed', [CompletionResultType]::ParameterName, 'With --sandbox: the seed its users are generated from')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output: JSON on stdout, the summary as one JSON line on stderr')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never show progress bars (they are hidden anyway when stderr is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: retries and waits, -vv: every request)')
            [CompletionResult]::new('--sandbox', '--sandbox', [CompletionResultType]::ParameterName, 'Run against an in-process sandbox instead of Clerk (no account or key needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'clerk-rl;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'One quick call: rate-limit headers, instance type, documented limit, budget')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run a local Clerk-compatible Backend API server')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages (one per subcommand) into a folder')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'clerk-rl;help;status' {
            break
        }
        'clerk-rl;help;sandbox' {
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
