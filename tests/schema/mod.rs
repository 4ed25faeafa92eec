//! A JSON Schema subset validator, enough for the User schema extracted from Clerk's spec
//! (tests/data/user.schema.json): type, nullable (OpenAPI 3.0), enum, required, properties,
//! additionalProperties, items, oneOf, allOf, $ref. `pattern` and `format` are not checked.

use serde_json::Value;

pub struct Schema {
    root: Value,
}

impl Schema {
    pub fn user() -> Self {
        let text = include_str!("../data/user.schema.json");
        Schema {
            root: serde_json::from_str(text).expect("user.schema.json is JSON"),
        }
    }

    /// Every violation, as `path: problem`.
    pub fn validate(&self, v: &Value) -> Vec<String> {
        let mut errs = Vec::new();
        self.check(&self.root, v, "$", &mut errs);
        errs
    }

    fn resolve<'a>(&'a self, s: &'a Value) -> &'a Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r
                    .strip_prefix("#/definitions/")
                    .unwrap_or_else(|| panic!("unsupported $ref {r}"));
                let target = &self.root["definitions"][name];
                assert!(!target.is_null(), "missing definition {name}");
                self.resolve(target)
            }
            None => s,
        }
    }

    fn check(&self, schema: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
        let s = self.resolve(schema);
        if v.is_null() && s.get("nullable").and_then(Value::as_bool) == Some(true) {
            return;
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check(sub, v, path, errs);
            }
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let matching = one
                .iter()
                .filter(|sub| {
                    let mut e = Vec::new();
                    self.check(sub, v, path, &mut e);
                    e.is_empty()
                })
                .count();
            if matching != 1 {
                errs.push(format!(
                    "{path}: matches {matching} of the oneOf schemas, not 1"
                ));
            }
        }
        if let Some(t) = s.get("type").and_then(Value::as_str) {
            let ok = match t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "boolean" => v.is_boolean(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                other => panic!("unsupported type {other}"),
            };
            if !ok {
                errs.push(format!("{path}: {v} is not of type {t}"));
                return;
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            errs.push(format!("{path}: {v} is not one of {e:?}"));
        }
        if let Some(obj) = v.as_object() {
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().unwrap();
                if !obj.contains_key(r) {
                    errs.push(format!("{path}: required field {r} is missing"));
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (k, val) in obj {
                let p = format!("{path}.{k}");
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => self.check(ps, val, &p, errs),
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errs.push(format!("{p}: not a property the schema allows"))
                        }
                        Some(extra @ Value::Object(_)) => self.check(extra, val, &p, errs),
                        _ => {}
                    },
                }
            }
        }
        if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
            for (i, item) in arr.iter().enumerate() {
                self.check(items, item, &format!("{path}[{i}]"), errs);
            }
        }
    }
}
