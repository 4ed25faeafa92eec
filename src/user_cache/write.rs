//! The one way anything is written to the user cache: a Lua script that batch-get and
//! `webhook serve` both run, so the rule "never an older version over a newer one, never a
//! deleted user back" holds whoever writes and in whatever order the writes arrive.
//!
//! A write carries the user's `updated_at`. Redis knows the newest version of a user from two
//! places: the cached entry's own `updated_at`, and a version marker
//! (`clerk:{INSTANCE}:version:{ID}`) left by a `user.updated` delivery, which outlives the entry.
//! A tombstone (`clerk:{INSTANCE}:deleted:{ID}`) left by `user.deleted` refuses every write:
//! Clerk never gives a deleted user's id to anyone else, so a deleted user never comes back.
//! The check and the write are one script, so no other writer can slip in between.

use std::time::Duration;

use super::{tombstone_key, user_key, version_key};
use crate::redis_store::{Redis, RedisDown};

/// KEYS: the delivery id's key when ARGV[1] is set, then per user its entry, version marker and
/// tombstone. ARGV: how long to remember the delivery id (ms, or ''), the mode (put, upd, del),
/// the entry's TTL (ms), the markers' TTL (ms, or '' to leave none), then per user its id, JSON
/// line and `updated_at` ('' when it has none).
///
/// Answers, one per user: -1 the delivery was seen before (nothing done, one answer only);
/// 0 no entry to drop; 1 written; 2 refused, Redis knows a later version; 3 refused, tombstone;
/// 4 the entry was dropped; 5 the entry already is this version (kept).
const SCRIPT: &str = r#"
-- The entry's version, when it is this user's JSON (a garbled value or another user's is
-- overwritten, as batch-get's reads treat it as a miss).
local function entry_version(entry, id)
  local cur = redis.call('GET', entry)
  if not cur then return nil end
  local ok, u = pcall(cjson.decode, cur)
  if ok and type(u) == 'table' and u.id == id and type(u.updated_at) == 'number' then
    return u.updated_at
  end
  return nil
end
-- Markers never lose protection: a write keeps the longer of the two expiries.
local function mark(key, value, px)
  local left = redis.call('PTTL', key)
  if left > px then px = left end
  redis.call('SET', key, value, 'PX', string.format('%d', px))
end
local function drop(entry)
  if redis.call('DEL', entry) == 1 then return 4 end
  return 0
end
local k = 0
if ARGV[1] ~= '' then
  if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return {-1} end
  k = 1
end
local mode, ttl, keep = ARGV[2], ARGV[3], tonumber(ARGV[4])
local out, a = {}, 4
while k < #KEYS do
  local entry, version, tomb = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local id, line, stamp = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local u = tonumber(stamp)
  k, a = k + 3, a + 3
  local r
  if mode == 'del' then
    r = drop(entry)
    redis.call('DEL', version)
    mark(tomb, '1', keep)
  elseif redis.call('EXISTS', tomb) == 1 then
    r = 3
  else
    local ev = entry_version(entry, id)
    local newest = ev
    local mv = tonumber(redis.call('GET', version) or '')
    if mv and (not newest or mv > newest) then newest = mv end
    if mode == 'put' then
      if (u == nil and newest) or (u and newest and newest > u) then
        r = 2
      else
        redis.call('SET', entry, line, 'PX', ttl)
        if keep and u then mark(version, stamp, keep) end
        r = 1
      end
    elseif u == nil then
      r = drop(entry)
    elseif newest and newest > u then
      r = 2
    elseif ev == u then
      mark(version, stamp, keep)
      r = 5
    else
      r = drop(entry)
      mark(version, stamp, keep)
    end
  end
  out[#out + 1] = r
end
return out
"#;

/// Users per EVAL: a window of thousands is written as many short scripts in one pipeline, so
/// Redis never stops serving other clients for long (a script runs alone) and the window still
/// costs one round trip. bench/cache_write.py measured 500 users per script at up to 46 ms of
/// Redis time when every entry had to be decoded; 100 keeps the longest under about 10 ms.
const PER_SCRIPT: usize = 100;

/// The most bytes of users one pipeline carries (one script more when a single one is larger).
/// A batch-get window of 25,600 ids was written in one pipeline: heaptrack put 44 MB of a
/// 157 MB peak in its command buffer, a copy of every user written.
const PIPELINE_BYTES: usize = 2 << 20;

/// What to do with each user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write the entry, unless Redis knows a later version or a tombstone.
    Put,
    /// `user.updated` without the user to write: drop an older entry and remember the version.
    Supersede,
    /// `user.deleted`: drop the entry and leave a tombstone.
    Delete,
}

/// One user to write (`line` only for [`Mode::Put`]).
pub struct Item<'a> {
    pub id: &'a str,
    pub line: &'a [u8],
    pub updated_at: Option<i64>,
}

/// What the script did to one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The delivery id was seen before: nothing done.
    Replay,
    Written,
    /// Redis knows a later version of the user: nothing written.
    KeptNewer,
    /// The user was deleted: nothing written.
    Tombstoned,
    /// The entry was dropped (`true`) or there was none.
    Dropped(bool),
    /// The entry already is the announced version: kept.
    Current,
}

/// How long things live: the entry (for [`Mode::Put`]), and the version markers and tombstones
/// this write leaves (`None`: none, as for batch-get, whose entries carry their own version).
#[derive(Debug, Clone, Copy)]
pub struct Expiry {
    pub entry: Duration,
    pub markers: Option<Duration>,
}

fn ms(d: Duration) -> String {
    d.as_millis().clamp(1, i64::MAX as u128).to_string()
}

/// The scripts (of `sizes` bytes of users each) in pipelines of at most `max` bytes, in order; a
/// script larger than `max` goes alone. The command buffer holds a copy of every user it writes.
fn pipelines(sizes: &[usize], max: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, &n) in sizes.iter().enumerate() {
        if i > start && bytes + n > max {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += n;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// Run the script for `items`. With `delivery` (its key and how long to remember it), the
/// delivery id is set NX first, in the same script: a delivery seen before changes nothing and
/// answers `[Replay]` (deliveries carry one user). Many items are written by several scripts in
/// pipelines of at most [`PIPELINE_BYTES`] of users; each script is atomic, and each user's check
/// and write are in one script, so a pipeline cut short leaves every user either written by the
/// rule or untouched (the error says Redis failed; a retry writes the rest by the same rule).
pub async fn write(
    redis: &Redis,
    prefix: &str,
    delivery: Option<(&str, Duration)>,
    mode: Mode,
    expiry: Expiry,
    items: &[Item<'_>],
) -> Result<Vec<Outcome>, RedisDown> {
    let mode_arg = match mode {
        Mode::Put => "put",
        Mode::Supersede => "upd",
        Mode::Delete => "del",
    };
    let remember = delivery.map(|(_, d)| ms(d)).unwrap_or_default();
    let entry_ttl = ms(expiry.entry);
    // A deletion or an announced version always leaves its guard, even if a caller forgot one.
    let markers = match (mode, expiry.markers) {
        (_, Some(d)) => ms(d),
        (Mode::Put, None) => String::new(),
        (_, None) => ms(expiry.entry),
    };
    let stamps: Vec<String> = items
        .iter()
        .map(|i| i.updated_at.map(|t| t.to_string()).unwrap_or_default())
        .collect();
    let chunks: Vec<(&[Item], &[String])> = items
        .chunks(PER_SCRIPT)
        .zip(stamps.chunks(PER_SCRIPT))
        .collect();
    let sizes: Vec<usize> = chunks
        .iter()
        .map(|(chunk, _)| chunk.iter().map(|i| i.line.len()).sum())
        .collect();
    let mut out = Vec::with_capacity(items.len());
    for range in pipelines(&sizes, PIPELINE_BYTES) {
        let group = &chunks[range];
        let calls: Vec<(Vec<String>, Vec<&[u8]>)> = group
            .iter()
            .map(|(chunk, stamps)| {
                let mut keys: Vec<String> = Vec::with_capacity(chunk.len() * 3 + 1);
                if let Some((key, _)) = delivery {
                    keys.push(key.to_string());
                }
                let mut args: Vec<&[u8]> = Vec::with_capacity(chunk.len() * 3 + 4);
                args.extend([
                    remember.as_bytes(),
                    mode_arg.as_bytes(),
                    entry_ttl.as_bytes(),
                    markers.as_bytes(),
                ]);
                for (item, stamp) in chunk.iter().zip(stamps.iter()) {
                    keys.push(user_key(prefix, item.id));
                    keys.push(version_key(prefix, item.id));
                    keys.push(tombstone_key(prefix, item.id));
                    args.push(item.id.as_bytes());
                    args.push(item.line);
                    args.push(stamp.as_bytes());
                }
                (keys, args)
            })
            .collect();
        // One answer per script, in order (`eval_pipelined` refuses a short one).
        let answers: Vec<Vec<i64>> = redis.eval_pipelined(SCRIPT, &calls).await?;
        for ((chunk, _), answers) in group.iter().zip(answers) {
            if answers == [-1] {
                return Ok(vec![Outcome::Replay]);
            }
            if answers.len() != chunk.len() {
                return Err(RedisDown(format!(
                    "Redis at {} answered {} results for {} users",
                    redis.shown(),
                    answers.len(),
                    chunk.len()
                )));
            }
            out.extend(answers.into_iter().map(|n| match n {
                1 => Outcome::Written,
                2 => Outcome::KeptNewer,
                3 => Outcome::Tombstoned,
                4 => Outcome::Dropped(true),
                5 => Outcome::Current,
                _ => Outcome::Dropped(false),
            }));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod pipeline_tests {
    use super::pipelines;

    #[test]
    fn a_window_of_users_is_no_longer_written_in_one_pipeline_whatever_its_size() {
        // 256 scripts of 100 users of 1.6 KB (a batch-get window of 25,600 ids): 41 MB went
        // into one command buffer.
        let sizes = vec![160_000; 256];
        let groups = pipelines(&sizes, 2 << 20);
        assert_eq!(groups.len(), 20);
        assert!(
            groups
                .iter()
                .all(|g| sizes[g.clone()].iter().sum::<usize>() <= 2 << 20)
        );
        // In order, each script once.
        let flat: Vec<usize> = groups.into_iter().flatten().collect();
        assert_eq!(flat, (0..256).collect::<Vec<_>>());
    }

    #[test]
    fn a_script_larger_than_a_pipeline_goes_alone_and_none_is_lost() {
        assert_eq!(pipelines(&[5, 30, 5, 5], 10), vec![0..1, 1..2, 2..4]);
        assert_eq!(pipelines(&[], 10), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(pipelines(&[1, 1, 1], 10), vec![0..3]);
    }
}
