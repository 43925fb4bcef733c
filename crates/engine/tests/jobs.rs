//! The durable job queue's claim rules, on a real SQLite database: one winner per due job, a
//! leased job is not due until its lease expires, a deferred job waits for its time, a finished
//! job is gone.
#![allow(clippy::unwrap_used)]

use baryon_engine::store::{NewJob, Store};

async fn store(name: &str) -> (Store, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("baryon-jobs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("db.sqlite").display());
    (Store::open(&url, "123456789012").await.unwrap(), dir)
}

fn job<'a>(id: &'a str, subject: &'a str) -> NewJob<'a> {
    NewJob {
        id,
        kind: "deploy",
        subject,
    }
}

#[tokio::test]
async fn a_due_job_is_claimed_once_with_its_account_and_step() {
    let (s, dir) = store("once").await;
    s.enqueue(&job("j1", "d1")).await.unwrap();
    let claimed = s.claim_job(60_000).await.unwrap().unwrap();
    assert_eq!(
        (
            claimed.id.as_str(),
            claimed.account_id.as_str(),
            claimed.kind.as_str(),
            claimed.subject.as_str(),
            claimed.step.as_str(),
            claimed.attempts
        ),
        ("j1", "123456789012", "deploy", "d1", "start", 1)
    );
    assert_eq!(s.claim_job(60_000).await.unwrap(), None);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn concurrent_claims_have_one_winner() {
    let (s, dir) = store("race").await;
    s.enqueue(&job("j1", "d1")).await.unwrap();
    let (a, b) = tokio::join!(s.claim_job(60_000), s.claim_job(60_000));
    let winners = [a.unwrap(), b.unwrap()].into_iter().flatten().count();
    assert_eq!(winners, 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_expired_lease_makes_the_job_due_again() {
    let (s, dir) = store("lease").await;
    s.enqueue(&job("j1", "d1")).await.unwrap();
    assert!(s.claim_job(-1).await.unwrap().is_some()); // a lease already over
    let again = s.claim_job(60_000).await.unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn released_leases_make_jobs_due_at_once() {
    let (s, dir) = store("release").await;
    s.enqueue(&job("j1", "d1")).await.unwrap();
    s.claim_job(3_600_000).await.unwrap().unwrap();
    assert_eq!(s.release_leases().await.unwrap(), 1);
    assert!(s.claim_job(60_000).await.unwrap().is_some());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_deferred_job_waits_for_its_time_at_its_new_step() {
    let (s, dir) = store("defer").await;
    s.enqueue(&job("j1", "d1")).await.unwrap();
    let claimed = s.claim_job(60_000).await.unwrap().unwrap();
    let far = i64::MAX / 2;
    s.defer_job(&claimed.id, "poll", far, true).await.unwrap();
    assert_eq!(s.claim_job(60_000).await.unwrap(), None);
    s.defer_job(&claimed.id, "poll", 0, false).await.unwrap();
    let again = s.claim_job(60_000).await.unwrap().unwrap();
    assert_eq!((again.step.as_str(), again.attempts), ("poll", 1));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_finished_job_is_gone() {
    let (s, dir) = store("finish").await;
    s.enqueue(&job("j1", "d1")).await.unwrap();
    assert!(s.has_job("deploy", "d1").await.unwrap());
    s.finish_job("j1").await.unwrap();
    assert!(!s.has_job("deploy", "d1").await.unwrap());
    assert_eq!(s.claim_job(60_000).await.unwrap(), None);
    let _ = std::fs::remove_dir_all(dir);
}
