// A user's CDK app in Go: a Fargate pipeline loading a PostgreSQL table. It
// synthesizes the stack and checks the template; a failed check panics (the
// assertions library's way) or exits 1, so `go run .` exits non-zero.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-data-pipeline/cdk-data-pipeline-go/cdkdatapipeline"
)

func main() {
	defer jsii.Close()

	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("GoPipelineStack"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})

	pipeline := cdkdatapipeline.NewCdkPipeline(stack, jsii.String("Pipeline"), &cdkdatapipeline.CdkPipelineProps{
		Processor: cdkdatapipeline.Processor_Fargate(&cdkdatapipeline.FargateProcessorOptions{
			Cpu:            jsii.Number(1024),
			MemoryLimitMiB: jsii.Number(2048),
		}),
		Sinks: &[]cdkdatapipeline.Sink{
			cdkdatapipeline.Sink_PostgresTable(&cdkdatapipeline.PostgresTableSinkOptions{
				Table: jsii.String("orders"),
				Columns: &[]*cdkdatapipeline.TableColumn{
					{Name: jsii.String("order_id"), DataType: cdkdatapipeline.ColumnType_BIGINT(), Nullable: jsii.Bool(false)},
					{Name: jsii.String("currency"), DataType: cdkdatapipeline.ColumnType_Varchar(jsii.Number(3))},
					{Name: jsii.String("amount"), DataType: cdkdatapipeline.ColumnType_Numeric(jsii.Number(12), jsii.Number(2))},
				},
			}),
		},
		NotificationEmails: jsii.Strings("data-team@example.com"),
	})

	template := assertions.Template_FromStack(stack, nil)
	template.ResourceCountIs(jsii.String("AWS::RDS::DBInstance"), jsii.Number(1))
	template.ResourceCountIs(jsii.String("AWS::ECS::TaskDefinition"), jsii.Number(1))
	template.HasResourceProperties(jsii.String("AWS::ECS::TaskDefinition"), map[string]interface{}{
		"Cpu":                     "1024",
		"Memory":                  "2048",
		"RequiresCompatibilities": []interface{}{"FARGATE"},
	})
	alarms := template.FindResources(jsii.String("AWS::CloudWatch::Alarm"), nil)
	check(len(*alarms) > 0, "expected CloudWatch alarms, found none")

	// The construct's members are usable from Go too.
	check(pipeline.Database() != nil, "expected pipeline.Database() for a table sink")
	fargate, ok := pipeline.Processor().(cdkdatapipeline.BoundFargateProcessor)
	check(ok, fmt.Sprintf("expected a BoundFargateProcessor, got %T", pipeline.Processor()))
	check(fargate.TaskDefinition() != nil, "expected the Fargate task definition")

	resources := (*template.ToJSON())["Resources"].(map[string]interface{})
	fmt.Printf("go: ok, %d resources, %d alarms\n", len(resources), len(*alarms))
}

func check(condition bool, message string) {
	if !condition {
		fmt.Fprintln(os.Stderr, "go: "+message)
		os.Exit(1)
	}
}
