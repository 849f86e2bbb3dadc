//! Where mail goes: an SMTP server (SMTP_URL), or .eml files in a folder for development.

use std::path::PathBuf;
use std::time::Duration;

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailArgs;

/// How long one delivery may take before it counts as failed (and is retried later).
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>),
}

impl Transport {
    pub fn from_config(config: &MailArgs) -> anyhow::Result<Self> {
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|err| anyhow::anyhow!("SMTP_URL is not a usable SMTP address: {err}"))?
                    .timeout(Some(SEND_TIMEOUT))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => {
                let folder = absolute(&config.mail_dir);
                std::fs::create_dir_all(&folder)?;
                tracing::info!(
                    folder = %folder.display(),
                    "SMTP_URL is not set; mail is written to this folder as .eml files"
                );
                Ok(Self::Folder(AsyncFileTransport::new(folder)))
            }
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Self::Smtp(smtp) => tokio::time::timeout(SEND_TIMEOUT, smtp.send(message))
                .await
                .map_err(|_| "the SMTP server did not answer in time".to_owned())?
                .map(drop)
                .map_err(|err| err.to_string()),
            Self::Folder(folder) => folder
                .send(message)
                .await
                .map(drop)
                .map_err(|err| err.to_string()),
        }
    }
}

fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
