//! A responder for the fake provider that answers each IGNY8 AI function's prompt the way a
//! model would: valid JSON of the asked shape, built from the inputs the prompt carries
//! (keywords, clusters, the task's title and word count, the in-article image count). It
//! recognises the built-in prompts by the answer shape they ask for.

use serde_json::{Value, json};

/// `FakeProvider::set_responder(fake_answers::respond)`.
pub fn respond(_system: &str, user: &str) -> String {
    let answer = if user.contains("{\"clusters\":") {
        clusters(user)
    } else if user.contains("{\"ideas\":") {
        ideas(user)
    } else if user.contains("\"meta_title\"") {
        article(user)
    } else if user.contains("\"featured\"") {
        image_prompts(user)
    } else {
        json!({"ok": true})
    };
    answer.to_string()
}

/// The lines after the line containing `heading`, up to the first blank line.
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|line| !line.contains(heading))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .collect()
}

/// Groups the listed keywords three by three, named after their first keyword.
fn clusters(prompt: &str) -> Value {
    let keywords: Vec<&str> = section(prompt, "Keywords (keyword")
        .into_iter()
        .filter_map(|line| line.split(" | ").next())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect();
    let clusters: Vec<Value> = keywords
        .chunks(3)
        .map(|group| {
            json!({
                "name": format!("{} topics", group[0]),
                "description": format!("Searches around {}", group.join(", ")),
                "keywords": group,
            })
        })
        .collect();
    json!({ "clusters": clusters })
}

/// Three ideas per cluster of the prompt's clusters JSON.
fn ideas(prompt: &str) -> Value {
    let start = prompt
        .find("Clusters (JSON):")
        .map(|i| i + "Clusters (JSON):".len());
    let clusters: Vec<Value> = start
        .and_then(|s| {
            let rest = &prompt[s..];
            let open = rest.find('[')?;
            let close = rest.rfind("]\n\nAnswer").or_else(|| rest.rfind(']'))?;
            serde_json::from_str(&rest[open..=close]).ok()
        })
        .unwrap_or_default();
    let ideas: Vec<Value> = clusters
        .iter()
        .flat_map(|cluster| {
            let name = cluster["name"].as_str().unwrap_or("topic").to_owned();
            let id = cluster["cluster_id"].clone();
            let keywords: Vec<String> = cluster["keywords"]
                .as_array()
                .map(|ks| {
                    ks.iter()
                        .filter_map(|k| k["keyword"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let structures = ["guide", "how_to", "listicle"];
            structures.into_iter().enumerate().map(move |(n, structure)| {
                json!({
                    "cluster_id": id,
                    "title": format!("{name}: {} {}", structure.replace('_', " "), n + 1),
                    "description": format!("A {structure} about {name}"),
                    "content_type": "post",
                    "content_structure": structure,
                    "estimated_word_count": 1200,
                    "target_keywords": keywords.iter().take(2).collect::<Vec<_>>(),
                    "outline": [
                        {"heading": format!("What {name} means"), "covers": "definitions", "keywords": []},
                        {"heading": format!("Choosing {name}"), "covers": "criteria", "keywords": []},
                    ],
                })
            })
        })
        .collect();
    json!({ "ideas": ideas })
}

/// An article of about the asked number of words, titled after the task.
fn article(prompt: &str) -> Value {
    let title = prompt
        .lines()
        .find_map(|line| line.strip_prefix("Title: "))
        .unwrap_or("Untitled")
        .trim()
        .to_owned();
    let words: usize = prompt
        .split("about ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(500)
        .min(5000);
    let sentence = "This section explains the topic with practical, concrete advice for readers.";
    let per_sentence = sentence.split_whitespace().count();
    let mut body = format!("<h2>{title}</h2>");
    let mut written = 0;
    while written < words {
        body.push_str("<p>");
        for _ in 0..5 {
            body.push_str(sentence);
            body.push(' ');
            written += per_sentence;
        }
        body.push_str("</p>");
    }
    json!({
        "title": title,
        "meta_title": title.chars().take(60).collect::<String>(),
        "meta_description": format!("Everything about {title}."),
        "excerpt": format!("A practical article about {title}."),
        "content": body,
        "primary_keyword": title.to_lowercase(),
        "secondary_keywords": ["practical advice"],
        "tags": ["guide"],
        "categories": ["Articles"],
    })
}

/// A featured prompt plus the asked number of in-article prompts.
fn image_prompts(prompt: &str) -> Value {
    let count: usize = prompt
        .split("featured image and ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(2)
        .min(8);
    let title = prompt
        .lines()
        .find_map(|line| line.strip_prefix("Title: "))
        .unwrap_or("the article")
        .trim();
    json!({
        "featured": {"prompt": format!("A wide photo illustrating {title}"), "alt_text": title},
        "in_article": (0..count).map(|i| json!({
            "prompt": format!("Detail photo {} for {title}", i + 1),
            "alt_text": format!("{title}, detail {}", i + 1),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_group_the_listed_keywords() {
        let prompt = "Keywords (keyword | monthly volume | difficulty):\nrunning shoes | 100 | 5\ntrail shoes | 50 | 3\nbest socks | 10 | 1\nshoe laces | 5 | 1\n\nAnswer with {\"clusters\": []}";
        let answer: Value = serde_json::from_str(&respond("", prompt)).unwrap();
        let clusters = answer["clusters"].as_array().unwrap();
        assert_eq!(clusters.len(), 2);
        assert_eq!(clusters[0]["keywords"].as_array().unwrap().len(), 3);
        assert_eq!(clusters[1]["keywords"][0], "shoe laces");
    }

    #[test]
    fn ideas_cover_every_cluster_three_times() {
        let prompt = "Clusters (JSON):\n[{\"cluster_id\": \"c1\", \"name\": \"Shoes\", \"keywords\": [{\"keyword\": \"a\"}]}]\n\nAnswer with {\"ideas\": []}";
        let answer: Value = serde_json::from_str(&respond("", prompt)).unwrap();
        assert_eq!(answer["ideas"].as_array().unwrap().len(), 3);
        assert_eq!(answer["ideas"][0]["cluster_id"], "c1");
    }

    #[test]
    fn articles_reach_the_asked_length() {
        let prompt = "Write about 600 words.\nTitle: Best shoes\n{\"meta_title\": \"\"}";
        let answer: Value = serde_json::from_str(&respond("", prompt)).unwrap();
        assert_eq!(answer["title"], "Best shoes");
        let words = answer["content"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .count();
        assert!(words >= 600, "{words}");
    }

    #[test]
    fn image_prompts_follow_the_count() {
        let prompt = "write one prompt for its featured image and 3 prompts for in-article images\nTitle: X\n\"featured\"";
        let answer: Value = serde_json::from_str(&respond("", prompt)).unwrap();
        assert_eq!(answer["in_article"].as_array().unwrap().len(), 3);
    }
}
