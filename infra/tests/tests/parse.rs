//! Every `.tf` file under `infra/` parses, and the module documents its interface
//! (Terraform cannot be downloaded here, so this stands in for `terraform validate`).

// Helpers called by `#[test]` functions, which clippy's `allow-unwrap-in-tests` does not
// reach; in them an unwrap is the assertion.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use stepwise_infra_tests::{attribute, repo_root, Module};

fn module_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut stack = vec![repo_root().join("infra")];
    while let Some(dir) = stack.pop() {
        let mut has_tf = false;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() && !name.starts_with('.') && name != "tests" {
                stack.push(path);
            } else if name.ends_with(".tf") {
                has_tf = true;
            }
        }
        if has_tf {
            dirs.push(dir);
        }
    }
    dirs.sort();
    dirs
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_tf_file_parses() {
    let dirs = module_dirs();
    let names: Vec<String> = dirs.iter().map(|d| relative(d)).collect();
    assert_eq!(
        names,
        ["infra/examples/basic", "infra/modules/stepwise"],
        "the Terraform roots"
    );
    for dir in dirs {
        let module = Module::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        let files: Vec<String> = module
            .files()
            .map(|(path, _)| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for needed in ["versions.tf", "variables.tf", "outputs.tf"] {
            assert!(
                files.iter().any(|f| f == needed),
                "{} has no {needed}",
                relative(&dir)
            );
        }
    }
}

#[test]
fn a_broken_file_is_reported_with_its_path() {
    let dir = std::env::temp_dir().join(format!("stepwise-infra-parse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.tf"), "resource \"a\" \"b\" {\n  x = \n}\n").unwrap();
    let error = Module::load(&dir).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        error.contains("bad.tf") && error.contains("does not parse"),
        "{error}"
    );
}

#[test]
fn every_variable_and_output_is_documented_and_typed() {
    for dir in module_dirs() {
        let module = Module::load(&dir).unwrap();
        for block in module.blocks("variable") {
            let name = block.labels()[0].as_str();
            for needed in ["description", "type"] {
                assert!(
                    attribute(block.body(), needed).is_some(),
                    "{}: variable {name} has no {needed}",
                    relative(&dir)
                );
            }
        }
        for block in module.blocks("output") {
            assert!(
                attribute(block.body(), "description").is_some(),
                "{}: output {} has no description",
                relative(&dir),
                block.labels()[0].as_str()
            );
        }
    }
}

#[test]
fn the_module_pins_the_aws_provider_to_version_5() {
    let module = Module::load(&repo_root().join("infra/modules/stepwise")).unwrap();
    let terraform = module.blocks("terraform");
    let providers = terraform[0]
        .body()
        .blocks()
        .find(|b| b.identifier() == "required_providers")
        .unwrap();
    let aws = module
        .eval(attribute(providers.body(), "aws").unwrap(), &[], "aws")
        .unwrap();
    assert_eq!(
        stepwise_infra_tests::to_json(&aws),
        serde_json::json!({"source": "hashicorp/aws", "version": "~> 5.0"})
    );
}
