package smoke;

import dev.cdkdatapipeline.BatchProcessorOptions;
import dev.cdkdatapipeline.BoundBatchProcessor;
import dev.cdkdatapipeline.CdkPipeline;
import dev.cdkdatapipeline.ColumnType;
import dev.cdkdatapipeline.PostgresTableSinkOptions;
import dev.cdkdatapipeline.Processor;
import dev.cdkdatapipeline.Sink;
import dev.cdkdatapipeline.TableColumn;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Template;

/**
 * A user's CDK app in Java: an AWS Batch (Fargate Spot) pipeline loading a
 * PostgreSQL table. It synthesizes the stack and checks the template; a
 * failed check throws, so `mvn exec:java` exits non-zero.
 */
public final class PipelineApp {
    public static void main(final String[] args) {
        App app = new App();
        Stack stack = new Stack(app, "JavaPipelineStack", StackProps.builder()
                .env(Environment.builder().account("111111111111").region("eu-west-1").build())
                .build());

        CdkPipeline pipeline = CdkPipeline.Builder.create(stack, "Pipeline")
                .processor(Processor.batch(BatchProcessorOptions.builder()
                        .spot(true)
                        .vcpus(1)
                        .memoryLimitMiB(2048)
                        .build()))
                .sinks(List.of(Sink.postgresTable(PostgresTableSinkOptions.builder()
                        .table("orders")
                        .columns(List.of(
                                TableColumn.builder().name("order_id").dataType(ColumnType.BIGINT).nullable(false).build(),
                                TableColumn.builder().name("currency").dataType(ColumnType.varchar(3)).build(),
                                TableColumn.builder().name("amount").dataType(ColumnType.numeric(12, 2)).build()))
                        .build())))
                .notificationEmails(List.of("data-team@example.com"))
                .build();

        Template template = Template.fromStack(stack);
        template.resourceCountIs("AWS::RDS::DBInstance", 1);
        template.resourceCountIs("AWS::Batch::JobDefinition", 1);
        template.resourceCountIs("AWS::Batch::JobQueue", 1);
        template.hasResourceProperties("AWS::Batch::JobDefinition", Map.of("PlatformCapabilities", List.of("FARGATE")));
        Map<String, Map<String, Object>> alarms = template.findResources("AWS::CloudWatch::Alarm");
        check(!alarms.isEmpty(), "expected CloudWatch alarms, found none");

        // The construct's members are usable from Java too.
        check(pipeline.getDatabase() != null, "expected pipeline.getDatabase() for a table sink");
        check(pipeline.getProcessor() instanceof BoundBatchProcessor,
                "expected a BoundBatchProcessor, got " + pipeline.getProcessor().getClass().getName());
        BoundBatchProcessor batch = (BoundBatchProcessor) pipeline.getProcessor();
        check(batch.getJobQueue() != null, "expected the Batch job queue");

        int resources = ((Map<?, ?>) template.toJSON().get("Resources")).size();
        System.out.println("java: ok, " + resources + " resources, " + alarms.size() + " alarms");
    }

    private static void check(final boolean condition, final String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}
