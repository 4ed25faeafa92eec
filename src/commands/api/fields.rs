//! `-f KEY=VALUE` and `-F KEY=VALUE` as `gh api` reads them: query parameters for a GET, a JSON
//! body otherwise, with `key[sub]=v` nesting and `key[]=v` appending.

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

/// One field: its key path (`public_metadata[plan]` is `["public_metadata", "plan"]`, `[]`
/// appends) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The key as written, for a query parameter.
    pub raw_key: String,
    pub path: Vec<Option<String>>,
    pub value: Value,
}

/// Parse `KEY=VALUE`; `typed` for `-F` (true, false, null, integers that fit 64 bits, `@FILE`).
pub fn parse(s: &str, typed: bool) -> Result<Field, String> {
    let flag = if typed { "-F" } else { "-f" };
    let (key, raw) = s
        .split_once('=')
        .ok_or_else(|| format!("{flag} {s:?} is not KEY=VALUE"))?;
    let path = key_path(key)
        .ok_or_else(|| format!("{flag} {s:?}: {key:?} is not a key (name, name[sub] or name[])"))?;
    let value = if typed {
        typed_value(raw).map_err(|e| format!("{flag} {s:?}: {e}"))?
    } else {
        Value::String(raw.to_string())
    };
    Ok(Field {
        raw_key: key.to_string(),
        path,
        value,
    })
}

/// `a[b][]` -> `[Some(a), Some(b), None]`.
fn key_path(key: &str) -> Option<Vec<Option<String>>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return None;
    }
    let mut path = vec![Some(head.to_string())];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        let name = &inner[..end];
        if name.contains('[') {
            return None;
        }
        path.push((!name.is_empty()).then(|| name.to_string()));
        rest = &inner[end + 1..];
    }
    // Appending is only meaningful at the end.
    if path[..path.len() - 1].iter().any(Option::is_none) {
        return None;
    }
    Some(path)
}

fn typed_value(raw: &str) -> Result<Value, String> {
    match raw {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "null" => return Ok(Value::Null),
        _ => {}
    }
    if let Some(file) = raw.strip_prefix('@') {
        let text = read_source(file)?;
        return Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)));
    }
    // Integers only, and only those that fit, as gh does: a float (1e3, 0.5) or a 20-digit id
    // through f64 would reach the server as another number (1000.0, 1.2345678901234567e19).
    if let Ok(i) = raw.parse::<i64>() {
        return Ok(Value::from(i));
    }
    if let Ok(u) = raw.parse::<u64>() {
        return Ok(Value::from(u));
    }
    Ok(Value::String(raw.to_string()))
}

/// A file's content, or stdin's for `-`.
pub fn read_source(file: &str) -> Result<String, String> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(s);
    }
    std::fs::read_to_string(Path::new(file)).map_err(|e| format!("cannot read {file}: {e}"))
}

/// The fields as query parameters, in order; non-string values as their JSON text.
pub fn query(fields: &[Field]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|f| {
            let v = match &f.value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (f.raw_key.clone(), v)
        })
        .collect()
}

/// The fields as one JSON object; a later field with the same key wins.
pub fn body(fields: &[Field]) -> Result<Value, String> {
    let mut root = Value::Object(Map::new());
    for f in fields {
        insert(&mut root, &f.path, f.value.clone())
            .map_err(|e| format!("field {:?}: {e}", f.raw_key))?;
    }
    Ok(root)
}

fn insert(at: &mut Value, path: &[Option<String>], value: Value) -> Result<(), String> {
    let Some((head, rest)) = path.split_first() else {
        *at = value;
        return Ok(());
    };
    match head {
        Some(name) => {
            if !at.is_object() {
                return Err(format!("{name:?} is set both as a value and as an object"));
            }
            let m = at.as_object_mut().expect("checked");
            let slot = m.entry(name.clone()).or_insert(Value::Null);
            if slot.is_null() && !rest.is_empty() {
                *slot = match rest[0] {
                    Some(_) => Value::Object(Map::new()),
                    None => Value::Array(Vec::new()),
                };
            }
            insert(slot, rest, value)
        }
        None => match at {
            Value::Array(a) => {
                a.push(value);
                Ok(())
            }
            _ => Err("[] appends to an array, but the key holds something else".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_and_typed_fields_build_nested_bodies() {
        let fs = [
            parse("name=Acme", false).unwrap(),
            parse("count=3", false).unwrap(),
            parse("seats=3", true).unwrap(),
            parse("ratio=0.5", true).unwrap(),
            parse("ok=true", true).unwrap(),
            parse("gone=null", true).unwrap(),
            parse("version=1.2.3", true).unwrap(),
            parse("public_metadata[plan]=pro", false).unwrap(),
            parse("public_metadata[limits][api]=10", true).unwrap(),
            parse("tags[]=a", false).unwrap(),
            parse("tags[]=b", false).unwrap(),
            parse("empty=", false).unwrap(),
        ];
        assert_eq!(
            body(&fs).unwrap(),
            json!({
                "name": "Acme", "count": "3", "seats": 3, "ratio": "0.5", "ok": true,
                "gone": null, "version": "1.2.3",
                "public_metadata": {"plan": "pro", "limits": {"api": 10}},
                "tags": ["a", "b"], "empty": ""
            })
        );
        assert_eq!(
            query(&fs[..3]),
            vec![
                ("name".to_string(), "Acme".to_string()),
                ("count".into(), "3".into()),
                ("seats".into(), "3".into())
            ]
        );
    }

    #[test]
    fn typed_fields_are_integers_that_fit_or_strings_as_in_gh() {
        let v = |raw: &str| parse(&format!("x={raw}"), true).unwrap().value;
        assert_eq!(v("-9223372036854775808"), json!(i64::MIN));
        assert_eq!(v("18446744073709551615"), json!(u64::MAX));
        for kept in [
            "1e3",
            "1.5",
            "18446744073709551616",
            "12345678901234567890123",
            "NaN",
            "inf",
            "0x10",
            "",
        ] {
            assert_eq!(v(kept), json!(kept), "{kept}");
        }
        assert_eq!(v("12345678901234567890"), json!(12345678901234567890u64));
    }

    #[test]
    fn files_are_read_as_json_when_they_are_json() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("m.json");
        std::fs::write(&j, r#"{"plan":"pro"}"#).unwrap();
        let t = dir.path().join("note.txt");
        std::fs::write(&t, "hello\n").unwrap();
        let f = parse(&format!("public_metadata=@{}", j.display()), true).unwrap();
        assert_eq!(f.value, json!({"plan": "pro"}));
        let f = parse(&format!("note=@{}", t.display()), true).unwrap();
        assert_eq!(f.value, json!("hello\n"));
        assert!(
            parse("x=@/no/such/file", true)
                .unwrap_err()
                .contains("cannot read")
        );
        // -f never reads files.
        assert_eq!(
            parse("x=@/no/such/file", false).unwrap().value,
            json!("@/no/such/file")
        );
    }

    #[test]
    fn bad_fields_are_refused_with_their_text() {
        for bad in ["novalue", "=v", "a[b=v", "a[]b=v", "a[][b]=v"] {
            let e = parse(bad, false).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
        let clash = [
            parse("a=1", false).unwrap(),
            parse("a[b]=2", false).unwrap(),
        ];
        assert!(body(&clash).unwrap_err().contains("both"));
    }
}
