//! The application shell: navigation and the routes (shareable URLs).

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::catalog::{Launch, Launchable, ProvisionedProductDetail, ProvisionedProducts};
use crate::catalog_admin::{
    AdminProductDetail, AdminProducts, CreateProduct, PortfolioDetail, Portfolios,
};
use crate::dashboard::Dashboard;
use crate::environments::{CreateEnvironment, EnvironmentDetail, EnvironmentList};
use crate::others::{AccountConnections, ComponentDetail, Components, Settings};
use crate::services::{InstanceDetail, ServiceDetail, ServiceList};
use crate::sync::{Repositories, RepositoryDetail};
use crate::templates::{CreateTemplate, Family, TemplateDetail, TemplateList};
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
                    <Routes fallback=|| view! { <h1>"Not found"</h1><p>"No page has this address."</p> }>
                        <Route path=path!("/") view=Dashboard />
                        <Route
                            path=path!("/templates/environment")
                            view=|| view! { <TemplateList family=Family::Environment /> }
                        />
                        <Route
                            path=path!("/templates/environment/new")
                            view=|| view! { <CreateTemplate family=Family::Environment /> }
                        />
                        <Route
                            path=path!("/templates/environment/:name")
                            view=|| view! { <TemplateDetail family=Family::Environment /> }
                        />
                        <Route
                            path=path!("/templates/service")
                            view=|| view! { <TemplateList family=Family::Service /> }
                        />
                        <Route
                            path=path!("/templates/service/new")
                            view=|| view! { <CreateTemplate family=Family::Service /> }
                        />
                        <Route
                            path=path!("/templates/service/:name")
                            view=|| view! { <TemplateDetail family=Family::Service /> }
                        />
                        <Route path=path!("/environments") view=EnvironmentList />
                        <Route path=path!("/environments/new") view=CreateEnvironment />
                        <Route path=path!("/environments/:name") view=EnvironmentDetail />
                        <Route path=path!("/services") view=ServiceList />
                        <Route path=path!("/services/new") view=CreateService />
                        <Route path=path!("/services/:name") view=ServiceDetail />
                        <Route path=path!("/services/:name/instances/:instance") view=InstanceDetail />
                        <Route path=path!("/components") view=Components />
                        <Route path=path!("/components/:name") view=ComponentDetail />
                        <Route path=path!("/account-connections") view=AccountConnections />
                        <Route path=path!("/repositories") view=Repositories />
                        <Route path=path!("/repositories/:provider/*name") view=RepositoryDetail />
                        <Route path=path!("/settings") view=Settings />
                        <Route path=path!("/catalog") view=Launchable />
                        <Route path=path!("/catalog/products/:id/launch") view=Launch />
                        <Route path=path!("/catalog/provisioned") view=ProvisionedProducts />
                        <Route path=path!("/catalog/provisioned/:id") view=ProvisionedProductDetail />
                        <Route path=path!("/catalog/admin/products") view=AdminProducts />
                        <Route path=path!("/catalog/admin/products/new") view=CreateProduct />
                        <Route path=path!("/catalog/admin/products/:id") view=AdminProductDetail />
                        <Route path=path!("/catalog/admin/portfolios") view=Portfolios />
                        <Route path=path!("/catalog/admin/portfolios/:id") view=PortfolioDetail />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
