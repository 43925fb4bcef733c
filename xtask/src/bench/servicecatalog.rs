//! Figure 5: Service Catalog DescribeProduct req/s on the engine (awsJson 1.1, SigV4) against
//! `moto_server`'s Service Catalog on the same machine, the same load generator and the same
//! signing cost per request.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use serde_json::{Value, json};

use super::{Figure, Settings};
use crate::harness::engine::{self, Credentials, Engine, SERVICE_CATALOG};
use crate::harness::load;

const TEMPLATE: &str = r#"{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}"#;

/// A `moto_server` child on a free loopback port; killed when dropped.
struct Moto {
    child: Child,
    addr: SocketAddr,
}

impl Moto {
    fn start(root: &Path) -> Result<Self> {
        let bin = root.join("tests/.venv/bin/moto_server");
        if !bin.exists() {
            bail!(
                "{} is missing (bash scripts/setup.sh installs it)",
                bin.display()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline {
                bail!("moto_server did not start");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Self { child, addr })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_product(template_url: &str) -> Value {
    json!({
        "Name": "bench-product", "Owner": "platform", "ProductType": "CLOUD_FORMATION_TEMPLATE",
        "IdempotencyToken": "bench-product-1",
        "ProvisioningArtifactParameters": {
            "Name": "v1", "Type": "CLOUD_FORMATION_TEMPLATE",
            "Info": {"LoadTemplateFromURL": template_url}
        }
    })
}

fn product_id(created: &Value) -> Result<String> {
    created["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
        .as_str()
        .map(str::to_owned)
        .context("CreateProduct returned no ProductId")
}

/// DescribeProduct under load against `addr`, after a warm-up.
async fn describe_load(
    addr: SocketAddr,
    credentials: &Credentials,
    id: &str,
    settings: &Settings,
) -> Result<load::Stats> {
    let body = Bytes::from(serde_json::to_vec(&json!({"Id": id}))?);
    let make = {
        let credentials = credentials.clone();
        move || {
            engine::signed_for(
                SERVICE_CATALOG,
                addr,
                &credentials,
                "DescribeProduct",
                &body,
            )
        }
    };
    let load = settings.throughput_load();
    load::run(addr, settings.warm_up(load.connections), make.clone()).await?;
    let stats = load::run(addr, load, make).await?;
    stats.check("DescribeProduct")?;
    Ok(stats)
}

/// Runs the comparison.
pub async fn run(bin: &Path, root: &Path, work: &Path, settings: &Settings) -> Result<Vec<Figure>> {
    let engine = Engine::start(bin, work, &engine::Options::default()).await?;
    let template = engine.data_dir.join("buckets/templates/bench-product.json");
    if let Some(parent) = template.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&template, TEMPLATE)?;
    let created = engine::call_at(
        SERVICE_CATALOG,
        engine.addr,
        &engine.credentials,
        "CreateProduct",
        &create_product("s3://templates/bench-product.json"),
    )
    .await?;
    let id = product_id(&created)?;
    // End users see a product through a portfolio.
    let portfolio = engine::call_at(
        SERVICE_CATALOG,
        engine.addr,
        &engine.credentials,
        "CreatePortfolio",
        &json!({"DisplayName": "bench", "ProviderName": "platform", "IdempotencyToken": "bench-portfolio-1"}),
    )
    .await?;
    let portfolio_id = portfolio["PortfolioDetail"]["Id"]
        .as_str()
        .context("CreatePortfolio returned no Id")?
        .to_owned();
    engine::call_at(
        SERVICE_CATALOG,
        engine.addr,
        &engine.credentials,
        "AssociateProductWithPortfolio",
        &json!({"ProductId": id, "PortfolioId": portfolio_id}),
    )
    .await?;
    let moto = Moto::start(root)?;
    let moto_credentials = Credentials {
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
    };
    let moto_id = product_id(
        &engine::call_at(
            SERVICE_CATALOG,
            moto.addr,
            &moto_credentials,
            "CreateProduct",
            &create_product("https://example.com/bench-product.json"),
        )
        .await?,
    )?;
    let ours = describe_load(engine.addr, &engine.credentials, &id, settings).await?;
    let theirs = describe_load(moto.addr, &moto_credentials, &moto_id, settings).await?;
    println!(
        "  DescribeProduct: {:.0} req/s (moto_server {:.0}), p50 {:.3} ms",
        ours.rps(),
        theirs.rps(),
        ours.percentile_ms(50.0)
    );
    engine.stop()?;
    Ok(vec![Figure::ratio_at_least(
        "Service Catalog DescribeProduct req/s, SQLite, SigV4, 8 conns",
        ours.rps(),
        theirs.rps(),
        "req/s",
        "moto_server, same load",
        50.0,
    )])
}
