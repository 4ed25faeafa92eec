//! `clerk-rl api --jq EXPR`: each JSON value the command would print goes through a jq filter
//! (jaq, a maintained Rust jq), as `gh api --jq` does. The expression is compiled once, before any
//! key is read or request sent; each output is one line: a string raw (no quotes), anything else
//! compact JSON.

use std::fmt;
use std::io::{self, Write};

use jaq_core::data::JustLut;
use jaq_core::load::{self, Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars};
use jaq_json::{Num, Val};

use crate::error::{Exit, fail};

type Data = JustLut<Val>;

/// Filters of jaq's standard library left out: `env` would hand the filter the environment,
/// which holds the secret key (`--jq 'env.CLERK_SECRET_KEY'` must not print it).
const LEFT_OUT: &[&str] = &["env"];

/// jq's `@csv` and `@tsv`, which jaq's libraries leave to its command line: an array to one
/// row; strings quoted (csv, `"` doubled) or escaped (tsv: `\\`, tab, newline, return), numbers
/// and booleans as JSON, `null` empty, anything else an error.
const FORMATS: &str = r#"
def @csv:
  if isarray then . else error("cannot csv-format \(type), only an array") end
  | map(if isstring then "\"" + (split("\"") | join("\"\"")) + "\""
        elif . == null then ""
        elif isboolean or isnumber then tojson
        else error("cannot put \(type) in a csv row") end)
  | join(",");
def @tsv:
  if isarray then . else error("cannot tsv-format \(type), only an array") end
  | map(if isstring then
          split("\\") | join("\\\\") | split("\t") | join("\\t")
          | split("\n") | join("\\n") | split("\r") | join("\\r")
        elif . == null then ""
        elif isboolean or isnumber then tojson
        else error("cannot put \(type) in a tsv row") end)
  | join("\t");
"#;

/// A compiled `--jq` expression.
pub struct Jq {
    filter: jaq_core::Filter<Data>,
    /// Written for pages (`.[].id`, `.data[]`), which `--paginate` does not hand it.
    page_shaped: bool,
}

impl fmt::Debug for Jq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Jq")
    }
}

/// Why a run of the filter stopped before its last output.
#[derive(Debug)]
pub enum Stopped {
    /// Writing an output failed (a reader that left: `BrokenPipe`).
    Write(io::Error),
    /// The filter failed on this input (`.foo` on an array, `error("…")`): one line.
    Failed(String),
    /// `halt` or `halt_error` with this exit code (`halt_error` has written its message).
    Halt(i32),
}

impl Jq {
    /// Compile `expr` with jq's standard library (less [`LEFT_OUT`]). The error is one line
    /// naming the problem and, where jaq gives one, its column in the expression.
    pub fn compile(expr: &str) -> Result<Jq, String> {
        if expr.trim().is_empty() {
            return Err("--jq: the expression is empty (use '.' for the whole value)".into());
        }
        let formats = load::parse(FORMATS, |p| p.defs()).expect("the formats parse");
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs())
            .chain(formats);
        let funs = jaq_core::funs()
            .chain(jaq_std::funs().filter(|(name, ..)| !LEFT_OUT.contains(name)))
            .chain(jaq_json::funs());
        let arena = Arena::default();
        let file = File {
            code: expr,
            path: (),
        };
        let modules = Loader::new(defs)
            .load(&arena, file)
            .map_err(|errs| load_error(expr, errs))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errs| compile_error(expr, errs))?;
        let e = expr.trim_start();
        let page_shaped = e.starts_with(".[") || e.starts_with(".data") || e.starts_with("map(");
        Ok(Jq {
            filter,
            page_shaped,
        })
    }

    /// Said after a filter error with `--paginate` when the expression looks written for
    /// whole pages, as `gh api --paginate --jq` runs it.
    pub fn per_item_hint(&self) -> &'static str {
        if self.page_shaped {
            "; with --paginate the filter runs on each item, not on each page: '.id' rather than '.[].id'"
        } else {
            ""
        }
    }

    /// Run the filter on one JSON text and write each output as a line. Outputs before a
    /// failure are written (and the caller flushes them) before the failure is returned.
    pub fn run(&self, json: &[u8], out: &mut impl Write) -> Result<(), Stopped> {
        let input = jaq_json::read::parse_single(json)
            .map_err(|e| Stopped::Failed(format!("the input is not JSON ({e})")))?;
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        for y in self.filter.id.run((ctx, input)) {
            match y {
                Ok(v) => write_line(out, &v).map_err(Stopped::Write)?,
                Err(exn) => {
                    return Err(match exn.get_err() {
                        Ok(e) => Stopped::Failed(error_text(e)),
                        Err(exn) => match exn.get_halt() {
                            Ok(code) => Stopped::Halt(code),
                            Err(_) => Stopped::Failed("the filter stopped unexpectedly".into()),
                        },
                    });
                }
            }
        }
        Ok(())
    }
}

impl Stopped {
    /// What the command does at this stop: `Ok` ends it quietly with exit 0 (the reader of
    /// stdout left, or `halt`); the filter's failure or a nonzero halt is exit 1, its line
    /// followed by `about` (which item, a hint).
    pub fn settle(self, about: &str) -> anyhow::Result<()> {
        match self {
            Stopped::Write(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            Stopped::Write(e) => Err(anyhow::Error::new(e).context("writing the output failed")),
            Stopped::Halt(0) => Ok(()),
            Stopped::Halt(code) => Err(fail(
                Exit::Other,
                format!("--jq: the filter halted with exit code {code}{about}"),
            )),
            Stopped::Failed(why) => Err(fail(Exit::Other, format!("--jq: {why}{about}"))),
        }
    }
}

/// `col N` of `part` in `expr` (1-based, in characters), when `part` is a slice of `expr`.
fn column(expr: &str, part: &str) -> Option<usize> {
    let (start, p) = (expr.as_ptr() as usize, part.as_ptr() as usize);
    (p >= start && p + part.len() <= start + expr.len())
        .then(|| expr[..p - start].chars().count() + 1)
}

/// `at column N, found 'x'` or `at the end`.
fn place(expr: &str, found: &str) -> String {
    match column(expr, found) {
        Some(_) if found.is_empty() => "at the end of the expression".into(),
        Some(c) => {
            let shown: String = found.chars().take(20).collect();
            format!("at column {c}, found '{shown}'")
        }
        None => "in the expression".into(),
    }
}

/// `unexpected ']' at column 6`.
fn unexpected(expr: &str, found: &str) -> String {
    let shown: String = found.chars().take(20).collect();
    match column(expr, found) {
        Some(c) => format!("syntax error: unexpected '{shown}' at column {c}"),
        None => format!("syntax error: unexpected '{shown}'"),
    }
}

fn load_error(expr: &str, errs: load::Errors<&str, ()>) -> String {
    let why = errs
        .into_iter()
        .find_map(|(_, e)| match e {
            // jaq's "expected token" / "expected nothing": a character or token out of place.
            load::Error::Lex(v) => v.first().map(|(expect, found)| match expect {
                load::lex::Expect::Token => unexpected(expr, found),
                _ => format!(
                    "syntax error: expected {} {}",
                    expect.as_str(),
                    place(expr, found)
                ),
            }),
            load::Error::Parse(v) => v.first().map(|(expect, found)| match expect {
                load::parse::Expect::Nothing => unexpected(expr, found),
                _ => format!(
                    "syntax error: expected {} {}",
                    expect.as_str(),
                    place(expr, found)
                ),
            }),
            load::Error::Io(v) => v.first().map(|(path, _)| {
                format!("cannot import or include \"{path}\": no modules are loaded")
            }),
        })
        .unwrap_or_else(|| "syntax error".into());
    format!("--jq: {why}")
}

fn compile_error(expr: &str, errs: jaq_core::compile::Errors<&str, ()>) -> String {
    let Some((name, undefined)) = errs.into_iter().flat_map(|(_, e)| e).next() else {
        return "--jq: the expression does not compile".into();
    };
    let col = column(expr, name).map_or(String::new(), |c| format!(" at column {c}"));
    if name == "env" || name == "$ENV" {
        return format!("--jq: {name}{col} is not available: the environment holds the secret key");
    }
    match undefined {
        // `map` alone: map/1 exists, map/0 does not.
        jaq_core::compile::Undefined::Filter(arity) => {
            format!("--jq: unknown filter '{name}/{arity}'{col}")
        }
        other => format!("--jq: unknown {} '{name}'{col}", other.as_str()),
    }
}

/// The filter's error as one line: a string raw (`error("no email")`), anything else as jq
/// writes it; on one line and cut short (it may quote a whole user), with the server's text
/// made printable.
fn error_text(e: jaq_core::Error<Val>) -> String {
    match e.into_val() {
        Val::TStr(s) | Val::BStr(s) => crate::ui::clean(&String::from_utf8_lossy(&s)),
        v => crate::ui::clean(&v.to_string()),
    }
}

/// One output on one line: a string's bytes as they are, anything else compact JSON.
fn write_line(out: &mut impl Write, v: &Val) -> io::Result<()> {
    match v {
        Val::TStr(s) | Val::BStr(s) => out.write_all(s)?,
        _ => {
            let mut buf = Vec::new();
            write_json(&mut buf, v);
            out.write_all(&buf)?;
        }
    }
    out.write_all(b"\n")
}

/// Compact JSON, always valid: numbers JSON cannot hold as jq writes them (NaN as `null`, the
/// infinities as the largest finite double; jaq would write `NaN`, `Infinity`), strings that are
/// not UTF-8 (byte strings from `tobytes`) with U+FFFD for what is not, and an object key that is
/// not a string as the string of its JSON (jaq allows `{(1): 2}`; jq does not).
fn write_json(out: &mut Vec<u8>, v: &Val) {
    let string = |out: &mut Vec<u8>, bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        serde_json::to_writer(out, text.as_ref()).expect("writing to memory");
    };
    match v {
        Val::Null => out.extend_from_slice(b"null"),
        Val::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Val::Num(Num::Float(f)) if f.is_nan() => out.extend_from_slice(b"null"),
        Val::Num(Num::Float(f)) if f.is_infinite() => {
            let max = Num::Float(f64::MAX.copysign(*f));
            out.extend_from_slice(max.to_string().as_bytes());
        }
        Val::Num(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Val::TStr(s) | Val::BStr(s) => string(out, s),
        Val::Arr(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, x);
            }
            out.push(b']');
        }
        Val::Obj(o) => {
            out.push(b'{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match k {
                    Val::TStr(s) | Val::BStr(s) => string(out, s),
                    other => {
                        let mut key = Vec::new();
                        write_json(&mut key, other);
                        string(out, &key);
                    }
                }
                out.push(b':');
                write_json(out, x);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(expr: &str, input: &str) -> (String, Result<(), Stopped>) {
        let jq = Jq::compile(expr).unwrap();
        let mut out = Vec::new();
        let r = jq.run(input.as_bytes(), &mut out);
        (String::from_utf8(out).unwrap(), r)
    }

    #[test]
    fn strings_are_raw_and_the_rest_compact_json_one_per_line() {
        let body =
            r#"{"data":[{"id":"org_1","n":1.50},{"id":"org_2","n":[1, 2]}],"total_count":2}"#;
        assert_eq!(lines(".data[].id", body).0, "org_1\norg_2\n");
        assert_eq!(
            lines(".data[]", body).0,
            "{\"id\":\"org_1\",\"n\":1.50}\n{\"id\":\"org_2\",\"n\":[1,2]}\n"
        );
        assert_eq!(lines(".total_count", body).0, "2\n");
        assert_eq!(lines("[.data[].id]", body).0, "[\"org_1\",\"org_2\"]\n");
        assert_eq!(
            lines(r#""a\nb", "tab\there""#, "null").0,
            "a\nb\ntab\there\n"
        );
        assert_eq!(lines("empty", body).0, "");
        // jq's standard library is there.
        assert_eq!(
            lines(r#".data | map(select(.id | test("2$"))) | length"#, body).0,
            "1\n"
        );
        // What docs/api.md names: formats, dates.
        assert_eq!(
            lines(r#"[.data[].id, 1] | @tsv, @csv"#, body).0,
            "org_1\torg_2\t1\n\"org_1\",\"org_2\",1\n"
        );
        assert_eq!(lines("0 | todate", "null").0, "1970-01-01T00:00:00Z\n");
        assert_eq!(
            lines(
                r#"["a\"b", "t\tn\n\\", null, true, 1.5] | @csv, @tsv"#,
                "null"
            )
            .0,
            "\"a\"\"b\",\"t\tn\n\\\",,true,1.5\na\"b\tt\\tn\\n\\\\\t\ttrue\t1.5\n"
        );
        assert!(
            matches!(lines("{} | @csv", "null").1, Err(Stopped::Failed(e)) if e.contains("only an array"))
        );
        assert_eq!(
            lines("0/0, 1/0, -1/0", "null").0,
            "null\n1.7976931348623157e308\n-1.7976931348623157e308\n"
        );
        // Always JSON: byte strings inside a value, keys that are not strings.
        assert_eq!(
            lines(r#"[("a\u0000\"" | tobytes)], {(1): 2}"#, "null").0,
            "[\"a\\u0000\\\"\"]\n{\"1\":2}\n"
        );
    }

    #[test]
    fn a_runtime_error_comes_after_the_outputs_before_it() {
        let (out, r) = lines(".id, (.id | .foo)", r#"{"id":"user_1"}"#);
        assert_eq!(out, "user_1\n");
        match r {
            Err(Stopped::Failed(e)) => assert!(e.contains("cannot index"), "{e}"),
            other => panic!("{other:?}"),
        }
        match lines(r#"error("no email for \(.id)")"#, r#"{"id":"u"}"#).1 {
            Err(Stopped::Failed(e)) => assert_eq!(e, "no email for u"),
            other => panic!("{other:?}"),
        }
        let long = format!("\"{}\"", "x".repeat(5000));
        match lines("error", &long).1 {
            Err(Stopped::Failed(e)) => assert_eq!(e.chars().count(), crate::ui::MAX_SHOWN + 1),
            other => panic!("{other:?}"),
        }
        assert!(matches!(lines("1, halt, 2", "null"), (o, Err(Stopped::Halt(0))) if o == "1\n"));
        assert!(
            matches!(lines("\"bye\\n\" | halt_error", "null"), (o, Err(Stopped::Halt(5))) if o.is_empty())
        );
        assert!(Stopped::Halt(0).settle("").is_ok());
        let e = Stopped::Halt(5).settle("").unwrap_err();
        assert_eq!(crate::error::exit_of(&e), Exit::Other);
        let e = Stopped::Failed("boom".into())
            .settle(" (item u)")
            .unwrap_err();
        assert_eq!(crate::error::exit_of(&e), Exit::Other);
        assert_eq!(e.to_string(), "--jq: boom (item u)");
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(Stopped::Write(pipe).settle("").is_ok());
    }

    #[test]
    fn a_bad_expression_is_one_line_with_its_column() {
        for (expr, want) in [
            (
                ".[] |",
                "--jq: syntax error: expected term at the end of the expression",
            ),
            (".a | ]", "--jq: syntax error: unexpected ']' at column 6"),
            (
                ".a || .b",
                "--jq: syntax error: unexpected '||' at column 4",
            ),
            (
                ".a | .b c",
                "--jq: syntax error: unexpected 'c' at column 9",
            ),
            ("{a: 1", "--jq: syntax error: expected closing brace"),
            (
                "map(.id",
                "--jq: syntax error: expected closing parenthesis",
            ),
            (
                ".a | frobnicate",
                "--jq: unknown filter 'frobnicate/0' at column 6",
            ),
            ("map", "--jq: unknown filter 'map/0' at column 1"),
            ("$nope", "--jq: unknown variable '$nope' at column 1"),
            (
                "env.CLERK_SECRET_KEY",
                "--jq: env at column 1 is not available",
            ),
            (
                "$ENV.CLERK_SECRET_KEY",
                "--jq: $ENV at column 1 is not available",
            ),
            (
                "import \"x\" as x; .",
                "--jq: cannot import or include \"x\"",
            ),
            ("inputs", "--jq: unknown filter 'inputs/0' at column 1"),
            ("  ", "--jq: the expression is empty"),
        ] {
            let e = Jq::compile(expr).unwrap_err();
            assert!(e.starts_with(want), "{expr}: {e}");
            assert!(!e.contains('\n'), "{expr}: {e}");
        }
    }
}
