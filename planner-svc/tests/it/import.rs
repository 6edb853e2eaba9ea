//! CSV import (header mapping, duplicates, rejected rows, 50,000 rows) and CSV export.

use std::time::Instant;

use futures_util::StreamExt as _;
use igny8_proto::planner::v1 as pb;

use crate::helpers::{Tenant, TestEnv, bearer, real_count, sector_count, violations};

fn upload(t: &Tenant, csv: impl Into<Vec<u8>>) -> pb::ImportKeywordsRequest {
    pb::ImportKeywordsRequest {
        site_id: t.site_id.clone(),
        sector_id: t.sector().into(),
        csv: csv.into(),
        ..Default::default()
    }
}

async fn export(env: &TestEnv, t: &Tenant, filter: pb::KeywordFilter) -> String {
    let mut stream = env
        .planner()
        .export_keywords(bearer(filter, &t.token))
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend(chunk.unwrap().data);
    }
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn a_csv_is_mapped_by_its_headers_and_duplicates_are_skipped() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    env.seed(&t, &[("already here", 5, 5)]).await;
    let file = "Keyword;Search Volume;KD %;CPC (USD);Intent\n\
                Best CRM;\"1,200\";45;1.25;Commercial\n\
                best   crm;10;1;;\n\
                Already Here;1;1;;\n\
                crm pricing;90;;;t\n";
    let added = env
        .planner()
        .import_keywords(bearer(upload(&t, file), &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((added.created, added.skipped, added.rejected), (2, 2, 0));
    let all = env.all_keywords(&t).await;
    let crm = all.iter().find(|k| k.keyword == "Best CRM").unwrap();
    assert_eq!(
        (crm.search_volume, crm.difficulty, crm.cpc.as_str()),
        (1200, 45, "1.25")
    );
    assert_eq!(
        (crm.intent.as_str(), crm.source.as_str()),
        ("commercial", "csv_import")
    );
    let pricing = all.iter().find(|k| k.keyword == "crm pricing").unwrap();
    assert_eq!(pricing.intent, "transactional");

    // Explicit column names win over aliases.
    let named = pb::ImportKeywordsRequest {
        keyword_column: "Query Text".into(),
        volume_column: "Impressions".into(),
        ..upload(
            &t,
            "Query Text,Impressions,Keyword\nfrom query,77,not this\n",
        )
    };
    let added = env
        .planner()
        .import_keywords(bearer(named, &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.created, 1);
    let all = env.all_keywords(&t).await;
    assert!(
        all.iter()
            .any(|k| k.keyword == "from query" && k.search_volume == 77)
    );
    assert!(!all.iter().any(|k| k.keyword == "not this"));
    assert_eq!(sector_count(&env, t.sector(), "keywords").await, 4);
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn a_csv_with_bad_rows_writes_nothing_and_names_the_lines() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let file = "keyword,volume,difficulty,cpc,intent\n\
                good one,10,10,0.5,informational\n\
                ,10,10,,\n\
                fine,lots,101,,\n\
                also good,1,1,,\n\
                bad intent,1,1,1.1234567,shopping\n";
    let status = env
        .planner()
        .import_keywords(bearer(upload(&t, file), &t.token))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        vec!["csv", "line 3", "line 4", "line 6"]
    );
    let decoded = igny8_platform::error::decode_status(&status);
    assert_eq!(
        decoded.fields.0["line 3"],
        vec!["keyword: may not be blank"]
    );
    assert_eq!(decoded.fields.0["line 4"].len(), 2, "volume and difficulty");
    assert_eq!(decoded.fields.0["line 6"].len(), 2, "cpc and intent");
    assert!(decoded.fields.0["csv"][0].starts_with("3 rows were rejected; nothing was imported"));
    assert_eq!(real_count(&env, "keywords", t.sector()).await, 0);
    for (file, field) in [("", "csv"), ("volume,intent\n1,t\n", "csv")] {
        let status = env
            .planner()
            .import_keywords(bearer(upload(&t, file), &t.token))
            .await
            .unwrap_err();
        assert_eq!(violations(&status), vec![field]);
    }
    let misnamed = pb::ImportKeywordsRequest {
        cpc_column: "Price".into(),
        ..upload(&t, "keyword\nx\n")
    };
    let status = env
        .planner()
        .import_keywords(bearer(misnamed, &t.token))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["cpc_column"]);
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn fifty_thousand_rows_import_in_one_upload_and_export_back() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    env.big_plan(&t, 100_000).await;
    let mut file = String::from("keyword,search volume,keyword difficulty,cpc,search intent\n");
    for i in 0..50_000u32 {
        let intent = [
            "informational",
            "commercial",
            "transactional",
            "navigational",
        ][(i % 4) as usize];
        file.push_str(&format!(
            "long tail keyword number {i},{},{},{}.{:02},{intent}\n",
            i % 9000,
            i % 101,
            i % 7,
            i % 100
        ));
    }
    // 100 repeats of earlier rows (different case) are skipped, not rejected.
    for i in 0..100u32 {
        file.push_str(&format!("LONG TAIL keyword number {i},1,1,1,\n"));
    }
    let started = Instant::now();
    let added = env
        .planner()
        .import_keywords(bearer(upload(&t, file.into_bytes()), &t.token))
        .await
        .unwrap()
        .into_inner();
    let took = started.elapsed();
    eprintln!("imported 50,000 keywords in {took:?}");
    assert_eq!((added.created, added.skipped), (50_000, 100));
    assert_eq!(sector_count(&env, t.sector(), "keywords").await, 50_000);
    assert_eq!(real_count(&env, "keywords", t.sector()).await, 50_000);
    let list = env
        .planner()
        .list_keywords(bearer(
            crate::helpers::list_request(&t, pb::KeywordFilter::default(), 1, 50, "-search_volume"),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.page.unwrap().count, 50_000);
    assert_eq!(list.keywords[0].search_volume, 8999);

    // Export with a filter: only the matching rows, each once, header first.
    let filter = pb::KeywordFilter {
        site_id: t.site_id.clone(),
        sector_id: t.sector().into(),
        intent: "commercial".into(),
        difficulty_max: Some(50),
        ..Default::default()
    };
    let csv = export(&env, &t, filter).await;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "keyword,search_volume,difficulty,cpc,intent,status,source,cluster,disabled,created_at"
    );
    let rows: Vec<&str> = lines.collect();
    let expected = (0..50_000u32)
        .filter(|i| i % 4 == 1 && i % 101 <= 50)
        .count();
    assert_eq!(rows.len(), expected);
    assert!(
        rows.iter()
            .all(|r| r.split(',').nth(4) == Some("commercial"))
    );
    let unique: std::collections::HashSet<&str> =
        rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(unique.len(), expected, "no row twice across export batches");
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn an_export_reimports_into_another_sector() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    env.seed(&t, &[("alpha", 10, 20), ("beta, with comma", 30, 40)])
        .await;
    let csv = export(
        &env,
        &t,
        pb::KeywordFilter {
            site_id: t.site_id.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(csv.lines().count(), 3);
    let into_other = pb::ImportKeywordsRequest {
        sector_id: t.sectors[1].clone(),
        ..upload(&t, csv.into_bytes())
    };
    let added = env
        .planner()
        .import_keywords(bearer(into_other, &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.created, 2);
    assert_eq!(sector_count(&env, &t.sectors[1], "keywords").await, 2);
    env.cleanup(&[]).await;
}
