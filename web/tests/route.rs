//! The console's address matching (`baryon_console::route`), in headless Chromium.

#![cfg(target_arch = "wasm32")]

use baryon_console::route::{matches, percent_decode};
use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn p(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

#[wasm_bindgen_test]
fn a_literal_pattern_matches_only_its_own_path() {
    assert_eq!(matches("/environments", "/environments"), Some(p(&[])));
    assert_eq!(matches("/environments", "/environments/"), Some(p(&[])));
    assert_eq!(matches("/environments", "/services"), None);
    assert_eq!(matches("/environments", "/environments/x"), None);
}

#[wasm_bindgen_test]
fn the_root_pattern_matches_only_the_root() {
    assert_eq!(matches("/", "/"), Some(p(&[])));
    assert_eq!(matches("/", "/environments"), None);
}

#[wasm_bindgen_test]
fn a_colon_segment_captures_one_non_empty_segment() {
    assert_eq!(
        matches(
            "/services/:name/instances/:instance",
            "/services/api/instances/prod"
        ),
        Some(p(&[("name", "api"), ("instance", "prod")]))
    );
    assert_eq!(matches("/environments/:name", "/environments//"), None);
    assert_eq!(matches("/environments/:name", "/environments/a/b"), None);
}

#[wasm_bindgen_test]
fn a_star_segment_captures_the_rest_of_the_path() {
    assert_eq!(
        matches(
            "/repositories/:provider/*name",
            "/repositories/GITHUB/org/infra"
        ),
        Some(p(&[("provider", "GITHUB"), ("name", "org/infra")]))
    );
    assert_eq!(
        matches("/repositories/:provider/*name", "/repositories/GITHUB"),
        None
    );
}

#[wasm_bindgen_test]
fn parameters_are_percent_decoded() {
    assert_eq!(
        matches("/environments/:name", "/environments/my%20env"),
        Some(p(&[("name", "my env")]))
    );
    assert_eq!(percent_decode("caf%C3%A9"), "café");
}

#[wasm_bindgen_test]
fn text_that_is_not_valid_percent_encoding_is_kept_as_it_is() {
    assert_eq!(percent_decode("100%"), "100%");
    assert_eq!(percent_decode("%zz"), "%zz");
    assert_eq!(percent_decode("%ff"), "%ff");
}
