//! JSON Schema validation for the tests, by the maintained `jsonschema` crate (every keyword of
//! drafts 4 to 2020-12: anyOf, oneOf, pattern, format, $ref, ...): the User schema extracted
//! from Clerk's spec (tests/it/data/user.schema.json) and the schemas of clerk-rl's own `--json`
//! outputs (docs/schema/*.json). Formats are checked (`date-time`, `uri`, ...; OpenAPI's
//! `int64` is not a JSON Schema format and is left to `type`). OpenAPI 3.0's `nullable: true`,
//! which JSON Schema does not know, is rewritten to `anyOf: [{type: null}, the schema]` first.

use serde_json::Value;

pub struct Schema {
    root: Value,
    validator: jsonschema::Validator,
}

impl Schema {
    /// A schema from its text (extracted by scripts/extract-user-schema.py, or our own).
    #[allow(dead_code)]
    pub fn load(text: &str) -> Self {
        Self::from_value(serde_json::from_str(text).expect("the schema is JSON"))
    }

    #[allow(dead_code)]
    pub fn user() -> Self {
        Self::load(include_str!("../data/user.schema.json"))
    }

    /// A schema of clerk-rl's own output, from docs/schema/NAME.json.
    #[allow(dead_code)]
    pub fn output(name: &str) -> Self {
        let path = format!("{}/docs/schema/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Self::from_value(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}")))
    }

    fn from_value(root: Value) -> Self {
        let mut schema = root.clone();
        nullable_to_any_of(&mut schema);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("not a valid JSON Schema: {e}"));
        Schema { root, validator }
    }

    /// The schema as written.
    #[allow(dead_code)]
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// Every violation, as `path: problem`.
    pub fn validate(&self, v: &Value) -> Vec<String> {
        self.validator
            .iter_errors(v)
            .map(|e| format!("${}: {e}", e.instance_path()))
            .collect()
    }
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema says it: null, or what the schema allows.
fn nullable_to_any_of(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                nullable_to_any_of(child);
            }
            if m.get("nullable") == Some(&Value::Bool(true)) {
                m.remove("nullable");
                let rest = Value::Object(std::mem::take(m));
                m.insert("anyOf".into(), serde_json::json!([{"type": "null"}, rest]));
            } else {
                m.remove("nullable");
            }
        }
        Value::Array(a) => a.iter_mut().for_each(nullable_to_any_of),
        _ => {}
    }
}

/// Every object key in `v` (at any depth) that is not snake_case, with its path.
#[allow(dead_code)]
pub fn non_snake_keys(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                if !is_snake(k) {
                    out.push(format!("{path}.{k}"));
                }
                non_snake_keys(val, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                non_snake_keys(item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// `lower_case_words` joined by single underscores, digits allowed after the first letter.
#[allow(dead_code)]
pub fn is_snake(k: &str) -> bool {
    k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.split('_').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}
