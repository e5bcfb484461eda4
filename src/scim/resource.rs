//! Discovery (RFC 7644 §4): what this service provider supports, its
//! resource types and the schema of its users.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::users::USER_TYPES;
use super::{
    ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, ScimError, ScimResult, USER_SCHEMA,
    base_url, provisioner, respond,
};
use crate::auth::Caller;
use crate::error::Error;

/// The most resources one list answers.
pub const MAX_RESULTS: usize = 1000;

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    })
}

pub async fn service_provider_config(
    caller: Result<Caller, Error>,
    req: HttpRequest,
) -> ScimResult<HttpResponse> {
    provisioner(caller)?;
    Ok(respond(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://github.com/tessera/tessera#connect-your-identity-provider-scim",
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": true},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer API key",
                "description": "The key of an API user holding a role with scim.provision.",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", base_url(&req)),
            },
        }),
    ))
}

fn describe_type(
    base: &str,
    name: &str,
    description: &str,
    schema: &str,
    extensions: &[&str],
) -> Value {
    let extensions: Vec<Value> = extensions
        .iter()
        .map(|e| json!({"schema": e, "required": false}))
        .collect();
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": name,
        "name": name,
        "endpoint": format!("/{name}s"),
        "description": description,
        "schema": schema,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")},
    })
}

fn all_resource_types(base: &str) -> Vec<Value> {
    vec![
        describe_type(
            base,
            "User",
            "A person of the organization.",
            USER_SCHEMA,
            &[ENTERPRISE_USER_SCHEMA],
        ),
        describe_type(
            base,
            "Group",
            "A team; its members hold a role at the team's tier.",
            GROUP_SCHEMA,
            &[],
        ),
    ]
}

pub async fn resource_types(
    caller: Result<Caller, Error>,
    req: HttpRequest,
) -> ScimResult<HttpResponse> {
    provisioner(caller)?;
    Ok(respond(
        StatusCode::OK,
        &list(all_resource_types(&base_url(&req))),
    ))
}

/// One of `resources` by its `id`, or SCIM's 404.
fn by_id(resources: Vec<Value>, id: &str, what: &str) -> ScimResult<HttpResponse> {
    resources
        .into_iter()
        .find(|r| r["id"].as_str() == Some(id))
        .map(|r| respond(StatusCode::OK, &r))
        .ok_or_else(|| ScimError::new(StatusCode::NOT_FOUND, None, format!("No such {what}.")))
}

pub async fn resource_type(
    caller: Result<Caller, Error>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    provisioner(caller)?;
    by_id(all_resource_types(&base_url(&req)), &id, "resource type")
}

/// An attribute's definition (RFC 7643 §7).
fn attribute(name: &str, kind: &str, multi: bool, required: bool, mutability: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": multi,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": if name == "userName" { "server" } else { "none" },
    })
}

/// `attribute` marked required.
fn required(mut attribute: Value) -> Value {
    attribute["required"] = true.into();
    attribute
}

fn complex(name: &str, multi: bool, mutability: &str, subs: Vec<Value>) -> Value {
    let mut value = attribute(name, "complex", multi, false, mutability);
    value["subAttributes"] = Value::Array(subs);
    value
}

fn reference(name: &str, types: &[&str], mutability: &str) -> Value {
    let mut value = attribute(name, "reference", false, false, mutability);
    value["referenceTypes"] = json!(types);
    value["caseExact"] = true.into();
    value
}

fn string(name: &str) -> Value {
    attribute(name, "string", false, false, "readWrite")
}

fn read_only(name: &str) -> Value {
    attribute(name, "string", false, false, "readOnly")
}

fn external_id() -> Value {
    let mut value = string("externalId");
    value["caseExact"] = true.into();
    value
}

fn schema(base: &str, id: &str, name: &str, description: &str, attributes: Vec<Value>) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

/// What Tessera keeps of a user. `displayName` and `active` are always
/// there (a user without them is given its e-mail and `true`), hence
/// required; `groups` is read-only (membership is written on the group).
fn user_schema(base: &str) -> Value {
    let mut user_type = string("userType");
    user_type["canonicalValues"] = USER_TYPES.iter().map(|(name, _)| *name).collect();
    user_type["description"] = "Probo's kind: Employee, Contractor or ServiceAccount.".into();
    schema(
        base,
        USER_SCHEMA,
        "User",
        "A person of the organization. userName is kept as the identity provider sends it; \
         the address the person signs in with comes from emails (the primary, else the work \
         one, else the first), so emails is required (a userName that is an e-mail address \
         stands in when emails is absent).",
        vec![
            attribute("userName", "string", false, true, "readWrite"),
            external_id(),
            complex(
                "name",
                false,
                "readWrite",
                vec![
                    string("formatted"),
                    string("givenName"),
                    string("familyName"),
                ],
            ),
            attribute("displayName", "string", false, true, "readWrite"),
            string("title"),
            user_type,
            attribute("active", "boolean", false, true, "readWrite"),
            required(complex(
                "emails",
                true,
                "readWrite",
                vec![
                    required(string("value")),
                    string("type"),
                    attribute("primary", "boolean", false, false, "readWrite"),
                ],
            )),
            complex(
                "groups",
                true,
                "readOnly",
                vec![
                    read_only("value"),
                    reference("$ref", &["Group"], "readOnly"),
                    read_only("display"),
                    read_only("type"),
                ],
            ),
        ],
    )
}

/// A team as a group; `members` are people (groups do not nest).
fn group_schema(base: &str) -> Value {
    schema(
        base,
        GROUP_SCHEMA,
        "Group",
        "A team; its members hold a role at the team's tier.",
        vec![
            attribute("displayName", "string", false, true, "readWrite"),
            external_id(),
            complex(
                "members",
                true,
                "readWrite",
                vec![
                    attribute("value", "string", false, false, "immutable"),
                    reference("$ref", &["User"], "immutable"),
                ],
            ),
        ],
    )
}

/// The enterprise extension: kept as the IdP sends it and shown back; no
/// Tessera field corresponds to these attributes.
fn enterprise_schema(base: &str) -> Value {
    schema(
        base,
        ENTERPRISE_USER_SCHEMA,
        "EnterpriseUser",
        "Enterprise attributes of a user, kept as the identity provider sends them.",
        vec![
            string("employeeNumber"),
            string("costCenter"),
            string("organization"),
            string("division"),
            string("department"),
            complex(
                "manager",
                false,
                "readWrite",
                vec![string("value"), reference("$ref", &["User"], "readWrite")],
            ),
        ],
    )
}

fn all_schemas(base: &str) -> Vec<Value> {
    vec![
        user_schema(base),
        group_schema(base),
        enterprise_schema(base),
    ]
}

pub async fn schemas(caller: Result<Caller, Error>, req: HttpRequest) -> ScimResult<HttpResponse> {
    provisioner(caller)?;
    Ok(respond(StatusCode::OK, &list(all_schemas(&base_url(&req)))))
}

pub async fn schema_by_id(
    caller: Result<Caller, Error>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    provisioner(caller)?;
    by_id(all_schemas(&base_url(&req)), &id, "schema")
}
