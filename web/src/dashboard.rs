//! The dashboard: GetResourcesSummary counts and the deployments in progress or failed.

use baryon_model::proton::{
    CountsSummary, GetResourcesSummaryInput, ListDeploymentsInput, ResourceCountsSummary, ops,
};
use leptos::prelude::*;

use crate::api::call;
use crate::ui::{Deployments, Head, in_progress, poll_while, show};

/// `/`.
#[component]
pub fn Dashboard() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let summary = LocalResource::new(move || {
        tick.track();
        call::<ops::GetResourcesSummary>(GetResourcesSummaryInput {})
    });
    let deployments = LocalResource::new(move || {
        tick.track();
        call::<ops::ListDeployments>(ListDeploymentsInput {
            max_results: Some(100),
            ..Default::default()
        })
    });
    poll_while(tick, deployments, 3000, |d| {
        d.deployments
            .iter()
            .any(|d| in_progress(d.deployment_status.as_str()))
    });
    view! {
        <Head title="Dashboard">
            <a class="button" href="/environments/new">"Create environment"</a>
        </Head>
        <section class="cards">{show(summary, |s| counts(&s.counts))}</section>
        <h2>"Deployments in progress"</h2>
        {show(deployments, |d| {
            let rows = d
                .deployments
                .into_iter()
                .filter(|d| in_progress(d.deployment_status.as_str()))
                .collect();
            view! { <Deployments rows=rows /> }
        })}
        <h2>"Failed deployments"</h2>
        {show(deployments, |d| {
            let rows = d
                .deployments
                .into_iter()
                .filter(|d| d.deployment_status.as_str() == "FAILED")
                .collect();
            view! { <Deployments rows=rows /> }
        })}
    }
}

fn counts(c: &CountsSummary) -> impl IntoView + use<> {
    let cards = [
        (
            "Environment templates",
            "/templates/environment",
            &c.environment_templates,
        ),
        (
            "Service templates",
            "/templates/service",
            &c.service_templates,
        ),
        ("Environments", "/environments", &c.environments),
        ("Services", "/services", &c.services),
        ("Service instances", "/services", &c.service_instances),
        ("Pipelines", "/services", &c.pipelines),
        ("Components", "/components", &c.components),
    ];
    cards
        .into_iter()
        .map(|(label, href, n)| card(label, href, &n.clone().unwrap_or_default()))
        .collect_view()
}

fn card(
    label: &'static str,
    href: &'static str,
    n: &ResourceCountsSummary,
) -> impl IntoView + use<> {
    let detail = [
        ("failed", n.failed, "bad"),
        ("behind major", n.behind_major, "warn"),
        ("behind minor", n.behind_minor, "warn"),
        ("up to date", n.up_to_date, "ok"),
    ]
    .into_iter()
    .filter_map(|(what, v, class)| {
        v.filter(|v| *v > 0)
            .map(|v| view! { <span class=format!("pill {class}")>{format!("{v} {what}")}</span> })
    })
    .collect_view();
    view! {
        <a class="card" href=href data-kind=label>
            <span class="count">{n.total}</span>
            <span class="label">{label}</span>
            <span class="detail">{detail}</span>
        </a>
    }
}
