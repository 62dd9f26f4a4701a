//! How migration tools compare file names: natural order, Flyway versions, numeric prefixes.
//!
//! Pure functions over names. This file does no I/O and does not know which layout uses
//! which ordering; `layouts.rs` makes that choice.

use std::cmp::Ordering;

/// Compares two names as a person sorts numbered files: runs of ASCII digits compare as
/// numbers (`2_x.sql` before `10_x.sql`), every other byte compares as itself. Names that
/// are equal that way (`01_x.sql` and `1_x.sql`) fall back to byte order, so this is a
/// total order and sorting with it is deterministic.
pub fn natural_cmp(left: &str, right: &str) -> Ordering {
    natural_cmp_bytes(left.as_bytes(), right.as_bytes()).then_with(|| left.cmp(right))
}

/// Compares two strings of ASCII digits by the numbers they spell, whatever their length
/// (no overflow: leading zeros are dropped, then the longer number is the larger).
pub fn compare_digit_strings(left: &str, right: &str) -> Ordering {
    let left = left.trim_start_matches('0');
    let right = right.trim_start_matches('0');
    left.len().cmp(&right.len()).then_with(|| left.cmp(right))
}

/// The leading run of digits of a name when a `_` follows it: `"20240101_init.sql"` gives
/// `Some("20240101")`, `"init.sql"` and `"1init.sql"` give `None`. This is the version
/// Supabase, dbmate and golang-migrate read from a file name.
pub fn numbered_prefix(name: &str) -> Option<&str> {
    let digits_end = name.bytes().position(|byte| !byte.is_ascii_digit()).unwrap_or(name.len());
    if digits_end == 0 || name.as_bytes().get(digits_end) != Some(&b'_') {
        return None;
    }
    name.get(..digits_end)
}

/// Which half of a golang-migrate pair a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GolangMigrateDirection {
    Up,
    Down,
}

/// Reads a golang-migrate file name, `{version}_{title}.up.sql` or `.down.sql`. The version
/// must fit in a `u64`, as golang-migrate itself requires.
pub fn parse_golang_migrate_name(name: &str) -> Option<(u64, GolangMigrateDirection)> {
    let (stem, direction) = if let Some(stem) = name.strip_suffix(".up.sql") {
        (stem, GolangMigrateDirection::Up)
    } else if let Some(stem) = name.strip_suffix(".down.sql") {
        (stem, GolangMigrateDirection::Down)
    } else {
        return None;
    };
    let version = numbered_prefix(stem)?;
    let version = version.parse::<u64>().ok()?;
    Some((version, direction))
}

/// Reads a postgrator file name, `<version>.do.<name>.sql` or `<version>.undo.<name>.sql` (the
/// name is optional: `001.do.sql`). Returns the version and whether the file runs when
/// migrating up (`do`). The version must fit in a `u64`.
pub fn parse_postgrator_name(name: &str) -> Option<(u64, bool)> {
    let stem = name.strip_suffix(".sql")?;
    let (version, rest) = stem.split_once('.')?;
    if version.is_empty() || !version.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let action = rest.split('.').next()?;
    let runs = match action {
        "do" => true,
        "undo" => false,
        _ => return None,
    };
    Some((version.parse().ok()?, runs))
}

/// How a file name says it undoes another migration. `Named` forms are unmistakable
/// (`.down.sql`, `_down.sql`, `down.sql`, `.undo.`); `Worded` ones only contain a word
/// (`rollback`, `revert`) that a forward migration may also use (`revert_bad_policy.sql`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reversal {
    Named,
    Worded,
}

/// Whether `name` (a file name, or a folder's) reads as a down, undo, rollback or revert
/// migration, and how surely.
pub fn reversal_name(name: &str) -> Option<Reversal> {
    let lower = name.to_ascii_lowercase();
    let stem = lower.strip_suffix(".sql").unwrap_or(&lower);
    let named = stem == "down"
        || stem == "undo"
        || stem == "rollback"
        || stem == "revert"
        || [".down", "_down", "-down", ".undo", "_undo", "-undo", ".rollback", "_rollback", "-rollback"]
            .iter()
            .any(|suffix| stem.ends_with(suffix))
        || stem.contains(".undo.")
        || stem.contains(".down.");
    if named {
        return Some(Reversal::Named);
    }
    (stem.contains("rollback") || stem.contains("revert")).then_some(Reversal::Worded)
}

/// The kinds of file Flyway knows by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlywayName<'name> {
    /// `V<version>__<description>.sql`: the version's numeric parts, as digit strings.
    Versioned { version: Vec<&'name str> },
    /// `R__<description>.sql`: run after every versioned migration, ordered by description.
    Repeatable { description: &'name str },
    /// `U<version>__<description>.sql`: an undo migration, never run when migrating up.
    Undo,
}

/// Reads a Flyway file name with Flyway's default prefixes (`V`, `R`, `U`), separator
/// (`__`) and suffix (`.sql`). Returns `None` for any other name.
pub fn parse_flyway_name(name: &str) -> Option<FlywayName<'_>> {
    let stem = name.strip_suffix(".sql")?;
    let (prefix, rest) = stem.split_at_checked(1)?;
    let (version, description) = rest.split_once("__")?;
    match prefix {
        "V" => parse_flyway_version(version).map(|version| FlywayName::Versioned { version }),
        "U" => parse_flyway_version(version).map(|_| FlywayName::Undo),
        "R" if version.is_empty() => Some(FlywayName::Repeatable { description }),
        _ => None,
    }
}

/// Splits a Flyway version (`1`, `1.1`, `1_1`, `2024.01.02`) into its numeric parts. Parts
/// are separated by `.` or `_` and must each be one or more digits.
pub fn parse_flyway_version(version: &str) -> Option<Vec<&str>> {
    if version.is_empty() {
        return None;
    }
    let parts: Vec<&str> = version.split(['.', '_']).collect();
    let every_part_is_a_number =
        parts.iter().all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()));
    every_part_is_a_number.then_some(parts)
}

/// Compares two Flyway versions as Flyway does: part by part as numbers, a missing part
/// counting as zero, so `1 < 1.1 < 2 < 10` and `1.0 == 1`.
pub fn compare_flyway_versions(left: &[&str], right: &[&str]) -> Ordering {
    let n_parts = left.len().max(right.len());
    for index in 0..n_parts {
        let left_part = left.get(index).copied().unwrap_or("0");
        let right_part = right.get(index).copied().unwrap_or("0");
        let ordering = compare_digit_strings(left_part, right_part);
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

fn natural_cmp_bytes(left: &[u8], right: &[u8]) -> Ordering {
    let mut left_index = 0;
    let mut right_index = 0;
    while left_index < left.len() && right_index < right.len() {
        let left_byte = left[left_index];
        let right_byte = right[right_index];
        if left_byte.is_ascii_digit() && right_byte.is_ascii_digit() {
            let left_end = digit_run_end(left, left_index);
            let right_end = digit_run_end(right, right_index);
            let ordering = compare_digit_bytes(&left[left_index..left_end], &right[right_index..right_end]);
            if ordering != Ordering::Equal {
                return ordering;
            }
            left_index = left_end;
            right_index = right_end;
        } else {
            let ordering = left_byte.cmp(&right_byte);
            if ordering != Ordering::Equal {
                return ordering;
            }
            left_index += 1;
            right_index += 1;
        }
    }
    (left.len() - left_index).cmp(&(right.len() - right_index))
}

fn digit_run_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().position(|byte| !byte.is_ascii_digit()).map_or(bytes.len(), |offset| start + offset)
}

fn compare_digit_bytes(left: &[u8], right: &[u8]) -> Ordering {
    let left = trim_leading_zero_bytes(left);
    let right = trim_leading_zero_bytes(right);
    left.len().cmp(&right.len()).then_with(|| left.cmp(right))
}

fn trim_leading_zero_bytes(digits: &[u8]) -> &[u8] {
    let first_non_zero = digits.iter().position(|&byte| byte != b'0').unwrap_or(digits.len());
    &digits[first_non_zero..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_naturally(names: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        names.sort_by(|left, right| natural_cmp(left, right));
        names
    }

    #[test]
    fn natural_order_compares_digit_runs_as_numbers() {
        assert_eq!(
            sorted_naturally(&["10_disable_rls.sql", "2_enable_rls.sql", "1_init.sql"]),
            ["1_init.sql", "2_enable_rls.sql", "10_disable_rls.sql"]
        );
        assert_eq!(
            sorted_naturally(&["b.sql", "a10.sql", "a9.sql", "a.sql"]),
            ["a.sql", "a9.sql", "a10.sql", "b.sql"]
        );
        assert_eq!(
            sorted_naturally(&["v1.10.sql", "v1.9.sql", "v1.2.sql"]),
            ["v1.2.sql", "v1.9.sql", "v1.10.sql"]
        );
    }

    #[test]
    fn natural_order_breaks_numeric_ties_by_bytes() {
        assert_eq!(
            sorted_naturally(&["1_x.sql", "01_x.sql", "001_x.sql"]),
            ["001_x.sql", "01_x.sql", "1_x.sql"]
        );
        assert_eq!(natural_cmp("01_x.sql", "1_x.sql"), Ordering::Less);
        assert_eq!(natural_cmp("same.sql", "same.sql"), Ordering::Equal);
    }

    #[test]
    fn natural_order_is_a_total_order() {
        let names =
            ["", "a", "1", "01", "1_a", "01_a", "10_a", "9_b", "a9", "a10", "a09", "é1", "é01", "V1_1__x"];
        for left in names {
            assert_eq!(natural_cmp(left, left), Ordering::Equal, "{left}");
            for right in names {
                assert_eq!(natural_cmp(left, right), natural_cmp(right, left).reverse(), "{left} vs {right}");
                if left != right {
                    assert_ne!(natural_cmp(left, right), Ordering::Equal, "{left} vs {right}");
                }
                for third in names {
                    let transitive = natural_cmp(left, right).is_gt() && natural_cmp(right, third).is_gt();
                    assert!(!transitive || natural_cmp(left, third).is_gt(), "{left} > {right} > {third}");
                }
            }
        }
    }

    #[test]
    fn natural_order_handles_numbers_longer_than_u64() {
        let huge = "123456789012345678901234567890_a.sql";
        let bigger = "923456789012345678901234567890_a.sql";
        assert_eq!(natural_cmp(huge, bigger), Ordering::Less);
        assert_eq!(natural_cmp("9_a.sql", huge), Ordering::Less);
    }

    #[test]
    fn natural_order_puts_a_prefix_first() {
        assert_eq!(natural_cmp("init", "init.sql"), Ordering::Less);
        assert_eq!(natural_cmp("1", "1_a"), Ordering::Less);
        assert_eq!(natural_cmp("", "a"), Ordering::Less);
    }

    #[test]
    fn numbered_prefix_needs_digits_then_underscore() {
        assert_eq!(numbered_prefix("20240101000000_init.sql"), Some("20240101000000"));
        assert_eq!(numbered_prefix("1_.sql"), Some("1"));
        assert_eq!(numbered_prefix("init.sql"), None);
        assert_eq!(numbered_prefix("1init.sql"), None);
        assert_eq!(numbered_prefix("_1.sql"), None);
        assert_eq!(numbered_prefix("123"), None);
    }

    #[test]
    fn postgrator_names() {
        assert_eq!(parse_postgrator_name("001.do.sql"), Some((1, true)));
        assert_eq!(parse_postgrator_name("0002.undo.create-users.sql"), Some((2, false)));
        assert_eq!(parse_postgrator_name("10.do.a.b.sql"), Some((10, true)));
        assert_eq!(parse_postgrator_name("1.redo.sql"), None);
        assert_eq!(parse_postgrator_name("v1.do.sql"), None);
        assert_eq!(parse_postgrator_name("1_do.sql"), None);
        assert_eq!(parse_postgrator_name(".do.sql"), None);
    }

    #[test]
    fn reversal_names() {
        for name in [
            "1_init.down.sql",
            "1_init_down.sql",
            "down.sql",
            "1.undo.init.sql",
            "x-rollback.sql",
            "undo.sql",
        ] {
            assert_eq!(reversal_name(name), Some(Reversal::Named), "{name}");
        }
        for name in ["20240101_revert_policy.sql", "rollback_plan.sql"] {
            assert_eq!(reversal_name(name), Some(Reversal::Worded), "{name}");
        }
        for name in ["1_init.sql", "1_init.up.sql", "download.sql", "1.do.x.sql", "countdown_timer.sql"] {
            assert_eq!(reversal_name(name), None, "{name}");
        }
    }

    #[test]
    fn golang_migrate_names() {
        assert_eq!(parse_golang_migrate_name("1_init.up.sql"), Some((1, GolangMigrateDirection::Up)));
        assert_eq!(parse_golang_migrate_name("10_x.down.sql"), Some((10, GolangMigrateDirection::Down)));
        assert_eq!(parse_golang_migrate_name("007_x.up.sql"), Some((7, GolangMigrateDirection::Up)));
        assert_eq!(parse_golang_migrate_name("1_init.sql"), None);
        assert_eq!(parse_golang_migrate_name("init.up.sql"), None);
        // One more than u64::MAX: golang-migrate cannot read it either.
        assert_eq!(parse_golang_migrate_name("18446744073709551616_x.up.sql"), None);
        assert_eq!(
            parse_golang_migrate_name("18446744073709551615_x.up.sql"),
            Some((u64::MAX, GolangMigrateDirection::Up))
        );
    }

    #[test]
    fn flyway_names() {
        assert_eq!(parse_flyway_name("V1__init.sql"), Some(FlywayName::Versioned { version: vec!["1"] }));
        assert_eq!(
            parse_flyway_name("V1_1__comment.sql"),
            Some(FlywayName::Versioned { version: vec!["1", "1"] })
        );
        assert_eq!(
            parse_flyway_name("V2024.01.02__x.sql"),
            Some(FlywayName::Versioned { version: vec!["2024", "01", "02"] })
        );
        assert_eq!(parse_flyway_name("R__touch.sql"), Some(FlywayName::Repeatable { description: "touch" }));
        assert_eq!(parse_flyway_name("U10__undo.sql"), Some(FlywayName::Undo));
        assert_eq!(parse_flyway_name("V__x.sql"), None);
        assert_eq!(parse_flyway_name("V1.__x.sql"), None);
        assert_eq!(parse_flyway_name("V1a__x.sql"), None);
        assert_eq!(parse_flyway_name("R1__x.sql"), None);
        assert_eq!(parse_flyway_name("V1_x.sql"), None);
        assert_eq!(parse_flyway_name("v1__x.sql"), None);
        assert_eq!(parse_flyway_name("V1__x.txt"), None);
        assert_eq!(parse_flyway_name("001_x.sql"), None);
        assert_eq!(parse_flyway_name("é1__x.sql"), None);
        assert_eq!(parse_flyway_name(".sql"), None);
    }

    #[test]
    fn flyway_version_comparison_table() {
        fn version(text: &str) -> Vec<&str> {
            parse_flyway_version(text).unwrap_or_default()
        }
        let ascending = ["1", "1.1", "1.2", "2", "10"];
        for (index, smaller) in ascending.iter().enumerate() {
            for larger in &ascending[index + 1..] {
                assert_eq!(
                    compare_flyway_versions(&version(smaller), &version(larger)),
                    Ordering::Less,
                    "{smaller} < {larger}"
                );
                assert_eq!(
                    compare_flyway_versions(&version(larger), &version(smaller)),
                    Ordering::Greater,
                    "{larger} > {smaller}"
                );
            }
        }
        assert_eq!(compare_flyway_versions(&version("1.0"), &version("1")), Ordering::Equal);
        assert_eq!(compare_flyway_versions(&version("1_1"), &version("1.1")), Ordering::Equal);
        assert_eq!(compare_flyway_versions(&version("01.001"), &version("1.1")), Ordering::Equal);
        assert_eq!(compare_flyway_versions(&version("1.1.0.0"), &version("1.1")), Ordering::Equal);
        assert_eq!(compare_flyway_versions(&version("1.10"), &version("1.9")), Ordering::Greater);
    }

    #[test]
    fn digit_strings_compare_as_numbers() {
        assert_eq!(compare_digit_strings("10", "9"), Ordering::Greater);
        assert_eq!(compare_digit_strings("0010", "10"), Ordering::Equal);
        assert_eq!(compare_digit_strings("0", ""), Ordering::Equal);
    }
}
