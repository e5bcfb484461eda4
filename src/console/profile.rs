//! The signed-in person's own page: name, email and MFA state, a password
//! change (through `service::auth::change_own_password`, as
//! `POST /profile/change_password/`, with the same judging of the new
//! password first), and MFA enrolment, confirmation and disabling through
//! `service::mfa`, as `/profile/mfa/` does. The enrolment's QR code is an
//! SVG drawn here from the otpauth URI and put into the page as markup
//! (the CSP allows no `data:` image).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session::{SESSION_COOKIE, removal};
use super::sign_in::form;
use super::{Chrome, Failure, ROOT, Session, page, page_with_status, see_other};
use crate::error::{Error, FieldErrors};
use crate::service::auth::PasswordChange;
use crate::service::{self, mfa};

/// Messages next to each field of the page's forms.
#[derive(Default)]
pub struct Errors {
    pub current_password: Vec<String>,
    pub password: Vec<String>,
    pub confpassword: Vec<String>,
    pub otp: Vec<String>,
    /// Messages of no field.
    pub general: Vec<String>,
}

impl Errors {
    fn add(&mut self, field: &str, messages: Vec<String>) {
        match field {
            "current_password" => self.current_password.extend(messages),
            "password" => self.password.extend(messages),
            "confpassword" => self.confpassword.extend(messages),
            "otp" => self.otp.extend(messages),
            _ => self.general.extend(messages),
        }
    }

    /// The field errors of a service error, or the failure it is.
    fn of(error: Error) -> Result<Self, Failure> {
        match error.into_field_errors() {
            Ok(errors) => {
                let mut out = Self::default();
                match errors.into_value() {
                    serde_json::Value::Object(map) => {
                        for (field, value) in map {
                            out.add(&field, super::messages(value));
                        }
                    }
                    other => out.general = super::messages(other),
                }
                Ok(out)
            }
            Err(other) => Err(Failure::from(other)),
        }
    }
}

/// A pending enrolment, as shown once.
pub struct Enrolment {
    /// The QR code: SVG markup generated here (never user input).
    pub qr: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    chrome: Chrome,
    name: String,
    email: String,
    mfa: bool,
    enrolment: Option<Enrolment>,
    /// Whether to offer the code form of an enrolment started earlier.
    confirming: bool,
    errors: Errors,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "profile_done.html")]
struct DonePage {
    chrome: Chrome,
    title: &'static str,
    message: &'static str,
}

fn profile_page(session: &Session) -> ProfilePage {
    let user = &session.caller.user;
    ProfilePage {
        chrome: Chrome::of(session, "profile"),
        name: user.name.clone(),
        email: user.email.clone(),
        mfa: user.mfa_enabled,
        enrolment: None,
        confirming: false,
        errors: Errors::default(),
        notice: None,
    }
}

fn refused(template: &ProfilePage) -> Result<HttpResponse, Failure> {
    page_with_status(actix_web::http::StatusCode::BAD_REQUEST, template)
}

/// The session has ended (the service ended every token): a page saying
/// so, and the cookie gone.
fn ended(
    session: &Session,
    title: &'static str,
    message: &'static str,
) -> Result<HttpResponse, Failure> {
    let mut response = page(&DonePage {
        chrome: Chrome::anonymous(),
        title,
        message,
    })?;
    response
        .add_cookie(&removal(&session.state, SESSION_COOKIE))
        .map_err(|e| Failure::from(Error::internal(anyhow::anyhow!("a cookie: {e}"))))?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct ProfileQuery {
    done: Option<String>,
}

/// `GET /console/profile`.
pub async fn show(
    session: Session,
    query: web::Query<ProfileQuery>,
) -> Result<HttpResponse, Failure> {
    let mut template = profile_page(&session);
    template.notice = match query.done.as_deref() {
        Some("mfa-off") => Some("MFA is off."),
        _ => None,
    };
    page(&template)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confpassword: String,
}

/// `POST /console/profile/password`: `service::auth::change_password`,
/// the function of `POST /profile/change_password/` (same checks, same
/// messages), which ends every session of the person (this one too).
pub async fn change_password(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let input: PasswordForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    service::auth::authorize_own_password_change(&session.caller)?;
    let change = PasswordChange {
        // An empty field of the form is one not filled in.
        current_password: (!input.current_password.is_empty()).then_some(input.current_password),
        password: Some(input.password),
        confpassword: Some(input.confpassword),
    };
    match service::auth::change_password(
        &session.state,
        session.caller.clone(),
        change,
        FieldErrors::new(),
    )
    .await
    {
        Ok(()) => ended(
            &session,
            "Password changed",
            "Your password has changed and every session has ended, this one too. Sign in again with the new password.",
        ),
        Err(error) => {
            let mut template = profile_page(&session);
            template.errors = Errors::of(error)?;
            refused(&template)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The QR code of an otpauth URI, as SVG markup to put into a page: no XML
/// declaration, no namespace (inline SVG in HTML needs none), no style.
pub fn qr_svg(uri: &str) -> Result<String, Failure> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| Failure::from(Error::internal(anyhow::anyhow!("a QR code: {e}"))))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000"))
        .light_color(qrcode::render::svg::Color("#fff"))
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        r#"<svg xmlns="http://www.w3.org/2000/svg""#,
        r#"<svg role="img" aria-label="QR code of the authenticator key" class="qr""#,
        1,
    ))
}

/// `POST /console/profile/mfa`: starts (or restarts) an enrolment, as
/// `POST /profile/mfa/`, and shows its QR code and secret once.
pub async fn enroll(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let input: CsrfForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    let caller = session.caller.clone();
    let secrets = session.state.secrets.clone();
    let mut template = profile_page(&session);
    match session
        .state
        .db
        .write(move |conn| mfa::enroll(conn, &caller, &secrets))
        .await
    {
        Ok(enrolment) => {
            template.enrolment = Some(Enrolment {
                qr: qr_svg(&enrolment.otpauth_uri)?,
                secret: enrolment.secret,
            });
            template.confirming = true;
            page(&template)
        }
        Err(error) => {
            template.errors = Errors::of(error)?;
            refused(&template)
        }
    }
}

#[derive(Deserialize)]
pub struct OtpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    otp: String,
}

impl OtpForm {
    /// The code, or the page with the error next to the field.
    fn otp(&self, template: &mut ProfilePage) -> Option<String> {
        let otp = self.otp.trim();
        if otp.is_empty() {
            template
                .errors
                .add("otp", vec!["This field may not be blank.".into()]);
            None
        } else {
            Some(otp.to_owned())
        }
    }
}

/// `POST /console/profile/mfa/confirm`: turns MFA on with a code, as
/// `POST /profile/mfa/confirm/`; the service ends every token, so the
/// person signs in again, with a code.
pub async fn confirm(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let input: OtpForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    if session.caller.user.is_apiuser {
        return Err(Failure::Forbidden);
    }
    let mut template = profile_page(&session);
    template.confirming = true;
    let Some(otp) = input.otp(&mut template) else {
        return refused(&template);
    };
    let caller = session.caller.clone();
    let secrets = session.state.secrets.clone();
    match session
        .state
        .db
        .write(move |conn| mfa::confirm(conn, &caller, &secrets, &otp))
        .await
    {
        Ok(()) => ended(
            &session,
            "MFA is on",
            "Multi-factor authentication is on and every session has ended, this one too. Sign in again with a code from your app.",
        ),
        Err(error) => {
            template.errors = Errors::of(error)?;
            refused(&template)
        }
    }
}

/// `POST /console/profile/mfa/disable`: turns MFA off with a current code,
/// as `DELETE /profile/mfa/` (throttled like it).
pub async fn disable(session: Session, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let input: OtpForm = form(&body)?;
    session.check_csrf(&input.csrf)?;
    if session.caller.user.is_apiuser {
        return Err(Failure::Forbidden);
    }
    let mut template = profile_page(&session);
    let Some(otp) = input.otp(&mut template) else {
        return refused(&template);
    };
    match mfa::disable(&session.state, session.caller.clone(), otp).await {
        Ok(()) => Ok(see_other(&format!("{ROOT}/profile?done=mfa-off"))),
        Err(error) => {
            template.errors = Errors::of(error)?;
            refused(&template)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_plain_svg_markup() {
        let svg = qr_svg("otpauth://totp/Tessera:a%40example.com?secret=JBSWY3DP&issuer=Tessera")
            .unwrap();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("style"));
        assert!(!svg.contains("http"));
        assert!(!svg.contains("<?xml"));
    }
}
