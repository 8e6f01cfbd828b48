//! A compact list of host names: `web01..web40, db1, db3`. Names that
//! differ only by a number counting up one at a time (same text before and
//! after it, same width) are one range, shown by its first and last name.

/// How many items (a range or a single name) a list shows before it counts
/// the hosts of the rest: `web01..web40, db1, ... and 12 more hosts`.
const ITEMS_MAX: usize = 8;

/// A host name cut around its last run of digits, for natural order and
/// for ranges. A name without digits has no number.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts<'a> {
    name: &'a str,
    head: &'a str,
    number: Option<(u128, usize)>,
    tail: &'a str,
}

fn parts(name: &str) -> Parts<'_> {
    let bytes = name.as_bytes();
    // Without a digit, the number is empty: no number, all head.
    let end = (bytes.iter().rposition(u8::is_ascii_digit)).map_or(name.len(), |i| i + 1);
    let start = (bytes[..end].iter().rposition(|b| !b.is_ascii_digit())).map_or(0, |i| i + 1);
    // A number too long for u128 is compared as text: no range.
    let number = name[start..end].parse().ok().map(|n| (n, end - start));
    Parts {
        name,
        head: &name[..start],
        number,
        tail: &name[end..],
    }
}

/// Whether `next` follows `last` in a range: the same text around a
/// number one greater, of the same width when either is zero-padded
/// (`web09`, `web10`; `web9`, `web10`; not `web9`, `web010`).
fn follows(last: &Parts<'_>, next: &Parts<'_>) -> bool {
    let padded =
        |(n, width): (u128, usize)| width > n.checked_ilog10().map_or(1, |l| l as usize + 1);
    let (Some(a), Some(b)) = (last.number, next.number) else {
        return false;
    };
    last.head == next.head
        && last.tail == next.tail
        && a.0.checked_add(1) == Some(b.0)
        && (a.1 == b.1 || !(padded(a) || padded(b)))
}

/// `hosts` in natural order (`web2` before `web10`), each once.
pub(crate) fn sorted<'a>(hosts: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut all: Vec<Parts<'a>> = hosts.into_iter().map(parts).collect();
    let key = |p: &Parts<'a>| (p.head, p.tail, p.number.map_or(u128::MAX, |n| n.0), p.name);
    all.sort_by(|a, b| key(a).cmp(&key(b)));
    all.dedup_by(|a, b| a.name == b.name);
    all.into_iter().map(|p| p.name).collect()
}

/// The compact list of `hosts`, at most [`ITEMS_MAX`] items (a range of
/// three or more names as `first..last`, any other name alone), the hosts
/// of the rest counted: `web01..web40, db1 and 3 more hosts`. Unescaped.
pub(crate) fn compact<S: AsRef<str>>(hosts: &[S]) -> String {
    let names = sorted(hosts.iter().map(AsRef::as_ref));
    let sorted: Vec<Parts<'_>> = names.into_iter().map(parts).collect();
    // Each item with how many hosts it stands for.
    let items: Vec<(String, usize)> = (sorted.chunk_by(|a, b| follows(a, b)))
        .flat_map(|run| match run {
            [first, _, .., last] => vec![(format!("{}..{}", first.name, last.name), run.len())],
            _ => run.iter().map(|p| (p.name.to_owned(), 1)).collect(),
        })
        .collect();
    let shown = items.len().min(ITEMS_MAX);
    let names: Vec<&str> = items[..shown].iter().map(|(n, _)| n.as_str()).collect();
    match items[shown..].iter().map(|(_, count)| count).sum::<usize>() {
        0 => names.join(", "),
        left => format!("{} and {left} more hosts", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(prefix: &str, range: std::ops::RangeInclusive<u32>, width: usize) -> Vec<String> {
        range.map(|n| format!("{prefix}{n:0width$}")).collect()
    }

    fn compact_of(hosts: &[String]) -> String {
        compact(hosts)
    }

    #[test]
    fn consecutive_numbers_are_one_range() {
        let mut hosts = names("web", 1..=40, 2);
        hosts.reverse();
        assert_eq!(compact_of(&hosts), "web01..web40");
        assert_eq!(compact_of(&names("web", 1..=2, 1)), "web1, web2");
        assert_eq!(compact_of(&names("web", 8..=11, 1)), "web8..web11");
    }

    #[test]
    fn gaps_prefixes_widths_and_domains_break_ranges() {
        let hosts: Vec<String> = [
            "web01",
            "web02",
            "web03",
            "web05",
            "db1",
            "db2",
            "db3",
            "web004",
            "mail",
            "web06.example.com",
            "web07.example.com",
            "web08.example.com",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            compact_of(&hosts),
            "db1..db3, mail, web01..web03, web004, web05, web06.example.com..web08.example.com"
        );
    }

    #[test]
    fn a_long_list_counts_what_it_leaves_out() {
        let hosts: Vec<String> = (0..20).map(|n| format!("h{}", n * 2)).collect();
        let text = compact_of(&hosts);
        assert!(text.ends_with(" and 12 more hosts"), "{text}");
        // What is left out is counted in hosts, ranges too.
        let mut ranges: Vec<String> = Vec::new();
        for block in 0..10 {
            ranges.extend((0..5).map(|n| format!("r{block}x{n}")));
        }
        assert!(compact_of(&ranges).ends_with("r7x0..r7x4 and 10 more hosts"));
        assert!(text.starts_with("h0, h2, h4"), "{text}");
        let dup = ["a".to_owned(), "a".to_owned()];
        assert_eq!(compact_of(&dup), "a");
        let huge = [
            "n99999999999999999999999999999999999999999".to_owned(),
            "n1".to_owned(),
        ];
        assert_eq!(
            compact_of(&huge),
            "n1, n99999999999999999999999999999999999999999"
        );
    }
}
