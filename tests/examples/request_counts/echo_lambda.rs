//! A Lambda Invoke API in process that answers every function with its payload: enough for
//! the engine's Lambda client to make real HTTP calls that the counter sees, without
//! building and running function binaries.

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Serves `POST /2015-03-31/functions/{name}/invocations` on a free loopback port until the
/// process ends; its endpoint URL.
pub async fn serve() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the echo Lambda API")?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Err(e) = answer(stream).await {
                    eprintln!("echo Lambda API: {e:#}");
                }
            });
        }
    });
    Ok(endpoint)
}

/// Answers the requests of one connection (the SDK keeps connections alive).
async fn answer(stream: TcpStream) -> anyhow::Result<()> {
    let mut stream = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut request_line = String::new();
        if stream.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        loop {
            let mut header = String::new();
            stream.read_line(&mut header).await?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().context("content-length")?;
                }
            }
        }
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await?;
        let (status, body) = match request_line.contains("/invocations") {
            true => ("200 OK", body),
            false => ("404 Not Found", b"{}".to_vec()),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-amz-executed-version: $LATEST\r\n\r\n",
            body.len()
        );
        let stream = stream.get_mut();
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
    }
}
