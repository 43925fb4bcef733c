//! Bundle uploads to an S3-compatible store, for a proxy in front of an endpoint that reads
//! template bundles from S3 (AWS, or any S3 API): `PUT <store>/<bucket>/<key>` (path style),
//! signed for `s3` by the `aws-sigv4` crate with the payload's SHA-256, as S3 requires.

use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SigningSettings, UriPathNormalizationMode,
};
use axum::body::Bytes;

use crate::ProxyCredentials;
use crate::error::ProxyError;
use crate::upstream::{Signing, Upstream, sign_request};

/// `PUT <store>/<bucket>/<key>`, signed.
pub fn signed_put(
    store: &Upstream,
    region: &str,
    credentials: &ProxyCredentials,
    bucket: &str,
    key: &str,
    body: Bytes,
    time: SystemTime,
) -> Result<http::Request<Bytes>, ProxyError> {
    let base = store.uri().to_string();
    let encoded_key = key
        .split('/')
        .map(|segment| percent_encoding::utf8_percent_encode(segment, UNRESERVED).to_string())
        .collect::<Vec<_>>()
        .join("/");
    let uri = format!(
        "{}/{}/{encoded_key}",
        base.trim_end_matches('/'),
        percent_encoding::utf8_percent_encode(bucket, UNRESERVED)
    );
    let host = store.authority().as_str();
    let fields = [("host", host), ("content-type", "application/gzip")];
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    sign_request(
        &Signing {
            method: http::Method::PUT,
            uri,
            fields: &fields,
            region,
            service: "s3",
            settings,
            time,
        },
        credentials,
        body,
    )
}

/// S3's `<Code>` and `<Message>` of an error body, for the console.
pub fn error_summary(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].to_owned())
    };
    match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => "no error details".to_owned(),
    }
}

/// Everything but AWS's unreserved characters is percent-encoded.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_error_bodies_read_as_code_and_message() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>";
        assert_eq!(
            error_summary(body),
            "NoSuchBucket: The specified bucket does not exist"
        );
    }

    #[test]
    fn keys_are_encoded_per_segment_and_signed_for_s3() {
        let store = Upstream::parse("http://127.0.0.1:9000").unwrap();
        let credentials = ProxyCredentials {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        };
        let r = signed_put(
            &store,
            "us-east-1",
            &credentials,
            "templates",
            "env/v1 bundle.tar.gz",
            Bytes::from_static(b"x"),
            SystemTime::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(
            r.uri().to_string(),
            "http://127.0.0.1:9000/templates/env/v1%20bundle.tar.gz"
        );
        let auth = r.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("/us-east-1/s3/aws4_request"), "{auth}");
        assert_eq!(
            r.headers()["x-amz-content-sha256"],
            "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
        );
    }
}
