//! Repositories linked to Proton: CreateRepository, GetRepository, ListRepositories,
//! DeleteRepository.

use baryon_model::proton::{
    CreateRepositoryInput, CreateRepositoryOutput, DeleteRepositoryInput, DeleteRepositoryOutput,
    GetRepositoryInput, GetRepositoryOutput, ListRepositoriesInput, ListRepositoriesOutput,
    Repository, RepositoryProvider,
};

use super::list_page;
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

fn key(provider: &RepositoryProvider, name: &str) -> String {
    format!("{}:{name}", provider.as_str())
}

/// `arn:aws:proton:<region>:<account>:repository/<provider>:<name>`, provider in lower case.
pub fn arn(cx: &Cx, provider: &RepositoryProvider, name: &str) -> String {
    cx.arn(&format!(
        "repository/{}:{name}",
        provider.as_str().to_ascii_lowercase()
    ))
}

fn not_found(provider: &RepositoryProvider, name: &str) -> ApiError {
    ApiError::ResourceNotFound(format!("The repository {name} ({provider}) was not found."))
}

/// CreateRepository.
pub async fn create(
    cx: &Cx,
    input: CreateRepositoryInput,
) -> Result<CreateRepositoryOutput, ApiError> {
    let arn = arn(cx, &input.provider, &input.name);
    let repository = Repository {
        arn: arn.clone(),
        connection_arn: input.connection_arn.clone(),
        encryption_key: input.encryption_key.clone(),
        name: input.name.clone(),
        provider: input.provider.clone(),
    };
    let k = key(&input.provider, &input.name);
    let cols = Columns {
        name: &k,
        parent: "",
        status: "",
        arn: &arn,
    };
    // The git side first: a repository is only linked once it exists.
    cx.repositories
        .create(&input.provider, &input.name)
        .await
        .map_err(|e| match e {
            crate::git::GitError::InvalidName(_) => ApiError::Validation(e.to_string()),
            other => ApiError::InternalServer(format!("could not create the repository: {other}")),
        })?;
    if !cx
        .store
        .insert(Kind::Repository, &cols, &repository)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "The repository {} ({}) is already linked.",
            input.name, input.provider
        )));
    }
    super::tags::store_initial(cx, &arn, input.tags.as_deref()).await?;
    Ok(CreateRepositoryOutput { repository })
}

/// GetRepository.
pub async fn get(cx: &Cx, input: GetRepositoryInput) -> Result<GetRepositoryOutput, ApiError> {
    let row = cx
        .store
        .get::<Repository>(Kind::Repository, &key(&input.provider, &input.name))
        .await?
        .ok_or_else(|| not_found(&input.provider, &input.name))?;
    Ok(GetRepositoryOutput {
        repository: row.doc,
    })
}

/// ListRepositories, by provider then name.
pub async fn list(
    cx: &Cx,
    input: ListRepositoriesInput,
) -> Result<ListRepositoriesOutput, ApiError> {
    let (repositories, next_token) = list_page::<Repository, _>(
        cx,
        Kind::Repository,
        None,
        "ListRepositories",
        input.next_token.as_deref(),
        input.max_results,
    )
    .await?;
    Ok(ListRepositoriesOutput {
        next_token,
        repositories,
    })
}

/// DeleteRepository (idempotent).
pub async fn delete(
    cx: &Cx,
    input: DeleteRepositoryInput,
) -> Result<DeleteRepositoryOutput, ApiError> {
    let k = key(&input.provider, &input.name);
    let Some(row) = cx.store.get::<Repository>(Kind::Repository, &k).await? else {
        return Ok(DeleteRepositoryOutput { repository: None });
    };
    if super::sync::repository_in_use(cx, &input.provider, &input.name).await? {
        return Err(ApiError::Conflict(format!(
            "The repository {} ({}) is used by a sync config; delete the sync config first.",
            input.name, input.provider
        )));
    }
    cx.store
        .delete(Kind::Repository, &k, &row.doc.arn, "")
        .await?;
    Ok(DeleteRepositoryOutput {
        repository: Some(row.doc),
    })
}
