//! One Terraform module (a folder of `.tf` files), parsed and evaluated statically.

use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use hcl::{Block, Body, Expression, Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} does not parse as HCL: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("no .tf file in {0}")]
    Empty(PathBuf),
    #[error("evaluating {what}: {message}")]
    Eval { what: String, message: String },
    #[error("{0} is not in the module")]
    Missing(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The parsed files of a module, its variables' defaults and its evaluated locals.
#[derive(Debug)]
pub struct Module {
    dir: PathBuf,
    files: Vec<(PathBuf, Body)>,
    variables: Map<String, Value>,
    locals: Map<String, Value>,
    /// Why each local that could not be evaluated failed.
    unevaluated: Map<String, String>,
    /// Root names (`aws_sqs_queue`, `data`, …) standing for what an apply would create.
    stubs: Map<String, Value>,
}

impl Module {
    /// Parses every `.tf` file in `dir` (in name order) and evaluates the variables'
    /// defaults and the locals.
    pub fn load(dir: &Path) -> Result<Self> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|source| Error::Io {
                path: dir.to_owned(),
                source,
            })?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "tf"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(Error::Empty(dir.to_owned()));
        }
        let mut files = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let body = hcl::parse(&text).map_err(|e| Error::Parse {
                path: path.clone(),
                message: e.to_string(),
            })?;
            files.push((path, body));
        }
        let mut module = Self {
            dir: dir.to_owned(),
            files,
            variables: Map::new(),
            locals: Map::new(),
            unevaluated: Map::new(),
            stubs: Map::new(),
        };
        let mut variables = Map::new();
        for block in module.blocks("variable") {
            let name = label(block, 0)?.to_owned();
            let default = match attribute(block.body(), "default") {
                Some(expr) => module.eval(expr, &[], &format!("var.{name} default"))?,
                None => Value::Null,
            };
            variables.insert(name, default);
        }
        module.variables = variables;
        module.evaluate_locals();
        Ok(module)
    }

    /// The files, with their paths, in name order.
    pub fn files(&self) -> impl Iterator<Item = (&Path, &Body)> {
        self.files.iter().map(|(path, body)| (path.as_path(), body))
    }

    /// Every top-level block of kind `kind` (`resource`, `variable`, …).
    pub fn blocks(&self, kind: &str) -> Vec<&Block> {
        self.files
            .iter()
            .flat_map(|(_, body)| body.blocks())
            .filter(|block| block.identifier() == kind)
            .collect()
    }

    /// The body of `resource "<kind>" "<name>"` (or `data`, with `block` = "data").
    pub fn block(&self, block: &str, kind: &str, name: &str) -> Result<&Body> {
        self.blocks(block)
            .into_iter()
            .find(|b| {
                b.labels().first().map(|l| l.as_str()) == Some(kind)
                    && b.labels().get(1).map(|l| l.as_str()) == Some(name)
            })
            .map(Block::body)
            .ok_or_else(|| Error::Missing(format!("{block} \"{kind}\" \"{name}\"")))
    }

    pub fn resource(&self, kind: &str, name: &str) -> Result<&Body> {
        self.block("resource", kind, name)
    }

    /// Declares `root` (e.g. `aws_sqs_queue`) as `value` for expressions that refer to
    /// what an apply creates, then evaluates the locals that needed it.
    pub fn stub(&mut self, root: &str, value: Value) {
        self.stubs.insert(root.to_owned(), value);
        self.evaluate_locals();
    }

    /// Sets `var.<name>` as a caller of the module would, and evaluates the locals again.
    pub fn set_variable(&mut self, name: &str, value: Value) {
        self.variables.insert(name.to_owned(), value);
        self.locals.clear();
        self.unevaluated.clear();
        self.evaluate_locals();
    }

    /// The value of `local.<name>`.
    pub fn local(&self, name: &str) -> Result<&Value> {
        self.locals
            .get(name)
            .ok_or_else(|| match self.unevaluated.get(name) {
                Some(message) => Error::Eval {
                    what: format!("local.{name}"),
                    message: message.clone(),
                },
                None => Error::Missing(format!("local.{name}")),
            })
    }

    /// The default of `var.<name>`.
    pub fn variable(&self, name: &str) -> Result<&Value> {
        self.variables
            .get(name)
            .ok_or_else(|| Error::Missing(format!("var.{name}")))
    }

    /// Evaluates `expr` with the variables, locals, `path.module`, stubs and `extra`
    /// (e.g. `each`); `what` names it in errors.
    pub fn eval(&self, expr: &Expression, extra: &[(&str, Value)], what: &str) -> Result<Value> {
        let mut ctx = Context::new();
        crate::functions::declare(&mut ctx);
        let dir = self.dir.to_string_lossy().into_owned();
        ctx.declare_var(
            "path",
            Value::Object(Map::from_iter([
                ("module".to_owned(), Value::from(dir.clone())),
                ("root".to_owned(), Value::from(dir)),
            ])),
        );
        ctx.declare_var("var", Value::Object(self.variables.clone()));
        ctx.declare_var("local", Value::Object(self.locals.clone()));
        for (name, value) in &self.stubs {
            ctx.declare_var(name.as_str(), value.clone());
        }
        for (name, value) in extra {
            ctx.declare_var(*name, value.clone());
        }
        expr.evaluate(&ctx).map_err(|e| Error::Eval {
            what: what.to_owned(),
            message: e.to_string(),
        })
    }

    /// Evaluates attribute `name` of `body`.
    pub fn attr(&self, body: &Body, name: &str, extra: &[(&str, Value)]) -> Result<Value> {
        let expr = attribute(body, name).ok_or_else(|| Error::Missing(name.to_owned()))?;
        self.eval(expr, extra, name)
    }

    /// A resource's `for_each` as (each.key, each.value) pairs: a map's entries, or a
    /// set's elements (key = value).
    pub fn for_each(&self, body: &Body) -> Result<Vec<(String, Value)>> {
        Ok(match self.attr(body, "for_each", &[])? {
            Value::Object(map) => map.into_iter().collect(),
            Value::Array(items) => items
                .into_iter()
                .map(|item| (item.as_str().unwrap_or_default().to_owned(), item))
                .collect(),
            other => {
                return Err(Error::Eval {
                    what: "for_each".to_owned(),
                    message: format!("{other:?} is neither a map nor a set"),
                })
            }
        })
    }

    /// Every `<name>` block of `body`, literal or generated by `dynamic "<name>"`, as its
    /// evaluated attributes. `extra` is in scope (e.g. `each`).
    pub fn nested_blocks(
        &self,
        body: &Body,
        name: &str,
        extra: &[(&str, Value)],
    ) -> Result<Vec<Map<String, Value>>> {
        let mut out = Vec::new();
        for block in body.blocks() {
            if block.identifier() == name {
                out.push(self.attributes(block.body(), extra)?);
            } else if block.identifier() == "dynamic" && label(block, 0)? == name {
                let iterator = match attribute(block.body(), "iterator") {
                    Some(Expression::Variable(v)) => v.as_str().to_owned(),
                    _ => name.to_owned(),
                };
                let content = block
                    .body()
                    .blocks()
                    .find(|b| b.identifier() == "content")
                    .ok_or_else(|| Error::Missing(format!("dynamic \"{name}\" content")))?;
                let each = attribute(block.body(), "for_each")
                    .ok_or_else(|| Error::Missing(format!("dynamic \"{name}\" for_each")))?;
                let items: Vec<(Value, Value)> =
                    match self.eval(each, extra, &format!("dynamic \"{name}\" for_each"))? {
                        Value::Object(map) => {
                            map.into_iter().map(|(k, v)| (Value::from(k), v)).collect()
                        }
                        Value::Array(items) => items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (Value::from(i as u64), v))
                            .collect(),
                        other => vec![(Value::Null, other)],
                    };
                for (key, value) in items {
                    let bound = Value::Object(Map::from_iter([
                        ("key".to_owned(), key),
                        ("value".to_owned(), value),
                    ]));
                    let mut scope = extra.to_vec();
                    scope.push((iterator.as_str(), bound));
                    out.push(self.attributes(content.body(), &scope)?);
                }
            }
        }
        Ok(out)
    }

    fn attributes(&self, body: &Body, extra: &[(&str, Value)]) -> Result<Map<String, Value>> {
        body.attributes()
            .map(|a| Ok((a.key().to_owned(), self.eval(a.expr(), extra, a.key())?)))
            .collect()
    }

    /// Evaluates every local whose inputs are known, until no more can be; the others
    /// keep their error for [`Module::local`].
    fn evaluate_locals(&mut self) {
        let pending: Vec<(String, Expression)> = self
            .blocks("locals")
            .into_iter()
            .flat_map(|block| block.body().attributes())
            .map(|a| (a.key().to_owned(), a.expr().clone()))
            .collect();
        let mut pending: Vec<_> = pending
            .into_iter()
            .filter(|(name, _)| !self.locals.contains_key(name))
            .collect();
        loop {
            let before = pending.len();
            let mut left = Vec::new();
            for (name, expr) in pending {
                match self.eval(&expr, &[], &format!("local.{name}")) {
                    Ok(value) => {
                        self.unevaluated.shift_remove(&name);
                        self.locals.insert(name, value);
                    }
                    Err(e) => {
                        self.unevaluated.insert(name.clone(), e.to_string());
                        left.push((name, expr));
                    }
                }
            }
            pending = left;
            if pending.is_empty() || pending.len() == before {
                return;
            }
        }
    }
}

/// The expression of attribute `name` in `body`, if set.
pub fn attribute<'a>(body: &'a Body, name: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|a| a.key() == name)
        .map(|a| a.expr())
}

fn label(block: &Block, i: usize) -> Result<&str> {
    block
        .labels()
        .get(i)
        .map(|l| l.as_str())
        .ok_or_else(|| Error::Missing(format!("label {i} of a {} block", block.identifier())))
}
