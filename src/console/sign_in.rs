//! Signing in and out. The password goes through `service::auth::sign_in`
//! (the login of `POST /auth/obtain/`: same throttles, same audit, same
//! single-sign-on enforcement); when the person has MFA on, who got the
//! password right is sealed into a short-lived cookie and the code is
//! asked for on a second page (`service::auth::second_step`). The session
//! is the token the login issues; signing out revokes it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::session::{
    CODE_COOKIE, SESSION_COOKIE, SIGN_IN_COOKIE, SSO_COOKIE, Session, context, cookie, removal,
    same,
};
use super::{Chrome, Failure, ROOT, page_with_status, see_other};
use crate::crypto::Binding;
use crate::domain::id::random_secret;
use crate::error::Error;
use crate::service::auth::{self, LoginInput, SignIn};
use crate::service::sso::login as sso_login;
use crate::state::AppState;

/// How long the code page waits for the code after the password.
const CODE_SECONDS: i64 = 300;
/// How long the sign-in form's CSRF cookie lasts.
const SIGN_IN_SECONDS: i64 = 3600;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    email: String,
    ask_organization: bool,
    organization: String,
    errors: Vec<String>,
    sso: bool,
}

#[derive(Template)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    chrome: Chrome,
    errors: Vec<String>,
}

/// The sign-in form's CSRF token: the value of its cookie, made when missing.
fn sign_in_token(req: &HttpRequest) -> (String, bool) {
    match req.cookie(SIGN_IN_COOKIE) {
        Some(c) if c.value().len() == 32 => (c.value().to_owned(), false),
        _ => (random_secret(32), true),
    }
}

fn render(
    state: &AppState,
    status: StatusCode,
    (token, fresh): (String, bool),
    template: &impl Template,
) -> Result<HttpResponse, Failure> {
    let mut response = page_with_status(status, template)?;
    if fresh {
        response
            .add_cookie(&cookie(state, SIGN_IN_COOKIE, token, SIGN_IN_SECONDS))
            .map_err(|e| Failure::from(Error::internal(e)))?;
    }
    Ok(response)
}

async fn sso_offered(state: &AppState) -> Result<bool, Failure> {
    Ok(state.db.read(sso_login::offered).await?)
}

/// `GET /console/sign-in`
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Failure> {
    let token = sign_in_token(&req);
    let template = SignInPage {
        chrome: Chrome {
            csrf: token.0.clone(),
            ..Chrome::anonymous()
        },
        email: String::new(),
        ask_organization: false,
        organization: String::new(),
        errors: Vec::new(),
        sso: sso_offered(&state).await?,
    };
    render(&state, StatusCode::OK, token, &template)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    organization: String,
}

/// Reads a urlencoded form (a malformed one is a 400 page).
pub fn form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_urlencoded::from_bytes(body)
        .map_err(|_| Failure::Refused(vec!["The form could not be read.".to_owned()]))
}

/// Refuses a sign-in form without the CSRF token of its cookie.
fn check_sign_in_csrf(req: &HttpRequest, sent: &str) -> Result<String, Failure> {
    let expected = req
        .cookie(SIGN_IN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if same(sent, &expected) {
        Ok(expected)
    } else {
        Err(Failure::Csrf)
    }
}

/// Who got the password right, waiting for the code.
#[derive(Serialize, Deserialize)]
struct CodeTicket {
    user: String,
    version: i32,
    expires: i64,
}

/// Sealed for the browser whose sign-in CSRF cookie is `browser`.
fn ticket_binding(browser: &str) -> Binding<'_> {
    Binding::new("console.sign_in_code", browser)
}

/// `POST /console/sign-in`
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: SignInForm = form(&body)?;
    let browser = check_sign_in_csrf(&req, &input.csrf)?;
    let organization = input.organization.trim().to_owned();
    let login = LoginInput {
        email: input.email.trim().to_owned(),
        password: input.password,
        organization: (!organization.is_empty()).then(|| organization.clone()),
        otp: None,
        context: context(&req, &state),
    };
    let sso = sso_offered(&state).await?;
    let refused = |errors: Vec<String>, ask_organization: bool| SignInPage {
        chrome: Chrome {
            csrf: browser.clone(),
            ..Chrome::anonymous()
        },
        email: input.email.trim().to_owned(),
        ask_organization,
        organization: organization.clone(),
        errors,
        sso,
    };
    match auth::sign_in(&state, login).await {
        Ok(SignIn::Token(token)) => Ok(signed_in(&state, token)?),
        Ok(SignIn::CodeNeeded {
            user_id,
            token_version,
        }) => {
            let ticket = CodeTicket {
                user: user_id,
                version: token_version,
                expires: chrono::Utc::now().timestamp() + CODE_SECONDS,
            };
            let plain =
                serde_json::to_string(&ticket).map_err(|e| Failure::from(Error::internal(e)))?;
            let sealed = state.secrets.seal(&plain, ticket_binding(&browser));
            let mut response = see_other(&format!("{ROOT}/sign-in/code"));
            response
                .add_cookie(&cookie(&state, CODE_COOKIE, sealed, CODE_SECONDS))
                .map_err(|e| Failure::from(Error::internal(e)))?;
            Ok(response)
        }
        Err(Error::Throttled { wait_seconds }) => {
            let template = refused(
                vec![format!(
                    "Too many attempts. Try again in {wait_seconds} seconds."
                )],
                !organization.is_empty(),
            );
            render(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                (browser.clone(), false),
                &template,
            )
        }
        Err(error @ Error::Validation(_)) => {
            let errors = error.into_field_errors().map_err(Failure::from)?;
            let ask_organization = errors.contains("organization") || !organization.is_empty();
            let template = refused(super::messages(errors.into_value()), ask_organization);
            render(
                &state,
                StatusCode::BAD_REQUEST,
                (browser.clone(), false),
                &template,
            )
        }
        Err(other) => Err(other.into()),
    }
}

/// The session cookie for `token`, and on to the people page.
fn signed_in(state: &AppState, token: String) -> Result<HttpResponse, Failure> {
    let seconds = i64::try_from(state.tokens.ttl().as_secs()).unwrap_or(i64::MAX);
    let mut response = see_other(&format!("{ROOT}/people"));
    response
        .add_cookie(&cookie(state, SESSION_COOKIE, token, seconds))
        .and_then(|()| response.add_cookie(&removal(state, CODE_COOKIE)))
        .map_err(|e| Failure::from(Error::internal(e)))?;
    Ok(response)
}

/// The ticket of the code cookie, if it opens for this browser and is fresh.
fn ticket(req: &HttpRequest, state: &AppState) -> Option<(CodeTicket, String)> {
    let browser = req.cookie(SIGN_IN_COOKIE)?.value().to_owned();
    let sealed = req.cookie(CODE_COOKIE)?;
    let plain = state
        .secrets
        .open(sealed.value(), ticket_binding(&browser))
        .ok()?;
    let ticket: CodeTicket = serde_json::from_str(&plain).ok()?;
    (ticket.expires > chrono::Utc::now().timestamp()).then_some((ticket, browser))
}

/// `GET /console/sign-in/code`
pub async fn code_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Failure> {
    let Some((_, browser)) = ticket(&req, &state) else {
        return Ok(see_other(&format!("{ROOT}/sign-in")));
    };
    let template = CodePage {
        chrome: Chrome {
            csrf: browser.clone(),
            ..Chrome::anonymous()
        },
        errors: Vec::new(),
    };
    render(&state, StatusCode::OK, (browser, false), &template)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    otp: String,
}

/// `POST /console/sign-in/code`
pub async fn submit_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: CodeForm = form(&body)?;
    let browser = check_sign_in_csrf(&req, &input.csrf)?;
    let Some((ticket, _)) = ticket(&req, &state) else {
        return Ok(see_other(&format!("{ROOT}/sign-in")));
    };
    let otp = input.otp.split_whitespace().collect::<String>();
    let outcome = auth::second_step(
        &state,
        ticket.user,
        ticket.version,
        otp,
        context(&req, &state),
    )
    .await;
    let retry = |message: String, status| {
        let template = CodePage {
            chrome: Chrome {
                csrf: browser.clone(),
                ..Chrome::anonymous()
            },
            errors: vec![message],
        };
        render(&state, status, (browser.clone(), false), &template)
    };
    match outcome {
        Ok(token) => signed_in(&state, token),
        Err(Error::Throttled { wait_seconds }) => retry(
            format!("Too many attempts. Try again in {wait_seconds} seconds."),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(error @ Error::Validation(_)) => {
            let errors = error.into_field_errors().map_err(Failure::from)?;
            if errors.contains("otp") {
                retry(
                    super::messages(errors.into_value()).join(" "),
                    StatusCode::BAD_REQUEST,
                )
            } else {
                // The person changed since the password: start again.
                let mut response = see_other(&format!("{ROOT}/sign-in"));
                response
                    .add_cookie(&removal(&state, CODE_COOKIE))
                    .map_err(|e| Failure::from(Error::internal(e)))?;
                Ok(response)
            }
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct SsoStart {
    #[serde(default)]
    email: String,
}

/// `GET /console/sso/start?email=`: leaves for the identity provider of the
/// email's domain as `/sso/login/` does, and also keeps the sign-in's
/// browser binding in a console cookie, so that only this browser can turn
/// the code the provider's answer lands with into a session.
pub async fn sso_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SsoStart>,
) -> Result<HttpResponse, Failure> {
    let email = query.email.trim().to_owned();
    if email.is_empty() || email.len() > 254 {
        return Err(Failure::Refused(vec!["Give your work email.".to_owned()]));
    }
    let connection = state
        .db
        .read(move |conn| sso_login::connection_for_email(conn, &email))
        .await
        .map_err(|e| match e {
            Error::NotFound => Failure::Refused(vec![
                "No identity provider signs in this email's domain.".to_owned(),
            ]),
            other => Failure::from(other),
        })?;
    let started = sso_login::start(&state, connection, context(&req, &state)).await?;
    let (location, browser, protocol) = match started {
        sso_login::Started::Provider {
            location,
            browser,
            protocol,
        } => (location, browser, protocol),
        sso_login::Started::Frontend(location) => return Ok(see_other(&location)),
    };
    let seconds = sso_login::LOGIN_TTL.num_seconds();
    // A 302, as `/sso/login/` answers: to the provider.
    let mut response = HttpResponse::Found()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish();
    response
        .add_cookie(&sso_login::binding_cookie(
            &state,
            protocol,
            browser.clone(),
        ))
        .and_then(|()| response.add_cookie(&cookie(&state, SSO_COOKIE, browser, seconds)))
        .map_err(|e| Failure::from(Error::internal(e)))?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
    error: Option<String>,
}

/// `GET /console/sso?code=`: where a single sign-on connection whose
/// `redirect_uri` is the console's lands; the one-time code becomes a
/// session (as `POST /auth/sso/exchange/` makes it a token), in the browser
/// that started the sign-in only (`/console/sso/start`'s cookie): a code
/// someone else got, carried here by a link, signs no one in.
pub async fn sso_landing(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CodeQuery>,
) -> Result<HttpResponse, Failure> {
    let Some(code) = query
        .code
        .clone()
        .filter(|c| !c.is_empty() && c.len() <= 256)
    else {
        let reason = query.error.clone().unwrap_or_else(|| "no code".to_owned());
        return Err(Failure::Refused(vec![format!(
            "Single sign-on did not complete ({reason})."
        )]));
    };
    let browser = req
        .cookie(SSO_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let user = state
        .db
        .write(move |conn| sso_login::exchange(conn, &code, sso_login::Holder::Browser(&browser)))
        .await?;
    let mut response = signed_in(&state, state.tokens.issue(&user))?;
    response
        .add_cookie(&removal(&state, SSO_COOKIE))
        .map_err(|e| Failure::from(Error::internal(e)))?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/sign-out`: revokes the session's token (and its family),
/// so the cookie is worth nothing anywhere even if it was copied.
pub async fn sign_out(
    req: HttpRequest,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, Failure> {
    let input: CsrfForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    let state = session.state.clone();
    auth::revoke_token(&state, session.token.clone(), context(&req, &state)).await?;
    let mut response = see_other(&format!("{ROOT}/sign-in"));
    response
        .add_cookie(&removal(&state, SESSION_COOKIE))
        .map_err(|e| Failure::from(Error::internal(e)))?;
    Ok(response)
}
