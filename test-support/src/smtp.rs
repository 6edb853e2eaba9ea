//! A local SMTP sink: speaks enough SMTP for a client to deliver, and keeps each message.

use std::{net::SocketAddr, sync::Arc};

use tokio::{
    io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader},
    net::TcpListener,
    sync::Mutex,
    task::JoinHandle,
};

/// A received mail.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (dot-unstuffed).
    pub data: String,
}

/// The sink; stops when dropped.
pub struct SmtpSink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mails = Arc::new(Mutex::new(Vec::new()));
        let sink = mails.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let _ = session(stream, sink).await;
                });
            }
        });
        Ok(Self { addr, mails, task })
    }

    /// `smtp://127.0.0.1:<port>` for the service's SMTP_URL.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub async fn mails(&self) -> Vec<Mail> {
        self.mails.lock().await.clone()
    }

    /// Waits (bounded) until at least `count` mails arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<Mail> {
        for _ in 0..100 {
            let mails = self.mails().await;
            if mails.len() >= count {
                return mails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.mails().await
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: tokio::net::TcpStream, sink: Arc<Mutex<Vec<Mail>>>) -> anyhow::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write
        .write_all(b"220 sink.local ESMTP test sink\r\n")
        .await?;
    let mut from = String::new();
    let mut to = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write
                .write_all(b"250-sink.local\r\n250 8BITMIME\r\n")
                .await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().trim_matches(['<', '>']).to_owned();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            while let Some(body_line) = lines.next_line().await? {
                if body_line == "." {
                    break;
                }
                let unstuffed = body_line.strip_prefix('.').unwrap_or(&body_line);
                data.push_str(unstuffed);
                data.push('\n');
            }
            sink.lock().await.push(Mail {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            });
            write.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 command not implemented\r\n").await?;
        }
    }
    Ok(())
}
