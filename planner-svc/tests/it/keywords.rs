//! One keyword at a time: create, read, update, delete, validation, duplicates, plan limit.

use igny8_proto::planner::v1 as pb;
use tonic::Code;

use crate::helpers::{TestEnv, bearer, code_of, real_count, sector_count, violations};

fn create(site: &str, sector: &str, keyword: &str) -> pb::CreateKeywordRequest {
    pb::CreateKeywordRequest {
        site_id: site.into(),
        sector_id: sector.into(),
        keyword: Some(pb::KeywordInput {
            keyword: keyword.into(),
            search_volume: 1200,
            difficulty: 45,
            cpc: "$1.25".into(),
            intent: "Commercial".into(),
        }),
        cluster_id: String::new(),
    }
}

#[tokio::test]
async fn a_keyword_is_created_read_updated_and_deleted() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let mut planner = env.planner();
    let created = planner
        .create_keyword(bearer(
            create(&t.site_id, t.sector(), "  Best   CRM Software "),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.keyword, "Best CRM Software");
    assert_eq!((created.search_volume, created.difficulty), (1200, 45));
    assert_eq!(
        (created.cpc.as_str(), created.intent.as_str()),
        ("1.25", "commercial")
    );
    assert_eq!(
        (created.status.as_str(), created.source.as_str()),
        ("new", "manual")
    );
    assert_eq!(created.sector_id, t.sector());

    // Unique per sector ignoring case and spacing; another sector may have it.
    let duplicate = planner
        .create_keyword(bearer(
            create(&t.site_id, t.sector(), "best crm   SOFTWARE"),
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), Code::AlreadyExists);
    assert_eq!(code_of(&duplicate), "DUPLICATE_KEYWORD");
    planner
        .create_keyword(bearer(
            create(&t.site_id, &t.sectors[1], "best crm software"),
            &t.token,
        ))
        .await
        .unwrap();

    let id = created.id.clone();
    let fetched = planner
        .get_keyword(bearer(pb::IdRequest { id: id.clone() }, &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched, created);

    let updated = planner
        .update_keyword(bearer(
            pb::UpdateKeywordRequest {
                id: id.clone(),
                keyword: Some("crm software for startups".into()),
                difficulty: Some(30),
                cpc: Some("2.5".into()),
                disabled: Some(true),
                status: Some("used".into()),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.keyword, "crm software for startups");
    assert_eq!((updated.difficulty, updated.search_volume), (30, 1200));
    assert_eq!(
        (updated.cpc.as_str(), updated.status.as_str()),
        ("2.50", "used")
    );
    assert!(updated.disabled);

    planner
        .create_keyword(bearer(
            create(&t.site_id, t.sector(), "crm pricing"),
            &t.token,
        ))
        .await
        .unwrap();
    let clash = planner
        .update_keyword(bearer(
            pb::UpdateKeywordRequest {
                id: id.clone(),
                keyword: Some("CRM Pricing".into()),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(clash.code(), Code::AlreadyExists);

    assert_eq!(sector_count(&env, t.sector(), "keywords").await, 2);
    planner
        .delete_keyword(bearer(pb::IdRequest { id: id.clone() }, &t.token))
        .await
        .unwrap();
    let gone = planner
        .get_keyword(bearer(pb::IdRequest { id }, &t.token))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    assert_eq!(sector_count(&env, t.sector(), "keywords").await, 1);
    assert_eq!(real_count(&env, "keywords", t.sector()).await, 1);
    let usage: i64 = sqlx::query_scalar(
        "SELECT keywords FROM planner.account_usage WHERE account_id = $1::uuid",
    )
    .bind(&t.account_id)
    .fetch_one(&env.planner_pool)
    .await
    .unwrap();
    assert_eq!(usage, 2, "one keyword in each sector");
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn invalid_input_is_refused_with_the_fields_named() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let mut planner = env.planner();
    let status = planner
        .create_keyword(bearer(
            pb::CreateKeywordRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                keyword: Some(pb::KeywordInput {
                    keyword: "   ".into(),
                    search_volume: 10,
                    difficulty: 101,
                    cpc: "1.2.3".into(),
                    intent: "buying".into(),
                }),
                cluster_id: "not-an-id".into(),
            },
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        vec!["cluster_id", "cpc", "difficulty", "intent", "keyword"]
    );
    let status = planner
        .create_keyword(bearer(
            pb::CreateKeywordRequest {
                keyword: create("", "", "fine").keyword,
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["sector_id", "site_id"]);
    let id = planner
        .create_keyword(bearer(create(&t.site_id, t.sector(), "ok"), &t.token))
        .await
        .unwrap()
        .into_inner()
        .id;
    let status = planner
        .update_keyword(bearer(
            pb::UpdateKeywordRequest {
                id,
                status: Some("mapped".into()),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        vec!["status"],
        "mapped needs a cluster"
    );
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn the_plan_limit_refuses_keywords_beyond_it_and_writes_nothing() {
    let env = TestEnv::start().await;
    let t = env.tenant().await; // free plan: 100 keywords
    let first: Vec<(String, u32, u32)> = (0..95).map(|i| (format!("keyword {i}"), i, 1)).collect();
    let rows: Vec<(&str, u32, u32)> = first.iter().map(|(k, v, d)| (k.as_str(), *v, *d)).collect();
    let added = env.seed(&t, &rows).await;
    assert_eq!((added.created, added.skipped), (95, 0));
    // 4 new and 3 already there: 99 in all, within the plan.
    let added = env
        .seed(
            &t,
            &[
                ("keyword 1", 0, 0),
                ("keyword 2", 0, 0),
                ("Keyword 3", 0, 0),
                ("a", 0, 0),
                ("b", 0, 0),
                ("c", 0, 0),
                ("d", 0, 0),
            ],
        )
        .await;
    assert_eq!((added.created, added.skipped), (4, 3));
    let status = env
        .planner()
        .bulk_create_keywords(bearer(
            pb::BulkCreateKeywordsRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                keywords: ["e", "f"]
                    .iter()
                    .map(|k| pb::KeywordInput {
                        keyword: (*k).into(),
                        ..Default::default()
                    })
                    .collect(),
            },
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(code_of(&status), "PLAN_LIMIT");
    assert_eq!(
        real_count(&env, "keywords", t.sector()).await,
        99,
        "nothing of the refused call was written"
    );
    assert_eq!(sector_count(&env, t.sector(), "keywords").await, 99);
    // An upgrade takes effect at once, although the old limit was cached.
    env.set_plan(&t, "starter").await;
    let added = env.seed(&t, &[("e", 0, 0), ("f", 0, 0)]).await;
    assert_eq!(added.created, 2);
    env.cleanup(&[]).await;
}
