//! A small, bounded HTTP/1.1 client on tokio streams. Two uses:
//! `http_get` checks what a learner's container serves on 127.0.0.1, and
//! the push request to the daemon, whose per-layer ids bollard's push type
//! drops. Everything is capped: header size, body size, time, retries.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::time::Instant;

use crate::docker::error::DockerError;
use crate::docker::model::HttpResponse;

/// Bodies above this are cut (a lesson page is a few KiB).
pub const MAX_BODY: usize = 1024 * 1024;
const MAX_HEADER_LINE: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;
/// Bounded retry while a freshly started server comes up.
const MAX_ATTEMPTS: u32 = 40;
const RETRY_PAUSE: Duration = Duration::from_millis(250);

#[derive(Debug)]
pub(crate) struct ResponseHead {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

enum BodyKind {
    Length(u64),
    Chunked,
    UntilClose,
}

/// Reads a response body incrementally (chunked, sized, or until close).
pub(crate) struct BodyReader<S> {
    reader: BufReader<S>,
    kind: BodyKind,
    remaining_in_chunk: u64,
    done: bool,
}

fn invalid(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> std::io::Result<String> {
    let mut line = Vec::new();
    let n = (&mut *reader)
        .take(MAX_HEADER_LINE as u64)
        .read_until(b'\n', &mut line)
        .await?;
    if n == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection without answering",
        ));
    }
    if !line.ends_with(b"\n") {
        return Err(invalid("response header line too long"));
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

/// Send a request and read the status line and headers.
pub(crate) async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    method: &str,
    target: &str,
    host: &str,
    extra_headers: &[(&str, &str)],
) -> std::io::Result<(ResponseHead, BodyReader<S>)> {
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: layerlab\r\nAccept: */*\r\nConnection: close\r\n"
    );
    for (k, v) in extra_headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    if method != "GET" {
        request.push_str("Content-Length: 0\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;

    let mut reader = BufReader::new(stream);
    let status_line = read_line(&mut reader).await?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(invalid(format!(
            "not an HTTP/1.x response: {status_line:?}"
        )));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut reader).await?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(invalid("too many response headers"));
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let head = ResponseHead { status, headers };
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let kind = if chunked {
        BodyKind::Chunked
    } else if let Some(len) = head.header("content-length").and_then(|v| v.parse().ok()) {
        BodyKind::Length(len)
    } else if status == 204 || status == 304 || method == "HEAD" {
        BodyKind::Length(0)
    } else {
        BodyKind::UntilClose
    };
    Ok((
        head,
        BodyReader {
            reader,
            kind,
            remaining_in_chunk: 0,
            done: false,
        },
    ))
}

impl<S: AsyncRead + Unpin> BodyReader<S> {
    /// The next piece of body, `None` at the end.
    pub(crate) async fn next_chunk(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        let mut buf = vec![0u8; 16 * 1024];
        match self.kind {
            BodyKind::Length(ref mut left) => {
                if *left == 0 {
                    self.done = true;
                    return Ok(None);
                }
                let want = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                let n = self.reader.read(&mut buf[..want]).await?;
                if n == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the body ended early",
                    ));
                }
                *left -= n as u64;
                buf.truncate(n);
                Ok(Some(buf))
            }
            BodyKind::UntilClose => {
                let n = self.reader.read(&mut buf).await?;
                if n == 0 {
                    self.done = true;
                    return Ok(None);
                }
                buf.truncate(n);
                Ok(Some(buf))
            }
            BodyKind::Chunked => {
                if self.remaining_in_chunk == 0 {
                    let size_line = read_line(&mut self.reader).await?;
                    let size_hex = size_line.split(';').next().unwrap_or("").trim();
                    let size = u64::from_str_radix(size_hex, 16)
                        .map_err(|_| invalid(format!("bad chunk size {size_line:?}")))?;
                    if size == 0 {
                        // Trailers until the empty line; tolerate a bare close.
                        while let Ok(line) = read_line(&mut self.reader).await {
                            if line.is_empty() {
                                break;
                            }
                        }
                        self.done = true;
                        return Ok(None);
                    }
                    self.remaining_in_chunk = size;
                }
                let want = buf
                    .len()
                    .min(usize::try_from(self.remaining_in_chunk).unwrap_or(usize::MAX));
                let n = self.reader.read(&mut buf[..want]).await?;
                if n == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the body ended inside a chunk",
                    ));
                }
                self.remaining_in_chunk -= n as u64;
                if self.remaining_in_chunk == 0 {
                    let crlf = read_line(&mut self.reader).await?;
                    if !crlf.is_empty() {
                        return Err(invalid("missing CRLF after a chunk"));
                    }
                }
                buf.truncate(n);
                Ok(Some(buf))
            }
        }
    }

    /// Read the body up to `cap` bytes; returns (body, truncated).
    pub(crate) async fn read_capped(&mut self, cap: usize) -> std::io::Result<(Vec<u8>, bool)> {
        let mut body = Vec::new();
        while let Some(chunk) = self.next_chunk().await? {
            let room = cap - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                return Ok((body, true));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, false))
    }
}

/// Encode a path for the request line: keep what is safe, escape the rest.
fn encode_path(path: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let safe = b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@?%".contains(&b);
        if safe {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// GET `http://127.0.0.1:PORT/PATH`. Retries (at most 40 times, never past
/// `timeout` in total) while nothing answers yet: connection refused or
/// reset, or closed without a response (docker-proxy accepts before the
/// server in the container is up). Any HTTP answer, even 404 or 500, is
/// returned as is. The body is capped at 1 MiB.
pub async fn http_get(
    port: u16,
    path: &str,
    timeout: Duration,
) -> Result<HttpResponse, DockerError> {
    let target = encode_path(path);
    let url = format!("http://127.0.0.1:{port}{target}");
    let deadline = Instant::now() + timeout;
    let mut last_error = String::from("no attempt made");
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            if Instant::now() + RETRY_PAUSE >= deadline {
                break;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        let once = async {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            let host = format!("127.0.0.1:{port}");
            let (head, mut body) = send(stream, "GET", &target, &host, &[]).await?;
            let (bytes, truncated) = body.read_capped(MAX_BODY).await?;
            Ok::<_, std::io::Error>(HttpResponse {
                status: head.status,
                headers: head.headers,
                body: bytes,
                truncated,
            })
        };
        match tokio::time::timeout_at(deadline, once).await {
            Err(_) => {
                last_error = format!("no answer within {:.1} s", timeout.as_secs_f64());
                break;
            }
            Ok(Ok(response)) => return Ok(response),
            Ok(Err(e)) => {
                let retryable = matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::BrokenPipe
                );
                last_error = e.to_string();
                if !retryable {
                    break;
                }
            }
        }
    }
    Err(DockerError::Http {
        url,
        message: last_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// Serve `responses` in turn, one per connection; `None` closes at once.
    async fn server(responses: Vec<Option<&'static [u8]>>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            for r in responses {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                if let Some(r) = r {
                    let _ = s.write_all(r).await;
                }
                let _ = s.shutdown().await;
            }
        });
        port
    }

    #[tokio::test]
    async fn reads_a_sized_response() {
        let port = server(vec![Some(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\n<h1>hi</h1>",
        )])
        .await;
        let r = http_get(port, "/", Duration::from_secs(5))
            .await
            .expect("ok");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Content-Type"), Some("text/html"));
        assert_eq!(r.body_text(), "<h1>hi</h1>");
        assert!(!r.truncated);
    }

    #[tokio::test]
    async fn decodes_chunked_bodies() {
        let port = server(vec![Some(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnot \r\n5\r\nfound\r\n0\r\n\r\n",
        )])
        .await;
        let r = http_get(port, "missing.html", Duration::from_secs(5))
            .await
            .expect("ok");
        assert_eq!(r.status, 404);
        assert_eq!(r.body_text(), "not found");
    }

    #[tokio::test]
    async fn retries_while_the_server_starts() {
        // Two connections closed without an answer (docker-proxy before
        // nginx is up), then the real answer.
        let port = server(vec![None, None, Some(b"HTTP/1.0 200 OK\r\n\r\nready")]).await;
        let r = http_get(port, "/", Duration::from_secs(5))
            .await
            .expect("ok");
        assert_eq!(r.body_text(), "ready");
    }

    #[tokio::test]
    async fn gives_up_within_the_timeout() {
        // Bind and drop: nothing listens on this port now.
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            l.local_addr().expect("addr").port()
        };
        let started = std::time::Instant::now();
        let err = http_get(port, "/", Duration::from_millis(800))
            .await
            .expect_err("nothing there");
        assert!(started.elapsed() < Duration::from_millis(1500));
        let text = err.to_string();
        assert!(text.contains(&format!("127.0.0.1:{port}/")), "{text}");
        assert!(text.to_lowercase().contains("refused"), "{text}");
    }

    #[tokio::test]
    async fn a_silent_server_hits_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let started = std::time::Instant::now();
        let err = http_get(port, "/", Duration::from_millis(500))
            .await
            .expect_err("silent");
        holder.abort();
        assert!(started.elapsed() < Duration::from_millis(1200));
        assert!(err.to_string().contains("no answer"), "{err}");
    }

    #[tokio::test]
    async fn caps_the_body() {
        static BIG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let big = BIG.get_or_init(|| {
            let mut v = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
            v.extend(std::iter::repeat_n(b'x', MAX_BODY + 100));
            v
        });
        let port = server(vec![Some(big.as_slice())]).await;
        let r = http_get(port, "/", Duration::from_secs(5))
            .await
            .expect("ok");
        assert_eq!(r.body.len(), MAX_BODY);
        assert!(r.truncated);
    }

    #[test]
    fn paths_are_encoded() {
        assert_eq!(encode_path("index.html"), "/index.html");
        assert_eq!(encode_path("/a b/ü"), "/a%20b/%C3%BC");
        assert_eq!(encode_path("/?q=1"), "/?q=1");
    }
}
