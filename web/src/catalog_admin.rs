//! Service Catalog administration: products (create with a first version uploaded as a
//! CloudFormation template, versions added, deactivated or deprecated, delete) and portfolios
//! (create, products added and removed, delete), which make products launchable.

use std::collections::BTreeMap;

use baryon_model::servicecatalog::{
    AssociateProductWithPortfolioInput, CreatePortfolioInput, CreateProductInput,
    CreateProvisioningArtifactInput, DeletePortfolioInput, DeleteProductInput,
    DescribePortfolioInput, DescribeProductAsAdminInput, DisassociateProductFromPortfolioInput,
    ListLaunchPathsInput, ListPortfoliosInput, ListProvisioningArtifactsInput, ProductType,
    ProvisioningArtifactDetail, ProvisioningArtifactGuidance, ProvisioningArtifactProperties,
    ProvisioningArtifactType, SearchProductsAsAdminInput, UpdateProvisioningArtifactInput, ops,
};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{ApiError, call, upload_bundle};
use crate::catalog::{opt, token};
use crate::ui::{
    ErrorBox, Facts, Head, TextField, act, confirm, effect, fetch, list, memo, param, show, when,
};

/// Uploads a CloudFormation template file to the artifact store (bucket `catalog`) and returns
/// the provisioning artifact properties that load it (`Info.LoadTemplateFromURL`).
async fn template_artifact(
    product: &str,
    name: Option<String>,
    description: Option<String>,
    file: web_sys::File,
) -> Result<ProvisioningArtifactProperties, ApiError> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let millis = js_sys::Date::now().max(0.0) as u64;
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let key = format!("{}/{millis}-{}", safe(product), safe(&file.name()));
    upload_bundle("catalog", &key, file).await?;
    Ok(ProvisioningArtifactProperties {
        name,
        description,
        info: Some(BTreeMap::from([(
            "LoadTemplateFromURL".to_owned(),
            format!("s3://catalog/{key}"),
        )])),
        r#type: Some(ProvisioningArtifactType::CloudFormationTemplate),
        disable_template_validation: None,
    })
}

/// The file chosen in a file input, if any.
fn chosen(file: NodeRef<leptos::html::Input>) -> Option<send_wrapper::SendWrapper<web_sys::File>> {
    file.get()
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
        .map(send_wrapper::SendWrapper::new)
}

/// `/catalog/admin/products`: every product, as its administrator sees it.
#[component]
pub fn AdminProducts() -> impl IntoView {
    let page = fetch::<ops::SearchProductsAsAdmin>(SearchProductsAsAdminInput::default);
    view! {
        <Head title="Product administration">
            <a href="/catalog/admin/portfolios">"Portfolios"</a>
            <a class="button" href="/catalog/admin/products/new">"Create product"</a>
        </Head>
        {list(page, &["Product", "Owner", "Type", "Status", "Created"], "No products yet.", |out| {
            out.product_view_details.unwrap_or_default().into_iter().map(|d| {
                let s = d.product_view_summary.unwrap_or_default();
                view! {
                    <tr>
                        <td><a href=format!("/catalog/admin/products/{}", s.product_id.clone().unwrap_or_default())>{s.name.clone().unwrap_or_default()}</a></td>
                        <td>{s.owner.clone().unwrap_or_default()}</td>
                        <td>{s.r#type.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default()}</td>
                        <td>{d.status.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default()}</td>
                        <td>{d.created_time.map(when).unwrap_or_default()}</td>
                    </tr>
                }.into_any()
            }).collect()
        })}
    }
}

/// `/catalog/admin/products/new`: name, owner, description and the first version's template.
#[component]
pub fn CreateProduct() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let support = RwSignal::new(String::new());
    let version = RwSignal::new("v1".to_owned());
    let file = NodeRef::<leptos::html::Input>::new();
    let missing_file = RwSignal::new(false);
    let request = move || CreateProductInput {
        name: name.get().trim().to_owned(),
        owner: owner.get().trim().to_owned(),
        description: opt(&description.get()),
        support_email: opt(&support.get()),
        product_type: ProductType::CloudFormationTemplate,
        idempotency_token: token(),
        accept_language: None,
        distributor: None,
        support_description: None,
        support_url: None,
        tags: None,
        provisioning_artifact_parameters: None,
        source_connection: None,
    };
    let problems = memo(move || {
        let input = request();
        let mut problems = BTreeMap::new();
        for (path, value) in [("Name", &input.name), ("Owner", &input.owner)] {
            if value.is_empty() {
                problems.insert(
                    path.to_owned(),
                    format!("Enter the product's {}.", path.to_lowercase()),
                );
            }
        }
        problems
    });
    let problem =
        move |path: &'static str| Signal::derive(move || problems.with(|p| p.get(path).cloned()));
    let navigate = use_navigate();
    let create = act(move |f: &send_wrapper::SendWrapper<web_sys::File>| {
        let f = f.clone();
        let mut input = request();
        let version = opt(&version.get_untracked());
        async move {
            let artifact = template_artifact(&input.name, version, None, f.take()).await?;
            input.provisioning_artifact_parameters = Some(artifact);
            call::<ops::CreateProduct>(input).await
        }
    });
    effect(move || {
        if let Some(Ok(out)) = create.value()
            && let Some(id) = out
                .product_view_detail
                .and_then(|d| d.product_view_summary)
                .and_then(|s| s.product_id)
        {
            navigate(
                &format!("/catalog/admin/products/{id}"),
                NavigateOptions::default(),
            );
        }
    });
    view! {
        <Head title="Create product">
            <a href="/catalog/admin/products">"Cancel"</a>
        </Head>
        <form class="panel" on:submit=move |ev| {
            ev.prevent_default();
            let f = chosen(file);
            missing_file.set(f.is_none());
            if let Some(f) = f
                && problems.with_untracked(BTreeMap::is_empty)
            {
                create.dispatch(f);
            }
        }>
            <TextField label="Name" name="name" value=name error=problem("Name") />
            <TextField label="Owner" name="owner" value=owner error=problem("Owner") placeholder="the team that publishes it" />
            <TextField label="Description" name="description" value=description error=problem("Description") />
            <TextField label="Support email" name="supportEmail" value=support error=problem("SupportEmail") />
            <fieldset>
                <legend>"First version"</legend>
                <TextField label="Version name" name="versionName" value=version />
                <label>
                    "CloudFormation template (JSON or YAML)"
                    <input type="file" name="template" accept=".json,.yaml,.yml,.template" node_ref=file />
                    {move || missing_file.get().then(|| view! { <span class="field-error">"Choose a template file."</span> })}
                </label>
            </fieldset>
            {move || create.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="primary" disabled=move || create.pending() || problems.with(|p| !p.is_empty())>"Create product"</button>
        </form>
    }
}

/// `/catalog/admin/products/:id`: the product, its versions (activate, deprecate, add one),
/// the portfolios it is launched from, delete.
#[component]
pub fn AdminProductDetail() -> impl IntoView {
    let id = param("id");
    let tick = RwSignal::new(0u32);
    let product = fetch::<ops::DescribeProductAsAdmin>(move || {
        tick.track();
        DescribeProductAsAdminInput {
            id: Some(id.get()),
            ..Default::default()
        }
    });
    let versions = fetch::<ops::ListProvisioningArtifacts>(move || {
        tick.track();
        ListProvisioningArtifactsInput {
            product_id: id.get(),
            ..Default::default()
        }
    });
    let paths = fetch::<ops::ListLaunchPaths>(move || {
        tick.track();
        ListLaunchPathsInput {
            product_id: id.get(),
            ..Default::default()
        }
    });
    let change = act(move |input: &UpdateProvisioningArtifactInput| {
        let input = input.clone();
        async move {
            call::<ops::UpdateProvisioningArtifact>(input)
                .await
                .map(|_| ())
        }
    });
    effect(move || {
        if let Some(Ok(())) = change.value() {
            tick.update(|t| *t = t.wrapping_add(1));
        }
    });
    let navigate = use_navigate();
    let delete = act(move |(): &()| {
        let input = DeleteProductInput {
            id: id.get_untracked(),
            ..Default::default()
        };
        async move { call::<ops::DeleteProduct>(input).await }
    });
    effect(move || {
        if let Some(Ok(_)) = delete.value() {
            navigate("/catalog/admin/products", NavigateOptions::default());
        }
    });
    let version_row = move |v: ProvisioningArtifactDetail| {
        let vid = v.id.clone().unwrap_or_default();
        let active = v.active != Some(false);
        let deprecated = v
            .guidance
            .as_ref()
            .is_some_and(|g| g.as_str() == "DEPRECATED");
        let base = UpdateProvisioningArtifactInput {
            product_id: id.get_untracked(),
            provisioning_artifact_id: vid.clone(),
            ..Default::default()
        };
        let toggle_active = UpdateProvisioningArtifactInput {
            active: Some(!active),
            ..base.clone()
        };
        let toggle_guidance = UpdateProvisioningArtifactInput {
            guidance: Some(if deprecated {
                ProvisioningArtifactGuidance::Default
            } else {
                ProvisioningArtifactGuidance::Deprecated
            }),
            ..base
        };
        view! {
            <tr>
                <td>{v.name.clone().unwrap_or_default()}</td>
                <td class="mono">{vid}</td>
                <td>{v.description.clone().unwrap_or_default()}</td>
                <td>{if active { "active" } else { "inactive" }}</td>
                <td>{v.guidance.as_ref().map(|g| g.as_str().to_owned()).unwrap_or_default()}</td>
                <td>{v.created_time.map(when).unwrap_or_default()}</td>
                <td class="row-actions">
                    <button on:click=move |_| { change.dispatch(toggle_active.clone()); }>{if active { "Deactivate" } else { "Activate" }}</button>
                    <button on:click=move |_| { change.dispatch(toggle_guidance.clone()); }>{if deprecated { "Undeprecate" } else { "Deprecate" }}</button>
                </td>
            </tr>
        }
        .into_any()
    };
    view! {
        <Head title=move || match product.get() {
            Some(Ok(out)) => out.product_view_detail.and_then(|d| d.product_view_summary).and_then(|s| s.name).unwrap_or_default(),
            _ => id.get(),
        }>
            <a href="/catalog/admin/products">"Products"</a>
            <button class="danger" on:click=move |_| {
                if confirm("Delete this product and its versions?") {
                    delete.dispatch(());
                }
            }>"Delete"</button>
        </Head>
        {move || delete.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {show(product, |out| {
            let d = out.product_view_detail.unwrap_or_default();
            let s = d.product_view_summary.clone().unwrap_or_default();
            view! {
                <Facts rows=vec![
                    ("Owner", s.owner.clone()),
                    ("Description", s.short_description.clone()),
                    ("Type", s.r#type.as_ref().map(|t| t.as_str().to_owned())),
                    ("Support", s.support_email.clone()),
                    ("Id", s.product_id.clone()),
                    ("ARN", d.product_arn.clone()),
                    ("Created", d.created_time.map(when)),
                ] />
            }
        })}
        <h2>"Versions"</h2>
        {move || change.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {list(versions, &["Version", "Id", "Description", "Active", "Guidance", "Created", ""], "No versions.", move |out| {
            out.provisioning_artifact_details.unwrap_or_default().into_iter().map(version_row).collect()
        })}
        <NewProductVersion id=id on_created=Callback::new(move |()| tick.update(|t| *t = t.wrapping_add(1))) />
        <h2>"Portfolios (launch paths)"</h2>
        {list(paths, &["Portfolio", "Id"], "In no portfolio: end users cannot launch it. Add it to a portfolio.", |out| {
            out.launch_path_summaries.unwrap_or_default().into_iter().map(|p| {
                let pid = p.id.clone().unwrap_or_default();
                view! {
                    <tr>
                        <td><a href=format!("/catalog/admin/portfolios/{pid}")>{p.name.clone().unwrap_or_default()}</a></td>
                        <td class="mono">{pid}</td>
                    </tr>
                }.into_any()
            }).collect()
        })}
    }
}

/// Adds a version to a product from an uploaded template.
#[component]
fn NewProductVersion(id: Signal<String>, on_created: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let file = NodeRef::<leptos::html::Input>::new();
    let missing_file = RwSignal::new(false);
    let create = act(move |f: &send_wrapper::SendWrapper<web_sys::File>| {
        let f = f.clone();
        let (product, name, description) = (
            id.get_untracked(),
            opt(&name.get_untracked()),
            opt(&description.get_untracked()),
        );
        async move {
            let parameters = template_artifact(&product, name, description, f.take()).await?;
            call::<ops::CreateProvisioningArtifact>(CreateProvisioningArtifactInput {
                product_id: product,
                parameters,
                idempotency_token: token(),
                accept_language: None,
            })
            .await
        }
    });
    effect(move || {
        if let Some(Ok(_)) = create.value() {
            name.set(String::new());
            description.set(String::new());
            on_created.run(());
        }
    });
    view! {
        <h2>"New version"</h2>
        <form class="panel new-version" on:submit=move |ev| {
            ev.prevent_default();
            let f = chosen(file);
            missing_file.set(f.is_none());
            if let Some(f) = f {
                create.dispatch(f);
            }
        }>
            <div class="row">
                <TextField label="Version name" name="versionName" value=name placeholder="v2" />
                <TextField label="Description" name="versionDescription" value=description />
            </div>
            <label>
                "CloudFormation template (JSON or YAML)"
                <input type="file" name="template" accept=".json,.yaml,.yml,.template" node_ref=file />
                {move || missing_file.get().then(|| view! { <span class="field-error">"Choose a template file."</span> })}
            </label>
            {move || create.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="primary" disabled=move || create.pending()>"Add version"</button>
        </form>
    }
}

/// `/catalog/admin/portfolios`: the portfolios, and a form to create one.
#[component]
pub fn Portfolios() -> impl IntoView {
    let page = fetch::<ops::ListPortfolios>(ListPortfoliosInput::default);
    let name = RwSignal::new(String::new());
    let provider = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let request = move || CreatePortfolioInput {
        display_name: name.get().trim().to_owned(),
        provider_name: provider.get().trim().to_owned(),
        description: opt(&description.get()),
        idempotency_token: token(),
        ..Default::default()
    };
    let problems = memo(move || {
        let input = request();
        let mut problems = BTreeMap::new();
        for (path, value, what) in [
            ("DisplayName", &input.display_name, "name"),
            ("ProviderName", &input.provider_name, "provider"),
        ] {
            if value.is_empty() {
                problems.insert(path, format!("Enter the portfolio's {what}."));
            }
        }
        problems
    });
    let problem =
        move |path: &'static str| Signal::derive(move || problems.with(|p| p.get(path).cloned()));
    let navigate = use_navigate();
    let create = act(move |input: &CreatePortfolioInput| {
        let input = input.clone();
        async move { call::<ops::CreatePortfolio>(input).await }
    });
    effect(move || {
        if let Some(Ok(out)) = create.value()
            && let Some(id) = out.portfolio_detail.and_then(|d| d.id)
        {
            navigate(
                &format!("/catalog/admin/portfolios/{id}"),
                NavigateOptions::default(),
            );
        }
    });
    view! {
        <Head title="Portfolios">
            <a href="/catalog/admin/products">"Products"</a>
        </Head>
        {list(page, &["Portfolio", "Provider", "Description", "Created"], "No portfolios yet.", |out| {
            out.portfolio_details.unwrap_or_default().into_iter().map(|p| view! {
                <tr>
                    <td><a href=format!("/catalog/admin/portfolios/{}", p.id.clone().unwrap_or_default())>{p.display_name.clone().unwrap_or_default()}</a></td>
                    <td>{p.provider_name.clone().unwrap_or_default()}</td>
                    <td>{p.description.clone().unwrap_or_default()}</td>
                    <td>{p.created_time.map(when).unwrap_or_default()}</td>
                </tr>
            }.into_any()).collect()
        })}
        <h2>"Create portfolio"</h2>
        <form class="panel" on:submit=move |ev| {
            ev.prevent_default();
            if problems.with_untracked(BTreeMap::is_empty) {
                create.dispatch(request());
            }
        }>
            <TextField label="Name" name="displayName" value=name error=problem("DisplayName") />
            <TextField label="Provider" name="providerName" value=provider error=problem("ProviderName") />
            <TextField label="Description" name="description" value=description error=problem("Description") />
            {move || create.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="primary" disabled=move || create.pending() || problems.with(|p| !p.is_empty())>"Create portfolio"</button>
        </form>
    }
}

/// `/catalog/admin/portfolios/:id`: the portfolio's products (add, remove), delete.
#[component]
pub fn PortfolioDetail() -> impl IntoView {
    let id = param("id");
    let tick = RwSignal::new(0u32);
    let portfolio = fetch::<ops::DescribePortfolio>(move || DescribePortfolioInput {
        id: id.get(),
        ..Default::default()
    });
    let products = fetch::<ops::SearchProductsAsAdmin>(move || {
        tick.track();
        SearchProductsAsAdminInput {
            portfolio_id: Some(id.get()),
            ..Default::default()
        }
    });
    let all = fetch::<ops::SearchProductsAsAdmin>(SearchProductsAsAdminInput::default);
    let chosen_product = RwSignal::new(String::new());
    // (product, add): associate when `add`, else disassociate.
    let change = act(move |(product, add): &(String, bool)| {
        let (product, add, portfolio) = (product.clone(), *add, id.get_untracked());
        async move {
            if add {
                call::<ops::AssociateProductWithPortfolio>(AssociateProductWithPortfolioInput {
                    product_id: product,
                    portfolio_id: portfolio,
                    ..Default::default()
                })
                .await
                .map(|_| ())
            } else {
                call::<ops::DisassociateProductFromPortfolio>(
                    DisassociateProductFromPortfolioInput {
                        product_id: product,
                        portfolio_id: portfolio,
                        accept_language: None,
                    },
                )
                .await
                .map(|_| ())
            }
        }
    });
    effect(move || {
        if let Some(Ok(())) = change.value() {
            tick.update(|t| *t = t.wrapping_add(1));
        }
    });
    let navigate = use_navigate();
    let delete = act(move |(): &()| {
        let input = DeletePortfolioInput {
            id: id.get_untracked(),
            accept_language: None,
        };
        async move { call::<ops::DeletePortfolio>(input).await }
    });
    effect(move || {
        if let Some(Ok(_)) = delete.value() {
            navigate("/catalog/admin/portfolios", NavigateOptions::default());
        }
    });
    view! {
        <Head title=move || match portfolio.get() {
            Some(Ok(out)) => out.portfolio_detail.and_then(|d| d.display_name).unwrap_or_default(),
            _ => id.get(),
        }>
            <a href="/catalog/admin/portfolios">"Portfolios"</a>
            <button class="danger" on:click=move |_| {
                if confirm("Delete this portfolio?") {
                    delete.dispatch(());
                }
            }>"Delete"</button>
        </Head>
        {move || delete.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {show(portfolio, |out| {
            let d = out.portfolio_detail.unwrap_or_default();
            view! {
                <Facts rows=vec![
                    ("Provider", d.provider_name.clone()),
                    ("Description", d.description.clone()),
                    ("Id", d.id.clone()),
                    ("ARN", d.arn.clone()),
                    ("Created", d.created_time.map(when)),
                ] />
            }
        })}
        <h2>"Products"</h2>
        {move || change.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {list(products, &["Product", "Owner", ""], "No products in this portfolio.", move |out| {
            out.product_view_details.unwrap_or_default().into_iter().map(|d| {
                let s = d.product_view_summary.unwrap_or_default();
                let pid = s.product_id.clone().unwrap_or_default();
                let remove = pid.clone();
                view! {
                    <tr>
                        <td><a href=format!("/catalog/admin/products/{pid}")>{s.name.clone().unwrap_or_default()}</a></td>
                        <td>{s.owner.clone().unwrap_or_default()}</td>
                        <td class="row-actions"><button on:click=move |_| { change.dispatch((remove.clone(), false)); }>"Remove"</button></td>
                    </tr>
                }.into_any()
            }).collect()
        })}
        <form class="panel add-product" on:submit=move |ev| {
            ev.prevent_default();
            let p = chosen_product.get_untracked();
            if !p.is_empty() {
                change.dispatch((p, true));
            }
        }>
            <label>
                "Add a product"
                {show(all, move |out| view! {
                    <select name="product" on:change=move |ev| chosen_product.set(event_target_value(&ev))>
                        <option value="">"— choose —"</option>
                        {out.product_view_details.unwrap_or_default().into_iter().filter_map(|d| d.product_view_summary).map(|s| view! {
                            <option value=s.product_id.clone().unwrap_or_default()>{s.name.clone().unwrap_or_default()}</option>
                        }).collect_view()}
                    </select>
                })}
            </label>
            <button type="submit" class="primary" disabled=move || chosen_product.with(String::is_empty)>"Add to portfolio"</button>
        </form>
    }
}
