//! The flags of `clerk-rl api`: one request, `--paginate`, `--jq` and `--batch`.

use super::*;

pub(crate) const API_AFTER_HELP: &str = "\
PATH is under /v1/, with or without the prefix (users/count, /v1/users/count); a query may follow
'?'. The method is GET unless -X says otherwise (unlike gh, fields never turn a GET into a POST).
For GET and HEAD, -f/-F fields become query parameters; for other methods they build a JSON body
(key[sub]=value nests, key[]=value appends). -f values are strings; -F values are typed as gh types them: true,
false, null and integers that fit 64 bits as JSON, anything else (1e3, 1.5, a 20-digit id past
u64) a string; @FILE the file's content (as JSON when it is JSON, else a string; @- reads stdin,
once: not with --input -). --input FILE (or -) sends a body as is; fields then go to the query.

The response body goes to stdout whatever the status: a JSON body as one value and a newline
(compact when piped, so a loop prints JSON Lines; indented on a terminal), anything else exactly
as the server sent it; --include adds the status line and headers on stderr. A non-2xx final answer exits with the code of the
exit-code table (401/403 -> 4, 400/422 -> 2, 404 and other 4xx -> 1, 5xx -> 6).

Retries: a 429 always (the server refused it, so nothing happened); 5xx, dropped connections and
timeouts only for GET, HEAD, DELETE and requests with an Idempotency-Key header (-H), never for a
POST or PATCH without one: it may have been applied.

Endpoint budgets: PATCH /v1/users/{id} and /metadata (10/10s per user), POST /v1/invitations
(100/1h) and /bulk (25/1h) are paced to their own budget besides the instance's, shared with
other clerk-rl processes through --budget-store, else through a state file per budget (in
CLERK_RL_STATE_DIR, XDG_STATE_HOME/clerk-rl or ~/.local/state/clerk-rl), so a loop of separate
processes gets no 429 either.

--paginate walks a list endpoint (a plain array or {data, total_count}), by cursor
(starting_after) on /v1/users and by overlapping offset pages elsewhere, checks order, progress
and the count, and writes one item per line (JSON Lines). A server that breaks them exits 6.
Offset pages are asked ahead, as many in flight as the budget needs at the measured round trip
(--concurrency N caps it; 1 walks one page at a time), and written strictly in order: exactly
the pages a total_count or /count asks for, else up to the in-flight count past the short last
page (the summary says how many). The cursor walk of /v1/users goes one page at a time (each
cursor is the last page's last id): export-users is the whole-budget way to walk users.

--jq EXPR runs a jq expression (jaq: jq's language and standard library, less env and $ENV, as
the environment holds the key) on what would be printed: a 2xx answer's body, or with --paginate
each item (so '.id', where gh's pages take '.[].id'). Each output is a line: a string raw,
anything else compact JSON. A bad expression exits 2 before anything is sent; a filter error
exits 1 after the lines before it; a non-2xx answer is printed unfiltered, a 2xx answer that is
not JSON exits 6. Not with --batch (its results are a record: filter them with jq afterwards).

--batch FILE ('-' stdin) sends one request per line, a JSON object with method, path and
optionally body, headers, idempotency_key, id: lines on one user, organization or membership in file order (a failure
holds the later ones: skipped), others side by side; one result per line in input order (ok,
failed, skipped, unknown, invalid); exit 0 all ok, 7 otherwise. A journal (FILE.batch-journal or
--state) lets a rerun send only what is unfinished; a PATCH/POST whose answer was lost is unknown,
never sent twice without an idempotency_key. --dry-run checks every line and prints the plan.
The file is read 8192 lines at a time: a million lines run in the memory of a few thousand.

Examples:
  clerk-rl api users/count
  clerk-rl api '/v1/users?limit=5&order_by=-created_at'
  clerk-rl api organizations --paginate > orgs.jsonl
  clerk-rl api organizations --paginate --concurrency 4 > orgs.jsonl
  clerk-rl api /v1/users --jq '.[].id'
  clerk-rl api users --paginate --jq 'select(.banned) | .id' > banned.txt
  clerk-rl api -X POST organizations -f name=Acme -f slug=acme
  clerk-rl api -X PATCH users/user_123/metadata -F 'public_metadata[plan]=pro'
  clerk-rl api -X POST invitations -f email_address=a@example.com \\
      -H 'Idempotency-Key: inv-a'
  clerk-rl api --batch updates.jsonl --results results.jsonl
  cut -d, -f1 ids.csv |
      xargs -I{} clerk-rl api -X PATCH users/{} -F banned=false";

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The endpoint, under /v1/ (the prefix is optional), with an optional ?query
    #[arg(value_name = "PATH", required_unless_present = "batch")]
    pub path: Option<String>,

    /// The HTTP method: GET, POST, PATCH, PUT, DELETE or HEAD
    #[arg(short = 'X', long, default_value = "GET", value_name = "METHOD", value_parser = method_arg)]
    pub method: String,

    /// A string field, KEY=VALUE: a query parameter for GET, else a JSON body field (repeatable)
    #[arg(short = 'f', long = "raw-field", value_name = "KEY=VALUE")]
    pub raw_fields: Vec<String>,

    /// A typed field, KEY=VALUE: true, false, null and numbers as JSON, @FILE a file's content
    /// (repeatable)
    #[arg(short = 'F', long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,

    /// An extra request header, e.g. -H 'Idempotency-Key: 3f1c…' (repeatable)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Send this file ('-' for stdin) as the request body, as is
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Walk every page of a list endpoint and write its items as JSON Lines
    #[arg(long)]
    pub paginate: bool,

    /// With --paginate: items per page (the limit sent), 1..500
    #[arg(long, default_value_t = 500, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=500), requires = "paginate")]
    pub page_size: u32,

    /// With --paginate: offset pages in flight at once; 0 (the default) keeps as many as the
    /// budget needs at the measured round trip (rate x round trip, up to 64). A cursor walk
    /// (/v1/users) goes one page at a time whatever this says
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=64), requires = "paginate")]
    pub concurrency: u32,

    /// Print the response's status line and headers on stderr
    #[arg(short = 'i', long)]
    pub include: bool,

    /// Filter the answer through a jq expression (jaq): each output on its own line, a string
    /// raw, anything else compact JSON. With --paginate it runs on each item. Not with --batch
    #[arg(long, value_name = "EXPR")]
    pub jq: Option<String>,

    /// Send every request of FILE ('-' for stdin), one JSON object a line:
    /// {"method","path","body","headers","idempotency_key","id"}; results as JSON Lines
    #[arg(long, value_name = "FILE", conflicts_with_all = ["path", "paginate", "input", "include", "raw_fields", "fields", "headers", "jq"])]
    pub batch: Option<PathBuf>,

    /// With --batch: write the results to PATH instead of stdout
    #[arg(long, value_name = "PATH", requires = "batch")]
    pub results: Option<PathBuf>,

    /// With --batch: the journal of finished lines (default: FILE.batch-journal beside FILE)
    #[arg(long, value_name = "PATH", requires = "batch")]
    pub state: Option<PathBuf>,

    /// With --batch: check every line and print the plan and the time the budgets need; send
    /// nothing
    #[arg(long, requires = "batch")]
    pub dry_run: bool,
}

pub(crate) fn method_arg(s: &str) -> Result<String, String> {
    let m = s.trim().to_ascii_uppercase();
    match m.as_str() {
        "GET" | "POST" | "PATCH" | "PUT" | "DELETE" | "HEAD" => Ok(m),
        _ => Err(format!(
            "{s:?} is not one of GET, POST, PATCH, PUT, DELETE, HEAD"
        )),
    }
}
