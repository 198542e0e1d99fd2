//! An error as a user reads it: its messages from the outermost to the root cause, joined by
//! ": ", each cause left out when the message before already ends with it (many of our errors
//! name their cause in their own message and hand it on as their source as well).

/// `e`'s chain of messages, without repeats.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read {path}: {source}")]
    struct Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn a_cause_the_message_already_names_is_not_repeated_and_context_is_kept() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let e = anyhow::Error::new(Unreadable {
            path: "/tmp/x/labels.tsv".into(),
            source: io,
        })
        .context("plates eval /tmp/x");
        assert_eq!(
            error_text(&e),
            "plates eval /tmp/x: cannot read /tmp/x/labels.tsv: No such file or directory"
        );
        // A cause the message does not name is still shown.
        let plain = anyhow::anyhow!("connection refused").context("cannot reach the camera");
        assert_eq!(
            error_text(&plain),
            "cannot reach the camera: connection refused"
        );
    }
}
