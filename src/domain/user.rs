//! The user's own fields, parsed once at the edge. Each `parse` returns the
//! DRF-style message a client sees under that field's name.

use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, GeneralCategoryGroup};
use icu_properties::{CodePointMapData, CodePointSetData};
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;
use validator::ValidateEmail;

pub const NAME_MAX: usize = 60;
pub const EMAIL_MAX: usize = 254;
pub const POSITION_MAX: usize = 255;
pub const PASSWORD_MIN: usize = 10;
/// Bounds the work argon2 does for one request.
pub const PASSWORD_MAX: usize = 256;
pub const ADDITIONAL_EMAILS_MAX: usize = 20;

pub fn too_long(max: usize) -> String {
    format!("Ensure this field has no more than {max} characters.")
}

pub const BLANK: &str = "This field may not be blank.";

pub const EMAIL_INVALID: &str = "Enter a valid email address.";
pub const EMAIL_INVISIBLE: &str =
    "Enter a valid email address: control and invisible characters are not allowed.";

/// An e-mail address: trimmed, in NFC, its domain IDNA-encoded (punycode,
/// lowercase), its local part as given; compared case-insensitively.
///
/// Control, format and default-ignorable characters are refused rather than
/// dropped: IDNA would silently delete a BOM or a zero-width space from the
/// domain, so `owner@example.com\u{feff}` would be a second spelling of an
/// address beside the real one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(BLANK.into());
        }
        // Bounds the Unicode work below; checked again once encoded.
        if value.chars().count() > EMAIL_MAX {
            return Err(too_long(EMAIL_MAX));
        }
        if value.chars().any(is_invisible) {
            return Err(EMAIL_INVISIBLE.into());
        }
        let value = ComposingNormalizerBorrowed::new_nfc().normalize(value);
        let (local, domain) = value.rsplit_once('@').ok_or(EMAIL_INVALID)?;
        // An address literal (`[192.0.2.1]`) is ASCII already and not a name.
        let domain = if domain.starts_with('[') {
            domain.to_owned()
        } else {
            // UTS 46 with host-name rules (letters, digits, hyphens), but
            // hyphens allowed in third and fourth place: real domains
            // (`ab--cd.example`) have them.
            Uts46::new()
                .to_ascii(
                    domain.as_bytes(),
                    AsciiDenyList::STD3,
                    Hyphens::CheckFirstLast,
                    DnsLength::Verify,
                )
                .map_err(|_| EMAIL_INVALID)?
                .into_owned()
        };
        let email = format!("{local}@{domain}");
        if email.chars().count() > EMAIL_MAX {
            return Err(too_long(EMAIL_MAX));
        }
        if !email.validate_email() {
            return Err(EMAIL_INVALID.into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// What an address typed to find an account (a login, a reset) is
    /// compared as: lowercase, and normalized as stored when it is valid, so
    /// that every spelling of one address (`bücher`, decomposed `bücher`,
    /// `xn--bcher-kva`) is one account, and one throttling key.
    pub fn lookup_key(raw: &str) -> String {
        Self::parse(raw)
            .map(|email| email.0)
            .unwrap_or_else(|_| raw.trim().to_owned())
            .to_lowercase()
    }
}

/// Characters that print as nothing, or are not text: control, format,
/// surrogate, private-use and unassigned code points (General_Category C),
/// line and paragraph separators, and Default_Ignorable_Code_Point (which
/// also covers e.g. U+115F HANGUL CHOSEONG FILLER, a letter by category).
/// Both properties come from the Unicode data compiled into `icu_properties`.
pub fn is_invisible(c: char) -> bool {
    let category = CodePointMapData::<GeneralCategory>::new().get(c);
    GeneralCategoryGroup::Other.contains(category)
        || matches!(
            category,
            GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator
        )
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// A person's or application's display name: 1 to 60 characters, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        super::text::one_line_name(raw, NAME_MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Probely's job-title enum; `""` means none.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Title {
    #[serde(rename = "ceo")]
    Ceo,
    #[serde(rename = "cto")]
    Cto,
    #[serde(rename = "cso")]
    Cso,
    #[serde(rename = "seceng")]
    SecEng,
    #[serde(rename = "dev")]
    Dev,
    #[serde(rename = "devop")]
    DevOp,
    #[serde(rename = "manager")]
    Manager,
    #[serde(rename = "other")]
    Other,
    #[serde(rename = "")]
    None,
}

// Written by hand: utoipa drops serde's empty rename, and `""` is a value
// clients send and receive.
impl utoipa::PartialSchema for Title {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Title::ALL.map(Title::as_str)))
            .description(Some("Probely's job-title enum; `\"\"` means none."))
            .into()
    }
}

impl ToSchema for Title {}

impl Title {
    pub const ALL: [Title; 9] = [
        Title::Ceo,
        Title::Cto,
        Title::Cso,
        Title::SecEng,
        Title::Dev,
        Title::DevOp,
        Title::Manager,
        Title::Other,
        Title::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Title::Ceo => "ceo",
            Title::Cto => "cto",
            Title::Cso => "cso",
            Title::SecEng => "seceng",
            Title::Dev => "dev",
            Title::DevOp => "devop",
            Title::Manager => "manager",
            Title::Other => "other",
            Title::None => "",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or_else(|| not_a_choice(raw))
    }
}

pub fn not_a_choice(raw: &str) -> String {
    format!("\"{raw}\" is not a valid choice.")
}

/// Probo's user kind. Case-insensitive on input, lowercase when stored.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Employee,
    Contractor,
    ServiceAccount,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Employee, Kind::Contractor, Kind::ServiceAccount];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Employee => "employee",
            Kind::Contractor => "contractor",
            Kind::ServiceAccount => "service_account",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "employee" => Ok(Kind::Employee),
            "contractor" => Ok(Kind::Contractor),
            "service_account" => Ok(Kind::ServiceAccount),
            _ => Err(not_a_choice(raw)),
        }
    }
}

/// Free-text job position (Probo), at most 255 characters.
pub fn parse_position(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.chars().count() > POSITION_MAX {
        return Err(too_long(POSITION_MAX));
    }
    if value.chars().any(char::is_control) {
        return Err("Control characters are not allowed.".into());
    }
    Ok(value.to_owned())
}

/// Where a user's lifecycle stands; derived, never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Pending,
    Active,
    Deactivated,
}

impl State {
    /// DEACTIVATED iff not active; PENDING until the user has a password.
    pub fn derive(active: bool, has_password: bool, is_apiuser: bool) -> Self {
        match (active, has_password || is_apiuser) {
            (false, _) => State::Deactivated,
            (true, false) => State::Pending,
            (true, true) => State::Active,
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "PENDING" => Ok(State::Pending),
            "ACTIVE" => Ok(State::Active),
            "DEACTIVATED" => Ok(State::Deactivated),
            _ => Err(not_a_choice(raw)),
        }
    }
}

/// How the user came to exist.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "UPPERCASE")]
pub enum Source {
    Manual,
    Scim,
    /// Created at its first sign-in through an OpenID Connect connection.
    Oidc,
    /// Created at its first sign-in through a SAML connection.
    Saml,
}

impl Source {
    pub const ALL: [Source; 4] = [Source::Manual, Source::Scim, Source::Oidc, Source::Saml];

    /// Whether the user signs in through an identity provider, so is
    /// ACTIVE without a Tessera password.
    pub fn signs_in_elsewhere(self) -> bool {
        matches!(self, Source::Oidc | Source::Saml)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "MANUAL",
            Source::Scim => "SCIM",
            Source::Oidc => "OIDC",
            Source::Saml => "SAML",
        }
    }
}

/// A password that meets the policy: 10 to 256 characters, at least one of
/// them a digit or a symbol. Never printed. Before it is stored it must also
/// be judged strong for its owner ([`Password::judge`]).
#[derive(Clone)]
pub struct Password(String);

/// The least zxcvbn score a password needs: 3 is about 10^10 guesses.
pub const STRENGTH_MIN: u8 = 3;
/// How many characters of a password zxcvbn judges: its matching grows with
/// the square of the length (zxcvbn 3 stops at 100 itself; this bound does
/// not depend on its version). A prefix this long that is strong enough
/// leaves the whole password strong enough.
pub const STRENGTH_JUDGED: usize = 100;
pub const PASSWORD_COMMON: &str = "This password is too common.";
pub const PASSWORD_LIKE_EMAIL: &str = "The password is too similar to the email address.";
pub const PASSWORD_LIKE_NAME: &str = "The password is too similar to the name.";
pub const PASSWORD_GUESSABLE: &str = "This password is too easy to guess.";

/// What a password is judged against besides zxcvbn's dictionaries: the
/// owner's email addresses and names, whole and word by word (zxcvbn rates
/// them the most guessable words of all).
#[derive(Clone, Debug, Default)]
pub struct PasswordOwner {
    words: Vec<(String, OwnerAttribute)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OwnerAttribute {
    Email,
    Name,
}

/// Shorter words would match everywhere (a name "Al" in any password with
/// "al" in it) and say nothing about the owner.
const OWNER_WORD_MIN: usize = 3;

impl PasswordOwner {
    /// An email address: whole, its local part and each of its words, and
    /// the labels of its domain but the last (`example`, not `com`).
    pub fn email(mut self, email: &str) -> Self {
        let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_words = &labels[..labels.len().saturating_sub(1)];
        self.add(OwnerAttribute::Email, email);
        self.add(OwnerAttribute::Email, local);
        for word in words(local).chain(domain_words.iter().copied()) {
            self.add(OwnerAttribute::Email, word);
        }
        self
    }

    /// A name: whole and word by word.
    pub fn name(mut self, name: &str) -> Self {
        self.add(OwnerAttribute::Name, name);
        for word in words(name) {
            self.add(OwnerAttribute::Name, word);
        }
        self
    }

    fn add(&mut self, attribute: OwnerAttribute, word: &str) {
        let word = word.trim().to_lowercase();
        if word.chars().count() >= OWNER_WORD_MIN && !self.words.iter().any(|(w, _)| *w == word) {
            self.words.push((word, attribute));
        }
    }

    /// Which attribute the weak password copies, if any: the owner's word
    /// that zxcvbn found in it.
    fn copied(&self, estimate: &zxcvbn::Entropy) -> Option<OwnerAttribute> {
        estimate.sequence().iter().find_map(|m| match &m.pattern {
            zxcvbn::matching::patterns::MatchPattern::Dictionary(word) => self
                .words
                .iter()
                .find(|(w, _)| *w == word.matched_word)
                .map(|(_, attribute)| *attribute),
            _ => None,
        })
    }
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let count = raw.chars().count();
        if count < PASSWORD_MIN {
            return Err(format!(
                "This password is too short. It must contain at least {PASSWORD_MIN} characters."
            ));
        }
        if count > PASSWORD_MAX {
            return Err(too_long(PASSWORD_MAX));
        }
        if !raw
            .chars()
            .any(|c| !c.is_alphabetic() && !c.is_whitespace())
        {
            return Err("This password must contain at least one digit or symbol.".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// zxcvbn's estimate, knowing whose password it is: a score of at least
    /// [`STRENGTH_MIN`], or DRF's message saying why not (Django's own words
    /// where Django has a validator for the reason). CPU-bound for up to a
    /// few milliseconds: call it off the async workers.
    pub fn judge(self, owner: &PasswordOwner) -> Result<StrongPassword, String> {
        let judged: String = self.0.chars().take(STRENGTH_JUDGED).collect();
        let inputs: Vec<&str> = owner.words.iter().map(|(w, _)| w.as_str()).collect();
        let estimate = zxcvbn::zxcvbn(&judged, &inputs);
        if u8::from(estimate.score()) >= STRENGTH_MIN {
            return Ok(StrongPassword(self.0));
        }
        Err(match owner.copied(&estimate) {
            Some(OwnerAttribute::Email) => PASSWORD_LIKE_EMAIL.to_owned(),
            Some(OwnerAttribute::Name) => PASSWORD_LIKE_NAME.to_owned(),
            None => weakness(estimate.feedback()),
        })
    }
}

fn weakness(feedback: Option<&zxcvbn::feedback::Feedback>) -> String {
    use zxcvbn::feedback::Warning;
    let warning = feedback.and_then(|f| f.warning());
    if matches!(
        warning,
        Some(
            Warning::ThisIsATop10Password
                | Warning::ThisIsATop100Password
                | Warning::ThisIsACommonPassword
                | Warning::ThisIsSimilarToACommonlyUsedPassword
        )
    ) {
        return PASSWORD_COMMON.to_owned();
    }
    let mut message = PASSWORD_GUESSABLE.to_owned();
    for hint in warning.map(|w| w.to_string()).into_iter().chain(
        feedback
            .into_iter()
            .flat_map(|f| f.suggestions())
            .map(|s| s.to_string()),
    ) {
        message.push(' ');
        message.push_str(&hint);
    }
    message
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A password judged strong for its owner: the only kind that is hashed
/// and stored. Never printed.
pub struct StrongPassword(String);

impl StrongPassword {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StrongPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StrongPassword(***)")
    }
}

/// How names and e-mails sort in lists: in lower case and without accents
/// ("émile" sorts with "Emile", before "Zed"), compared by code point. The
/// key is computed here and stored beside the value, so both backends order
/// alike whatever their collation.
pub fn sort_key(value: &str) -> String {
    let categories = CodePointMapData::<GeneralCategory>::new();
    DecomposingNormalizerBorrowed::new_nfd()
        .normalize(&value.to_lowercase())
        .chars()
        .filter(|&c| categories.get(c) != GeneralCategory::NonspacingMark)
        .collect()
}

#[cfg(test)]
mod sort_key_tests {
    use super::sort_key;
    use proptest::prelude::*;

    #[test]
    fn case_and_accents_do_not_count() {
        let mut names = vec!["Zed", "charlie", "Émile", "anna", "Bob", "eve"];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(names, ["anna", "Bob", "charlie", "Émile", "eve", "Zed"]);
        assert_eq!(sort_key("ÅSA Ström"), "asa strom");
        // Decomposed and composed spellings sort as one.
        assert_eq!(sort_key("e\u{301}lan"), sort_key("\u{e9}lan"));
    }

    proptest! {
        #[test]
        fn ascii_sorts_as_its_lower_case(s in "[ -~]{0,40}") {
            prop_assert_eq!(sort_key(&s), s.to_ascii_lowercase());
            prop_assert_eq!(sort_key(&s.to_ascii_uppercase()), sort_key(&s));
        }

        #[test]
        fn a_key_is_its_own_key(s in "\\PC{0,40}") {
            let key = sort_key(&s);
            prop_assert_eq!(sort_key(&key), key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_its_local_part_kept_and_bounded() {
        assert_eq!(
            Email::parse(" Ann@Example.com ").unwrap().as_str(),
            "Ann@example.com"
        );
        assert!(Email::parse("not-an-email").is_err());
        assert_eq!(Email::parse("  ").unwrap_err(), BLANK);
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long).unwrap_err(), too_long(EMAIL_MAX));
        // Within the bound as typed, past it once IDNA-encoded.
        let local = "a".repeat(60);
        // 40 characters here, 46 once encoded (`xn--` and punycode).
        let label = "é".repeat(40);
        let grows = format!("{local}@{label}.{label}.{label}.{label}.example");
        assert!(grows.chars().count() <= EMAIL_MAX);
        assert_eq!(Email::parse(&grows).unwrap_err(), too_long(EMAIL_MAX));
    }

    #[test]
    fn email_domains_are_idna_encoded_and_lowercase() {
        for (raw, stored) in [
            ("ann@EXAMPLE.com", "ann@example.com"),
            ("ann@bücher.example", "ann@xn--bcher-kva.example"),
            ("ann@BÜCHER.example", "ann@xn--bcher-kva.example"),
            // Decomposed ü (u + U+0308) is composed first: one address.
            ("ann@bu\u{308}cher.example", "ann@xn--bcher-kva.example"),
            ("ann@xn--bcher-kva.example", "ann@xn--bcher-kva.example"),
            ("ann@[192.0.2.1]", "ann@[192.0.2.1]"),
            ("ann@ab--cd.example", "ann@ab--cd.example"),
        ] {
            assert_eq!(Email::parse(raw).unwrap().as_str(), stored, "{raw}");
        }
        for bad in [
            "ann@exa_mple.com",
            "ann@-example.com",
            "ann@example..com",
            "ann@",
            "@example.com",
            "ann@xn--a.example",
            "ann@example.com.",
            "ann@-ab.example",
            "ann@ab-.example",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err(), EMAIL_INVALID, "{bad}");
        }
    }

    #[test]
    fn invisible_characters_are_refused_not_dropped() {
        for c in [
            '\u{0}',      // NUL (Cc)
            '\u{7}',      // BEL (Cc)
            '\u{85}',     // NEXT LINE (Cc)
            '\u{ad}',     // SOFT HYPHEN (Cf, DI)
            '\u{34f}',    // COMBINING GRAPHEME JOINER (Mn, DI)
            '\u{61c}',    // ARABIC LETTER MARK (Cf)
            '\u{115f}',   // HANGUL CHOSEONG FILLER (Lo, DI)
            '\u{180e}',   // MONGOLIAN VOWEL SEPARATOR (Cf)
            '\u{200b}',   // ZERO WIDTH SPACE (Cf)
            '\u{200c}',   // ZERO WIDTH NON-JOINER (Cf)
            '\u{200d}',   // ZERO WIDTH JOINER (Cf)
            '\u{200e}',   // LEFT-TO-RIGHT MARK (Cf)
            '\u{2028}',   // LINE SEPARATOR (Zl)
            '\u{2029}',   // PARAGRAPH SEPARATOR (Zp)
            '\u{202e}',   // RIGHT-TO-LEFT OVERRIDE (Cf)
            '\u{2060}',   // WORD JOINER (Cf)
            '\u{2064}',   // INVISIBLE PLUS (Cf)
            '\u{3164}',   // HANGUL FILLER (Lo, DI)
            '\u{fe0f}',   // VARIATION SELECTOR-16 (Mn, DI)
            '\u{feff}',   // BOM / ZERO WIDTH NO-BREAK SPACE (Cf)
            '\u{ffa0}',   // HALFWIDTH HANGUL FILLER (Lo, DI)
            '\u{e000}',   // private use (Co)
            '\u{e0001}',  // LANGUAGE TAG (Cf)
            '\u{e0100}',  // VARIATION SELECTOR-17 (Mn, DI)
            '\u{10ffff}', // a noncharacter (Cn)
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
            let mut placed = vec![
                format!("owner@exam{c}ple.com"),
                format!("own{c}er@example.com"),
            ];
            // Leading and trailing white space (U+0085, U+2028, ...) is trimmed.
            if !c.is_whitespace() {
                placed.extend([
                    format!("owner@example.com{c}"),
                    format!("{c}owner@example.com"),
                ]);
            }
            for raw in placed {
                assert_eq!(
                    Email::parse(&raw).unwrap_err(),
                    EMAIL_INVISIBLE,
                    "U+{:04X} in {raw:?}",
                    c as u32
                );
            }
        }
        for c in ['a', 'é', '木', '-', ' ', '\u{a0}', '\u{308}'] {
            assert!(!is_invisible(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn name_is_one_to_sixty_characters() {
        assert!(UserName::parse(&"é".repeat(60)).is_ok());
        assert_eq!(UserName::parse(&"é".repeat(61)).unwrap_err(), too_long(60));
        assert_eq!(UserName::parse("").unwrap_err(), BLANK);
        assert!(UserName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn title_accepts_exactly_the_enum() {
        for t in Title::ALL {
            assert_eq!(Title::parse(t.as_str()), Ok(t));
        }
        assert_eq!(
            Title::parse("CEO").unwrap_err(),
            "\"CEO\" is not a valid choice."
        );
    }

    #[test]
    fn kind_is_case_insensitive() {
        assert_eq!(Kind::parse("Contractor"), Ok(Kind::Contractor));
        assert_eq!(Kind::parse("SERVICE_ACCOUNT"), Ok(Kind::ServiceAccount));
        assert!(Kind::parse("intern").is_err());
    }

    #[test]
    fn state_is_derived() {
        assert_eq!(State::derive(false, true, false), State::Deactivated);
        assert_eq!(State::derive(true, false, false), State::Pending);
        assert_eq!(State::derive(true, true, false), State::Active);
        assert_eq!(State::derive(true, false, true), State::Active);
    }

    #[test]
    fn passwords_are_judged_knowing_their_owner() {
        let owner = PasswordOwner::default()
            .email("jane.doe@example.com")
            .name("Jane Doe");
        let judge = |raw: &str| Password::parse(raw).unwrap().judge(&owner);
        assert_eq!(judge("password12").unwrap_err(), PASSWORD_COMMON);
        assert_eq!(judge("Password123").unwrap_err(), PASSWORD_COMMON);
        let repeated = judge("1111111111").unwrap_err();
        assert!(
            repeated.starts_with(PASSWORD_GUESSABLE) && repeated.contains("Repeats like"),
            "{repeated}"
        );
        assert_eq!(
            judge("jane.doe@example.com").unwrap_err(),
            PASSWORD_LIKE_EMAIL
        );
        assert_eq!(
            judge("Jane.Doe@Example.com").unwrap_err(),
            PASSWORD_LIKE_EMAIL
        );
        assert_eq!(judge("jane.doe-2024").unwrap_err(), PASSWORD_LIKE_EMAIL);
        let named = PasswordOwner::default()
            .email("jd@example.com")
            .name("Jean-Luc Oyelaran");
        let judge_named = |raw: &str| Password::parse(raw).unwrap().judge(&named);
        assert_eq!(
            judge_named("Jean-Luc Oyelaran").unwrap_err(),
            PASSWORD_LIKE_NAME
        );
        // Strong for anyone else: it is the owner's words that make it weak.
        assert!(
            Password::parse("Jean-Luc Oyelaran")
                .unwrap()
                .judge(&PasswordOwner::default())
                .is_ok()
        );
        for strong in ["correct-horse-battery-9", "jane-secret-42", "Tr0ub4dor&3-x"] {
            assert!(judge(strong).is_ok(), "{strong}");
        }
        // Only a bounded prefix is judged: a weak start is weak at any length.
        let long = format!("{}{}", "1".repeat(STRENGTH_JUDGED), "x9-Q".repeat(30));
        assert!(judge(&long).is_err());
    }

    #[test]
    fn the_fixed_passwords_of_the_tests_and_docs_are_strong_for_their_owners() {
        for (password, email, name) in [
            ("owner-pass-1", "owner@example.com", "owner"),
            ("member-pass-1", "member@example.com", "member"),
            ("jane-secret-42", "jane@example.com", "Jane Doe"),
            ("seed-pass-1", "seed-user-1@example.com", "Seed User 1"),
            ("test-Owner-pass-1", "test-owner@example.com", "test-owner"),
            (
                "Bench-Owner-Pass-2026",
                "bench-owner@example.com",
                "bench-owner",
            ),
        ] {
            let owner = PasswordOwner::default().email(email).name(name);
            assert!(
                Password::parse(password).unwrap().judge(&owner).is_ok(),
                "{password} for {email}"
            );
        }
    }

    #[test]
    fn owner_words_are_whole_values_and_their_words() {
        let owner = PasswordOwner::default()
            .email("Jane.Doe@mail.Example.com")
            .name("Jo Van Dyke");
        let words: Vec<&str> = owner.words.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(
            words,
            [
                "jane.doe@mail.example.com",
                "jane.doe",
                "jane",
                "doe",
                "mail",
                "example",
                "jo van dyke",
                "van",
                "dyke"
            ]
        );
    }

    #[test]
    fn password_policy() {
        assert!(Password::parse("short1!").is_err());
        assert!(Password::parse("onlyletterss").is_err());
        assert!(Password::parse("letters and spaces").is_err());
        assert!(Password::parse("letters-and-dash").is_ok());
        assert!(Password::parse("correcthorse9").is_ok());
        assert!(Password::parse(&"a1".repeat(200)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-pass-1").unwrap()),
            "Password(***)"
        );
    }
}
