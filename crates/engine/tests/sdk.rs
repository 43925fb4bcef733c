//! The real Rust AWS SDK (`aws-sdk-proton`) against an in-process engine on a loopback port,
//! by endpoint URL alone: template → version from a bundle → publish → self-managed environment
//! → deployment reported → outputs; and an AWS error parsed as the SDK's typed error.
#![allow(clippy::unwrap_used)]
// a panic is a test's failure report
// The SDK marks every Proton call deprecated ("AWS Proton is not accepting new customers");
// serving those calls is why Baryon exists.
#![allow(deprecated)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_proton::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_proton::types::{
    DeploymentStatus, Output, Provisioning, RepositoryBranchInput, RepositoryProvider,
    ResourceDeploymentStatus, S3ObjectSource, TemplateVersionSourceInput, TemplateVersionStatus,
};
use baryon_engine::{EngineConfig, start};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

/// `tests/fixtures/templates/<template>/v1` as a `.tar.gz` bundle.
fn bundle(template: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    builder
        .append_dir_all(".", fixture(&format!("templates/{template}/v1")))
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

async fn serve(data_dir: &Path) -> (aws_sdk_proton::Client, String) {
    let engine = start(EngineConfig {
        data_dir: data_dir.to_owned(),
        database_url: None,
        region: "eu-west-1".into(),
        account_id: "123456789012".into(),
        environment_accounts: Vec::new(),
        git_remotes: std::collections::BTreeMap::new(),
        sync_interval: std::time::Duration::from_secs(2),
        cloudformation: None,
        codebuild: None,
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, engine.router).await });
    let config = aws_sdk_proton::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(Region::new("eu-west-1"))
        .endpoint_url(&url)
        .credentials_provider(Credentials::new(
            engine.credentials.access_key_id.clone(),
            engine.credentials.secret_access_key.clone(),
            None,
            None,
            "baryon-test",
        ))
        .build();
    (aws_sdk_proton::Client::from_conf(config), url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_sdk_runs_the_self_managed_environment_flow() {
    let dir = std::env::temp_dir().join(format!("baryon-sdk-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (proton, _) = serve(&dir).await;
    let bucket = dir.join("buckets/templates");
    std::fs::create_dir_all(&bucket).unwrap();
    std::fs::write(bucket.join("queue-env.tar.gz"), bundle("queue-env")).unwrap();

    proton
        .create_environment_template()
        .name("queue-env")
        .provisioning(Provisioning::CustomerManaged)
        .send()
        .await
        .unwrap();
    let source = TemplateVersionSourceInput::S3(
        S3ObjectSource::builder()
            .bucket("templates")
            .key("queue-env.tar.gz")
            .build()
            .unwrap(),
    );
    let created = proton
        .create_environment_template_version()
        .template_name("queue-env")
        .source(source)
        .send()
        .await
        .unwrap();
    let v = created.environment_template_version().unwrap();
    assert_eq!((v.major_version(), v.minor_version()), ("1", "0"));

    let mut status = TemplateVersionStatus::RegistrationInProgress;
    for _ in 0..200 {
        let got = proton
            .get_environment_template_version()
            .template_name("queue-env")
            .major_version("1")
            .minor_version("0")
            .send()
            .await
            .unwrap();
        status = got.environment_template_version().unwrap().status().clone();
        if status != TemplateVersionStatus::RegistrationInProgress {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, TemplateVersionStatus::Draft);
    proton
        .update_environment_template_version()
        .template_name("queue-env")
        .major_version("1")
        .minor_version("0")
        .status(TemplateVersionStatus::Published)
        .send()
        .await
        .unwrap();

    let repo = RepositoryBranchInput::builder()
        .provider(RepositoryProvider::Github)
        .name("acme/infra")
        .branch("main")
        .build()
        .unwrap();
    let env = proton
        .create_environment()
        .name("dev")
        .template_name("queue-env")
        .template_major_version("1")
        .spec("proton: EnvironmentSpec\nspec:\n  queue_name: orders\n")
        .provisioning_repository(repo)
        .send()
        .await
        .unwrap();
    let env = env.environment().unwrap();
    assert_eq!(env.deployment_status(), &DeploymentStatus::InProgress);

    proton
        .notify_resource_deployment_status_change()
        .resource_arn(env.arn())
        .status(ResourceDeploymentStatus::Succeeded)
        .outputs(
            Output::builder()
                .key("QueueUrl")
                .value_string("https://queue.example/orders")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let done = proton.get_environment().name("dev").send().await.unwrap();
    assert_eq!(
        done.environment().unwrap().deployment_status(),
        &DeploymentStatus::Succeeded
    );
    let outputs = proton
        .list_environment_outputs()
        .environment_name("dev")
        .send()
        .await
        .unwrap();
    assert_eq!(
        outputs.outputs()[0].value_string(),
        Some("https://queue.example/orders")
    );

    let missing = proton
        .get_environment()
        .name("nope")
        .send()
        .await
        .unwrap_err();
    assert!(
        missing
            .into_service_error()
            .is_resource_not_found_exception()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
