//! Account settings: GetAccountSettings, UpdateAccountSettings (the pipeline role and the
//! provisioning repository used by self-managed pipelines).

use baryon_model::proton::{
    AccountSettings, GetAccountSettingsInput, GetAccountSettingsOutput, RepositoryBranch,
    UpdateAccountSettingsInput, UpdateAccountSettingsOutput,
};

use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

const NAME: &str = "settings";

async fn load(cx: &Cx) -> Result<(AccountSettings, Option<i64>), ApiError> {
    Ok(
        match cx
            .store
            .get::<AccountSettings>(Kind::AccountSettings, NAME)
            .await?
        {
            Some(row) => (row.doc, Some(row.version)),
            None => (AccountSettings::default(), None),
        },
    )
}

/// GetAccountSettings.
pub async fn get(
    cx: &Cx,
    _input: GetAccountSettingsInput,
) -> Result<GetAccountSettingsOutput, ApiError> {
    Ok(GetAccountSettingsOutput {
        account_settings: Some(load(cx).await?.0),
    })
}

/// UpdateAccountSettings: an empty string clears a role; `deletePipelineProvisioningRepository`
/// removes the repository.
pub async fn update(
    cx: &Cx,
    input: UpdateAccountSettingsInput,
) -> Result<UpdateAccountSettingsOutput, ApiError> {
    if input.delete_pipeline_provisioning_repository == Some(true)
        && input.pipeline_provisioning_repository.is_some()
    {
        return Err(ApiError::Validation(
            "Give either pipelineProvisioningRepository or deletePipelineProvisioningRepository, not both.".into(),
        ));
    }
    for _ in 0..10 {
        let (mut s, version) = load(cx).await?;
        if let Some(role) = &input.pipeline_service_role_arn {
            s.pipeline_service_role_arn = (!role.is_empty()).then(|| role.clone());
        }
        if let Some(role) = &input.pipeline_codebuild_role_arn {
            s.pipeline_codebuild_role_arn = (!role.is_empty()).then(|| role.clone());
        }
        if let Some(r) = &input.pipeline_provisioning_repository {
            s.pipeline_provisioning_repository = Some(RepositoryBranch {
                arn: super::repository::arn(cx, &r.provider, &r.name),
                branch: r.branch.clone(),
                name: r.name.clone(),
                provider: r.provider.clone(),
            });
        }
        if input.delete_pipeline_provisioning_repository == Some(true) {
            s.pipeline_provisioning_repository = None;
        }
        let arn = cx.arn("account-settings");
        let cols = Columns {
            name: NAME,
            parent: "",
            status: "",
            arn: &arn,
        };
        let written = match version {
            Some(v) => cx.store.update(Kind::AccountSettings, &cols, v, &s).await?,
            None => cx.store.insert(Kind::AccountSettings, &cols, &s).await?,
        };
        if written {
            return Ok(UpdateAccountSettingsOutput {
                account_settings: s,
            });
        }
    }
    Err(ApiError::Conflict(
        "The account settings kept changing; retry.".into(),
    ))
}
