// A user's CDK app in Go. The built module in dist/go stands in for the
// published one through the replace directive below; scripts/bindings/test.sh
// runs `go mod tidy` and `go run .` here.
module example.com/cdk-data-pipeline-go-smoke

go 1.25

require (
	github.com/aws/aws-cdk-go/awscdk/v2 v2.257.0
	github.com/aws/constructs-go/constructs/v10 v10.5.1
	github.com/aws/jsii-runtime-go v1.140.0
	github.com/cdk-data-pipeline/cdk-data-pipeline-go/cdkdatapipeline v0.0.0
)

replace github.com/cdk-data-pipeline/cdk-data-pipeline-go/cdkdatapipeline => ../../../dist/go/cdkdatapipeline
