//! Cookie names and formats, shared by server functions and the server's auth layer.

/// Access token (JWT). `HttpOnly`: scripts never see tokens.
pub const ACCESS: &str = "sp_access";
/// ID token (JWT).
pub const ID: &str = "sp_id";
/// Refresh token; sent only to the refresh-capable paths' server.
pub const REFRESH: &str = "sp_refresh";
/// A browser that signed in to an account before (signed by the server): that account's
/// lock-out does not hold it. Kept across sign-out.
pub const DEVICE: &str = "sp_device";
/// Preferences, readable by the page so the first render is already right.
pub const THEME: &str = "sp_theme";
pub const LANG: &str = "sp_lang";
pub const COUNTRY: &str = "sp_country";

/// Finds a cookie in `Cookie:` header values.
pub fn find<'a>(headers: impl Iterator<Item = &'a str>, name: &str) -> Option<String> {
    headers
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// Finds a cookie in a request's headers.
#[cfg(feature = "ssr")]
pub fn from_headers(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    find(
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
        name,
    )
}

/// A `Set-Cookie` value for a token: `HttpOnly; SameSite=Strict; Path=/`, `Secure` unless the
/// server runs plain http on loopback.
pub fn token(name: &str, value: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Max-Age={max_age_secs}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// A `Set-Cookie` value that deletes a token cookie.
pub fn clear(name: &str, secure: bool) -> String {
    token(name, "", 0, secure)
}

/// A preference cookie the page script may also write (one year, `SameSite=Lax`).
pub fn preference(name: &str, value: &str) -> String {
    format!("{name}={value}; Max-Age=31536000; Path=/; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cookies_across_headers() {
        let headers = ["a=1; sp_access=tok.en.x", "sp_lang=es"];
        assert_eq!(
            find(headers.iter().copied(), ACCESS),
            Some("tok.en.x".into())
        );
        assert_eq!(find(headers.iter().copied(), LANG), Some("es".into()));
        assert_eq!(find(headers.iter().copied(), REFRESH), None);
    }

    #[test]
    fn token_cookies_are_locked_down() {
        let c = token(ACCESS, "t", 3600, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!token(ACCESS, "t", 3600, false).contains("Secure"));
        assert!(clear(ACCESS, true).contains("Max-Age=0"));
    }
}
