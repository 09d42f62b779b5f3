//! Where to connect: `--db URL` (a libpq URL or `key=value` string), and for what it
//! leaves out, the libpq environment as `psql` reads it: `PGSERVICE` (from
//! `PGSERVICEFILE` or `~/.pg_service.conf`), then `PGHOST`, `PGPORT`, `PGDATABASE`,
//! `PGUSER`, then libpq's defaults (the socket in `/var/run/postgresql`, port 5432, the
//! user's own name for the user and the database). A password comes from the URL,
//! `PGPASSWORD` or `~/.pgpass` (`PGPASSFILE`), and is never shown.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use postgres::config::Host;
use postgres::Config;

/// Debian's libpq looks for the server's socket here.
const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// The connection settings of a run.
#[derive(Clone, Debug)]
pub struct Database {
    config: Config,
}

impl Database {
    /// `--db URL`, completed from the environment; `None`: the environment alone.
    pub fn from_url(url: Option<&str>) -> Result<Database> {
        let mut config = match url {
            Some(url) => Config::from_str(url).with_context(|| {
                format!(
                    "--db {}: not a PostgreSQL connection URL or key=value string",
                    hide_password(url)
                )
            })?,
            None => Config::new(),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        // A service names settings in a file; what the URL says wins over it.
        let service = match env("PGSERVICE") {
            Some(name) => service_settings(&name)?,
            None => BTreeMap::new(),
        };
        let setting =
            |key: &str, variable: &str| service.get(key).cloned().or_else(|| env(variable));
        if config.get_hosts().is_empty() {
            let host = setting("host", "PGHOST").unwrap_or_else(|| DEFAULT_SOCKET_DIR.into());
            for host in host.split(',') {
                config.host(host);
            }
        }
        if config.get_ports().is_empty() {
            if let Some(port) = setting("port", "PGPORT") {
                let port = port
                    .parse::<u16>()
                    .with_context(|| format!("PGPORT={port}: not a port"))?;
                config.port(port);
            }
        }
        if config.get_user().is_none() {
            let user = setting("user", "PGUSER").or_else(os_user);
            if let Some(user) = user {
                config.user(&user);
            }
        }
        if config.get_dbname().is_none() {
            if let Some(name) =
                setting("dbname", "PGDATABASE").or_else(|| config.get_user().map(str::to_string))
            {
                config.dbname(&name);
            }
        }
        if config.get_password().is_none() {
            let password = setting("password", "PGPASSWORD").or_else(|| pgpass_password(&config));
            if let Some(password) = password {
                config.password(password);
            }
        }
        config.application_name("stayaudit");
        Ok(Database { config })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The connection as a URL without its password: for messages and the summary.
    pub fn shown(&self) -> String {
        let config = &self.config;
        let host = config.get_hosts().first();
        let user = config.get_user().unwrap_or("");
        let dbname = config.get_dbname().unwrap_or("");
        let port = config.get_ports().first().copied();
        match host {
            Some(Host::Unix(path)) => {
                let mut url = format!("postgresql:///{dbname}?host={}", path.display());
                if !user.is_empty() {
                    url.push_str(&format!("&user={user}"));
                }
                if let Some(port) = port {
                    url.push_str(&format!("&port={port}"));
                }
                url
            }
            Some(Host::Tcp(name)) => {
                let at = if user.is_empty() {
                    String::new()
                } else {
                    format!("{user}@")
                };
                let port = port.map(|port| format!(":{port}")).unwrap_or_default();
                format!("postgresql://{at}{name}{port}/{dbname}")
            }
            None => format!("postgresql:///{dbname}"),
        }
    }
}

/// The URL as typed, its password (if any) replaced, for an error message.
fn hide_password(url: &str) -> String {
    if let Some(rest) = url.split_once("://").map(|(_, rest)| rest) {
        if let Some((credentials, _)) = rest.split_once('@') {
            if let Some((_, password)) = credentials.split_once(':') {
                return url.replacen(&format!(":{password}@"), ":***@", 1);
            }
        }
    }
    url.split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some(("password", _)) => "password=***".to_string(),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// The name this process runs as, libpq's default user.
fn os_user() -> Option<String> {
    if let Some(user) = std::env::var("USER").ok().filter(|user| !user.is_empty()) {
        return Some(user);
    }
    // SAFETY: getpwuid returns a pointer into static storage, read at once.
    unsafe {
        let entry = libc::getpwuid(libc::geteuid());
        if entry.is_null() {
            return None;
        }
        let name = std::ffi::CStr::from_ptr((*entry).pw_name);
        Some(name.to_string_lossy().into_owned())
    }
}

/// A service's settings from the service file (`[name]` then `key=value` lines).
fn service_settings(name: &str) -> Result<BTreeMap<String, String>> {
    let files: Vec<PathBuf> = std::env::var_os("PGSERVICEFILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(home().map(|home| home.join(".pg_service.conf")))
        .chain(
            std::env::var_os("PGSYSCONFDIR").map(|dir| PathBuf::from(dir).join("pg_service.conf")),
        )
        .chain(Some(PathBuf::from(
            "/etc/postgresql-common/pg_service.conf",
        )))
        .collect();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut in_section = false;
        let mut settings = BTreeMap::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                if in_section {
                    break;
                }
                in_section = section == name;
            } else if in_section {
                if let Some((key, value)) = line.split_once('=') {
                    settings.insert(key.trim().to_string(), value.trim().to_string());
                }
            }
        }
        if in_section {
            return Ok(settings);
        }
    }
    bail!("PGSERVICE={name}: no such service in PGSERVICEFILE, ~/.pg_service.conf or the system's pg_service.conf")
}

/// The password `~/.pgpass` (or `PGPASSFILE`) gives for this connection, if any: the
/// first line whose `host:port:database:user` match (`*` for any); a socket directory
/// also matches `localhost`. A file that others may read is ignored, as libpq does.
fn pgpass_password(config: &Config) -> Option<String> {
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|home| home.join(".pgpass")))?;
    let metadata = std::fs::metadata(&file).ok()?;
    use std::os::unix::fs::PermissionsExt;
    if metadata.permissions().mode() & 0o077 != 0 {
        eprintln!(
            "stayaudit: warning: {} is readable by others: its passwords are not used (chmod 600)",
            file.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(&file).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(path)) => path.to_string_lossy().into_owned(),
        None => "localhost".into(),
    };
    let socket = matches!(config.get_hosts().first(), Some(Host::Unix(_)));
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let dbname = config.get_dbname().unwrap_or("");
    let user = config.get_user().unwrap_or("");
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = pgpass_fields(line);
            let [h, p, d, u, password] = fields.as_slice() else {
                return None;
            };
            let matches = |field: &str, value: &str| field == "*" || field == value;
            let host_matches = matches(h, &host) || (socket && h == "localhost");
            (host_matches && matches(p, &port) && matches(d, dbname) && matches(u, user))
                .then(|| password.clone())
        })
}

/// A `.pgpass` line's five fields (`\:` and `\\` escape).
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("one field").push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        let database = Database::from_url(Some(
            "postgresql://border:s3cret@db.internal:5433/crossings",
        ))
        .unwrap();
        assert_eq!(
            database.shown(),
            "postgresql://border@db.internal:5433/crossings"
        );
        assert_eq!(database.config().get_password(), Some(&b"s3cret"[..]));
        let socket = Database::from_url(Some("host=/tmp/pg dbname=x user=u password=p")).unwrap();
        assert_eq!(socket.shown(), "postgresql:///x?host=/tmp/pg&user=u");
        assert_eq!(
            hide_password("postgresql://a:pw@h/db"),
            "postgresql://a:***@h/db"
        );
        assert_eq!(hide_password("host=h password=pw"), "host=h password=***");
        let error = Database::from_url(Some("postgresql://a:pw@h:notaport/db")).unwrap_err();
        assert!(!format!("{error:#}").contains("pw@"), "{error:#}");
    }

    #[test]
    fn pgpass_lines_are_split_at_unescaped_colons() {
        assert_eq!(
            pgpass_fields("h:5432:db:u:pa\\:ss"),
            ["h", "5432", "db", "u", "pa:ss"]
        );
        assert_eq!(pgpass_fields("*:*:*:u:a:b"), ["*", "*", "*", "u", "a:b"]);
    }
}
