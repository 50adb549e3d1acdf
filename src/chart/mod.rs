//! Charts (plotters) as PNG and SVG, with Chinese labels drawn from a bundled font, so they
//! render the same on a machine without CJK fonts. One generic chart — grouped bars with
//! optional lines, vertical or horizontal — serves every metric; `report` fills it from
//! the views.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

pub mod webfont;

/// WenQuanYi Micro Hei (Apache-2.0 or GPLv3 with the font exception; see
/// `assets/fonts/README.md`): Chinese labels in PNG charts without system fonts.
static CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");
/// The family name charts use; registered with plotters on first use.
pub const FONT: &str = "ceping-cjk";

/// The bundled font's glyphs for `text`, as a WOFF2 web font (`@font-face` of an HTML
/// report: it renders the same where no CJK font is installed).
pub fn web_font(text: &str) -> Result<Vec<u8>> {
    webfont::for_text(CJK_FONT, text)
}

/// Registers the bundled font with plotters (once).
pub fn register_font() -> Result<()> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, CJK_FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::Usage("the bundled CJK font could not be loaded".into()))
    }
}

/// A chart: categories along one axis, one bar per series per category, and lines.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub category_label: String,
    pub value_label: String,
    pub categories: Vec<String>,
    pub bars: Vec<(String, Vec<f64>)>,
    pub lines: Vec<(String, Vec<f64>)>,
    /// Categories down the side (long department names read better).
    pub horizontal: bool,
    /// The values are counts: the value axis shows whole numbers only.
    pub counts: bool,
    /// The bars of a category stacked into one (parts of a whole), not side by side.
    pub stacked: bool,
}

/// Width of the legend strip to the right of the plot: the legend never covers data.
const LEGEND_WIDTH: u32 = 190;

const PALETTE: [RGBColor; 6] = [
    RGBColor(0x2E, 0x6F, 0xB7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x9C, 0x75, 0x5F),
];

/// Long names are cut to `max` characters with an ellipsis, so labels stay legible.
pub fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        name.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    }
}

impl Chart {
    fn max_value(&self) -> f64 {
        let stacks = (0..self.categories.len()).map(|i| {
            self.bars
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0.0))
                .sum::<f64>()
        });
        let m = self
            .bars
            .iter()
            .chain(&self.lines)
            .flat_map(|(_, v)| v.iter().copied())
            .chain(stacks.filter(|_| self.stacked))
            .fold(0.0, f64::max);
        if m <= 0.0 {
            1.0
        } else {
            m * 1.15
        }
    }

    /// Writes `<stem>.png` and `<stem>.svg` into `dir`.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<()> {
        register_font()?;
        fs_err::create_dir_all(dir)?;
        let size = if self.horizontal {
            (960, 120 + 28 * self.categories.len().max(4) as u32)
        } else {
            (960, 520)
        };
        let png = dir.join(format!("{stem}.png"));
        self.draw(BitMapBackend::new(&png, size).into_drawing_area())
            .map_err(|e| draw_error(&png, e))?;
        let svg = dir.join(format!("{stem}.svg"));
        self.draw(SVGBackend::new(&svg, size).into_drawing_area())
            .map_err(|e| draw_error(&svg, e))?;
        Ok(())
    }

    /// The chart as an SVG document in memory (for inline HTML).
    pub fn svg(&self) -> Result<String> {
        register_font()?;
        let size = if self.horizontal {
            (960, 120 + 28 * self.categories.len().max(4) as u32)
        } else {
            (960, 520)
        };
        let mut out = String::new();
        self.draw(SVGBackend::with_string(&mut out, size).into_drawing_area())
            .map_err(|e| draw_error(Path::new("inline svg"), e))?;
        Ok(out)
    }

    /// Draws onto any plotters backend: the plot on the left, the legend in its own strip
    /// on the right.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, (FONT, 26))?;
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally(width.saturating_sub(LEGEND_WIDTH));
        let n = self.categories.len().max(1);
        let groups = if self.stacked {
            1.0
        } else {
            self.bars.len().max(1) as f64
        };
        let bar = 0.8 / groups;
        // (start, end) of each bar along the value axis, and its offset across: side by
        // side, or stacked on the bars before it.
        let spans = |s: usize, i: usize, v: f64| -> (f64, f64, f64) {
            if self.stacked {
                let below: f64 = self.bars[..s]
                    .iter()
                    .map(|(_, w)| w.get(i).copied().unwrap_or(0.0))
                    .sum();
                (below, below + v, -0.4)
            } else {
                (0.0, v, -0.4 + s as f64 * bar)
            }
        };
        let max = self.max_value();
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 0.01 && i >= 0.0 && (i as usize) < self.categories.len() {
                shorten(&self.categories[i as usize], 10)
            } else {
                String::new()
            }
        };
        // Counts: whole-number ticks only (no `140.0`, no `2.5` systems).
        let counts = self.counts;
        let value = move |v: &f64| {
            if counts {
                if (v - v.round()).abs() < 1e-9 {
                    format!("{}", v.round() as i64)
                } else {
                    String::new()
                }
            } else if (v - v.round()).abs() < 1e-9 {
                format!("{}", v.round() as i64)
            } else {
                format!("{v:.1}")
            }
        };
        let value_ticks = if counts {
            (max.floor() as usize + 1).clamp(2, 11)
        } else {
            11
        };
        let mut builder = ChartBuilder::on(&plot);
        builder.margin(16);
        let mut entries: Vec<(String, RGBColor, bool)> = Vec::new();
        if self.horizontal {
            builder.x_label_area_size(48).y_label_area_size(170);
            let mut chart = builder.build_cartesian_2d(0.0..max, -0.5..(n as f64 - 0.5))?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(n)
                .y_label_formatter(&label)
                .x_labels(value_ticks)
                .x_label_formatter(&value)
                .x_desc(&self.value_label)
                .label_style((FONT, 14))
                .axis_desc_style((FONT, 16))
                .draw()?;
            for (s, (name, values)) in self.bars.iter().enumerate() {
                let color = PALETTE[s % PALETTE.len()];
                chart.draw_series(values.iter().enumerate().map(|(i, v)| {
                    let (from, to, offset) = spans(s, i, *v);
                    let y = i as f64 + offset;
                    Rectangle::new([(from, y), (to, y + bar * 0.9)], color.filled())
                }))?;
                entries.push((name.clone(), color, false));
            }
        } else {
            builder.x_label_area_size(56).y_label_area_size(72);
            let mut chart = builder.build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..max)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n)
                .x_label_formatter(&label)
                .y_labels(value_ticks)
                .y_label_formatter(&value)
                .y_desc(&self.value_label)
                .x_desc(&self.category_label)
                .label_style((FONT, 14))
                .axis_desc_style((FONT, 16))
                .draw()?;
            for (s, (name, values)) in self.bars.iter().enumerate() {
                let color = PALETTE[s % PALETTE.len()];
                chart.draw_series(values.iter().enumerate().map(|(i, v)| {
                    let (from, to, offset) = spans(s, i, *v);
                    let x = i as f64 + offset;
                    Rectangle::new([(x, from), (x + bar * 0.9, to)], color.filled())
                }))?;
                entries.push((name.clone(), color, false));
            }
            for (s, (name, values)) in self.lines.iter().enumerate() {
                let color = PALETTE[(self.bars.len() + s) % PALETTE.len()];
                let points: Vec<(f64, f64)> = values.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect();
                chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))?;
                chart.draw_series(points.into_iter().map(|p| Circle::new(p, 4, color.filled())))?;
                entries.push((name.clone(), color, true));
            }
        }
        for (k, (name, color, line)) in entries.iter().enumerate() {
            let y = 40 + 26 * k as i32;
            if *line {
                legend.draw(&PathElement::new(vec![(8, y), (30, y)], color.stroke_width(3)))?;
            } else {
                legend.draw(&Rectangle::new([(10, y - 7), (28, y + 7)], color.filled()))?;
            }
            legend.draw(&Text::new(shorten(name, 11), (36, y - 8), (FONT, 14).into_font()))?;
        }
        root.present()?;
        Ok(())
    }
}

fn draw_error<E: std::fmt::Debug>(path: &Path, e: E) -> Error {
    Error::Usage(format!("drawing `{}`: {e:?}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders one line of text in the bundled font into an RGB buffer.
    fn render(text: &str) -> Vec<u8> {
        register_font().unwrap();
        let (w, h) = (240u32, 60u32);
        let mut buf = vec![255u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            root.fill(&WHITE).unwrap();
            root.draw(&Text::new(
                text.to_string(),
                (5, 10),
                (FONT, 32).into_font().color(&BLACK),
            ))
            .unwrap();
            root.present().unwrap();
        }
        buf
    }

    fn ink(buf: &[u8]) -> usize {
        buf.chunks(3).filter(|p| p[0] < 128).count()
    }

    #[test]
    fn chinese_glyphs_are_drawn_not_boxes() {
        let chinese = render("测评计划");
        let other = render("整改经费");
        // Code points the font lacks: what a font that cannot draw Chinese would give.
        let missing = render("\u{E000}\u{E001}\u{E002}\u{E003}");
        assert!(ink(&chinese) > 400, "the title has ink: {}", ink(&chinese));
        assert_ne!(chinese, other, "different characters draw differently");
        assert_ne!(chinese, missing, "Chinese is not drawn as unknown-glyph boxes");
    }

    #[test]
    fn long_names_are_shortened_legibly() {
        assert_eq!(shorten("市规划和自然资源局信息中心", 8), "市规划和自然资…");
        assert_eq!(shorten("市教委", 8), "市教委");
    }
}
