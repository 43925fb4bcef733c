//! The regular-expression engine behind the API model's patterns and `schema.yaml`'s
//! `pattern`s: the `regex` crate, or — in a browser build with feature `js-regex` — the
//! browser's own `RegExp`. OpenAPI patterns are ECMAScript regular expressions, so the browser
//! is, if anything, the more faithful engine; and it keeps the `regex` crate and its tables
//! out of the console's wasm.

pub use imp::Regex;

#[cfg(not(all(target_arch = "wasm32", feature = "js-regex")))]
mod imp {
    /// A compiled pattern (searched, not anchored; anchor it in the pattern).
    #[derive(Debug, Clone)]
    pub struct Regex(regex::Regex);

    impl Regex {
        /// Compiles `pattern`; the error says what is wrong, in one line.
        pub fn new(pattern: &str) -> Result<Self, String> {
            regex::Regex::new(pattern)
                .map(Self)
                .map_err(|e| last_line(&e))
        }

        /// Whether `text` contains a match.
        pub fn is_match(&self, text: &str) -> bool {
            self.0.is_match(text)
        }
    }

    /// The last line of a `regex` error, which says what is wrong without the ASCII art.
    fn last_line(e: &regex::Error) -> String {
        let text = e.to_string();
        let line = text
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with("error:"));
        match line {
            Some(l) => l
                .trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_owned(),
            None => text.lines().last().unwrap_or_default().trim().to_owned(),
        }
    }
}

#[cfg(all(target_arch = "wasm32", feature = "js-regex"))]
mod imp {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `RegExp`, constructed with its exception caught.
        #[wasm_bindgen(js_name = RegExp)]
        #[derive(Debug, Clone)]
        type CheckedRegExp;

        #[wasm_bindgen(constructor, catch, js_class = "RegExp")]
        fn new(pattern: &str, flags: &str) -> Result<CheckedRegExp, JsValue>;

        #[wasm_bindgen(method, js_class = "RegExp")]
        fn test(this: &CheckedRegExp, text: &str) -> bool;

        /// What `RegExp` throws (a `SyntaxError`).
        #[wasm_bindgen(js_name = Error)]
        type ThrownError;

        #[wasm_bindgen(method, getter)]
        fn message(this: &ThrownError) -> String;
    }

    /// A compiled pattern (searched, not anchored; anchor it in the pattern).
    #[derive(Debug, Clone)]
    pub struct Regex(send_wrapper::SendWrapper<CheckedRegExp>);

    impl Regex {
        /// Compiles `pattern` with the `u` flag (Unicode escapes and `\p{…}` classes, as the
        /// `regex` crate reads them), or without flags when only the legacy syntax accepts it.
        pub fn new(pattern: &str) -> Result<Self, String> {
            CheckedRegExp::new(pattern, "u")
                .or_else(|_| CheckedRegExp::new(pattern, ""))
                .map(|r| Self(send_wrapper::SendWrapper::new(r)))
                .map_err(|e| e.unchecked_into::<ThrownError>().message())
        }

        /// Whether `text` contains a match.
        pub fn is_match(&self, text: &str) -> bool {
            self.0.test(text)
        }
    }
}
