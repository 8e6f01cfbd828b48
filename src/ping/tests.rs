use super::*;
use crate::record::cut;

fn url(text: &str) -> Url {
    parse_url(text).unwrap()
}

fn body(request: &Request) -> Option<&str> {
    request
        .body
        .as_ref()
        .map(|(_, b)| std::str::from_utf8(b).unwrap())
}

#[test]
fn a_cut_keeps_whole_characters() {
    assert_eq!(cut("aé", 2), "a");
}

#[test]
fn healthchecks_pings_follow_the_protocol() {
    let base = url("https://hc.example/ping/abc");
    let start = request(&base, Style::Healthchecks, &Ping::Start { rid: "R".into() }).unwrap();
    assert_eq!(
        start.method,
        Method::POST,
        "a POST-only check ignores a GET"
    );
    assert_eq!(body(&start), Some(""));
    assert_eq!(
        start.url.as_str(),
        "https://hc.example/ping/abc/start?rid=R"
    );
    let end = Ping::End {
        rid: "R".into(),
        exit_code: 3,
        duration: Duration::from_millis(1500),
        note: None,
        body: "hi\n".into(),
    };
    let end = request(
        &url("https://hc.example/ping/abc/"),
        Style::Healthchecks,
        &end,
    )
    .unwrap();
    assert_eq!(end.method, Method::POST);
    assert_eq!(end.url.as_str(), "https://hc.example/ping/abc/3?rid=R");
    assert_eq!(body(&end), Some("hi\n"));
    let beat = |ok, exit_code| Ping::Beat {
        ok,
        exit_code,
        body: None,
        duration: None,
    };
    let url_of = |ping: &Ping| {
        let req = request(&base, Style::Healthchecks, ping).unwrap();
        req.url.as_str().to_owned()
    };
    assert_eq!(
        url_of(&beat(false, None)),
        "https://hc.example/ping/abc/fail"
    );
    assert_eq!(
        url_of(&beat(false, Some(3))),
        "https://hc.example/ping/abc/3"
    );
    assert_eq!(
        url_of(&beat(false, Some(255))),
        "https://hc.example/ping/abc/255"
    );
    assert_eq!(
        url_of(&beat(false, Some(300))),
        "https://hc.example/ping/abc/fail"
    );
    assert_eq!(url_of(&beat(true, Some(0))), "https://hc.example/ping/abc");
}

#[test]
fn the_wrappers_note_comes_first_in_the_end_ping() {
    let end = Ping::End {
        rid: "R".into(),
        exit_code: 143,
        duration: Duration::from_secs(60),
        note: Some("hb-write: ended the run after 1m\nhb-write: more".into()),
        body: "working\n".into(),
    };
    let base = url("https://hc.example/p");
    let hc = request(&base, Style::Healthchecks, &end).unwrap();
    assert_eq!(
        body(&hc),
        Some("hb-write: ended the run after 1m\nhb-write: more\nworking\n")
    );
    let kuma = request(&base, Style::UptimeKuma, &end).unwrap();
    assert!(
        kuma.url
            .as_str()
            .contains("msg=exit+code+143%3A+hb-write%3A+ended+the+run+after+1m&"),
        "{}",
        kuma.url
    );
}

#[test]
fn kuma_pings_replace_the_default_query() {
    let base = url("http://kuma:3001/api/push/TOKEN?status=up&msg=OK&ping=&x=1");
    assert!(request(&base, Style::UptimeKuma, &Ping::Start { rid: "R".into() }).is_none());
    let end = Ping::End {
        rid: "R".into(),
        exit_code: 2,
        duration: Duration::from_millis(1234),
        note: None,
        body: "first\nlast words\n\n".into(),
    };
    let req = request(&base, Style::UptimeKuma, &end).unwrap();
    assert_eq!(req.method, Method::GET);
    assert_eq!(
        req.url.as_str(),
        "http://kuma:3001/api/push/TOKEN?x=1&status=down&msg=exit+code+2%3A+last+words&ping=1234"
    );
    let ok = Ping::Beat {
        ok: true,
        exit_code: None,
        body: None,
        duration: None,
    };
    let req = request(&base, Style::UptimeKuma, &ok).unwrap();
    assert!(
        req.url.as_str().ends_with("status=up&msg=OK&ping="),
        "{}",
        req.url
    );
}

#[test]
fn a_secret_parser_names_the_flag_and_never_the_value() {
    let parser = URL_PARSER;
    let refusal = |arg: clap::Arg, value: &str| {
        let cmd = clap::Command::new("hb-check").arg(arg.value_parser(parser.clone()));
        let err = cmd.try_get_matches_from(["hb-check", "--ping", value]);
        err.unwrap_err().render().to_string()
    };
    let ping = clap::Arg::new("ping").long("ping");
    let given = "https://u:s3cret@hc.example/SECRET";
    assert_eq!(
        refusal(ping.clone().env("HB_CHECK_PING_URL"), given),
        "error: invalid ping URL https://hc.example: it must not carry a user name or password (given to `--ping` or `HB_CHECK_PING_URL`)\n"
    );
    let hidden = ping.clone().env("HB_PING").hide(true);
    assert!(refusal(hidden, "ftp://h/SECRET").ends_with("(given to HB_PING)\n"));
    assert!(refusal(ping, "x").ends_with("(given to `--ping`)\n"));
}

#[test]
fn ping_urls_must_be_http_without_credentials() {
    assert!(parse_url("https://hc-ping.com/uuid").is_ok());
    for bad in ["ftp://x/y", "hc-ping.com/x", "https://u:p@hc/x", "http://"] {
        assert!(parse_url(bad).is_err(), "{bad}");
    }
    let why = parse_url("https://ops:s3cret@hc.example/SECRET-UUID")
        .unwrap_err()
        .to_string();
    assert!(!why.contains("s3cret") && !why.contains("SECRET"), "{why}");
    assert!(why.contains("https://hc.example"), "{why}");
}
