//! Content HTML: sanitised on every write (ammonia's allow-list keeps headings, lists, links,
//! images, tables and inline formatting; scripts, styles, event handlers, and javascript: or
//! data: URLs go), and the word count of what remains.

use std::sync::LazyLock;

/// The sanitiser, built once: ammonia's defaults (which already drop `script`/`style` with
/// their content, every `on*` attribute and `style` attributes) with URL schemes narrowed to
/// the web and mail, so `javascript:` and `data:` URLs are removed from links and images.
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .add_tag_attributes("img", ["title", "loading"])
        .add_tag_attributes("th", ["scope", "colspan", "rowspan"])
        .add_tag_attributes("td", ["colspan", "rowspan"]);
    builder
});

/// The sanitised form of `html`.
pub fn sanitise(html: &str) -> String {
    SANITISER.clean(html).to_string()
}

/// Elements whose boundaries do not separate words (`<b>wo</b>rd` is one word).
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "i", "ins", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u",
    "var",
];

/// Words in the text of sanitised HTML: runs of non-space characters holding a letter or digit.
///
/// Expects serialiser output (attribute values double-quoted, `<` in text escaped), which is
/// what [`sanitise`] produces.
pub fn word_count(html: &str) -> u32 {
    let mut text = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        push_text(&mut text, &rest[..open]);
        let tag = &rest[open + 1..];
        let end = tag_end(tag);
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !INLINE.contains(&name.as_str()) {
            text.push(' ');
        }
        rest = tag.get(end + 1..).unwrap_or("");
    }
    push_text(&mut text, rest);
    text.split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .count()
        .try_into()
        .unwrap_or(u32::MAX)
}

/// Index of the `>` closing a tag, skipping quoted attribute values.
fn tag_end(tag: &str) -> usize {
    let mut quoted = false;
    for (i, c) in tag.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return i,
            _ => {}
        }
    }
    tag.len()
}

/// Appends text with entities decoded enough for counting (`&nbsp;` separates words).
fn push_text(out: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        match after.find(';').filter(|&semi| semi <= 10) {
            Some(semi) => {
                out.push(match &after[..=semi] {
                    "&nbsp;" | "&#160;" => ' ',
                    _ => '&',
                });
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_dangerous_urls_are_removed() {
        let dirty = r#"<h2 onclick="x()">Title</h2><script>alert(1)</script>
            <img src="x.png" onerror="alert(1)" alt="a">
            <a href="javascript:alert(1)">bad</a><a href="https://example.com/">good</a>
            <img src="data:image/png;base64,AAAA"><p style="background:expression(alert(1))">p</p>
            <style>body{}</style><iframe src="https://evil.example"></iframe>"#;
        let clean = sanitise(dirty);
        for banned in [
            "script",
            "onerror",
            "onclick",
            "javascript:",
            "data:",
            "expression",
            "style",
            "iframe",
            "alert",
        ] {
            assert!(!clean.contains(banned), "{banned} survived in {clean}");
        }
        assert!(clean.contains("<h2>Title</h2>"), "{clean}");
        assert!(clean.contains(r#"<img src="x.png" alt="a">"#), "{clean}");
        assert!(clean.contains(r#"href="https://example.com/""#), "{clean}");
    }

    #[test]
    fn safe_markup_is_kept() {
        let html = "<h1>A</h1><h3>B</h3><ul><li>one</li></ul><ol><li>two</li></ol>\
            <table><thead><tr><th>h</th></tr></thead><tbody><tr><td>c</td></tr></tbody></table>\
            <blockquote>q</blockquote><p><strong>s</strong> <em>e</em></p>";
        assert_eq!(sanitise(html), html);
    }

    #[test]
    fn words_are_counted_from_the_text() {
        assert_eq!(word_count(""), 0);
        assert_eq!(word_count("<p>one two</p><p>three</p>"), 3);
        assert_eq!(word_count("<p>wo<b>rd</b> &amp; more&nbsp;words</p>"), 3);
        assert_eq!(
            word_count(r#"<img alt="a > b c d"><p>only these four words</p>"#),
            4
        );
        assert_eq!(word_count("<h2>Tom</h2><p>- Jerry, 2024!</p>"), 3);
        assert_eq!(word_count(&sanitise("<p>1 &lt; 2</p>")), 2);
    }
}
