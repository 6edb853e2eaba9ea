//! Outgoing mail: SMTP when configured; otherwise logged, for local development only.

use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor, message::Mailbox};

#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("MAIL_FROM: {e}"))?;
        let transport = smtp_url
            .map(|url| {
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map(|builder| builder.build())
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))
            })
            .transpose()?;
        Ok(Self { transport, from })
    }

    /// Sends a plain-text mail. Without SMTP the mail is logged so local development can
    /// follow reset links; that mode is never for production.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> anyhow::Result<()> {
        let Some(transport) = &self.transport else {
            tracing::info!(to, subject, body = %body, "SMTP_URL unset; mail logged instead of sent (development only)");
            return Ok(());
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse().map_err(|e| anyhow::anyhow!("recipient: {e}"))?)
            .subject(subject)
            .body(body)?;
        transport.send(message).await?;
        Ok(())
    }
}
