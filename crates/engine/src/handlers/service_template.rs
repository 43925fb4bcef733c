//! Service templates: CreateServiceTemplate, GetServiceTemplate,
//! ListServiceTemplates, UpdateServiceTemplate, DeleteServiceTemplate.

use baryon_model::proton::{
    CreateServiceTemplateInput, CreateServiceTemplateOutput, DeleteServiceTemplateInput,
    DeleteServiceTemplateOutput, GetServiceTemplateInput, GetServiceTemplateOutput,
    ListServiceTemplatesInput, ListServiceTemplatesOutput, ServiceTemplate,
    UpdateServiceTemplateInput, UpdateServiceTemplateOutput,
};

use super::{Created, idempotent_create, list_page};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

const WHAT: &str = "service template";

/// The ARN of an service template.
pub fn arn(cx: &Cx, name: &str) -> String {
    cx.arn(&format!("service-template/{name}"))
}

/// CreateServiceTemplate (idempotent create).
pub async fn create(
    cx: &Cx,
    input: CreateServiceTemplateInput,
) -> Result<CreateServiceTemplateOutput, ApiError> {
    let now = cx.clock.now();
    let arn = arn(cx, &input.name);
    let doc = ServiceTemplate {
        arn: arn.clone(),
        created_at: now,
        description: input.description.clone(),
        display_name: input.display_name.clone(),
        encryption_key: input.encryption_key.clone(),
        last_modified_at: now,
        name: input.name.clone(),
        pipeline_provisioning: input.pipeline_provisioning.clone(),
        recommended_version: None,
    };
    let cols = Columns {
        name: &input.name,
        parent: "",
        status: "",
        arn: &arn,
    };
    let service_template = match idempotent_create(
        cx,
        Kind::ServiceTemplate,
        WHAT,
        &cols,
        &input,
        &doc,
        None,
    )
    .await?
    {
        Created::New => {
            super::tags::store_initial(cx, &arn, input.tags.as_deref()).await?;
            doc
        }
        Created::Existing(existing) => existing,
    };
    Ok(CreateServiceTemplateOutput { service_template })
}

/// GetServiceTemplate.
pub async fn get(
    cx: &Cx,
    input: GetServiceTemplateInput,
) -> Result<GetServiceTemplateOutput, ApiError> {
    let (service_template, _) = tv::load_template(cx, Family::Service, &input.name).await?;
    Ok(GetServiceTemplateOutput { service_template })
}

/// ListServiceTemplates.
pub async fn list(
    cx: &Cx,
    input: ListServiceTemplatesInput,
) -> Result<ListServiceTemplatesOutput, ApiError> {
    let (templates, next_token) = list_page::<ServiceTemplate, _>(
        cx,
        Kind::ServiceTemplate,
        None,
        "ListServiceTemplates",
        input.next_token.as_deref(),
        input.max_results,
    )
    .await?;
    Ok(ListServiceTemplatesOutput {
        next_token,
        templates,
    })
}

/// UpdateServiceTemplate: display name and description.
pub async fn update(
    cx: &Cx,
    input: UpdateServiceTemplateInput,
) -> Result<UpdateServiceTemplateOutput, ApiError> {
    let service_template = tv::update_template(
        cx,
        Family::Service,
        &input.name,
        input.display_name,
        input.description,
    )
    .await?;
    Ok(UpdateServiceTemplateOutput { service_template })
}

/// DeleteServiceTemplate (idempotent delete): refused while versions exist.
pub async fn delete(
    cx: &Cx,
    input: DeleteServiceTemplateInput,
) -> Result<DeleteServiceTemplateOutput, ApiError> {
    let service_template = tv::delete_template(cx, Family::Service, &input.name).await?;
    Ok(DeleteServiceTemplateOutput { service_template })
}

// --- versions -------------------------------------------------------------------------------

use baryon_model::proton::{
    CompatibleEnvironmentTemplate, CreateServiceTemplateVersionInput,
    CreateServiceTemplateVersionOutput, DeleteServiceTemplateVersionInput,
    DeleteServiceTemplateVersionOutput, GetServiceTemplateVersionInput,
    GetServiceTemplateVersionOutput, ListServiceTemplateVersionsInput,
    ListServiceTemplateVersionsOutput, UpdateServiceTemplateVersionInput,
    UpdateServiceTemplateVersionOutput,
};

use super::template_version::{self as tv, Family, NewVersion, VersionChanges, convert};

/// CreateServiceTemplateVersion (client-token idempotent; registration is asynchronous).
pub async fn create_version(
    cx: &Cx,
    input: CreateServiceTemplateVersionInput,
) -> Result<CreateServiceTemplateVersionOutput, ApiError> {
    let req = NewVersion {
        template_name: input.template_name,
        major_version: input.major_version,
        description: input.description,
        source: input.source,
        compatible_environment_templates: input
            .compatible_environment_templates
            .iter()
            .map(convert)
            .collect::<Result<Vec<CompatibleEnvironmentTemplate>, _>>()?,
        supported_component_sources: input.supported_component_sources,
        tags: input.tags,
        client_token: input.client_token,
    };
    let service_template_version = tv::create(cx, Family::Service, req).await?;
    Ok(CreateServiceTemplateVersionOutput {
        service_template_version,
    })
}

/// GetServiceTemplateVersion.
pub async fn get_version(
    cx: &Cx,
    input: GetServiceTemplateVersionInput,
) -> Result<GetServiceTemplateVersionOutput, ApiError> {
    let (service_template_version, _) = tv::load(
        cx,
        Family::Service,
        &input.template_name,
        &input.major_version,
        &input.minor_version,
    )
    .await?;
    Ok(GetServiceTemplateVersionOutput {
        service_template_version,
    })
}

/// ListServiceTemplateVersions.
pub async fn list_versions(
    cx: &Cx,
    input: ListServiceTemplateVersionsInput,
) -> Result<ListServiceTemplateVersionsOutput, ApiError> {
    let (items, next_token) = tv::list(
        cx,
        Family::Service,
        &input.template_name,
        input.major_version.as_deref(),
        input.max_results,
        input.next_token.as_deref(),
    )
    .await?;
    Ok(ListServiceTemplateVersionsOutput {
        next_token,
        template_versions: items.iter().map(convert).collect::<Result<_, _>>()?,
    })
}

/// UpdateServiceTemplateVersion: description, compatibility, component sources, DRAFT → PUBLISHED.
pub async fn update_version(
    cx: &Cx,
    input: UpdateServiceTemplateVersionInput,
) -> Result<UpdateServiceTemplateVersionOutput, ApiError> {
    let changes = VersionChanges {
        description: input.description,
        status: input.status,
        compatible_environment_templates: input
            .compatible_environment_templates
            .as_ref()
            .map(|c| {
                c.iter()
                    .map(convert)
                    .collect::<Result<Vec<CompatibleEnvironmentTemplate>, _>>()
            })
            .transpose()?,
        supported_component_sources: input.supported_component_sources,
    };
    let service_template_version = tv::update(
        cx,
        Family::Service,
        &input.template_name,
        &input.major_version,
        &input.minor_version,
        changes,
    )
    .await?;
    Ok(UpdateServiceTemplateVersionOutput {
        service_template_version,
    })
}

/// DeleteServiceTemplateVersion (idempotent delete).
pub async fn delete_version(
    cx: &Cx,
    input: DeleteServiceTemplateVersionInput,
) -> Result<DeleteServiceTemplateVersionOutput, ApiError> {
    let service_template_version = tv::delete(
        cx,
        Family::Service,
        &input.template_name,
        &input.major_version,
        &input.minor_version,
    )
    .await?;
    Ok(DeleteServiceTemplateVersionOutput {
        service_template_version,
    })
}
