//! An awsJson request as `POST /` receives it: `X-Amz-Target` (the input's first line) and the
//! body (the rest), through the engine's own framing (`protocol::api_operation`,
//! `protocol::body`) and the model's validation, then the typed decode the handlers do for the
//! operations below. Bad input must be an error, never a panic; and what validation accepts, the
//! typed decode must accept too (else a valid-looking request would fail late).
#![no_main]

use baryon_engine::protocol::{self, Api};
use baryon_model::shape::OperationShape;
use baryon_model::validate::validate_input;
use baryon_model::{proton, servicecatalog};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn decodes<O: OperationShape>(body: &Value) -> bool {
    serde_json::from_value::<O::Input>(body.clone()).is_ok()
}

/// The typed decode of the operations the soak and the conformance suite lean on most.
fn typed_decode(api: Api, body: &Value) -> Option<bool> {
    use proton::ops as p;
    use servicecatalog::ops as sc;
    Some(match api {
        Api::Proton(op) => match op {
            proton::Operation::CreateEnvironment => decodes::<p::CreateEnvironment>(body),
            proton::Operation::UpdateEnvironment => decodes::<p::UpdateEnvironment>(body),
            proton::Operation::CreateService => decodes::<p::CreateService>(body),
            proton::Operation::UpdateService => decodes::<p::UpdateService>(body),
            proton::Operation::CreateServiceInstance => decodes::<p::CreateServiceInstance>(body),
            proton::Operation::CreateEnvironmentTemplate => {
                decodes::<p::CreateEnvironmentTemplate>(body)
            }
            proton::Operation::UpdateEnvironmentTemplate => {
                decodes::<p::UpdateEnvironmentTemplate>(body)
            }
            proton::Operation::CreateEnvironmentTemplateVersion => {
                decodes::<p::CreateEnvironmentTemplateVersion>(body)
            }
            proton::Operation::CreateServiceTemplateVersion => {
                decodes::<p::CreateServiceTemplateVersion>(body)
            }
            proton::Operation::ListEnvironments => decodes::<p::ListEnvironments>(body),
            proton::Operation::ListDeployments => decodes::<p::ListDeployments>(body),
            proton::Operation::NotifyResourceDeploymentStatusChange => {
                decodes::<p::NotifyResourceDeploymentStatusChange>(body)
            }
            proton::Operation::TagResource => decodes::<p::TagResource>(body),
            proton::Operation::CreateComponent => decodes::<p::CreateComponent>(body),
            _ => return None,
        },
        Api::ServiceCatalog(op) => match op {
            servicecatalog::Operation::CreateProduct => decodes::<sc::CreateProduct>(body),
            servicecatalog::Operation::ProvisionProduct => decodes::<sc::ProvisionProduct>(body),
            servicecatalog::Operation::UpdateProvisionedProduct => {
                decodes::<sc::UpdateProvisionedProduct>(body)
            }
            servicecatalog::Operation::SearchProvisionedProducts => {
                decodes::<sc::SearchProvisionedProducts>(body)
            }
            servicecatalog::Operation::DescribeProduct => decodes::<sc::DescribeProduct>(body),
            _ => return None,
        },
    })
}

fuzz_target!(|data: &[u8]| {
    let (target, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(target) = HeaderValue::from_bytes(target) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-target", target);
    let content_type = if protocol::is_service_catalog(&headers) {
        protocol::CONTENT_TYPE_1_1
    } else {
        protocol::CONTENT_TYPE
    };
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    let _ = protocol::signing_name(&headers);
    let Ok(api) = protocol::api_operation(&headers) else {
        return;
    };
    let Ok(body) = protocol::body(body) else {
        return;
    };
    let (service, name) = match api {
        Api::Proton(op) => (&proton::SERVICE, op.name()),
        Api::ServiceCatalog(op) => (&servicecatalog::SERVICE, op.name()),
    };
    let validated = validate_input(service, name, &body);
    if let Err(errors) = &validated {
        // The message a client gets is built without panicking.
        let _ = errors.to_string();
        return;
    }
    if let Some(decoded) = typed_decode(api, &body) {
        assert!(
            decoded,
            "{name}: validation accepted a body the typed decode refuses: {body}"
        );
    }
});
