//! The keyword library: the seeded sample, search and filters, adding to a sector once, and
//! imports by developers only.

use igny8_proto::{common::v1::PageRequest, planner::v1 as pb};
use tonic::Code;

use crate::helpers::{TestEnv, bearer, real_count, violations};

fn query(industry: &str, sector: &str) -> pb::ListLibraryKeywordsRequest {
    pb::ListLibraryKeywordsRequest {
        industry: industry.into(),
        sector: sector.into(),
        page: Some(PageRequest {
            page: 1,
            page_size: 100,
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_seeded_library_is_searchable_and_filterable() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let mut planner = env.planner();
    let all = planner
        .list_library_keywords(bearer(pb::ListLibraryKeywordsRequest::default(), &t.token))
        .await
        .unwrap()
        .into_inner();
    let total = all.page.unwrap().count;
    assert!(total >= 300, "a few hundred seeded rows, got {total}");
    // Every industry sector of auth-svc's seed has keywords.
    let sectors: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.slug, s.slug FROM auth.industry_sectors s JOIN auth.industries i ON i.id = s.industry_id",
    )
    .fetch_all(&env.auth_pool)
    .await
    .unwrap();
    for (industry, sector) in &sectors {
        let page = planner
            .list_library_keywords(bearer(query(industry, sector), &t.token))
            .await
            .unwrap()
            .into_inner();
        assert!(page.keywords.len() >= 5, "{industry}/{sector}");
        assert!(
            page.keywords
                .iter()
                .all(|k| &k.industry == industry && &k.sector == sector)
        );
        assert!(
            page.keywords
                .windows(2)
                .all(|w| w[0].search_volume >= w[1].search_volume),
            "default order: highest volume first"
        );
    }
    let crm = planner
        .list_library_keywords(bearer(
            pb::ListLibraryKeywordsRequest {
                search: "CRM".into(),
                ordering: "keyword".into(),
                ..query("technology", "")
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!crm.keywords.is_empty());
    assert!(crm.keywords.iter().all(|k| k.keyword.contains("crm")));
    let ranged = planner
        .list_library_keywords(bearer(
            pb::ListLibraryKeywordsRequest {
                volume_min: Some(10_000),
                difficulty_max: Some(50),
                intent: "informational".into(),
                ..query("", "")
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!ranged.keywords.is_empty());
    assert!(
        ranged.keywords.iter().all(|k| k.search_volume >= 10_000
            && k.difficulty <= 50
            && k.intent == "informational")
    );
    assert_eq!(ranged.page.unwrap().count as usize, ranged.keywords.len());
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn library_keywords_are_added_to_a_sector_once() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let mut planner = env.planner();
    let saas = planner
        .list_library_keywords(bearer(query("technology", "saas"), &t.token))
        .await
        .unwrap()
        .into_inner()
        .keywords;
    let ids: Vec<String> = saas.iter().take(5).map(|k| k.id.clone()).collect();
    let add = |ids: Vec<String>| pb::AddKeywordsFromLibraryRequest {
        site_id: t.site_id.clone(),
        sector_id: t.sector().into(),
        library_ids: ids,
    };
    let added = planner
        .add_keywords_from_library(bearer(add(ids.clone()), &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((added.created, added.skipped), (5, 0));
    let again = planner
        .add_keywords_from_library(bearer(add(ids.clone()), &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.created, again.skipped), (0, 5));
    let mine = env.all_keywords(&t).await;
    assert_eq!(mine.len(), 5);
    assert!(mine.iter().all(|k| k.source == "library"));
    let first = &saas[0];
    let copied = mine.iter().find(|k| k.keyword == first.keyword).unwrap();
    assert_eq!(
        (
            copied.search_volume,
            copied.difficulty,
            &copied.cpc,
            &copied.intent
        ),
        (
            first.search_volume,
            first.difficulty,
            &first.cpc,
            &first.intent
        )
    );
    let status = planner
        .add_keywords_from_library(bearer(
            add(vec![uuid::Uuid::now_v7().to_string()]),
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["library_ids"]);
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn only_developers_import_into_the_library() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let file = "industry,sector,keyword,volume,difficulty,cpc,intent\n\
                technology,saas,saas churn benchmarks,720,31,8.40,informational\n\
                technology,saas,Best CRM Software,1,1,1,commercial\n\
                marketing,seo,seo audit template,1900,36,4.10,transactional\n";
    let request = |csv: &str| pb::ImportLibraryKeywordsRequest {
        csv: csv.as_bytes().to_vec(),
    };
    let status = env
        .planner()
        .import_library_keywords(bearer(request(file), &t.token))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "owners are not developers"
    );
    let developer = env.developer(&t).await;
    let result = env
        .planner()
        .import_library_keywords(bearer(request(file), &developer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (result.created, result.skipped),
        (2, 1),
        "best crm software is seeded already"
    );
    let bad = "industry,sector,keyword\ntechnology,gardening,x\nnowhere,seo,y\ntechnology,saas,\n";
    let status = env
        .planner()
        .import_library_keywords(bearer(request(bad), &developer))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        vec!["csv", "line 2", "line 3", "line 4"]
    );
    let found = env
        .planner()
        .list_library_keywords(bearer(
            pb::ListLibraryKeywordsRequest {
                search: "seo audit template".into(),
                ..query("marketing", "seo")
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.keywords.len(), 1);
    assert_eq!(found.keywords[0].cpc, "4.10");
    assert_eq!(
        real_count(&env, "keywords", t.sector()).await,
        0,
        "the library is not a sector"
    );
    env.cleanup(&[]).await;
}
