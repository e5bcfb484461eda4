//! The Probo user tools. Each one reads through `db/` or writes through
//! `service::users` with the authenticated caller, so permissions, the
//! last-owner rule, organization isolation and `changed_by` are the REST
//! API's own. Arguments are renamed to the REST fields and parsed by the same
//! code as REST bodies.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::{IntoCallToolResult, ToolCallContext};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use rmcp_actix_web::transport::on_request_extensions;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::access_requests::{AccessRequestResult, DecideAccessRequestArgs, RequestAccessArgs};
use super::cursor;
use super::types::*;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::db::users::{self, KeysetField, UserFilter};
use crate::domain::PublicId;
use crate::domain::role::Tier;
use crate::domain::text::{NUL_REFUSED, nul_path_in};
use crate::domain::time;
use crate::domain::user::{self, Email, Kind, UserName};
use crate::error::{Error, FieldErrors};
use crate::service::Parsed;
use crate::service::access_requests;
use crate::service::audit::Interface;
use crate::service::invitations;
use crate::service::users::{self as user_service, AssignmentInput, NewUser, UserField, UserPatch};
use crate::state::AppState;
use actix_web::web;

/// Results per page of listUsers: default and most.
pub const DEFAULT_SIZE: i64 = 20;
pub const MAX_SIZE: i64 = 100;

/// Why a tool call failed.
#[derive(Debug)]
pub enum ToolError {
    /// A domain failure (not found, forbidden, invalid values): a tool
    /// result with `isError: true`.
    Domain(String),
    /// Arguments the tool cannot use at all: JSON-RPC -32602.
    InvalidParams(String),
    /// Not the client's doing: JSON-RPC -32603, the cause logged.
    Internal,
}

impl From<Error> for ToolError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound | Error::IdsNotFound { .. } | Error::InvalidPage => {
                ToolError::Domain("Not found.".into())
            }
            Error::Forbidden => {
                ToolError::Domain("You do not have permission to perform this action.".into())
            }
            e @ (Error::Validation(_)
            | Error::Conflict { .. }
            | Error::LastOwner { .. }
            | Error::UnknownReference { .. }) => match e.into_field_errors() {
                Ok(errors) => ToolError::Domain(describe(errors)),
                Err(other) => ToolError::Domain(other.to_string()),
            },
            Error::BadRequest(detail) => ToolError::Domain(detail),
            Error::Refused(detail) | Error::StateConflict(detail) => {
                ToolError::Domain(detail.into())
            }
            Error::Unavailable(_) | Error::Internal(_) => {
                // Logged, never shown.
                tracing::error!(error = %e, "an MCP tool call failed");
                ToolError::Internal
            }
            other => ToolError::Domain(other.to_string()),
        }
    }
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        match self {
            ToolError::Domain(message) => {
                Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into())
            }
            ToolError::InvalidParams(message) => Err(ErrorData::invalid_params(message, None)),
            ToolError::Internal => Err(ErrorData::internal_error("A server error occurred.", None)),
        }
    }
}

/// REST field names as the tools call them.
const PROBO_NAMES: [(&str, &str); 3] = [
    ("name", "full_name"),
    ("email", "email_address"),
    ("user_roles", "role"),
];

/// Field errors as one line: `email_address: Enter a valid email address.`
fn describe(errors: FieldErrors) -> String {
    let Value::Object(fields) = errors.into_value() else {
        return "Invalid arguments.".into();
    };
    fields
        .into_iter()
        .map(|(field, messages)| {
            let field = PROBO_NAMES
                .iter()
                .find(|(rest, _)| *rest == field)
                .map_or(field.as_str(), |(_, probo)| probo);
            let text = match &messages {
                Value::Array(items) if items.iter().all(Value::is_string) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.to_string(),
            };
            if field == "non_field_errors" {
                text
            } else {
                format!("{field}: {text}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn not_found(what: &str) -> ToolError {
    ToolError::Domain(format!("{what} not found."))
}

/// The caller the gate authenticated.
fn caller(context: &RequestContext<RoleServer>) -> Result<Caller, ToolError> {
    let mut caller = on_request_extensions(&context.extensions)
        .and_then(|extensions| extensions.get::<Caller>())
        .cloned()
        .ok_or(ToolError::Internal)?;
    // What it does is audited as coming through MCP.
    caller.context.interface = Interface::Mcp;
    Ok(caller)
}

/// Another organization's id is simply not found.
fn same_organization(caller: &Caller, organization_id: &str) -> Result<(), ToolError> {
    if caller.organization_id() == organization_id {
        Ok(())
    } else {
        Err(not_found("Organization"))
    }
}

/// The user as an MCP Profile, or the failure, by Probo names.
fn profile(detail: crate::db::models::UserDetail) -> Json<UserResult> {
    Json(UserResult {
        user: detail.into(),
    })
}

/// A tool's profile arguments as a service patch, parsed with the same
/// domain rules as every interface; errors carry the tools' own names.
#[derive(Default)]
struct ProfileInput {
    patch: UserPatch,
    errors: FieldErrors,
}

impl ProfileInput {
    fn parse<T>(&mut self, key: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|message| self.errors.add(key, message)).ok()
    }

    fn full_name(&mut self, raw: &str) {
        self.patch.name(UserField::Name);
        self.patch.name = self.parse("full_name", UserName::parse(raw));
    }

    fn email_address(&mut self, raw: &str) {
        self.patch.name(UserField::Email);
        self.patch.email = self.parse("email_address", Email::parse(raw));
    }

    /// `None` clears the kind.
    fn kind(&mut self, raw: Option<&str>) {
        self.patch.name(UserField::Kind);
        self.patch.kind = match raw {
            None => Some(None),
            Some(raw) => self.parse("kind", Kind::parse(raw)).map(Some),
        };
    }

    /// `None` (or a blank position) clears it.
    fn position(&mut self, raw: Option<&str>) {
        self.patch.name(UserField::Position);
        self.patch.position = match raw {
            None => Some(None),
            Some(raw) => self
                .parse("position", user::parse_position(raw))
                .map(|p| (!p.is_empty()).then_some(p)),
        };
    }

    fn additional_email_addresses(&mut self, raw: &[String]) {
        self.patch.name(UserField::AdditionalEmailAddresses);
        if raw.len() > user::ADDITIONAL_EMAILS_MAX {
            self.errors.add(
                "additional_email_addresses",
                format!(
                    "Ensure this field has no more than {} elements.",
                    user::ADDITIONAL_EMAILS_MAX
                ),
            );
            return;
        }
        let parsed: Vec<Option<Email>> = raw
            .iter()
            .map(|e| self.parse("additional_email_addresses", Email::parse(e)))
            .collect();
        self.patch.additional_email_addresses = parsed.into_iter().collect();
    }

    /// `None` clears the date.
    fn contract_date(&mut self, field: UserField, raw: Option<&str>) {
        self.patch.name(field);
        let (key, slot) = match field {
            UserField::ContractStartDate => {
                ("contract_start_date", &mut self.patch.contract_start_date)
            }
            _ => ("contract_end_date", &mut self.patch.contract_end_date),
        };
        *slot = match raw {
            None => Some(None),
            Some(raw) => match time::parse(raw) {
                Ok(at) => Some(Some(at)),
                Err(message) => {
                    self.errors.add(key, message);
                    None
                }
            },
        };
    }

    fn into_parsed(self) -> Parsed<UserPatch> {
        Parsed::new(self.patch, self.errors)
    }
}

#[derive(Clone)]
pub struct UserTools {
    state: web::Data<AppState>,
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl UserTools {
    pub fn new(state: web::Data<AppState>) -> Self {
        Self {
            state,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        name = "listUsers",
        description = "Returns the users (profiles) of an organization, a page at a time: pass next_cursor back as cursor for the next page."
    )]
    async fn list_users(
        &self,
        Parameters(args): Parameters<ListUsersArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<UserList>, ToolError> {
        let size = match args.size {
            None => DEFAULT_SIZE,
            Some(n) if n < 1 => {
                return Err(ToolError::InvalidParams("size must be at least 1".into()));
            }
            Some(n) => n.min(MAX_SIZE),
        };
        let order = args.order_by.unwrap_or_default();
        let field = match order.field {
            OrderField::CreatedAt => KeysetField::Created,
            OrderField::FullName => KeysetField::Name,
            OrderField::EmailAddress => KeysetField::Email,
        };
        let descending = order.direction == OrderDirection::Desc;
        let after = match args.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(raw) => {
                Some(cursor::decode(raw, field, descending).map_err(ToolError::InvalidParams)?)
            }
            None => None,
        };
        let filter = user_filter(args.filter.unwrap_or_default())?;
        let caller = caller(&context)?;
        same_organization(&caller, &args.organization_id)?;
        let (rows, next) = self
            .state
            .db
            .read(move |conn| {
                user_service::list_after(
                    conn,
                    &caller,
                    &filter,
                    (field, descending),
                    after.as_ref(),
                    size,
                )
            })
            .await?;
        Ok(Json(UserList {
            users: rows.into_iter().map(Profile::from).collect(),
            next_cursor: next.map(|after| cursor::encode(field, descending, &after)),
        }))
    }

    #[tool(
        name = "getUser",
        description = "Returns a single user (profile) by id."
    )]
    async fn get_user(
        &self,
        Parameters(args): Parameters<GetUserArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<UserResult>, ToolError> {
        let caller = caller(&context)?;
        let detail = self
            .state
            .db
            .read(move |conn| user_service::get(conn, &caller, &args.id, false))
            .await
            .map_err(user_error)?;
        Ok(profile(detail))
    }

    #[tool(
        name = "createUser",
        description = "Creates a user profile (PENDING until it has a password) with a membership role in the organization."
    )]
    async fn create_user(
        &self,
        Parameters(args): Parameters<CreateUserArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<UserResult>, ToolError> {
        let caller = caller(&context)?;
        same_organization(&caller, &args.organization_id)?;
        let mut input = ProfileInput::default();
        input.full_name(&args.full_name);
        input.email_address(&args.email_address);
        input.kind(args.kind.as_deref());
        if let Some(emails) = &args.additional_email_addresses {
            input.additional_email_addresses(emails);
        }
        if let Some(position) = &args.position {
            input.position(Some(position));
        }
        for (field, value) in [
            (UserField::ContractStartDate, &args.contract_start_date),
            (UserField::ContractEndDate, &args.contract_end_date),
        ] {
            if let Some(value) = value {
                input.contract_date(field, Some(value));
            }
        }
        input.patch.name(UserField::UserRoles);
        input.patch.user_roles = Some(vec![AssignmentInput {
            role: Some(args.role.builtin().id().to_owned()),
            tier: Some(Tier::Account.as_str().to_owned()),
            ..AssignmentInput::default()
        }]);
        let Parsed { value, errors } = input.into_parsed();
        let input = Parsed::new(NewUser::manual(value), errors);
        let detail = self
            .state
            .db
            .write(move |conn| user_service::create(conn, &caller, false, input))
            .await?;
        Ok(profile(detail))
    }

    #[tool(
        name = "updateUser",
        description = "Updates a user's profile. full_name and kind must be sent; omitted optional fields keep their values and null clears them."
    )]
    async fn update_user(
        &self,
        Parameters(args): Parameters<UpdateUserArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<UserResult>, ToolError> {
        let caller = caller(&context)?;
        let mut input = ProfileInput::default();
        input.full_name(&args.full_name);
        input.kind(args.kind.as_deref());
        if let Some(emails) = &args.additional_email_addresses {
            input.additional_email_addresses(emails.as_deref().unwrap_or_default());
        }
        if let Some(position) = &args.position {
            input.position(position.as_deref());
        }
        for (field, value) in [
            (UserField::ContractStartDate, &args.contract_start_date),
            (UserField::ContractEndDate, &args.contract_end_date),
        ] {
            if let Some(value) = value {
                input.contract_date(field, value.as_deref());
            }
        }
        let input = input.into_parsed();
        let detail = self
            .state
            .db
            .write(move |conn| user_service::update(conn, &caller, &args.id, false, input))
            .await
            .map_err(user_error)?;
        Ok(profile(detail))
    }

    #[tool(
        name = "removeUser",
        description = "Removes a user from the organization (deletes the profile)."
    )]
    async fn remove_user(
        &self,
        Parameters(args): Parameters<ProfileArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<DeletedUser>, ToolError> {
        let caller = caller(&context)?;
        same_organization(&caller, &args.organization_id)?;
        let id = args.profile_id.clone();
        self.state
            .db
            .write(move |conn| user_service::delete(conn, &caller, &id, false))
            .await
            .map_err(user_error)?;
        Ok(Json(DeletedUser {
            deleted_user_id: args.profile_id,
        }))
    }

    #[tool(
        name = "updateMembership",
        description = "Changes a user's membership role within the organization."
    )]
    async fn update_membership(
        &self,
        Parameters(args): Parameters<UpdateMembershipArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<MembershipResult>, ToolError> {
        let caller = caller(&context)?;
        same_organization(&caller, &args.organization_id)?;
        let membership = self
            .state
            .db
            .write(move |conn| change_membership(conn, &caller, &args))
            .await?;
        membership
            .map(|membership| Json(MembershipResult { membership }))
            .ok_or_else(|| not_found("Membership"))
    }

    #[tool(
        name = "deactivateUser",
        description = "Deactivates a user: every token and API key it holds stops working at once, for good (reactivating the user does not revive them)."
    )]
    async fn deactivate_user(
        &self,
        Parameters(args): Parameters<ProfileArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<UserResult>, ToolError> {
        let caller = caller(&context)?;
        same_organization(&caller, &args.organization_id)?;
        let mut patch = UserPatch {
            active: Some(false),
            ..UserPatch::default()
        };
        patch.name(UserField::Active);
        let input = Parsed::valid(patch);
        let detail = self
            .state
            .db
            .write(move |conn| user_service::update(conn, &caller, &args.profile_id, false, input))
            .await
            .map_err(user_error)?;
        Ok(profile(detail))
    }

    #[tool(
        name = "inviteUser",
        description = "Invites a PENDING or DEACTIVATED user: mails a single-use link to choose a password (a DEACTIVATED user goes back to PENDING). A newer invitation supersedes older ones."
    )]
    async fn invite_user(
        &self,
        Parameters(args): Parameters<ProfileArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<InvitationResult>, ToolError> {
        let caller = caller(&context)?;
        same_organization(&caller, &args.organization_id)?;
        let user = Parsed {
            value: Some(args.profile_id),
            errors: FieldErrors::new(),
        };
        let invited = invitations::invite(&self.state, caller, user)
            .await
            .map_err(|e| match e {
                // The profile is named in the arguments: not found, as getUser says.
                Error::UnknownReference { field: "user", .. } => not_found("User"),
                other => user_error(other),
            })?;
        Ok(Json(InvitationResult {
            invitation_id: invited.invitation.0.id,
            link: invited.link,
        }))
    }

    #[tool(
        name = "requestAccess",
        description = "Requests a role at a place (the organization, a team or a target) for a while, for the caller itself, with a reason. The people who could grant it there are mailed; approval grants it from then on for duration_seconds."
    )]
    async fn request_access(
        &self,
        Parameters(args): Parameters<RequestAccessArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<AccessRequestResult>, ToolError> {
        let caller = caller(&context)?;
        same_organization(&caller, &args.organization_id)?;
        let detail = access_requests::request(&self.state, caller, args.parsed()).await?;
        Ok(Json(detail.into()))
    }

    #[tool(
        name = "approveAccessRequest",
        description = "Approves a pending access request: the requester gets the role there from now for the requested duration. Only someone who could grant that role there may, never the requester."
    )]
    async fn approve_access_request(
        &self,
        Parameters(args): Parameters<DecideAccessRequestArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<AccessRequestResult>, ToolError> {
        self.decide_access_request(args, context, true).await
    }

    #[tool(
        name = "denyAccessRequest",
        description = "Denies a pending access request, with an optional comment. Only someone who could grant that role there may, never the requester."
    )]
    async fn deny_access_request(
        &self,
        Parameters(args): Parameters<DecideAccessRequestArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<AccessRequestResult>, ToolError> {
        self.decide_access_request(args, context, false).await
    }
}

impl UserTools {
    async fn decide_access_request(
        &self,
        args: DecideAccessRequestArgs,
        context: RequestContext<RoleServer>,
        approve: bool,
    ) -> Result<Json<AccessRequestResult>, ToolError> {
        let caller = caller(&context)?;
        same_organization(&caller, &args.organization_id)?;
        let comment = args.comment();
        let detail = access_requests::decide_and_notify(
            &self.state,
            caller,
            args.access_request_id,
            approve,
            comment,
        )
        .await
        .map_err(|e| match e {
            Error::NotFound => not_found("Access request"),
            other => other.into(),
        })?;
        Ok(Json(detail.into()))
    }
}

/// "User not found." rather than the bare "Not found." where a user was named.
fn user_error(e: Error) -> ToolError {
    match e {
        Error::NotFound => not_found("User"),
        other => other.into(),
    }
}

/// listUsers' filter as the database takes it; a value outside its choices
/// is a malformed argument.
fn user_filter(args: UserFilterArgs) -> Result<UserFilter, ToolError> {
    let kind = match args
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        Some(raw) => Some(
            Kind::parse(raw).map_err(|m| ToolError::InvalidParams(format!("filter.kind: {m}")))?,
        ),
        None => None,
    };
    Ok(UserFilter {
        is_apiuser: false,
        query: args
            .query
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty()),
        membership_role: args.role.map(|r| r.builtin().id().to_owned()),
        states: args
            .states
            .unwrap_or_default()
            .into_iter()
            .map(ProfileState::state)
            .collect(),
        kind,
        ..UserFilter::default()
    })
}

/// Gives the membership `args.membership_id` the role `args.role` through
/// the same service call as a REST `user_roles` change, so it is judged by
/// the same rules. `None` when no such membership is in the organization.
fn change_membership(
    conn: &mut DbConnection,
    caller: &Caller,
    args: &UpdateMembershipArgs,
) -> crate::error::Result<Option<Membership>> {
    let Some(id) = PublicId::parse(&args.membership_id) else {
        return Ok(None);
    };
    let Some(user_id) = users::holder_of_role(conn, id.as_str())? else {
        return Ok(None);
    };
    if users::find_visible(conn, caller.organization_id(), &user_id, false)?.is_none() {
        return Ok(None);
    }
    let roles = users::roles_of(conn, std::slice::from_ref(&user_id))?;
    if Membership::among(&roles).is_none_or(|m| m.id != id.as_str()) {
        return Ok(None);
    }
    let assignments = roles
        .iter()
        .map(|r| AssignmentInput {
            role: Some(if r.id == id.as_str() {
                args.role.builtin().id().to_owned()
            } else {
                r.role_id.clone()
            }),
            tier: Some(r.tier.as_str().to_owned()),
            team: r.team_id.clone(),
            target: r.target_id.clone(),
            // Other assignments keep their windows.
            starts: r.starts.map(Ok),
            expires: r.expires.map(Ok),
        })
        .collect();
    let mut patch = UserPatch {
        user_roles: Some(assignments),
        ..UserPatch::default()
    };
    patch.name(UserField::UserRoles);
    let input = Parsed::valid(patch);
    let detail = user_service::update(conn, caller, &user_id, false, input)?;
    Ok(Membership::among(&detail.roles))
}

/// Arguments that do not fit a tool's input schema are a JSON-RPC -32602,
/// as API.md asks (rmcp would answer them with an `isError` result); so is a
/// NUL character in any of them, whatever the tool, as REST refuses it.
fn check_arguments(name: &str, arguments: Option<&JsonObject>) -> Result<(), ErrorData> {
    if let Some(path) = arguments.and_then(nul_path_in) {
        return Err(ErrorData::invalid_params(
            format!("Invalid arguments: {path}: {NUL_REFUSED}"),
            None,
        ));
    }
    fn fits<T: DeserializeOwned>(arguments: Option<&JsonObject>) -> Result<(), ErrorData> {
        let value = Value::Object(arguments.cloned().unwrap_or_default());
        serde_json::from_value::<T>(value)
            .map(drop)
            .map_err(|e| ErrorData::invalid_params(format!("Invalid arguments: {e}"), None))
    }
    match name {
        "listUsers" => fits::<ListUsersArgs>(arguments),
        "getUser" => fits::<GetUserArgs>(arguments),
        "createUser" => fits::<CreateUserArgs>(arguments),
        "updateUser" => fits::<UpdateUserArgs>(arguments),
        "removeUser" | "deactivateUser" | "inviteUser" => fits::<ProfileArgs>(arguments),
        "updateMembership" => fits::<UpdateMembershipArgs>(arguments),
        "requestAccess" => fits::<RequestAccessArgs>(arguments),
        "approveAccessRequest" | "denyAccessRequest" => fits::<DecideAccessRequestArgs>(arguments),
        // An unknown tool: the router answers it.
        _ => Ok(()),
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for UserTools {
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        check_arguments(&request.name, request.arguments.as_ref())?;
        let call = ToolCallContext::new(self, request, context);
        self.tool_router.call(call).await
    }

    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("tessera", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Tessera's users, through Probo's user tools: profiles (users) and their \
                 memberships (membership roles) in the caller's organization. Ids are \
                 12-character Base58 strings.",
            )
    }
}
