//! Environment account connections between the accounts this engine serves:
//! CreateEnvironmentAccountConnection, UpdateEnvironmentAccountConnection and
//! DeleteEnvironmentAccountConnection (in the environment account),
//! AcceptEnvironmentAccountConnection and RejectEnvironmentAccountConnection (in the management
//! account), GetEnvironmentAccountConnection and ListEnvironmentAccountConnections (either).
//!
//! The caller's account is the one its access key belongs to (`baryon serve
//! --environment-account ID` adds accounts). A connection is a row of the environment account
//! (its ARN names that account) whose parent is the management account, so the management
//! account lists its connections through a cross-account index. A connection is `PENDING` until
//! the management account accepts (`CONNECTED`) or rejects (`REJECTED`) it; a rejected
//! connection can't be used or accepted again; a connection an environment uses can't be
//! rejected. CreateEnvironment in the management account with `environmentAccountConnectionId`
//! deploys into the environment account.

use baryon_model::proton::{
    AcceptEnvironmentAccountConnectionInput, AcceptEnvironmentAccountConnectionOutput,
    CreateEnvironmentAccountConnectionInput, CreateEnvironmentAccountConnectionOutput,
    DeleteEnvironmentAccountConnectionInput, DeleteEnvironmentAccountConnectionOutput, Environment,
    EnvironmentAccountConnection, EnvironmentAccountConnectionRequesterAccountType as Requester,
    EnvironmentAccountConnectionStatus as Status, EnvironmentAccountConnectionSummary,
    GetEnvironmentAccountConnectionInput, GetEnvironmentAccountConnectionOutput,
    ListEnvironmentAccountConnectionsInput, ListEnvironmentAccountConnectionsOutput,
    RejectEnvironmentAccountConnectionInput, RejectEnvironmentAccountConnectionOutput,
    UpdateEnvironmentAccountConnectionInput, UpdateEnvironmentAccountConnectionOutput,
};

use super::template_version::CLIENT_TOKEN_TTL_MILLIS;
use super::{Rows, filtered_page, request_hash};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind, Page};

const TOKEN_SCOPE: &str = "CreateEnvironmentAccountConnection";

fn not_found(id: &str) -> ApiError {
    ApiError::ResourceNotFound(format!(
        "The environment account connection {id} was not found."
    ))
}

/// A connection as the caller may see it (it is the management or the environment account),
/// with the account that holds its row and the row version.
async fn load(cx: &Cx, id: &str) -> Result<(EnvironmentAccountConnection, String, i64), ApiError> {
    let (owner, row) = cx
        .store
        .get_any_account::<EnvironmentAccountConnection>(Kind::EnvironmentAccountConnection, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let me = &cx.config.account_id;
    if row.doc.management_account_id != *me && row.doc.environment_account_id != *me {
        return Err(not_found(id));
    }
    Ok((row.doc, owner, row.version))
}

/// Saves a connection in the account that holds it.
async fn save(
    cx: &Cx,
    c: &EnvironmentAccountConnection,
    owner: &str,
    version: i64,
) -> Result<(), ApiError> {
    let cols = Columns {
        name: &c.id,
        parent: &c.management_account_id,
        status: c.status.as_str(),
        arn: &c.arn,
    };
    if cx
        .store
        .for_account(owner)
        .update(Kind::EnvironmentAccountConnection, &cols, version, c)
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "The environment account connection {} was changed concurrently; retry.",
            c.id
        )))
    }
}

fn only(cx: &Cx, account: &str, role: &str, id: &str) -> Result<(), ApiError> {
    if cx.config.account_id == account {
        Ok(())
    } else {
        Err(ApiError::AccessDenied(format!(
            "Only the {role} account {account} can do this to environment account connection {id}."
        )))
    }
}

/// Whether an environment of the management account uses the connection.
async fn in_use(cx: &Cx, c: &EnvironmentAccountConnection) -> Result<Option<String>, ApiError> {
    let store = cx.store.for_account(&c.management_account_id);
    let mut after: Option<String> = None;
    loop {
        let page: Page<Environment> = store
            .list(Kind::Environment, None, after.as_deref(), 500)
            .await?;
        if let Some(e) = page
            .items
            .iter()
            .find(|e| e.environment_account_connection_id.as_deref() == Some(c.id.as_str()))
        {
            return Ok(Some(e.name.clone()));
        }
        match page.next_after {
            Some(a) => after = Some(a),
            None => return Ok(None),
        }
    }
}

/// CreateEnvironmentAccountConnection, in the environment account (idempotent with a client
/// token).
pub async fn create(
    cx: &Cx,
    input: CreateEnvironmentAccountConnectionInput,
) -> Result<CreateEnvironmentAccountConnectionOutput, ApiError> {
    let me = cx.config.account_id.clone();
    let management = input.management_account_id.clone();
    if management == me {
        return Err(ApiError::Validation(format!(
            "Account {me} can't connect to itself; the management account must be another account."
        )));
    }
    if !cx.config.accounts.contains(&management) {
        return Err(ApiError::Validation(format!(
            "The management account {management} is not an account this Baryon engine serves."
        )));
    }
    let Some(role_arn) = input.role_arn.clone() else {
        return Err(ApiError::Validation(
            "roleArn is required: it is the role the management account provisions the environment with in this account.".into(),
        ));
    };
    let hash = request_hash(&input);
    let now = cx.clock.now();
    if let Some(token) = &input.client_token
        && let Some((stored, id)) = cx
            .store
            .client_token(
                TOKEN_SCOPE,
                token,
                now.as_millis() - CLIENT_TOKEN_TTL_MILLIS,
            )
            .await?
    {
        if stored != hash {
            return Err(ApiError::Validation(format!(
                "IdempotentParameterMismatch: the client token {token} was used with different parameters."
            )));
        }
        if let Some(row) = cx
            .store
            .get::<EnvironmentAccountConnection>(Kind::EnvironmentAccountConnection, &id)
            .await?
        {
            return Ok(CreateEnvironmentAccountConnectionOutput {
                environment_account_connection: row.doc,
            });
        }
    }
    let mut after: Option<String> = None;
    loop {
        let page = cx
            .store
            .list::<EnvironmentAccountConnection>(
                Kind::EnvironmentAccountConnection,
                Some(&management),
                after.as_deref(),
                500,
            )
            .await?;
        if let Some(c) = page
            .items
            .iter()
            .find(|c| c.environment_name == input.environment_name && c.status != Status::Rejected)
        {
            return Err(ApiError::Conflict(format!(
                "The environment account connection {} already connects environment {} of account {management} to this account ({}).",
                c.id, c.environment_name, c.status
            )));
        }
        match page.next_after {
            Some(a) => after = Some(a),
            None => break,
        }
    }
    let id = cx.ids.uuid();
    let arn = cx.arn(&format!("environment-account-connection/{id}"));
    let c = EnvironmentAccountConnection {
        arn: arn.clone(),
        codebuild_role_arn: input.codebuild_role_arn.clone(),
        component_role_arn: input.component_role_arn.clone(),
        environment_account_id: me,
        environment_name: input.environment_name.clone(),
        id: id.clone(),
        last_modified_at: now,
        management_account_id: management.clone(),
        requested_at: now,
        role_arn,
        status: Status::Pending,
    };
    let cols = Columns {
        name: &id,
        parent: &management,
        status: c.status.as_str(),
        arn: &arn,
    };
    let token = input
        .client_token
        .as_deref()
        .map(|t| (TOKEN_SCOPE, t, hash.as_str()));
    if !cx
        .store
        .insert_with_token(Kind::EnvironmentAccountConnection, &cols, &c, token)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "An environment account connection with id {id} exists; retry."
        )));
    }
    super::tags::store_initial(cx, &arn, input.tags.as_deref()).await?;
    Ok(CreateEnvironmentAccountConnectionOutput {
        environment_account_connection: c,
    })
}

/// GetEnvironmentAccountConnection (from either account of the connection).
pub async fn get(
    cx: &Cx,
    input: GetEnvironmentAccountConnectionInput,
) -> Result<GetEnvironmentAccountConnectionOutput, ApiError> {
    Ok(GetEnvironmentAccountConnectionOutput {
        environment_account_connection: load(cx, &input.id).await?.0,
    })
}

/// ListEnvironmentAccountConnections: those the caller manages (`MANAGEMENT_ACCOUNT`) or
/// requested (`ENVIRONMENT_ACCOUNT`), optionally of one environment name and some statuses.
pub async fn list(
    cx: &Cx,
    input: ListEnvironmentAccountConnectionsInput,
) -> Result<ListEnvironmentAccountConnectionsOutput, ApiError> {
    let me = cx.config.account_id.clone();
    let statuses = input.statuses.clone().unwrap_or_default();
    let keep = |c: &EnvironmentAccountConnection| {
        input
            .environment_name
            .as_ref()
            .is_none_or(|n| c.environment_name == *n)
            && (statuses.is_empty() || statuses.contains(&c.status))
    };
    let scope = format!(
        "ListEnvironmentAccountConnections:{}:{}:{}",
        input.requested_by,
        input.environment_name.as_deref().unwrap_or(""),
        statuses
            .iter()
            .map(Status::as_str)
            .collect::<Vec<_>>()
            .join(",")
    );
    let (connections, next_token) = match &input.requested_by {
        Requester::EnvironmentAccount => {
            filtered_page::<EnvironmentAccountConnection, EnvironmentAccountConnectionSummary>(
                cx,
                Rows::Under(Kind::EnvironmentAccountConnection, None),
                &scope,
                input.next_token.as_deref(),
                input.max_results,
                |c| c.id.clone(),
                keep,
            )
            .await?
        }
        Requester::ManagementAccount => {
            filtered_page::<EnvironmentAccountConnection, EnvironmentAccountConnectionSummary>(
                cx,
                Rows::UnderAnyAccount(Kind::EnvironmentAccountConnection, &me),
                &scope,
                input.next_token.as_deref(),
                input.max_results,
                |c| c.id.clone(),
                keep,
            )
            .await?
        }
        Requester::Unknown(s) => {
            return Err(ApiError::Validation(format!("Unknown requestedBy {s}.")));
        }
    };
    Ok(ListEnvironmentAccountConnectionsOutput {
        environment_account_connections: connections,
        next_token,
    })
}

/// AcceptEnvironmentAccountConnection, in the management account: `PENDING` → `CONNECTED`
/// (accepting a connected one again changes nothing).
pub async fn accept(
    cx: &Cx,
    input: AcceptEnvironmentAccountConnectionInput,
) -> Result<AcceptEnvironmentAccountConnectionOutput, ApiError> {
    let (mut c, owner, version) = load(cx, &input.id).await?;
    only(cx, &c.management_account_id, "management", &c.id)?;
    match c.status {
        Status::Pending => {
            c.status = Status::Connected;
            c.last_modified_at = cx.clock.now();
            save(cx, &c, &owner, version).await?;
        }
        Status::Connected => {}
        _ => {
            return Err(ApiError::Conflict(format!(
                "The environment account connection {} is {}; only a PENDING connection can be accepted.",
                c.id, c.status
            )));
        }
    }
    Ok(AcceptEnvironmentAccountConnectionOutput {
        environment_account_connection: c,
    })
}

/// RejectEnvironmentAccountConnection, in the management account: a connection no
/// environment uses becomes `REJECTED` for good.
pub async fn reject(
    cx: &Cx,
    input: RejectEnvironmentAccountConnectionInput,
) -> Result<RejectEnvironmentAccountConnectionOutput, ApiError> {
    let (mut c, owner, version) = load(cx, &input.id).await?;
    only(cx, &c.management_account_id, "management", &c.id)?;
    if c.status != Status::Rejected {
        if let Some(env) = in_use(cx, &c).await? {
            return Err(ApiError::Conflict(format!(
                "The environment account connection {} is used by environment {env}; it can't be rejected.",
                c.id
            )));
        }
        c.status = Status::Rejected;
        c.last_modified_at = cx.clock.now();
        save(cx, &c, &owner, version).await?;
    }
    Ok(RejectEnvironmentAccountConnectionOutput {
        environment_account_connection: c,
    })
}

/// UpdateEnvironmentAccountConnection, in the environment account: the roles.
pub async fn update(
    cx: &Cx,
    input: UpdateEnvironmentAccountConnectionInput,
) -> Result<UpdateEnvironmentAccountConnectionOutput, ApiError> {
    let (mut c, owner, version) = load(cx, &input.id).await?;
    only(cx, &c.environment_account_id, "environment", &c.id)?;
    if c.status == Status::Rejected {
        return Err(ApiError::Conflict(format!(
            "The environment account connection {} was rejected; it can't be updated.",
            c.id
        )));
    }
    if let Some(r) = input.role_arn {
        c.role_arn = r;
    }
    if input.codebuild_role_arn.is_some() {
        c.codebuild_role_arn = input.codebuild_role_arn;
    }
    if input.component_role_arn.is_some() {
        c.component_role_arn = input.component_role_arn;
    }
    c.last_modified_at = cx.clock.now();
    save(cx, &c, &owner, version).await?;
    Ok(UpdateEnvironmentAccountConnectionOutput {
        environment_account_connection: c,
    })
}

/// DeleteEnvironmentAccountConnection, in the environment account. As documented, deleting a
/// connection an environment uses is allowed: the management account can't manage that
/// environment's infrastructure until a new connection is accepted.
pub async fn delete(
    cx: &Cx,
    input: DeleteEnvironmentAccountConnectionInput,
) -> Result<DeleteEnvironmentAccountConnectionOutput, ApiError> {
    let (c, owner, _) = load(cx, &input.id).await?;
    only(cx, &c.environment_account_id, "environment", &c.id)?;
    cx.store
        .for_account(&owner)
        .delete(Kind::EnvironmentAccountConnection, &c.id, &c.arn, "")
        .await?;
    Ok(DeleteEnvironmentAccountConnectionOutput {
        environment_account_connection: Some(c),
    })
}

/// The connection CreateEnvironment / UpdateEnvironment in the management account names:
/// it must be this account's, `CONNECTED`, and for this environment name. Returns the
/// environment account it deploys into.
pub async fn for_environment(cx: &Cx, id: &str, environment: &str) -> Result<String, ApiError> {
    let (c, _, _) = load(cx, id).await?;
    if c.management_account_id != cx.config.account_id {
        return Err(ApiError::Validation(format!(
            "The environment account connection {id} is not managed by account {}.",
            cx.config.account_id
        )));
    }
    if c.status != Status::Connected {
        return Err(ApiError::Validation(format!(
            "The environment account connection {id} is {}, not CONNECTED.",
            c.status
        )));
    }
    if c.environment_name != environment {
        return Err(ApiError::Validation(format!(
            "The environment account connection {id} is for environment {}, not {environment}.",
            c.environment_name
        )));
    }
    Ok(c.environment_account_id)
}
