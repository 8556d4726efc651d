"""A user's CDK app in Python: a Fargate pipeline loading a PostgreSQL table.

Run by scripts/bindings/test.sh in a fresh virtual environment that has only
aws-cdk-lib from PyPI and the built cdk-data-pipeline wheel. It synthesizes
the stack and checks the template; any failed check exits non-zero.
"""
import sys

import aws_cdk as cdk
from aws_cdk.assertions import Template

from cdk_data_pipeline import (
    BoundFargateProcessor,
    CdkPipeline,
    ColumnType,
    Processor,
    Sink,
    TableColumn,
)

app = cdk.App()
stack = cdk.Stack(
    app,
    "PythonPipelineStack",
    env=cdk.Environment(account="111111111111", region="eu-west-1"),
)
pipeline = CdkPipeline(
    stack,
    "Pipeline",
    processor=Processor.fargate(cpu=512, memory_limit_mib=1024, spot=True),
    sinks=[
        Sink.postgres_table(
            table="orders",
            columns=[
                TableColumn(name="order_id", data_type=ColumnType.BIGINT, nullable=False),
                TableColumn(name="currency", data_type=ColumnType.varchar(3)),
                TableColumn(name="amount", data_type=ColumnType.numeric(12, 2)),
            ],
        )
    ],
    notification_emails=["data-team@example.com"],
)

template = Template.from_stack(stack)
template.resource_count_is("AWS::RDS::DBInstance", 1)
template.resource_count_is("AWS::ECS::TaskDefinition", 1)
template.has_resource_properties(
    "AWS::ECS::TaskDefinition", {"Cpu": "512", "Memory": "1024", "RequiresCompatibilities": ["FARGATE"]}
)
alarms = template.find_resources("AWS::CloudWatch::Alarm")
if not alarms:
    sys.exit("expected CloudWatch alarms, found none")

# The construct's members are usable from Python too.
if pipeline.database is None:
    sys.exit("expected pipeline.database for a table sink")
if not isinstance(pipeline.processor, BoundFargateProcessor):
    sys.exit(f"expected a BoundFargateProcessor, got {type(pipeline.processor).__name__}")

print(f"python: ok, {len(template.to_json()['Resources'])} resources, {len(alarms)} alarms")
