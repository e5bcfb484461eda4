//! The console's static files, compiled into the binary: its stylesheet,
//! its script and htmx (vendored from the `htmx.org` npm package, 2.0.11,
//! with its licence beside it). Their URLs carry a hash of their content,
//! so browsers may keep them for a year.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError, web};
use sha2::{Digest, Sha256};

use super::{Failure, ROOT};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("static/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("static/console.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("static/icon.svg"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("static/htmx.min.js"),
    },
];

/// Each asset's content hash (12 hex digits), in `ASSETS` order.
static VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            Sha256::digest(asset.body)
                .iter()
                .take(6)
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
});

/// The URL of asset `name`, with its content's version.
pub fn url(name: &str) -> String {
    let version = ASSETS
        .iter()
        .position(|a| a.name == name)
        .map(|i| VERSIONS[i].as_str())
        .unwrap_or("0");
    format!("{ROOT}/static/{name}?v={version}")
}

/// `GET /console/static/{file}`: the file, cached for a year (its URL
/// changes with its content).
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    let Some(asset) = ASSETS.iter().find(|a| a.name == file.as_str()) else {
        return Failure::NotFound.error_response();
    };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_urls_name_their_content() {
        let css = url("console.css");
        assert!(css.starts_with("/console/static/console.css?v="), "{css}");
        assert_eq!(css.len(), "/console/static/console.css?v=".len() + 12);
    }
}
