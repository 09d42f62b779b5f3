//! Test helper: `stayaudit serve` started on 127.0.0.1 port 0 in a work folder, a small
//! HTTP/1.1 client for it, and the process killed when the test is done with it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a test waits for the service to listen, load, or stop.
const PATIENCE: Duration = Duration::from_secs(60);

pub struct Server {
    child: Option<Child>,
    pub address: SocketAddr,
    /// Every stderr line so far.
    stderr: Arc<Mutex<Vec<String>>>,
}

/// One HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The JSON error's `code`.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {} {}", self.status, self.body))
            .to_string()
    }
}

impl Server {
    /// Starts `stayaudit serve ARGS --listen 127.0.0.1:0` in `dir` and waits until it
    /// listens (not until it is ready: see `wait_ready`).
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        Server::try_start(dir, args).unwrap_or_else(|(status, stderr)| {
            panic!("serve stopped before listening ({status:?}):\n{stderr}")
        })
    }

    /// As `start`, or the exit status and stderr of a service that stopped first.
    pub fn try_start(dir: &Path, args: &[&str]) -> Result<Server, (ExitStatus, String)> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stayaudit"));
        command.arg("serve").args(args);
        if !args.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        let mut child = command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run stayaudit serve");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let pipe = child.stderr.take().unwrap();
        let kept = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                kept.lock().unwrap().push(line);
            }
        });
        let started = Instant::now();
        let address = loop {
            let listening = stderr.lock().unwrap().iter().find_map(|line| {
                line.strip_prefix("stayaudit: listening on http://")
                    .map(|address| address.parse().expect("an address"))
            });
            if let Some(address) = listening {
                break address;
            }
            if let Some(status) = child.try_wait().unwrap() {
                // Let the reader thread take the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return Err((status, stderr.lock().unwrap().join("\n")));
            }
            assert!(started.elapsed() < PATIENCE, "serve did not listen in time");
            std::thread::sleep(Duration::from_millis(10));
        };
        Ok(Server {
            child: Some(child),
            address,
            stderr,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Everything the service wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Waits until /readyz says 200.
    pub fn wait_ready(&self) -> &Server {
        let started = Instant::now();
        while self.get("/readyz").status != 200 {
            assert!(
                started.elapsed() < PATIENCE,
                "not ready in time:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self
    }

    /// The Host header this service answers to.
    pub fn host(&self) -> String {
        self.address.to_string()
    }

    pub fn get(&self, target: &str) -> Reply {
        self.send("GET", target, &[])
    }

    /// One request on a connection of its own, with `headers` besides Host.
    pub fn send(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
        let mut head = format!("{method} {target} HTTP/1.1\r\n");
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            head.push_str(&format!("Host: {}\r\n", self.host()));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("Connection: close\r\n\r\n");
        self.raw(head.as_bytes())
    }

    /// Sends `bytes` as they are and reads the response to the end.
    pub fn raw(&self, bytes: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(self.address).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.write_all(bytes).expect("send");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .expect("read the response");
        parse_reply(&response)
    }

    /// Sends a signal (`TERM`, `HUP`, `INT`) to the service.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits for the service to end by itself, and gives its status and stderr.
    pub fn wait_exit(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.stderr());
            }
            if started.elapsed() > PATIENCE {
                let _ = child.kill();
                panic!("serve did not stop in time:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for a stderr line containing `text` (lines already read are looked at too).
    pub fn wait_for_line(&self, text: &str) {
        let started = Instant::now();
        while !self.stderr().contains(text) {
            assert!(
                started.elapsed() < PATIENCE,
                "no line saying {text:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A response read to the end of the connection: status line, headers, then a body of
/// Content-Length bytes.
pub fn parse_reply(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete response: {text:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// `text` as a query value (`%XX` for every byte but unreserved ones).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
