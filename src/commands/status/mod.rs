//! `clerk-rl status`: one quick call, and everything it says about the key's rate limit.
//!
//! Three steps apart: [`fetch`] asks (the request, the shared budget's processes), [`report`]
//! concludes (a pure function: verdict, hints, exit code), [`render`] shows (JSON or a table).

mod fetch;
mod render;
mod report;

use crate::cli::StatusArgs;
use crate::error::Exit;
use crate::pacing::endpoint_limits::EndpointLimits;
use crate::settings::context::Context;

pub async fn run(ctx: &Context, args: &StatusArgs) -> anyhow::Result<Exit> {
    let observed = fetch::fetch(ctx).await;
    let settings = report::Settings {
        api_url: ctx.client.base().as_str().trim_end_matches('/').to_string(),
        key_masked: ctx.key.masked(),
        instance: ctx.instance,
        budget: ctx.budget,
        headroom: ctx.headroom_hint(),
        min_remaining: args.min_remaining,
        allow_unknown: args.allow_unknown,
        endpoint_budgets: EndpointLimits::new(&ctx.global.endpoint_rate).limits,
    };
    let (report, exit) = report::assess(&settings, observed);
    // The gate's verdict is one line on stderr in both modes: a CI log shows why the step
    // failed without parsing the table or the JSON.
    if let Some(why) = &report.gate_failure {
        ctx.ui.error(why);
    }
    if ctx.global.json {
        println!("{}", render::json(&report)?);
    } else {
        println!("{}", render::table(&report));
        if let Some(err) = &report.error {
            ctx.ui
                .error(err["message"].as_str().unwrap_or("request failed"));
        }
    }
    Ok(exit)
}
