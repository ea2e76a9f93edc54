//! The fixture's resources and resource template.

use async_trait::async_trait;
use mcp_protocol::{
    HandlerError, ReadResourceResult, RequestContext, Resource, ResourceContents, ResourceProvider,
    ResourceTemplate,
};
use serde_json::json;

use crate::TEST_IMAGE_BASE64;

pub(crate) struct FixtureResources;

fn resource(uri: &str, name: &str, title: &str, description: &str, mime: &str) -> Resource {
    Resource {
        uri: uri.into(),
        name: name.into(),
        title: Some(title.into()),
        description: Some(description.into()),
        mime_type: Some(mime.into()),
    }
}

#[async_trait]
impl ResourceProvider for FixtureResources {
    async fn list_resources(&self, _ctx: &RequestContext) -> Result<Vec<Resource>, HandlerError> {
        Ok(vec![
            resource(
                "test://static-text",
                "static-text",
                "Static Text Resource",
                "A static text resource for testing",
                "text/plain",
            ),
            resource(
                "test://static-binary",
                "static-binary",
                "Static Binary Resource",
                "A static binary resource (image) for testing",
                "image/png",
            ),
            resource(
                "test://watched-resource",
                "watched-resource",
                "Watched Resource",
                "A resource that auto-updates every 3 seconds",
                "text/plain",
            ),
        ])
    }

    async fn list_resource_templates(
        &self,
        _ctx: &RequestContext,
    ) -> Result<Vec<ResourceTemplate>, HandlerError> {
        Ok(vec![ResourceTemplate {
            uri_template: "test://template/{id}/data".into(),
            name: "template".into(),
            title: Some("Resource Template".into()),
            description: Some("A resource template with parameter substitution".into()),
            mime_type: Some("application/json".into()),
        }])
    }

    async fn read_resource(
        &self,
        uri: &str,
        _ctx: &RequestContext,
    ) -> Result<ReadResourceResult, HandlerError> {
        let contents = match uri {
            "test://static-text" => ResourceContents::text(
                uri,
                "text/plain",
                "This is the content of the static text resource.",
            ),
            "test://static-binary" => ResourceContents::blob(uri, "image/png", TEST_IMAGE_BASE64),
            "test://watched-resource" => {
                ResourceContents::text(uri, "text/plain", "Watched resource content")
            }
            _ => match uri
                .strip_prefix("test://template/")
                .and_then(|r| r.strip_suffix("/data"))
            {
                Some(id) if !id.is_empty() && !id.contains('/') => {
                    let body = json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
                    ResourceContents::text(uri, "application/json", body.to_string())
                }
                _ => {
                    return Err(HandlerError::NotFound {
                        kind: "resource",
                        name: uri.into(),
                    });
                }
            },
        };
        Ok(ReadResourceResult {
            contents: vec![contents],
        })
    }

    fn supports_subscribe(&self) -> bool {
        true
    }
}
