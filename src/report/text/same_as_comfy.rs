//! The hand-written panel draws exactly what comfy-table drew: the panel
//! as it was built with comfy-table is kept here as the reference, and
//! both are drawn for generated jobs (any name, wide, combining and
//! control characters included, several hosts, with and without
//! histories) in all four looks.

use comfy_table::{presets, Cell, CellAlignment, Color, Table};
use proptest::prelude::*;

use super::*;
use crate::history::{Mark, Recent};

fn comfy_colour(status: Status) -> Color {
    match colour_of(status) {
        Colour::Red => Color::Red,
        Colour::Yellow => Color::Yellow,
        Colour::Cyan => Color::Cyan,
        Colour::Blue => Color::Blue,
        Colour::Green => Color::Green,
    }
}

/// The panel exactly as the comfy-table version built it.
fn comfy(jobs: &[Judgement], options: TextOptions) -> String {
    let (headings, rows) = nightly::panel(jobs);
    let mut table = Table::new();
    table.force_no_tty();
    if options.colour {
        table.enforce_styling();
    }
    table.load_style(if options.unicode {
        presets::UTF8_FULL_CONDENSED
    } else {
        presets::ASCII_FULL_CONDENSED
    });
    table.set_header(headings.clone());
    for row in rows {
        let mut cells = Vec::with_capacity(headings.len());
        if let Some(host) = row.host {
            cells.push(Cell::new(terminal(host)));
        }
        cells.push(Cell::new(terminal(row.job)));
        let status = Cell::new(row.status.as_str());
        cells.push(if options.colour {
            status.fg(comfy_colour(row.status))
        } else {
            status
        });
        cells.extend([row.age, row.interval, row.ratio].map(Cell::new));
        if let Some(runs) = row.runs {
            cells.push(Cell::new(runs.strip(options.unicode)));
            cells.extend([runs.success, runs.median].map(Cell::new));
        }
        table.add_row(cells);
    }
    for (column, heading) in headings.iter().enumerate() {
        if let (true, Some(c)) = (runs::is_numeric(heading), table.column_mut(column)) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

fn ours(jobs: &[Judgement], options: TextOptions) -> String {
    draw(&table(jobs, options), options)
}

const STATUSES: [Status; 9] = Status::ALL;

/// Names with the characters that make widths interesting: wide, combining,
/// zero-width, controls, bidi overrides, emoji.
fn name() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('a', 'z'),
            1 => Just('宽'),
            1 => Just('\u{301}'),
            1 => Just('\u{200b}'),
            1 => Just('\x1b'),
            1 => Just('\n'),
            1 => Just('\u{202e}'),
            1 => Just('🦀'),
            1 => Just('é'),
            1 => any::<char>(),
        ],
        0..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn recent() -> impl Strategy<Value = Option<Recent>> {
    proptest::option::of((
        proptest::collection::vec(
            prop_oneof![Just(Mark::Ok), Just(Mark::Fail), Just(Mark::Missed)],
            0..16,
        ),
        proptest::option::of(0.0..=1.0f64),
        proptest::option::of(0.0..1e7f64),
    ))
    .prop_map(|r| {
        r.map(|(marks, success_rate, median_duration)| Recent {
            marks,
            success_rate,
            median_duration,
        })
    })
}

fn job() -> impl Strategy<Value = Judgement> {
    (
        name(),
        proptest::option::of(prop_oneof![Just("web1".to_owned()), name()]),
        0..STATUSES.len(),
        proptest::option::of(0..4_000_000u64),
        proptest::option::of(1..4_000_000u64),
        proptest::option::of(0.0..1e6f64),
        recent(),
    )
        .prop_map(|(job, host, status, age, interval, ratio, recent)| {
            let mut j = Judgement::missing(&job);
            j.host = host;
            j.status = STATUSES[status];
            j.age_seconds = age;
            j.interval_seconds = interval;
            j.ratio = ratio;
            j.recent = recent.map(Box::new);
            j
        })
}

fn looks() -> [TextOptions; 4] {
    [(false, false), (false, true), (true, false), (true, true)]
        .map(|(unicode, colour)| TextOptions { unicode, colour })
}

/// crossterm, which comfy-table colours with, draws no colour at all when
/// `NO_COLOR` is set in the environment: then the coloured reference cannot
/// be had.
fn colour_comparable() -> bool {
    let set = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if set {
        assert!(
            std::env::var_os("CI").is_none(),
            "NO_COLOR is set: the coloured panels cannot be compared with comfy-table's"
        );
        eprintln!("NO_COLOR is set: coloured panels not compared with comfy-table's (skipped)");
    }
    !set
}

#[test]
fn the_fixed_panels_are_the_same() {
    let mut jobs = super::tests::jobs();
    jobs.push(Judgement::missing("宽宽-wide"));
    let colour = colour_comparable();
    for options in looks().into_iter().filter(|o| colour || !o.colour) {
        assert_eq!(ours(&jobs, options), comfy(&jobs, options), "{options:?}");
        assert_eq!(ours(&[], options), comfy(&[], options), "{options:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_panel_is_drawn_byte_for_byte_as_comfy_table_drew_it(
        jobs in proptest::collection::vec(job(), 0..6),
    ) {
        let colour = colour_comparable();
        for options in looks().into_iter().filter(|o| colour || !o.colour) {
            prop_assert_eq!(ours(&jobs, options), comfy(&jobs, options), "{:?}", options);
        }
    }
}
