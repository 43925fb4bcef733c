//! Address matching for the console's pages (pure logic; always built and tested in the
//! browser with wasm-bindgen-test). The page table itself is in `app`.

/// The parameters of `path` when it matches `pattern`, percent-decoded.
///
/// A pattern is `/`-separated: a literal segment matches itself, `:key` matches one non-empty
/// segment, `*key` (last) matches one or more non-empty segments joined with `/`. A trailing
/// `/` on the path is ignored.
pub fn matches(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let mut given = path.split('/');
    let mut params = Vec::new();
    for want in pattern.split('/') {
        if let Some(key) = want.strip_prefix('*') {
            let rest: Vec<&str> = given.by_ref().collect();
            if rest.is_empty() || rest.iter().any(|s| s.is_empty()) {
                return None;
            }
            params.push((key, percent_decode(&rest.join("/"))));
            return Some(params);
        }
        let segment = given.next()?;
        match want.strip_prefix(':') {
            Some(key) if !segment.is_empty() => params.push((key, percent_decode(segment))),
            None if segment == want => {}
            _ => return None,
        }
    }
    given.next().is_none().then_some(params)
}

/// `%XX` escapes decoded as UTF-8; the text as it is when it is not valid percent-encoding.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => return text.to_owned(),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}
