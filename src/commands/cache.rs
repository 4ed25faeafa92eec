//! `clerk-rl cache purge`: delete this instance's cached users from Redis (and with `--guards`
//! their version markers and tombstones, which are otherwise kept: they serve nothing and only
//! refuse stale writes).
//!
//! It needs the key only for its fingerprint (the instance's namespace) and sends nothing to
//! Clerk, so it works offline and costs no budget.

use serde_json::json;

use crate::api::check_id;
use crate::cli::{CacheArgs, CacheCommand, PurgeArgs};
use crate::error::{Exit, fail};
use crate::redis_store;
use crate::settings::{Settings, context};
use crate::ui::Ui;
use crate::user_cache::{
    guard_patterns, instance_prefix, tombstone_key, user_key, user_pattern, version_key,
};

pub async fn run(settings: &Settings, args: &CacheArgs) -> anyhow::Result<Exit> {
    match &args.command {
        CacheCommand::Purge(p) => purge(settings, p).await,
    }
}

async fn purge(settings: &Settings, args: &PurgeArgs) -> anyhow::Result<Exit> {
    let global = &settings.global;
    let raw = args.cache.url.as_deref().ok_or_else(|| {
        fail(
            Exit::Usage,
            "cache purge needs --cache redis://HOST:PORT/DB (or CLERK_RL_CACHE)",
        )
    })?;
    let target = redis_store::parse_url(raw, "--cache")?;
    for id in &args.ids {
        check_id(id).map_err(|why| fail(Exit::Usage, why))?;
    }
    let key = context::resolve_key(settings, &Ui::new(global.verbose, true).quiet(global.quiet))?;
    let fingerprint = key.fingerprint();
    let prefix = instance_prefix(&fingerprint);
    let redis = target
        .connect()
        .await
        .map_err(|e| fail(Exit::Other, e.to_string()))?;
    let gone = |e: crate::redis_store::RedisDown| fail(Exit::Other, e.to_string());
    let deleted = if args.all {
        redis.delete_matching(&user_pattern(&prefix)).await
    } else {
        let keys: Vec<String> = args.ids.iter().map(|id| user_key(&prefix, id)).collect();
        redis.del(&keys).await
    }
    .map_err(gone)?;
    let mut guards = 0;
    if args.guards && args.all {
        for pattern in guard_patterns(&prefix) {
            guards += redis.delete_matching(&pattern).await.map_err(gone)?;
        }
    } else if args.guards {
        let keys: Vec<String> = args
            .ids
            .iter()
            .flat_map(|id| [version_key(&prefix, id), tombstone_key(&prefix, id)])
            .collect();
        guards = redis.del(&keys).await.map_err(gone)?;
    }
    if global.json {
        println!(
            "{}",
            json!({
                "deleted": deleted,
                "guards_deleted": guards,
                "instance": fingerprint,
                "cache": target.shown(),
                "all": args.all,
            })
        );
    } else {
        println!(
            "deleted {deleted} cached user{} of instance {fingerprint} ({}) from {}{}",
            if deleted == 1 { "" } else { "s" },
            key.masked(),
            target.shown(),
            if args.guards {
                format!(", and {guards} version markers and tombstones")
            } else {
                String::new()
            }
        );
    }
    Ok(Exit::Ok)
}
