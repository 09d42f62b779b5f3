//! An input `db:SQL`: the query's rows as CSV text (`COPY (SQL) TO STDOUT (FORMAT csv,
//! HEADER)`), a stream like standard input's, for the same reader as a CSV file. A
//! name without a space (`db:crossings`) is a table: all of its rows.
//!
//! The client is not `Send` with its reader borrowed, so a thread owns both and hands
//! the bytes over a channel; an error on the way (the connection lost mid-stream, the
//! server's error) is the stream's read error, which fails the run naming the input.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver};

use anyhow::{anyhow, Result};

use crate::database::{describe, for_run};

/// The COPY statement that streams `query` (a table's name, or a query) as CSV.
pub fn copy_statement(query: &str) -> String {
    let query = query.trim().trim_end_matches(';').trim();
    if query.contains(char::is_whitespace) {
        format!("COPY ({query}) TO STDOUT (FORMAT csv, HEADER)")
    } else {
        format!("COPY (SELECT * FROM {query}) TO STDOUT (FORMAT csv, HEADER)")
    }
}

/// Starts streaming `query`'s rows; fails at once when the database cannot be reached
/// or refuses the query.
pub fn query_stream(label: &str, query: &str) -> Result<Box<dyn Read + Send>> {
    let database = for_run()?;
    let mut client = database.connect()?;
    let statement = copy_statement(query);
    let (started_send, started) = sync_channel::<std::result::Result<(), String>>(1);
    let (chunks_send, chunks) = sync_channel::<io::Result<Vec<u8>>>(16);
    std::thread::Builder::new()
        .name("db-copy-out".into())
        .spawn(move || {
            let mut reader = match client.copy_out(statement.as_str()) {
                Ok(reader) => {
                    let _ = started_send.send(Ok(()));
                    reader
                }
                Err(error) => {
                    let _ = started_send.send(Err(describe(&error)));
                    return;
                }
            };
            loop {
                let mut buffer = vec![0; 1 << 16];
                match reader.read(&mut buffer) {
                    Ok(0) => return,
                    Ok(read) => {
                        buffer.truncate(read);
                        if chunks_send.send(Ok(buffer)).is_err() {
                            return; // the reader stopped listening
                        }
                    }
                    Err(error) => {
                        // The client's error inside: the server's own words, if it sent any.
                        let words = match error
                            .get_ref()
                            .and_then(|inner| inner.downcast_ref::<postgres::Error>())
                        {
                            Some(error) => describe(error),
                            None => error.to_string(),
                        };
                        let _ = chunks_send.send(Err(io::Error::other(format!(
                            "{words} (the database stopped sending the rows)"
                        ))));
                        return;
                    }
                }
            }
        })?;
    match started.recv() {
        Ok(Ok(())) => Ok(Box::new(ChannelReader {
            chunks,
            current: Vec::new(),
            at: 0,
        })),
        Ok(Err(message)) => Err(anyhow!("{label}: {message}")),
        Err(_) => Err(anyhow!("{label}: the query stopped before it began")),
    }
}

/// The bytes a thread sends, as a `Read`.
struct ChannelReader {
    chunks: Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            match self.chunks.recv() {
                Ok(chunk) => {
                    self.current = chunk?;
                    self.at = 0;
                }
                Err(_) => return Ok(0), // the thread is done: the end
            }
        }
        let count = out.len().min(self.current.len() - self.at);
        out[..count].copy_from_slice(&self.current[self.at..self.at + count]);
        self.at += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_or_a_query_becomes_one_copy_statement() {
        assert_eq!(
            copy_statement("crossings"),
            "COPY (SELECT * FROM crossings) TO STDOUT (FORMAT csv, HEADER)"
        );
        assert_eq!(
            copy_statement(" SELECT a FROM b WHERE c;\n"),
            "COPY (SELECT a FROM b WHERE c) TO STDOUT (FORMAT csv, HEADER)"
        );
    }
}
