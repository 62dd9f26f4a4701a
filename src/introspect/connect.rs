//! Placeholder until the TLS-aware connection module lands: plain connections only.

use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    pub url: Option<String>,
    pub connect_timeout: Duration,
    pub database: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}:{}/{}", self.user, self.host, self.port, self.database)
    }
}

pub struct Connection {
    pub client: tokio_postgres::Client,
    pub target: Target,
    pub tls: bool,
}

#[derive(Debug)]
pub struct ConnectError {
    pub target: Option<Target>,
    pub message: String,
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

pub async fn connect(options: &ConnectOptions) -> Result<Connection, ConnectError> {
    let url = options.url.clone().or_else(|| std::env::var("DATABASE_URL").ok()).ok_or_else(|| {
        ConnectError { target: None, message: "no database URL: pass --url or set DATABASE_URL".to_string() }
    })?;
    let mut config: tokio_postgres::Config =
        url.parse().map_err(|e| ConnectError { target: None, message: format!("invalid URL: {e}") })?;
    if let Some(database) = &options.database {
        config.dbname(database);
    }
    config.connect_timeout(options.connect_timeout);
    let target = Target {
        host: "127.0.0.1".into(),
        port: config.get_ports().first().copied().unwrap_or(5432),
        database: config.get_dbname().unwrap_or("postgres").to_string(),
        user: config.get_user().unwrap_or("postgres").to_string(),
    };
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.map_err(|e| ConnectError {
        target: Some(target.clone()),
        message: format!("cannot connect to {target}: {e}"),
    })?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(Connection { client, target, tls: false })
}

pub fn redact(url: &str) -> String {
    url.to_string()
}
