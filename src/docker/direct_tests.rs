//! Tests of `direct`: the page fetch against tiny local servers, the
//! auth header, query encoding and the progress lines.

use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
    assert_eq!(page_url(80, "index.html"), "http://127.0.0.1:80/index.html");
    assert_eq!(page_url(80, "/a b/ü"), "http://127.0.0.1:80/a%20b/%C3%BC");
    assert_eq!(page_url(80, "/?q=1"), "http://127.0.0.1:80/?q=1");
}

#[test]
fn auth_header_is_url_safe_base64_json() {
    // A password whose JSON encoding yields '+' and '/' in standard base64.
    let creds = Credentials::password("student", "??>>??~~");
    let header = registry_auth_header(Some(&creds), "127.0.0.1:5000");
    assert!(!header.contains('+') && !header.contains('/'), "{header}");
    let decoded = base64::engine::general_purpose::URL_SAFE
        .decode(&header)
        .expect("url-safe base64");
    let v: serde_json::Value = serde_json::from_slice(&decoded).expect("json");
    assert_eq!(v["username"], "student");
    assert_eq!(v["password"], "??>>??~~");
    assert_eq!(v["serveraddress"], "127.0.0.1:5000");
    let anonymous = registry_auth_header(None, "x");
    assert_eq!(anonymous, "e30=");
}

#[test]
fn query_values_are_encoded() {
    assert_eq!(query_value("127.0.0.1:5000/a/b"), "127.0.0.1:5000/a/b");
    assert_eq!(query_value("a b&c"), "a%20b%26c");
}

#[test]
fn json_lines_parse_with_ids_and_errors() {
    let mut seen = Vec::new();
    let mut collect = |m: JsonMessage| {
        seen.push(m);
        Ok(())
    };
    handle_line(
        br#"{"status":"Pushing","progressDetail":{"current":512,"total":1024},"id":"a1b2c3d4e5f6"}"#,
        &mut collect,
    )
    .expect("ok");
    handle_line(
        br#"{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized: authentication required"}"#,
        &mut collect,
    )
    .expect("ok");
    handle_line(b"not json", &mut collect).expect("ok");
    assert_eq!(seen[0].id.as_deref(), Some("a1b2c3d4e5f6"));
    assert_eq!(
        seen[0].progress_detail.as_ref().and_then(|p| p.total),
        Some(1024)
    );
    assert_eq!(
        seen[1].error_text().as_deref(),
        Some("unauthorized: authentication required")
    );
    assert_eq!(seen[2].status.as_deref(), Some("not json"));
}
