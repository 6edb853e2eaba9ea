//! Reading a model's structured answer: find the JSON object in the text, decode it into the
//! function's shape and check what serde cannot (non-empty names, bounds). One repair round
//! asks the model to fix an answer that fails.

use serde::de::DeserializeOwned;

/// Decodes the first JSON object in `text` (models wrap JSON in prose or code fences).
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let start = text.find('{').ok_or("the answer holds no JSON object")?;
    let end = text.rfind('}').ok_or("the answer holds no JSON object")?;
    if end < start {
        return Err("the answer holds no JSON object".into());
    }
    serde_json::from_str(&text[start..=end]).map_err(|e| format!("the JSON is not as asked: {e}"))
}

/// Decodes and validates.
pub fn read<T: DeserializeOwned>(
    text: &str,
    validate: impl Fn(&T) -> Result<(), String>,
) -> Result<T, String> {
    let value: T = parse(text)?;
    validate(&value)?;
    Ok(value)
}

/// The follow-up prompt asking the model to fix an answer that failed `problem`.
pub fn repair_prompt(original: &str, previous: &str, problem: &str) -> String {
    const MAX_ECHO: usize = 6000;
    let mut previous = previous.trim();
    if previous.len() > MAX_ECHO {
        let mut cut = MAX_ECHO;
        while !previous.is_char_boundary(cut) {
            cut -= 1;
        }
        previous = &previous[..cut];
    }
    format!(
        "{original}\n\nYour previous answer could not be used: {problem}.\n\
         Previous answer:\n{previous}\n\n\
         Answer again with a single valid JSON object of exactly the requested shape and nothing else."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Shape {
        name: String,
    }

    #[test]
    fn finds_json_inside_prose_and_fences() {
        let s: Shape = parse("Sure!\n```json\n{\"name\": \"x\"}\n```").unwrap();
        assert_eq!(s.name, "x");
        assert!(parse::<Shape>("no json here").is_err());
        assert!(
            parse::<Shape>("{\"other\": 1}")
                .unwrap_err()
                .contains("not as asked")
        );
    }

    #[test]
    fn validation_failures_are_reported() {
        let err = read::<Shape>("{\"name\": \"\"}", |s| {
            if s.name.is_empty() {
                Err("name is empty".into())
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(err, "name is empty");
    }
}
