//! A small SMTP server inside the test process: it accepts messages like a mail server
//! does (a message counts once the server has answered 250 to its data), can hold a
//! message before that answer, and can be stopped and started again on the same port.
//! It refuses recipients named `nobody@…` for good (550).
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent (after dot-unstuffing).
    pub data: Vec<u8>,
}

impl Received {
    /// The message parsed.
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parsable message")
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    arrived: Notify,
    holding: Notify,
}

/// A running (or stopped) test SMTP server.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    hold: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl SmtpServer {
    /// Starts a server on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let mut server = Self {
            addr,
            shared: Arc::default(),
            hold: watch::channel(false).0,
            task: None,
        };
        server.serve(listener);
        server
    }

    /// A server that is down: its port refuses connections until [`SmtpServer::resume`].
    pub async fn down() -> Self {
        let mut server = Self::start().await;
        server.stop();
        server
    }

    fn serve(&mut self, listener: TcpListener) {
        let (shared, hold) = (self.shared.clone(), self.hold.subscribe());
        self.task = Some(tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, shared.clone(), hold.clone()));
            }
        }));
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Stops listening: connections are refused from now on.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn resume(&mut self) {
        let listener = TcpListener::bind(self.addr).await.expect("rebind");
        self.serve(listener);
    }

    /// From now on, holds each message before answering its data, until released.
    pub fn hold(&self, on: bool) {
        self.hold.send_replace(on);
    }

    /// Waits until a message is being held.
    pub async fn until_holding(&self) {
        tokio::time::timeout(Duration::from_secs(30), self.shared.holding.notified())
            .await
            .expect("a message held within 30 s");
    }

    /// The messages accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// Waits until at least `n` messages were accepted, and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let wait = async {
            loop {
                let arrived = self.shared.arrived.notified();
                if self.received().len() >= n {
                    return self.received();
                }
                arrived.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("{n} messages within 30 s, got {}", self.received().len()))
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>, mut hold: watch::Receiver<bool>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut to = Vec::new();
    if writer.write_all(b"220 test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 test\r\n"
        } else if command.starts_with("MAIL FROM:") {
            to.clear();
            b"250 OK\r\n"
        } else if let Some(rest) = command.strip_prefix("RCPT TO:") {
            let address = rest.trim().trim_matches(['<', '>']).to_lowercase();
            if address.starts_with("nobody@") {
                b"550 no such user\r\n"
            } else {
                to.push(address);
                b"250 OK\r\n"
            }
        } else if command == "DATA" {
            if writer.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let Some(data) = read_data(&mut reader).await else {
                return;
            };
            if *hold.borrow_and_update() {
                shared.holding.notify_one();
                let mut probe = [0u8; 1];
                tokio::select! {
                    // The client went away before our answer: the message was not accepted.
                    _ = reader.read(&mut probe) => return,
                    _ = hold.wait_for(|on| !on) => {}
                }
            }
            if writer.write_all(b"250 OK queued\r\n").await.is_err() {
                return;
            }
            shared.received.lock().expect("lock").push(Received {
                to: std::mem::take(&mut to),
                data,
            });
            shared.arrived.notify_waiters();
            continue;
        } else if command == "QUIT" {
            let _ = writer.write_all(b"221 bye\r\n").await;
            return;
        } else if command == "RSET" || command == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        if writer.write_all(reply).await.is_err() {
            return;
        }
    }
}

async fn read_data(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        if line == b".\r\n" {
            return Some(data);
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}
