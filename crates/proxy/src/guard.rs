//! The checks every proxied request passes before anything is forwarded or written.
//!
//! 1. **Login token** (when one is configured, always so with remote binding):
//!    `Authorization: Bearer <token>` or a `baryon_token=<token>` cookie, compared in constant
//!    time; else 401.
//! 2. **CSRF**: state-changing requests (every POST and PUT the proxy serves) carry the custom
//!    header `x-baryon-csrf: 1`, which a cross-site form or simple request cannot set; else 403.
//! 3. **Origin**: when an `Origin` header is present it must be the proxy's own origin,
//!    `http://<Host>`; else 403.

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};

use crate::error::ProxyError;

/// The CSRF header a same-origin caller sets.
pub const CSRF_HEADER: &str = "x-baryon-csrf";

/// The cookie that may carry the login token.
pub const TOKEN_COOKIE: &str = "baryon_token";

/// Equality that takes the same time wherever the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn presented_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    let bearer = headers
        .get_all(AUTHORIZATION)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        });
    let cookies = headers
        .get_all(COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name.trim() == TOKEN_COOKIE).then_some(value.trim())
        });
    bearer.chain(cookies)
}

/// Checks the login token, when one is configured.
pub fn check_token(headers: &HeaderMap, login_token: Option<&str>) -> Result<(), ProxyError> {
    let Some(expected) = login_token else {
        return Ok(());
    };
    let mut presented = false;
    for token in presented_tokens(headers) {
        presented = true;
        if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
            return Ok(());
        }
    }
    Err(ProxyError::Unauthorized(if presented {
        "The login token is not valid.".to_owned()
    } else {
        format!(
            "This proxy requires a login token: send 'Authorization: Bearer <token>' or a \
             {TOKEN_COOKIE} cookie (the token is printed when the proxy starts)."
        )
    }))
}

/// Checks the CSRF header and, when present, the `Origin`.
pub fn check_same_origin(headers: &HeaderMap) -> Result<(), ProxyError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if csrf != Some("1") {
        return Err(ProxyError::Forbidden(format!(
            "Missing '{CSRF_HEADER}: 1' header: state-changing requests must come from the console."
        )));
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let host = headers.get(HOST).and_then(|v| v.to_str().ok());
        let same = match (origin.to_str().ok(), host) {
            (Some(origin), Some(host)) => origin.eq_ignore_ascii_case(&format!("http://{host}")),
            _ => false,
        };
        if !same {
            return Err(ProxyError::Forbidden(
                "Cross-origin request refused: the Origin is not this proxy's origin.".to_owned(),
            ));
        }
    }
    Ok(())
}

/// Both checks, in order: token (401) then CSRF and origin (403).
pub fn check(headers: &HeaderMap, login_token: Option<&str>) -> Result<(), ProxyError> {
    check_token(headers, login_token)?;
    check_same_origin(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn no_token_is_needed_when_none_is_configured() {
        assert_eq!(check_token(&headers(&[]), None), Ok(()));
    }

    #[test]
    fn a_bearer_token_or_a_cookie_is_accepted() {
        let t = Some("s3cret");
        assert_eq!(
            check_token(&headers(&[("authorization", "Bearer s3cret")]), t),
            Ok(())
        );
        assert_eq!(
            check_token(&headers(&[("cookie", "a=b; baryon_token=s3cret")]), t),
            Ok(())
        );
    }

    #[test]
    fn a_wrong_or_missing_token_is_unauthorized() {
        let t = Some("s3cret");
        for h in [
            headers(&[]),
            headers(&[("authorization", "Bearer s3cre")]),
            headers(&[("authorization", "Basic s3cret")]),
            headers(&[("cookie", "other=s3cret")]),
        ] {
            assert!(
                matches!(check_token(&h, t), Err(ProxyError::Unauthorized(_))),
                "{h:?}"
            );
        }
    }

    #[test]
    fn the_csrf_header_is_required() {
        assert!(matches!(
            check_same_origin(&headers(&[])),
            Err(ProxyError::Forbidden(_))
        ));
        assert!(matches!(
            check_same_origin(&headers(&[("x-baryon-csrf", "0")])),
            Err(ProxyError::Forbidden(_))
        ));
        assert_eq!(
            check_same_origin(&headers(&[("x-baryon-csrf", "1")])),
            Ok(())
        );
    }

    #[test]
    fn an_origin_must_be_the_proxys_own() {
        let ok = headers(&[
            ("x-baryon-csrf", "1"),
            ("host", "127.0.0.1:8081"),
            ("origin", "http://127.0.0.1:8081"),
        ]);
        assert_eq!(check_same_origin(&ok), Ok(()));
        for origin in ["http://evil.example", "null", "https://127.0.0.1:8081"] {
            let h = headers(&[
                ("x-baryon-csrf", "1"),
                ("host", "127.0.0.1:8081"),
                ("origin", origin),
            ]);
            assert!(
                matches!(check_same_origin(&h), Err(ProxyError::Forbidden(_))),
                "{origin}"
            );
        }
        let no_host = headers(&[("x-baryon-csrf", "1"), ("origin", "http://127.0.0.1:8081")]);
        assert!(check_same_origin(&no_host).is_err());
    }
}
