//! The upstream side: which services are forwarded, how a browser call becomes a signed awsJson
//! request, and the HTTP client that sends it.
//!
//! The upstream is fixed when the proxy starts ([`Upstream::parse`]); nothing in a browser
//! request chooses where it goes. `https://` upstreams are reached over rustls (system roots, or
//! `SSL_CERT_FILE`); plain `http://` suits a loopback engine or a trusted network. The scheme is
//! kept as given: an `https://` upstream is never downgraded.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use axum::body::Bytes;
use http::Uri;
use http::uri::{Authority, PathAndQuery};

use crate::credentials::ProxyCredentials;
use crate::error::ProxyError;

/// The AWS services the proxy forwards to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// AWS Proton: awsJson 1.0, `AwsProton20200720.<Op>`, signed for `proton`.
    Proton,
    /// AWS Service Catalog: awsJson 1.1, `AWS242ServiceCatalogService.<Op>`, signed for
    /// `servicecatalog`.
    ServiceCatalog,
    /// Baryon's own operations (`baryon_model::extensions`): awsJson 1.0,
    /// `Baryon20261203.<Op>`, signed for `proton`; only a Baryon engine answers them.
    Baryon,
}

impl Service {
    /// The `X-Amz-Target` prefix.
    pub fn target_prefix(self) -> &'static str {
        match self {
            Self::Proton => baryon_model::proton::TARGET_PREFIX,
            Self::ServiceCatalog => baryon_model::servicecatalog::TARGET_PREFIX,
            Self::Baryon => baryon_model::extensions::TARGET_PREFIX,
        }
    }

    /// The SigV4 signing name.
    pub fn signing_name(self) -> &'static str {
        match self {
            Self::Proton | Self::Baryon => baryon_model::proton::SIGNING_NAME,
            Self::ServiceCatalog => baryon_model::servicecatalog::SIGNING_NAME,
        }
    }

    /// The request content type (`application/x-amz-json-1.0` or `-1.1`).
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Proton | Self::Baryon => "application/x-amz-json-1.0",
            Self::ServiceCatalog => "application/x-amz-json-1.1",
        }
    }

    /// The operation's name as the model spells it, when it is one of this service's.
    pub fn operation(self, name: &str) -> Option<&'static str> {
        match self {
            Self::Proton => baryon_model::proton::Operation::from_name(name)
                .map(baryon_model::proton::Operation::name),
            Self::ServiceCatalog => baryon_model::servicecatalog::Operation::from_name(name)
                .map(baryon_model::servicecatalog::Operation::name),
            Self::Baryon => baryon_model::extensions::Operation::from_name(name)
                .map(baryon_model::extensions::Operation::name),
        }
    }
}

/// A parsed, fixed upstream endpoint.
#[derive(Debug, Clone)]
pub struct Upstream {
    uri: Uri,
    authority: Authority,
}

impl Upstream {
    /// Parses `https://host[:port][/path]` or `http://…`. Refused: other schemes, user info,
    /// query, fragment.
    pub fn parse(url: &str) -> Result<Self, ProxyError> {
        let invalid = |reason: &str| ProxyError::InvalidUpstream {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        let scheme = match uri.scheme_str() {
            Some("http") => "http",
            Some("https") => "https",
            _ => return Err(invalid("the scheme must be https:// or http://")),
        };
        let authority = uri.authority().cloned().ok_or_else(|| invalid("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("user info is not allowed in the upstream URL"));
        }
        if authority.host().is_empty() {
            return Err(invalid("no host"));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(invalid(
                "the upstream URL must not have a query or fragment",
            ));
        }
        let path = if uri.path().is_empty() {
            "/"
        } else {
            uri.path()
        };
        let uri = Uri::builder()
            .scheme(scheme)
            .authority(authority.clone())
            .path_and_query(PathAndQuery::try_from(path).map_err(|_| invalid("invalid path"))?)
            .build()
            .map_err(|_| invalid("not a URL"))?;
        Ok(Self { uri, authority })
    }

    /// The URI every request is sent to.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// `host[:port]`.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }
}

/// The signed awsJson request for one operation: `POST` to the upstream with `host`,
/// `content-type` and `x-amz-target` signed for the service's signing name.
pub fn signed_request(
    upstream: &Upstream,
    region: &str,
    credentials: &ProxyCredentials,
    service: Service,
    operation: &str,
    body: Bytes,
    time: SystemTime,
) -> Result<http::Request<Bytes>, ProxyError> {
    let target = format!("{}.{operation}", service.target_prefix());
    let fields = [
        ("host", upstream.authority.as_str()),
        ("content-type", service.content_type()),
        ("x-amz-target", target.as_str()),
    ];
    sign_request(
        &Signing {
            method: http::Method::POST,
            uri: upstream.uri.to_string(),
            fields: &fields,
            region,
            service: service.signing_name(),
            settings: SigningSettings::default(),
            time,
        },
        credentials,
        body,
    )
}

/// What [`sign_request`] signs.
pub struct Signing<'a> {
    /// The method.
    pub method: http::Method,
    /// The full URI.
    pub uri: String,
    /// The headers sent and signed.
    pub fields: &'a [(&'a str, &'a str)],
    /// The region signed for.
    pub region: &'a str,
    /// The signing name (`proton`, `servicecatalog`, `s3`).
    pub service: &'a str,
    /// Encoding and payload settings (S3 differs from the JSON services).
    pub settings: SigningSettings,
    /// The signing time.
    pub time: SystemTime,
}

/// A request signed by the `aws-sigv4` crate (no hand-written signing).
pub fn sign_request(
    signing: &Signing<'_>,
    credentials: &ProxyCredentials,
    body: Bytes,
) -> Result<http::Request<Bytes>, ProxyError> {
    let internal = |what: &str| ProxyError::Internal(format!("could not sign the request: {what}"));
    let signable = SignableRequest::new(
        signing.method.as_str(),
        signing.uri.as_str(),
        signing.fields.iter().copied(),
        SignableBody::Bytes(&body),
    )
    .map_err(|_| internal("unsignable request"))?;
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
        None,
        "baryon-proxy",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(signing.region)
        .name(signing.service)
        .time(signing.time)
        .settings(signing.settings.clone())
        .build()
        .map_err(|_| internal("incomplete signing parameters"))?
        .into();
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|_| internal("signing failed"))?
        .into_parts();
    let mut builder = http::Request::builder()
        .method(signing.method.clone())
        .uri(signing.uri.as_str());
    for (name, value) in signing.fields {
        builder = builder.header(*name, *value);
    }
    let mut request = builder
        .body(body)
        .map_err(|_| internal("invalid header value"))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_upstream_gets_a_root_path() {
        let u = Upstream::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(u.uri().to_string(), "http://127.0.0.1:8080/");
        let u = Upstream::parse("http://engine.internal/prefix/").unwrap();
        assert_eq!(u.uri().to_string(), "http://engine.internal/prefix/");
    }

    #[test]
    fn an_https_upstream_keeps_its_scheme() {
        let u = Upstream::parse("https://proton.us-east-1.amazonaws.com").unwrap();
        assert_eq!(
            u.uri().to_string(),
            "https://proton.us-east-1.amazonaws.com/"
        );
    }

    #[test]
    fn odd_upstreams_are_refused() {
        for url in [
            "ftp://x",
            "127.0.0.1:8080",
            "http://user:pw@host/",
            "http://host/?a=b",
            "http://host/#f",
            "",
        ] {
            assert!(Upstream::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn operations_are_checked_against_the_model_of_their_service() {
        assert_eq!(
            Service::Proton.operation("ListEnvironmentTemplates"),
            Some("ListEnvironmentTemplates")
        );
        assert_eq!(Service::Proton.operation("DescribeProduct"), None);
        assert_eq!(
            Service::ServiceCatalog.operation("DescribeProduct"),
            Some("DescribeProduct")
        );
        assert_eq!(Service::Proton.operation("../x"), None);
        assert_eq!(
            Service::Baryon.operation("GetRenderInputs"),
            Some("GetRenderInputs")
        );
        assert_eq!(Service::Baryon.operation("ListServices"), None);
    }

    #[test]
    fn a_signed_request_carries_the_awsjson_headers_and_a_sigv4_authorization() {
        let u = Upstream::parse("http://127.0.0.1:9/").unwrap();
        let creds = ProxyCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("session".into()),
        };
        let time = baryon_engine::sigv4::parse_amz_date("20150830T123600Z").unwrap();
        let r = signed_request(
            &u,
            "eu-west-1",
            &creds,
            Service::ServiceCatalog,
            "DescribeProduct",
            Bytes::from_static(b"{}"),
            time,
        )
        .unwrap();
        let h = r.headers();
        assert_eq!(h["host"], "127.0.0.1:9");
        assert_eq!(h["content-type"], "application/x-amz-json-1.1");
        assert_eq!(
            h["x-amz-target"],
            "AWS242ServiceCatalogService.DescribeProduct"
        );
        assert_eq!(h["x-amz-date"], "20150830T123600Z");
        assert_eq!(h["x-amz-security-token"], "session");
        let auth = h["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/servicecatalog/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature="
            ),
            "{auth}"
        );
        assert!(!auth.contains("wJalr"));
    }
}
