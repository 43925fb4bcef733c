//! The application shell: navigation and the routes (shareable URLs).

use leptos::prelude::*;
use leptos_router::components::{A, Router};
use leptos_router::hooks::use_location;
use leptos_router::location::{BrowserUrl, LocationProvider};

use crate::catalog::{Launch, Launchable, ProvisionedProductDetail, ProvisionedProducts};
use crate::catalog_admin::{
    AdminProductDetail, AdminProducts, CreateProduct, PortfolioDetail, Portfolios,
};
use crate::dashboard::Dashboard;
use crate::environments::{CreateEnvironment, EnvironmentDetail, EnvironmentList};
use crate::others::{AccountConnections, ComponentDetail, Components, Settings};
use crate::route;
use crate::services::{InstanceDetail, ServiceDetail, ServiceList};
use crate::sync::{Repositories, RepositoryDetail};
use crate::templates::{CreateTemplate, Family, TemplateDetail, TemplateList};
use crate::ui::{RouteParams, effect, memo};
use crate::wizard::CreateService;

/// Mounts the console on `<body>`.
pub fn start() {
    leptos::mount::mount_to_body(App);
}

/// The console.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="top">
                <a class="brand" href="/">"Baryon"</a>
                <span class="muted">"Proton-compatible control plane"</span>
            </header>
            <div class="shell">
                <nav class="side">
                    <A href="/" exact=true>"Dashboard"</A>
                    <h3>"Templates"</h3>
                    <A href="/templates/environment">"Environment templates"</A>
                    <A href="/templates/service">"Service templates"</A>
                    <h3>"Resources"</h3>
                    <A href="/environments">"Environments"</A>
                    <A href="/services">"Services"</A>
                    <A href="/components">"Components"</A>
                    <h3>"Service Catalog"</h3>
                    <A href="/catalog" exact=true>"Products"</A>
                    <A href="/catalog/provisioned">"Provisioned products"</A>
                    <A href="/catalog/admin/products">"Product administration"</A>
                    <A href="/catalog/admin/portfolios">"Portfolios"</A>
                    <h3>"Settings"</h3>
                    <A href="/account-connections">"Account connections"</A>
                    <A href="/repositories">"Repositories"</A>
                    <A href="/settings">"Account settings"</A>
                </nav>
                <main>
                    <Pages />
                </main>
            </div>
        </Router>
    }
}

/// The pages, each with its address pattern: `:x` is one segment, `*x` the rest of the path.
/// Static patterns come before the parameterized ones they overlap (`/new` before `/:name`).
///
/// The console matches addresses itself, with one table and one `match`, rather than with a
/// `<Route>` per page: leptos_router compiles its matching and view choice once per route
/// (~150 KB of wasm for 33 routes); this is compiled once. Links, history and query strings
/// are still leptos_router's.
const ROUTES: &[(&str, Page)] = &[
    ("/", Page::Dashboard),
    (
        "/templates/environment",
        Page::TemplateList(Family::Environment),
    ),
    (
        "/templates/environment/new",
        Page::CreateTemplate(Family::Environment),
    ),
    (
        "/templates/environment/:name",
        Page::TemplateDetail(Family::Environment),
    ),
    ("/templates/service", Page::TemplateList(Family::Service)),
    (
        "/templates/service/new",
        Page::CreateTemplate(Family::Service),
    ),
    (
        "/templates/service/:name",
        Page::TemplateDetail(Family::Service),
    ),
    ("/environments", Page::EnvironmentList),
    ("/environments/new", Page::CreateEnvironment),
    ("/environments/:name", Page::EnvironmentDetail),
    ("/services", Page::ServiceList),
    ("/services/new", Page::CreateService),
    ("/services/:name", Page::ServiceDetail),
    ("/services/:name/instances/:instance", Page::InstanceDetail),
    ("/components", Page::Components),
    ("/components/:name", Page::ComponentDetail),
    ("/account-connections", Page::AccountConnections),
    ("/repositories", Page::Repositories),
    ("/repositories/:provider/*name", Page::RepositoryDetail),
    ("/settings", Page::Settings),
    ("/catalog", Page::Launchable),
    ("/catalog/products/:id/launch", Page::Launch),
    ("/catalog/provisioned", Page::ProvisionedProducts),
    ("/catalog/provisioned/:id", Page::ProvisionedProductDetail),
    ("/catalog/admin/products", Page::AdminProducts),
    ("/catalog/admin/products/new", Page::CreateProduct),
    ("/catalog/admin/products/:id", Page::AdminProductDetail),
    ("/catalog/admin/portfolios", Page::Portfolios),
    ("/catalog/admin/portfolios/:id", Page::PortfolioDetail),
];

/// A page of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Dashboard,
    TemplateList(Family),
    CreateTemplate(Family),
    TemplateDetail(Family),
    EnvironmentList,
    CreateEnvironment,
    EnvironmentDetail,
    ServiceList,
    CreateService,
    ServiceDetail,
    InstanceDetail,
    Components,
    ComponentDetail,
    AccountConnections,
    Repositories,
    RepositoryDetail,
    Settings,
    Launchable,
    Launch,
    ProvisionedProducts,
    ProvisionedProductDetail,
    AdminProducts,
    CreateProduct,
    AdminProductDetail,
    Portfolios,
    PortfolioDetail,
    NotFound,
}

/// The page an address shows and the parameters it carries (percent-decoded).
fn route(path: &str) -> (Page, Vec<(&'static str, String)>) {
    ROUTES
        .iter()
        .find_map(|(pattern, page)| route::matches(pattern, path).map(|params| (*page, params)))
        .unwrap_or((Page::NotFound, Vec::new()))
}

/// The page of the current address. A new address re-creates the page, so pages read their
/// parameters once ([`crate::ui::param`]).
#[component]
fn Pages() -> impl IntoView {
    let location = use_location();
    let matched = memo(move || route(&location.pathname.get()));
    // A link's navigation waits for the router to say the new page is ready before it sets
    // the address bar (`<Routes>` would say so); the page is built synchronously, so it is.
    let browser = use_context::<BrowserUrl>();
    effect(move || {
        location.pathname.track();
        if let Some(browser) = &browser {
            browser.ready_to_complete();
        }
    });
    move || {
        let (page, params) = matched.get();
        provide_context(RouteParams(params));
        page_view(page)
    }
}

/// The view of one page.
fn page_view(page: Page) -> AnyView {
    match page {
        Page::Dashboard => view! { <Dashboard /> }.into_any(),
        Page::TemplateList(family) => view! { <TemplateList family /> }.into_any(),
        Page::CreateTemplate(family) => view! { <CreateTemplate family /> }.into_any(),
        Page::TemplateDetail(family) => view! { <TemplateDetail family /> }.into_any(),
        Page::EnvironmentList => view! { <EnvironmentList /> }.into_any(),
        Page::CreateEnvironment => view! { <CreateEnvironment /> }.into_any(),
        Page::EnvironmentDetail => view! { <EnvironmentDetail /> }.into_any(),
        Page::ServiceList => view! { <ServiceList /> }.into_any(),
        Page::CreateService => view! { <CreateService /> }.into_any(),
        Page::ServiceDetail => view! { <ServiceDetail /> }.into_any(),
        Page::InstanceDetail => view! { <InstanceDetail /> }.into_any(),
        Page::Components => view! { <Components /> }.into_any(),
        Page::ComponentDetail => view! { <ComponentDetail /> }.into_any(),
        Page::AccountConnections => view! { <AccountConnections /> }.into_any(),
        Page::Repositories => view! { <Repositories /> }.into_any(),
        Page::RepositoryDetail => view! { <RepositoryDetail /> }.into_any(),
        Page::Settings => view! { <Settings /> }.into_any(),
        Page::Launchable => view! { <Launchable /> }.into_any(),
        Page::Launch => view! { <Launch /> }.into_any(),
        Page::ProvisionedProducts => view! { <ProvisionedProducts /> }.into_any(),
        Page::ProvisionedProductDetail => view! { <ProvisionedProductDetail /> }.into_any(),
        Page::AdminProducts => view! { <AdminProducts /> }.into_any(),
        Page::CreateProduct => view! { <CreateProduct /> }.into_any(),
        Page::AdminProductDetail => view! { <AdminProductDetail /> }.into_any(),
        Page::Portfolios => view! { <Portfolios /> }.into_any(),
        Page::PortfolioDetail => view! { <PortfolioDetail /> }.into_any(),
        Page::NotFound => {
            view! { <h1>"Not found"</h1><p>"No page has this address."</p> }.into_any()
        }
    }
}
