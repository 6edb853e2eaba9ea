//! The JSON shapes of AI jobs and their progress, mapped from ai-svc's messages. Credits come
//! twice, like billing's: `*_milli` integers and `*_credits` decimal strings.

use chrono::{DateTime, Utc};
use igny8_proto::ai::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::{
    dto::{non_empty, time},
    extract::trimmed_list,
    routes::billing::dto::credits,
};

/// The rows a job works on.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitIn {
    /// Keywords, clusters, tasks, content items or images (by action), all of one site.
    #[serde(default, deserialize_with = "trimmed_list")]
    pub ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemFailure {
    pub id: String,
    pub error: String,
}

/// What a job produced.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobOutput {
    /// cluster, idea, content or image.
    pub object_type: String,
    /// Objects created or updated.
    pub object_ids: Vec<String>,
    /// Input items that succeeded and failed.
    pub succeeded: u32,
    pub failed: u32,
    pub failures: Vec<ItemFailure>,
}

impl From<pb::JobOutput> for JobOutput {
    fn from(o: pb::JobOutput) -> Self {
        Self {
            object_type: o.object_type,
            object_ids: o.object_ids,
            succeeded: o.succeeded,
            failed: o.failed,
            failures: o
                .failures
                .into_iter()
                .map(|f| ItemFailure {
                    id: f.id,
                    error: f.error,
                })
                .collect(),
        }
    }
}

/// Why a job failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobError {
    /// A stable code: PROVIDER_UNAVAILABLE, PROVIDER_REFUSED, INVALID_AI_RESPONSE, INPUT_GONE, ...
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Job {
    pub id: String,
    /// auto_cluster, generate_ideas, generate_content, generate_image_prompts or generate_images.
    pub kind: String,
    /// queued, running, completed, failed or cancelled.
    pub status: String,
    /// queued, initializing, processing, ai_analysis, saving, completed, failed or cancelled.
    pub phase: String,
    pub percent: u32,
    pub message: String,
    pub site_id: String,
    /// null when the inputs span several sectors of the site.
    pub sector_id: Option<String>,
    pub input_ids: Vec<String>,
    /// Credits held when the job was accepted.
    pub estimated_milli: i64,
    pub estimated_credits: String,
    /// Credits charged (once the job finished).
    pub charged_milli: i64,
    pub charged_credits: String,
    pub output: Option<JobOutput>,
    pub error: Option<JobError>,
    pub attempts: u32,
    pub cancel_requested: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<pb::Job> for Job {
    fn from(j: pb::Job) -> Self {
        let error = (!j.error_code.is_empty() || !j.error_message.is_empty()).then_some(JobError {
            code: j.error_code,
            message: j.error_message,
        });
        Self {
            id: j.id,
            kind: j.kind,
            status: j.status,
            phase: j.phase,
            percent: j.percent,
            message: j.message,
            site_id: j.site_id,
            sector_id: non_empty(j.sector_id),
            input_ids: j.input_ids,
            estimated_credits: credits(j.estimated_milli),
            estimated_milli: j.estimated_milli,
            charged_credits: credits(j.charged_milli),
            charged_milli: j.charged_milli,
            output: j.output.map(Into::into),
            error,
            attempts: j.attempts,
            cancel_requested: j.cancel_requested,
            created_at: time(j.created_at),
            started_at: time(j.started_at),
            finished_at: time(j.finished_at),
        }
    }
}

/// The answer to a started job: its id (follow it at `/api/v1/jobs/{job_id}`) and the job.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    pub job_id: String,
    pub job: Job,
}

/// One `progress` event of a job's event stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// Increasing per job; also the event's SSE id.
    pub seq: u64,
    pub phase: String,
    pub percent: u32,
    pub message: String,
    pub at: Option<DateTime<Utc>>,
}

impl From<&pb::JobEvent> for Progress {
    fn from(e: &pb::JobEvent) -> Self {
        Self {
            seq: e.seq,
            phase: e.phase.clone(),
            percent: e.percent,
            message: e.message.clone(),
            at: time(e.at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_proto_fields_become_nulls_and_credits_decimal_strings() {
        let job = Job::from(pb::Job {
            id: "j".into(),
            estimated_milli: 10_500,
            ..pb::Job::default()
        });
        assert_eq!(job.estimated_credits, "10.500");
        assert_eq!(job.charged_credits, "0.000");
        assert!(job.sector_id.is_none() && job.error.is_none() && job.output.is_none());
        let failed = Job::from(pb::Job {
            error_code: "PROVIDER_REFUSED".into(),
            error_message: "no".into(),
            sector_id: "s".into(),
            ..pb::Job::default()
        });
        assert_eq!(
            failed.error.map(|e| e.code).as_deref(),
            Some("PROVIDER_REFUSED")
        );
        assert_eq!(failed.sector_id.as_deref(), Some("s"));
    }
}
