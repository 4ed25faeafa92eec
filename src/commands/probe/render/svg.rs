//! `--plot FILE`: the timeline as an SVG chart, hand-written.

use std::fmt::Write as _;

use crate::commands::probe::infer::Sample;
use crate::commands::probe::report::{Interval, Report, fmt_window};

/// What the SVG chart draws.
pub struct Chart<'a> {
    pub title: &'a str,
    pub timeline: &'a [Interval],
    pub interval_s: f64,
    pub elapsed_s: f64,
    /// The limit found: N per W seconds (a bucket's sustained N per its window).
    pub limit: Option<(u64, f64)>,
    /// When each accepted request was stamped (seconds since start), for the trailing count.
    pub accepted: Vec<f64>,
}

/// The timeline as a chart for a ticket: accepted and 429s per interval (bars, left axis), and
/// when the limit is known, how many were accepted in the trailing window (line, right axis)
/// against the limit N per W (dashed): the server's rule, visible. Hand-written SVG: a few
/// rectangles and lines need no charting crate.
pub(super) fn svg(r: &Report, samples: &[Sample]) -> String {
    let i = &r.inference;
    let mut accepted: Vec<f64> = samples
        .iter()
        .filter(|s| s.ok())
        .map(|s| s.stamp())
        .collect();
    accepted.sort_by(f64::total_cmp);
    chart(&Chart {
        title: &r.summary,
        timeline: &r.timeline,
        interval_s: r.interval_s,
        elapsed_s: r.elapsed_s,
        limit: i.limit.zip(i.window_s).filter(|(n, w)| *n > 0 && *w > 0.0),
        accepted,
    })
}
/// Where the plot sits in the picture, and its scales: time across, responses per interval up.
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    top: f64,
    plot_w: f64,
    plot_h: f64,
    axis_y: f64,
    /// The time axis's end (seconds).
    end: f64,
    /// The bars' scale (left): round ticks, the axis ending on the first tick above the peak.
    bar_step: f64,
    bar_top: f64,
}

impl Frame {
    fn of(c: &Chart) -> Frame {
        let (w, h, left, right, bottom, top) = (800.0, 340.0, 60.0, 80.0, 70.0, 40.0);
        let plot_w = w - left - right;
        let plot_h = h - bottom - top;
        let peak = c
            .timeline
            .iter()
            .map(|i| i.accepted + i.limited + i.other)
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let (bar_step, bar_top) = nice_axis(peak);
        let n = c.timeline.len().max(1) as f64;
        Frame {
            w,
            h,
            left,
            top,
            plot_w,
            plot_h,
            axis_y: top + plot_h,
            end: (n * c.interval_s).max(c.elapsed_s).max(1e-3),
            bar_step,
            bar_top,
        }
    }

    fn x_of(&self, t: f64) -> f64 {
        self.left + self.plot_w * (t / self.end).clamp(0.0, 1.0)
    }

    fn bar_y(&self, v: f64) -> f64 {
        self.axis_y - self.plot_h * v / self.bar_top
    }
}

pub fn chart(c: &Chart) -> String {
    let f = Frame::of(c);
    let mut s = String::new();
    head(&mut s, &f, c.title);
    grid(&mut s, &f);
    bars(&mut s, &f, c.timeline);
    axes(&mut s, &f, c.interval_s);
    if let Some((limit, window)) = c.limit {
        trailing_window(
            &mut s,
            c,
            (limit, window),
            (f.left, f.top, f.plot_w, f.plot_h),
            &|t| f.x_of(t),
        );
    }
    legend(&mut s, &f, c.limit.is_some());
    s.push_str("</svg>\n");
    s
}

/// The `<svg>` element, its white background and the title.
fn head(s: &mut String, f: &Frame, title: &str) {
    let (w, h, left) = (f.w, f.h, f.left);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let title = xml_escape(&format!("clerk-rl probe: {title}"));
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="20" font-size="14">{title}</text>"#
    );
}

/// Grid lines under everything: one per tick of the bars' scale and of the time axis.
fn grid(s: &mut String, f: &Frame) {
    let (left, top, axis_y) = (f.left, f.top, f.axis_y);
    for v in ticks(f.bar_step, f.bar_top) {
        let y = f.bar_y(v);
        let _ = writeln!(
            s,
            r##"<line class="grid" x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            left + f.plot_w,
            left - 5.0,
            y + 4.0,
            tick_label(v, f.bar_step)
        );
    }
    let (t_step, _) = nice_axis(f.end);
    for t in ticks(t_step, f.end) {
        let x = f.x_of(t);
        let _ = writeln!(
            s,
            r##"<line class="grid" x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{axis_y}" stroke="#e0e0e0"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            axis_y + 16.0,
            tick_label(t, t_step)
        );
    }
}

/// One stacked bar per interval: accepted, then 429s, then other answers.
fn bars(s: &mut String, f: &Frame, timeline: &[Interval]) {
    let bw = f.plot_w / timeline.len().max(1) as f64;
    for (k, iv) in timeline.iter().enumerate() {
        let x = f.left + k as f64 * bw;
        let mut y = f.axis_y;
        for (count, color) in [
            (iv.accepted, "#2e7d32"),
            (iv.limited, "#c62828"),
            (iv.other, "#757575"),
        ] {
            if count == 0 {
                continue;
            }
            let bh = f.plot_h * count as f64 / f.bar_top;
            y -= bh;
            let _ = writeln!(
                s,
                r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{bh:.2}" fill="{color}"/>"#,
                (bw - 1.0).max(0.5)
            );
        }
    }
}

/// Axes and their titles.
fn axes(s: &mut String, f: &Frame, interval_s: f64) {
    let (left, top, axis_y) = (f.left, f.top, f.axis_y);
    let _ = writeln!(
        s,
        r#"<line x1="{left}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="black"/><line x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" stroke="black"/>"#,
        left + f.plot_w
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">seconds since the probe started</text>"#,
        left + f.plot_w / 2.0,
        axis_y + 32.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(16 {}) rotate(-90)" text-anchor="middle">responses per {} s (bars)</text>"#,
        top + f.plot_h / 2.0,
        interval_s
    );
}

/// The legend under the time axis: the bars' colours, and the lines' when a limit is drawn.
fn legend(s: &mut String, f: &Frame, limit: bool) {
    let left = f.left;
    let ly = f.h - 14.0;
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{ly}" width="10" height="10" fill="#2e7d32"/><text x="{}" y="{}">accepted</text><rect x="{}" y="{ly}" width="10" height="10" fill="#c62828"/><text x="{}" y="{}">429</text>"##,
        left + 14.0,
        ly + 9.0,
        left + 90.0,
        left + 104.0,
        ly + 9.0
    );
    if limit {
        let _ = writeln!(
            s,
            r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#1565c0" stroke-width="2"/><text x="{}" y="{}">accepted in the trailing window (right scale)</text><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ef6c00" stroke-width="2" stroke-dasharray="6 4"/><text x="{}" y="{}">limit (right scale)</text>"##,
            left + 150.0,
            ly + 5.0,
            left + 170.0,
            ly + 5.0,
            left + 175.0,
            ly + 9.0,
            left + 450.0,
            ly + 5.0,
            left + 470.0,
            ly + 5.0,
            left + 475.0,
            ly + 9.0
        );
    }
}

/// A round tick step for an axis from 0 to `max` (1, 2 or 5 times a power of ten, about five
/// ticks), and the axis's end: the first tick at or above `max`.
pub fn nice_axis(max: f64) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&x| x >= raw * (1.0 - 1e-9))
        .unwrap_or(raw);
    let top = (max / step - 1e-9).ceil().max(1.0) * step;
    (step, top)
}

/// 0, step, 2 step, … up to `end` (inclusive, within rounding).
fn ticks(step: f64, end: f64) -> impl Iterator<Item = f64> {
    let n = (end / step + 1e-9).floor() as usize;
    (0..=n).map(move |k| k as f64 * step)
}

/// A tick's number with as many decimals as its step needs: 0, 2, 4; 0.5, 1, 1.5; 0.02.
fn tick_label(v: f64, step: f64) -> String {
    let decimals = (0..6)
        .find(|&d| {
            let x = step * 10f64.powi(d);
            (x - x.round()).abs() < 1e-6
        })
        .unwrap_or(6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The trailing-window count (accepted in the last W, at 400 points) on its own scale on the
/// right, in its colour, with round ticks; the limit N per W is a dashed line on that scale,
/// with N marked on the right axis.
fn trailing_window(
    s: &mut String,
    c: &Chart,
    (limit, window): (u64, f64),
    (left, top, plot_w, plot_h): (f64, f64, f64, f64),
    x_of: &dyn Fn(f64) -> f64,
) {
    let end = c.elapsed_s.max(1e-3);
    let count_at = |t: f64| {
        let hi = c.accepted.partition_point(|&a| a <= t);
        let lo = c.accepted.partition_point(|&a| a <= t - window);
        hi - lo
    };
    let points: Vec<(f64, usize)> = (0..=400)
        .map(|k| end * k as f64 / 400.0)
        .map(|t| (t, count_at(t)))
        .collect();
    let most = points
        .iter()
        .map(|p| p.1)
        .max()
        .unwrap_or(0)
        .max(limit as usize) as f64
        * 1.1;
    let (step, top_count) = nice_axis(most);
    let y_of = |n: f64| top + plot_h - plot_h * n / top_count;
    let path: Vec<String> = points
        .iter()
        .map(|(t, n)| format!("{:.1},{:.1}", x_of(*t), y_of(*n as f64)))
        .collect();
    let _ = writeln!(
        s,
        r##"<polyline class="trailing" fill="none" stroke="#1565c0" stroke-width="2" points="{}"/>"##,
        path.join(" ")
    );
    let ly = y_of(limit as f64);
    let xr = left + plot_w;
    let _ = writeln!(
        s,
        r##"<line class="limit" x1="{left}" y1="{ly:.1}" x2="{xr}" y2="{ly:.1}" stroke="#ef6c00" stroke-width="2" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" fill="#ef6c00" text-anchor="end">limit {limit} per {} (right scale)</text>"##,
        xr - 4.0,
        ly - 4.0,
        xml_escape(&fmt_window(window))
    );
    let _ = writeln!(
        s,
        r##"<line x1="{xr}" y1="{top}" x2="{xr}" y2="{}" stroke="#1565c0"/>"##,
        top + plot_h
    );
    for v in ticks(step, top_count) {
        let y = y_of(v);
        let _ = writeln!(
            s,
            r##"<line x1="{xr}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#1565c0"/><text x="{}" y="{:.1}" fill="#1565c0">{}</text>"##,
            xr + 4.0,
            xr + 6.0,
            y + 4.0,
            tick_label(v, step)
        );
    }
    // N on the right axis, where the dashed line meets it.
    let _ = writeln!(
        s,
        r##"<line x1="{xr}" y1="{ly:.1}" x2="{}" y2="{ly:.1}" stroke="#ef6c00" stroke-width="2"/>"##,
        xr + 6.0
    );
    let _ = writeln!(
        s,
        r##"<text transform="translate({} {}) rotate(90)" text-anchor="middle" fill="#1565c0">accepted in the trailing {} (line)</text>"##,
        xr + 50.0,
        top + plot_h / 2.0,
        xml_escape(&fmt_window(window))
    );
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_draws_the_limit_the_trailing_count_and_labelled_axes() {
        let timeline = vec![
            Interval {
                start_s: 0.0,
                accepted: 10,
                limited: 5,
                other: 0,
            },
            Interval {
                start_s: 1.0,
                accepted: 10,
                limited: 0,
                other: 0,
            },
        ];
        let mut c = Chart {
            title: "fixed window of 10 per 1s",
            timeline: &timeline,
            interval_s: 1.0,
            elapsed_s: 2.0,
            limit: Some((10, 1.0)),
            // 10 at once at 0.1 s, 10 more at 1.1 s: the trailing second never holds more.
            accepted: [0.1; 10].into_iter().chain([1.1; 10]).collect(),
        };
        let svg = chart(&c);
        assert!(svg.contains(r#"class="limit""#), "{svg}");
        assert!(svg.contains("limit 10 per 1s"), "{svg}");
        assert!(svg.contains("seconds since the probe started"));
        assert!(svg.contains("responses per 1 s (bars)"));
        assert!(svg.contains("accepted in the trailing 1s (line)"));
        // The trailing count peaks at 10 (at the limit), not 20: the line's highest point is
        // the limit line's height.
        let limit_y: f64 = svg
            .split(r#"class="limit" x1="60" y1=""#)
            .nth(1)
            .and_then(|t| t.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        let points = svg
            .split(r#"points=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let highest = points
            .split(' ')
            .map(|p| p.split(',').nth(1).unwrap().parse::<f64>().unwrap())
            .fold(f64::INFINITY, f64::min);
        assert!((highest - limit_y).abs() < 0.11, "{highest} vs {limit_y}");
        // No limit known: bars only.
        c.limit = None;
        let svg = chart(&c);
        assert!(!svg.contains("class=\"limit\"") && !svg.contains("trailing"));
        assert!(svg.contains("seconds since the probe started"));
    }

    /// Issue 26: the SVG's ticks read 0.0/1.0/2.1/3.1 (a quarter of the run each).
    #[test]
    fn svg_ticks_are_round_numbers_not_quarters_of_the_run() {
        assert_eq!(nice_axis(3.1), (1.0, 4.0));
        assert_eq!(nice_axis(10.0), (2.0, 10.0));
        assert_eq!(nice_axis(23.0), (5.0, 25.0));
        assert_eq!(nice_axis(0.7), (0.2, 0.8));
        let labels: Vec<String> = ticks(0.2, 0.8).map(|v| tick_label(v, 0.2)).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8"]);
        let labels: Vec<String> = ticks(0.05, 0.15).map(|v| tick_label(v, 0.05)).collect();
        assert_eq!(labels, ["0", "0.05", "0.1", "0.15"]);
        let timeline: Vec<Interval> = (0..31)
            .map(|k| Interval {
                start_s: k as f64 * 0.1,
                accepted: 3,
                limited: k % 4,
                other: 0,
            })
            .collect();
        let svg = chart(&Chart {
            title: "t",
            timeline: &timeline,
            interval_s: 0.1,
            elapsed_s: 3.1,
            limit: Some((10, 1.0)),
            accepted: (0..93).map(|k| k as f64 / 30.0).collect(),
        });
        for bad in [">2.1<", ">3.1<", ">0.0<", ">1.0<"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
        for good in [">1<", ">2<", ">3<"] {
            assert!(svg.contains(good), "{good} missing");
        }
        assert!(svg.matches(r#"class="grid""#).count() >= 6, "{svg}");
        assert!(svg.contains("(right scale)"));
    }
}
