//! Charts of figures by financial year, drawn on the server as SVG.
//!
//! This module owns how a series of figures becomes a picture: bar and line
//! charts with one or more series, an axis for the financial years and one
//! for the values (counts or percentages), a legend, and the text
//! alternatives that make the picture readable without seeing it: the SVG's
//! `<title>` and `<desc>`, the table of every value that stands beside every
//! chart ([`Chart::table_html`]), and the same values as CSV
//! ([`Chart::csv`]). It draws no data of its own choosing: a value the
//! caller did not give (suppressed, "fewer than 5", not held) is not drawn,
//! never drawn as zero, and the table says what the caller said about it.
//!
//! The SVG is plain markup (no script, no `style` attributes, so the
//! pages' content security policy holds) and is written by hand: no
//! plotting crate, no fonts to load. Colours come from [`PALETTE`], each at
//! least 3:1 against white (WCAG 2.2, non-text contrast), and series are
//! told apart by more than colour: line charts give each series its own
//! marker shape and dash pattern, and every bar and point carries a
//! `<title>` naming its series, year and value.

use std::fmt::Write as _;

/// The series' colours, in order (Okabe and Ito's colour-blind-safe
/// palette, darkened where needed so each is at least 3:1 on white).
pub const PALETTE: [&str; 6] = [
    "#0072b2", "#c55a00", "#007a5a", "#b8467f", "#4d4d4d", "#6a3d9a",
];

/// Line dash patterns, by series (none for the first).
const DASHES: [&str; 6] = ["", "6 3", "2 3", "8 3 2 3", "4 4", "1 2"];

/// How a chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Grouped bars, one group per financial year.
    Bar,
    /// One line per series across the financial years.
    Line,
}

/// What the values are, which says how the value axis is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Whole numbers of people, events, placements.
    Count,
    /// Shares in per cent (0 to 100).
    Percent,
}

/// One value of a series: the number drawn, if there is one, and the words
/// the table shows for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The value drawn; `None` draws nothing (the table says why).
    pub value: Option<f64>,
    /// What the table and the CSV show: the number as written, or the
    /// caller's words for a value not drawn ("fewer than 5", "no figure").
    pub shown: String,
}

impl Point {
    /// A value drawn and shown (formatted for `scale`).
    pub fn value(value: f64, scale: Scale) -> Self {
        Self {
            value: Some(value),
            shown: format_value(value, scale),
        }
    }

    /// A value not drawn, with the words the table shows in its place.
    pub fn not_drawn(shown: impl Into<String>) -> Self {
        Self {
            value: None,
            shown: shown.into(),
        }
    }
}

/// One named series: a point for each of the chart's financial years.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' name, as the legend and the table's heading show it.
    pub name: String,
    /// One point per financial year, in the chart's order. A year with no
    /// point here is shown as "no figure".
    pub points: Vec<Point>,
}

/// A chart of figures by financial year.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Unique on its page: the SVG's title and description are named by it.
    pub id: String,
    /// What the chart shows ("People in treatment by substance group").
    pub title: String,
    /// The kind of chart.
    pub kind: ChartKind,
    /// The value axis' label ("People", "Share of exits (%)").
    pub value_label: String,
    /// How the values are written.
    pub scale: Scale,
    /// The financial years along the bottom, in order ("2023-24").
    pub years: Vec<String>,
    /// The series drawn.
    pub series: Vec<Series>,
}

/// What the table shows for a year a series has no point for.
const NO_FIGURE: &str = "no figure";

const WIDTH: f64 = 640.0;
const PLOT_LEFT: f64 = 76.0;
const PLOT_RIGHT: f64 = WIDTH - 16.0;
const PLOT_TOP: f64 = 16.0;
const PLOT_BOTTOM: f64 = 236.0;
const LEGEND_TOP: f64 = PLOT_BOTTOM + 62.0;
const LEGEND_ROW: f64 = 22.0;
const TEXT: &str = "#0b0c0c";
const GRID: &str = "#b1b4b6";

impl Chart {
    /// Whether any value is drawn at all (a chart with none says so in
    /// place of axes, never as zeros).
    pub fn has_values(&self) -> bool {
        self.series
            .iter()
            .any(|s| s.points.iter().any(|p| p.value.is_some()))
    }

    fn point(&self, series: usize, year: usize) -> Option<&Point> {
        self.series.get(series).and_then(|s| s.points.get(year))
    }

    fn shown(&self, series: usize, year: usize) -> &str {
        self.point(series, year)
            .map_or(NO_FIGURE, |p| p.shown.as_str())
    }

    fn drawn(&self, series: usize, year: usize) -> Option<f64> {
        self.point(series, year)
            .and_then(|p| p.value)
            .filter(|v| v.is_finite())
    }

    /// How many (series, year) cells are not drawn.
    fn not_drawn(&self) -> usize {
        (0..self.series.len())
            .flat_map(|s| (0..self.years.len()).map(move |y| (s, y)))
            .filter(|&(s, y)| self.drawn(s, y).is_none())
            .count()
    }

    /// The sentence the SVG's `<desc>` holds: what is drawn, over which
    /// years, which series, and that the table beside it has every value.
    pub fn description(&self) -> String {
        let kind = match self.kind {
            ChartKind::Bar => "Bar chart",
            ChartKind::Line => "Line chart",
        };
        let years = match (self.years.first(), self.years.last()) {
            (Some(first), Some(last)) if first != last => format!("{first} to {last}"),
            (Some(only), _) => only.clone(),
            _ => "no years".to_string(),
        };
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        let mut text = format!(
            "{kind} of {} by financial year, {years}",
            self.value_label.to_lowercase()
        );
        match names.len() {
            0 => text.push_str(", no series"),
            1 => {
                let _ = write!(text, ", one series: {}", names[0]);
            }
            n => {
                let _ = write!(text, ", {n} series: {}", names.join(", "));
            }
        }
        text.push('.');
        if !self.has_values() {
            text.push_str(" No figures are held for it.");
        } else {
            let missing = self.not_drawn();
            if missing == 1 {
                text.push_str(" One value is not drawn; the table says why.");
            } else if missing > 1 {
                let _ = write!(text, " {missing} values are not drawn; the table says why.");
            }
        }
        text.push_str(" The table beside the chart gives every value.");
        text
    }

    /// The chart as an inline SVG element.
    pub fn svg(&self) -> String {
        let legend_rows = self.series.len().max(1) as f64;
        let height = LEGEND_TOP + legend_rows * LEGEND_ROW;
        let id = escape(&self.id);
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart__svg\" \
             viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
             role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
             font-family=\"system-ui, Arial, sans-serif\" font-size=\"13\" fill=\"{TEXT}\">\
             <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
            escape(&self.title),
            escape(&self.description()),
        );
        if !self.has_values() {
            let _ = write!(
                out,
                "<rect x=\"{PLOT_LEFT}\" y=\"{PLOT_TOP}\" width=\"{}\" height=\"{}\" \
                 fill=\"#f3f2f1\" stroke=\"{GRID}\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"16\">\
                 No figures are held for this chart.</text>",
                PLOT_RIGHT - PLOT_LEFT,
                PLOT_BOTTOM - PLOT_TOP,
                (PLOT_LEFT + PLOT_RIGHT) / 2.0,
                (PLOT_TOP + PLOT_BOTTOM) / 2.0,
            );
            self.legend(&mut out);
            out.push_str("</svg>");
            return out;
        }
        let axis = self.value_axis();
        self.axes(&mut out, &axis);
        match self.kind {
            ChartKind::Bar => self.bars(&mut out, &axis),
            ChartKind::Line => self.lines(&mut out, &axis),
        }
        self.legend(&mut out);
        out.push_str("</svg>");
        out
    }

    /// The value axis' range and ticks from the values drawn.
    fn value_axis(&self) -> Axis {
        let values = (0..self.series.len())
            .flat_map(|s| (0..self.years.len()).map(move |y| (s, y)))
            .filter_map(|(s, y)| self.drawn(s, y));
        let (mut low, mut high) = (0.0_f64, 0.0_f64);
        for v in values {
            low = low.min(v);
            high = high.max(v);
        }
        if self.scale == Scale::Percent && high <= 100.0 && high > 50.0 {
            high = 100.0;
        }
        let mut step = nice_step((high - low) / 7.0);
        if self.scale == Scale::Count {
            step = step.max(1.0);
        }
        let low = (low / step).floor() * step;
        let mut high = (high / step).ceil() * step;
        if high <= low {
            high = low + step;
        }
        Axis { low, high, step }
    }

    fn y(&self, axis: &Axis, value: f64) -> f64 {
        PLOT_BOTTOM - (value - axis.low) / (axis.high - axis.low) * (PLOT_BOTTOM - PLOT_TOP)
    }

    fn band(&self) -> f64 {
        (PLOT_RIGHT - PLOT_LEFT) / self.years.len().max(1) as f64
    }

    fn axes(&self, out: &mut String, axis: &Axis) {
        out.push_str("<g class=\"chart__axes\">");
        let count = ((axis.high - axis.low) / axis.step).round() as usize;
        for i in 0..=count.min(20) {
            let value = axis.low + i as f64 * axis.step;
            let y = round(self.y(axis, value));
            let _ = write!(
                out,
                "<line x1=\"{PLOT_LEFT}\" x2=\"{PLOT_RIGHT}\" y1=\"{y}\" y2=\"{y}\" \
                 stroke=\"{GRID}\" stroke-width=\"1\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                PLOT_LEFT - 6.0,
                round(y + 4.0),
                escape(&tick_label(value, axis.step, self.scale)),
            );
        }
        let zero = round(self.y(axis, 0.0_f64.clamp(axis.low, axis.high)));
        let _ = write!(
            out,
            "<line x1=\"{PLOT_LEFT}\" x2=\"{PLOT_RIGHT}\" y1=\"{zero}\" y2=\"{zero}\" \
             stroke=\"{TEXT}\" stroke-width=\"1.5\"/>\
             <line x1=\"{PLOT_LEFT}\" x2=\"{PLOT_LEFT}\" y1=\"{PLOT_TOP}\" y2=\"{PLOT_BOTTOM}\" \
             stroke=\"{TEXT}\" stroke-width=\"1.5\"/>"
        );
        let band = self.band();
        // Many years: smaller labels, so they never run into each other.
        let size = if band < 64.0 { " font-size=\"10\"" } else { "" };
        for (i, year) in self.years.iter().enumerate() {
            let x = round(PLOT_LEFT + band * (i as f64 + 0.5));
            let _ = write!(
                out,
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\"{size}>{}</text>",
                PLOT_BOTTOM + 20.0,
                escape(year),
            );
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">Financial year</text>\
             <text transform=\"rotate(-90 16 {mid})\" x=\"16\" y=\"{mid}\" text-anchor=\"middle\" \
             font-weight=\"bold\">{}</text></g>",
            (PLOT_LEFT + PLOT_RIGHT) / 2.0,
            PLOT_BOTTOM + 44.0,
            escape(&self.value_label),
            mid = (PLOT_TOP + PLOT_BOTTOM) / 2.0,
        );
    }

    fn bars(&self, out: &mut String, axis: &Axis) {
        let band = self.band();
        let inner = band * 0.8;
        let width = inner / self.series.len().max(1) as f64;
        let base = self.y(axis, 0.0_f64.clamp(axis.low, axis.high));
        for (s, series) in self.series.iter().enumerate() {
            let colour = PALETTE[s % PALETTE.len()];
            let _ = write!(out, "<g class=\"chart__series\" fill=\"{colour}\">");
            for (y, year) in self.years.iter().enumerate() {
                let Some(value) = self.drawn(s, y) else {
                    continue;
                };
                let top = self.y(axis, value);
                let x = PLOT_LEFT + band * y as f64 + (band - inner) / 2.0 + width * s as f64;
                let _ = write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\">\
                     <title>{}, {}: {}</title></rect>",
                    round(x),
                    round(top.min(base)),
                    round((width - 1.0).max(1.0)),
                    round((top - base).abs()),
                    escape(&series.name),
                    escape(year),
                    escape(self.shown(s, y)),
                );
            }
            out.push_str("</g>");
        }
    }

    fn lines(&self, out: &mut String, axis: &Axis) {
        let band = self.band();
        for (s, series) in self.series.iter().enumerate() {
            let colour = PALETTE[s % PALETTE.len()];
            let dash = DASHES[s % DASHES.len()];
            let _ = write!(out, "<g class=\"chart__series\">");
            // One polyline for each run of years with values: a gap is a
            // break in the line, never a line down to zero.
            let mut run: Vec<(f64, f64)> = Vec::new();
            let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
            for y in 0..self.years.len() {
                match self.drawn(s, y) {
                    Some(value) => {
                        run.push((PLOT_LEFT + band * (y as f64 + 0.5), self.y(axis, value)))
                    }
                    None => runs.push(std::mem::take(&mut run)),
                }
            }
            runs.push(run);
            for run in runs.iter().filter(|r| r.len() > 1) {
                let points: Vec<String> = run
                    .iter()
                    .map(|(x, y)| format!("{},{}", round(*x), round(*y)))
                    .collect();
                let _ = write!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\"",
                    points.join(" ")
                );
                if !dash.is_empty() {
                    let _ = write!(out, " stroke-dasharray=\"{dash}\"");
                }
                out.push_str("/>");
            }
            for (y, year) in self.years.iter().enumerate() {
                let Some(value) = self.drawn(s, y) else {
                    continue;
                };
                let x = PLOT_LEFT + band * (y as f64 + 0.5);
                let title = format!(
                    "<title>{}, {}: {}</title>",
                    escape(&series.name),
                    escape(year),
                    escape(self.shown(s, y))
                );
                marker(out, s, x, self.y(axis, value), colour, &title);
            }
            out.push_str("</g>");
        }
    }

    fn legend(&self, out: &mut String) {
        out.push_str("<g class=\"chart__legend\">");
        for (s, series) in self.series.iter().enumerate() {
            let colour = PALETTE[s % PALETTE.len()];
            let y = LEGEND_TOP + LEGEND_ROW * s as f64;
            match self.kind {
                ChartKind::Bar => {
                    let _ = write!(
                        out,
                        "<rect x=\"{PLOT_LEFT}\" y=\"{}\" width=\"14\" height=\"14\" fill=\"{colour}\"/>",
                        y - 11.0
                    );
                }
                ChartKind::Line => {
                    let _ = write!(
                        out,
                        "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{colour}\" stroke-width=\"2.5\"",
                        PLOT_LEFT - 6.0,
                        PLOT_LEFT + 20.0,
                        y - 4.0,
                        y - 4.0
                    );
                    let dash = DASHES[s % DASHES.len()];
                    if !dash.is_empty() {
                        let _ = write!(out, " stroke-dasharray=\"{dash}\"");
                    }
                    out.push_str("/>");
                    marker(out, s, PLOT_LEFT + 7.0, y - 4.0, colour, "");
                }
            }
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{y}\">{}</text>",
                PLOT_LEFT + 28.0,
                escape(&series.name)
            );
        }
        out.push_str("</g>");
    }

    /// The table of every value, by financial year, one column per series:
    /// what stands beside the chart.
    pub fn table_html(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<table class=\"table chart__table\" id=\"{}-table\"><caption>{}: the figures</caption>\
             <thead><tr><th scope=\"col\">Financial year</th>",
            escape(&self.id),
            escape(&self.title)
        );
        for series in &self.series {
            let _ = write!(
                out,
                "<th scope=\"col\" class=\"num\">{}</th>",
                escape(&series.name)
            );
        }
        out.push_str("</tr></thead><tbody>");
        for (y, year) in self.years.iter().enumerate() {
            let _ = write!(out, "<tr><th scope=\"row\">{}</th>", escape(year));
            for s in 0..self.series.len() {
                let _ = write!(out, "<td class=\"num\">{}</td>", escape(self.shown(s, y)));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        out
    }

    /// The chart and its table side by side, as a page shows them.
    pub fn html(&self) -> String {
        format!(
            "<div class=\"chart\"><div class=\"chart__graphic\">{}</div>\
             <div class=\"chart__data\">{}</div></div>",
            self.svg(),
            self.table_html()
        )
    }

    /// The table's values as CSV: a "Financial year" column and one per
    /// series, each cell as the table shows it. A cell that a spreadsheet
    /// would take for a formula is written with a leading apostrophe.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let mut header = vec![csv_cell("Financial year")];
        header.extend(self.series.iter().map(|s| csv_cell(&s.name)));
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for (y, year) in self.years.iter().enumerate() {
            let mut row = vec![csv_cell(year)];
            row.extend((0..self.series.len()).map(|s| csv_cell(self.shown(s, y))));
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// The value axis: its lowest and highest values and the step between
/// ticks.
struct Axis {
    low: f64,
    high: f64,
    step: f64,
}

/// A step of 1, 2 or 5 times a power of ten, at least `rough`.
fn nice_step(rough: f64) -> f64 {
    if !rough.is_finite() || rough <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(rough.log10().floor());
    let fraction = rough / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// A marker for series `s`: a circle, square, triangle, diamond, cross or
/// ring, so lines are told apart without colour.
fn marker(out: &mut String, s: usize, x: f64, y: f64, colour: &str, title: &str) {
    let (x, y) = (round(x), round(y));
    let _ = match s % 6 {
        0 => write!(
            out,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"4.5\" fill=\"{colour}\">{title}</circle>"
        ),
        1 => write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"9\" height=\"9\" fill=\"{colour}\">{title}</rect>",
            round(x - 4.5),
            round(y - 4.5)
        ),
        2 => write!(
            out,
            "<polygon points=\"{x},{} {},{} {},{}\" fill=\"{colour}\">{title}</polygon>",
            round(y - 5.5),
            round(x + 5.5),
            round(y + 4.5),
            round(x - 5.5),
            round(y + 4.5)
        ),
        3 => write!(
            out,
            "<polygon points=\"{x},{} {},{y} {x},{} {},{y}\" fill=\"{colour}\">{title}</polygon>",
            round(y - 6.0),
            round(x + 6.0),
            round(y + 6.0),
            round(x - 6.0)
        ),
        4 => write!(
            out,
            "<path d=\"M{} {}L{} {}M{} {}L{} {}\" stroke=\"{colour}\" stroke-width=\"2.5\">{title}</path>",
            round(x - 4.5),
            round(y - 4.5),
            round(x + 4.5),
            round(y + 4.5),
            round(x - 4.5),
            round(y + 4.5),
            round(x + 4.5),
            round(y - 4.5)
        ),
        _ => write!(
            out,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"4\" fill=\"#fff\" stroke=\"{colour}\" stroke-width=\"2.5\">{title}</circle>"
        ),
    };
}

/// A value as the table shows it: counts with thousands separators,
/// percentages to one decimal place.
pub fn format_value(value: f64, scale: Scale) -> String {
    match scale {
        Scale::Count if value.fract() == 0.0 && value.abs() < 1e15 => group_thousands(value as i64),
        Scale::Count => format!("{value:.1}"),
        Scale::Percent => format!("{value:.1}%"),
    }
}

fn tick_label(value: f64, step: f64, scale: Scale) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let number = if decimals == 0 {
        group_thousands(value.round() as i64)
    } else {
        format!("{value:.decimals$}")
    };
    match scale {
        Scale::Count => number,
        Scale::Percent => format!("{number}%"),
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Coordinates to two decimal places (keeps the SVG short and stable).
fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Text made safe for SVG/HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One CSV cell: quoted when it must be, and with a leading apostrophe when
/// a spreadsheet would read it as a formula.
fn csv_cell(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '@', '\t', '\r'])
        || (text.starts_with('-') && !text[1..].starts_with(|c: char| c.is_ascii_digit()));
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn years() -> Vec<String> {
        ["2021-22", "2022-23", "2023-24"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn substances() -> Chart {
        Chart {
            id: "in-treatment".into(),
            title: "People in treatment by substance group".into(),
            kind: ChartKind::Bar,
            value_label: "People".into(),
            scale: Scale::Count,
            years: years(),
            series: vec![
                Series {
                    name: "Opiates".into(),
                    points: vec![
                        Point::value(1204.0, Scale::Count),
                        Point::value(1180.0, Scale::Count),
                        Point::value(1150.0, Scale::Count),
                    ],
                },
                Series {
                    name: "Alcohol only".into(),
                    points: vec![
                        Point::value(640.0, Scale::Count),
                        Point::not_drawn("fewer than 5"),
                        Point::value(702.0, Scale::Count),
                    ],
                },
            ],
        }
    }

    fn completions() -> Chart {
        Chart {
            id: "completions".into(),
            title: "Successful completions as a share of exits".into(),
            kind: ChartKind::Line,
            value_label: "Share of exits (%)".into(),
            scale: Scale::Percent,
            years: years(),
            series: vec![
                Series {
                    name: "Opiates".into(),
                    points: vec![
                        Point::value(21.5, Scale::Percent),
                        Point::value(23.0, Scale::Percent),
                        Point::value(24.25, Scale::Percent),
                    ],
                },
                Series {
                    name: "Non-opiates & alcohol".into(),
                    points: vec![
                        Point::value(40.0, Scale::Percent),
                        Point::not_drawn("not held"),
                        Point::value(44.0, Scale::Percent),
                    ],
                },
            ],
        }
    }

    #[test]
    fn bar_chart_svg() {
        insta::assert_snapshot!(substances().svg());
    }

    #[test]
    fn line_chart_svg() {
        insta::assert_snapshot!(completions().svg());
    }

    #[test]
    fn table_and_csv() {
        let chart = substances();
        insta::assert_snapshot!(chart.table_html());
        assert_eq!(
            chart.csv(),
            "Financial year,Opiates,Alcohol only\r\n\
             2021-22,\"1,204\",640\r\n\
             2022-23,\"1,180\",fewer than 5\r\n\
             2023-24,\"1,150\",702\r\n"
        );
    }

    #[test]
    fn a_value_not_drawn_is_no_bar_and_the_table_says_why() {
        let chart = substances();
        let svg = chart.svg();
        // Five bars drawn, not six: the suppressed year has none, not a
        // bar of height zero.
        assert_eq!(svg.matches("<rect x=").count() - 2, 5, "{svg}");
        assert!(!svg.contains("Alcohol only, 2022-23"));
        assert!(chart.description().contains("One value is not drawn"));
        assert!(
            chart
                .table_html()
                .contains("<td class=\"num\">fewer than 5</td>")
        );
    }

    #[test]
    fn a_gap_breaks_the_line_rather_than_dropping_to_zero() {
        let svg = completions().svg();
        // The first series is one line; the second has no two adjacent
        // years so draws no line, only its two points.
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert!(svg.contains("Non-opiates &amp; alcohol, 2021-22: 40.0%"));
        assert!(svg.contains("Non-opiates &amp; alcohol, 2023-24: 44.0%"));
        assert!(!svg.contains("2022-23: not held"));
    }

    #[test]
    fn a_chart_with_no_values_says_so_and_draws_no_zero() {
        let mut chart = substances();
        for series in &mut chart.series {
            for point in &mut series.points {
                *point = Point::not_drawn("no figure");
            }
        }
        let svg = chart.svg();
        assert!(svg.contains("No figures are held for this chart."));
        assert!(!svg.contains(">0<"), "{svg}");
        assert!(chart.description().contains("No figures are held for it."));
    }

    #[test]
    fn svg_has_its_text_alternatives() {
        let svg = substances().svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"in-treatment-title in-treatment-desc\""));
        assert!(svg.contains(
            "<title id=\"in-treatment-title\">People in treatment by substance group</title>"
        ));
        assert!(svg.contains(
            "<desc id=\"in-treatment-desc\">Bar chart of people by financial year, 2021-22 to 2023-24, 2 series: Opiates, Alcohol only."
        ));
        assert!(
            !svg.contains("style="),
            "the content security policy allows no inline style"
        );
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn text_is_escaped() {
        let mut chart = substances();
        chart.title = "<script>alert(1)</script>".into();
        chart.series[0].name = "\"quoted\" & <b>".into();
        chart.id = "x\" onload=\"y".into();
        let html = chart.html();
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("x\" onload"));
        assert!(html.contains("&quot;quoted&quot; &amp; &lt;b&gt;"));
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_defused() {
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_cell("-x"), "'-x");
        assert_eq!(csv_cell("-3"), "-3");
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn value_axis_steps_are_round_and_cover_every_value() {
        let axis = substances().value_axis();
        assert_eq!((axis.low, axis.high, axis.step), (0.0, 1400.0, 200.0));
        let axis = completions().value_axis();
        assert_eq!((axis.low, axis.high, axis.step), (0.0, 50.0, 10.0));
        // Small counts never get fractional ticks.
        let mut small = substances();
        small.series.truncate(1);
        small.series[0].points = vec![Point::value(2.0, Scale::Count)];
        let axis = small.value_axis();
        assert_eq!(axis.step, 1.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(0.3), 0.5);
    }

    #[test]
    fn numbers_are_written_as_people_read_them() {
        assert_eq!(format_value(1234567.0, Scale::Count), "1,234,567");
        assert_eq!(format_value(12.0, Scale::Count), "12");
        assert_eq!(format_value(33.333, Scale::Percent), "33.3%");
        assert_eq!(tick_label(0.5, 0.5, Scale::Percent), "0.5%");
        assert_eq!(tick_label(2000.0, 500.0, Scale::Count), "2,000");
    }

    /// WCAG 2.2 relative luminance of a `#rrggbb` colour.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    #[test]
    fn every_series_colour_has_three_to_one_contrast_on_white() {
        for colour in PALETTE {
            let ratio = 1.05 / (luminance(colour) + 0.05);
            assert!(ratio >= 3.0, "{colour} is {ratio:.2}:1 on white");
        }
    }
}
