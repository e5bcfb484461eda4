//! Discovery (RFC 7644 §4): what this service provider supports, its
//! resource types and the schema of its users.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Value, json};

use super::{LIST_SCHEMA, ScimResult, USER_SCHEMA, base_url, provisioner, respond};
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
            "documentationUri": "https://github.com/tessera/tessera#scim-provisioning",
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

fn user_resource_type(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A person of the organization.",
        "schema": USER_SCHEMA,
        "schemaExtensions": [],
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
    })
}

pub async fn resource_types(
    caller: Result<Caller, Error>,
    req: HttpRequest,
) -> ScimResult<HttpResponse> {
    provisioner(caller)?;
    Ok(respond(
        StatusCode::OK,
        &list(vec![user_resource_type(&base_url(&req))]),
    ))
}

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

fn complex(name: &str, multi: bool, subs: Vec<Value>) -> Value {
    let mut value = attribute(name, "complex", multi, false, "readWrite");
    value["subAttributes"] = Value::Array(subs);
    value
}

fn user_schema(base: &str) -> Value {
    let string = |name: &str| attribute(name, "string", false, false, "readWrite");
    let mut external_id = string("externalId");
    external_id["caseExact"] = true.into();
    json!({
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person of the organization; userName is the e-mail address.",
        "attributes": [
            attribute("userName", "string", false, true, "readWrite"),
            external_id,
            complex("name", false, vec![string("formatted"), string("givenName"), string("familyName")]),
            string("displayName"),
            string("title"),
            attribute("active", "boolean", false, false, "readWrite"),
            complex("emails", true, vec![
                string("value"),
                string("type"),
                attribute("primary", "boolean", false, false, "readWrite"),
            ]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}")},
    })
}

pub async fn schemas(caller: Result<Caller, Error>, req: HttpRequest) -> ScimResult<HttpResponse> {
    provisioner(caller)?;
    Ok(respond(
        StatusCode::OK,
        &list(vec![user_schema(&base_url(&req))]),
    ))
}
