//! Tags on every taggable resource: TagResource, UntagResource, ListTagsForResource.

use baryon_model::proton::{
    ListTagsForResourceInput, ListTagsForResourceOutput, Tag, TagResourceInput, TagResourceOutput,
    UntagResourceInput, UntagResourceOutput,
};

use super::page_size;
use crate::context::Cx;
use crate::error::ApiError;

/// Most tags a resource may carry (Proton's quota).
pub const MAX_TAGS: usize = 50;

async fn ensure_exists(cx: &Cx, arn: &str) -> Result<(), ApiError> {
    if cx.store.arn_exists(arn).await? {
        Ok(())
    } else {
        Err(ApiError::ResourceNotFound(format!(
            "The resource {arn} was not found."
        )))
    }
}

/// Stores the `tags` of a create request.
pub async fn store_initial(cx: &Cx, arn: &str, tags: Option<&[Tag]>) -> Result<(), ApiError> {
    let Some(tags) = tags.filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let pairs: Vec<(String, String)> = tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    cx.store.put_tags(arn, &pairs).await?;
    Ok(())
}

/// TagResource.
pub async fn tag(cx: &Cx, input: TagResourceInput) -> Result<TagResourceOutput, ApiError> {
    ensure_exists(cx, &input.resource_arn).await?;
    let existing = cx.store.tags(&input.resource_arn).await?;
    let mut keys: Vec<&str> = existing.iter().map(|(k, _)| k.as_str()).collect();
    for t in &input.tags {
        if !keys.contains(&t.key.as_str()) {
            keys.push(&t.key);
        }
    }
    if keys.len() > MAX_TAGS {
        return Err(ApiError::ServiceQuotaExceeded(format!(
            "A resource can have at most {MAX_TAGS} tags; this request would leave {}.",
            keys.len()
        )));
    }
    let pairs: Vec<(String, String)> = input
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    cx.store.put_tags(&input.resource_arn, &pairs).await?;
    Ok(TagResourceOutput {})
}

/// UntagResource.
pub async fn untag(cx: &Cx, input: UntagResourceInput) -> Result<UntagResourceOutput, ApiError> {
    ensure_exists(cx, &input.resource_arn).await?;
    cx.store
        .remove_tags(&input.resource_arn, &input.tag_keys)
        .await?;
    Ok(UntagResourceOutput {})
}

/// ListTagsForResource.
pub async fn list(
    cx: &Cx,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput, ApiError> {
    ensure_exists(cx, &input.resource_arn).await?;
    let scope = format!("ListTagsForResource:{}", input.resource_arn);
    let after = input
        .next_token
        .as_deref()
        .map(|t| cx.parse_next_token(&scope, t))
        .transpose()?;
    let all = cx.store.tags(&input.resource_arn).await?;
    let size = page_size(input.max_results);
    let rest: Vec<_> = all
        .into_iter()
        .filter(|(k, _)| after.as_deref().is_none_or(|a| k.as_str() > a))
        .collect();
    let more = rest.len() > size;
    let tags: Vec<Tag> = rest
        .into_iter()
        .take(size)
        .map(|(key, value)| Tag { key, value })
        .collect();
    let next_token = if more {
        tags.last().map(|t| cx.next_token(&scope, &t.key))
    } else {
        None
    };
    Ok(ListTagsForResourceOutput { next_token, tags })
}
