//! The language server's stdio transport: `Content-Length` framed JSON-RPC on
//! standard input and output. Unlike `lsp_server::Connection::stdio`, a message
//! that is not valid JSON-RPC does not end the connection: it is answered with a
//! parse error (JSON-RPC's -32700) and the server keeps serving.

use std::io::{BufRead, Read, Write};
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use lsp_server::{Connection, Message, RequestId, Response};

/// A connection over stdin and stdout, and the threads that carry it.
pub fn stdio() -> (Connection, Threads) {
    let (writer_tx, writer_rx) = bounded::<Message>(0);
    let writer = thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for msg in writer_rx {
                if write_frame(&mut out, &msg).is_err() {
                    break;
                }
            }
        })
        .expect("a thread");
    let (reader_tx, reader_rx) = unbounded::<Message>();
    let replies = writer_tx.clone();
    let reader = thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            read_loop(&mut stdin.lock(), &reader_tx, &replies);
        })
        .expect("a thread");
    (Connection { sender: writer_tx, receiver: reader_rx }, Threads { reader, writer })
}

/// The reader and writer threads.
pub struct Threads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<()>,
}

impl Threads {
    /// Waits for both threads to end (the writer when the connection is dropped).
    pub fn join(self) {
        let _ = self.writer.join();
        // The reader ends at the end of its input; after `exit` nobody waits for it.
        drop(self.reader);
    }
}

/// Reads framed messages until the input ends or `exit` arrives. A body that is
/// not a JSON-RPC message is answered with a parse error.
pub fn read_loop(input: &mut dyn BufRead, to_server: &Sender<Message>, replies: &Sender<Message>) {
    loop {
        let body = match read_frame(input) {
            Ok(Some(body)) => body,
            Ok(None) => return,
            Err(Frame::Bad(why)) => {
                let _ = replies.send(parse_error(&why));
                continue;
            }
            Err(Frame::Io) => return,
        };
        match message(body) {
            Ok(msg) => {
                let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                if to_server.send(msg).is_err() || exit {
                    return;
                }
            }
            Err(e) => {
                let _ = replies.send(parse_error(&format!("not a JSON-RPC message: {e}")));
            }
        }
    }
}

/// A JSON-RPC message from a frame's body. A notification is read into its
/// parts, its params parsed once from the body: `Message`'s own reading (an
/// untagged enum) buffers the whole body once more and copies every string
/// from there, and each `didChange` of a client that sends whole buffers
/// carries a file's text. Everything else (and a notification that does not
/// read as one: a key given twice) is read as `Message` reads it.
fn message(body: Vec<u8>) -> Result<Message, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Note {
        method: String,
        #[serde(default)]
        params: serde_json::Value,
        /// A request's (a null id makes a notification, as for `Message`).
        #[serde(default)]
        id: Option<serde::de::IgnoredAny>,
    }
    if let Ok(Note { method, params, id: None }) = serde_json::from_slice::<Note>(&body) {
        drop(body);
        return Ok(Message::Notification(lsp_server::Notification { method, params }));
    }
    serde_json::from_slice(&body)
}

/// The id of a reply to a message that could not be read: JSON-RPC answers it
/// with a null id, which `lsp_server`'s ids cannot hold; [`write_frame`]
/// writes this one as `null` (0 would be the reply to a request 0, such as a
/// client's `initialize`).
pub const NULL_ID: &str = "\u{0}null";

fn parse_error(why: &str) -> Message {
    let id = RequestId::from(NULL_ID.to_string());
    Message::Response(Response::new_err(id, lsp_server::ErrorCode::ParseError as i32, why.to_string()))
}

enum Frame {
    /// A frame that cannot be read; the stream goes on after it.
    Bad(String),
    /// The input failed.
    Io,
}

/// One frame's body; `None` at the end of the input.
fn read_frame(input: &mut dyn BufRead) -> Result<Option<Vec<u8>>, Frame> {
    let mut size: Option<usize> = None;
    // The length of a body too large to take, which is read past.
    let mut skip: Option<u64> = None;
    let mut line = Vec::new();
    let mut bad: Option<String> = None;
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(_) => return Err(Frame::Io),
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if size.is_some() || bad.is_some() || skip.is_some() {
                break;
            }
            continue; // blank lines between frames
        }
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) if n <= MAX_MESSAGE => size = Some(n),
                    Ok(n) => {
                        bad = Some(format!("a message of {n} bytes is over the limit of {MAX_MESSAGE}"));
                        skip = Some(n as u64);
                    }
                    Err(_) => bad = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some(_) => {}
            None => bad = Some(format!("malformed header `{text}`")),
        }
    }
    if let Some(n) = skip {
        let skipped = std::io::copy(&mut Read::take(&mut *input, n), &mut std::io::sink()).map_err(|_| Frame::Io)?;
        return if skipped < n { Err(Frame::Io) } else { Err(Frame::Bad(bad.unwrap_or_default())) };
    }
    let Some(size) = size else { return Err(Frame::Bad(bad.unwrap_or_else(|| "no Content-Length".into()))) };
    let mut body = vec![0u8; size];
    input.read_exact(&mut body).map_err(|_| Frame::Io)?;
    match bad {
        Some(why) => Err(Frame::Bad(why)),
        None => Ok(Some(body)),
    }
}

/// Messages over this size are refused (a project's largest file is 32 MiB).
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// For tests: a reader over bytes, and the messages it produced.
pub fn read_all(bytes: &[u8]) -> (Vec<Message>, Vec<Message>) {
    let (tx, rx): (Sender<Message>, Receiver<Message>) = unbounded();
    let (rtx, rrx): (Sender<Message>, Receiver<Message>) = unbounded();
    read_loop(&mut std::io::Cursor::new(bytes), &tx, &rtx);
    drop((tx, rtx));
    (rx.iter().collect(), rrx.iter().collect())
}

/// A notification whose params are written already: a JSON-RPC message's
/// params are an object or an array, never a string, so a notification with a
/// string for params carries them as JSON text, which [`write_frame`] writes as
/// it is. A list of 1,000 diagnostics as `serde_json::Value` is a tree of
/// 20,000 allocations and about 4 MB; as text, 0.4 MB.
pub fn raw_notification(method: &str, params: &impl serde::Serialize) -> Message {
    let text = serde_json::to_string(params).expect("LSP types serialize");
    Message::Notification(lsp_server::Notification {
        method: method.to_string(),
        params: serde_json::Value::String(text),
    })
}

/// A notification from [`raw_notification`] with its params read back
/// (any other message as it is): what a client reads from the frame.
pub fn read_back(msg: Message) -> Message {
    match msg {
        Message::Notification(lsp_server::Notification { method, params: serde_json::Value::String(text) }) => {
            let params = serde_json::from_str(&text).expect("params written as JSON");
            Message::Notification(lsp_server::Notification { method, params })
        }
        other => other,
    }
}

/// Writes a framed message.
pub fn write_frame(out: &mut impl Write, msg: &Message) -> std::io::Result<()> {
    match msg {
        Message::Notification(n) if let serde_json::Value::String(params) = &n.params => {
            let method = serde_json::to_string(&n.method)?;
            let body = format!("{{\"jsonrpc\":\"2.0\",\"method\":{method},\"params\":{params}}}");
            write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
            out.flush()
        }
        Message::Response(r) if r.id == RequestId::from(NULL_ID.to_string()) => {
            let error =
                r.response_result.as_ref().err().map(|e| serde_json::json!({"code": e.code, "message": e.message}));
            let body = serde_json::json!({"jsonrpc": "2.0", "id": null, "error": error}).to_string();
            write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
            out.flush()
        }
        _ => msg.write(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_frames_are_answered_and_skipped() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: 7\r\n\r\nnot js\nContent-Length: {}\r\n\r\n{good}Content-Length: x\r\n\r\nContent-Length: {}\r\n\r\n{good}",
            good.len(),
            good.len()
        );
        let (messages, replies) = read_all(input.as_bytes());
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert_eq!(replies.len(), 2, "{replies:?}");
        // A parse error's reply has a null id.
        let mut out = Vec::new();
        write_frame(&mut out, &replies[0]).unwrap();
        let out = String::from_utf8(out).unwrap();
        let body: serde_json::Value = serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["id"], serde_json::Value::Null, "{out}");
        assert_eq!(body["error"]["code"], -32700, "{out}");
    }

    /// Notifications are taken apart by hand; every message reads as
    /// `Message`'s own reading reads it.
    #[test]
    fn messages_read_as_lsp_server_reads_them() {
        let bodies = [
            r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"contentChanges":[{"text":"a\nb"}]}}"#,
            r#"{"jsonrpc":"2.0","method":"initialized"}"#,
            r#"{"jsonrpc":"2.0","method":"exit","params":null}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"odd","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#,
            r#"{"jsonrpc":"2.0","id":"a","method":"textDocument/hover","params":{"x":[1,2]}}"#,
            r#"{"jsonrpc":"2.0","id":7,"result":null}"#,
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"no"}}"#,
        ];
        for body in bodies {
            let ours = message(body.as_bytes().to_vec()).expect(body);
            let theirs: Message = serde_json::from_str(body).expect(body);
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "{body}");
        }
        let odd = [
            r#"{"jsonrpc":"2.0","method":3}"#,
            "[1]",
            "{",
            r#"{"method":"m"} x"#,
            r#"{"jsonrpc":"2.0","method":"a","method":"b"}"#,
            r#"{"jsonrpc":"2.0","method":"a","params":1,"params":2}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"m"}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#,
            r#"{"jsonrpc":"2.0","method":"m","result":1}"#,
            r#"{"jsonrpc":"2.0","method":"m","params":[1,2],"foo":1}"#,
        ];
        for body in odd {
            let ours = message(body.as_bytes().to_vec()).map(|m| format!("{m:?}")).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<Message>(body).map(|m| format!("{m:?}")).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{body}");
        }
    }

    /// A notification with its params written as JSON text is framed as the
    /// same notification with its params as a value, and read back as it.
    #[test]
    fn params_written_as_text_frame_as_the_value_would() {
        let params = serde_json::json!({
            "uri": "file:///p/users/a%20b.yaml",
            "diagnostics": [{"range": {"start": {"line": 0, "character": 2}, "end": {"line": 0, "character": 9}},
                "severity": 1, "code": "G001", "message": "user `d\u{e9}\"v\\d`\nhelp: add them"}],
        });
        let method = "textDocument/publishDiagnostics";
        let raw = raw_notification(method, &params);
        let value = Message::Notification(lsp_server::Notification::new(method.to_string(), params.clone()));
        let frame = |m: &Message| {
            let mut out = Vec::new();
            write_frame(&mut out, m).unwrap();
            String::from_utf8(out).unwrap()
        };
        let (ours, theirs) = (frame(&raw), frame(&value));
        let body = |f: &str| -> serde_json::Value {
            let (head, body) = f.split_once("\r\n\r\n").unwrap();
            assert_eq!(head, format!("Content-Length: {}", body.len()));
            serde_json::from_str(body).unwrap()
        };
        assert_eq!(body(&ours), body(&theirs), "{ours}");
        let (read, _) = read_all(ours.as_bytes());
        assert_eq!(format!("{read:?}"), format!("{:?}", [read_back(raw)]));
        assert_eq!(format!("{read:?}"), format!("{:?}", [value]));
    }

    #[test]
    fn a_message_over_the_limit_is_read_past() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let big = "x".repeat(MAX_MESSAGE + 1);
        let input = format!("Content-Length: {}\r\n\r\n{big}Content-Length: {}\r\n\r\n{good}", big.len(), good.len());
        let (messages, replies) = read_all(input.as_bytes());
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert_eq!(replies.len(), 1);
    }
}
