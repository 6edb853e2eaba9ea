//! What ai-svc reads and writes: keywords and cluster contexts by id, and clustering and idea
//! results applied once per job id, only by a platform service acting for the account.

use igny8_proto::planner::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::{Tenant, TestEnv, acting, bearer, violations};

const AI: &str = "ai-svc";

async fn count(env: &TestEnv, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&env.planner_pool)
        .await
        .expect("count")
}

async fn keyword(env: &TestEnv, t: &Tenant, id: &str) -> pb::Keyword {
    env.planner()
        .get_keyword(bearer(pb::IdRequest { id: id.into() }, &t.token))
        .await
        .expect("keyword")
        .into_inner()
}

async fn cluster(env: &TestEnv, t: &Tenant, id: &str) -> pb::Cluster {
    env.planner()
        .get_cluster(bearer(pb::IdRequest { id: id.into() }, &t.token))
        .await
        .expect("cluster")
        .into_inner()
}

/// A cluster made by the user in the tenant's sector `sector`.
async fn user_cluster(env: &TestEnv, t: &Tenant, sector: usize, name: &str) -> pb::Cluster {
    env.planner()
        .create_cluster(bearer(
            pb::CreateClusterRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sectors[sector].clone(),
                name: name.into(),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .expect("create cluster")
        .into_inner()
}

fn proposed(name: &str, keyword_ids: &[&str]) -> pb::ProposedCluster {
    pb::ProposedCluster {
        name: name.into(),
        description: format!("About {name}"),
        keyword_ids: keyword_ids.iter().map(|id| (*id).to_owned()).collect(),
    }
}

fn idea(cluster_id: &str, title: &str) -> pb::ProposedIdea {
    pb::ProposedIdea {
        cluster_id: cluster_id.into(),
        title: title.into(),
        description: "What the article covers".into(),
        outline: vec![pb::OutlineSection {
            heading: "Introduction".into(),
            covers: "why it matters".into(),
            keywords: vec!["crm".into()],
        }],
        target_keywords: vec!["crm".into(), "CRM".into(), "crm tools".into()],
        content_type: String::new(),
        content_structure: "guide".into(),
        estimated_word_count: 0,
    }
}

#[tokio::test]
async fn keywords_and_cluster_contexts_answer_in_the_order_asked_within_the_account() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let other = env.tenant().await;
    env.seed(
        &t,
        &[
            ("crm", 1000, 40),
            ("crm pricing", 500, 20),
            ("crm demo", 300, 30),
        ],
    )
    .await;
    env.seed(&other, &[("foreign", 10, 10)]).await;
    let kws = env.all_keywords(&t).await; // 1000, 500, 300
    let foreign = env.all_keywords(&other).await.remove(0);
    let ai = env.service_token(AI).await;
    let mut planner = env.planner();
    let ids = |ids: &[&str]| pb::IdsRequest {
        ids: ids.iter().map(|id| (*id).to_owned()).collect(),
    };

    let found = planner
        .get_keywords_by_ids(acting(
            ids(&[&kws[2].id, &kws[0].id, &kws[2].id]),
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap()
        .into_inner()
        .keywords;
    let texts: Vec<&str> = found.iter().map(|k| k.keyword.as_str()).collect();
    assert_eq!(texts, vec!["crm demo", "crm"]);
    let status = planner
        .get_keywords_by_ids(acting(ids(&[&kws[0].id, &foreign.id]), &ai, &t.account_id))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::NotFound, "keyword not found")
    );
    let too_many: Vec<String> = (0..501).map(|_| Uuid::now_v7().to_string()).collect();
    let status = planner
        .get_keywords_by_ids(acting(pb::IdsRequest { ids: too_many }, &ai, &t.account_id))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["ids"]);
    let status = planner
        .get_keywords_by_ids(acting(ids(&[]), &ai, &t.account_id))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["ids"]);
    let status = planner
        .get_keywords_by_ids(bearer(ids(&[&kws[0].id]), &t.token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // Clusters with their keywords, largest first; an empty cluster has none.
    let big = planner
        .create_cluster(bearer(
            pb::CreateClusterRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                name: "CRM".into(),
                keyword_ids: vec![kws[2].id.clone(), kws[0].id.clone()],
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let empty = user_cluster(&env, &t, 1, "Empty").await;
    let foreign_cluster = user_cluster(&env, &other, 0, "Theirs").await;
    let contexts = planner
        .get_cluster_contexts(acting(ids(&[&empty.id, &big.id]), &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner()
        .clusters;
    let summary: Vec<(String, Vec<String>)> = contexts
        .into_iter()
        .map(|c| {
            (
                c.cluster.expect("cluster").name,
                c.keywords.into_iter().map(|k| k.keyword).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("Empty".to_owned(), vec![]),
            (
                "CRM".to_owned(),
                vec!["crm".to_owned(), "crm demo".to_owned()]
            ),
        ]
    );
    let status = planner
        .get_cluster_contexts(acting(
            ids(&[&big.id, &foreign_cluster.id]),
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::NotFound, "cluster not found")
    );
    let too_many: Vec<String> = (0..51).map(|_| Uuid::now_v7().to_string()).collect();
    let status = planner
        .get_cluster_contexts(acting(pb::IdsRequest { ids: too_many }, &ai, &t.account_id))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["ids"]);
    let status = planner
        .get_cluster_contexts(bearer(ids(&[&big.id]), &t.token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn applying_clusters_creates_or_reuses_by_name_maps_keywords_once_per_job() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    env.seed(
        &t,
        &[
            ("crm", 1000, 40),
            ("crm pricing", 500, 20),
            ("crm demo", 300, 30),
            ("crm api", 200, 60),
        ],
    )
    .await;
    let kws = env.all_keywords(&t).await; // 1000, 500, 300, 200
    let elsewhere = env
        .planner()
        .create_keyword(bearer(
            pb::CreateKeywordRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sectors[1].clone(),
                keyword: Some(pb::KeywordInput {
                    keyword: "firewall".into(),
                    ..Default::default()
                }),
                cluster_id: String::new(),
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let existing = user_cluster(&env, &t, 0, "Existing Topic").await;
    let ai = env.service_token(AI).await;
    let mut planner = env.planner();
    let job_a = Uuid::now_v7().to_string();
    let gone = Uuid::now_v7().to_string();
    let request = pb::ApplyClustersRequest {
        job_id: job_a.clone(),
        sector_id: t.sector().into(),
        clusters: vec![
            // Keywords of another sector or deleted since are skipped.
            proposed(
                "CRM  Basics",
                &[&kws[0].id, &kws[1].id, &elsewhere.id, &gone],
            ),
            proposed("existing TOPIC", &[&kws[2].id, &kws[0].id]),
        ],
    };
    let first = planner
        .apply_clusters(acting(request.clone(), &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner();
    let summary: Vec<(&str, bool, u32)> = first
        .clusters
        .iter()
        .map(|c| (c.name.as_str(), c.reused, c.keywords_assigned))
        .collect();
    assert_eq!(
        summary,
        vec![("CRM Basics", false, 2), ("Existing Topic", true, 1)]
    );
    let created_id = first.clusters[0].cluster_id.clone();
    assert_eq!(first.clusters[1].cluster_id, existing.id);
    for (kw, cluster_id) in [
        (&kws[0], &created_id),
        (&kws[1], &created_id),
        (&kws[2], &existing.id),
    ] {
        let now = keyword(&env, &t, &kw.id).await;
        assert_eq!(
            (now.status.as_str(), &now.cluster_id),
            ("mapped", cluster_id)
        );
    }
    let untouched = keyword(&env, &t, &elsewhere.id).await;
    assert_eq!(
        (untouched.status.as_str(), untouched.cluster_id.as_str()),
        ("new", "")
    );
    let created = cluster(&env, &t, &created_id).await;
    assert_eq!(
        (
            created.sector_id.as_str(),
            created.description.as_str(),
            created.keyword_count,
            created.total_volume,
            created.avg_difficulty
        ),
        (t.sector(), "About CRM  Basics", 2, 1500, 30)
    );
    assert_eq!(cluster(&env, &t, &existing.id).await.keyword_count, 1);

    // The same job again (even with other content) answers the first result, writes nothing.
    let writes = "SELECT (SELECT count(*) FROM planner.clusters) + (SELECT count(*) FROM planner.outbox) \
         + (SELECT count(*) FROM planner.keywords WHERE cluster_id IS NOT NULL)";
    let before = count(&env, writes).await;
    let again = planner
        .apply_clusters(acting(request, &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    let altered = pb::ApplyClustersRequest {
        job_id: job_a.clone(),
        sector_id: t.sector().into(),
        clusters: vec![proposed("Different", &[&kws[3].id])],
    };
    let again = planner
        .apply_clusters(acting(altered, &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    assert_eq!(count(&env, writes).await, before);
    assert_eq!(keyword(&env, &t, &kws[3].id).await.status, "new");

    // Another job with the same name (any case) reuses the cluster.
    let second = planner
        .apply_clusters(acting(
            pb::ApplyClustersRequest {
                job_id: Uuid::now_v7().to_string(),
                sector_id: t.sector().into(),
                clusters: vec![proposed("crm basics", &[&kws[3].id])],
            },
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        second.clusters,
        vec![pb::AppliedCluster {
            cluster_id: created_id.clone(),
            name: "CRM Basics".into(),
            reused: true,
            keywords_assigned: 1,
        }]
    );
    assert_eq!(cluster(&env, &t, &created_id).await.keyword_count, 3);
    assert_eq!(
        count(&env, "SELECT count(*) FROM planner.clusters").await,
        2
    );
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM planner.outbox WHERE routing_key = 'planner.cluster.created'"
        )
        .await,
        2,
        "the user's cluster and the one the first job created"
    );
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn applying_clusters_refuses_bad_input_other_tenants_sectors_and_users() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let other = env.tenant().await;
    let ai = env.service_token(AI).await;
    let mut planner = env.planner();
    let status = planner
        .apply_clusters(acting(
            pb::ApplyClustersRequest {
                job_id: " ".into(),
                sector_id: "nope".into(),
                clusters: vec![],
            },
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["clusters", "job_id", "sector_id"]);
    let mut long = proposed("Fine", &["nope"]);
    long.description = "x".repeat(5001);
    let status = planner
        .apply_clusters(acting(
            pb::ApplyClustersRequest {
                job_id: Uuid::now_v7().to_string(),
                sector_id: t.sector().into(),
                clusters: vec![long, proposed(" ", &[]), proposed(&"n".repeat(201), &[])],
            },
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        vec![
            "clusters[0].description",
            "clusters[0].keyword_ids",
            "clusters[1].name",
            "clusters[2].name"
        ]
    );
    let status = planner
        .apply_clusters(acting(
            pb::ApplyClustersRequest {
                job_id: Uuid::now_v7().to_string(),
                sector_id: t.sector().into(),
                clusters: (0..101).map(|i| proposed(&format!("c{i}"), &[])).collect(),
            },
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["clusters"]);

    let valid = |sector: &str| pb::ApplyClustersRequest {
        job_id: Uuid::now_v7().to_string(),
        sector_id: sector.into(),
        clusters: vec![proposed("Topic", &[])],
    };
    for sector in [other.sector().to_owned(), Uuid::now_v7().to_string()] {
        let status = planner
            .apply_clusters(acting(valid(&sector), &ai, &t.account_id))
            .await
            .unwrap_err();
        assert_eq!(
            (status.code(), status.message()),
            (Code::NotFound, "sector not found")
        );
    }
    let status = planner
        .apply_clusters(bearer(valid(t.sector()), &t.token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = planner
        .apply_clusters(bearer(valid(t.sector()), &ai))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "a service must name the account it acts for"
    );
    assert_eq!(
        count(
            &env,
            "SELECT (SELECT count(*) FROM planner.clusters) + (SELECT count(*) FROM planner.applied_jobs)"
        )
        .await,
        0
    );
    // A sector without any planner rows yet is found through auth-svc.
    let applied = planner
        .apply_clusters(acting(valid(&t.sectors[1]), &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner();
    let made = cluster(&env, &t, &applied.clusters[0].cluster_id).await;
    assert_eq!(
        (made.site_id.as_str(), made.sector_id.as_str()),
        (t.site_id.as_str(), t.sectors[1].as_str())
    );
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn applying_ideas_creates_them_in_their_clusters_sectors_once_per_job() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let first_cluster = user_cluster(&env, &t, 0, "CRM").await;
    let second_cluster = user_cluster(&env, &t, 1, "Security").await;
    let ai = env.service_token(AI).await;
    let mut planner = env.planner();
    let request = pb::ApplyIdeasRequest {
        job_id: Uuid::now_v7().to_string(),
        ideas: vec![
            idea(&first_cluster.id, "  CRM for beginners "),
            idea(&second_cluster.id, "Zero trust explained"),
            pb::ProposedIdea {
                content_type: "page".into(),
                estimated_word_count: 2500,
                ..idea(&first_cluster.id, "CRM pricing compared")
            },
        ],
    };
    let applied = planner
        .apply_ideas(acting(request.clone(), &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner();
    let summary: Vec<_> = applied
        .ideas
        .iter()
        .map(|i| {
            (
                i.title.as_str(),
                i.sector_id.as_str(),
                i.cluster_name.as_str(),
                i.status.as_str(),
                i.content_type.as_str(),
                i.estimated_word_count,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("CRM for beginners", t.sector(), "CRM", "new", "post", 1000),
            (
                "Zero trust explained",
                t.sectors[1].as_str(),
                "Security",
                "new",
                "post",
                1000
            ),
            (
                "CRM pricing compared",
                t.sector(),
                "CRM",
                "new",
                "page",
                2500
            ),
        ]
    );
    let first = &applied.ideas[0];
    assert_eq!(first.site_id, t.site_id);
    assert_eq!(first.target_keywords, vec!["crm", "crm tools"]);
    assert_eq!(first.content_structure, "guide");
    assert_eq!(first.outline[0].heading, "Introduction");
    for (id, ideas) in [(&first_cluster.id, 2), (&second_cluster.id, 1)] {
        let now = cluster(&env, &t, id).await;
        assert_eq!((now.status.as_str(), now.idea_count), ("mapped", ideas));
    }

    let again = planner
        .apply_ideas(acting(request, &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, applied);
    assert_eq!(count(&env, "SELECT count(*) FROM planner.ideas").await, 3);
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM planner.outbox WHERE routing_key = 'planner.idea.created'"
        )
        .await,
        3
    );
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn applying_ideas_refuses_bad_input_other_accounts_clusters_and_users() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let other = env.tenant().await;
    let mine = user_cluster(&env, &t, 0, "CRM").await;
    let theirs = user_cluster(&env, &other, 0, "Theirs").await;
    let ai = env.service_token(AI).await;
    let mut planner = env.planner();
    let mut bad = idea(&mine.id, " ");
    bad.estimated_word_count = 30_000;
    bad.outline[0].heading = String::new();
    let status = planner
        .apply_ideas(acting(
            pb::ApplyIdeasRequest {
                job_id: String::new(),
                ideas: vec![
                    bad,
                    pb::ProposedIdea {
                        content_type: "essay".into(),
                        ..idea("", "Fine title")
                    },
                    idea("nope", "Fine title"),
                ],
            },
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        vec![
            "ideas[0].estimated_word_count",
            "ideas[0].outline[0].heading",
            "ideas[0].title",
            "ideas[1].cluster_id",
            "ideas[1].content_type",
            "ideas[2].cluster_id",
            "job_id",
        ]
    );
    let status = planner
        .apply_ideas(acting(
            pb::ApplyIdeasRequest {
                job_id: Uuid::now_v7().to_string(),
                ideas: vec![],
            },
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["ideas"]);

    // Another account's cluster is not found, named by its field; nothing is kept, so the
    // job can still be applied.
    let job_id = Uuid::now_v7().to_string();
    let status = planner
        .apply_ideas(acting(
            pb::ApplyIdeasRequest {
                job_id: job_id.clone(),
                ideas: vec![idea(&mine.id, "First"), idea(&theirs.id, "Second")],
            },
            &ai,
            &t.account_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::NotFound, "ideas[1].cluster_id not found")
    );
    assert_eq!(count(&env, "SELECT count(*) FROM planner.ideas").await, 0);
    assert_eq!(cluster(&env, &t, &mine.id).await.status, "new");
    let request = pb::ApplyIdeasRequest {
        job_id,
        ideas: vec![idea(&mine.id, "First")],
    };
    let status = planner
        .apply_ideas(bearer(request.clone(), &t.token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let applied = planner
        .apply_ideas(acting(request, &ai, &t.account_id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(applied.ideas.len(), 1);
    assert_eq!(cluster(&env, &t, &mine.id).await.status, "mapped");
    env.cleanup(&[]).await;
}
