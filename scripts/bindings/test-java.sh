#!/usr/bin/env bash
# Java smoke test: test/bindings/java is a Maven project that depends on the
# built jar (dist/java, used as a file repository) and on aws-cdk-lib from
# Maven Central; `mvn compile exec:java` runs its app, which synthesizes a
# pipeline and checks its template.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

jar="$DIST/java/dev/cdk-data-pipeline/cdk-data-pipeline/$LIB_VERSION/cdk-data-pipeline-$LIB_VERSION.jar"
[ -f "$jar" ] || { log "java: no $jar; run scripts/bindings/package.sh first"; exit 1; }

# Maven never fetches a release version again once it is in the local
# repository, so drop the copy a previous run took from dist/java.
rm -rf "$MAVEN_REPO_LOCAL/dev/cdk-data-pipeline/cdk-data-pipeline/$LIB_VERSION"

cd "$ROOT/test/bindings/java"
timed "java: mvn compile exec:java" mvn -B -q --no-transfer-progress -Dstyle.color=never \
  -Dmaven.repo.local="$MAVEN_REPO_LOCAL" \
  -Dcdk-data-pipeline.version="$LIB_VERSION" \
  -Dcdk-data-pipeline.repo="file://$DIST/java" \
  -Daws-cdk-lib.version="$AWS_CDK_LIB_VERSION" \
  compile exec:java
