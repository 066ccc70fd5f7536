//! "Did you mean" suggestions for unknown names.

/// Levenshtein edit distance over characters, case-insensitive.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Up to three candidates closest to `name`: those containing it, then by
/// edit distance (ties broken alphabetically, so the answer is deterministic).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, String)> = candidates
        .into_iter()
        .map(|c| {
            let cl = c.to_lowercase();
            let d = if !lower.is_empty() && (cl.contains(&lower) || lower.contains(&cl)) {
                0
            } else {
                edit_distance(&lower, &cl)
            };
            (d, c.to_string())
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let c = closest(
            "lama-2-7b",
            ["llama-2-7b", "llama-2-13b", "gpt2", "opt-6.7b"],
        );
        assert_eq!(c[0], "llama-2-7b");
    }
}
