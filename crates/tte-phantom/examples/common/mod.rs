//! Arguments shared by the survey examples: `[clips-per-view] [default|shifted]`.
use tte_phantom::Style;

/// Clips per view (default 4) and phantom style (default `default`); exits with a message on a
/// value it cannot read rather than quietly surveying something else.
pub fn per_view_and_style() -> (u64, Style) {
    let mut args = std::env::args().skip(1);
    let per_view = match args.next() {
        None => 4,
        Some(s) => s
            .parse()
            .unwrap_or_else(|_| fail(&format!("clips per view must be a whole number, got `{s}`"))),
    };
    let style = match args.next() {
        None => Style::Default,
        Some(s) => s.parse().unwrap_or_else(|e: String| fail(&e)),
    };
    (per_view, style)
}

fn fail(why: &str) -> ! {
    eprintln!("error: {why}");
    std::process::exit(2)
}
