//! Placeholders in migration files, replaced before the text is split, so a statement that
//! uses one is still analysed instead of being a parse error (NL000).
//!
//! The syntaxes, each replaced where its tool replaces it:
//! - Flyway's `${name}` (Flyway layout): everywhere, strings and comments included, as Flyway
//!   does by default; values from `flyway.conf` / `flyway.toml` (`flyway.placeholders.*`).
//! - graphile-migrate's `:NAME` (graphile-migrate layout): the keys `.gmrc` defines (and
//!   `:DATABASE_NAME`, `:DATABASE_OWNER`) everywhere, as graphile-migrate does; an undefined
//!   `:NAME` only outside strings, quoted identifiers, dollar quotes and comments.
//! - psql's `:name`, `:'name'` and `:"name"` (every layout): only outside strings, quoted
//!   identifiers, dollar quotes and comments, as psql does; values from `\set` lines earlier in
//!   the same file. A bare `:name` without a value is left alone unless a blank, `(`, `,` or
//!   `=` comes right before it (so `a[i:j]` stays a slice); `::type` casts and `:=` never match.
//! - Go templates' `{{ .Name }}`, `{{ .Options.Name }}`, `{{ index .Options "Name" }}` (every
//!   layout): everywhere, as `text/template` does; other actions (`{{ if … }}`) are blanked.
//!
//! `[placeholders]` in neonlint.toml gives values by name and wins over the tools' files. A
//! placeholder without a value becomes a neutral identifier (`neonlint_placeholder_<name>`),
//! and the caller says so once per file. No substitution adds or removes a line break, so every
//! line number stays right; columns after a substitution on its line count in the substituted
//! text. This module reads the tools' configuration files and knows no SQL beyond the lexer's
//! token boundaries.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::source::Layout;
use crate::sql::lexer::{Lexer, TokenKind};

/// The placeholder values that apply to one migration set.
#[derive(Clone, Debug, Default)]
pub struct Placeholders {
    /// `[placeholders]` of neonlint.toml, by name.
    configured: BTreeMap<String, String>,
    /// Flyway's placeholders from its configuration files, by name.
    flyway: BTreeMap<String, String>,
    /// Whether Flyway replaces placeholders (`flyway.placeholderReplacement`, default true).
    flyway_replacement: bool,
    /// graphile-migrate's placeholder keys (`:NAME`), with their value when known (`!ENV`
    /// reads the environment variable; unset, the value is unknown).
    graphile: BTreeMap<String, Option<String>>,
}

/// A text with its placeholders replaced.
#[derive(Debug)]
pub struct Substituted<'text> {
    /// The text to split and parse; borrowed when nothing was replaced.
    pub text: Cow<'text, str>,
    /// The placeholders replaced by a neutral identifier, each once, as written
    /// (`:DATABASE_VISITOR`), with the identifier used.
    pub unset: Vec<(String, String)>,
    /// Template actions that were blanked, not evaluated (`{{ if … }}`).
    pub blanked_actions: usize,
}

impl Substituted<'_> {
    /// The note for the user when something had no value, else `None`.
    pub fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.unset.is_empty() {
            let shown: Vec<String> =
                self.unset.iter().map(|(written, neutral)| format!("`{written}` as `{neutral}`")).collect();
            parts.push(format!(
                "read {} without a value: set {} in `[placeholders]` in neonlint.toml so the statements \
                 using {} are checked with the real value",
                shown.join(", "),
                if self.unset.len() == 1 { "it" } else { "them" },
                if self.unset.len() == 1 { "it" } else { "them" },
            ));
        }
        if self.blanked_actions > 0 {
            parts.push(format!(
                "left out {} template action{} (`{{{{ if … }}}}`, `{{{{ range … }}}}`) that neonlint does not \
                 evaluate",
                self.blanked_actions,
                if self.blanked_actions == 1 { "" } else { "s" }
            ));
        }
        (!parts.is_empty()).then(|| {
            format!(
                "{}; columns after a placeholder on its line count in the substituted text",
                parts.join("; ")
            )
        })
    }
}

impl Placeholders {
    /// The placeholders of the migration set in `root` for `layout`: `configured` (neonlint.toml)
    /// and, for Flyway and graphile-migrate, the values in the tool's own configuration files
    /// found at or above `root`.
    pub fn for_set(root: &Path, layout: Layout, configured: &BTreeMap<String, String>) -> Placeholders {
        let mut placeholders = Placeholders {
            configured: configured.clone(),
            flyway_replacement: true,
            ..Placeholders::default()
        };
        match layout {
            Layout::Flyway => placeholders.read_flyway_config(root),
            Layout::GraphileMigrate => placeholders.read_graphile_config(root),
            _ => {}
        }
        placeholders
    }

    /// Replaces the placeholders of `text`, as `layout`'s tool (and psql) would.
    pub fn apply<'text>(&self, layout: Layout, text: &'text str) -> Substituted<'text> {
        let mut replacements = Vec::new();
        let mut unset: Vec<(String, String)> = Vec::new();
        let mut blanked_actions = 0;
        if !text.contains(['$', ':', '{']) {
            return Substituted { text: Cow::Borrowed(text), unset, blanked_actions };
        }
        if layout == Layout::Flyway && self.flyway_replacement {
            self.flyway_syntax(text, &mut replacements, &mut unset);
        } else if !self.configured.is_empty() {
            self.configured_dollar_syntax(text, &mut replacements);
        }
        if layout == Layout::GraphileMigrate {
            self.graphile_defined(text, &mut replacements);
        }
        // Lexing a whole file again is the costly part; most files have no `:name` at all.
        if may_hold_psql_variables(text) {
            self.psql_syntax(layout, text, &mut replacements, &mut unset);
        }
        if text.contains("{{") {
            self.template_syntax(text, &mut replacements, &mut unset, &mut blanked_actions);
        }
        if replacements.is_empty() {
            return Substituted { text: Cow::Borrowed(text), unset, blanked_actions };
        }
        replacements.sort_by_key(|replacement| (replacement.start, std::cmp::Reverse(replacement.end)));
        let mut substituted = String::with_capacity(text.len() + 64);
        let mut position = 0;
        for replacement in replacements {
            if replacement.start < position {
                continue;
            }
            substituted.push_str(&text[position..replacement.start]);
            substituted.push_str(&replacement.with);
            position = replacement.end;
        }
        substituted.push_str(&text[position..]);
        Substituted { text: Cow::Owned(substituted), unset, blanked_actions }
    }

    /// The value of a placeholder named `name`: neonlint.toml first, then the tool's file.
    fn value(&self, name: &str) -> Option<&str> {
        self.configured
            .get(name)
            .or_else(|| self.flyway.get(name))
            .map(String::as_str)
            .or_else(|| self.graphile.get(&format!(":{name}")).and_then(|value| value.as_deref()))
    }

    /// Flyway: every `${name}`, wherever it is.
    fn flyway_syntax(
        &self,
        text: &str,
        replacements: &mut Vec<Replacement>,
        unset: &mut Vec<(String, String)>,
    ) {
        for (start, end, name) in dollar_braces(text) {
            let with = match self.value(name) {
                Some(value) => value.to_string(),
                None => note_unset(unset, &text[start..end], name),
            };
            replacements.push(Replacement { start, end, with });
        }
    }

    /// Other layouts: `${name}` only when neonlint.toml gives `name` a value.
    fn configured_dollar_syntax(&self, text: &str, replacements: &mut Vec<Replacement>) {
        for (start, end, name) in dollar_braces(text) {
            if let Some(value) = self.configured.get(name) {
                replacements.push(Replacement { start, end, with: value.clone() });
            }
        }
    }

    /// graphile-migrate: each defined key, everywhere, when a word boundary follows it.
    fn graphile_defined(&self, text: &str, replacements: &mut Vec<Replacement>) {
        let bytes = text.as_bytes();
        for (key, value) in &self.graphile {
            let Some(value) = value.clone().or_else(|| self.configured.get(&key[1..]).cloned()) else {
                // Unknown value: the undefined-name rule below replaces it in code only.
                continue;
            };
            for (start, _) in text.match_indices(key.as_str()) {
                let end = start + key.len();
                let word_follows =
                    bytes.get(end).is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'_');
                let cast = start > 0 && bytes[start - 1] == b':';
                if !word_follows && !cast {
                    replacements.push(Replacement { start, end, with: value.clone() });
                }
            }
        }
    }

    /// psql variables (and graphile's undefined keys) outside strings, identifiers, dollar
    /// quotes and comments; `\set` lines define them for the rest of the file.
    fn psql_syntax(
        &self,
        layout: Layout,
        text: &str,
        replacements: &mut Vec<Replacement>,
        unset: &mut Vec<(String, String)>,
    ) {
        let bytes = text.as_bytes();
        let mut set_in_file: BTreeMap<String, String> = BTreeMap::new();
        let tokens: Vec<_> = Lexer::new(text).collect();
        for (index, token) in tokens.iter().enumerate() {
            if token.kind == TokenKind::MetaCommand {
                if let Some((name, value)) = psql_set(token.text(text)) {
                    set_in_file.insert(name, value);
                }
                continue;
            }
            if token.kind != TokenKind::Punct(b':') {
                continue;
            }
            let Some(next) = tokens.get(index + 1).filter(|next| next.start == token.end) else {
                continue;
            };
            let before = token.start.checked_sub(1).map(|at| bytes[at]);
            if before == Some(b':') || bytes.get(token.end) == Some(&b':') {
                continue;
            }
            let inner = |quoted: &str| quoted[1..quoted.len().saturating_sub(1)].to_string();
            let (name, quote) = match next.kind {
                TokenKind::Word => (next.text(text).to_string(), None),
                TokenKind::String if next.text(text).starts_with('\'') => {
                    (inner(next.text(text)), Some('\''))
                }
                TokenKind::QuotedIdent => (inner(next.text(text)), Some('"')),
                _ => continue,
            };
            if name.is_empty() || !name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_') {
                continue;
            }
            let written = &text[token.start..next.end];
            let value = set_in_file.get(&name).map(String::as_str).or_else(|| self.value(&name));
            let graphile_key = layout == Layout::GraphileMigrate
                && quote.is_none()
                && name.starts_with(|character: char| character.is_ascii_uppercase())
                && name
                    .bytes()
                    .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_');
            let value = match value {
                Some(value) => value.to_string(),
                None if quote.is_some() || graphile_key || stands_alone(before) => {
                    note_unset(unset, written, &name)
                }
                None => continue,
            };
            let with = match quote {
                None => value,
                Some('\'') => format!("'{}'", value.replace('\'', "''")),
                Some(_) => format!("\"{}\"", value.replace('"', "\"\"")),
            };
            replacements.push(Replacement { start: token.start, end: next.end, with });
        }
    }

    /// Go templates: `{{ .Name }}`, `{{ .Options.Name }}`, `{{ index .Options "Name" }}` become
    /// the value; any other action on one line is blanked.
    fn template_syntax(
        &self,
        text: &str,
        replacements: &mut Vec<Replacement>,
        unset: &mut Vec<(String, String)>,
        blanked_actions: &mut usize,
    ) {
        let mut search_from = 0;
        while let Some(found) = text[search_from..].find("{{") {
            let start = search_from + found;
            let Some(length) =
                text[start..].find("}}").filter(|length| !text[start..start + length].contains('\n'))
            else {
                search_from = start + 2;
                continue;
            };
            let end = start + length + 2;
            search_from = end;
            let action = text[start + 2..end - 2].trim_matches('-').trim();
            match template_name(action) {
                Some(name) => {
                    let with = match self.value(name) {
                        Some(value) => value.to_string(),
                        None => note_unset(unset, &text[start..end], name),
                    };
                    replacements.push(Replacement { start, end, with });
                }
                // Not a template action at all (`{{` in a string of JSON, say): left alone.
                None if !looks_like_template_action(action) => {}
                None => {
                    *blanked_actions += 1;
                    replacements.push(Replacement { start, end, with: " ".repeat(end - start) });
                }
            }
        }
    }

    fn read_flyway_config(&mut self, root: &Path) {
        for dir in project_folders(root) {
            for relative in ["flyway.conf", "conf/flyway.conf"] {
                if let Ok(text) = fs::read_to_string(dir.join(relative)) {
                    self.read_flyway_properties(&text);
                }
            }
            for relative in ["flyway.toml", "conf/flyway.toml"] {
                if let Ok(text) = fs::read_to_string(dir.join(relative)) {
                    self.read_flyway_toml(&text);
                }
            }
        }
    }

    fn read_flyway_properties(&mut self, text: &str) {
        for line in text.lines().map(str::trim) {
            if line.starts_with(['#', '!']) {
                continue;
            }
            let Some((key, value)) = line.split_once(['=', ':']) else { continue };
            let (key, value) = (key.trim(), value.trim());
            if let Some(name) = key.strip_prefix("flyway.placeholders.") {
                self.flyway.entry(name.to_string()).or_insert_with(|| value.to_string());
            } else if key == "flyway.placeholderReplacement" {
                self.flyway_replacement = !value.eq_ignore_ascii_case("false");
            }
        }
    }

    fn read_flyway_toml(&mut self, text: &str) {
        let Ok(value) = toml::from_str::<toml::Value>(text) else { return };
        let Some(flyway) = value.get("flyway") else { return };
        if let Some(table) = flyway.get("placeholders").and_then(toml::Value::as_table) {
            for (name, value) in table {
                let value = match value {
                    toml::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                self.flyway.entry(name.clone()).or_insert(value);
            }
        }
        if flyway.get("placeholderReplacement").and_then(toml::Value::as_bool) == Some(false) {
            self.flyway_replacement = false;
        }
    }

    fn read_graphile_config(&mut self, root: &Path) {
        for key in [":DATABASE_NAME", ":DATABASE_OWNER"] {
            self.graphile.insert(key.to_string(), None);
        }
        let Some(config) = crate::source::graphile_config(root) else { return };
        let Ok(text) = fs::read_to_string(config) else { return };
        for (key, value) in gmrc_placeholders(&text) {
            let value = if value == "!ENV" { std::env::var(&key[1..]).ok() } else { Some(value) };
            let value = value.filter(|value| !value.contains(['\n', '\r']));
            self.graphile.insert(key, value);
        }
    }
}

/// One replacement of `start..end` in the original text.
#[derive(Debug)]
struct Replacement {
    start: usize,
    end: usize,
    with: String,
}

/// The neutral identifier for a placeholder without a value, noted once in `unset`.
fn note_unset(unset: &mut Vec<(String, String)>, written: &str, name: &str) -> String {
    let neutral = neutral_identifier(name);
    if !unset.iter().any(|(known, _)| known == written) {
        unset.push((written.to_string(), neutral.clone()));
    }
    neutral
}

/// `neonlint_placeholder_<name>`: lower case, every other character `_`, at most 63 bytes
/// (PostgreSQL's identifier length), so it reads the same in every position.
pub fn neutral_identifier(name: &str) -> String {
    let mut identifier = String::from("neonlint_placeholder_");
    for character in name.chars() {
        identifier.push(if character.is_ascii_alphanumeric() { character.to_ascii_lowercase() } else { '_' });
    }
    identifier.truncate(63);
    identifier
}

/// Whether `text` may hold a psql variable: a `\set` line, or a `:` followed by a name or a
/// quote that is no part of `::` or `:=`. A cheap byte scan that lets most files skip the
/// lexing pass.
fn may_hold_psql_variables(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.contains("\\set")
        || bytes.iter().enumerate().any(|(at, byte)| {
            *byte == b':'
                && (at == 0 || bytes[at - 1] != b':')
                && bytes
                    .get(at + 1)
                    .is_some_and(|next| next.is_ascii_alphabetic() || matches!(next, b'_' | b'\'' | b'"'))
        })
}

/// A bare `:name` stands alone as a variable when a blank, `(`, `,` or `=` (or nothing) is
/// right before the colon; after a word or `]` it is a slice bound or a label.
fn stands_alone(before: Option<u8>) -> bool {
    before.is_none_or(|byte| byte.is_ascii_whitespace() || matches!(byte, b'(' | b',' | b'='))
}

/// Each `${name}` of `text` (name of letters, digits, `_`, `.`, `:` and `-`), with its bounds.
fn dollar_braces(text: &str) -> Vec<(usize, usize, &str)> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices("${") {
        let Some(length) = text[start + 2..].find('}') else { continue };
        let name = &text[start + 2..start + 2 + length];
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b':' | b'-'));
        if valid {
            found.push((start, start + 2 + length + 1, name));
        }
    }
    found
}

/// psql's `\set name value`: the name and the value (quotes removed).
fn psql_set(command: &str) -> Option<(String, String)> {
    let rest = command.strip_prefix("\\set")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim();
    let (name, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let value = value.trim();
    let value = match value.strip_prefix('\'').and_then(|inner| inner.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => value.to_string(),
    };
    (!name.is_empty() && !value.contains(['\n', '\r'])).then(|| (name.to_string(), value))
}

/// The name a value-printing template action refers to: `.Name`, `.Options.Name` (the last
/// field), `index .Options "Name"`.
fn template_name(action: &str) -> Option<&str> {
    let is_name = |name: &str| {
        !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    };
    if let Some(rest) = action.strip_prefix("index ") {
        let mut words = rest.split_whitespace();
        let _map = words.next()?.strip_prefix('.')?;
        let key = words.next()?.strip_prefix('"')?.strip_suffix('"')?;
        return (words.next().is_none() && is_name(key)).then_some(key);
    }
    let path = action.strip_prefix('.')?;
    let name = path.rsplit('.').next()?;
    (path.split('.').all(is_name) && !action.contains(char::is_whitespace)).then_some(name)
}

/// Whether `{{ … }}` holds Go template syntax (a field, a keyword, a comment) rather than text
/// that happens to be in double braces.
fn looks_like_template_action(action: &str) -> bool {
    let first = action.split_whitespace().next().unwrap_or("");
    action.starts_with('.')
        || action.starts_with("/*")
        || action.starts_with('$')
        || ["if", "else", "end", "range", "with", "define", "template", "block", "index", "printf"]
            .contains(&first)
}

/// graphile-migrate's `.gmrc` is JSON5: the `placeholders` object's string pairs, read with
/// comments, single quotes, unquoted keys and trailing commas allowed.
fn gmrc_placeholders(text: &str) -> Vec<(String, String)> {
    let tokens = json5_tokens(text);
    let Some(at) = tokens.windows(3).position(|window| {
        matches!(&window[0], Json5::Text(key) if key == "placeholders")
            && window[1] == Json5::Punct(':')
            && window[2] == Json5::Punct('{')
    }) else {
        return Vec::new();
    };
    let mut pairs = Vec::new();
    let mut rest = &tokens[at + 3..];
    loop {
        match rest {
            [Json5::Text(key), Json5::Punct(':'), Json5::Text(value), tail @ ..] => {
                if key.starts_with(':') {
                    pairs.push((key.clone(), value.clone()));
                }
                rest = tail;
            }
            [Json5::Punct(','), tail @ ..] => rest = tail,
            _ => return pairs,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Json5 {
    /// A string, or a bare word (a key, `true`, a number).
    Text(String),
    Punct(char),
}

fn json5_tokens(text: &str) -> Vec<Json5> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        match character {
            '/' if chars.peek() == Some(&'/') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for next in chars.by_ref() {
                    if previous == '*' && next == '/' {
                        break;
                    }
                    previous = next;
                }
            }
            '"' | '\'' => {
                let mut value = String::new();
                while let Some(next) = chars.next() {
                    match next {
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                value.push(escaped);
                            }
                        }
                        _ if next == character => break,
                        _ => value.push(next),
                    }
                }
                tokens.push(Json5::Text(value));
            }
            '{' | '}' | '[' | ']' | ':' | ',' => tokens.push(Json5::Punct(character)),
            _ if character.is_whitespace() => {}
            _ => {
                let mut word = String::from(character);
                while let Some(&next) = chars.peek() {
                    if next.is_alphanumeric() || matches!(next, '_' | '$' | '.' | '-' | '+') {
                        word.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Json5::Text(word));
            }
        }
    }
    tokens
}

/// `root` and the folders above it, up to the repository root (a `.git`) or five levels.
fn project_folders(root: &Path) -> Vec<PathBuf> {
    let mut folders = Vec::new();
    for dir in root.ancestors().take(6) {
        folders.push(dir.to_path_buf());
        if dir.join(".git").exists() {
            break;
        }
    }
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(pairs: &[(&str, &str)]) -> Placeholders {
        Placeholders {
            configured: pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect(),
            flyway_replacement: true,
            ..Placeholders::default()
        }
    }

    fn newlines(text: &str) -> usize {
        text.matches('\n').count()
    }

    #[test]
    fn flyway_replaces_everywhere_and_unset_names_become_neutral() {
        let placeholders = configured(&[("schema", "app")]);
        let text = "CREATE TABLE ${schema}.t (id int);\n-- owner ${owner}\nCOMMENT ON TABLE ${schema}.t IS '${schema}';\nGRANT SELECT ON ${schema}.t TO ${role};\n";
        let substituted = placeholders.apply(Layout::Flyway, text);
        assert_eq!(
            substituted.text,
            "CREATE TABLE app.t (id int);\n-- owner neonlint_placeholder_owner\nCOMMENT ON TABLE app.t IS 'app';\n\
             GRANT SELECT ON app.t TO neonlint_placeholder_role;\n"
        );
        assert_eq!(
            substituted.unset,
            [
                ("${owner}".to_string(), "neonlint_placeholder_owner".to_string()),
                ("${role}".to_string(), "neonlint_placeholder_role".to_string())
            ]
        );
        assert!(
            substituted
                .note()
                .is_some_and(|note| note.contains("`${owner}` as `neonlint_placeholder_owner`"))
        );
        assert_eq!(newlines(&substituted.text), newlines(text));
    }

    #[test]
    fn other_layouts_replace_dollar_braces_only_when_configured() {
        let text = "SELECT '${x}', '${y}';\n";
        let substituted = configured(&[("x", "1")]).apply(Layout::Plain, text);
        assert_eq!(substituted.text, "SELECT '1', '${y}';\n");
        assert!(substituted.unset.is_empty());
    }

    #[test]
    fn flyway_config_files_give_values_and_can_turn_replacement_off() {
        let mut placeholders = configured(&[]);
        placeholders.flyway_replacement = true;
        placeholders
            .read_flyway_properties("# comment\nflyway.placeholders.schema = app\nflyway.url=jdbc:x\n");
        placeholders
            .read_flyway_toml("[flyway]\nlocations = [\"x\"]\n[flyway.placeholders]\nrole = \"web\"\n");
        let substituted = placeholders.apply(Layout::Flyway, "GRANT SELECT ON ${schema}.t TO ${role};");
        assert_eq!(substituted.text, "GRANT SELECT ON app.t TO web;");
        placeholders.read_flyway_properties("flyway.placeholderReplacement=false\n");
        assert_eq!(placeholders.apply(Layout::Flyway, "SELECT '${schema}';").text, "SELECT '${schema}';");
    }

    #[test]
    fn graphile_defined_keys_replace_everywhere_and_undefined_ones_only_in_code() {
        let mut placeholders = configured(&[]);
        placeholders.graphile.insert(":DATABASE_VISITOR".to_string(), Some("app_visitor".to_string()));
        placeholders.graphile.insert(":DATABASE_OWNER".to_string(), None);
        let text = "GRANT SELECT ON t TO :DATABASE_VISITOR;\n-- :DATABASE_VISITOR and :DATABASE_OWNER\n\
                    ALTER DEFAULT PRIVILEGES FOR ROLE :DATABASE_OWNER GRANT SELECT ON TABLES TO :DATABASE_VISITOR;\n\
                    SELECT 1::DATABASE_VISITOR, ':UNDEFINED', :UNDEFINED_ROLE, :DATABASE_VISITORS;\n";
        let substituted = placeholders.apply(Layout::GraphileMigrate, text);
        assert_eq!(
            substituted.text,
            "GRANT SELECT ON t TO app_visitor;\n-- app_visitor and :DATABASE_OWNER\n\
             ALTER DEFAULT PRIVILEGES FOR ROLE neonlint_placeholder_database_owner GRANT SELECT ON TABLES TO \
             app_visitor;\nSELECT 1::DATABASE_VISITOR, ':UNDEFINED', neonlint_placeholder_undefined_role, \
             neonlint_placeholder_database_visitors;\n"
        );
        assert_eq!(substituted.unset.len(), 3);
    }

    #[test]
    fn psql_variables_follow_psql() {
        let text = "\\set owner app_owner\n\\set visitor 'web visitor'\nALTER TABLE t OWNER TO :owner;\n\
                    GRANT SELECT ON t TO :\"visitor\";\nSELECT :'visitor', ':owner', $$ :owner $$, x::int, \
                    a[i:j], :unknown;\nDO $$ BEGIN x := 1; END $$;\n-- :owner\nSELECT :'nothing';\n";
        let substituted = configured(&[]).apply(Layout::Plain, text);
        assert_eq!(
            substituted.text,
            "\\set owner app_owner\n\\set visitor 'web visitor'\nALTER TABLE t OWNER TO app_owner;\n\
             GRANT SELECT ON t TO \"web visitor\";\nSELECT 'web visitor', ':owner', $$ :owner $$, x::int, \
             a[i:j], neonlint_placeholder_unknown;\nDO $$ BEGIN x := 1; END $$;\n-- :owner\n\
             SELECT 'neonlint_placeholder_nothing';\n"
        );
    }

    #[test]
    fn a_variable_is_set_only_after_its_set_line() {
        let text = "GRANT SELECT ON t TO :role;\n\\set role web\nGRANT SELECT ON t TO :role;\n";
        let substituted = configured(&[]).apply(Layout::Plain, text);
        assert_eq!(
            substituted.text,
            "GRANT SELECT ON t TO neonlint_placeholder_role;\n\\set role web\nGRANT SELECT ON t TO web;\n"
        );
    }

    #[test]
    fn go_templates_print_values_and_blank_logic() {
        let text = "CREATE SCHEMA {{ index .Options \"Namespace\" }};\n{{- if .Extra }}\nCREATE TABLE {{ .Schema }}.t ();\n\
                    {{ end }}\nSELECT '{{not a template}}';\n";
        let substituted = configured(&[("Namespace", "app")]).apply(Layout::GolangMigrate, text);
        assert_eq!(
            substituted.text,
            format!(
                "CREATE SCHEMA app;\n{}\nCREATE TABLE neonlint_placeholder_schema.t ();\n{}\nSELECT '{{{{not a \
                 template}}}}';\n",
                " ".repeat("{{- if .Extra }}".len()),
                " ".repeat("{{ end }}".len())
            )
        );
        assert_eq!(substituted.blanked_actions, 2);
        assert!(substituted.note().is_some_and(|note| note.contains("left out 2 template actions")));
    }

    #[test]
    fn the_gmrc_is_read_as_json5() {
        let gmrc = "/* settings */\n{\n  // the visitor\n  \"placeholders\": {\n    ':DATABASE_VISITOR': \"web\", \
                    \":DATABASE_AUTHENTICATOR\": '!ENV',\n    \"NOT_A_KEY\": \"x\",\n  },\n  afterReset: [],\n}\n";
        assert_eq!(
            gmrc_placeholders(gmrc),
            [
                (":DATABASE_VISITOR".to_string(), "web".to_string()),
                (":DATABASE_AUTHENTICATOR".to_string(), "!ENV".to_string())
            ]
        );
        assert!(gmrc_placeholders("{\"connectionString\": \"x\"}").is_empty());
    }

    #[test]
    fn the_cheap_scan_finds_every_candidate() {
        assert!(!may_hold_psql_variables("SELECT x::int, '12:30', y := 1;"));
        for text in ["GRANT x TO :role;", "SELECT :'v';", "SELECT :\"v\";", "\\set a b\n", ":x"] {
            assert!(may_hold_psql_variables(text), "{text}");
        }
    }

    #[test]
    fn text_without_placeholders_is_borrowed() {
        let text = "SELECT x::int FROM t WHERE a = '{}';\n";
        assert!(matches!(configured(&[]).apply(Layout::Flyway, text).text, Cow::Borrowed(_)));
    }

    #[test]
    fn neutral_identifiers_are_valid_and_short() {
        assert_eq!(neutral_identifier("flyway:defaultSchema"), "neonlint_placeholder_flyway_defaultschema");
        assert_eq!(neutral_identifier(&"x".repeat(100)).len(), 63);
    }
}
