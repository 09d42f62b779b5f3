//! Test helper: a throwaway PostgreSQL cluster, reached over a Unix socket only (no TCP).
//!
//! `.ci/run` starts one and names its socket folder in `STAYAUDIT_TEST_PGHOST` (its
//! superuser in `STAYAUDIT_TEST_PGUSER`); without it, the first test that needs a server
//! starts one for this test binary in a temporary folder (initdb and pg_ctl as an
//! unprivileged user when the tests run as root), and a watchdog stops it and removes
//! the folder when the test process ends. Either way each test works in a database of
//! its own. A missing server is a failure, never a skip.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The role whose password the tests check (the others connect without one).
pub const PASSWORD_ROLE: &str = "secret";
pub const PASSWORD: &str = "right-password";

pub struct Cluster {
    /// The folder holding the server's socket.
    pub socket_dir: PathBuf,
    /// A superuser.
    pub superuser: String,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// The cluster of this test run.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let cluster = match std::env::var("STAYAUDIT_TEST_PGHOST") {
            Ok(host) if !host.is_empty() => Cluster {
                socket_dir: host.into(),
                superuser: std::env::var("STAYAUDIT_TEST_PGUSER")
                    .unwrap_or_else(|_| "postgres".into()),
            },
            _ => start(),
        };
        let mut admin = cluster.connect("postgres");
        // The role may be there already (CI's cluster is shared by test binaries).
        admin
            .batch_execute(&format!(
                "DO $$ BEGIN
                   IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PASSWORD_ROLE}') THEN
                     CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}';
                   END IF;
                 END $$"
            ))
            .expect("create the password role");
        cluster
    })
}

impl Cluster {
    /// A connection as the superuser to `database`.
    pub fn connect(&self, database: &str) -> postgres::Client {
        postgres::Config::new()
            .host_path(&self.socket_dir)
            .user(&self.superuser)
            .dbname(database)
            .connect(postgres::NoTls)
            .unwrap_or_else(|error| {
                panic!(
                    "connect to the test cluster at {}: {error}",
                    self.socket_dir.display()
                )
            })
    }

    /// A new, empty database named for a test (dropped first if a run before left it),
    /// which the password role may use too.
    pub fn database(&self, name: &str) -> TestDatabase {
        let mut admin = self.connect("postgres");
        // One statement at a time: DROP and CREATE DATABASE refuse a transaction.
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
            format!("GRANT ALL ON DATABASE {name} TO {PASSWORD_ROLE}"),
        ] {
            admin
                .batch_execute(&statement)
                .unwrap_or_else(|error| panic!("{statement}: {error}"));
        }
        let mut client = self.connect(name);
        client
            .batch_execute(&format!("GRANT ALL ON SCHEMA public TO {PASSWORD_ROLE}"))
            .expect("grant the schema");
        TestDatabase {
            name: name.to_string(),
            url: format!(
                "postgresql:///{name}?host={}&user={}",
                self.socket_dir.display(),
                self.superuser
            ),
            client,
        }
    }
}

pub struct TestDatabase {
    pub name: String,
    /// `--db` for the superuser.
    pub url: String,
    pub client: postgres::Client,
}

impl TestDatabase {
    /// Rows of `query` as CSV text, with a header (as `COPY ... TO STDOUT` writes them).
    pub fn csv(&mut self, query: &str) -> String {
        use std::io::Read;
        let mut text = String::new();
        self.client
            .copy_out(&format!("COPY ({query}) TO STDOUT (FORMAT csv, HEADER)"))
            .expect("copy out")
            .read_to_string(&mut text)
            .expect("read the rows");
        text
    }

    /// Loads CSV text (with a header) into `table`.
    pub fn load(&mut self, table: &str, csv: &str) {
        use std::io::Write;
        let mut writer = self
            .client
            .copy_in(&format!("COPY {table} FROM STDIN (FORMAT csv, HEADER)"))
            .expect("copy in");
        writer.write_all(csv.as_bytes()).expect("send the rows");
        writer.finish().expect("load the rows");
    }

    pub fn execute(&mut self, sql: &str) {
        self.client
            .batch_execute(sql)
            .unwrap_or_else(|error| panic!("{sql}: {error}"));
    }
}

/// Where initdb and pg_ctl are: `STAYAUDIT_PG_BIN`, Debian's folder (the newest
/// version), or the PATH.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("STAYAUDIT_PG_BIN") {
        return dir.into();
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => PathBuf::new(), // the PATH
    }
}

fn tool(bin: &Path, name: &str) -> String {
    if bin.as_os_str().is_empty() {
        name.to_string()
    } else {
        bin.join(name).to_string_lossy().into_owned()
    }
}

fn running_as_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// A command as the cluster's owner: `nobody` when the tests run as root (the server
/// refuses to run as root).
fn as_owner(root: bool, program: &str) -> Command {
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--", program]);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) {
    let output = command.output().unwrap_or_else(|error| {
        panic!("{what}: {error} (is PostgreSQL installed? .ci/run installs it)")
    });
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// initdb, pg_ctl start, and a watchdog that stops the server when this process ends.
fn start() -> Cluster {
    let root = running_as_root();
    let bin = bin_dir();
    let folder = tempfile::Builder::new()
        .prefix("stayaudit-pg-")
        .tempdir()
        .expect("a folder for the cluster")
        .keep();
    let data = folder.join("data");
    let socket_dir = folder.join("socket");
    std::fs::create_dir(&socket_dir).unwrap();
    if root {
        run(
            {
                let mut chown = Command::new("chown");
                chown.args(["-R", "nobody"]).arg(&folder);
                chown
            },
            "chown the cluster's folder",
        );
    }
    let superuser = "stayaudit_test";
    let mut initdb = as_owner(root, &tool(&bin, "initdb"));
    initdb.arg("-D").arg(&data).args([
        "-U",
        superuser,
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    run(initdb, "initdb");
    // The password role must give its password; everyone else is trusted (on a socket
    // only this test can reach).
    std::fs::write(
        data.join("pg_hba.conf"),
        format!("local all {PASSWORD_ROLE} scram-sha-256\nlocal all all trust\n"),
    )
    .unwrap();
    let mut pg_ctl = as_owner(root, &tool(&bin, "pg_ctl"));
    pg_ctl
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(folder.join("server.log"))
        .arg("-o")
        .arg(format!(
            "-c listen_addresses='' -k {} -c fsync=off -c max_connections=60",
            socket_dir.display()
        ))
        .args(["-w", "start"]);
    run(pg_ctl, "pg_ctl start");
    // The watchdog outlives nothing: when this test process is gone, it stops the
    // server at once and removes the folder.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {owner}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {folder}",
        pid = std::process::id(),
        owner = if root { "runuser -u nobody -- " } else { "" },
        pg_ctl = tool(&bin, "pg_ctl"),
        data = data.display(),
        folder = folder.display(),
    );
    #[allow(clippy::zombie_processes)] // it must outlive this process: never waited for
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the cluster's watchdog");
    Cluster {
        socket_dir,
        superuser: superuser.to_string(),
    }
}
