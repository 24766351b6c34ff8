//! Secrets: values that must never be shown or logged (expanded `${VAR}` credentials), and
//! [`redact`], which masks them and every URL's login and query values in any text. Used by
//! the runner for what it logs and shows, by the terminal lines and by the final error.

use std::sync::Mutex;

/// Values that must never be shown (expanded `${VAR}` credentials), masked by [`redact`].
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Mask `value` wherever it would be shown or logged from now on.
pub fn register_secret(value: &str) {
    if value.len() >= 3 {
        let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
        if !secrets.iter().any(|s| s == value) {
            secrets.push(value.to_string());
        }
    }
}

/// Whether `text` holds a registered secret (a credential taken from the environment), for
/// files that must never keep one.
pub fn holds_secret(text: &str) -> bool {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    secrets.iter().any(|s| text.contains(s.as_str()))
}

/// Hide credentials: the whole user-info part of URLs (`https://user:token@host` →
/// `https://***@host`; a token may stand where the user name does), the values of a URL's
/// query string (`?token=abc` → `?token=***`) and every registered secret. Applied to
/// everything logged or shown.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let url_end = tail
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '<' || c == '>')
            .unwrap_or(tail.len());
        let end = tail[..url_end].find(['/', '?', '#']).unwrap_or(url_end);
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        let path = &tail[end..url_end];
        match path.split_once('?') {
            Some((before, query)) => {
                out.push_str(before);
                out.push('?');
                let (query, fragment) = query.split_once('#').map_or((query, None), |(q, f)| (q, Some(f)));
                let masked: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((key, _)) => format!("{key}=***"),
                        None if pair.is_empty() => String::new(),
                        None => "***".to_string(),
                    })
                    .collect();
                out.push_str(&masked.join("&"));
                if let Some(f) = fragment {
                    out.push('#');
                    out.push_str(f);
                }
            }
            None => out.push_str(path),
        }
        rest = &tail[url_end..];
    }
    out.push_str(rest);
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_url_credentials() {
        assert_eq!(
            redact("pip --index-url https://bob:s3cret@pkgs.example/simple/ x"),
            "pip --index-url https://***@pkgs.example/simple/ x"
        );
        register_secret("tok-123-abc");
        assert_eq!(
            redact("Looking in http://***@h/ with tok-123-abc"),
            "Looking in http://***@h/ with ***"
        );
        assert_eq!(redact("https://TOKEN@host/simple"), "https://***@host/simple");
        assert_eq!(redact("http://127.0.0.1:8080/simple"), "http://127.0.0.1:8080/simple");
        assert_eq!(
            redact("see https://pkgs.example/simple/?token=abc123&x=1 or 'https://h/s?k=v#f'"),
            "see https://pkgs.example/simple/?token=***&x=*** or 'https://h/s?k=***#f'"
        );
        assert_eq!(
            redact("PIP_INDEX_URL=https://u:p@h/s?t=1 pip"),
            "PIP_INDEX_URL=https://***@h/s?t=*** pip"
        );
    }
}
