# syntax=docker/dockerfile:1
# The Spark Connect server of the KPI job's task when the stack is deployed with `-c kpiEngine=spark`
# (infra/PipelineContainers.cs): a sidecar that the kpi-job container reaches on localhost:15002.
# Build from the repository root: docker build -f docker/spark-connect.Dockerfile .

# The official image, pinned: Spark 4.0.1 (Scala 2.13, Java 17), which ships Hadoop 3.4.1 and has Spark Connect
# built in. Multi-architecture, so the arm64 task gets an arm64 JVM.
FROM apache/spark:4.0.1-scala2.13-java17-ubuntu

# S3A for s3a:// paths: hadoop-aws of exactly the distribution's Hadoop version, and the AWS SDK v2 bundle that
# hadoop-aws release declares (Hadoop 3.4.1 ships bundle-2.24.6.jar in share/hadoop/tools/lib). A mismatch fails
# at the first S3 call with NoSuchMethodError or ClassNotFoundException.
ARG HADOOP_AWS_VERSION=3.4.1
ARG AWS_SDK_BUNDLE_VERSION=2.24.6
ADD --chmod=0644 https://repo1.maven.org/maven2/org/apache/hadoop/hadoop-aws/${HADOOP_AWS_VERSION}/hadoop-aws-${HADOOP_AWS_VERSION}.jar /opt/spark/jars/
ADD --chmod=0644 https://repo1.maven.org/maven2/software/amazon/awssdk/bundle/${AWS_SDK_BUNDLE_VERSION}/bundle-${AWS_SDK_BUNDLE_VERSION}.jar /opt/spark/jars/

COPY --chmod=0644 docker/spark-connect/spark-defaults.conf /opt/spark/conf/spark-defaults.conf

# In the foreground (spark-daemon.sh runs the server itself instead of forking), so ECS sees the JVM as the
# container's process and its output goes to the log driver. The root filesystem is read-only in the task:
# logs, pid file and Spark's scratch space go to the /tmp volume.
ENV SPARK_NO_DAEMONIZE=1 \
    SPARK_LOG_DIR=/tmp/spark-logs \
    SPARK_PID_DIR=/tmp/spark-pids

USER spark
EXPOSE 15002
ENTRYPOINT ["/opt/spark/sbin/start-connect-server.sh"]
