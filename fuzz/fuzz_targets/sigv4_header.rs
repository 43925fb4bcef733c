//! SigV4 verification of a request whose `Authorization` header is the input's first line and
//! whose `X-Amz-Date` is the second (the rest is the body), through `sigv4::verify` as the
//! server calls it, at the time the date names (so the skew check passes and parsing goes on to
//! the credential scope, signed headers and canonical request). Any header must be answered
//! with a `SigV4Error`, never a panic — and the fuzzer never forges a signature.
#![no_main]

use std::time::{Duration, SystemTime};

use baryon_engine::sigv4::{self, SigningRequest, VerifyConfig};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut lines = data.splitn(3, |&b| b == b'\n');
    let authorization = lines.next().unwrap_or_default();
    let date = lines.next().unwrap_or_default();
    let body = lines.next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
    if let Ok(v) = HeaderValue::from_bytes(authorization) {
        headers.insert("authorization", v);
    }
    if let Ok(v) = HeaderValue::from_bytes(date) {
        headers.insert("x-amz-date", v);
    }
    let now = std::str::from_utf8(date)
        .ok()
        .and_then(|d| sigv4::parse_amz_date(d.trim()))
        .unwrap_or(SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_000_000));
    let _ = sigv4::format_amz_date(now);
    let request = SigningRequest {
        method: "POST",
        path: "/",
        query: None,
        headers: &headers,
        body,
    };
    let result = sigv4::verify(&request, now, &VerifyConfig::new("proton"), |_| {
        Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned())
    });
    if let Err(e) = result {
        let _ = (e.to_string(), e.aws_type(), e.http_status());
    }
});
