//! One request -> one response: the routes, who may ask, what a request may hold.
//!
//! | route | method | answer |
//! |---|---|---|
//! | `/api/check?person=ID[&on=DATE][&enter=DATE[&days=N]][&earliest=N]` | GET | `check --json`'s object, plus `served` |
//! | `/?person=ID&...` | GET | the page (`page`) |
//! | `/healthz` | GET | 200 while the process runs |
//! | `/readyz` | GET | 503 until the index is loaded, then 200 |
//! | `/-/reload` | POST | reads the inputs again; 200 with the new index, or 500 and why |
//!
//! Errors are JSON `{"error": {"code", "field", "message"}}` (the page shows them in
//! words): 400 a bad parameter, 401 no or a wrong token, 404 an unknown person or path,
//! 405 another method, 413 a body, 414 a URI over 8 KiB, 421 a Host this service is not,
//! 503 not ready, busy, or over time. Every response says `Cache-Control: no-store`, a
//! strict Content-Security-Policy and no CORS header: personal data stays out of caches
//! and other sites' pages.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};

use super::access::{utc_now, Lookup};
use super::page::{self, FormValues};
use super::{remote_text, Service, REQUEST_TIMEOUT};
use crate::day::parse_day;
use crate::spot_check::Question;

/// The longest request head (request line and headers) read.
pub const MAX_HEAD_BYTES: usize = 64 << 10;
/// The longest URI answered (414 beyond).
const MAX_URI_BYTES: usize = 8 << 10;
/// The longest request body accepted (413 beyond): no route takes one.
const MAX_BODY_BYTES: u64 = 1 << 10;

type Answer = Response<Full<Bytes>>;

/// A response with the headers every response carries.
fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Answer {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let set = |headers: &mut hyper::HeaderMap, name, value: &str| {
        headers.insert(name, HeaderValue::from_str(value).expect("a header value"));
    };
    set(headers, header::CONTENT_TYPE, content_type);
    set(headers, header::CACHE_CONTROL, "no-store");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        &content_security_policy(),
    );
    response
}

/// Nothing may load, run or frame the page but its own inline style sheet.
fn content_security_policy() -> String {
    use sha2::Digest;
    static POLICY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    POLICY
        .get_or_init(|| {
            let hash = sha2::Sha256::digest(page::STYLE.as_bytes());
            format!(
                "default-src 'none'; style-src 'sha256-{}'; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
                base64(&hash)
            )
        })
        .clone()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let bits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |bits, (i, &b)| bits | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The JSON error object's text.
pub fn error_body(code: &str, field: Option<&str>, message: &str) -> String {
    json!({"error": {"code": code, "field": field, "message": message}}).to_string()
}

fn error(status: StatusCode, code: &str, field: Option<&str>, message: &str) -> Answer {
    response(status, "application/json", error_body(code, field, message))
}

fn method_not_allowed(allowed: &str) -> Answer {
    let mut answer = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        None,
        &format!("this path takes {allowed}"),
    );
    answer.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_str(allowed).expect("a header value"),
    );
    answer
}

/// Answers one request, within [`REQUEST_TIMEOUT`].
pub async fn respond(
    service: &Arc<Service>,
    request: Request<Incoming>,
    remote: SocketAddr,
) -> Answer {
    match tokio::time::timeout(REQUEST_TIMEOUT, route(service, request, remote)).await {
        Ok(answer) => answer,
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            None,
            "the request took too long",
        ),
    }
}

async fn route(service: &Arc<Service>, request: Request<Incoming>, remote: SocketAddr) -> Answer {
    if request.uri().to_string().len() > MAX_URI_BYTES {
        return error(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            None,
            &format!("the request's URI is longer than {MAX_URI_BYTES} bytes"),
        );
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_lowercase);
    if !host.is_some_and(|host| service.hosts.contains(&host)) {
        // A page of another site, resolved to this address (DNS rebinding), or a name
        // this service does not answer to.
        return error(
            StatusCode::MISDIRECTED_REQUEST,
            "wrong_host",
            None,
            "this service does not answer to that Host (see --allow-host)",
        );
    }
    let declared_body = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(0);
    if declared_body > MAX_BODY_BYTES || request.headers().contains_key(header::TRANSFER_ENCODING) {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            None,
            "no route takes a request body",
        );
    }
    let path = request.uri().path().to_string();
    match (request.method(), path.as_str()) {
        (&Method::GET | &Method::HEAD, "/healthz") => {
            response(StatusCode::OK, "text/plain", "ok\n")
        }
        (&Method::GET | &Method::HEAD, "/readyz") => match service.served() {
            Some(_) => response(StatusCode::OK, "text/plain", "ready\n"),
            None => response(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "loading\n"),
        },
        (&Method::GET, "/api/check") => lookup(service, &request, remote, Kind::Api),
        (&Method::GET, "/") => lookup(service, &request, remote, Kind::Page),
        (&Method::POST, "/-/reload") => reload(service, &request).await,
        (_, "/healthz" | "/readyz" | "/api/check" | "/") => method_not_allowed("GET"),
        (_, "/-/reload") => method_not_allowed("POST"),
        _ => error(StatusCode::NOT_FOUND, "not_found", None, "no such path"),
    }
}

/// Who is asking: the token's holder (`local` without a token file), or a 401.
#[allow(clippy::result_large_err)] // the error is the response itself, made once
fn who(service: &Service, request: &Request<Incoming>) -> Result<String, Answer> {
    let Some(tokens) = service.tokens() else {
        return Ok("local".into());
    };
    let holder = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| tokens.authorized(value))
        .map(str::to_string);
    holder.ok_or_else(|| {
        let mut answer = error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            None,
            "an Authorization: Bearer TOKEN header with a token of --token-file is needed",
        );
        answer.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer, Basic realm=\"stayaudit\""),
        );
        answer
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Api,
    Page,
}

/// The query's parameters, decoded: each known one at most once.
fn parameters(query: &str) -> Result<Vec<(String, String)>, (String, String)> {
    const KNOWN: [&str; 5] = ["person", "on", "enter", "days", "earliest"];
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (decode(key)?, decode(value)?);
        if !KNOWN.contains(&key.as_str()) {
            return Err((
                key.clone(),
                format!("unknown parameter '{key}' (known: {})", KNOWN.join(", ")),
            ));
        }
        if out.iter().any(|(known, _)| *known == key) {
            return Err((key.clone(), format!("parameter '{key}' is given twice")));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// A form-encoded value: `+` is a space, `%XX` a byte; the result must be UTF-8.
fn decode(text: &str) -> Result<String, (String, String)> {
    let bad = || {
        (
            text.to_string(),
            format!("'{text}' is not a well-formed query value"),
        )
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).ok_or_else(bad)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// The question a query asks (`None` for the page's empty form), or the parameter at
/// fault and why.
fn question(query: &[(String, String)]) -> Result<Option<Question>, (String, String)> {
    let get = |key: &str| {
        query
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    };
    let day = |key: &str| {
        get(key)
            .map(|text| parse_day(text).map_err(|e| (key.to_string(), format!("{key}: {e}"))))
            .transpose()
    };
    let count = |key: &str| {
        get(key)
            .map(|text| {
                text.parse::<u32>().map_err(|_| {
                    (
                        key.to_string(),
                        format!("{key}: '{text}' is not a number of days"),
                    )
                })
            })
            .transpose()
    };
    let Some(person) = get("person") else {
        return Ok(None);
    };
    Ok(Some(Question {
        person: person.to_string(),
        on: day("on")?,
        enter: day("enter")?,
        days: count("days")?,
        earliest: count("earliest")?,
    }))
}

fn lookup(
    service: &Arc<Service>,
    request: &Request<Incoming>,
    remote: SocketAddr,
    kind: Kind,
) -> Answer {
    let started = Instant::now();
    let query = request.uri().query().unwrap_or("");
    let parsed = parameters(query);
    let person = parsed.as_ref().ok().and_then(|pairs| {
        pairs
            .iter()
            .find(|(key, _)| key == "person")
            .map(|(_, value)| value.clone())
    });
    let who = who(service, request);
    let (answer, holder) = match who {
        Err(unauthorized) => (unauthorized, None),
        Ok(holder) => (
            answer_for(service, parsed.as_deref(), kind, started),
            Some(holder),
        ),
    };
    // A lookup is recorded, whoever made it and however it ended; the page's empty
    // form is no lookup.
    if let (Some(log), Some(person)) = (&service.access_log, &person) {
        let mut parameters = Map::new();
        for (key, value) in parsed.iter().flatten().filter(|(key, _)| key != "person") {
            parameters.insert(key.clone(), Value::String(value.clone()));
        }
        log.record(&Lookup {
            time: utc_now(),
            who: holder.as_deref(),
            remote: remote_text(remote),
            path: request.uri().path(),
            person: Some(person),
            parameters,
            status: answer.status().as_u16(),
            query_ms: started.elapsed().as_secs_f64() * 1000.0,
        });
    }
    answer
}

fn answer_for(
    service: &Arc<Service>,
    parsed: Result<&[(String, String)], &(String, String)>,
    kind: Kind,
    started: Instant,
) -> Answer {
    let pairs = parsed.ok().unwrap_or(&[]);
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(known, _)| known == key)
            .map_or("", |(_, value)| value.as_str())
    };
    let form = FormValues {
        person: value("person"),
        on: value("on"),
        enter: value("enter"),
        days: value("days"),
        earliest: value("earliest"),
    };
    let refuse = |status: StatusCode, code: &str, field: Option<&str>, message: &str| match kind {
        Kind::Api => error(status, code, field, message),
        Kind::Page => {
            let html = page::page(&form, Some(Err(message)), "");
            response(status, "text/html; charset=utf-8", html)
        }
    };
    let question = match parsed.map_err(Clone::clone).and_then(question) {
        Err((field, message)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "bad_parameter",
                Some(&field),
                &message,
            )
        }
        Ok(None) if kind == Kind::Page => {
            let html = page::page(&form, None, &footer(service));
            return response(StatusCode::OK, "text/html; charset=utf-8", html);
        }
        Ok(None) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "bad_parameter",
                Some("person"),
                "person=ID is needed",
            )
        }
        Ok(Some(question)) => question,
    };
    let Some(served) = service.served() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "loading",
            None,
            "the index is still loading: try again in a moment (GET /readyz)",
        );
    };
    match served.index.answer(&question) {
        Err(refusal) => {
            let status = if refusal.is_unknown_person() {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            refuse(
                status,
                refusal.code(),
                refusal.field(),
                &refusal.to_string(),
            )
        }
        Ok(answer) => {
            let served_object = |query_ms: f64| {
                json!({
                    "export_last_day": answer.export_last_day(),
                    "inputs": served.inputs,
                    "loaded_at": served.loaded_at,
                    "load_seconds": served.load_seconds,
                    "query_ms": query_ms,
                })
            };
            match kind {
                Kind::Api => {
                    // `check --json`'s keys in its order, then `served`.
                    let mut text = serde_json::to_string(&answer).expect("an answer serializes");
                    let query_ms = started.elapsed().as_secs_f64() * 1000.0;
                    debug_assert!(text.ends_with('}'));
                    text.pop();
                    text.push_str(&format!(",\"served\":{}}}", served_object(query_ms)));
                    response(StatusCode::OK, "application/json", text)
                }
                Kind::Page => {
                    let mut object = serde_json::to_value(&answer).expect("an answer serializes");
                    object["served"] = served_object(started.elapsed().as_secs_f64() * 1000.0);
                    let html = page::page(&form, Some(Ok(&object)), &footer(service));
                    response(StatusCode::OK, "text/html; charset=utf-8", html)
                }
            }
        }
    }
}

/// The page's footer: what is being served.
fn footer(service: &Service) -> String {
    match service.served() {
        Some(served) => format!(
            "Index of {} loaded at {} ({:.1} s).",
            served.inputs.join(", "),
            served.loaded_at,
            served.load_seconds
        ),
        None => "The index is still loading.".to_string(),
    }
}

async fn reload(service: &Arc<Service>, request: &Request<Incoming>) -> Answer {
    if let Err(unauthorized) = who(service, request) {
        return unauthorized;
    }
    match service.reload().await {
        Ok(served) => response(
            StatusCode::OK,
            "application/json",
            json!({"reloaded": {
                "inputs": served.inputs,
                "loaded_at": served.loaded_at,
                "load_seconds": served.load_seconds,
            }})
            .to_string(),
        ),
        Err(why) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "reload_failed",
            None,
            &format!("{why:#}; the index loaded before is still served"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_and_refuse_what_they_do_not_know() {
        let pairs = parameters("person=%D0%98%D0%94-1&on=2024-03-31&days=").unwrap();
        assert_eq!(pairs[0], ("person".to_string(), "ИД-1".to_string()));
        let asked = question(&pairs).unwrap().unwrap();
        assert_eq!(asked.person, "ИД-1");
        assert_eq!(asked.on, Some(crate::day::days_from_civil(2024, 3, 31)));
        assert_eq!(asked.days, None);
        assert_eq!(parameters("person=a+b").unwrap()[0].1, "a b");
        assert_eq!(parameters("sort=x").unwrap_err().0, "sort");
        assert_eq!(parameters("on=1&on=2").unwrap_err().0, "on");
        assert_eq!(parameters("person=%zz").unwrap_err().0, "%zz");
        assert_eq!(parameters("person=%ff").unwrap_err().0, "%ff");
        let bad_day = question(&parameters("person=a&on=2023-02-30").unwrap()).unwrap_err();
        assert_eq!(bad_day.0, "on");
        let bad_count = question(&parameters("person=a&days=x").unwrap()).unwrap_err();
        assert_eq!(bad_count.0, "days");
        assert_eq!(question(&parameters("").unwrap()).unwrap(), None);
    }

    #[test]
    fn the_policy_names_the_style_sheet_by_its_hash() {
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
        let policy = content_security_policy();
        assert!(
            policy.starts_with("default-src 'none'; style-src 'sha256-"),
            "{policy}"
        );
    }
}
