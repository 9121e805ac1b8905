//! A Distributed Map's `ItemReader`: the resource, its `Parameters` / `Arguments`, and
//! `ReaderConfig` (checked here so a bad reader fails validation, not the execution).

use super::ctx::{Ctx, Obj};
use super::{jsonata, states, template};
use crate::definition::{ItemReader, Payload};

/// The readers Step Functions offers (the `s3:…` resources exist only for ItemReader).
pub(crate) const RESOURCES: &[&str] = &[
    "arn:aws:states:::s3:getObject",
    "arn:aws:states:::s3:listObjectsV2",
];

const FIELDS: &[&str] = &["Resource", "Parameters", "Arguments", "ReaderConfig"];
const READER_CONFIG: &[&str] = &[
    "InputType",
    "CSVHeaderLocation",
    "CSVHeaders",
    "CSVDelimiter",
    "MaxItems",
    "MaxItemsPath",
    "ManifestType",
];
const INPUT_TYPES: &[&str] = &["JSON", "JSONL", "CSV", "MANIFEST"];
const DELIMITERS: &[&str] = &["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"];

/// AWS's cap on `MaxItems` (100,000,000).
const MAX_ITEMS: u64 = 100_000_000;

pub(crate) fn parse(cx: &mut Ctx, obj: &Obj<'_>) -> Option<ItemReader> {
    obj.check_fields(cx, FIELDS, "an ItemReader");
    let before = cx.diags.len();
    let resource = obj.req_string(cx, "Resource");
    if let Some(r) = resource {
        if !RESOURCES.contains(&r) {
            cx.err(
                &obj.at("Resource"),
                format!(
                    "\"{r}\" is not an item reader (expected one of {})",
                    RESOURCES.join(", ")
                ),
            );
        }
    }
    let parameters = if cx.jsonata() {
        jsonata::field(cx, obj, "Arguments").map(Payload::Jsonata)
    } else {
        template::field(cx, obj, "Parameters").map(Payload::Template)
    };
    let mut max_items = None;
    let mut reader_config = serde_json::Map::new();
    if let Some(config) = obj.object(cx, "ReaderConfig") {
        config.check_fields(cx, READER_CONFIG, "a ReaderConfig");
        max_items = states::count(cx, &config, "MaxItems", MAX_ITEMS).flatten();
        for (key, allowed) in [
            ("InputType", INPUT_TYPES),
            ("CSVHeaderLocation", &["FIRST_ROW", "GIVEN"][..]),
            ("CSVDelimiter", DELIMITERS),
            ("ManifestType", &["S3_INVENTORY"][..]),
        ] {
            if let Some(value) = config.string(cx, key) {
                if !allowed.contains(&value) {
                    cx.err(
                        &config.at(key),
                        format!("must be one of {}", allowed.join(", ")),
                    );
                }
            }
        }
        if let Some(headers) = config.array(cx, "CSVHeaders") {
            if headers.iter().any(|h| !h.is_string()) {
                cx.err(&config.at("CSVHeaders"), "must be an array of strings");
            }
        }
        let given = config.get("CSVHeaderLocation").and_then(|v| v.as_str()) == Some("GIVEN");
        if given && !config.has("CSVHeaders") {
            cx.err(
                &config.at("CSVHeaders"),
                "is required when CSVHeaderLocation is GIVEN",
            );
        }
        for (key, value) in config.map {
            if key != "MaxItems" && key != "MaxItemsPath" {
                reader_config.insert(key.clone(), value.clone());
            }
        }
    }
    if cx.diags.len() != before {
        return None;
    }
    Some(ItemReader {
        resource: resource?.to_owned(),
        parameters,
        max_items,
        reader_config,
    })
}
