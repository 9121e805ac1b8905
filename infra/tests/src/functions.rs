//! The Terraform functions the module's locals call, with Terraform's semantics for the
//! argument kinds used there. A function missing here makes evaluation fail with
//! "undefined function", never a silent wrong value.

use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl::{Map, Value};

/// Declares every function below in `ctx`.
pub fn declare(ctx: &mut Context<'_>) {
    let string = || ParamType::String;
    let any = || ParamType::Any;
    ctx.declare_func("file", FuncDef::builder().param(string()).build(file));
    ctx.declare_func(
        "jsondecode",
        FuncDef::builder().param(string()).build(jsondecode),
    );
    ctx.declare_func(
        "jsonencode",
        FuncDef::builder().param(any()).build(jsonencode),
    );
    ctx.declare_func(
        "lookup",
        FuncDef::builder()
            .params([any(), string(), any()])
            .build(lookup),
    );
    ctx.declare_func(
        "replace",
        FuncDef::builder()
            .params([string(), string(), string()])
            .build(replace),
    );
    ctx.declare_func(
        "max",
        FuncDef::builder()
            .variadic_param(ParamType::Number)
            .build(max),
    );
    ctx.declare_func(
        "merge",
        FuncDef::builder().variadic_param(any()).build(merge),
    );
    ctx.declare_func("flatten", FuncDef::builder().param(any()).build(flatten));
    ctx.declare_func(
        "contains",
        FuncDef::builder().params([any(), any()]).build(contains),
    );
    ctx.declare_func("keys", FuncDef::builder().param(any()).build(keys));
    ctx.declare_func("length", FuncDef::builder().param(any()).build(length));
    ctx.declare_func(
        "concat",
        FuncDef::builder().variadic_param(any()).build(concat),
    );
}

fn string_arg(args: &FuncArgs, i: usize) -> Result<&str, String> {
    args[i]
        .as_str()
        .ok_or_else(|| format!("argument {i} is not a string"))
}

fn file(args: FuncArgs) -> Result<Value, String> {
    let path = string_arg(&args, 0)?;
    std::fs::read_to_string(path)
        .map(Value::from)
        .map_err(|e| format!("file({path}): {e}"))
}

fn jsondecode(args: FuncArgs) -> Result<Value, String> {
    let json: serde_json::Value =
        serde_json::from_str(string_arg(&args, 0)?).map_err(|e| format!("jsondecode: {e}"))?;
    hcl::to_value(json).map_err(|e| format!("jsondecode: {e}"))
}

fn jsonencode(args: FuncArgs) -> Result<Value, String> {
    serde_json::to_string(&args[0])
        .map(Value::from)
        .map_err(|e| format!("jsonencode: {e}"))
}

fn lookup(args: FuncArgs) -> Result<Value, String> {
    let map = args[0]
        .as_object()
        .ok_or("lookup: the first argument is not a map")?;
    let key = string_arg(&args, 1)?;
    Ok(map.get(key).cloned().unwrap_or_else(|| args[2].clone()))
}

fn replace(args: FuncArgs) -> Result<Value, String> {
    let (s, from, to) = (
        string_arg(&args, 0)?,
        string_arg(&args, 1)?,
        string_arg(&args, 2)?,
    );
    Ok(Value::from(s.replace(from, to)))
}

fn max(args: FuncArgs) -> Result<Value, String> {
    let numbers: Vec<&hcl::Number> = args.iter().filter_map(Value::as_number).collect();
    if numbers.is_empty() {
        return Err("max: needs at least one number".to_owned());
    }
    // Integers stay integers, so a result compares equal to a `u32` constant.
    if let Some(ints) = numbers
        .iter()
        .map(|n| n.as_i64())
        .collect::<Option<Vec<_>>>()
    {
        return Ok(Value::from(ints.into_iter().max().unwrap_or_default()));
    }
    let floats = numbers.iter().filter_map(|n| n.as_f64());
    Ok(Value::from(floats.fold(f64::MIN, f64::max)))
}

/// Later maps win, as in Terraform.
fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut merged = Map::new();
    for arg in args.iter() {
        let map = arg.as_object().ok_or("merge: an argument is not a map")?;
        merged.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Ok(Value::Object(merged))
}

fn flatten(args: FuncArgs) -> Result<Value, String> {
    fn walk(value: &Value, out: &mut Vec<Value>) {
        match value {
            Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            other => out.push(other.clone()),
        }
    }
    let mut out = Vec::new();
    walk(&args[0], &mut out);
    Ok(Value::Array(out))
}

fn contains(args: FuncArgs) -> Result<Value, String> {
    let list = args[0]
        .as_array()
        .ok_or("contains: the first argument is not a list")?;
    Ok(Value::from(list.contains(&args[1])))
}

/// In lexicographic order, as Terraform returns them.
fn keys(args: FuncArgs) -> Result<Value, String> {
    let map = args[0]
        .as_object()
        .ok_or("keys: the argument is not a map")?;
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    Ok(Value::Array(
        keys.into_iter().map(|k| Value::from(k.clone())).collect(),
    ))
}

fn length(args: FuncArgs) -> Result<Value, String> {
    let n = match &args[0] {
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        Value::String(s) => s.chars().count(),
        _ => return Err("length: not a collection or string".to_owned()),
    };
    Ok(Value::from(n as u64))
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for arg in args.iter() {
        out.extend(
            arg.as_array()
                .ok_or("concat: an argument is not a list")?
                .iter()
                .cloned(),
        );
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(expr: &str) -> serde_json::Value {
        let mut ctx = Context::new();
        declare(&mut ctx);
        let value: Value = hcl::eval::from_str(&format!("x = {expr}"), &ctx)
            .map(|body: Map<String, Value>| body["x"].clone())
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        crate::to_json(&value)
    }

    #[test]
    fn functions_behave_as_terraform_documents() {
        assert_eq!(eval(r#"lookup({a = 1}, "a", 2)"#), 1);
        assert_eq!(eval(r#"lookup({a = 1}, "b", 2)"#), 2);
        assert_eq!(eval(r#"replace("{p}-x", "{p}", "sw")"#), "sw-x");
        assert_eq!(eval("max(180, 6 * 30, 7)"), 180);
        assert_eq!(eval("max(1, 6 * 60)"), 360);
        assert_eq!(
            eval("merge({a = 1, b = 1}, {b = 2})"),
            serde_json::json!({"a": 1, "b": 2})
        );
        assert_eq!(
            eval("flatten([[1, [2]], [], 3])"),
            serde_json::json!([1, 2, 3])
        );
        assert_eq!(
            eval(r#"jsondecode("{\"a\": [1]}")"#),
            serde_json::json!({"a": [1]})
        );
        assert_eq!(eval("jsonencode({a = 1})"), r#"{"a":1}"#);
        assert_eq!(eval(r#"contains(["a", "b"], "b")"#), true);
        assert_eq!(eval(r#"contains(["a"], "b")"#), false);
        assert_eq!(eval("keys({b = 1, a = 2})"), serde_json::json!(["a", "b"]));
        assert_eq!(eval("length([1, 2])"), 2);
        assert_eq!(eval("length({})"), 0);
        assert_eq!(
            eval("concat([1], [], [2, 3])"),
            serde_json::json!([1, 2, 3])
        );
    }
}
