//! Environment templates: CreateEnvironmentTemplate, GetEnvironmentTemplate,
//! ListEnvironmentTemplates, UpdateEnvironmentTemplate, DeleteEnvironmentTemplate.

use baryon_model::proton::{
    CreateEnvironmentTemplateInput, CreateEnvironmentTemplateOutput,
    DeleteEnvironmentTemplateInput, DeleteEnvironmentTemplateOutput, EnvironmentTemplate,
    GetEnvironmentTemplateInput, GetEnvironmentTemplateOutput, ListEnvironmentTemplatesInput,
    ListEnvironmentTemplatesOutput, UpdateEnvironmentTemplateInput,
    UpdateEnvironmentTemplateOutput,
};

use super::{Created, idempotent_create, list_page};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

const WHAT: &str = "environment template";

/// The ARN of an environment template.
pub fn arn(cx: &Cx, name: &str) -> String {
    cx.arn(&format!("environment-template/{name}"))
}

/// CreateEnvironmentTemplate (idempotent create).
pub async fn create(
    cx: &Cx,
    input: CreateEnvironmentTemplateInput,
) -> Result<CreateEnvironmentTemplateOutput, ApiError> {
    let now = cx.clock.now();
    let arn = arn(cx, &input.name);
    let doc = EnvironmentTemplate {
        arn: arn.clone(),
        created_at: now,
        description: input.description.clone(),
        display_name: input.display_name.clone(),
        encryption_key: input.encryption_key.clone(),
        last_modified_at: now,
        name: input.name.clone(),
        provisioning: input.provisioning.clone(),
        recommended_version: None,
    };
    let cols = Columns {
        name: &input.name,
        parent: "",
        status: "",
        arn: &arn,
    };
    let environment_template = match idempotent_create(
        cx,
        Kind::EnvironmentTemplate,
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
    Ok(CreateEnvironmentTemplateOutput {
        environment_template,
    })
}

/// GetEnvironmentTemplate.
pub async fn get(
    cx: &Cx,
    input: GetEnvironmentTemplateInput,
) -> Result<GetEnvironmentTemplateOutput, ApiError> {
    let (environment_template, _) = tv::load_template(cx, Family::Environment, &input.name).await?;
    Ok(GetEnvironmentTemplateOutput {
        environment_template,
    })
}

/// ListEnvironmentTemplates.
pub async fn list(
    cx: &Cx,
    input: ListEnvironmentTemplatesInput,
) -> Result<ListEnvironmentTemplatesOutput, ApiError> {
    let (templates, next_token) = list_page::<EnvironmentTemplate, _>(
        cx,
        Kind::EnvironmentTemplate,
        None,
        "ListEnvironmentTemplates",
        input.next_token.as_deref(),
        input.max_results,
    )
    .await?;
    Ok(ListEnvironmentTemplatesOutput {
        next_token,
        templates,
    })
}

/// UpdateEnvironmentTemplate: display name and description.
pub async fn update(
    cx: &Cx,
    input: UpdateEnvironmentTemplateInput,
) -> Result<UpdateEnvironmentTemplateOutput, ApiError> {
    let environment_template = tv::update_template(
        cx,
        Family::Environment,
        &input.name,
        input.display_name,
        input.description,
    )
    .await?;
    Ok(UpdateEnvironmentTemplateOutput {
        environment_template,
    })
}

/// DeleteEnvironmentTemplate (idempotent delete): refused while versions exist.
pub async fn delete(
    cx: &Cx,
    input: DeleteEnvironmentTemplateInput,
) -> Result<DeleteEnvironmentTemplateOutput, ApiError> {
    let environment_template = tv::delete_template(cx, Family::Environment, &input.name).await?;
    Ok(DeleteEnvironmentTemplateOutput {
        environment_template,
    })
}

// --- versions -------------------------------------------------------------------------------

use baryon_model::proton::{
    CreateEnvironmentTemplateVersionInput, CreateEnvironmentTemplateVersionOutput,
    DeleteEnvironmentTemplateVersionInput, DeleteEnvironmentTemplateVersionOutput,
    GetEnvironmentTemplateVersionInput, GetEnvironmentTemplateVersionOutput,
    ListEnvironmentTemplateVersionsInput, ListEnvironmentTemplateVersionsOutput,
    UpdateEnvironmentTemplateVersionInput, UpdateEnvironmentTemplateVersionOutput,
};

use super::template_version::{self as tv, Family, NewVersion, VersionChanges, convert};

/// CreateEnvironmentTemplateVersion (client-token idempotent; registration is asynchronous).
pub async fn create_version(
    cx: &Cx,
    input: CreateEnvironmentTemplateVersionInput,
) -> Result<CreateEnvironmentTemplateVersionOutput, ApiError> {
    let req = NewVersion {
        template_name: input.template_name,
        major_version: input.major_version,
        description: input.description,
        source: input.source,
        compatible_environment_templates: Vec::new(),
        supported_component_sources: None,
        tags: input.tags,
        client_token: input.client_token,
    };
    let v = tv::create(cx, Family::Environment, req).await?;
    Ok(CreateEnvironmentTemplateVersionOutput {
        environment_template_version: convert(&v)?,
    })
}

/// GetEnvironmentTemplateVersion.
pub async fn get_version(
    cx: &Cx,
    input: GetEnvironmentTemplateVersionInput,
) -> Result<GetEnvironmentTemplateVersionOutput, ApiError> {
    let (v, _) = tv::load(
        cx,
        Family::Environment,
        &input.template_name,
        &input.major_version,
        &input.minor_version,
    )
    .await?;
    Ok(GetEnvironmentTemplateVersionOutput {
        environment_template_version: convert(&v)?,
    })
}

/// ListEnvironmentTemplateVersions.
pub async fn list_versions(
    cx: &Cx,
    input: ListEnvironmentTemplateVersionsInput,
) -> Result<ListEnvironmentTemplateVersionsOutput, ApiError> {
    let (items, next_token) = tv::list(
        cx,
        Family::Environment,
        &input.template_name,
        input.major_version.as_deref(),
        input.max_results,
        input.next_token.as_deref(),
    )
    .await?;
    Ok(ListEnvironmentTemplateVersionsOutput {
        next_token,
        template_versions: items.iter().map(convert).collect::<Result<_, _>>()?,
    })
}

/// UpdateEnvironmentTemplateVersion: description, and DRAFT → PUBLISHED.
pub async fn update_version(
    cx: &Cx,
    input: UpdateEnvironmentTemplateVersionInput,
) -> Result<UpdateEnvironmentTemplateVersionOutput, ApiError> {
    let changes = VersionChanges {
        description: input.description,
        status: input.status,
        ..VersionChanges::default()
    };
    let v = tv::update(
        cx,
        Family::Environment,
        &input.template_name,
        &input.major_version,
        &input.minor_version,
        changes,
    )
    .await?;
    Ok(UpdateEnvironmentTemplateVersionOutput {
        environment_template_version: convert(&v)?,
    })
}

/// DeleteEnvironmentTemplateVersion (idempotent delete).
pub async fn delete_version(
    cx: &Cx,
    input: DeleteEnvironmentTemplateVersionInput,
) -> Result<DeleteEnvironmentTemplateVersionOutput, ApiError> {
    let v = tv::delete(
        cx,
        Family::Environment,
        &input.template_name,
        &input.major_version,
        &input.minor_version,
    )
    .await?;
    Ok(DeleteEnvironmentTemplateVersionOutput {
        environment_template_version: v.as_ref().map(convert).transpose()?,
    })
}
