//! Organizations and invitations the sandbox holds: generated from the seed, then created.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::users::mix;

/// 2023-01-01T00:00:00Z: generated organizations are created from then on.
const EPOCH_MS: i64 = 1_672_531_200_000;
const NAMES: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Aperture",
    "Vandelay",
];

fn base62_id(prefix: &str, mut h: u64, salt: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut s = String::from(prefix);
    for i in 0..27u64 {
        if i % 10 == 0 {
            h = mix(h ^ salt.wrapping_add(i));
        }
        s.push(ALPHABET[(h % 62) as usize] as char);
        h /= 62;
    }
    s
}

#[derive(Debug)]
pub struct OrgStore {
    seed: u64,
    pub(super) orgs: Vec<Map<String, Value>>,
    pub(super) invitations: Vec<Value>,
    pub(super) pending_emails: HashSet<String>,
    created: u64,
}

impl OrgStore {
    /// `n` generated organizations, the same for the same seed.
    pub fn new(seed: u64, n: u64) -> Self {
        let mut orgs = Vec::with_capacity(n as usize);
        for i in 0..n {
            let h = mix(seed ^ mix(i ^ 0x6f72_6700));
            // About one a day, some sharing a millisecond as real instances have.
            let created_at =
                EPOCH_MS + (i as i64 / 2) * 86_400_000 + (h % 1000) as i64 * (i as i64 % 2);
            let name = format!("{} {}", NAMES[(h % NAMES.len() as u64) as usize], i + 1);
            orgs.push(org_object(
                base62_id("org_", h, seed),
                &name,
                None,
                Map::new(),
                Map::new(),
                created_at,
            ));
        }
        OrgStore {
            seed,
            orgs,
            invitations: Vec::new(),
            pending_emails: HashSet::new(),
            created: 0,
        }
    }

    pub(super) fn next_id(&mut self, prefix: &str) -> String {
        self.created += 1;
        base62_id(
            prefix,
            mix(self.seed ^ self.created ^ 0x6e65_7700),
            self.created,
        )
    }
}

fn slugify(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_matches('-').to_string()
}

pub(super) fn org_object(
    id: String,
    name: &str,
    slug: Option<String>,
    public_metadata: Map<String, Value>,
    private_metadata: Map<String, Value>,
    created_at: i64,
) -> Map<String, Value> {
    let slug = slug.unwrap_or_else(|| format!("{}-{}", slugify(name), &id[4..10].to_lowercase()));
    let v = json!({
        "object": "organization",
        "id": id,
        "name": name,
        "slug": slug,
        "image_url": "",
        "has_image": false,
        "members_count": 0,
        "pending_invitations_count": 0,
        "max_allowed_memberships": 5,
        "admin_delete_enabled": true,
        "public_metadata": public_metadata,
        "private_metadata": private_metadata,
        "created_at": created_at,
        "updated_at": created_at,
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}
