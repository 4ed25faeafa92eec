//! Generated users: user `i` is a pure function of `(seed, n, i)`, computed in O(1) on demand,
//! so a sandbox of a million users costs no memory until someone asks for them.
//!
//! Ids are KSUID-shaped like Clerk's (`user_` + 27 base62 chars = 20 bytes: a 4-byte timestamp and
//! a 16-byte payload). The payload is a keyed Feistel permutation of the index plus a keyed check
//! word, so an id decodes back to its index without any map, and a made-up id fails the check.

use serde_json::{Map, Value, json};

/// 2023-01-01T00:00:00Z and 2026-01-01T00:00:00Z: generated users are created in between, on a
/// fixed calendar so the same seed gives the same users whatever day the sandbox starts.
pub const EPOCH_START_MS: i64 = 1_672_531_200_000;
pub const EPOCH_END_MS: i64 = 1_767_225_600_000;

/// KSUID timestamps count seconds from this Unix time.
const KSUID_EPOCH: i64 = 1_400_000_000;

/// Users are laid out in blocks of this many indices; some blocks hold a run of users created in
/// the same millisecond, which cursor pagination has to get right.
const BLOCK: u64 = 8;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const FIRST_NAMES: &[&str] = &[
    "Ava",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Oliver",
    "Amelia",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "William",
    "Mia",
    "Benjamin",
    "Charlotte",
    "Lucas",
    "Harper",
    "Henry",
    "Evelyn",
    "Theodore",
    "Luna",
    "Jack",
    "Camila",
    "Levi",
    "Gianna",
    "Alexander",
    "Elizabeth",
    "Jackson",
    "Eleanor",
    "Mateo",
    "Ella",
    "Daniel",
    "Abigail",
    "Michael",
    "Sofia",
    "Mason",
    "Avery",
    "Sebastian",
    "Scarlett",
    "Ethan",
    "Emily",
    "Logan",
    "Aria",
    "Owen",
    "Penelope",
    "Samuel",
    "Chloe",
    "Jacob",
    "Layla",
    "Asher",
    "Mila",
    "Aiden",
    "Nora",
    "John",
    "Hazel",
    "Joseph",
    "Madison",
    "Wyatt",
    "Ellie",
    "David",
    "Lily",
    "Leo",
    "Nova",
    "Priya",
    "Wei",
    "Aisha",
    "Kenji",
    "Fatima",
    "Mateus",
    "Ingrid",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Patel",
    "Kim",
    "Chen",
    "Singh",
    "Muller",
    "Rossi",
    "Silva",
    "Tanaka",
    "Kowalski",
    "Novak",
    "Larsen",
    "Dubois",
];

const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
];

/// splitmix64's finalizer: a fast, well-mixed 64-bit hash.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn mix2(a: u64, b: u64) -> u64 {
    mix(a ^ mix(b))
}

/// Tags that keep the hash streams of different purposes apart.
const TAG_FEISTEL: u64 = 0x6665_6973_7465_6c00;
const TAG_CHECK: u64 = 0x6368_6563_6b00_0000;
const TAG_EMAIL: u64 = 0x656d_6169_6c00_0000;
const TAG_PHONE: u64 = 0x7068_6f6e_6500_0000;
const TAG_FIELDS: u64 = 0x6669_656c_6473_0000;
const TAG_TIME: u64 = 0x7469_6d65_0000_0000;

const FEISTEL_ROUNDS: u64 = 4;

fn feistel_round(seed: u64, round: u64, half: u32) -> u32 {
    mix2(seed ^ TAG_FEISTEL ^ round, half as u64) as u32
}

/// A keyed bijection on u64: consecutive indices get unrelated-looking ids.
pub fn permute(seed: u64, x: u64) -> u64 {
    let (mut l, mut r) = ((x >> 32) as u32, x as u32);
    for round in 0..FEISTEL_ROUNDS {
        let next = l ^ feistel_round(seed, round, r);
        l = r;
        r = next;
    }
    ((l as u64) << 32) | r as u64
}

pub fn unpermute(seed: u64, y: u64) -> u64 {
    let (mut l, mut r) = ((y >> 32) as u32, y as u32);
    for round in (0..FEISTEL_ROUNDS).rev() {
        let prev = r ^ feistel_round(seed, round, l);
        r = l;
        l = prev;
    }
    ((l as u64) << 32) | r as u64
}

/// 20 bytes as 27 base62 digits, most significant first (KSUID's text form).
fn base62_encode(bytes: [u8; 20]) -> String {
    let mut num = bytes.to_vec();
    let mut out = [b'0'; 27];
    for slot in out.iter_mut().rev() {
        let mut rem = 0u32;
        for b in num.iter_mut() {
            let acc = (rem << 8) | *b as u32;
            *b = (acc / 62) as u8;
            rem = acc % 62;
        }
        *slot = BASE62[rem as usize];
    }
    String::from_utf8(out.to_vec()).expect("base62 is ascii")
}

fn base62_decode(s: &str) -> Option<[u8; 20]> {
    if s.len() != 27 {
        return None;
    }
    let mut num = [0u8; 20];
    for c in s.bytes() {
        let d = BASE62.iter().position(|&x| x == c)? as u32;
        let mut carry = d;
        for b in num.iter_mut().rev() {
            let acc = *b as u32 * 62 + carry;
            *b = acc as u8;
            carry = acc >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(num)
}

fn ksuid(created_at_ms: i64, payload_hi: u64, payload_lo: u64) -> String {
    let ts = (created_at_ms / 1000 - KSUID_EPOCH).clamp(0, u32::MAX as i64) as u32;
    let mut bytes = [0u8; 20];
    bytes[..4].copy_from_slice(&ts.to_be_bytes());
    bytes[4..12].copy_from_slice(&payload_hi.to_be_bytes());
    bytes[12..].copy_from_slice(&payload_lo.to_be_bytes());
    base62_encode(bytes)
}

/// The id of the user at `index` created at `created_at_ms`.
pub fn user_id(seed: u64, index: u64, created_at_ms: i64) -> String {
    let p = permute(seed, index);
    format!(
        "user_{}",
        ksuid(created_at_ms, p, mix2(seed ^ TAG_CHECK, p))
    )
}

/// The index a user id stands for, if it is one this seed could have issued. The caller still
/// compares the whole id (its timestamp part) with the user's.
pub fn decode_user_id(seed: u64, id: &str) -> Option<u64> {
    let bytes = base62_decode(id.strip_prefix("user_")?)?;
    let p = u64::from_be_bytes(bytes[4..12].try_into().ok()?);
    let check = u64::from_be_bytes(bytes[12..].try_into().ok()?);
    (check == mix2(seed ^ TAG_CHECK, p)).then(|| unpermute(seed, p))
}

fn ident_id(seed: u64, tag: u64, index: u64, slot: u64, created_at_ms: i64) -> String {
    let p = permute(seed ^ tag, index);
    format!(
        "idn_{}",
        ksuid(created_at_ms, p, mix2(seed ^ tag ^ slot, p))
    )
}

/// How a contact (email address, phone number) was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// By a one-time code (`email_code` or `phone_code`), at some time.
    Otp {
        strategy: &'static str,
        expire_at: i64,
    },
    /// Created through the Backend API, which marks contacts verified by the admin.
    Admin,
}

impl Verification {
    fn to_json(&self) -> Value {
        match self {
            Verification::Otp {
                strategy,
                expire_at,
            } => json!({
                "object": "verification_otp",
                "status": "verified",
                "strategy": strategy,
                "attempts": 1,
                "expire_at": expire_at,
            }),
            Verification::Admin => json!({
                "object": "verification_admin",
                "status": "verified",
                "strategy": "admin",
                "attempts": null,
                "expire_at": null,
            }),
        }
    }
}

/// An email address or phone number of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub value: String,
    pub verification: Verification,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Everything the sandbox knows about one user; `to_json` renders Clerk's User object.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub index: u64,
    pub id: String,
    pub external_id: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub emails: Vec<Contact>,
    pub phones: Vec<Contact>,
    pub password_enabled: bool,
    pub two_factor_enabled: bool,
    pub mfa_enabled_at: Option<i64>,
    pub public_metadata: Map<String, Value>,
    pub private_metadata: Map<String, Value>,
    pub unsafe_metadata: Map<String, Value>,
    pub last_sign_in_at: Option<i64>,
    pub last_active_at: Option<i64>,
    pub legal_accepted_at: Option<i64>,
    pub banned: bool,
    pub locked: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub delete_self_enabled: bool,
    pub create_organization_enabled: bool,
}

impl User {
    pub fn primary_email(&self) -> Option<&str> {
        self.emails.first().map(|c| c.value.as_str())
    }

    pub fn primary_phone(&self) -> Option<&str> {
        self.phones.first().map(|c| c.value.as_str())
    }

    /// The user's email addresses as Clerk's EmailAddress objects.
    fn emails_json(&self) -> Vec<Value> {
        self.emails
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "object": "email_address",
                    "email_address": c.value,
                    "reserved": false,
                    "verification": c.verification.to_json(),
                    "linked_to": [],
                    "matches_sso_connection": false,
                    "created_at": c.created_at,
                    "updated_at": c.updated_at,
                })
            })
            .collect()
    }

    /// The user's phone numbers as Clerk's PhoneNumber objects.
    fn phones_json(&self) -> Vec<Value> {
        self.phones
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "object": "phone_number",
                    "phone_number": c.value,
                    "reserved_for_second_factor": false,
                    "default_second_factor": false,
                    "reserved": false,
                    "verification": c.verification.to_json(),
                    "linked_to": [],
                    "backup_codes": null,
                    "created_at": c.created_at,
                    "updated_at": c.updated_at,
                })
            })
            .collect()
    }

    /// Clerk's User object, fields in the order Clerk sends them.
    pub fn to_json(&self) -> Value {
        let (emails, phones) = (self.emails_json(), self.phones_json());
        // Built field by field: json! of this size exceeds the macro recursion limit.
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        put("id", json!(self.id));
        put("object", json!("user"));
        put("username", json!(self.username));
        put("first_name", json!(self.first_name));
        put("last_name", json!(self.last_name));
        put("locale", json!(self.locale));
        put(
            "image_url",
            json!(format!("https://img.clerk.com/sandbox/{}.png", self.id)),
        );
        put("has_image", json!(false));
        put(
            "primary_email_address_id",
            json!(self.emails.first().map(|c| &c.id)),
        );
        put(
            "primary_phone_number_id",
            json!(self.phones.first().map(|c| &c.id)),
        );
        put("primary_web3_wallet_id", json!(null));
        put("password_enabled", json!(self.password_enabled));
        put("two_factor_enabled", json!(self.two_factor_enabled));
        put("totp_enabled", json!(self.two_factor_enabled));
        put("backup_code_enabled", json!(self.two_factor_enabled));
        put("email_addresses", json!(emails));
        put("phone_numbers", json!(phones));
        put("web3_wallets", json!([]));
        put("passkeys", json!([]));
        put("external_accounts", json!([]));
        put("saml_accounts", json!([]));
        put("enterprise_accounts", json!([]));
        put("public_metadata", json!(self.public_metadata));
        put("private_metadata", json!(self.private_metadata));
        put("unsafe_metadata", json!(self.unsafe_metadata));
        put("external_id", json!(self.external_id));
        put("last_sign_in_at", json!(self.last_sign_in_at));
        put("banned", json!(self.banned));
        put("locked", json!(self.locked));
        put("lockout_expires_in_seconds", json!(null));
        put("verification_attempts_remaining", json!(100));
        put("created_at", json!(self.created_at));
        put("updated_at", json!(self.updated_at));
        put("delete_self_enabled", json!(self.delete_self_enabled));
        put(
            "create_organization_enabled",
            json!(self.create_organization_enabled),
        );
        put("create_organizations_limit", json!(null));
        put("last_active_at", json!(self.last_active_at));
        put("mfa_enabled_at", json!(self.mfa_enabled_at));
        put("mfa_disabled_at", json!(null));
        put("legal_accepted_at", json!(self.legal_accepted_at));
        put("bypass_client_trust", json!(false));
        put(
            "profile_image_url",
            json!("https://www.gravatar.com/avatar?d=mp"),
        );
        Value::Object(m)
    }
}

const DAY_MS: i64 = 86_400_000;

/// The generator of the `n` seeded users.
#[derive(Debug, Clone, Copy)]
pub struct Generator {
    pub seed: u64,
    pub n: u64,
}

impl Generator {
    pub fn new(seed: u64, n: u64) -> Self {
        Generator { seed, n }
    }

    fn block_start(&self, block: u64) -> i64 {
        let span = (EPOCH_END_MS - EPOCH_START_MS) as u128;
        let blocks = self.n.div_ceil(BLOCK).max(1) as u128;
        EPOCH_START_MS + (block as u128 * span / blocks) as i64
    }

    /// Creation time of user `i`: non-decreasing in `i`, so the created_at order is the index
    /// order and a created_at bound becomes an index bound by binary search. About one block in
    /// ten holds a run of 2..=8 users sharing one millisecond.
    pub fn created_at(&self, i: u64) -> i64 {
        let block = i / BLOCK;
        let start = self.block_start(block);
        let width = self.block_start(block + 1) - start;
        let step = width / BLOCK as i64;
        let h = mix2(self.seed ^ TAG_TIME, block);
        let at = |j: u64| -> i64 {
            let jitter = if step > 0 {
                (mix2(self.seed ^ TAG_TIME ^ 1, block * BLOCK + j) % step as u64) as i64
            } else {
                0
            };
            start + j as i64 * step + jitter
        };
        let j = i % BLOCK;
        if h.is_multiple_of(10) {
            let len = 2 + (h >> 8) % (BLOCK - 1); // 2..=8
            let first = (h >> 16) % (BLOCK - len + 1);
            if (first..first + len).contains(&j) {
                return at(first);
            }
        }
        at(j)
    }

    /// User `i` (any index: the store decides which indices exist).
    pub fn user(&self, i: u64) -> User {
        let seed = self.seed;
        let h = mix2(seed ^ TAG_FIELDS, i);
        let h2 = mix(h);
        let h3 = mix(h2);
        let created_at = self.created_at(i);
        let first = FIRST_NAMES[(h % FIRST_NAMES.len() as u64) as usize];
        let last = LAST_NAMES[((h >> 16) % LAST_NAMES.len() as u64) as usize];
        let domain = DOMAINS[((h >> 32) % DOMAINS.len() as u64) as usize];
        let (fl, ll) = (first.to_lowercase(), last.to_lowercase());
        let updated_at = created_at + (h2 % (30 * DAY_MS as u64)) as i64;
        let signed_in = h2 % 100 >= 15;
        let last_sign_in_at =
            signed_in.then(|| updated_at + ((h2 >> 20) % (60 * DAY_MS as u64)) as i64);
        let last_active_at = last_sign_in_at.map(|t| (t / DAY_MS) * DAY_MS);
        let two_factor = (h3 % 100) < 10;
        let email = Contact {
            id: ident_id(seed, TAG_EMAIL, i, 0, created_at),
            value: format!("{fl}.{ll}+{i}@{domain}"),
            verification: Verification::Otp {
                strategy: "email_code",
                expire_at: created_at + 600_000,
            },
            created_at,
            updated_at: created_at,
        };
        let phones = if (h3 >> 8) % 100 < 35 {
            vec![Contact {
                id: ident_id(seed, TAG_PHONE, i, 0, created_at),
                value: format!("+1555{:07}", i % 10_000_000),
                verification: Verification::Otp {
                    strategy: "phone_code",
                    expire_at: created_at + 600_000,
                },
                created_at,
                updated_at: created_at,
            }]
        } else {
            Vec::new()
        };
        let mut public_metadata = Map::new();
        match (h3 >> 16) % 8 {
            0 => {
                public_metadata.insert("plan".into(), json!("pro"));
            }
            1 => {
                public_metadata.insert("plan".into(), json!("team"));
                public_metadata.insert("seats".into(), json!(1 + (h3 >> 24) % 20));
            }
            _ => {}
        }
        User {
            index: i,
            id: user_id(seed, i, created_at),
            external_id: ((h >> 40) % 100 < 30).then(|| format!("crm_{:08}", i)),
            username: ((h >> 48) % 100 < 55).then(|| format!("{fl}_{ll}{i}")),
            first_name: Some(first.to_string()),
            last_name: Some(last.to_string()),
            locale: None,
            emails: vec![email],
            phones,
            password_enabled: (h3 >> 32) % 100 < 70,
            two_factor_enabled: two_factor,
            mfa_enabled_at: two_factor.then_some(created_at + DAY_MS),
            public_metadata,
            private_metadata: Map::new(),
            unsafe_metadata: Map::new(),
            last_sign_in_at,
            last_active_at,
            legal_accepted_at: ((h3 >> 40) % 100 < 20).then_some(created_at),
            banned: (h >> 56).is_multiple_of(50),
            locked: false,
            created_at,
            updated_at,
            delete_self_enabled: true,
            create_organization_enabled: true,
        }
    }
}

/// Contact ids of a user created through the API (index beyond the generated ones).
pub fn new_contact_id(seed: u64, phone: bool, index: u64, slot: u64, created_at_ms: i64) -> String {
    let tag = if phone { TAG_PHONE } else { TAG_EMAIL };
    ident_id(seed, tag, index, slot, created_at_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_inverts() {
        for seed in [0, 42, u64::MAX] {
            for x in [0, 1, 2, 999, 1 << 40, u64::MAX] {
                assert_eq!(unpermute(seed, permute(seed, x)), x);
            }
        }
        assert_ne!(permute(42, 1), permute(43, 1));
    }

    #[test]
    fn ids_look_like_clerks_and_decode_to_their_index() {
        let g = Generator::new(42, 1_000_000);
        for i in [0, 1, 7, 8, 12_345, 999_999, 1_000_000, 5_000_000_000] {
            let id = user_id(42, i, g.created_at(i.min(999_999)));
            // KSUID text of 2023..2026 timestamps starts with 2 or 3, as Clerk ids of then do.
            assert!(id.starts_with("user_2") || id.starts_with("user_3"), "{id}");
            assert_eq!(id.len(), 5 + 27);
            assert!(id[5..].bytes().all(|c| c.is_ascii_alphanumeric()));
            assert_eq!(decode_user_id(42, &id), Some(i), "{id}");
            // Another seed's sandbox does not know it.
            assert_eq!(decode_user_id(43, &id), None);
        }
        assert_eq!(decode_user_id(42, "user_2NNEqL2nrIRdJ194ndJqAHwEfxC"), None);
        assert_eq!(decode_user_id(42, "user_"), None);
        assert_eq!(decode_user_id(42, "user_zzzzzzzzzzzzzzzzzzzzzzzzzzz"), None);
        assert_eq!(decode_user_id(42, "user_!!!!!!!!!!!!!!!!!!!!!!!!!!!"), None);
        assert_eq!(decode_user_id(42, "idn_2NNEqL2nrIRdJ194ndJqAHwEfxC"), None);
    }

    #[test]
    fn base62_roundtrips_the_extremes() {
        for bytes in [[0u8; 20], [0xff; 20], [7; 20]] {
            let s = base62_encode(bytes);
            assert_eq!(s.len(), 27);
            assert_eq!(base62_decode(&s), Some(bytes));
        }
    }

    #[test]
    fn generation_is_deterministic_per_seed() {
        let a = Generator::new(42, 1000);
        let b = Generator::new(42, 1000);
        let c = Generator::new(7, 1000);
        for i in [0, 1, 500, 999] {
            assert_eq!(a.user(i), b.user(i));
            assert_ne!(a.user(i).id, c.user(i).id);
        }
        let u = a.user(3);
        assert_eq!(u.index, 3);
        assert!(u.primary_email().unwrap().contains("+3@"));
    }

    #[test]
    fn created_at_is_monotonic_within_the_calendar_with_some_ties() {
        for n in [1u64, 10, 1000, 100_000] {
            let g = Generator::new(42, n);
            let mut prev = i64::MIN;
            let mut ties = 0;
            for i in 0..n {
                let t = g.created_at(i);
                assert!(t >= prev, "n={n} i={i}");
                assert!(
                    (EPOCH_START_MS..EPOCH_END_MS).contains(&t),
                    "n={n} i={i} t={t}"
                );
                if t == prev {
                    ties += 1;
                }
                prev = t;
            }
            if n >= 1000 {
                // ~10% of blocks carry a run; each run of length L adds L-1 ties.
                let blocks = n / BLOCK;
                assert!(ties > blocks / 40, "n={n}: only {ties} ties");
                assert!(ties < blocks, "n={n}: {ties} ties");
            }
        }
    }

    #[test]
    fn users_look_realistic() {
        let g = Generator::new(42, 1000);
        let users: Vec<User> = (0..1000).map(|i| g.user(i)).collect();
        let banned = users.iter().filter(|u| u.banned).count();
        assert!((5..=50).contains(&banned), "{banned} banned");
        let mut emails: Vec<&str> = users.iter().filter_map(|u| u.primary_email()).collect();
        emails.sort();
        emails.dedup();
        assert_eq!(emails.len(), 1000, "emails are unique");
        assert!(users.iter().any(|u| u.username.is_none()));
        assert!(users.iter().any(|u| u.phones.len() == 1));
        let j = users[0].to_json();
        let keys: Vec<&String> = j.as_object().unwrap().keys().take(2).collect();
        assert_eq!(keys, ["id", "object"]);
    }
}
