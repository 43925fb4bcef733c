//! Server-side verification of AWS Signature Version 4 (`AWS4-HMAC-SHA256`).
//!
//! boto3, the AWS CLI and aws-sdk-rust sign every request they send to Baryon
//! with SigV4 in the `Authorization` header. [`verify`] checks such a request
//! and either returns who signed it ([`Verified`]) or a [`SigV4Error`] that
//! carries the HTTP status, the `__type` and the message an AWS JSON service
//! would answer with.
//!
//! # API
//!
//! ```text
//! SigningRequest { method, path, query, headers, body }  the request as received
//! VerifyConfig   { service, max_skew }                   what this endpoint accepts
//! verify(&req, now, &config, |access_key_id| secret)     -> Result<Verified, SigV4Error>
//! Verified       { access_key_id, region, service, signed_at, session_token }
//! SigV4Error::aws_type() / http_status() / Display       the AWS error triple
//! canonical_request(&req, "host;x-amz-date")             SigV4 task 1 (exposed for tests)
//! string_to_sign(amz_date, scope, canonical_request)     SigV4 task 2 (exposed for tests)
//! parse_amz_date / format_amz_date                       `YYYYMMDD'T'HHMMSS'Z'` <-> SystemTime
//! ```
//!
//! The signing key and the HMAC come from the `aws-sigv4` crate
//! ([`aws_sigv4::sign::v4::generate_signing_key`] and
//! [`aws_sigv4::sign::v4::calculate_signature`]); the canonical request and
//! the string to sign are built here, per the AWS specification, and checked
//! against the official SigV4 test suite (`tests/sigv4-vectors`).
//!
//! # Checks, in order
//!
//! Up to the unknown-key check, the order and the messages follow what DynamoDB
//! (an AWS JSON service) was observed to answer, so that a request with several
//! problems gets the same first error as from AWS; the later checks are Baryon's.
//!
//! | Condition | Status | `__type` |
//! |---|---|---|
//! | no `Authorization` header | 403 | `MissingAuthenticationTokenException` |
//! | no `Authorization` header but `X-Amz-Algorithm` in the query (presigned URL, not supported) | 400 | `IncompleteSignatureException` |
//! | both `Authorization` and `X-Amz-Algorithm` | 400 | `InvalidSignatureException` |
//! | a token in the header that is not `key=value` | 400 | `IncompleteSignatureException` |
//! | `Credential`, `SignedHeaders` or `Signature` missing, or neither `X-Amz-Date` nor `Date` (one message lists them all) | 400 | `IncompleteSignatureException` |
//! | date not ISO-8601 basic format | 400 | `IncompleteSignatureException` |
//! | date more than `max_skew` before or after `now` | 403 | `InvalidSignatureException` |
//! | `host`, the date header used, or a present `x-amz-security-token` not in `SignedHeaders` | 403 | `InvalidSignatureException` |
//! | algorithm other than `AWS4-HMAC-SHA256` | 400 | `IncompleteSignatureException` |
//! | `Credential` not `key/date/region/service/aws4_request` | 400 | `IncompleteSignatureException` |
//! | empty region, wrong service, wrong terminator, scope date != request date | 403 | `InvalidSignatureException` |
//! | unknown access key | 403 | `UnrecognizedClientException` |
//! | `x-amz-content-sha256` is `UNSIGNED-PAYLOAD`/`STREAMING-*` | 400 | `InvalidSignatureException` |
//! | `x-amz-content-sha256` differs from the body's SHA-256 | 400 | `InvalidSignatureException` |
//! | a header named in `SignedHeaders` is absent from the request | 403 | `InvalidSignatureException` |
//! | signature mismatch (compared in constant time) | 403 | `InvalidSignatureException` |
//!
//! # Choices where AWS is unspecified or where Baryon deliberately differs
//!
//! - **Canonical URI**: the raw path as received is normalized (RFC 3986 dot
//!   segments removed, empty segments collapsed, trailing slash kept) and then
//!   percent-encoded *again* (everything except `A-Za-z0-9-._~` and `/`, so
//!   `%` becomes `%25`). This is what every AWS SDK does for non-S3 services.
//!   S3-style signing (no normalization, single encoding) is not supported.
//! - **Canonical query**: split on `&` (empty pieces ignored), each key and value
//!   percent-decoded then re-encoded with the RFC 3986 unreserved set, sorted by
//!   encoded key then value. `+` is a literal plus (RFC 3986), not a space.
//! - **Canonical headers**: names lower-cased; each value trimmed of spaces and
//!   tabs, runs of spaces collapsed to one, repeated headers joined with `,` in
//!   the order received. A value that is not UTF-8 is read as Latin-1 (what
//!   Python's `http.client` puts on the wire for a non-ASCII `str`).
//! - **Missing signed header**: a name listed in `SignedHeaders` but absent from
//!   the request is rejected up front with a message naming it (AWS, as far as
//!   known, only reports a signature mismatch; naming the header makes proxies
//!   that strip headers easy to diagnose).
//! - **Payload**: the canonical request always uses the SHA-256 of the actual
//!   body. `UNSIGNED-PAYLOAD` (and streaming payloads) are refused: every
//!   operation of a JSON service is in its body, which must be signed.
//! - **Session tokens**: `x-amz-security-token`, when present, must be signed
//!   (all current SDKs sign it). It is returned in [`Verified::session_token`]
//!   but not validated: there is no STS.
//! - **Dates**: `X-Amz-Date` wins over `Date`; either must be in ISO-8601 basic
//!   format (`20150830T123600Z`) and must be signed. The credential scope date
//!   must be the request's date. Any region is accepted; it selects the key.
//! - **Presigned URLs** (`X-Amz-Algorithm` and friends in the query) are not
//!   implemented.
//! - **HTTP/2**: the verifier reads the `host` header only. A server that
//!   receives HTTP/2 requests must copy `:authority` into a `host` header of
//!   the [`http::HeaderMap`] it passes in.
//! - **Missing token message**: AWS JSON services differ here (DynamoDB answers
//!   400 "Request is missing Authentication Token"); Baryon answers 403
//!   "Missing Authentication Token" (API Gateway's wording).

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use sha2::{Digest, Sha256};

/// The only signing algorithm accepted: `AWS4-HMAC-SHA256`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The clock skew AWS tolerates between the signature date and its own clock.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_mins(15);

/// The last element of every SigV4 credential scope.
const TERMINATOR: &str = "aws4_request";

/// Everything except the RFC 3986 unreserved characters `A-Za-z0-9-._~`.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Like [`NOT_UNRESERVED`], but keeps the path separator.
const NOT_UNRESERVED_OR_SLASH: &AsciiSet = &NOT_UNRESERVED.remove(b'/');

/// A received HTTP request, as the verifier needs to see it.
#[derive(Debug, Clone, Copy)]
pub struct SigningRequest<'a> {
    /// The HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The path exactly as received on the wire, still percent-encoded
    /// (e.g. `http::Uri::path()`), without the query.
    pub path: &'a str,
    /// The raw query string without the `?`, if the request had one.
    pub query: Option<&'a str>,
    /// All request headers, including `host` (see the module docs for HTTP/2).
    pub headers: &'a HeaderMap,
    /// The complete request body.
    pub body: &'a [u8],
}

/// What the endpoint accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyConfig {
    /// The signing name the credential scope must name, e.g. `proton`.
    pub service: String,
    /// How far the signature date may be from the server clock, either way.
    pub max_skew: Duration,
}

impl VerifyConfig {
    /// A configuration for `service` with the AWS skew of 15 minutes.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            max_skew: DEFAULT_MAX_SKEW,
        }
    }
}

/// The identity behind a correctly signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// The region from the credential scope (any region is accepted).
    pub region: String,
    /// The service from the credential scope (always the configured one).
    pub service: String,
    /// The signature time, from `X-Amz-Date` (or `Date`).
    pub signed_at: SystemTime,
    /// The (signed, unvalidated) `x-amz-security-token`, if the request had one.
    pub session_token: Option<String>,
}

/// Why a request was refused. `Display` is the message AWS would send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// No `Authorization` header and no query-string signature.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,

    /// The request is signed in the query string (a presigned URL), which
    /// this endpoint does not implement.
    #[error(
        "Query-string (presigned URL) authentication is not supported by this endpoint; \
         sign the request in the 'Authorization' header."
    )]
    PresignedNotSupported,

    /// The request carries both an `Authorization` header and `X-Amz-Algorithm`
    /// in its query string.
    #[error(
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    )]
    AmbiguousAuthentication,

    /// Parameters of the `Authorization` header or the date header are
    /// missing; the message names each one and echoes the header.
    #[error("{message}")]
    IncompleteAuthorization {
        /// The full AWS message.
        message: String,
    },

    /// A token of the `Authorization` header is not a `key=value` pair.
    #[error(
        "'{pair}' not a valid key=value pair (missing equal-sign) in Authorization header: \
         '{authorization}'."
    )]
    MalformedAuthorizationPair {
        /// The offending token.
        pair: String,
        /// The whole `Authorization` header.
        authorization: String,
    },

    /// The `X-Amz-Date` (or `Date`) header is not `YYYYMMDD'T'HHMMSS'Z'`.
    #[error(
        "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )]
    InvalidDate {
        /// The header value received.
        value: String,
    },

    /// The algorithm is not `AWS4-HMAC-SHA256`.
    #[error("Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). ")]
    UnsupportedAlgorithm {
        /// The algorithm received.
        algorithm: String,
    },

    /// The `Credential` parameter does not have five `/`-separated elements.
    #[error(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, \
         got '{credential}'"
    )]
    MalformedCredential {
        /// The `Credential` value received.
        credential: String,
    },

    /// The signature date is more than the allowed skew before `now`.
    #[error("Signature expired: {signed_at} is now earlier than {earliest} ({now} - {max_skew}.)")]
    SignatureExpired {
        /// The signature date (`YYYYMMDD'T'HHMMSS'Z'`).
        signed_at: String,
        /// The earliest date still accepted.
        earliest: String,
        /// The server clock.
        now: String,
        /// The allowed skew, e.g. `15 min`.
        max_skew: String,
    },

    /// The signature date is more than the allowed skew after `now`.
    #[error(
        "Signature not yet current: {signed_at} is still later than {latest} ({now} + {max_skew}.)"
    )]
    SignatureNotYetCurrent {
        /// The signature date (`YYYYMMDD'T'HHMMSS'Z'`).
        signed_at: String,
        /// The latest date accepted.
        latest: String,
        /// The server clock.
        now: String,
        /// The allowed skew, e.g. `15 min`.
        max_skew: String,
    },

    /// A header that must be signed (`Host`, the date header, or a present
    /// `X-Amz-Security-Token`) is not in `SignedHeaders`.
    #[error("{}", required_header_message(header))]
    RequiredHeaderNotSigned {
        /// `Host`, `X-Amz-Date`, `Date` or `X-Amz-Security-Token`.
        header: &'static str,
    },

    /// The credential scope names an empty region, another service, a wrong
    /// terminator or another date; the message lists each problem.
    #[error("{message}")]
    InvalidCredentialScope {
        /// The full AWS message.
        message: String,
    },

    /// The access key id is unknown.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,

    /// `x-amz-content-sha256` asks for an unsigned or streaming payload.
    #[error(
        "The 'x-amz-content-sha256' value '{value}' is not accepted by this service: \
         the request body must be signed."
    )]
    UnsignedPayloadRefused {
        /// The header value received.
        value: String,
    },

    /// `x-amz-content-sha256` is not the SHA-256 of the body received.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch,

    /// A header listed in `SignedHeaders` is not in the request.
    #[error("Header '{header}' is listed in SignedHeaders but is absent from the request.")]
    SignedHeaderAbsent {
        /// The lower-cased header name.
        header: String,
    },

    /// The signature does not match. The canonical request and string to sign
    /// the server computed are kept for logging (AWS appends them to the
    /// message; Baryon leaves that to the caller).
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. \
         Consult the service documentation for details."
    )]
    SignatureDoesNotMatch {
        /// The canonical request the server computed.
        canonical_request: String,
        /// The string to sign the server computed.
        string_to_sign: String,
    },
}

/// The message for [`SigV4Error::RequiredHeaderNotSigned`].
fn required_header_message(header: &str) -> String {
    if header == "Host" {
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned()
    } else {
        format!("'{header}' must be a 'SignedHeader' in the AWS Authorization.")
    }
}

impl SigV4Error {
    /// The AWS error code, sent as `__type` (and `x-amzn-ErrorType`).
    pub fn aws_type(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::PresignedNotSupported
            | Self::IncompleteAuthorization { .. }
            | Self::MalformedAuthorizationPair { .. }
            | Self::InvalidDate { .. }
            | Self::UnsupportedAlgorithm { .. }
            | Self::MalformedCredential { .. } => "IncompleteSignatureException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::AmbiguousAuthentication
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::RequiredHeaderNotSigned { .. }
            | Self::InvalidCredentialScope { .. }
            | Self::UnsignedPayloadRefused { .. }
            | Self::ContentSha256Mismatch
            | Self::SignedHeaderAbsent { .. }
            | Self::SignatureDoesNotMatch { .. } => "InvalidSignatureException",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::PresignedNotSupported
            | Self::AmbiguousAuthentication
            | Self::IncompleteAuthorization { .. }
            | Self::MalformedAuthorizationPair { .. }
            | Self::InvalidDate { .. }
            | Self::UnsupportedAlgorithm { .. }
            | Self::MalformedCredential { .. }
            | Self::UnsignedPayloadRefused { .. }
            | Self::ContentSha256Mismatch => 400,
            Self::MissingAuthenticationToken
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::RequiredHeaderNotSigned { .. }
            | Self::InvalidCredentialScope { .. }
            | Self::UnrecognizedClient
            | Self::SignedHeaderAbsent { .. }
            | Self::SignatureDoesNotMatch { .. } => 403,
        }
    }
}

/// The parameters of an `Authorization` header.
struct Authorization<'a> {
    algorithm: &'a str,
    credential: Option<&'a str>,
    signed_headers: Option<&'a str>,
    signature: Option<&'a str>,
}

/// Splits `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`.
/// Parameters may be separated by commas and/or whitespace; the first
/// occurrence of a parameter wins; unknown parameters are ignored.
fn parse_authorization(header: &str) -> Result<Authorization<'_>, SigV4Error> {
    let trimmed = header.trim();
    let (algorithm, rest) = trimmed
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((trimmed, ""));
    let mut parsed = Authorization {
        algorithm,
        credential: None,
        signed_headers: None,
        signature: None,
    };
    for token in rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|token| !token.is_empty())
    {
        let Some((key, value)) = token.split_once('=') else {
            return Err(SigV4Error::MalformedAuthorizationPair {
                pair: token.to_owned(),
                authorization: header.to_owned(),
            });
        };
        let slot = match key {
            "Credential" => &mut parsed.credential,
            "SignedHeaders" => &mut parsed.signed_headers,
            "Signature" => &mut parsed.signature,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    Ok(parsed)
}

/// Verifies the SigV4 signature of `req` at time `now`.
///
/// `secret_for` maps an access key id to its secret access key, or `None` if
/// the key is unknown. On success the signer's identity is returned; on
/// failure the error carries the AWS status, `__type` and message.
pub fn verify(
    req: &SigningRequest<'_>,
    now: SystemTime,
    config: &VerifyConfig,
    secret_for: impl Fn(&str) -> Option<String>,
) -> Result<Verified, SigV4Error> {
    let presigned = req.query.is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("X-Amz-Algorithm"))
    });
    let Some(authorization) = first_header(req.headers, "authorization") else {
        return Err(if presigned {
            SigV4Error::PresignedNotSupported
        } else {
            SigV4Error::MissingAuthenticationToken
        });
    };
    if presigned {
        return Err(SigV4Error::AmbiguousAuthentication);
    }
    let authorization = header_text(authorization);
    let auth = parse_authorization(&authorization)?;

    // The date: X-Amz-Date wins over Date.
    let date = first_header(req.headers, "x-amz-date")
        .map(|value| ("X-Amz-Date", value))
        .or_else(|| first_header(req.headers, "date").map(|value| ("Date", value)));

    let (Some(credential), Some(signed_headers), Some(signature), Some((date_header, date))) =
        (auth.credential, auth.signed_headers, auth.signature, date)
    else {
        let mut message = String::new();
        for (name, value) in [
            ("Credential", auth.credential),
            ("Signature", auth.signature),
            ("SignedHeaders", auth.signed_headers),
        ] {
            if value.is_none() {
                message.push_str("Authorization header requires '");
                message.push_str(name);
                message.push_str("' parameter. ");
            }
        }
        if date.is_none() {
            message.push_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
            );
        }
        message.push_str("Authorization=");
        message.push_str(&authorization);
        return Err(SigV4Error::IncompleteAuthorization { message });
    };

    let date = header_text(date);
    let amz_date = date.trim();
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| SigV4Error::InvalidDate {
        value: amz_date.to_owned(),
    })?;
    check_skew(signed_at, now, config.max_skew)?;

    let signed_headers: Vec<String> = signed_headers
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    let is_signed = |name: &str| signed_headers.iter().any(|signed| signed == name);
    if !is_signed("host") {
        return Err(SigV4Error::RequiredHeaderNotSigned { header: "Host" });
    }
    if !is_signed(&date_header.to_ascii_lowercase()) {
        return Err(SigV4Error::RequiredHeaderNotSigned {
            header: date_header,
        });
    }
    let session_token = first_header(req.headers, "x-amz-security-token")
        .map(|token| header_text(token).trim().to_owned());
    if session_token.is_some() && !is_signed("x-amz-security-token") {
        return Err(SigV4Error::RequiredHeaderNotSigned {
            header: "X-Amz-Security-Token",
        });
    }

    if auth.algorithm != ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm {
            algorithm: auth.algorithm.to_owned(),
        });
    }

    let scope: Vec<&str> = credential.trim_end_matches('/').split('/').collect();
    let [access_key_id, scope_date, region, service, terminator] = scope[..] else {
        return Err(SigV4Error::MalformedCredential {
            credential: credential.to_owned(),
        });
    };
    let mut problems: Vec<String> = Vec::new();
    if region.is_empty() {
        problems.push("Credential should be scoped to a valid region, not ''. ".to_owned());
    }
    if service != config.service {
        problems.push(format!(
            "Credential should be scoped to correct service: '{}'. ",
            config.service
        ));
    }
    if terminator != TERMINATOR {
        problems.push(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
        ));
    }
    let request_day = amz_date.get(..8).unwrap_or(amz_date);
    if scope_date != request_day {
        problems.push(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
             '{scope_date}' != '{request_day}', from '{amz_date}'."
        ));
    }
    if !problems.is_empty() {
        return Err(SigV4Error::InvalidCredentialScope {
            message: problems.concat(),
        });
    }

    let secret = secret_for(access_key_id).ok_or(SigV4Error::UnrecognizedClient)?;

    let payload_hash = sha256_hex(req.body);
    if let Some(claimed) = first_header(req.headers, "x-amz-content-sha256") {
        let claimed = header_text(claimed);
        let claimed = claimed.trim();
        if claimed == "UNSIGNED-PAYLOAD" || claimed.starts_with("STREAMING-") {
            return Err(SigV4Error::UnsignedPayloadRefused {
                value: claimed.to_owned(),
            });
        }
        if !claimed.eq_ignore_ascii_case(&payload_hash) {
            return Err(SigV4Error::ContentSha256Mismatch);
        }
    }

    let canonical = build_canonical_request(req, &signed_headers, &payload_hash)?;
    let credential_scope = format!("{scope_date}/{region}/{service}/{TERMINATOR}");
    let string_to_sign = string_to_sign(amz_date, &credential_scope, &canonical);
    let signing_key =
        aws_sigv4::sign::v4::generate_signing_key(&secret, signed_at, region, service);
    let expected = aws_sigv4::sign::v4::calculate_signature(signing_key, string_to_sign.as_bytes());
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(SigV4Error::SignatureDoesNotMatch {
            canonical_request: canonical,
            string_to_sign,
        });
    }

    Ok(Verified {
        access_key_id: access_key_id.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_at,
        session_token,
    })
}

/// Refuses a signature date more than `max_skew` away from `now`.
fn check_skew(
    signed_at: SystemTime,
    now: SystemTime,
    max_skew: Duration,
) -> Result<(), SigV4Error> {
    match now.duration_since(signed_at) {
        // Signed in the past.
        Ok(age) if age > max_skew => Err(SigV4Error::SignatureExpired {
            signed_at: format_amz_date(signed_at),
            earliest: format_amz_date(now.checked_sub(max_skew).unwrap_or(signed_at)),
            now: format_amz_date(now),
            max_skew: format_skew(max_skew),
        }),
        // Signed in the future.
        Err(ahead) if ahead.duration() > max_skew => Err(SigV4Error::SignatureNotYetCurrent {
            signed_at: format_amz_date(signed_at),
            latest: format_amz_date(now.checked_add(max_skew).unwrap_or(signed_at)),
            now: format_amz_date(now),
            max_skew: format_skew(max_skew),
        }),
        _ => Ok(()),
    }
}

/// `15 min` for 15 minutes; seconds when the skew is not whole minutes.
fn format_skew(skew: Duration) -> String {
    let seconds = skew.as_secs();
    if seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} sec")
    }
}

/// Builds the SigV4 canonical request of `req` (task 1 of the spec).
///
/// `signed_headers` is the `SignedHeaders` value, e.g. `host;x-amz-date`; the
/// canonical headers follow its order (an empty string signs no header). The
/// hashed payload is always the SHA-256 of `req.body`. Fails with
/// [`SigV4Error::SignedHeaderAbsent`] if a listed header is not in the request.
pub fn canonical_request(
    req: &SigningRequest<'_>,
    signed_headers: &str,
) -> Result<String, SigV4Error> {
    let names: Vec<String> = if signed_headers.is_empty() {
        Vec::new()
    } else {
        signed_headers
            .split(';')
            .map(str::to_ascii_lowercase)
            .collect()
    };
    build_canonical_request(req, &names, &sha256_hex(req.body))
}

/// The canonical request for lower-cased `signed_headers` and a payload hash.
fn build_canonical_request(
    req: &SigningRequest<'_>,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<String, SigV4Error> {
    let mut out = String::with_capacity(256 + req.path.len());
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req.query.unwrap_or("")));
    out.push('\n');
    for name in signed_headers {
        let value = canonical_header_value(req.headers, name).ok_or_else(|| {
            SigV4Error::SignedHeaderAbsent {
                header: name.clone(),
            }
        })?;
        out.push_str(name);
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    Ok(out)
}

/// Builds the SigV4 string to sign (task 2 of the spec).
///
/// `amz_date` is the request date as sent (`20150830T123600Z`) and
/// `credential_scope` is `date/region/service/aws4_request`.
pub fn string_to_sign(amz_date: &str, credential_scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{credential_scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Normalizes the raw path (RFC 3986 §5.2.4 plus collapsing empty segments)
/// and percent-encodes it again, as SDKs do for non-S3 services.
fn canonical_uri(raw_path: &str) -> String {
    let path: Cow<'_, str> = if raw_path.starts_with('/') {
        Cow::Borrowed(raw_path)
    } else {
        Cow::Owned(format!("/{raw_path}"))
    };
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = String::with_capacity(path.len());
    for segment in &segments {
        normalized.push('/');
        normalized.push_str(segment);
    }
    // "/a/b/", "/a/b/." and "/a/b/c/.." all name a directory: keep the slash.
    let directory = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if normalized.is_empty() || (directory && !normalized.ends_with('/')) {
        normalized.push('/');
    }
    percent_encode(normalized.as_bytes(), NOT_UNRESERVED_OR_SLASH).to_string()
}

/// The canonical query string of a raw query.
fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (uri_encode(key), uri_encode(value))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Percent-decodes `raw` and re-encodes it with the unreserved set.
fn uri_encode(raw: &str) -> String {
    let decoded: Vec<u8> = percent_decode_str(raw).collect();
    percent_encode(&decoded, NOT_UNRESERVED).to_string()
}

/// The canonical value of header `name` (lower-case), or `None` if absent.
fn canonical_header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
    let mut values = headers.get_all(&name).iter().peekable();
    values.peek()?;
    let mut out = String::new();
    for (index, value) in values.enumerate() {
        if index > 0 {
            out.push(',');
        }
        let text = header_text(value);
        let mut previous_space = false;
        for c in text.trim_matches([' ', '\t']).chars() {
            if c == ' ' {
                if !previous_space {
                    out.push(' ');
                }
                previous_space = true;
            } else {
                out.push(c);
                previous_space = false;
            }
        }
    }
    Some(out)
}

/// The first value of header `name`, if any.
fn first_header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h HeaderValue> {
    headers.get(name)
}

/// A header value as text: UTF-8 if valid, Latin-1 otherwise.
fn header_text(value: &HeaderValue) -> Cow<'_, str> {
    match std::str::from_utf8(value.as_bytes()) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(value.as_bytes().iter().copied().map(char::from).collect()),
    }
}

/// Lower-case hex SHA-256.
fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Compares two byte strings without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// Parses an ISO-8601 basic-format UTC timestamp, `YYYYMMDD'T'HHMMSS'Z'`.
pub fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let bytes = value.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<i64> {
        let digits = value.get(from..to)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let year = number(0, 4)?;
    let month = number(4, 6)?;
    let day = number(6, 8)?;
    let hour = number(9, 11)?;
    let minute = number(11, 13)?;
    let second = number(13, 15)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
    match u64::try_from(seconds) {
        Ok(after) => UNIX_EPOCH.checked_add(Duration::from_secs(after)),
        Err(_) => UNIX_EPOCH.checked_sub(Duration::from_secs(seconds.unsigned_abs())),
    }
}

/// Formats a time as ISO-8601 basic format in UTC, `YYYYMMDD'T'HHMMSS'Z'`
/// (sub-second precision is dropped).
pub fn format_amz_date(time: SystemTime) -> String {
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            if before.subsec_nanos() > 0 {
                -whole - 1
            } else {
                -whole
            }
        }
    };
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
}

/// The number of days in `month` (1-12) of `year` (proleptic Gregorian).
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
