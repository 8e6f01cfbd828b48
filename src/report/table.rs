//! The bordered table of the text panel, drawn by hand: the cells are
//! written back to back into one buffer as they are formatted, each
//! column's width is kept up to date as they arrive, and the table is
//! drawn in one pass. It draws what comfy-table's `ASCII_FULL_CONDENSED`
//! and `UTF8_FULL_CONDENSED` presets drew for this panel, byte for byte
//! (the unit tests compare the two), at a fraction of the cost: see the
//! README's choices.

use std::fmt;

use unicode_width::UnicodeWidthStr;

/// How a column's cells sit in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Flush left, padded on the right.
    Left,
    /// Flush right, padded on the left (numbers).
    Right,
}

/// A foreground colour for a cell, as the ANSI 256-colour index of the
/// bright colours (`ESC [ 38;5;N m`), reset with `ESC [ 39 m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// Bright red.
    Red,
    /// Bright green.
    Green,
    /// Bright yellow.
    Yellow,
    /// Bright blue.
    Blue,
    /// Bright cyan.
    Cyan,
}

impl Colour {
    fn sgr(self) -> &'static str {
        match self {
            Colour::Red => "\x1b[38;5;9m",
            Colour::Green => "\x1b[38;5;10m",
            Colour::Yellow => "\x1b[38;5;11m",
            Colour::Blue => "\x1b[38;5;12m",
            Colour::Cyan => "\x1b[38;5;14m",
        }
    }
}

const RESET: &str = "\x1b[39m";

/// The characters of one horizontal line: left end, fill, junction
/// between columns, right end.
#[derive(Debug, Clone, Copy)]
struct Rule(char, char, char, char);

/// The characters of a table's borders.
#[derive(Debug, Clone, Copy)]
pub struct Borders {
    top: Rule,
    below_header: Rule,
    bottom: Rule,
    /// Left end, between columns, right end of a line of cells.
    sides: (char, char, char),
}

/// Plain ASCII: `+---+`, `|`, and `+===+` under the headings.
pub const ASCII: Borders = Borders {
    top: Rule('+', '-', '+', '+'),
    below_header: Rule('+', '=', '=', '+'),
    bottom: Rule('+', '-', '+', '+'),
    sides: ('|', '|', '|'),
};

/// UTF-8 box drawing: `┌─┬─┐`, `│ ┆ │`, `╞═╪═╡` under the headings.
pub const UTF8: Borders = Borders {
    top: Rule('┌', '─', '┬', '┐'),
    below_header: Rule('╞', '═', '╪', '╡'),
    bottom: Rule('└', '─', '┴', '┘'),
    sides: ('│', '┆', '│'),
};

/// One column: its heading, alignment and the width of its widest cell.
#[derive(Debug, Clone)]
struct Column {
    heading: &'static str,
    align: Align,
    width: usize,
}

/// Where a cell's text ends in the buffer, and its colour.
#[derive(Debug, Clone, Copy)]
struct Cell {
    end: usize,
    width: usize,
    colour: Option<Colour>,
}

/// A table being filled row by row, cell by cell, left to right.
#[derive(Debug, Clone)]
pub struct Grid {
    columns: Vec<Column>,
    text: String,
    cells: Vec<Cell>,
}

/// How many columns a text takes on a terminal: its length for printable
/// ASCII, else its Unicode width (East Asian wide characters take two).
fn width(text: &str) -> usize {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        text.len()
    } else {
        text.width()
    }
}

impl Grid {
    /// A table with these headings and alignments, and room for `rows`.
    pub fn new(columns: impl IntoIterator<Item = (&'static str, Align)>, rows: usize) -> Self {
        let columns: Vec<Column> = columns
            .into_iter()
            .map(|(heading, align)| Column {
                heading,
                align,
                // A column is at least one character wide.
                width: width(heading).max(1),
            })
            .collect();
        let cells = rows.saturating_mul(columns.len());
        Grid {
            text: String::with_capacity(cells.saturating_mul(6)),
            cells: Vec::with_capacity(cells),
            columns,
        }
    }

    /// Adds the next cell, `text` (one line: the caller has escaped every
    /// control character, line breaks included).
    pub fn push(&mut self, text: &str, colour: Option<Colour>) {
        self.push_with(colour, |buf| {
            buf.push_str(text);
            Ok(())
        });
    }

    /// Adds the next cell, formatted by `write` straight into the table's
    /// buffer.
    pub fn push_with(
        &mut self,
        colour: Option<Colour>,
        write: impl FnOnce(&mut String) -> fmt::Result,
    ) {
        let start = self.text.len();
        // Writing to a String cannot fail.
        let _ = write(&mut self.text);
        let width = width(&self.text[start..]);
        let column = self.cells.len() % self.columns.len().max(1);
        if let Some(c) = self.columns.get_mut(column) {
            c.width = c.width.max(width);
        }
        self.cells.push(Cell {
            end: self.text.len(),
            width,
            colour,
        });
    }

    /// Draws the table into `out`, one line per row between the borders,
    /// without a newline after the last border. `colour` says whether the
    /// cells' colours are drawn. Every row must be full: the panel always
    /// fills one cell per column.
    pub fn draw(&self, out: &mut String, borders: &Borders, colour: bool) {
        if self.columns.is_empty() {
            return;
        }
        let line: usize = self.columns.iter().map(|c| c.width + 3).sum::<usize>() + 2;
        let rows = self.cells.len() / self.columns.len().max(1);
        out.reserve((rows + 4) * (line + if colour { 16 } else { 0 }));
        self.rule(out, borders.top);
        out.push('\n');
        let (left, junction, right) = borders.sides;
        out.push(left);
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push(junction);
            }
            let w = width(column.heading);
            pad(out, column.heading, w, column.width, column.align);
        }
        out.push(right);
        out.push('\n');
        self.rule(out, borders.below_header);
        let mut start = 0;
        for (i, cell) in self.cells.iter().enumerate() {
            let column = &self.columns[i % self.columns.len()];
            if i % self.columns.len() == 0 {
                out.push('\n');
                out.push(left);
            } else {
                out.push(junction);
            }
            let text = &self.text[start..cell.end];
            start = cell.end;
            match cell.colour.filter(|_| colour) {
                Some(c) => {
                    out.push_str(c.sgr());
                    pad(out, text, cell.width, column.width, column.align);
                    out.push_str(RESET);
                }
                None => pad(out, text, cell.width, column.width, column.align),
            }
            if (i + 1) % self.columns.len() == 0 {
                out.push(right);
            }
        }
        out.push('\n');
        self.rule(out, borders.bottom);
    }

    /// A horizontal line across every column.
    fn rule(&self, out: &mut String, Rule(left, fill, junction, right): Rule) {
        out.push(left);
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push(junction);
            }
            out.extend(std::iter::repeat_n(fill, column.width + 2));
        }
        out.push(right);
    }
}

/// One cell: a space, the text padded to `room` columns on the side its
/// alignment leaves free, and a space.
fn pad(out: &mut String, text: &str, width: usize, room: usize, align: Align) {
    let free = room.saturating_sub(width);
    let (before, after) = match align {
        Align::Left => (1, free + 1),
        Align::Right => (free + 1, 1),
    };
    out.extend(std::iter::repeat_n(' ', before));
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', after));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn draws_borders_headings_and_aligned_cells() {
        let mut grid = Grid::new([("job", Align::Left), ("age", Align::Right)], 2);
        grid.push("backup", None);
        grid.push("1h", None);
        grid.push("宽", Some(Colour::Red));
        grid.push_with(None, |s| write!(s, "{}d", 12));
        let mut ascii = String::new();
        grid.draw(&mut ascii, &ASCII, true);
        assert_eq!(
            ascii,
            "+--------+-----+\n\
             | job    | age |\n\
             +==============+\n\
             | backup |  1h |\n\
             |\x1b[38;5;9m 宽     \x1b[39m| 12d |\n\
             +--------+-----+"
        );
        let mut plain = String::new();
        grid.draw(&mut plain, &UTF8, false);
        assert_eq!(
            plain,
            "┌────────┬─────┐\n\
             │ job    ┆ age │\n\
             ╞════════╪═════╡\n\
             │ backup ┆  1h │\n\
             │ 宽     ┆ 12d │\n\
             └────────┴─────┘"
        );
    }

    #[test]
    fn a_table_without_rows_still_has_its_headings() {
        let grid = Grid::new([("job", Align::Left)], 0);
        let mut out = String::new();
        grid.draw(&mut out, &ASCII, false);
        assert_eq!(out, "+-----+\n| job |\n+=====+\n+-----+");
    }
}
