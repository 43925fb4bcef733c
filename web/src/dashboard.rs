//! The dashboard: GetResourcesSummary counts, the deployments in progress or failed, and the
//! out-of-date environments and instances, a selection of which one action upgrades.

use std::collections::{BTreeMap, BTreeSet};

use baryon_model::proton::{
    CountsSummary, DeploymentUpdateType, GetResourcesSummaryInput, ListDeploymentsInput,
    ResourceCountsSummary, ops,
};
use leptos::prelude::*;

use crate::ui::{
    Deployments, Empty, Head, act, fetch, in_progress, load, memo, poll_while, show, table,
};
use crate::upgrade::{Stale, Target, deploy, stale};

/// `/`.
#[component]
pub fn Dashboard() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let summary = fetch::<ops::GetResourcesSummary>(move || {
        tick.track();
        GetResourcesSummaryInput {}
    });
    let deployments = fetch::<ops::ListDeployments>(move || {
        tick.track();
        ListDeploymentsInput {
            max_results: Some(100),
            ..Default::default()
        }
    });
    poll_while(tick, deployments, 3000, |d| {
        d.deployments
            .iter()
            .any(|d| in_progress(d.deployment_status.as_str()))
    });
    // The deployments in progress: the out-of-date list reloads when this set changes (a
    // deployment started or finished), not on every poll.
    let moving = memo(move || {
        deployments
            .get()
            .and_then(Result::ok)
            .map(|d| {
                d.deployments
                    .into_iter()
                    .filter(|d| in_progress(d.deployment_status.as_str()))
                    .map(|d| d.id)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
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
        <OutOfDate tick=tick moving=moving />
    }
}

/// The environments and instances whose template has a newer recommended version; the
/// selected ones are upgraded (minor or major, keeping their spec) one after the other, each
/// row saying how its update went. Reloaded when the deployments in progress (`moving`)
/// change and after its own upgrades, which also reload the dashboard (`tick`).
#[component]
fn OutOfDate(tick: RwSignal<u32>, moving: Memo<Vec<String>>) -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let items = load(move || {
        moving.track();
        refresh.track();
        stale()
    });
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let progress = RwSignal::new(BTreeMap::<String, Result<String, String>>::new());
    let run = act(move |major: &bool| {
        let major = *major;
        let chosen: Vec<Stale> = match items.get_untracked() {
            Some(Ok(all)) => selected
                .with_untracked(|sel| all.into_iter().filter(|s| sel.contains(&s.key())).collect()),
            _ => Vec::new(),
        };
        async move {
            for item in chosen {
                let key = item.key();
                let (offer, kind, what) = if major {
                    (
                        item.offers.major.clone(),
                        DeploymentUpdateType::MajorVersion,
                        "major",
                    )
                } else {
                    (
                        item.offers.minor.clone(),
                        DeploymentUpdateType::MinorVersion,
                        "minor",
                    )
                };
                let Some(to) = offer else {
                    progress.update(|p| {
                        p.insert(key, Err(format!("no newer {what} version")));
                    });
                    continue;
                };
                progress.update(|p| {
                    p.insert(key.clone(), Ok(format!("starting {}.{}…", to.0, to.1)));
                });
                let result = deploy(item.target.clone(), kind, to.clone(), None).await;
                progress.update(|p| {
                    p.insert(
                        key,
                        result
                            .map(|()| format!("deployment of {}.{} started", to.0, to.1))
                            .map_err(|e| e.to_string()),
                    );
                });
            }
            selected.set(BTreeSet::new());
            tick.update(|t| *t = t.wrapping_add(1));
            refresh.update(|t| *t = t.wrapping_add(1));
        }
    });
    let row = move |item: Stale| {
        let key = item.key();
        let (k1, k2, k3) = (key.clone(), key.clone(), key.clone());
        let (name, kind) = match &item.target {
            Target::Environment(n) => (n.clone(), "environment"),
            Target::Instance(s, i, _) => (format!("{s} / {i}"), "service instance"),
            Target::Pipeline(s) => (s.clone(), "pipeline"),
        };
        let offer = |o: &Option<(String, String)>| {
            o.as_ref()
                .map(|(a, b)| format!("{a}.{b}"))
                .unwrap_or_default()
        };
        view! {
            <tr data-stale=key.clone()>
                <td>
                    <input type="checkbox" name="stale" value=key.clone()
                        prop:checked=move || selected.with(|s| s.contains(&k1))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            selected.update(|s| {
                                if on { s.insert(k2.clone()); } else { s.remove(&k2); }
                            });
                        } />
                </td>
                <td><a href=format!("/{key}")>{name}</a>" "<span class="muted">{kind}</span></td>
                <td>{item.template.clone()}</td>
                <td>{item.deployed.clone()}</td>
                <td>{offer(&item.offers.minor)}</td>
                <td>{offer(&item.offers.major)}</td>
                <td class="progress">{move || progress.with(|p| match p.get(&k3) {
                    None => ().into_any(),
                    Some(Ok(m)) => view! { <span class="muted">{m.clone()}</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="field-error">{e.clone()}</span> }.into_any(),
                })}</td>
            </tr>
        }
        .into_any()
    };
    let none_selected = move || selected.with(BTreeSet::is_empty) || run.pending();
    view! {
        <h2>"Out of date"</h2>
        {show(items, move |all| {
            if all.is_empty() {
                return view! { <Empty text="Every environment and service instance runs its template's recommended version." /> }.into_any();
            }
            let rows = all.into_iter().map(row).collect();
            view! {
                {table(&["", "Resource", "Template", "Deployed", "Newer minor", "Newer major", "Progress"], "", rows)}
                <div class="actions bulk">
                    <button class="primary" disabled=none_selected on:click=move |_| { run.dispatch(false); }>"Upgrade selected: minor"</button>
                    <button disabled=none_selected on:click=move |_| { run.dispatch(true); }>"Upgrade selected: major (same spec)"</button>
                </div>
            }
            .into_any()
        })}
        <ul class="progress-log">
            {move || progress.with(|p| p.iter().map(|(k, r)| {
                let text = match r { Ok(m) => m.clone(), Err(e) => e.clone() };
                view! { <li><span class="mono">{k.clone()}</span>": "{text}</li> }
            }).collect_view())}
        </ul>
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
