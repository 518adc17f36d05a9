//! A unix-socket proxy the test owns, between layerlab and the Docker daemon,
//! so a test can make "the daemon" vanish and come back without ever touching
//! the real one. `stop()` closes the listening socket and every proxied
//! connection (as a dying daemon would); `restart()` listens again on the
//! same path; `pause()` holds all traffic (a daemon that hangs) until
//! `resume()`. The request lines that went through are recorded, so a test can
//! wait until, say, a build has reached the daemon before cutting it off.

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct SocketProxy {
    pub path: PathBuf,
    target: PathBuf,
    /// Each connection waits this long before it is proxied (a slow daemon).
    delay: Duration,
    paused: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    running: Option<Running>,
}

struct Running {
    stop: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<UnixStream>>>,
    accept: JoinHandle<()>,
}

/// The daemon's socket: DOCKER_HOST when it is a unix socket, else the default.
pub fn daemon_socket() -> PathBuf {
    // A test that talks to the daemon through a proxy is a Docker test too.
    super::skip::uses_docker();
    std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"))
}

impl SocketProxy {
    /// Listen on `DIR/proxy.sock`, forwarding to the daemon's socket.
    pub fn start(dir: &Path) -> SocketProxy {
        SocketProxy::start_with_delay(dir, Duration::ZERO)
    }

    pub fn start_with_delay(dir: &Path, delay: Duration) -> SocketProxy {
        let mut proxy = SocketProxy {
            path: dir.join("proxy.sock"),
            target: daemon_socket(),
            delay,
            paused: Arc::new(AtomicBool::new(false)),
            requests: Arc::new(Mutex::new(Vec::new())),
            running: None,
        };
        proxy.restart();
        proxy
    }

    /// `unix://PATH`, for DOCKER_HOST.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// Hold every byte in both directions, on open connections too.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }

    pub fn stop(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        running.stop.store(true, Ordering::SeqCst);
        let _ = running.accept.join();
        let _ = std::fs::remove_file(&self.path);
        for stream in running.connections.lock().expect("proxy lock").drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Listen again (after `stop`, or the first time).
    pub fn restart(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path)
            .unwrap_or_else(|e| panic!("proxy cannot listen on {}: {e}", self.path.display()));
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (target, delay, paused) = (self.target.clone(), self.delay, self.paused.clone());
        let requests = self.requests.clone();
        let accept = {
            let (stop, connections) = (stop.clone(), connections.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            forward(
                                client,
                                &target,
                                delay,
                                &connections,
                                &stop,
                                &paused,
                                &requests,
                            );
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        self.running = Some(Running {
            stop,
            connections,
            accept,
        });
    }
}

fn forward(
    client: UnixStream,
    target: &Path,
    delay: Duration,
    connections: &Arc<Mutex<Vec<UnixStream>>>,
    stop: &Arc<AtomicBool>,
    paused: &Arc<AtomicBool>,
    requests: &Arc<Mutex<Vec<String>>>,
) {
    let requests = requests.clone();
    let (target, connections) = (target.to_path_buf(), connections.clone());
    let (stop, paused) = (stop.clone(), paused.clone());
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        if stop.load(Ordering::SeqCst) || client.set_nonblocking(false).is_err() {
            return;
        }
        let Ok(daemon) = UnixStream::connect(&target) else {
            return;
        };
        let (Ok(client_read), Ok(daemon_read)) = (client.try_clone(), daemon.try_clone()) else {
            return;
        };
        if let Ok(mut list) = connections.lock() {
            for s in [&client, &daemon] {
                if let Ok(clone) = s.try_clone() {
                    list.push(clone);
                }
            }
        }
        let pump =
            |mut from: UnixStream, mut to: UnixStream, seen: Option<Arc<Mutex<Vec<String>>>>| {
                let (stop, paused) = (stop.clone(), paused.clone());
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n @ 1..) = from.read(&mut buf) {
                        if let Some(seen) = &seen {
                            record_request_line(&buf[..n], seen);
                        }
                        while paused.load(Ordering::SeqCst) && !stop.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(std::net::Shutdown::Write);
                })
            };
        let up = pump(client_read, daemon, Some(requests));
        let down = pump(daemon_read, client, None);
        let _ = up.join();
        let _ = down.join();
    });
}

impl SocketProxy {
    /// The request lines (`POST /v1.41/build?... HTTP/1.1`) seen so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Bounded wait until a request line containing `needle` went through.
    pub fn wait_for_request(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if self.requests().iter().any(|r| r.contains(needle)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

/// Record the first line of a chunk that starts an HTTP request.
fn record_request_line(chunk: &[u8], requests: &Mutex<Vec<String>>) {
    const METHODS: &[&str] = &["GET ", "POST ", "PUT ", "DELETE ", "HEAD "];
    let head = &chunk[..chunk.len().min(512)];
    let Ok(text) =
        std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
    else {
        return;
    };
    if METHODS.iter().any(|m| text.starts_with(m))
        && let Some(line) = text.lines().next()
        && let Ok(mut seen) = requests.lock()
    {
        seen.push(line.to_string());
    }
}

impl Drop for SocketProxy {
    fn drop(&mut self) {
        self.stop();
    }
}
