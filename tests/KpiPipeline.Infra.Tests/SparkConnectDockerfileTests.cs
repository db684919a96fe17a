using System.Text.RegularExpressions;
using KpiPipeline.Infra.Tests.Support;

namespace KpiPipeline.Infra.Tests;

/// <summary>
/// docker/spark-connect.Dockerfile without a Docker engine: the official Spark image pinned, S3A jars that match its
/// Hadoop, the server in the foreground on the port the task definition and the KPI job use.
/// </summary>
public sealed partial class SparkConnectDockerfileTests
{
    /// <summary>The Hadoop each Spark release ships (its pom's hadoop.version; the jars hadoop-client-api-X.jar).</summary>
    private static readonly Dictionary<string, string> HadoopOfSpark = new(StringComparer.Ordinal)
    {
        ["4.0.0"] = "3.4.1",
        ["4.0.1"] = "3.4.1",
    };

    /// <summary>The AWS SDK v2 bundle each hadoop-aws release is built against (Hadoop's share/hadoop/tools/lib).</summary>
    private static readonly Dictionary<string, string> AwsSdkBundleOfHadoop = new(StringComparer.Ordinal)
    {
        ["3.4.1"] = "2.24.6",
    };

    private static RepositoryLayout Layout { get; } = RepositoryLayout.Discover(AppContext.BaseDirectory);

    private static Dockerfile Sut { get; } = Dockerfile.Read(Path.Combine(Layout.Root, "docker", "spark-connect.Dockerfile"));

    [Fact]
    public void BaseImage_IsTheOfficialSpark4ImagePinnedToARelease()
    {
        var image = Assert.Single(Sut.BaseImages);

        Assert.Matches(OfficialSpark4Image(), image);
    }

    [Fact]
    public void S3aJars_MatchTheHadoopOfTheSparkRelease()
    {
        var spark = OfficialSpark4Image().Match(Assert.Single(Sut.BaseImages)).Groups["version"].Value;
        var hadoopAws = Argument("HADOOP_AWS_VERSION");
        var bundle = Argument("AWS_SDK_BUNDLE_VERSION");

        Assert.Equal(HadoopOfSpark[spark], hadoopAws);
        Assert.Equal(AwsSdkBundleOfHadoop[hadoopAws], bundle);
        var added = Sut.Instructions.Where(i => i.Keyword == "ADD").Select(i => i.Words.Last(w => w.StartsWith("https://", StringComparison.Ordinal))).ToList();
        Assert.Contains("https://repo1.maven.org/maven2/org/apache/hadoop/hadoop-aws/${HADOOP_AWS_VERSION}/hadoop-aws-${HADOOP_AWS_VERSION}.jar", added);
        Assert.Contains("https://repo1.maven.org/maven2/software/amazon/awssdk/bundle/${AWS_SDK_BUNDLE_VERSION}/bundle-${AWS_SDK_BUNDLE_VERSION}.jar", added);
    }

    [Fact]
    public void Entrypoint_StartsTheConnectServerInTheForeground()
    {
        Assert.Equal(["/opt/spark/sbin/start-connect-server.sh"], Sut.Entrypoint);
        Assert.Contains(Sut.Instructions, i => i.Keyword == "ENV" && i.Arguments.Contains("SPARK_NO_DAEMONIZE=1", StringComparison.Ordinal));
        Assert.Contains(Sut.Instructions, i => i.Keyword == "USER" && i.Arguments == "spark");
    }

    [Fact]
    public void SparkDefaults_ListenOnTheTasksLoopbackAtThePortTheJobUses()
    {
        var source = Assert.Single(Sut.ContextCopySources);
        var defaults = File.ReadAllLines(Path.Combine(Layout.Root, source))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(parts => parts[0], parts => parts[1]);

        Assert.Equal("127.0.0.1", defaults["spark.connect.grpc.binding.address"]);
        Assert.Equal(PipelineContainers.SparkConnectPort.ToString(System.Globalization.CultureInfo.InvariantCulture), defaults["spark.connect.grpc.binding.port"]);
        Assert.Contains(Sut.Instructions, i => i.Keyword == "EXPOSE" && i.Arguments == "15002");
        Assert.Equal("UTC", defaults["spark.sql.session.timeZone"]);
        Assert.StartsWith("/tmp/", defaults["spark.local.dir"], StringComparison.Ordinal);
    }

    private static string Argument(string name) =>
        Sut.Instructions.Where(i => i.Keyword == "ARG" && i.Arguments.StartsWith(name + "=", StringComparison.Ordinal))
            .Select(i => i.Arguments[(name.Length + 1)..]).Single();

    [GeneratedRegex(@"^apache/spark:(?<version>4\.\d+\.\d+)-scala2\.13-java\d+-ubuntu$")]
    private static partial Regex OfficialSpark4Image();
}
