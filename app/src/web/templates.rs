//! Tera templates, compiled into the binary, parsed once at start-up.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;
use serde::Serialize;

use crate::web::assets::Assets;
use crate::web::request::SiteUrl;

#[derive(RustEmbed)]
#[folder = "../templates"]
struct Sources;

#[derive(Clone)]
pub struct Templates {
    tera: Arc<tera::Tera>,
}

impl Templates {
    /// Parses every template; a syntax error stops start-up rather than a page later.
    pub fn load(assets: Assets) -> Result<Self, tera::Error> {
        let mut tera = tera::Tera::default();
        let sources: Vec<(String, String)> = Sources::iter()
            .filter_map(|name| {
                let file = Sources::get(&name)?;
                Some((
                    name.into_owned(),
                    String::from_utf8_lossy(&file.data).into_owned(),
                ))
            })
            .collect();
        tera.add_raw_templates(sources)?;
        tera.register_function("static_url", StaticUrl(assets));
        tera.register_filter("absolute", absolute);
        tera.register_filter("srcset", srcset);
        Ok(Self { tera: Arc::new(tera) })
    }

    pub fn names(&self) -> Vec<String> {
        self.tera.get_template_names().map(str::to_owned).collect()
    }

    /// Renders `name` with `view` (a struct whose fields become the template's variables).
    pub fn render(&self, name: &str, view: &impl Serialize) -> Result<String, tera::Error> {
        let context = tera::Context::from_serialize(view)?;
        self.tera.render(name, &context)
    }

    /// Renders a page with a status, as a response.
    pub fn page(
        &self,
        status: StatusCode,
        name: &str,
        view: &impl Serialize,
    ) -> Result<Response, tera::Error> {
        Ok((status, Html(self.render(name, view)?)).into_response())
    }
}

/// `static_url(name="app.css")`: the versioned URL of a static file. Its output is built from
/// our own file names, so it is marked safe (Tera would otherwise escape every `/`).
struct StaticUrl(Assets);

impl tera::Function for StaticUrl {
    fn call(&self, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
        let name = args
            .get("name")
            .and_then(tera::Value::as_str)
            .ok_or_else(|| tera::Error::msg("static_url needs name=\"...\""))?;
        Ok(tera::Value::String(self.0.url(name)))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// `url | absolute(site=layout.site_url)`: a path of this site as an absolute URL, for what is
/// read away from the site (shared cards, feeds, the sitemap); an address elsewhere stays as it
/// is, and none (null) is empty.
fn absolute(value: &tera::Value, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let url = match value {
        tera::Value::Null => "",
        value => value
            .as_str()
            .ok_or_else(|| tera::Error::msg("absolute applies to a string"))?,
    };
    let site = args
        .get("site")
        .and_then(tera::Value::as_str)
        .ok_or_else(|| tera::Error::msg("absolute needs site=\"...\""))?;
    Ok(tera::Value::String(SiteUrl(site.to_owned()).absolute(url)))
}

/// `url | srcset(widths=[480, 960], full=1600)`: the `srcset` of one of our images, its narrower
/// copies at `widths` and itself at `full` (see `media::variants`); empty for any other image.
fn srcset(value: &tera::Value, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let Some(url) = value.as_str() else {
        return Ok(tera::Value::String(String::new()));
    };
    let widths: Vec<u32> = args
        .get("widths")
        .and_then(tera::Value::as_array)
        .ok_or_else(|| tera::Error::msg("srcset needs widths=[...]"))?
        .iter()
        .filter_map(|w| w.as_u64().and_then(|w| u32::try_from(w).ok()))
        .collect();
    let full = args
        .get("full")
        .and_then(tera::Value::as_u64)
        .and_then(|w| u32::try_from(w).ok())
        .ok_or_else(|| tera::Error::msg("srcset needs full=N"))?;
    Ok(tera::Value::String(domain::image::variants::srcset(
        url, &widths, full,
    )))
}
