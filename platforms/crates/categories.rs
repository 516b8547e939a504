//! crates.io's category slugs, vendored in `categories.txt` (source and date in its header).
//! crates.io refuses an unknown slug with 400 (it used to be a warning), so `rules.rs`
//! checks every `categories` entry against this list before anything is published.

const LIST: &str = include_str!("categories.txt");

/// True when crates.io knows `slug` (exact, lowercase, `parent::child` for subcategories).
pub fn is_known(slug: &str) -> bool {
    LIST.lines()
        .filter(|l| !l.starts_with('#'))
        .any(|l| l.trim() == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_top_level_and_sub_slugs() {
        assert!(is_known("command-line-utilities"));
        assert!(is_known("development-tools::cargo-plugins"));
        assert!(is_known("web-programming::http-client"));
        assert!(!is_known("cli"));
        assert!(!is_known("Command-Line-Utilities"));
        assert!(!is_known("cargo-plugins"));
    }
}
