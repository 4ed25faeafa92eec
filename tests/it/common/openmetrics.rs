//! A strict enough reader of OpenMetrics text for the tests: every line a descriptor, a sample
//! of the family last described (with the suffixes its type allows) or the final `# EOF`.

use std::collections::BTreeMap;

/// One sample: its full name, labels as written, value.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: String,
    pub value: f64,
}

/// The families of a scrape: name -> (type, samples). Panics, naming the line, on anything
/// that is not OpenMetrics.
pub fn parse(text: &str) -> BTreeMap<String, (String, Vec<Sample>)> {
    let mut families: BTreeMap<String, (String, Vec<Sample>)> = BTreeMap::new();
    let mut current: Option<String> = None;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "no final # EOF:\n{text}");
    assert!(text.ends_with('\n'), "no final newline");
    for line in &lines[..lines.len() - 1] {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name, arg) = (parts.next().unwrap(), parts.next(), parts.next());
            let name = name.unwrap_or_else(|| panic!("descriptor without a name: {line}"));
            assert!(valid_name(name), "bad metric name in {line}");
            match kind {
                "TYPE" => {
                    let t = arg.unwrap_or_else(|| panic!("TYPE without a type: {line}"));
                    assert!(
                        [
                            "counter",
                            "gauge",
                            "histogram",
                            "info",
                            "summary",
                            "unknown",
                            "stateset",
                            "gaugehistogram"
                        ]
                        .contains(&t),
                        "unknown type in {line}"
                    );
                    assert!(
                        !families.contains_key(name) || families[name].0.is_empty(),
                        "family described twice: {name}"
                    );
                    families.entry(name.to_string()).or_default().0 = t.to_string();
                    current = Some(name.to_string());
                }
                "HELP" | "UNIT" => {
                    families.entry(name.to_string()).or_default();
                    current = Some(name.to_string());
                    if kind == "UNIT" {
                        let unit = arg.unwrap_or("");
                        assert!(
                            name.ends_with(&format!("_{unit}")),
                            "{name} does not end in its unit: {line}"
                        );
                    }
                }
                _ => panic!("unknown descriptor: {line}"),
            }
            continue;
        }
        let family = current
            .clone()
            .unwrap_or_else(|| panic!("sample before any descriptor: {line}"));
        let (name_labels, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let (name, labels) = match name_labels.split_once('{') {
            Some((n, l)) => {
                assert!(l.ends_with('}'), "unclosed labels: {line}");
                (n, l[..l.len() - 1].to_string())
            }
            None => (name_labels, String::new()),
        };
        for pair in split_labels(&labels) {
            let (k, v) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("bad label {pair:?}: {line}"));
            assert!(valid_name(k), "bad label name {k:?}: {line}");
            assert!(
                v.starts_with('"') && v.ends_with('"') && v.len() >= 2,
                "unquoted label value: {line}"
            );
        }
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value {v:?}: {line}")),
        };
        let (kind, samples) = families.get_mut(&family).unwrap();
        let allowed: Vec<String> = match kind.as_str() {
            "counter" => vec![format!("{family}_total"), format!("{family}_created")],
            "histogram" => ["_bucket", "_sum", "_count", "_created"]
                .iter()
                .map(|s| format!("{family}{s}"))
                .collect(),
            "info" => vec![format!("{family}_info")],
            _ => vec![family.clone()],
        };
        assert!(
            allowed.contains(&name.to_string()),
            "{name} does not belong to the {kind} {family}: {line}"
        );
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    families
}

fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `a="x",b="y,z"` split at the commas outside quotes.
fn split_labels(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut cur, mut quoted, mut escaped) = (String::new(), false, false);
    for c in s.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The value of the sample `name` whose labels contain every one of `labels` (`k="v"`), summed
/// over the samples that match.
pub fn value(
    families: &BTreeMap<String, (String, Vec<Sample>)>,
    name: &str,
    labels: &[&str],
) -> Option<f64> {
    let mut found = None;
    for (_, samples) in families.values() {
        for s in samples.iter().filter(|s| s.name == name) {
            if labels.iter().all(|l| s.labels.split(',').any(|p| p == *l)) {
                *found.get_or_insert(0.0) += s.value;
            }
        }
    }
    found
}
