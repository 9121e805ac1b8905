# One table holds every execution: headers, frames, joins, results, history and
# definitions (docs/ARCHITECTURE.md, "Data model").
resource "aws_dynamodb_table" "this" {
  name                        = var.name_prefix
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = local.table.partition_key.name
  range_key                   = local.table.sort_key.name
  deletion_protection_enabled = var.deletion_protection

  dynamic "attribute" {
    for_each = local.table_attributes
    content {
      name = attribute.key
      type = attribute.value
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.table.indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.partition_key.name
      range_key       = global_secondary_index.value.sort_key.name
      projection_type = global_secondary_index.value.projection
    }
  }

  # Retention: items whose TTL attribute (epoch seconds) has passed are deleted by
  # DynamoDB at no cost; items without it are kept.
  ttl {
    attribute_name = local.table.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  # Enabled with no key: the AWS-managed key aws/dynamodb.
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
