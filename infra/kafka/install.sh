#!/usr/bin/env bash
# Installs Apache Kafka (broker, controller and tools) into the shared tool
# cache, once: the jars of infra/kafka/pom.xml and their runtime
# dependencies from Maven Central, about 55 MB, in 15-30 s. The folder is
# named after the version and the pom's hash, so a changed pom installs
# afresh and a second clone reuses the first one's.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

[ -f "$KAFKA_ROOT/.installed" ] && exit 0
command -v java >/dev/null || { say "installing a Java 17 runtime for Kafka"; apt_install openjdk-17-jre-headless; }
command -v mvn >/dev/null || { say "installing Maven to fetch Kafka's jars"; apt_install maven; }
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
[ "${java_major%%.*}" -ge 17 ] 2>/dev/null ||
    die "Kafka $KAFKA_VERSION needs Java 17 or later; 'java' is version $java_major (set PATH or JAVA_HOME to a newer one)"

say "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_ROOT (first time only, under a minute)"
rm -rf "$KAFKA_ROOT.partial"
mvn -q -B -Dstyle.color=never -f "$INFRA_DIR/kafka/pom.xml" -Dmaven.repo.local="$MLOBS_CACHE/maven" \
    dependency:copy-dependencies -DoutputDirectory="$KAFKA_ROOT.partial/lib" >&2 ||
    die "Maven could not fetch Kafka's jars (is Maven Central reachable?); see the output above"
touch "$KAFKA_ROOT.partial/.installed"
rm -rf "$KAFKA_ROOT"
mv "$KAFKA_ROOT.partial" "$KAFKA_ROOT"
