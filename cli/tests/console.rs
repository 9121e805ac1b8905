//! The console served by `stepwise serve`: the real binary on a free port and a fresh
//! database, its files fetched over raw HTTP, and the page driven in headless Chromium
//! by `console/tests/e2e.mjs` (playwright-core, installed by `console/tests/setup.sh`).
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A folder for one test's database, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "stepwise-console-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `stepwise serve` child on a free port; killed when dropped.
struct Server {
    child: Child,
    address: String,
    _dir: TempDir,
}

impl Server {
    fn start(label: &str) -> Self {
        let dir = TempDir::new(label);
        let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
            .args(["serve", "--port", "0", "--db"])
            .arg(dir.0.join("stepwise.db"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn stepwise serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the first line");
        let address = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        // Keep draining stdout so that the child never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Self {
            child,
            address,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// One HTTP/1.1 request; the whole response as text (head and body).
    fn request(&self, method: &str, path: &str, headers: &[&str], body: &str) -> String {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for header in headers {
            request.push_str(header);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

fn status_line(response: &str) -> &str {
    response.lines().next().unwrap_or_default()
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

#[test]
fn serves_the_console_files_with_get_beside_the_api() {
    let server = Server::start("files");
    let console = repository().join("console");

    let root = server.request("GET", "/", &[], "");
    assert_eq!(status_line(&root), "HTTP/1.1 303 See Other", "{root}");
    assert!(root.contains("\r\nlocation: /console/\r\n"), "{root}");

    let index = server.request("GET", "/console/", &[], "");
    assert_eq!(status_line(&index), "HTTP/1.1 200 OK", "{index}");
    assert!(
        index.contains("content-type: text/html; charset=utf-8"),
        "{index}"
    );
    let on_disk = std::fs::read_to_string(console.join("index.html")).expect("index.html");
    assert_eq!(body(&index), on_disk);

    for (name, content_type) in [
        ("app.js", "text/javascript"),
        ("graph.js", "text/javascript"),
        ("style.css", "text/css"),
        ("config.js", "text/javascript"),
    ] {
        let served = server.request("GET", &format!("/console/{name}"), &[], "");
        assert_eq!(status_line(&served), "HTTP/1.1 200 OK", "{name}: {served}");
        assert!(
            served.contains(&format!("content-type: {content_type}")),
            "{served}"
        );
        let on_disk = std::fs::read_to_string(console.join(name)).expect("console file");
        assert_eq!(body(&served), on_disk, "{name} as served");
    }

    let missing = server.request("GET", "/console/package.json", &[], "");
    assert_eq!(status_line(&missing), "HTTP/1.1 404 Not Found", "{missing}");
    assert_eq!(body(&missing), "no console file named 'package.json'\n");

    // The API at POST / is unchanged, and answers no other method there.
    let listed = server.request(
        "POST",
        "/",
        &[
            "Content-Type: application/x-amz-json-1.0",
            "X-Amz-Target: AWSStepFunctions.ListStateMachines",
        ],
        "{}",
    );
    assert_eq!(status_line(&listed), "HTTP/1.1 200 OK", "{listed}");
    assert_eq!(body(&listed), r#"{"stateMachines":[]}"#);
    let put = server.request("PUT", "/", &[], "{}");
    assert_eq!(
        status_line(&put),
        "HTTP/1.1 405 Method Not Allowed",
        "{put}"
    );
}

/// Whether node runs; else the reason, or a failure where the tools are required.
fn node_or_skip() -> bool {
    let node = Command::new("node").arg("--version").output();
    if node.is_ok_and(|out| out.status.success()) {
        return true;
    }
    assert!(
        std::env::var_os("STEPWISE_REQUIRE_EMULATOR").is_none(),
        "node is not installed"
    );
    eprintln!("skipped: node is not installed");
    false
}

#[test]
fn state_statuses_and_the_layout_pass_their_node_tests() {
    if !node_or_skip() {
        return;
    }
    let output = Command::new("node")
        .args(["--test", "console/tests/status.test.mjs"])
        .current_dir(repository())
        .output()
        .expect("run node --test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node --test failed\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The count, so a test file that stopped declaring tests would not pass silently.
    assert!(stdout.contains("# pass 8"), "{stdout}");
}

/// What the browser test needs, or why it cannot run here.
fn browser_tools(console: &Path) -> Result<(), String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|out| out.status.success()) {
        return Err("node is not installed".to_owned());
    }
    let chromium = std::env::var_os("CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Err(format!("{} is missing", Path::new(&chromium).display()));
    }
    if !console.join("node_modules/playwright-core").is_dir() {
        return Err("console/node_modules/playwright-core is missing".to_owned());
    }
    Ok(())
}

#[test]
fn the_page_shows_a_run_live_its_history_filters_and_a_failure() {
    let console = repository().join("console");
    if let Err(missing) = browser_tools(&console) {
        // scripts/test installs them (console/tests/setup.sh) and then requires them.
        assert!(
            std::env::var_os("STEPWISE_REQUIRE_EMULATOR").is_none(),
            "the console browser test cannot run: {missing}"
        );
        eprintln!(
            "skipped: {missing}; run console/tests/setup.sh to install the browser test's tools"
        );
        return;
    }
    let artefacts = std::env::var_os("STEPWISE_CONSOLE_ARTIFACTS").map_or_else(
        || repository().join("target/console-artifacts"),
        PathBuf::from,
    );
    const SHOTS: [&str; 6] = [
        "running.png",
        "succeeded.png",
        "failed.png",
        "shapes.png",
        "list-failed.png",
        "machine.png",
    ];
    // This run's screenshots, not an earlier run's.
    for shot in SHOTS {
        let _ = std::fs::remove_file(artefacts.join(shot));
    }
    let server = Server::start("browser");

    let started = Instant::now();
    let mut child = Command::new("node")
        .arg(console.join("tests/e2e.mjs"))
        .arg(server.url())
        .arg(&artefacts)
        .current_dir(&console)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
    // Read both pipes on threads, so a chatty child never blocks, and bound the wait.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = started + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    println!("{stdout}");
    let status = status.unwrap_or_else(|| panic!("e2e.mjs ran over 120 s\n{stdout}\n{stderr}"));
    assert!(
        status.success(),
        "e2e.mjs failed ({status})\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("console e2e: all checks passed"),
        "{stdout}"
    );
    for shot in SHOTS {
        let size = std::fs::metadata(artefacts.join(shot)).map_or(0, |m| m.len());
        assert!(size > 10_000, "{shot}: {size} bytes");
    }
    println!(
        "browser test {:.1} s, screenshots in {}",
        started.elapsed().as_secs_f64(),
        artefacts.display()
    );
}
